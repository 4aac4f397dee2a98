use std::env;
use std::fs;
use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out_dir = env::var("OUT_DIR").expect("OUT_DIR");
    fs::write(Path::new(&out_dir).join("gen.rs"), "pub const GENERATED: u32 = 7;\n").expect("write gen.rs");
    println!("cargo::rustc-check-cfg=cfg(has_gen)");
    println!("cargo::rustc-cfg=has_gen");
    println!("cargo::rustc-env=GEN_VALUE=generated-7");
}
