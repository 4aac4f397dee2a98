// harness = false: this is a plain main(); a non-zero exit means failure.
fn main() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fixture.txt"),
    )
    .unwrap();
    let n = bintests::count_lines(&text);
    if n != 3 {
        eprintln!("custom harness: expected 3 lines, got {}", n);
        std::process::exit(1);
    }
    println!("custom harness: ok ({} lines)", n);
}
