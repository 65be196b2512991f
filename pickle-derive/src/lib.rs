//! Procedural macros for the [`pickle`](https://docs.rs/pickle) crate.
//!
//! `#[derive(Pickle)]` arrives with the derive milestone; this crate is a
//! placeholder so the workspace layout is stable from the start.
