//! Runs the built binary the way a user does.

use std::process::Command;

#[test]
fn prints_the_report() {
    let out = Command::new(env!("CARGO_BIN_EXE_app")).args(["--top", "2"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "food: 3 items, $34.80 (max $23.00)\ntools: 3 items, $49.49 (max $24.50)\ntotal: $84.29 in 6 items\n1. saw $24.50\n2. tea $23.00\n"
    );
}

#[test]
fn rejects_unknown_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_app")).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
