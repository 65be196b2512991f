//! How deep typed reads and writes may recurse.
//!
//! The unpickler and the graph pickler never recurse. Typed reads and writes
//! do, through the `FromPickle`/`ToPickle` impls of nested Rust types (a
//! linked list read as `struct List { next: Option<Box<List>> }`), so a deep
//! pickle or value could overflow the stack. Two bounds stop them first:
//!
//! - a count of nested levels, [`MAX_DEPTH`];
//! - the stack they have used since the outermost level, [`STACK_BUDGET`]:
//!   frames are much bigger in debug builds than in release builds, and
//!   bigger for some types than others, so a count alone cannot promise
//!   that a 2 MiB thread stack is enough.

/// The most levels a typed read or write may nest.
pub const MAX_DEPTH: usize = 10_000;

/// The most stack, in bytes, a typed read or write may use below its outermost level.
pub const STACK_BUDGET: usize = 1 << 20;

/// An address in the current stack frame: where the stack is now.
#[inline(always)]
pub(crate) fn stack_position() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Whether one more level may start, `depth` levels below the outermost,
/// whose stack position was `base`.
pub(crate) fn may_nest(depth: usize, base: usize) -> bool {
    depth < MAX_DEPTH && stack_position().abs_diff(base) < STACK_BUDGET
}
