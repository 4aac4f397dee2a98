//! Middle of the chain: depends on a.

pub const OFFSET: u32 = 3;

/// Wraps an `a::Counter`; the field is private.
pub struct Pair {
    inner: a::Counter,
}

impl Pair {
    pub fn new(start: u32) -> Self {
        Pair { inner: a::Counter::new(start) }
    }
    pub fn total(&self) -> u32 {
        self.inner.get() + OFFSET
    }
}

fn triple(x: u32) -> u32 {
    x * 3
}

/// a_value() * 3 + OFFSET = 33.
pub fn b_value() -> u32 {
    triple(a::a_value()) + OFFSET
}

/// Generic: sums a slice of anything convertible into u32.
pub fn sum_all<T: Copy + Into<u32>>(xs: &[T]) -> u32 {
    xs.iter().map(|&x| x.into()).sum()
}

#[inline]
pub fn bump(x: u32) -> u32 {
    a::add_one(a::add_one(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_value_is_33() {
        assert_eq!(b_value(), 33);
        assert_eq!(triple(2), 6);
        assert_eq!(sum_all(&[1u8, 2, 3]), 6);
        assert_eq!(bump(1), 3);
        assert_eq!(Pair::new(1).total(), 4);
    }
}
