/// Version string from sysadd's `cargo:version` metadata.
pub const SYSADD_VERSION: &str = env!("SYSADD_VERSION");
/// Absolute include dir from sysadd's `cargo:include` metadata.
pub const SYSADD_INCLUDE: &str = env!("SYSADD_INCLUDE");
/// "true" if add.h exists in SYSADD_INCLUDE at build time.
pub const SYSADD_HEADER_FOUND: &str = env!("SYSADD_HEADER_FOUND");

/// Sum of squares computed through the C library.
pub fn sum_of_squares(a: i32, b: i32) -> i32 {
    sysadd::add(sysadd::mul(a, a), sysadd::mul(b, b))
}

/// Last two path components of the include dir ("sysadd/csrc"),
/// so output does not depend on where the workspace lives.
pub fn include_tail() -> String {
    let parts: Vec<&str> = SYSADD_INCLUDE.rsplit('/').take(2).collect();
    format!("{}/{}", parts[1], parts[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata() {
        assert_eq!(SYSADD_VERSION, "1.2.3");
        assert_eq!(SYSADD_HEADER_FOUND, "true");
        assert_eq!(include_tail(), "sysadd/csrc");
        assert_eq!(sum_of_squares(3, 4), 25);
    }
}
