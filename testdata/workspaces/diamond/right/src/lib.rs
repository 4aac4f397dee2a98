/// seed + 100 = 107
pub fn right() -> u32 {
    base::seed() + 100
}

#[cfg(test)]
mod tests {
    #[test]
    fn right_is_107() {
        assert_eq!(super::right(), 107);
    }
}
