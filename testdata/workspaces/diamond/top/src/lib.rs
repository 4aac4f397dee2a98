/// left + right = 121
pub fn top() -> u32 {
    left::left() + right::right()
}

pub fn describe() -> String {
    format!("diamond: left={} right={} top={}", left::left(), right::right(), top())
}

#[cfg(test)]
mod tests {
    #[test]
    fn top_is_121() {
        assert_eq!(super::top(), 121);
    }
}
