/// seed * 2 = 14
pub fn left() -> u32 {
    base::seed() * 2
}

#[cfg(test)]
mod tests {
    #[test]
    fn left_is_14() {
        assert_eq!(super::left(), 14);
    }
}
