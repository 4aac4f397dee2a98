//! A lib with a build script; mapp depends on it.

include!(concat!(env!("OUT_DIR"), "/gen.rs"));

/// The value mapp prints.
pub fn value() -> u32 {
    helper() + GENERATED
}

fn helper() -> u32 {
    35
}

/// Set by the build script.
pub fn gen_value() -> &'static str {
    if cfg!(has_gen) {
        env!("GEN_VALUE")
    } else {
        "none"
    }
}
