//! Meaning checks: attribute combinations that parse but make no sense.
//!
//! Each error points at the user's token that is wrong (usually the
//! attribute that has no effect) and says what would work instead. All
//! checks run, so every mistake is reported in one compile.

use std::collections::HashMap;

use quote::ToTokens;

use crate::ast::{Enum, EnumKind, Field, Input, Shape, Struct, Style};
use crate::attr::{self, Attr, Value};
use crate::ctxt::Ctxt;

pub(crate) fn check(cx: &Ctxt, input: &Input) {
    match input {
        Input::Struct(s) => check_struct(cx, s),
        Input::Enum(e) => check_enum(cx, e),
    }
}

fn no_effect(cx: &Ctxt, name: &str, at: impl ToTokens, why: &str) {
    cx.error(at, format!("`{name}` has no effect {why}"));
}

fn check_struct(cx: &Ctxt, s: &Struct) {
    let a = &s.attrs;
    // The attributes that each decide the shape; at most one may be given.
    let shapes: Vec<(&str, proc_macro2::TokenStream)> = [
        (
            "transparent",
            a.transparent.as_ref().map(ToTokens::to_token_stream),
        ),
        ("state", a.state.as_ref().map(ToTokens::to_token_stream)),
        ("slots", a.slots.as_ref().map(ToTokens::to_token_stream)),
        (
            "frozen_slots",
            a.frozen_slots.as_ref().map(ToTokens::to_token_stream),
        ),
        (
            "getnewargs",
            a.getnewargs.as_ref().map(ToTokens::to_token_stream),
        ),
    ]
    .into_iter()
    .filter_map(|(name, at)| Some((name, at?)))
    .collect();
    if let Some(dict) = &a.dict {
        check_plain_dict_attrs(cx, s, &shapes);
        if s.style != Style::Named {
            cx.error(
                dict,
                "`dict` needs a struct with named fields: the field names are the dict's keys",
            );
        }
    } else if let Some((first, _)) = shapes.first() {
        for (name, at) in &shapes[1..] {
            cx.error(
                at,
                format!("`{name}` cannot be combined with `{first}`: each decides how the instance is written"),
            );
        }
    }
    if let Some(sv) = &a.str_values {
        cx.error(sv, "`str_values` is for C-like enums, not structs");
    }
    if !matches!(s.shape(), Shape::Transparent | Shape::PlainDict) {
        check_aliases(cx, &a.alias, &s.classes()[0]);
    }

    match s.shape() {
        Shape::Transparent => {
            let why = "on a transparent struct, which pickles as its field";
            for (name, at) in [
                ("module", a.module.as_ref().map(ToTokens::to_token_stream)),
                ("name", a.name.as_ref().map(ToTokens::to_token_stream)),
                (
                    "rename_all",
                    a.rename_all.as_ref().map(ToTokens::to_token_stream),
                ),
                (
                    "deny_unknown_fields",
                    a.deny_unknown_fields
                        .as_ref()
                        .map(ToTokens::to_token_stream),
                ),
            ] {
                if let Some(at) = at {
                    no_effect(cx, name, at, why);
                }
            }
            for alias in &a.alias {
                no_effect(cx, "alias", alias, why);
            }
            let written = s.written().count();
            if written != 1 {
                cx.error(
                    a.transparent.as_ref().unwrap(),
                    format!("`transparent` needs exactly one field that is not skipped; this struct has {written}"),
                );
            }
            for f in s.written() {
                let why = "on the field of a transparent struct";
                if let Some(r) = &f.attrs.rename {
                    no_effect(cx, "rename", r, why);
                }
                if let Some(d) = &f.attrs.default {
                    no_effect(cx, "default", d, why);
                }
            }
        }
        Shape::State(_) => {
            let why = "with `state`: the state module reads and writes the fields";
            if let Some(r) = &a.rename_all {
                no_effect(cx, "rename_all", r, why);
            }
            if let Some(d) = &a.deny_unknown_fields {
                no_effect(cx, "deny_unknown_fields", d, why);
            }
            for f in &s.fields {
                for (name, at) in f.attrs.present() {
                    no_effect(cx, name, at, why);
                }
            }
        }
        Shape::Slots => {
            if s.style != Style::Named {
                cx.error(
                    a.slots.as_ref().unwrap(),
                    "`slots` needs a struct with named fields: each field is a slot",
                );
            }
        }
        Shape::FrozenSlots => {
            if s.style != Style::Named {
                cx.error(
                    a.frozen_slots.as_ref().unwrap(),
                    "`frozen_slots` needs a struct with named fields: each field is a dataclass field",
                );
            }
        }
        Shape::Args => {
            let why = if a.getnewargs.is_some() {
                "with `getnewargs`: the fields are constructor arguments, not attributes"
            } else {
                "on a tuple struct: its fields are constructor arguments, not attributes"
            };
            if s.style == Style::Unit {
                if let Some(g) = &a.getnewargs {
                    cx.error(g, "`getnewargs` needs fields to pass to the constructor");
                }
            }
            if let Some(r) = &a.rename_all {
                no_effect(cx, "rename_all", r, why);
            }
            if let Some(d) = &a.deny_unknown_fields {
                no_effect(cx, "deny_unknown_fields", d, why);
            }
            for f in &s.fields {
                if let Some(r) = &f.attrs.rename {
                    no_effect(cx, "rename", r, why);
                }
                if let Some(d) = &f.attrs.default {
                    if f.attrs.skip.is_none() {
                        no_effect(cx, "default", d, why);
                    }
                }
            }
        }
        // Checked above, with the other attributes `dict` conflicts with.
        Shape::PlainDict => {}
        Shape::Dict => {
            if s.style == Style::Unit {
                if let Some(r) = &a.rename_all {
                    no_effect(cx, "rename_all", r, "on a unit struct, which has no fields");
                }
            }
        }
    }

    if !matches!(s.shape(), Shape::State(_)) {
        for f in &s.fields {
            check_field(cx, f);
        }
    }
    if matches!(
        s.shape(),
        Shape::Dict | Shape::Slots | Shape::FrozenSlots | Shape::PlainDict
    ) {
        let what = match s.shape() {
            Shape::PlainDict => "key",
            _ => "attribute",
        };
        let mut seen: HashMap<&str, ()> = HashMap::new();
        for f in s.written() {
            if seen.insert(&f.name, ()).is_some() {
                let at = match &f.attrs.rename {
                    Some(r) => r.to_token_stream(),
                    None => f.original.ident.to_token_stream(),
                };
                cx.error(
                    at,
                    format!(
                        "another field is already pickled as the {what} `{}`",
                        f.name
                    ),
                );
            }
        }
    }
}

