//! Our own attributes, `#[pickle(...)]`, on the container, its variants and its fields.
//!
//! Parsing only reads what the user wrote and checks each value's form
//! (a string here, a path there). Whether a combination makes sense is
//! `valid.rs`'s business. Every mistake is recorded in the [`Ctxt`] and
//! parsing goes on, so all of them are reported together.

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token};

use crate::case::RenameRule;
use crate::ctxt::Ctxt;

/// One attribute as written, kept with its tokens so errors can point at it.
pub(crate) struct Attr<T> {
    tokens: TokenStream,
    pub(crate) value: T,
}

impl<T> ToTokens for Attr<T> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.tokens.to_tokens(tokens);
    }
}

/// A Python class, `module.qualname`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClassName {
    pub(crate) module: String,
    pub(crate) qualname: String,
}

/// `#[pickle(...)]` on the struct or enum.
#[derive(Default)]
pub(crate) struct Container {
    pub(crate) module: Option<Attr<String>>,
    pub(crate) name: Option<Attr<String>>,
    pub(crate) rename_all: Option<Attr<RenameRule>>,
    pub(crate) deny_unknown_fields: Option<Attr<()>>,
    pub(crate) alias: Vec<Attr<ClassName>>,
    pub(crate) transparent: Option<Attr<()>>,
    pub(crate) slots: Option<Attr<()>>,
    pub(crate) frozen_slots: Option<Attr<()>>,
    pub(crate) getnewargs: Option<Attr<()>>,
    pub(crate) state: Option<Attr<syn::Path>>,
    pub(crate) str_values: Option<Attr<()>>,
    pub(crate) dict: Option<Attr<()>>,
}

/// `#[pickle(...)]` on an enum variant.
#[derive(Default)]
pub(crate) struct Variant {
    pub(crate) value: Option<Attr<Value>>,
}

/// The Python value of a C-like enum's member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Int(i64),
    Str(String),
}

/// `#[pickle(...)]` on a field.
#[derive(Default)]
pub(crate) struct Field {
    pub(crate) rename: Option<Attr<String>>,
    pub(crate) skip: Option<Attr<()>>,
    pub(crate) default: Option<Attr<Default>>,
    pub(crate) with: Option<Attr<syn::Path>>,
    pub(crate) bytes: Option<Attr<()>>,
}

/// How a missing attribute is filled in on load.
pub(crate) enum Default {
    /// `default`: `Default::default()`.
    Trait,
    /// `default = "path"`: `path()`.
    Path(syn::Path),
}

const CONTAINER: &[&str] = &[
    "module",
    "name",
    "rename_all",
    "deny_unknown_fields",
    "alias",
    "transparent",
    "slots",
    "frozen_slots",
    "getnewargs",
    "state",
    "str_values",
    "dict",
];
const VARIANT: &[&str] = &["value"];
const FIELD: &[&str] = &["rename", "skip", "default", "with", "bytes"];

/// Where an attribute list was found, for messages.
#[derive(Clone, Copy)]
pub(crate) enum Place {
    Struct,
    Enum,
    Variant,
    Field,
}

impl Place {
    fn noun(self) -> &'static str {
        match self {
            Place::Struct => "a struct",
            Place::Enum => "an enum",
            Place::Variant => "a variant",
            Place::Field => "a field",
        }
    }

    fn keys(self) -> &'static [&'static str] {
        match self {
            Place::Struct | Place::Enum => CONTAINER,
            Place::Variant => VARIANT,
            Place::Field => FIELD,
        }
    }
}

/// One `key` or `key = value` inside `#[pickle(...)]`.
struct Entry {
    key: Ident,
    /// The tokens after `=`, or `None` for a bare flag.
    value: Option<TokenStream>,
    /// `key(...)`: a form none of our attributes takes.
    list: Option<TokenStream>,
}

impl Entry {
    fn name(&self) -> String {
        self.key.unraw().to_string()
    }

