//! `#[derive(Hello)]` implemented without syn/quote.
use proc_macro::{TokenStream, TokenTree};

/// Finds the identifier following `struct` or `enum` at the top level.
fn type_name(input: TokenStream) -> Option<(String, &'static str)> {
    let mut iter = input.into_iter();
    while let Some(tt) = iter.next() {
        if let TokenTree::Ident(id) = &tt {
            let kw = id.to_string();
            let kind = match kw.as_str() {
                "struct" => "struct",
                "enum" => "enum",
                _ => continue,
            };
            if let Some(TokenTree::Ident(name)) = iter.next() {
                return Some((name.to_string(), kind));
            }
        }
    }
    None
}

#[proc_macro_derive(Hello)]
pub fn derive_hello(input: TokenStream) -> TokenStream {
    let (name, kind) = match type_name(input) {
        Some(v) => v,
        None => return "compile_error!(\"Hello: expected a struct or enum\");".parse().unwrap(),
    };
    let greeting = pmhelp::greeting();
    format!(
        "impl ::hello::Hello for {name} {{ fn hello() -> ::std::string::String {{ \
         ::std::string::String::from(\"{greeting} from {kind} {name}!\") }} }}"
    )
    .parse()
    .unwrap()
}
