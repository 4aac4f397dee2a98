//! appcore: the model an application builds on — records parsed from
//! text, grouped and summarised.

pub mod parse;
pub mod stats;

use std::collections::BTreeMap;
use std::fmt;

/// One line of input: `name,category,quantity,price_cents`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    pub category: String,
    pub quantity: u32,
    pub price_cents: u64,
}

impl Item {
    pub fn value_cents(&self) -> u64 {
        self.price_cents * u64::from(self.quantity)
    }
}

/// Items grouped by category, in name order.
#[derive(Debug, Default)]
pub struct Inventory {
    by_category: BTreeMap<String, Vec<Item>>,
}

impl Inventory {
    pub fn new(items: impl IntoIterator<Item = Item>) -> Self {
        let mut inv = Inventory::default();
        for it in items {
            inv.by_category.entry(it.category.clone()).or_default().push(it);
        }
        for v in inv.by_category.values_mut() {
            v.sort_by(|a, b| a.name.cmp(&b.name));
        }
        inv
    }

    pub fn categories(&self) -> impl Iterator<Item = (&str, &[Item])> {
        self.by_category.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub fn total_cents(&self) -> u64 {
        self.by_category.values().flatten().map(Item::value_cents).sum()
    }

    pub fn len(&self) -> usize {
        self.by_category.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Cents shown as dollars: `1234` → `$12.34`.
pub struct Money(pub u64);

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_totals() {
        let inv = Inventory::new(parse::items("b,tools,2,150\na,tools,1,1000\nc,food,3,99\n").unwrap());
        assert_eq!(inv.len(), 3);
        assert_eq!(inv.total_cents(), 300 + 1000 + 297);
        let names: Vec<_> = inv.categories().map(|(c, items)| (c, items[0].name.as_str())).collect();
        assert_eq!(names, vec![("food", "c"), ("tools", "a")]);
        assert_eq!(Money(1597).to_string(), "$15.97");
    }
}
