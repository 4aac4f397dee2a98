fn main() {
    println!("{}", top::describe());
}

#[cfg(test)]
mod tests {
    #[test]
    fn describe_text() {
        assert_eq!(top::describe(), "diamond: left=14 right=107 top=121");
    }
}
