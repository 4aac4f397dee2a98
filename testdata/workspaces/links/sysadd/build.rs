// Compiles csrc/add.c into libsysadd.a with plain `cc` and `ar` (no cc crate).
use std::env;
use std::path::PathBuf;
use std::process::Command;

fn run(cmd: &mut Command) {
    let status = cmd.status().unwrap_or_else(|e| panic!("failed to spawn {:?}: {}", cmd, e));
    if !status.success() {
        panic!("command failed: {:?}: {}", cmd, status);
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=csrc/add.c");
    println!("cargo:rerun-if-changed=csrc/add.h");

    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let csrc = manifest_dir.join("csrc");
    let obj = out_dir.join("add.o");
    let lib = out_dir.join("libsysadd.a");

    let cc = env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let ar = env::var("AR").unwrap_or_else(|_| "ar".to_string());
    run(Command::new(&cc)
        .arg("-c")
        .arg("-fPIC")
        .arg("-O2")
        .arg("-I")
        .arg(&csrc)
        .arg(csrc.join("add.c"))
        .arg("-o")
        .arg(&obj));
    let _ = std::fs::remove_file(&lib);
    run(Command::new(&ar).arg("crs").arg(&lib).arg(&obj));

    println!("cargo:rustc-link-search=native={}", out_dir.display());
    println!("cargo:rustc-link-lib=static=sysadd");
    // links metadata: visible to dependents' build scripts as DEP_SYSADD_*.
    println!("cargo:include={}", csrc.display());
    println!("cargo:version=1.2.3");
}
