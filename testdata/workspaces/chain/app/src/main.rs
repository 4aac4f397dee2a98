fn main() {
    println!("{}", c::report().render());
    let extra = c::bump_twice(a_sum());
    println!("extra: {}", extra);
}

fn a_sum() -> u32 {
    // 42 + 1
    c::first_or(&[c::c_value() + 1], 0)
}
