// An unstable feature: a stable cargo refuses this crate (E0554), and so
// must rbuild, although it runs rustc with RUSTC_BOOTSTRAP=1.
#![feature(never_type)]

pub fn never() -> Option<!> {
    None
}
