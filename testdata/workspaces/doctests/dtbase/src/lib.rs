//! The dependency the doctests of `dtlib` load.

/// The base value.
///
/// ```
/// assert_eq!(dtbase::base(), 40);
/// ```
pub fn base() -> u32 {
    40
}
