use derive_hello::Hello;
use hello::Hello as _;

#[derive(Hello)]
#[allow(dead_code)]
pub struct Point {
    x: i32,
    y: i32,
}

#[derive(Hello)]
#[allow(dead_code)]
enum Color {
    Red,
    Green,
}

fn main() {
    println!("{}", Point::hello());
    println!("{}", Color::hello());
    println!("{}", hello::greet::<Point>());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived() {
        assert_eq!(Point::hello(), "Hello from struct Point!");
        assert_eq!(Color::hello(), "Hello from enum Color!");
    }
}