    fn tokens(&self) -> TokenStream {
        let key = &self.key;
        match (&self.value, &self.list) {
            (Some(value), _) => quote!(#key = #value),
            (None, Some(list)) => quote!(#key #list),
            (None, None) => quote!(#key),
        }
    }

    fn attr<T>(&self, value: T) -> Attr<T> {
        Attr {
            tokens: self.tokens(),
            value,
        }
    }
}

fn parse_entry(input: ParseStream) -> syn::Result<Entry> {
    let key = Ident::parse_any(input)?;
    if input.peek(Token![=]) {
        let eq: Token![=] = input.parse()?;
        let mut value = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![,]) {
            value.extend([input.parse::<TokenTree>()?]);
        }
        if value.is_empty() {
            return Err(syn::Error::new_spanned(
                quote!(#key #eq),
                format!("expected a value after `{key} =`"),
            ));
        }
        return Ok(Entry {
            key,
            value: Some(value),
            list: None,
        });
    }
    let list = match input.peek(syn::token::Paren) {
        true => Some(TokenStream::from(input.parse::<TokenTree>()?)),
        false => None,
    };
    Ok(Entry {
        key,
        value: None,
        list,
    })
}

/// Every entry of every `#[pickle(...)]` in `attrs`, in order.
fn entries(cx: &Ctxt, attrs: &[syn::Attribute]) -> Vec<Entry> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("pickle")) {
        let list = match &attr.meta {
            syn::Meta::List(list) => list,
            other => {
                cx.error(other, "expected `#[pickle(...)]`");
                continue;
            }
        };
        let parser = Punctuated::<Entry, Token![,]>::parse_terminated_with;
        match (|input: ParseStream| parser(input, parse_entry)).parse2(list.tokens.clone()) {
            Ok(entries) => out.extend(entries),
            Err(e) => cx.push(e),
        }
    }
    out
}

/// Records "unknown attribute", naming the place it belongs if it is ours elsewhere.
fn unknown(cx: &Ctxt, place: Place, entry: &Entry) {
    let name = entry.name();
    let home = [
        (CONTAINER, "a struct or enum"),
        (VARIANT, "an enum variant"),
        (FIELD, "a field"),
    ]
    .into_iter()
    .find(|(keys, _)| keys.contains(&name.as_str()));
    match home {
        Some((_, home)) => cx.error(
            &entry.key,
            format!(
                "`{name}` is an attribute of {home}; it cannot be used on {}",
                place.noun()
            ),
        ),
        None => cx.error(
            &entry.key,
            format!(
                "unknown pickle attribute `{name}` on {}; expected one of: {}",
                place.noun(),
                place.keys().join(", ")
            ),
        ),
    }
}

/// Stores `attr` in `slot`, or records a duplicate.
fn set<T>(cx: &Ctxt, slot: &mut Option<Attr<T>>, entry: &Entry, value: Option<T>) {
    let Some(value) = value else { return };
    if slot.is_some() {
        cx.error(
            &entry.key,
            format!("duplicate pickle attribute `{}`", entry.name()),
        );
        return;
    }
    *slot = Some(entry.attr(value));
}

/// A flag: `skip`. Anything after it is an error.
fn flag(cx: &Ctxt, entry: &Entry) -> Option<()> {
    if let Some(extra) = entry.value.as_ref().or(entry.list.as_ref()) {
        cx.error(
            extra,
            format!(
                "`{}` takes no value; write `#[pickle({})]`",
                entry.name(),
                entry.name()
            ),
        );
    }
    Some(())
}

/// `key = "text"`, where `example` shows what the text holds.
fn string_like(cx: &Ctxt, entry: &Entry, example: &str) -> Option<LitStr> {
    let name = entry.name();
    match (&entry.value, &entry.list) {
        (Some(value), _) => match syn::parse2::<LitStr>(value.clone()) {
            Ok(lit) => Some(lit),
            Err(_) => {
                cx.error(
                    value,
                    format!("expected a string literal, as in `{name} = \"{example}\"`"),
                );
                None
            }
        },
        (None, Some(list)) => {
            cx.error(list, format!("expected `{name} = \"{example}\"`"));
            None
        }
        (None, None) => {
            cx.error(
                &entry.key,
                format!("`{name}` needs a value: `{name} = \"{example}\"`"),
            );
            None
        }
    }
}

/// `key = "a::path"`.
fn path(cx: &Ctxt, entry: &Entry) -> Option<syn::Path> {
    let example = match entry.name().as_str() {
        "default" => "path::to::function",
        _ => "path::to::module",
    };
    let lit = string_like(cx, entry, example)?;
    match lit.parse::<syn::Path>() {
        Ok(path) => Some(path),
        Err(_) => {
            cx.error(
                &lit,
                format!(
                    "`{}` must name a Rust path, as in `{} = \"{example}\"`",
                    entry.name(),
                    entry.name()
                ),
            );
            None
        }
    }
}

/// A module or qualname: dotted Python names, no blanks.
fn dotted(cx: &Ctxt, lit: &LitStr, what: &str) -> Option<String> {
    let text = lit.value();
    if text.is_empty() || text.split('.').any(str::is_empty) {
        cx.error(
            lit,
            format!("the {what} must be non-empty dotted names, such as \"a.b\""),
        );
        return None;
    }
    if text.chars().any(char::is_whitespace) {
        cx.error(lit, format!("the {what} cannot contain whitespace"));
        return None;
    }
    Some(text)
}

/// `alias = "module.Name"`, or `"pkg.module:Outer.Inner"` when the qualname is dotted.
fn class_name(cx: &Ctxt, lit: &LitStr) -> Option<ClassName> {
    let text = lit.value();
    let split = match text.split_once(':') {
        Some(parts) => Some(parts),
        None => text.rsplit_once('.'),
    };
    let Some((module, qualname)) = split else {
        cx.error(
            lit,
            "an alias names a class as \"module.Name\" (or \"module:Outer.Inner\" for a nested class)",
        );
        return None;
    };
    let module = dotted(cx, &LitStr::new(module, lit.span()), "alias's module")?;
    let qualname = dotted(cx, &LitStr::new(qualname, lit.span()), "alias's class name")?;
    Some(ClassName { module, qualname })
}

fn value(cx: &Ctxt, entry: &Entry) -> Option<Value> {
    let Some(tokens) = &entry.value else {
        cx.error(
            entry.tokens(),
            "`value` needs a value: `value = \"...\"` or `value = 3`",
        );
        return None;
    };
    let parsed = (|input: ParseStream| {
        let negative = input.parse::<Option<Token![-]>>()?.is_some();
        let lit: syn::Lit = input.parse()?;
        Ok((negative, lit))
    })
    .parse2(tokens.clone());
    let wrong = || {
        cx.error(
            tokens,
            "expected the member's value: a string literal (with `str_values`) or an integer",
        )
    };
    match parsed {
        Ok((false, syn::Lit::Str(s))) => Some(Value::Str(s.value())),
        Ok((negative, syn::Lit::Int(i))) => {
            let digits = format!("{}{}", if negative { "-" } else { "" }, i.base10_digits());
            match digits.parse::<i64>() {
                Ok(n) => Some(Value::Int(n)),
                Err(_) => {
                    cx.error(tokens, "the value must fit in an i64");
                    None
                }
            }
        }
        _ => {
            wrong();
            None
        }
    }
}

impl Container {
    pub(crate) fn parse(cx: &Ctxt, place: Place, attrs: &[syn::Attribute]) -> Container {
        let mut c = Container::default();
        for entry in entries(cx, attrs) {
            match entry.name().as_str() {
                "module" => {
                    let v = string_like(cx, &entry, "package.module")
                        .and_then(|lit| dotted(cx, &lit, "module"));
                    set(cx, &mut c.module, &entry, v);
                }
                "name" => {
                    let v = string_like(cx, &entry, "ClassName")
                        .and_then(|lit| dotted(cx, &lit, "class name"));
                    set(cx, &mut c.name, &entry, v);
                }
                "rename_all" => {
                    let v = string_like(cx, &entry, "camelCase").and_then(|lit| {
                        let rule = RenameRule::from_name(&lit.value());
                        if rule.is_none() {
                            cx.error(
                                &lit,
                                format!(
                                    "unknown case convention; expected one of: {}",
                                    RenameRule::names()
                                ),
                            );
                        }
                        rule
                    });
                    set(cx, &mut c.rename_all, &entry, v);
                }
                "alias" => {
                    let lit = string_like(cx, &entry, "module.Name");
                    if let Some(class) = lit.and_then(|lit| class_name(cx, &lit)) {
                        c.alias.push(entry.attr(class));
                    }
                }
                "state" => {
                    let v = path(cx, &entry);
                    set(cx, &mut c.state, &entry, v);
                }
                "deny_unknown_fields" => {
                    set(cx, &mut c.deny_unknown_fields, &entry, flag(cx, &entry))
                }
                "transparent" => set(cx, &mut c.transparent, &entry, flag(cx, &entry)),
                "slots" => set(cx, &mut c.slots, &entry, flag(cx, &entry)),
                "frozen_slots" => set(cx, &mut c.frozen_slots, &entry, flag(cx, &entry)),
                "getnewargs" => set(cx, &mut c.getnewargs, &entry, flag(cx, &entry)),
                "str_values" => set(cx, &mut c.str_values, &entry, flag(cx, &entry)),
                "dict" => set(cx, &mut c.dict, &entry, flag(cx, &entry)),
                _ => unknown(cx, place, &entry),
            }
        }
        c
    }

