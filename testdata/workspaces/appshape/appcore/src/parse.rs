//! Reading items from text.

use crate::Item;
use std::fmt;

#[derive(Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub what: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

impl std::error::Error for ParseError {}

/// Parses one item per non-empty line; `#` starts a comment line.
pub fn items(text: &str) -> Result<Vec<Item>, ParseError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| item(l).map_err(|what| ParseError { line: i + 1, what }))
        .collect()
}

fn item(line: &str) -> Result<Item, String> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let [name, category, quantity, price] = fields[..] else {
        return Err(format!("want 4 fields, got {}", fields.len()));
    };
    Ok(Item {
        name: nonempty(name, "name")?,
        category: nonempty(category, "category")?,
        quantity: number(quantity, "quantity")?,
        price_cents: number(price, "price")?,
    })
}

fn nonempty(s: &str, what: &str) -> Result<String, String> {
    if s.is_empty() {
        Err(format!("empty {what}"))
    } else {
        Ok(s.to_string())
    }
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("{what} {s:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line() {
        let err = items("a,b,1,2\n\n# note\nx,y,z,3\n").unwrap_err();
        assert_eq!(err.to_string(), "line 4: quantity \"z\" is not a number");
        assert_eq!(items("a,b,1\n").unwrap_err().what, "want 4 fields, got 3");
    }
}
