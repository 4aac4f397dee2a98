use std::env;
use std::fs;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=data/input.txt");

    let input = fs::read_to_string("data/input.txt").expect("read data/input.txt");
    let mut code = String::new();
    let mut names = Vec::new();
    let mut total: u32 = 0;
    for line in input.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line.split_once('=').expect("name = value");
        let name = name.trim();
        let value: u32 = value.trim().parse().expect("u32 value");
        code.push_str(&format!(
            "pub const {}: u32 = {};\n",
            name.to_uppercase(),
            value
        ));
        names.push(format!("\"{}\"", name));
        total += value;
    }
    code.push_str(&format!("pub const NAMES: &[&str] = &[{}];\n", names.join(", ")));
    code.push_str(&format!("pub const TOTAL: u32 = {};\n", total));

    let out_dir = env::var("OUT_DIR").expect("OUT_DIR");
    fs::write(Path::new(&out_dir).join("gen.rs"), code).expect("write gen.rs");

    println!("cargo::rustc-check-cfg=cfg(has_gen)");
    println!("cargo:rustc-cfg=has_gen");
    println!("cargo:rustc-env=GEN_VALUE=generated-{}", total);
}
