//! More change kinds of rustc-facts.md §2, each used by `mid::more`.

// Row 8: an inline signal a plain `#[inline]` search misses.
#[cfg_attr(all(), inline)]
pub fn cfg_inlined(x: u32) -> u32 {
    x + 1
}

// Row 8: a fn written inside a macro invocation that adds `#[inline]`.
macro_rules! inlined_item {
    ($item:item) => {
        #[inline]
        $item
    };
}

inlined_item! {
    pub fn from_macro(x: u32) -> u32 {
        x + 2
    }
}

// Row 9: a crate-local macro that shadows an allowlisted std name and
// expands to an inline method.
pub trait Shadowed {
    fn value() -> u32;
}

pub struct Marker;

macro_rules! vec {
    ($e:expr) => {
        impl Shadowed for Marker {
            #[inline]
            fn value() -> u32 {
                $e
            }
        }
    };
}

#[allow(dead_code, non_local_definitions)]
fn uses_shadowed_vec() {
    vec!(30);
}

// Row 10: a trait default method and a method of a generic impl.
pub trait Greeter {
    fn greet(&self) -> u32 {
        40
    }
}

pub struct Wrapper<T>(pub T);

impl<T> Wrapper<T> {
    pub fn tag(&self) -> u32 {
        50
    }
}

// Row 19: a private signature a generic body reaches through inference.
fn width(x: u32) -> u32 {
    x
}

pub fn generic_width<T: Into<u32>>(x: T) -> String {
    let w = width(x.into());
    format!("{}:{}", w, std::mem::size_of_val(&w))
}

// Row 21: a private module's name is part of its items' symbols.
mod inner {
    pub fn value() -> u32 {
        60
    }
}

pub fn via_inner() -> u32 {
    inner::value()
}

// Row 25: bodies no dependent can see, though they look special.
#[doc(hidden)]
pub fn __macro_helper(x: u32) -> u32 {
    x + 70
}

#[macro_export]
macro_rules! via_helper {
    ($e:expr) => {
        $crate::more::__macro_helper($e)
    };
}

#[no_mangle]
pub extern "C" fn up_unmangled(x: u32) -> u32 {
    x + 80
}

pub extern "C" fn c_abi(x: u32) -> u32 {
    x + 90
}

fn op_impl(x: u32) -> u32 {
    x + 100
}

pub static OP: fn(u32) -> u32 = op_impl;

pub trait Speak {
    fn speak(&self) -> u32;
}

impl Speak for Marker {
    fn speak(&self) -> u32 {
        110
    }
}

pub fn speaker() -> Box<dyn Speak> {
    Box::new(Marker)
}

// Row 27: content the skeleton cannot see.
pub const DATA: &str = include_str!("data.txt");

pub const FLAVOR: Option<&str> = option_env!("UP_FLAVOR");

// Row 33: the panic location of a #[track_caller] fn is its caller's.
#[track_caller]
pub fn checked(x: u32) -> u32 {
    if x > 1000 {
        panic!("too big");
    }
    x + 120
}

// Row 15: a crate passed with --extern but not used yet.
fn side_value() -> u32 {
    130
}

pub fn uses_side() -> u32 {
    side_value()
}
