pub fn value() -> u32 {
    99
}

#[cfg(test)]
mod tests {
    #[test]
    fn value_is_99() {
        assert_eq!(super::value(), 99);
    }
}
