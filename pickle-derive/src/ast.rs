//! The derive input as we see it: a struct with fields or an enum with
//! variants, each carrying its parsed `#[pickle(...)]` attributes.

use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Index, Member, Type};

use crate::attr::{self, ClassName, Place};
use crate::ctxt::Ctxt;

pub(crate) enum Input<'a> {
    Struct(Struct<'a>),
    Enum(Enum<'a>),
}

pub(crate) struct Struct<'a> {
    pub(crate) attrs: attr::Container,
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) style: Style,
    pub(crate) fields: Vec<Field<'a>>,
}

pub(crate) struct Enum<'a> {
    pub(crate) attrs: attr::Container,
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) variants: Vec<Variant<'a>>,
}

pub(crate) struct Variant<'a> {
    pub(crate) original: &'a syn::Variant,
    pub(crate) attrs: attr::Variant,
    pub(crate) ident: &'a Ident,
    pub(crate) style: Style,
    pub(crate) fields: Vec<Field<'a>>,
}

pub(crate) struct Field<'a> {
    pub(crate) original: &'a syn::Field,
    pub(crate) attrs: attr::Field,
    pub(crate) member: Member,
    pub(crate) ty: &'a Type,
    /// The Python attribute name: `rename`, else the Rust name under `rename_all`.
    pub(crate) name: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `{ a: T }`
    Named,
    /// `(T)`
    Tuple,
    /// no fields
    Unit,
}

/// How a struct is pickled, decided by its attributes and its fields.
pub(crate) enum Shape<'a> {
    /// `transparent`: as its one field.
    Transparent,
    /// `state = "path"`: NEWOBJ, then the state the user's module writes, BUILD.
    State(&'a syn::Path),
    /// Tuple structs and `getnewargs`: the fields are NEWOBJ's arguments; no BUILD.
    Args,
    /// `slots`: NEWOBJ, then `(None, {slots})`, BUILD.
    Slots,
    /// `frozen_slots`: NEWOBJ, then the list of field values that
    /// `@dataclass(frozen=True, slots=True)`'s `__getstate__` returns, BUILD.
    FrozenSlots,
    /// Named and unit structs: NEWOBJ, then the `__dict__`, BUILD (none when it is empty).
    Dict,
    /// `dict`: no instance, no class; a plain `dict` of the fields.
    PlainDict,
}

/// What a C-like enum pickles as, versus an enum of class types.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnumKind {
    /// Every variant is a unit: a Python `enum.Enum` member.
    Members,
    /// Variants hold one value each: pickled as that value.
    Polymorphic,
}

impl<'a> Input<'a> {
    /// Parses the input and all of its attributes. Attribute mistakes are
    /// recorded in `cx`; `None` only for inputs we cannot describe at all.
    pub(crate) fn from_syn(cx: &Ctxt, node: &'a DeriveInput) -> Option<Input<'a>> {
        match &node.data {
            Data::Struct(data) => {
                let attrs = attr::Container::parse(cx, Place::Struct, &node.attrs);
                let rule = attrs.rename_all.as_ref().map(|r| r.value);
                let fields = Field::all(cx, &data.fields, rule);
                Some(Input::Struct(Struct {
                    attrs,
                    ident: &node.ident,
                    generics: &node.generics,
                    style: Style::of(&data.fields),
                    fields,
                }))
            }
            Data::Enum(data) => {
                let attrs = attr::Container::parse(cx, Place::Enum, &node.attrs);
                let variants = data
                    .variants
                    .iter()
                    .map(|v| Variant {
                        original: v,
                        attrs: attr::Variant::parse(cx, &v.attrs),
                        ident: &v.ident,
                        style: Style::of(&v.fields),
                        fields: Field::all(cx, &v.fields, None),
                    })
                    .collect();
                Some(Input::Enum(Enum {
                    attrs,
                    ident: &node.ident,
                    generics: &node.generics,
                    variants,
                }))
            }
            Data::Union(data) => {
                cx.error(
                    data.union_token,
                    "#[derive(Pickle)] does not support unions; use a struct or an enum",
                );
                None
            }
        }
    }
}

impl Style {
    fn of(fields: &Fields) -> Style {
        match fields {
            Fields::Named(_) => Style::Named,
            Fields::Unnamed(_) => Style::Tuple,
            Fields::Unit => Style::Unit,
        }
    }
}

impl Struct<'_> {
    pub(crate) fn shape(&self) -> Shape<'_> {
        let a = &self.attrs;
        if a.dict.is_some() {
            Shape::PlainDict
        } else if a.transparent.is_some() {
            Shape::Transparent
        } else if let Some(state) = &a.state {
            Shape::State(&state.value)
        } else if a.slots.is_some() {
            Shape::Slots
        } else if a.frozen_slots.is_some() {
            Shape::FrozenSlots
        } else if a.getnewargs.is_some() || self.style == Style::Tuple {
            Shape::Args
        } else {
            Shape::Dict
        }
    }

    /// The class written, then each alias: every class this struct loads from.
    pub(crate) fn classes(&self) -> Vec<ClassName> {
        classes(&self.attrs, self.ident)
    }

    /// The fields that are pickled, in order.
    pub(crate) fn written(&self) -> impl Iterator<Item = &Field<'_>> {
        self.fields.iter().filter(|f| f.attrs.skip.is_none())
    }
}

impl Enum<'_> {
    pub(crate) fn kind(&self) -> EnumKind {
        if self.variants.iter().all(|v| v.style == Style::Unit) {
            EnumKind::Members
        } else {
            EnumKind::Polymorphic
        }
    }

    pub(crate) fn classes(&self) -> Vec<ClassName> {
        classes(&self.attrs, self.ident)
    }
}

fn classes(attrs: &attr::Container, ident: &Ident) -> Vec<ClassName> {
    let mut all = vec![attrs.class(ident)];
    all.extend(attrs.alias.iter().map(|a| a.value.clone()));
    all
}

impl<'a> Field<'a> {
    fn all(cx: &Ctxt, fields: &'a Fields, rule: Option<crate::case::RenameRule>) -> Vec<Field<'a>> {
        fields
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let attrs = attr::Field::parse(cx, &field.attrs);
                let (member, rust_name) = match &field.ident {
                    Some(ident) => (Member::Named(ident.clone()), ident.unraw().to_string()),
                    None => (Member::Unnamed(Index::from(i)), i.to_string()),
                };
                let name = match (&attrs.rename, rule) {
                    (Some(rename), _) => rename.value.clone(),
                    (None, Some(rule)) => rule.apply_to_field(&rust_name),
                    (None, None) => rust_name,
                };
                Field {
                    original: field,
                    attrs,
                    member,
                    ty: &field.ty,
                    name,
                }
            })
            .collect()
    }
}
