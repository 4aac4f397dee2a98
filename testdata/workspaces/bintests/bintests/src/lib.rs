/// Number of non-empty lines in `text`.
pub fn count_lines(text: &str) -> usize {
    text.lines().filter(|l| !l.trim().is_empty()).count()
}

pub fn shout(s: &str) -> String {
    s.to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(count_lines("a\n\nb\n"), 2);
    }

    #[test]
    fn reads_fixture_via_manifest_dir() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fixture.txt");
        let text = std::fs::read_to_string(p).unwrap();
        assert_eq!(count_lines(&text), 3);
    }
}
