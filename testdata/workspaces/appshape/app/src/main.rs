//! app [--top N] [--category NAME]: a report on the built-in stock list.

const STOCK: &str = "\
# name,category,quantity,price_cents
apple,food,12,45
bread,food,2,320
hammer,tools,1,1899
nails,tools,200,3
saw,tools,1,2450
tea,food,4,575
";

fn main() {
    let opt = match app::Options::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("app: {e}");
            std::process::exit(2);
        }
    };
    match app::report(STOCK, &opt) {
        Ok(r) => print!("{r}"),
        Err(e) => {
            eprintln!("app: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stock_parses() {
        assert!(app::report(super::STOCK, &app::Options::default()).is_ok());
    }
}
