//! The upstream crate of the cutoff tests: one item per change kind of
//! rustc-facts.md §2, each used by `mid`, so that a wrong cutoff shows in
//! the binary's output.

pub const LIMIT: u32 = 7;

pub struct Bag {
    items: Vec<u32>,
    pub name: &'static str,
}

impl Bag {
    pub fn new(name: &'static str) -> Bag {
        Bag { items: vec![1, 2], name }
    }
    pub fn total(&self) -> u32 {
        self.items.iter().sum()
    }
}

pub enum Shape {
    Dot,
    Line(u32),
}

pub fn shape_len(s: &Shape) -> u32 {
    match s {
        Shape::Dot => 0,
        Shape::Line(n) => *n,
    }
}

fn helper(x: u32) -> u32 {
    x * 3
}

pub fn public_value(x: u32) -> u32 {
    helper(x) + 1
}

pub fn pick<T: Copy>(a: T, _b: T) -> T {
    a
}

#[inline]
pub fn bump(x: u32) -> u32 {
    x + 1
}

pub const fn doubled(x: u32) -> u32 {
    x * 2
}

pub fn adder() -> impl Fn(u32) -> u32 {
    |x| x + 10
}

pub async fn later() -> u32 {
    5
}

#[macro_export]
macro_rules! twice {
    ($e:expr) => {
        $e * 2
    };
}

pub trait Describe {
    fn describe(&self) -> String;
}

impl Describe for Bag {
    fn describe(&self) -> String {
        format!("bag {}", self.name)
    }
}

pub struct Item(pub u32);

impl Item {
    pub fn first(&self) -> u32 {
        self.0
    }
}

impl Item {
    pub fn second(&self) -> u32 {
        self.0 + 1
    }
}

fn collect_items() -> Vec<Item> {
    let mut v = Vec::new();
    v.push(Item(1));
    v
}

pub fn item_count() -> usize {
    collect_items().len()
}

pub mod more;
