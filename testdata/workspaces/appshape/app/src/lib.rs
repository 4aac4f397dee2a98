//! app: what the binary does, as a library its tests can call.

use appcore::stats::{summarize, top};
use appcore::{Inventory, Item, Money};
use std::fmt::Write;

/// What the command line asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub top: usize,
    pub category: Option<String>,
}

impl Options {
    /// Parses `[--top N] [--category NAME]`.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Options, String> {
        let mut o = Options { top: 3, category: None };
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
            match a.as_str() {
                "--top" => o.top = value()?.parse().map_err(|_| "--top wants a number".to_string())?,
                "--category" => o.category = Some(value()?),
                _ => return Err(format!("unknown argument {a}")),
            }
        }
        Ok(o)
    }
}

/// The report the binary prints for `text` (one item per line).
pub fn report(text: &str, opt: &Options) -> Result<String, String> {
    let items: Vec<Item> = appcore::parse::items(text)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|i| opt.category.as_ref().is_none_or(|c| &i.category == c))
        .collect();
    let inv = Inventory::new(items.clone());
    let mut out = String::new();
    for (cat, its) in inv.categories() {
        let s = summarize(its, Item::value_cents).expect("a category has items");
        writeln!(out, "{cat}: {} items, {} (max {})", s.count, Money(s.sum), Money(s.max)).unwrap();
    }
    writeln!(out, "total: {} in {} items", Money(inv.total_cents()), inv.len()).unwrap();
    for (i, it) in top(&items, opt.top).into_iter().enumerate() {
        writeln!(out, "{}. {} {}", i + 1, it.name, Money(it.value_cents())).unwrap();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_options() {
        let o = Options::parse(["--top", "1", "--category", "food"].map(String::from)).unwrap();
        assert_eq!(o, Options { top: 1, category: Some("food".into()) });
        assert!(Options::parse(["--top".to_string()]).is_err());
    }

    #[test]
    fn reports_a_category() {
        let o = Options { top: 1, category: Some("food".into()) };
        let r = report("apple,food,3,50\nsaw,tools,1,2000\n", &o).unwrap();
        assert_eq!(r, "food: 1 items, $1.50 (max $1.50)\ntotal: $1.50 in 1 items\n1. apple $1.50\n");
    }
}
