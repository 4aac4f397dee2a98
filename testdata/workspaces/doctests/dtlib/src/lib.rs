//! Doctests of every outcome.
//!
//! A passing one, through the dependency:
//!
//! ```
//! assert_eq!(dtlib::answer(), dtbase::base() + 2);
//! ```
//!
//! An ignored one:
//!
//! ```ignore
//! this is not rust at all
//! ```
//!
//! One that does not compile (a failed doctest, not a crash):
//!
//! ```
//! let n: u32 = "forty-two";
//! ```

/// The answer.
///
/// The build script's cfg and rustc-env reach rustdoc, and so do the
/// features:
///
/// ```
/// assert!(cfg!(dt_magic));
/// assert!(cfg!(feature = "extra"));
/// assert_eq!(env!("DT_MAGIC"), "42");
/// assert_eq!(dtlib::answer(), 42);
/// ```
pub fn answer() -> u32 {
    dtbase::base() + 2
}

#[cfg(test)]
mod tests {
    #[test]
    fn answer() {
        assert_eq!(super::answer(), 42);
    }
}
