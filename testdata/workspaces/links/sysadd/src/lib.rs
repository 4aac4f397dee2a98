use std::os::raw::c_int;

extern "C" {
    fn sysadd_add(a: c_int, b: c_int) -> c_int;
    fn sysadd_mul(a: c_int, b: c_int) -> c_int;
}

/// Adds two numbers in C.
pub fn add(a: i32, b: i32) -> i32 {
    unsafe { sysadd_add(a, b) }
}

/// Multiplies two numbers in C.
pub fn mul(a: i32, b: i32) -> i32 {
    unsafe { sysadd_mul(a, b) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn c_arith() {
        assert_eq!(super::add(2, 3), 5);
        assert_eq!(super::mul(4, 5), 20);
    }
}
