//! A dependency of `up` that `up` does not use until a test makes it.

pub fn helper() -> u32 {
    140
}
