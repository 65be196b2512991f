//! Hash maps for the pickler's own bookkeeping (memo, names, shared values).
//!
//! These maps are looked up for every object written, so their hash
//! matters: `foldhash` is several times faster than std's SipHash on short
//! keys. Its per-process random seed keeps the keys (which may come from a
//! graph loaded from untrusted input) from being chosen to collide.

/// A `HashMap` with `foldhash`'s seeded hasher.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
