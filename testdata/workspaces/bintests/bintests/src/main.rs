fn label(n: usize) -> String {
    format!("bintests main: {} lines, {}", n, bintests::shout("ok"))
}

fn main() {
    println!("{}", label(bintests::count_lines("x\ny\n")));
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_text() {
        assert_eq!(super::label(2), "bintests main: 2 lines, OK");
    }
}
