fn main() {
    println!("cargo:warning=about to fail");
    eprintln!("badbuildscript: deliberate build script failure");
    std::process::exit(1);
}
