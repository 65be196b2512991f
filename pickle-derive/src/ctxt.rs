//! Collects every error found in one derive input, so the user sees all of
//! their mistakes in one compile instead of one per compile.

use std::cell::RefCell;
use std::fmt::Display;

use quote::ToTokens;

/// The errors found so far. Every check takes `&Ctxt` and keeps going after
/// a mistake; [`Ctxt::finish`] turns the collection into one `syn::Error`.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    pub(crate) fn new() -> Ctxt {
        Ctxt::default()
    }

    /// Records `message`, pointing at the user's tokens `at`.
    pub(crate) fn error(&self, at: impl ToTokens, message: impl Display) {
        // Span by the token stream, not by `at` itself, so this is
        // monomorphized once per call site type only.
        let tokens = at.into_token_stream();
        self.errors
            .borrow_mut()
            .push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error that was already built (a parse error from syn).
    pub(crate) fn push(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// All recorded errors as one, or `Ok` if there were none.
    pub(crate) fn finish(self) -> syn::Result<()> {
        let mut errors = self.errors.into_inner().into_iter();
        match errors.next() {
            None => Ok(()),
            Some(mut first) => {
                first.extend(errors);
                Err(first)
            }
        }
    }
}
