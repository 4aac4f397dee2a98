//! Bottom of the chain: a -> b -> c -> app.

/// Base constant used by the whole chain.
pub const BASE: u32 = 5;

/// A value with a private field.
pub struct Counter {
    count: u32,
}

impl Counter {
    pub fn new(start: u32) -> Self {
        Counter { count: start }
    }
    pub fn get(&self) -> u32 {
        self.count
    }
}

fn double(x: u32) -> u32 {
    x * 2
}

/// Returns BASE * 2 = 10.
pub fn a_value() -> u32 {
    double(BASE)
}

/// Generic helper: returns the larger of two values.
pub fn max_of<T: PartialOrd>(x: T, y: T) -> T {
    if x >= y {
        x
    } else {
        y
    }
}

#[inline]
pub fn add_one(x: u32) -> u32 {
    x + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_ten() {
        assert_eq!(a_value(), 10);
        assert_eq!(double(3), 6);
        assert_eq!(max_of(3, 7), 7);
        assert_eq!(add_one(1), 2);
        assert_eq!(Counter::new(4).get(), 4);
    }
}
