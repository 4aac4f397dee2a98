use std::process::Command;

#[test]
fn genapp_output() {
    let out = Command::new(env!("CARGO_BIN_EXE_genapp")).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "has_gen: true\nGEN_VALUE: generated-321\nnames: alpha,beta,gamma\nalpha=1 beta=20 gamma=300 total=321\n"
    );
}
