fn main() {
    println!("demo: {}", bintests::shout("example"));
}