    /// The class written: `module` (default `__main__`) and `name` (default the Rust name).
    pub(crate) fn class(&self, ident: &Ident) -> ClassName {
        ClassName {
            module: self
                .module
                .as_ref()
                .map_or_else(|| "__main__".to_owned(), |m| m.value.clone()),
            qualname: self
                .name
                .as_ref()
                .map_or_else(|| ident.unraw().to_string(), |n| n.value.clone()),
        }
    }
}

impl Variant {
    pub(crate) fn parse(cx: &Ctxt, attrs: &[syn::Attribute]) -> Variant {
        let mut v = Variant::default();
        for entry in entries(cx, attrs) {
            match entry.name().as_str() {
                "value" => {
                    let parsed = value(cx, &entry);
                    set(cx, &mut v.value, &entry, parsed);
                }
                _ => unknown(cx, Place::Variant, &entry),
            }
        }
        v
    }
}

impl Field {
    pub(crate) fn parse(cx: &Ctxt, attrs: &[syn::Attribute]) -> Field {
        let mut f = Field::default();
        for entry in entries(cx, attrs) {
            match entry.name().as_str() {
                "rename" => {
                    let v = string_like(cx, &entry, "python_name").and_then(|lit| {
                        let text = lit.value();
                        if text.is_empty() {
                            cx.error(&lit, "an attribute name cannot be empty");
                            return None;
                        }
                        Some(text)
                    });
                    set(cx, &mut f.rename, &entry, v);
                }
                "default" => {
                    let v = match entry.value {
                        None if entry.list.is_none() => Some(Default::Trait),
                        _ => path(cx, &entry).map(Default::Path),
                    };
                    set(cx, &mut f.default, &entry, v);
                }
                "with" => {
                    let v = path(cx, &entry);
                    set(cx, &mut f.with, &entry, v);
                }
                "skip" => set(cx, &mut f.skip, &entry, flag(cx, &entry)),
                "bytes" => set(cx, &mut f.bytes, &entry, flag(cx, &entry)),
                _ => unknown(cx, Place::Field, &entry),
            }
        }
        f
    }

    /// Every attribute present, by name, for "has no effect here" errors.
    pub(crate) fn present(&self) -> Vec<(&'static str, TokenStream)> {
        let all: [(&str, Option<TokenStream>); 5] = [
            (
                "rename",
                self.rename.as_ref().map(ToTokens::to_token_stream),
            ),
            ("skip", self.skip.as_ref().map(ToTokens::to_token_stream)),
            (
                "default",
                self.default.as_ref().map(ToTokens::to_token_stream),
            ),
            ("with", self.with.as_ref().map(ToTokens::to_token_stream)),
            ("bytes", self.bytes.as_ref().map(ToTokens::to_token_stream)),
        ];
        all.into_iter()
            .filter_map(|(name, tokens)| Some((name, tokens?)))
            .collect()
    }
}
