include!(concat!(env!("OUT_DIR"), "/gen.rs"));

/// Value passed by build.rs through `cargo:rustc-env`.
pub const GEN_VALUE: &str = env!("GEN_VALUE");

/// True only if build.rs emitted `cargo:rustc-cfg=has_gen`.
#[cfg(has_gen)]
pub fn has_gen() -> bool {
    true
}

#[cfg(not(has_gen))]
pub fn has_gen() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values() {
        assert!(has_gen());
        assert_eq!(GEN_VALUE, "generated-321");
        assert_eq!(ALPHA + BETA + GAMMA, TOTAL);
        assert_eq!(NAMES, &["alpha", "beta", "gamma"]);
    }
}
