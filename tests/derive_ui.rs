//! Compile-fail tests for `#[derive(Pickle)]`: every misuse is an error at
//! the user's own token, with a message that says what would work.
//!
//! Each `tests/ui/*.rs` has its expected compiler output beside it in a
//! `.stderr` file. After a deliberate change to a message, regenerate them
//! with `TRYBUILD=overwrite cargo test --test derive_ui` and review the diff.

#[test]
fn derive_misuse_is_a_compile_error_at_the_users_token() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
