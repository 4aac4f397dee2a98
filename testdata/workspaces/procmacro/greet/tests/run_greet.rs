use std::process::Command;

#[test]
fn greet_output() {
    let out = Command::new(env!("CARGO_BIN_EXE_greet")).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Hello from struct Point!\nHello from enum Color!\n[Hello from struct Point!]\n"
    );
}
