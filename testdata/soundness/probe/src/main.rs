fn main() {
    println!("{}", probemid::report());
}
