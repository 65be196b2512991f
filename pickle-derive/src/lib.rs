//! `#[derive(Pickle)]` for the [`pickle`](https://docs.rs/pickle) crate.
//!
//! The derive is documented, with an example for every attribute, on its
//! re-export `pickle::Pickle`. This crate is its implementation, in stages:
//!
//! - `ast.rs` reads the `DeriveInput` into a struct with fields or an enum with variants;
//! - `attr.rs` parses our `#[pickle(...)]` attributes, collecting every mistake in a `Ctxt`;
//! - `valid.rs` checks that the attributes make sense together;
//! - `expand.rs` writes the impls, `bound.rs` their inferred bounds;
//! - `fallback.rs` writes placeholder impls beside the errors when the input is invalid.

mod ast;
mod attr;
mod bound;
mod case;
mod ctxt;
mod expand;
mod fallback;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Implements `ToPickle` and `FromPickle` for a struct or enum; see `pickle::Pickle`.
#[proc_macro_derive(Pickle, attributes(pickle))]
pub fn derive_pickle(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input).into()
}

fn derive(input: &DeriveInput) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::new();
    let parsed = ast::Input::from_syn(&cx, input);
    if let Some(parsed) = &parsed {
        valid::check(&cx, parsed);
    }
    match (cx.finish(), parsed) {
        (Ok(()), Some(parsed)) => expand::expand(&parsed),
        (Err(errors), _) => fallback::expand(input, errors),
        (Ok(()), None) => unreachable!("an input that cannot be parsed records an error"),
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::{Spacing, TokenStream, TokenTree};
    use syn::parse_quote;

    /// The first two segments of every path that starts with `::`.
    fn absolute_paths(tokens: TokenStream, out: &mut Vec<String>) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, tt) in tokens.iter().enumerate() {
            if let TokenTree::Group(g) = tt {
                absolute_paths(g.stream(), out);
            }
            let is_colon = |t: Option<&TokenTree>, spacing: Spacing| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == ':' && p.spacing() == spacing);
            let leading = match i.checked_sub(1).map(|j| &tokens[j]) {
                None => true,
                // `a::b` continues a path; `impl ::a` and `as ::a` start one.
                Some(TokenTree::Ident(k)) => {
                    let k = k.to_string();
                    ["impl", "for", "as", "mut", "dyn", "where", "return", "in"]
                        .contains(&k.as_str())
                }
                Some(TokenTree::Punct(p)) => !matches!(p.as_char(), '>' | ':'),
                Some(_) => true,
            };
            if leading
                && is_colon(Some(tt), Spacing::Joint)
                && is_colon(tokens.get(i + 1), Spacing::Alone)
            {
                let segment = |k: usize| tokens.get(k).map(ToString::to_string).unwrap_or_default();
                out.push(format!("{}::{}", segment(i + 2), segment(i + 5)));
            }
        }
    }

    fn check_hygiene(input: syn::DeriveInput) {
        let expanded = super::derive(&input);
        let mut items = expanded.clone().into_iter();
        let text = expanded.to_string();
        assert!(
            text.contains("const _ : () ="),
            "not wrapped in const _: {text}"
        );
        assert!(items.any(|t| t.to_string() == "const"));
        let mut paths = Vec::new();
        absolute_paths(expanded, &mut paths);
        assert!(paths.iter().any(|p| p == "pickle::__private"), "{paths:?}");
        for path in paths {
            assert!(
                path == "pickle::__private" || path.starts_with("core::"),
                "the expansion reaches the runtime through `::{path}`: {text}"
            );
        }
    }

    #[test]
    fn every_expansion_reaches_the_runtime_only_through_pickle_private() {
        check_hygiene(parse_quote! {
            struct Point<'a, T> { x: T, #[pickle(default, rename = "Y")] y: &'a str, #[pickle(skip)] z: u8 }
        });
        check_hygiene(parse_quote! {
            #[pickle(slots, deny_unknown_fields, alias = "a.B")]
            struct Slotted { #[pickle(bytes)] x: Vec<u8>, #[pickle(with = "my::module")] y: u8 }
        });
        check_hygiene(parse_quote! { struct Pair(i64, #[pickle(skip)] u8, String); });
        check_hygiene(parse_quote! { struct Unit; });
        check_hygiene(parse_quote! { #[pickle(transparent)] struct Id(u64); });
        check_hygiene(parse_quote! { #[pickle(state = "my_state")] struct S { a: u8 } });
        check_hygiene(parse_quote! {
            #[pickle(dict, deny_unknown_fields, rename_all = "camelCase")]
            struct AsDict<'a, T> { a_b: T, #[pickle(default)] c: &'a str, #[pickle(skip)] d: u8 }
        });
        check_hygiene(parse_quote! { enum Color { Red = 1, #[pickle(value = 7)] Green } });
        check_hygiene(parse_quote! { #[pickle(str_values)] enum Mode { Read } });
        check_hygiene(parse_quote! { enum Shape<T> { Circle(Circle), Other(T) } });
        // Invalid input: the fallback impls follow the same rule.
        check_hygiene(parse_quote! { struct Bad { #[pickle(skip, rename = "x")] a: u8 } });
    }

    #[test]
    fn several_mistakes_are_reported_in_one_expansion() {
        let input: syn::DeriveInput = parse_quote! {
            #[pickle(modul = "x", slots)]
            struct Bad(#[pickle(skip, rename = "x")] u8);
        };
        let text = super::derive(&input).to_string();
        assert_eq!(text.matches("compile_error").count(), 3, "{text}");
    }
}
