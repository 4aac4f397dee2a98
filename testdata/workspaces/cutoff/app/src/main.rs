fn main() {
    println!("{}", mid::report());
    println!("more: {}", mid::more::report());
    println!("direct: {}", up::public_value(1));
}
