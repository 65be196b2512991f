//! The `pickle` command.
fn main() {}
