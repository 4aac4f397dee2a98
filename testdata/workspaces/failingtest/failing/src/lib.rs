pub fn answer() -> u32 {
    41
}

#[cfg(test)]
mod tests {
    #[test]
    fn passes() {
        assert!(super::answer() > 0);
    }

    #[test]
    fn fails_on_purpose() {
        assert_eq!(super::answer(), 42, "intentional failure");
    }
}
