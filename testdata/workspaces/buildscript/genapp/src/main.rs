fn main() {
    println!("has_gen: {}", gen::has_gen());
    println!("GEN_VALUE: {}", gen::GEN_VALUE);
    println!("names: {}", gen::NAMES.join(","));
    println!("alpha={} beta={} gamma={} total={}", gen::ALPHA, gen::BETA, gen::GAMMA, gen::TOTAL);
}
