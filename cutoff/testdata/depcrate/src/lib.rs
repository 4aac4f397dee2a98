//! Tiny crate whose dep-info exercises every feature of rustc's .d files.
mod sub;

pub const DATA: &str = include_str!("data file.txt");
pub const NAME: &str = env!("CARGO_PKG_NAME");
pub const UNSET: Option<&str> = option_env!("UNSET_VAR_X");
pub const MULTI: Option<&str> = option_env!("RBUILD_MULTILINE");
pub const GEN: &str = include_str!(concat!(env!("OUT_DIR"), "/gen.txt"));

pub fn answer() -> u32 {
    sub::inner::value() + DATA.len() as u32
}