/// `dict`: the struct is a plain Python dict, so nothing that describes a
/// class or an instance applies. `shapes` are the other shape attributes given.
fn check_plain_dict_attrs(cx: &Ctxt, s: &Struct, shapes: &[(&str, proc_macro2::TokenStream)]) {
    let a = &s.attrs;
    for (name, at) in shapes {
        cx.error(
            at,
            format!(
                "`{name}` cannot be combined with `dict`: the struct pickles as a plain dict, \
                 not as an instance of a class"
            ),
        );
    }
    let why = "with `dict`: the struct pickles as a plain dict, which has no class";
    for (name, at) in [
        ("module", a.module.as_ref().map(ToTokens::to_token_stream)),
        ("name", a.name.as_ref().map(ToTokens::to_token_stream)),
    ] {
        if let Some(at) = at {
            no_effect(cx, name, at, why);
        }
    }
    for alias in &a.alias {
        no_effect(cx, "alias", alias, why);
    }
}

/// Conflicts within one field's attributes.
fn check_field(cx: &Ctxt, f: &Field) {
    let a = &f.attrs;
    if a.skip.is_some() {
        let why = "on a skipped field, which is not pickled";
        if let Some(r) = &a.rename {
            no_effect(cx, "rename", r, why);
        }
        if let Some(w) = &a.with {
            no_effect(cx, "with", w, why);
        }
        if let Some(b) = &a.bytes {
            no_effect(cx, "bytes", b, why);
        }
    }
    if let (Some(_), Some(b)) = (&a.with, &a.bytes) {
        cx.error(
            b,
            "`bytes` cannot be combined with `with`: both decide how the field is written",
        );
    }
}

