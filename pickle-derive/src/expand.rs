//! The impls: `ToPickle` (which Writer calls make the Python object),
//! `FromPickle` (which parts of a loaded instance become which fields), and
//! `PickleClass` (the classes a type reads, for enums that dispatch on them).
//!
//! Everything is wrapped in `const _: () = { ... };` and reaches the runtime
//! only through `::pickle::__private`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::{Generics, Ident};

use crate::ast::{Enum, EnumKind, Field, Input, Shape, Struct};
use crate::attr::{self, ClassName, Value};
use crate::bound::{de_lifetime, runtime, with_bound, with_de, with_type_bound};

pub(crate) fn expand(input: &Input) -> TokenStream {
    let items = match input {
        Input::Struct(s) => expand_struct(s),
        Input::Enum(e) => match e.kind() {
            EnumKind::Members => expand_members(e),
            EnumKind::Polymorphic => expand_polymorphic(e),
        },
    };
    wrap_in_const(items)
}

/// Keeps every generated item out of the user's namespace.
pub(crate) fn wrap_in_const(items: TokenStream) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[allow(unused_qualifications, non_local_definitions)]
        const _: () = {
            #items
        };
    }
}

/// The pieces every impl of one type shares.
struct Impls<'a> {
    ident: &'a Ident,
    generics: &'a Generics,
    /// The Rust name, for error messages.
    rust: String,
}

