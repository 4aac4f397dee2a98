//! A plain library the derive macro links: its code runs inside rustc.

fn word() -> &'static str {
    "Hello"
}

pub fn greeting() -> &'static str {
    word()
}
