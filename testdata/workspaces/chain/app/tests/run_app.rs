use std::process::Command;

#[test]
fn app_prints_chain_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_app"))
        .output()
        .expect("failed to run app");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, "chain: 42\nextra: 47\n");
}
