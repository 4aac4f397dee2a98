/// Names of the enabled features of this package, in a fixed order.
pub fn enabled_features() -> Vec<&'static str> {
    let mut v = Vec::new();
    if cfg!(feature = "alpha") {
        v.push("alpha");
    }
    if cfg!(feature = "beta") {
        v.push("beta");
    }
    if cfg!(feature = "gamma") {
        v.push("gamma");
    }
    if cfg!(feature = "with-extra") {
        v.push("with-extra");
    }
    v
}

#[cfg(feature = "with-extra")]
pub fn extra_value() -> Option<u32> {
    Some(extra::value())
}

#[cfg(not(feature = "with-extra"))]
pub fn extra_value() -> Option<u32> {
    None
}

#[cfg(feature = "beta")]
pub fn beta_only() -> &'static str {
    "beta is on"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_implies_beta() {
        let f = enabled_features();
        if f.contains(&"gamma") {
            assert!(f.contains(&"beta"));
        }
        assert_eq!(extra_value().is_some(), cfg!(feature = "with-extra"));
    }
}
