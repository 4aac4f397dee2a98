//! Summaries over items.

use crate::Item;

/// Count, sum, min and max of a value over items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub count: usize,
    pub sum: u64,
    pub min: u64,
    pub max: u64,
}

pub fn summarize<'a, F>(items: impl IntoIterator<Item = &'a Item>, value: F) -> Option<Summary>
where
    F: Fn(&Item) -> u64,
{
    items.into_iter().map(value).fold(None, |acc, v| {
        Some(match acc {
            None => Summary { count: 1, sum: v, min: v, max: v },
            Some(s) => Summary { count: s.count + 1, sum: s.sum + v, min: s.min.min(v), max: s.max.max(v) },
        })
    })
}

/// The `n` items of highest value, highest first (ties by name).
pub fn top<'a>(items: impl IntoIterator<Item = &'a Item>, n: usize) -> Vec<&'a Item> {
    let mut v: Vec<&Item> = items.into_iter().collect();
    v.sort_by(|a, b| b.value_cents().cmp(&a.value_cents()).then_with(|| a.name.cmp(&b.name)));
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::items;

    #[test]
    fn summary_and_top() {
        let it = items("a,x,1,5\nb,x,2,5\nc,y,1,1\n").unwrap();
        let s = summarize(&it, Item::value_cents).unwrap();
        assert_eq!(s, Summary { count: 3, sum: 16, min: 1, max: 10 });
        let names: Vec<_> = top(&it, 2).iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(summarize(&[], Item::value_cents), None);
    }
}
