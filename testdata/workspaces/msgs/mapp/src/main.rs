use mderive::Name;

#[derive(Name)]
struct Point;

fn main() {
    println!("{}: {} {}", Point::name(), mcore::value(), mcore::gen_value());
}

#[cfg(test)]
mod tests {
    #[test]
    fn value() {
        assert_eq!(mcore::value(), 42);
    }
}
