#![cfg_attr(docsrs, feature(doc_cfg))]
//! A sample crate file: one item of each kind the skeleton treats.

use std::fmt;

/// Kept verbatim, doc comment dropped.
#[derive(Debug, Clone)]
pub struct Point {
    /// Field docs go too.
    pub x: i32,
    y: i32, // private fields stay
}

/// Dropped body.
pub fn distance(a: &Point, b: &Point) -> f64 {
    let dx = (a.x - b.x) as f64;
    let dy = (a.y - b.y) as f64;
    println!("{dx} {dy}");
    (dx * dx + dy * dy).sqrt()
}

/// Generic: kept.
pub fn largest<T: PartialOrd + Copy>(xs: &[T]) -> T {
    let mut m = xs[0];
    for &x in xs {
        if x > m {
            m = x;
        }
    }
    m
}

impl fmt::Display for Point {
    // Non-generic trait impl: dropped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

impl Point {
    #[inline]
    pub fn origin() -> Self {
        Point { x: 0, y: 0 }
    }

    pub(crate) fn norm(&self) -> i32 {
        if !self.is_origin() { self.x.abs() + self.y.abs() } else { 0 }
    }

    fn is_origin(&self) -> bool {
        self.x == 0 && self.y == 0
    }
}

pub trait Shape {
    fn area(&self) -> f64;
    /// Default method: kept.
    fn describe(&self) -> String {
        format!("area {}", self.area())
    }
}

macro_rules! square {
    ($x:expr) => {
        /// Docs inside a macro stay.
        $x * $x
    };
}

pub const UNIT: i32 = square!(1);

pub fn uses_log() {
    log::debug!("kept: log is not std");
}

const fn twice(x: i32) -> i32 {
    x * 2
}

pub async fn fetch() -> i32 {
    twice(21)
}

extern "C" {
    fn abs(x: i32) -> i32;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_is_origin() {
        assert!(Point::origin().is_origin());
    }
}