fn check_aliases(cx: &Ctxt, aliases: &[Attr<attr::ClassName>], own: &attr::ClassName) {
    for (i, alias) in aliases.iter().enumerate() {
        if alias.value == *own {
            cx.error(
                alias,
                "this alias names the class itself, which is always accepted",
            );
        } else if aliases[..i].iter().any(|a| a.value == alias.value) {
            cx.error(
                alias,
                format!(
                    "duplicate alias `{}.{}`",
                    alias.value.module, alias.value.qualname
                ),
            );
        }
    }
}

fn check_enum(cx: &Ctxt, e: &Enum) {
    let a = &e.attrs;
    for (name, at) in [
        (
            "transparent",
            a.transparent.as_ref().map(ToTokens::to_token_stream),
        ),
        ("slots", a.slots.as_ref().map(ToTokens::to_token_stream)),
        (
            "frozen_slots",
            a.frozen_slots.as_ref().map(ToTokens::to_token_stream),
        ),
        (
            "getnewargs",
            a.getnewargs.as_ref().map(ToTokens::to_token_stream),
        ),
        ("state", a.state.as_ref().map(ToTokens::to_token_stream)),
        ("dict", a.dict.as_ref().map(ToTokens::to_token_stream)),
        (
            "deny_unknown_fields",
            a.deny_unknown_fields
                .as_ref()
                .map(ToTokens::to_token_stream),
        ),
    ] {
        if let Some(at) = at {
            cx.error(at, format!("`{name}` applies to structs, not enums"));
        }
    }
    if e.variants.is_empty() {
        cx.error(
            e.ident,
            "an enum with no variants has no Python value; #[derive(Pickle)] needs at least one variant",
        );
        return;
    }
    match e.kind() {
        EnumKind::Members => check_members(cx, e),
        EnumKind::Polymorphic => check_polymorphic(cx, e),
    }
}

/// A C-like enum: members of a Python `enum.Enum`.
fn check_members(cx: &Ctxt, e: &Enum) {
    let a = &e.attrs;
    check_aliases(cx, &a.alias, &e.classes()[0]);
    let str_values = a.str_values.is_some();
    if !str_values {
        if let Some(r) = &a.rename_all {
            cx.error(
                r,
                "`rename_all` names the values of a `str_values` enum; add `#[pickle(str_values)]`, or remove it for int values",
            );
        }
    }
    for v in &e.variants {
        match (&v.attrs.value, str_values) {
            (Some(attr @ Attr { value: Value::Str(_), .. }), false) => cx.error(
                attr,
                "a string value needs `#[pickle(str_values)]` on the enum; without it, members are ints",
            ),
            (Some(attr @ Attr { value: Value::Int(_), .. }), true) => cx.error(
                attr,
                "this enum has `str_values`: its members' values are strings, as in `value = \"red\"`",
            ),
            _ => {}
        }
    }
    // Two variants with one value would load as whichever comes first.
    let values = member_values(e);
    for (i, (v, value)) in e.variants.iter().zip(&values).enumerate() {
        let Some(value) = value else { continue };
        if values[..i]
            .iter()
            .any(|earlier| earlier.as_ref() == Some(value))
        {
            let shown = match value {
                Value::Int(n) => n.to_string(),
                Value::Str(s) => format!("{s:?}"),
            };
            let at = match &v.attrs.value {
                Some(attr) => attr.to_token_stream(),
                None => v.ident.to_token_stream(),
            };
            cx.error(at, format!("another variant already has the value {shown}"));
        }
    }
}

