fn main() {
    println!("cargo::rustc-check-cfg=cfg(dt_magic)");
    println!("cargo::rustc-cfg=dt_magic");
    println!("cargo::rustc-env=DT_MAGIC=42");
}
