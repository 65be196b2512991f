//! Inferred bounds, as serde infers them: a type parameter that appears in a
//! pickled field's type gets `T: ToPickle` (or `T: FromPickle<'de>`), and an
//! associated type path such as `T::Item` gets the bound itself.
//! `PhantomData<T>` does not count: it holds no `T` to pickle.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::visit::Visit;
use syn::{parse_quote, GenericParam, Generics, Lifetime, LifetimeParam, Type, TypePath};

/// `generics` plus `P: bound` for every type parameter used by `types`, and
/// `P::Assoc: bound` for associated types they use.
pub(crate) fn with_bound<'a>(
    generics: &Generics,
    types: impl IntoIterator<Item = &'a Type>,
    bound: &TokenStream,
) -> Generics {
    let params: BTreeSet<String> = generics
        .type_params()
        .map(|p| p.ident.to_string())
        .collect();
    let mut finder = Finder {
        params: &params,
        used: BTreeSet::new(),
        assoc: Vec::new(),
    };
    for ty in types {
        finder.visit_type(ty);
    }
    let Finder { used, assoc, .. } = finder;
    let mut generics = generics.clone();
    let bounded: Vec<syn::WherePredicate> = generics
        .type_params()
        .filter(|p| used.contains(&p.ident.to_string()))
        .map(|p| {
            let ident = &p.ident;
            parse_quote!(#ident: #bound)
        })
        .chain(assoc.iter().map(|path| parse_quote!(#path: #bound)))
        .collect();
    generics.make_where_clause().predicates.extend(bounded);
    generics
}

/// `ty: bound` for each type that uses a type parameter: for `Default` on
/// skipped fields, where bounding the field type itself is exact.
pub(crate) fn with_type_bound<'a>(
    mut generics: Generics,
    types: impl IntoIterator<Item = &'a Type>,
    bound: &TokenStream,
) -> Generics {
    let params: BTreeSet<String> = generics
        .type_params()
        .map(|p| p.ident.to_string())
        .collect();
    let generic_types: Vec<&Type> = types
        .into_iter()
        .filter(|ty| {
            let mut finder = Finder {
                params: &params,
                used: BTreeSet::new(),
                assoc: Vec::new(),
            };
            finder.visit_type(ty);
            !finder.used.is_empty() || !finder.assoc.is_empty()
        })
        .collect();
    let predicates = generic_types
        .into_iter()
        .map(|ty| -> syn::WherePredicate { parse_quote!(#ty: #bound) });
    generics.make_where_clause().predicates.extend(predicates);
    generics
}

struct Finder<'p> {
    params: &'p BTreeSet<String>,
    used: BTreeSet<String>,
    assoc: Vec<TypePath>,
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_type_path(&mut self, ty: &'ast TypePath) {
        let path = &ty.path;
        if path
            .segments
            .last()
            .is_some_and(|s| s.ident == "PhantomData")
        {
            return;
        }
        if ty.qself.is_none() && path.leading_colon.is_none() {
            if let Some(first) = path.segments.first() {
                if self.params.contains(&first.ident.to_string()) {
                    if path.segments.len() == 1 {
                        self.used.insert(first.ident.to_string());
                    } else {
                        self.assoc.push(ty.clone());
                        return;
                    }
                }
            }
        }
        syn::visit::visit_type_path(self, ty);
    }

    // A macro in type position is opaque to us.
    fn visit_macro(&mut self, _: &'ast syn::Macro) {}
}

/// Whether `ty` names a lifetime (`&'a str`, `Cow<'a, str>`).
pub(crate) fn names_lifetime(ty: &Type) -> bool {
    struct Lifetimes(bool);
    impl<'ast> Visit<'ast> for Lifetimes {
        fn visit_lifetime(&mut self, _: &'ast Lifetime) {
            self.0 = true;
        }
        fn visit_type_reference(&mut self, _: &'ast syn::TypeReference) {
            self.0 = true;
        }
    }
    let mut found = Lifetimes(false);
    found.visit_type(ty);
    found.0
}

/// The lifetime `FromPickle` is implemented for: `'de`, unless the user already has one by that name.
pub(crate) fn de_lifetime(generics: &Generics) -> Lifetime {
    let taken = |name: &str| generics.lifetimes().any(|l| l.lifetime.ident == name);
    let name = if taken("de") { "'__de" } else { "'de" };
    Lifetime::new(name, Span::call_site())
}

/// `generics` with `'de` in front, outliving every lifetime of the type, so a
/// `&'a str` field can borrow from the pickle's bytes.
pub(crate) fn with_de(generics: &Generics, de: &Lifetime) -> Generics {
    let mut generics = generics.clone();
    let mut param = LifetimeParam::new(de.clone());
    param.bounds = generics.lifetimes().map(|l| l.lifetime.clone()).collect();
    generics.params.insert(0, GenericParam::Lifetime(param));
    generics
}

/// The path every generated item uses for the runtime.
pub(crate) fn runtime() -> TokenStream {
    quote!(::pickle::__private)
}
