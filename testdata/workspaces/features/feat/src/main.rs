fn main() {
    println!("features: [{}]", feat::enabled_features().join(","));
    println!(
        "alpha={} beta={} gamma={} with-extra={}",
        cfg!(feature = "alpha"),
        cfg!(feature = "beta"),
        cfg!(feature = "gamma"),
        cfg!(feature = "with-extra")
    );
    match feat::extra_value() {
        Some(v) => println!("extra: {}", v),
        None => println!("extra: none"),
    }
}
