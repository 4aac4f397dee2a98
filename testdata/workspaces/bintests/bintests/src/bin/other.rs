fn main() {
    println!("other: {}", bintests::shout("hello"));
}
