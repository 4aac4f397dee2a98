pub fn unreachable_lib() -> u32 {
    1
}
