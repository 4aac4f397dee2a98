pub fn broken() -> u32 {
    let s: &str = "not a number";
    s // error[E0308]: mismatched types
}
