fn main() {
    println!("betaonly: {}", feat::beta_only());
}
