// Reads the links metadata published by sysadd's build script.
use std::env;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = env::var("DEP_SYSADD_VERSION").expect("DEP_SYSADD_VERSION not set");
    let include = env::var("DEP_SYSADD_INCLUDE").expect("DEP_SYSADD_INCLUDE not set");
    let header_ok = Path::new(&include).join("add.h").is_file();
    println!("cargo:rustc-env=SYSADD_VERSION={}", version);
    println!("cargo:rustc-env=SYSADD_INCLUDE={}", include);
    println!("cargo:rustc-env=SYSADD_HEADER_FOUND={}", header_ok);
}
