use std::process::Command;

#[test]
fn reads_fixture_relative_to_cwd() {
    // `cargo test` runs test binaries with cwd = package root.
    let text = std::fs::read_to_string("data/fixture.txt").expect("cwd must be the package root");
    assert_eq!(bintests::count_lines(&text), 3);
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(cwd, std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
}

#[test]
fn runs_both_bins() {
    let out = Command::new(env!("CARGO_BIN_EXE_bintests")).output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "bintests main: 2 lines, OK\n");
    let out = Command::new(env!("CARGO_BIN_EXE_other")).output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "other: HELLO\n");
}
