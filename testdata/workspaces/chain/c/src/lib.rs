//! Top of the chain: depends on b (and transitively a).

pub const FINAL_OFFSET: u32 = 9;

/// A labelled value; the label is private.
pub struct Report {
    label: &'static str,
    pub value: u32,
}

impl Report {
    pub fn render(&self) -> String {
        format!("{}: {}", self.label, self.value)
    }
}

fn combine(x: u32) -> u32 {
    x + FINAL_OFFSET
}

/// b_value() + FINAL_OFFSET = 42.
pub fn c_value() -> u32 {
    combine(b::b_value())
}

/// Generic: pick the first element or a default.
pub fn first_or<T: Clone>(xs: &[T], default: T) -> T {
    xs.first().cloned().unwrap_or(default)
}

#[inline]
pub fn bump_twice(x: u32) -> u32 {
    b::bump(b::bump(x))
}

pub fn report() -> Report {
    Report { label: "chain", value: c_value() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_value_is_42() {
        assert_eq!(c_value(), 42);
        assert_eq!(combine(1), 10);
        assert_eq!(first_or(&[] as &[u32], 7), 7);
        assert_eq!(bump_twice(0), 4);
        assert_eq!(report().render(), "chain: 42");
    }
}
