pub trait Hello {
    fn hello() -> String;
}

/// Greets any type implementing Hello.
pub fn greet<T: Hello>() -> String {
    format!("[{}]", T::hello())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Manual;
    impl Hello for Manual {
        fn hello() -> String {
            "manual".to_string()
        }
    }

    #[test]
    fn greet_wraps() {
        assert_eq!(greet::<Manual>(), "[manual]");
    }
}