/// Each member's Python value where the macro can know it: `value`,
/// `rename_all`, or a literal (or implicit) discriminant.
pub(crate) fn member_values(e: &Enum) -> Vec<Option<Value>> {
    let rule = e.attrs.rename_all.as_ref().map(|r| r.value);
    let mut next: Option<i64> = Some(0);
    e.variants
        .iter()
        .map(|v| {
            let discriminant = match &v.original.discriminant {
                None => next,
                Some((_, expr)) => literal_int(expr),
            };
            next = discriminant.and_then(|d| d.checked_add(1));
            match (&v.attrs.value, e.attrs.str_values.is_some()) {
                (Some(attr), _) => Some(attr.value.clone()),
                (None, true) => Some(Value::Str(match rule {
                    Some(rule) => rule.apply_to_variant(&v.ident.to_string()),
                    None => v.ident.to_string(),
                })),
                (None, false) => discriminant.map(Value::Int),
            }
        })
        .collect()
}

fn literal_int(expr: &syn::Expr) -> Option<i64> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => literal_int(expr).and_then(i64::checked_neg),
        syn::Expr::Group(g) => literal_int(&g.expr),
        syn::Expr::Paren(p) => literal_int(&p.expr),
        _ => None,
    }
}

/// An enum whose variants each hold one value of a class type.
fn check_polymorphic(cx: &Ctxt, e: &Enum) {
    let a = &e.attrs;
    let why = "on an enum of class types, which pickles as its variants' values";
    for (name, at) in [
        ("module", a.module.as_ref().map(ToTokens::to_token_stream)),
        ("name", a.name.as_ref().map(ToTokens::to_token_stream)),
        (
            "rename_all",
            a.rename_all.as_ref().map(ToTokens::to_token_stream),
        ),
        (
            "str_values",
            a.str_values.as_ref().map(ToTokens::to_token_stream),
        ),
    ] {
        if let Some(at) = at {
            no_effect(cx, name, at, why);
        }
    }
    for alias in &a.alias {
        no_effect(cx, "alias", alias, why);
    }
    let units = e.variants.iter().filter(|v| v.style == Style::Unit).count();
    // Mostly unit variants: the user meant a C-like enum, and the variants with data are the mistake.
    let meant_members = units * 2 > e.variants.len();
    for v in &e.variants {
        let ident = v.ident;
        match (v.style, v.fields.len()) {
            (Style::Unit, _) if !meant_members => cx.error(
                ident,
                format!(
                    "`{ident}` has no value, but the other variants each hold one: in an enum of class types, \
                     every variant holds one value, as in `Circle(Circle)`; in a C-like enum (a Python \
                     `enum.Enum`), none does"
                ),
            ),
            (Style::Unit, _) => {}
            _ if meant_members => cx.error(
                &v.original.fields,
                format!(
                    "a C-like enum maps to a Python `enum.Enum`, whose members hold no data; \
                     `{ident}` has fields (an enum of class types needs every variant to hold one value)"
                ),
            ),
            (Style::Named, _) => cx.error(
                &v.original.fields,
                format!(
                    "a variant of an enum of class types holds one value, as in `{ident}({ident})`; \
                     move these fields into a struct"
                ),
            ),
            (Style::Tuple, 1) => {}
            (Style::Tuple, n) => cx.error(
                &v.original.fields,
                format!("a variant of an enum of class types holds exactly one value; `{ident}` holds {n}"),
            ),
        }
        if let Some(value) = &v.attrs.value {
            cx.error(value, "`value` is for the members of a C-like enum");
        }
        for f in &v.fields {
            for (name, at) in f.attrs.present() {
                no_effect(
                    cx,
                    name,
                    at,
                    "on a variant's value: it is pickled as itself",
                );
            }
        }
    }
}
