fn main() {
    println!("flag primary: {}", flag::primary());
}
