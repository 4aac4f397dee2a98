//! `#[derive(Name)]`: adds `fn name() -> &'static str` (no syn/quote).
use proc_macro::{TokenStream, TokenTree};

#[proc_macro_derive(Name)]
pub fn derive_name(input: TokenStream) -> TokenStream {
    let mut it = input.into_iter();
    while let Some(tt) = it.next() {
        if let TokenTree::Ident(id) = &tt {
            let kw = id.to_string();
            if kw == "struct" || kw == "enum" {
                if let Some(TokenTree::Ident(name)) = it.next() {
                    return format!(
                        "impl {n} {{ pub fn name() -> &'static str {{ \"{n}\" }} }}",
                        n = name
                    )
                    .parse()
                    .unwrap();
                }
            }
        }
    }
    panic!("derive(Name): no struct or enum")
}
