pub const SEED: u32 = 7;

pub fn seed() -> u32 {
    SEED
}

#[cfg(test)]
mod tests {
    #[test]
    fn seed_is_7() {
        assert_eq!(super::seed(), 7);
    }
}
