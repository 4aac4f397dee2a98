fn main() {
    println!("pipeline: {}", light::value());
}