impl Impls<'_> {
    fn impl_to_pickle(&self, generics: &Generics, body: TokenStream) -> TokenStream {
        let rt = runtime();
        let ident = self.ident;
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let (_, ty_generics, _) = self.generics.split_for_impl();
        quote! {
            #[automatically_derived]
            impl #impl_generics #rt::ToPickle for #ident #ty_generics #where_clause {
                fn to_pickle<__W: #rt::Write>(
                    &self,
                    __w: &mut #rt::Writer<'_, __W>,
                ) -> #rt::Result<()> {
                    #body
                }
            }
        }
    }

    fn impl_from_pickle(
        &self,
        generics: &Generics,
        body: TokenStream,
        direct: TokenStream,
    ) -> TokenStream {
        let rt = runtime();
        let ident = self.ident;
        let de = de_lifetime(self.generics);
        let with_de = with_de(generics, &de);
        let (impl_generics, _, where_clause) = with_de.split_for_impl();
        let (_, ty_generics, _) = self.generics.split_for_impl();
        quote! {
            #[automatically_derived]
            impl #impl_generics #rt::FromPickle<#de> for #ident #ty_generics #where_clause {
                fn from_pickle(__node: #rt::Node<'_, #de>) -> #rt::Result<Self> {
                    #body
                }

                #direct
            }
        }
    }

    fn impl_pickle_class(&self, classes: &[ClassName]) -> TokenStream {
        let rt = runtime();
        let ident = self.ident;
        let (impl_generics, ty_generics, where_clause) = self.generics.split_for_impl();
        let classes = classes.iter().map(|c| {
            let (m, q) = (&c.module, &c.qualname);
            quote!((#m, #q))
        });
        quote! {
            #[automatically_derived]
            impl #impl_generics #rt::PickleClass for #ident #ty_generics #where_clause {
                const CLASSES: &'static [#rt::Class] = &[#(#classes),*];
            }
        }
    }

    fn de_bound(&self) -> TokenStream {
        let rt = runtime();
        let de = de_lifetime(self.generics);
        quote!(#rt::FromPickle<#de>)
    }
}

/// A closure for a `Writer` container method: item `i` is `items[i]`.
fn indexed(items: &[TokenStream]) -> TokenStream {
    match items {
        [] => quote!(|_, _| ::core::result::Result::Ok(())),
        [only] => quote!(|__w, _| { #only }),
        [init @ .., last] => {
            let i = (0..init.len()).map(Literal::usize_unsuffixed);
            quote! {
                |__w, __i| match __i {
                    #(#i => { #init })*
                    _ => { #last }
                }
            }
        }
    }
}

/// Writes the field `value` (an expression of type `&T`) as one object.
fn write_field(f: &Field, value: TokenStream) -> TokenStream {
    let rt = runtime();
    match (&f.attrs.with, &f.attrs.bytes) {
        (Some(with), _) => {
            let path = &with.value;
            quote!(#path::to_pickle(#value, __w))
        }
        (None, Some(_)) => quote!(#rt::bytes::to_pickle(#value, __w)),
        (None, None) => quote!(#rt::ToPickle::to_pickle(#value, __w)),
    }
}

/// Reads the field from `node` (a `Node`), wrapping any error with the
/// field's place: `Point.x: expected int, found str`.
fn read_field(rust: &str, f: &Field, node: TokenStream) -> TokenStream {
    let rt = runtime();
    let read = match (&f.attrs.with, &f.attrs.bytes) {
        (Some(with), _) => {
            let path = &with.value;
            quote!(#path::from_pickle(#node))
        }
        (None, Some(_)) => quote!(#rt::bytes::from_pickle(#node)),
        // `extract`, not `from_pickle`: it keeps the read's shared objects and depth.
        (None, None) => quote!(#node.extract()),
    };
    let field = match &f.member {
        syn::Member::Named(ident) => ident.unraw().to_string(),
        syn::Member::Unnamed(index) => index.index.to_string(),
    };
    quote!(#read.map_err(|__e| __e.in_field(#rust, #field))?)
}

/// The function that makes the field's value when it is skipped or missing.
fn default_fn(f: &Field) -> TokenStream {
    match f.attrs.default.as_ref().map(|d| &d.value) {
        Some(attr::Default::Path(path)) => quote!(#path),
        _ => quote!(::core::default::Default::default),
    }
}

/// Whether the field's own type must implement `ToPickle`/`FromPickle`.
fn uses_trait(f: &Field) -> bool {
    f.attrs.skip.is_none() && f.attrs.with.is_none() && f.attrs.bytes.is_none()
}

/// Whether the field is filled by `Default::default()`.
fn uses_default(f: &Field) -> bool {
    let trait_default = !matches!(
        f.attrs.default.as_ref().map(|d| &d.value),
        Some(attr::Default::Path(_))
    );
    trait_default && (f.attrs.skip.is_some() || f.attrs.default.is_some())
}

fn expand_struct(s: &Struct) -> TokenStream {
    let rt = runtime();
    let impls = Impls {
        ident: s.ident,
        generics: s.generics,
        rust: s.ident.unraw().to_string(),
    };
    let rust = &impls.rust;
    let shape = s.shape();
    let classes = s.classes();
    let ClassName { module, qualname } = &classes[0];

    let (ser_generics, de_generics) = match shape {
        // The user's module takes the fields as they are.
        Shape::State(_) => (s.generics.clone(), s.generics.clone()),
        _ => {
            let traited = || s.fields.iter().filter(|f| uses_trait(f)).map(|f| f.ty);
            let ser = with_bound(s.generics, traited(), &quote!(#rt::ToPickle));
            let de = with_bound(s.generics, traited(), &impls.de_bound());
            let defaulted = s.fields.iter().filter(|f| uses_default(f)).map(|f| f.ty);
            let de = with_type_bound(de, defaulted, &quote!(::core::default::Default));
            (ser, de)
        }
    };

    let written: Vec<&Field> = s.written().collect();
    let names: Vec<&str> = written.iter().map(|f| f.name.as_str()).collect();
    // `Self { a: ..., b: ... }`, skipped fields from their default.
    let construct = |read: &dyn Fn(usize, &Field) -> TokenStream| {
        let mut position = 0;
        let inits = s.fields.iter().map(|f| {
            let member = &f.member;
            if f.attrs.skip.is_some() {
                let default = default_fn(f);
                quote!(#member: #default())
            } else {
                position += 1;
                let value = read(position - 1, f);
                quote!(#member: #value)
            }
        });
        let inits: Vec<TokenStream> = inits.collect();
        quote!(::core::result::Result::Ok(Self { #(#inits),* }))
    };
    let class_const = quote!(<Self as #rt::PickleClass>::CLASSES);

    let (ser, de) = match shape {
        Shape::Transparent => {
            let f = written[0];
            let member = &f.member;
            let ser = write_field(f, quote!(&self.#member));
            (ser, construct(&|_, f| read_field(rust, f, quote!(__node))))
        }
        Shape::State(path) => {
            let ser = quote! {
                __w.write_newobj(#module, #qualname, 0, |_, _| ::core::result::Result::Ok(()))?;
                #path::get_state(self, __w)?;
                __w.write_build()
            };
            let de = quote! {
                #path::set_state(#rt::expect_state(&__node.expect_instance(#class_const)?)?)
            };
            (ser, de)
        }
        Shape::Args => {
            let args: Vec<TokenStream> = written
                .iter()
                .map(|f| {
                    let member = &f.member;
                    write_field(f, quote!(&self.#member))
                })
                .collect();
            let n = Literal::usize_unsuffixed(args.len());
            let args = indexed(&args);
            let ser = quote!(#rt::write_args(__w, #module, #qualname, #n, #args));
            let build = construct(&|i, f| {
                let i = Literal::usize_unsuffixed(i);
                read_field(rust, f, quote!(__args[#i]))
            });
            let de = quote! {
                let __args = #rt::expect_args(__node, #class_const, #n)?;
                #build
            };
            (ser, de)
        }
        Shape::FrozenSlots => {
            let items: Vec<TokenStream> = written
                .iter()
                .map(|f| {
                    let member = &f.member;
                    write_field(f, quote!(&self.#member))
                })
                .collect();
            let n = Literal::usize_unsuffixed(items.len());
            let list = indexed(&items);
            let ser = quote! {
                __w.write_newobj(#module, #qualname, 0, |_, _| ::core::result::Result::Ok(()))?;
                #rt::write_field_list(__w, #n, #list)
            };
            let build = construct(&|i, f| read_attribute(rust, f, i));
            (ser, read_attributes(s, &names, build))
        }
        Shape::PlainDict => {
            let entries = dict_entries(&written);
            let n = Literal::usize_unsuffixed(entries.len());
            let dict = indexed(&entries);
            // As CPython writes a dict: EMPTY_DICT (or MARK DICT), its memo
            // PUT, then the entries in SETITEMS batches; the keys are names,
            // written once per pickle like the attribute names of a `__dict__`.
            let ser = quote!(__w.write_dict(#n, #dict));
            let build = construct(&|i, f| read_attribute(rust, f, i));
            let deny = s
                .attrs
                .deny_unknown_fields
                .as_ref()
                .map(|_| quote!(__fields.deny_unknown()?;));
            let de = quote! {
                let __fields = #rt::DictFields::new(__node, #rust, &[#(#names),*])?;
                #deny
                #build
            };
            (ser, de)
        }
        Shape::Dict | Shape::Slots => {
            let entries = dict_entries(&written);
            let count = entries.len();
            let n = Literal::usize_unsuffixed(count);
            let dict = indexed(&entries);
            let slots = matches!(shape, Shape::Slots);
            let new = quote!(__w.write_newobj(#module, #qualname, 0, |_, _| ::core::result::Result::Ok(())));
            // CPython writes no BUILD for an instance whose state is empty.
            let ser = match (count, slots) {
                (0, false) => new,
                (0, true) => quote! {
                    #rt::require_slots_protocol(__w, #qualname)?;
                    #new
                },
                (_, false) => quote! {
                    #new?;
                    __w.write_dict(#n, #dict)?;
                    __w.write_build()
                },
                (_, true) => quote! {
                    #rt::require_slots_protocol(__w, #qualname)?;
                    #new?;
                    __w.write_tuple(2, |__w, __i| match __i {
                        0 => __w.write_none(),
                        _ => __w.write_dict(#n, #dict),
                    })?;
                    __w.write_build()
                },
            };
            let build = construct(&|i, f| read_attribute(rust, f, i));
            (ser, read_attributes(s, &names, build))
        }
    };

    let class = match shape {
        Shape::Transparent | Shape::PlainDict => quote!(),
        _ => impls.impl_pickle_class(&classes),
    };
    let direct = match shape {
        Shape::Dict | Shape::Slots => read_direct(s, &written, Some(&class_const)),
        Shape::PlainDict => read_direct(s, &written, None),
        Shape::Transparent => read_direct_by_position(s, &written, None),
        Shape::Args => read_direct_by_position(s, &written, Some(&class_const)),
        _ => quote!(),
    };
    let ser = impls.impl_to_pickle(&ser_generics, ser);
    let de = impls.impl_from_pickle(&de_generics, de, direct);
    quote!(#ser #de #class)
}

/// `FromPickle::DIRECT` and `read_direct` for a struct read from a dict of
/// its fields: an instance's `__dict__` (`classes`), or a plain dict. Empty
/// (the graph path only) if a field is read by a `with` module, or borrows
/// (its type names a lifetime).
fn read_direct(s: &Struct, written: &[&Field], classes: Option<&TokenStream>) -> TokenStream {
    let rt = runtime();
    let Some((vars, traits)) = direct_parts(written) else {
        return quote!();
    };
    let de = de_lifetime(s.generics);
    let none = quote!(::core::option::Option::None);
    let some = quote!(::core::option::Option::Some);
    let tys: Vec<&syn::Type> = written.iter().map(|f| f.ty).collect();
    let names: Vec<&str> = written.iter().map(|f| f.name.as_str()).collect();
    let index = (0..written.len()).map(Literal::usize_unsuffixed);
    let reads = written.iter().map(|f| direct_read_of(f));
    let access = if written.is_empty() {
        quote!(|_: &mut #rt::Direct<#de, __S>, _: usize, _: bool| #none)
    } else {
        quote! {
            |__r: &mut #rt::Direct<#de, __S>, __i: usize, __set: bool| -> ::core::option::Option<()> {
                match __i {
                    #(#index => #vars = if __set { #some(#reads?) } else { #none },)*
                    _ => return #none,
                }
                #some(())
            }
        }
    };
    let read = match classes {
        Some(classes) => quote!(__r.instance(#classes, &mut __fields)?;),
        None => quote!(__r.fields(&mut __fields)?;),
    };
    let inits = direct_inits(s, &vars, |f, var| {
        if f.attrs.default.is_some() {
            let default = default_fn(f);
            quote!(match #var { #some(__v) => __v, #none => #default() })
        } else {
            quote!(#var?)
        }
    });
    // A plain dict, which Python cannot hash; an instance it can.
    let unhashable = classes.is_none().then(|| {
        quote!(
            const UNHASHABLE: bool = true;
        )
    });
    quote! {
        const DIRECT: bool = true #(&& <#traits as #rt::FromPickle<#de>>::DIRECT)*;
        #unhashable

        fn read_direct<__S: #rt::DirectSource<#de>>(
            __r: &mut #rt::Direct<#de, __S>,
        ) -> ::core::option::Option<Self> {
            #(let mut #vars: ::core::option::Option<#tys> = #none;)*
            {
                let mut __fields = #rt::DirectFields::new(&[#(#names),*], #access)?;
                #read
            }
            #some(Self { #(#inits),* })
        }
    }
}

/// `FromPickle::DIRECT` and `read_direct` for a struct read by position:
/// from its one field (`transparent`), or from NEWOBJ's arguments, an
/// instance of one of `classes`. Empty, as [`read_direct`], if a field is
/// read by a `with` module or borrows.
fn read_direct_by_position(
    s: &Struct,
    written: &[&Field],
    classes: Option<&TokenStream>,
) -> TokenStream {
    let rt = runtime();
    let Some((vars, traits)) = direct_parts(written) else {
        return quote!();
    };
    let de = de_lifetime(s.generics);
    let some = quote!(::core::option::Option::Some);
    let reads = written.iter().map(|f| direct_read_of(f));
    let values = quote!((#(#reads?,)*));
    let (read, unhashable) = match classes {
        Some(classes) => {
            let n = Literal::usize_unsuffixed(written.len());
            (
                quote!(__r.newobj_args(#classes, #n, |__r| #some(#values))?),
                quote!(),
            )
        }
        // Transparent: as its field (bytes: maybe a bytearray).
        None => {
            let f = written[0];
            let unhashable = match f.attrs.bytes {
                Some(_) => quote!(true),
                None => {
                    let ty = f.ty;
                    quote!(<#ty as #rt::FromPickle<#de>>::UNHASHABLE)
                }
            };
            (values, quote!(const UNHASHABLE: bool = #unhashable;))
        }
    };
    let inits = direct_inits(s, &vars, |_, var| quote!(#var));
    quote! {
        const DIRECT: bool = true #(&& <#traits as #rt::FromPickle<#de>>::DIRECT)*;
        #unhashable

        fn read_direct<__S: #rt::DirectSource<#de>>(
            __r: &mut #rt::Direct<#de, __S>,
        ) -> ::core::option::Option<Self> {
            let (#(#vars,)*) = #read;
            #some(Self { #(#inits),* })
        }
    }
}

/// What the direct reads of a struct's written fields share: a variable
/// for each field's value, and the types read through their own
/// `FromPickle` (not `#[pickle(bytes)]` fields), which `DIRECT` requires.
/// `None` (the graph path only) if a field is read by a `with` module, or
/// borrows (its type names a lifetime).
fn direct_parts<'f>(written: &[&'f Field]) -> Option<(Vec<Ident>, Vec<&'f syn::Type>)> {
    if written
        .iter()
        .any(|f| f.attrs.with.is_some() || crate::bound::names_lifetime(f.ty))
    {
        return None;
    }
    let vars = (0..written.len())
        .map(|i| Ident::new(&format!("__f{i}"), proc_macro2::Span::call_site()))
        .collect();
    let traits = written
        .iter()
        .filter(|f| uses_trait(f))
        .map(|f| f.ty)
        .collect();
    Some((vars, traits))
}

/// The fields of `Self { ... }` after a direct read: each skipped field
/// from its default, each written one from `value(field, its variable)`.
fn direct_inits(
    s: &Struct,
    vars: &[Ident],
    value: impl Fn(&Field, &Ident) -> TokenStream,
) -> Vec<TokenStream> {
    let mut vars = vars.iter();
    s.fields
        .iter()
        .map(|f| {
            let member = &f.member;
            if f.attrs.skip.is_some() {
                let default = default_fn(f);
                return quote!(#member: #default());
            }
            let value = value(f, vars.next().expect("a variable for each written field"));
            quote!(#member: #value)
        })
        .collect()
}

/// The direct read of one field's value: through its type's `FromPickle`,
/// or as bytes.
fn direct_read_of(f: &Field) -> TokenStream {
    let rt = runtime();
    match f.attrs.bytes {
        Some(_) => quote!(#rt::bytes::read_direct(__r)),
        None => quote!(__r.read()),
    }
}

/// The entries of a dict of the fields, for `Writer::write_dict`: each
/// field's name, fetched from the memo after its first time, then its value.
fn dict_entries(written: &[&Field]) -> Vec<TokenStream> {
    written
        .iter()
        .map(|f| {
            let member = &f.member;
            let name = &f.name;
            let value = write_field(f, quote!(&self.#member));
            quote! {
                __w.write_static_attr_name(#name)?;
                #value
            }
        })
        .collect()
}

/// Reads field `i` of a struct whose fields are attributes (or the keys of
/// a plain dict): from `__fields`, a `Fields` over the instance (or a
/// `DictFields` over the dict).
fn read_attribute(rust: &str, f: &Field, i: usize) -> TokenStream {
    let i = Literal::usize_unsuffixed(i);
    if f.attrs.default.is_some() {
        let default = default_fn(f);
        let read = read_field(rust, f, quote!(__n));
        quote! {
            match __fields.get(#i) {
                ::core::option::Option::Some(__n) => #read,
                ::core::option::Option::None => #default(),
            }
        }
    } else {
        read_field(rust, f, quote!(__fields.require(#i)?))
    }
}

/// Reads a struct whose fields are attributes, by name from the `__dict__`
/// and slots, or by position from a frozen slots dataclass's list.
fn read_attributes(s: &Struct, names: &[&str], build: TokenStream) -> TokenStream {
    let rt = runtime();
    let deny = s
        .attrs
        .deny_unknown_fields
        .as_ref()
        .map(|_| quote!(__fields.deny_unknown()?;));
    quote! {
        let __obj = __node.expect_instance(<Self as #rt::PickleClass>::CLASSES)?;
        let __fields = #rt::Fields::new(__obj, &[#(#names),*])?;
        #deny
        #build
    }
}

/// A C-like enum: the members of a Python `enum.Enum`, `REDUCE(cls, (value,))`,
/// each written once per pickle and fetched from the memo after that, as
/// CPython writes a member (a singleton) it has seen.
fn expand_members(e: &Enum) -> TokenStream {
    let rt = runtime();
    let impls = Impls {
        ident: e.ident,
        generics: e.generics,
        rust: e.ident.unraw().to_string(),
    };
    let classes = e.classes();
    let ClassName { module, qualname } = &classes[0];
    let str_values = e.attrs.str_values.is_some();
    let rule = e.attrs.rename_all.as_ref().map(|r| r.value);

    // The value each member writes, and the test that reads it back.
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    let mut direct_reads = Vec::new();
    for v in &e.variants {
        let ident = v.ident;
        let value = v.attrs.value.as_ref().map(|a| a.value.clone());
        let (write, read) = match value {
            Some(Value::Int(n)) => (
                quote!(__w.write_int(#n)),
                quote!(::core::option::Option::Some(__v) if __v == #n),
            ),
            None if !str_values => (
                quote!(__w.write_int(Self::#ident as i64)),
                quote!(::core::option::Option::Some(__v) if __v == Self::#ident as i64),
            ),
            Some(Value::Str(s)) => (
                quote!(__w.write_str(#s)),
                quote!(::core::option::Option::Some(#s)),
            ),
            None => {
                let name = ident.unraw().to_string();
                let s = rule.map_or(name.clone(), |r| r.apply_to_variant(&name));
                (
                    quote!(__w.write_str(#s)),
                    quote!(::core::option::Option::Some(#s)),
                )
            }
        };
        // The memo key: variant values are distinct (valid.rs), so one variant is one member.
        let name = ident.unraw().to_string();
        writes.push(
            quote!(Self::#ident => __w.write_member(#module, #qualname, #name, |__w| #write)),
        );
        direct_reads.push(quote!(#read => ::core::option::Option::Some(Self::#ident)));
        reads.push(quote!(#read => ::core::result::Result::Ok(Self::#ident)));
    }
    let as_value = if str_values {
        quote!(as_str)
    } else {
        quote!(as_i64)
    };
    let ser = quote! {
        match self {
            #(#writes,)*
        }
    };
    let de = quote! {
        let __classes = <Self as #rt::PickleClass>::CLASSES;
        let __value = #rt::expect_member(__node, __classes)?;
        match __value.#as_value() {
            #(#reads,)*
            _ => ::core::result::Result::Err(#rt::unknown_member(__value, __classes)),
        }
    };
    // Read directly, the value as an `i64` or a `String` (a `&str` to match).
    let de_lt = de_lifetime(e.generics);
    let (value_ty, as_matched) = if str_values {
        (quote!(#rt::String), quote!(.as_deref()))
    } else {
        (quote!(i64), quote!())
    };
    let direct = quote! {
        const DIRECT: bool = true;

        fn read_direct<__S: #rt::DirectSource<#de_lt>>(
            __r: &mut #rt::Direct<#de_lt, __S>,
        ) -> ::core::option::Option<Self> {
            let __classes = <Self as #rt::PickleClass>::CLASSES;
            match __r.member::<#value_ty>(__classes) #as_matched {
                #(#direct_reads,)*
                _ => ::core::option::Option::None,
            }
        }
    };
    let ser = impls.impl_to_pickle(e.generics, ser);
    let de = impls.impl_from_pickle(e.generics, de, direct);
    let class = impls.impl_pickle_class(&classes);
    quote!(#ser #de #class)
}

/// An enum whose variants each hold one value: pickled as that value; read
/// by the variant whose type reads the pickled class.
fn expand_polymorphic(e: &Enum) -> TokenStream {
    let rt = runtime();
    let impls = Impls {
        ident: e.ident,
        generics: e.generics,
        rust: e.ident.unraw().to_string(),
    };
    let rust = &impls.rust;
    let types = || e.variants.iter().map(|v| v.fields[0].ty);
    let ser_generics = with_bound(e.generics, types(), &quote!(#rt::ToPickle));
    let de_generics = with_bound(e.generics, types(), &impls.de_bound());

    let idents: Vec<&Ident> = e.variants.iter().map(|v| v.ident).collect();
    let names: Vec<String> = idents.iter().map(|i| i.unraw().to_string()).collect();
    let tys: Vec<&syn::Type> = types().collect();
    let ser = quote! {
        match self {
            #(Self::#idents(__v) => #rt::ToPickle::to_pickle(__v, __w),)*
        }
    };
    let de = quote! {
        #[allow(unused_imports)]
        use #rt::{KnownClass as _, UnknownClass as _};
        let __class = #rt::class_of(__node);
        // A variant whose type names its classes is chosen by the pickled class...
        #(
            if (&&#rt::Probe::<#tys>::new()).accepts(__class) == ::core::option::Option::Some(true) {
                return __node.extract().map(Self::#idents);
            }
        )*
        // ...and the others are tried in order.
        #(
            if (&&#rt::Probe::<#tys>::new()).accepts(__class).is_none() {
                if let ::core::result::Result::Ok(__v) = __node.extract() {
                    return ::core::result::Result::Ok(Self::#idents(__v));
                }
            }
        )*
        ::core::result::Result::Err(#rt::no_variant(__node, #rust, &[#(#names),*]))
    };
    let ser = impls.impl_to_pickle(&ser_generics, ser);
    let de = impls.impl_from_pickle(&de_generics, de, quote!());
    quote!(#ser #de)
}
