fn main() {
    println!("{}", mid::report());
    println!("direct: {}", up::public_value(1));
}
