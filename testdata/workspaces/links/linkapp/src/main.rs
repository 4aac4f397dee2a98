fn main() {
    println!("add(2, 40) = {}", sysadd::add(2, 40));
    println!("mul(6, 7) = {}", sysadd::mul(6, 7));
    println!("sum_of_squares(3, 4) = {}", reader::sum_of_squares(3, 4));
    println!("sysadd version: {}", reader::SYSADD_VERSION);
    println!("sysadd include: .../{}", reader::include_tail());
    println!("header found: {}", reader::SYSADD_HEADER_FOUND);
}
