// Panics three calls deep: the backtrace names each frame by its
// demangled symbol, which must read as under cargo.
#[inline(never)]
fn innermost(depth: u32) -> u32 {
    if depth > 2 {
        panic!("crash at depth {depth}");
    }
    depth
}

#[inline(never)]
fn middle<T: Into<u32>>(x: T) -> u32 {
    innermost(x.into() + 2)
}

fn main() {
    let n = std::env::args().count() as u32;
    println!("{}", middle(n));
}
