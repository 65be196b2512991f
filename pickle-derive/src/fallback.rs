//! When the input has mistakes, the errors are emitted together with
//! impls whose bodies are never run. Code that uses the type as `ToPickle`
//! or `FromPickle` then still compiles, so the user sees their attribute
//! mistakes and nothing else.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::bound::{de_lifetime, runtime, with_de};
use crate::expand::wrap_in_const;

pub(crate) fn expand(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let rt = runtime();
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let de = de_lifetime(&input.generics);
    let generics_de = with_de(&input.generics, &de);
    let (impl_generics_de, _, where_clause_de) = generics_de.split_for_impl();
    let error = error.to_compile_error();
    let items = quote! {
        #[automatically_derived]
        impl #impl_generics #rt::ToPickle for #ident #ty_generics #where_clause {
            fn to_pickle<__W: #rt::Write>(
                &self,
                _: &mut #rt::Writer<'_, __W>,
            ) -> #rt::Result<()> {
                ::core::unreachable!()
            }
        }

        #[automatically_derived]
        impl #impl_generics_de #rt::FromPickle<#de> for #ident #ty_generics #where_clause_de {
            fn from_pickle(_: #rt::Node<'_, #de>) -> #rt::Result<Self> {
                ::core::unreachable!()
            }
        }
    };
    let items = wrap_in_const(items);
    quote! {
        #error
        #items
    }
}
