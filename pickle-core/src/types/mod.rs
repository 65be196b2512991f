//! Python's standard-library types, as Rust types: each module maps one
//! family of Python types, writing exactly the pickle CPython writes for
//! it at every protocol and reading every form CPython writes.
//!
//! | Python | Rust | where |
//! | --- | --- | --- |
//! | `int` | `i8`..`i128`, `u8`..`u128`, `num_bigint::BigInt` | [`ser`](crate::ser), [`de`](crate::de) |
//! | `float` | `f64`, `f32` | |
//! | `str` | `String`, `&str`, `Cow<str>`, `Box<str>`, `char` | |
//! | `None` | `()`, `Option::None` | |
//! | `tuple` | tuples up to 12, `[T; N]` | |
//! | `list` | `Vec<T>`, `VecDeque<T>`, `[T]` | |
//! | `dict` | `HashMap`, `BTreeMap`, `IndexMap` (feature `indexmap`) | [`collections`] |
//! | `set`, `frozenset` | `HashSet`, `BTreeSet`, `IndexSet`; [`FrozenSet`](collections::FrozenSet) | [`collections`] |
//! | `collections.OrderedDict` | [`OrderedDict`](collections::OrderedDict) | [`collections`] |
//! | `collections.defaultdict`, `Counter` | load into the maps | [`collections`] |
//! | `collections.deque` | loads into `Vec`, `VecDeque` | [`collections`] |
//! | `bytes`, `bytearray` | [`Bytes`](bytes::Bytes), [`ByteArray`](bytes::ByteArray) | [`bytes`] |
//! | `datetime.timedelta` | `std::time::Duration`, `chrono::TimeDelta` | [`duration`], `chrono` |
//! | `pathlib.PosixPath` | `PathBuf`, `Path` | [`path`] |
//! | `complex` | `num_complex::Complex<f64>` (feature `complex`) | `complex` |
//! | `datetime.date`, `time`, `datetime` | `chrono` types (feature `chrono`) | `chrono` |
//! | `decimal.Decimal` | `rust_decimal::Decimal` (feature `decimal`) | `decimal` |
//! | `uuid.UUID` | `uuid::Uuid` (feature `uuid`) | `uuid` |
//! | `fractions.Fraction` | `num_rational::Ratio<i64>`, `Ratio<BigInt>` (feature `fraction`) | `fraction` |
//!
//! The optional crates are behind cargo features of the same names
//! (`pickle = { features = ["chrono"] }`).
//!
//! A plain `Vec<u8>` is a list of ints, as every `Vec<T>`: see [`bytes`]
//! for why, and for how to write bytes instead.

pub mod bytes;
pub mod collections;
pub mod duration;
pub mod path;

#[cfg(feature = "chrono")]
pub mod chrono;
#[cfg(feature = "complex")]
pub mod complex;
#[cfg(feature = "decimal")]
pub mod decimal;
#[cfg(feature = "fraction")]
pub mod fraction;
#[cfg(feature = "uuid")]
pub mod uuid;

use crate::de::{InstanceView, Node};
use crate::error::{Error, ErrorKind, Result};

/// The `n` constructor arguments of an instance of `module.qualname`
/// (`REDUCE(cls, args)` or `NEWOBJ`), or an error naming the class.
pub(crate) fn call_args<'v, 'de>(
    node: Node<'v, 'de>,
    classes: &[(&str, &str)],
    counts: std::ops::RangeInclusive<usize>,
) -> Result<(InstanceView<'v, 'de>, Vec<Node<'v, 'de>>)> {
    let obj = node.expect_instance(classes)?;
    let args: Vec<Node<'v, 'de>> = obj.args().collect();
    if !counts.contains(&args.len()) {
        return Err(Error::new(
            ErrorKind::TypeMismatch,
            format!(
                "{} instance was created with {} arguments, expected {} to {}",
                obj.class_name(),
                args.len(),
                counts.start(),
                counts.end()
            ),
        ));
    }
    Ok((obj, args))
}

/// An [`OutOfRange`](ErrorKind::OutOfRange) error: `value` does not fit `target`.
pub(crate) fn out_of_range(value: impl std::fmt::Display, target: &str) -> Error {
    Error::out_of_range(value, target)
}

/// An [`Unpicklable`](ErrorKind::Unpicklable) error for a Rust value Python cannot hold.
#[allow(dead_code)]
pub(crate) fn unpicklable(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Unpicklable, message)
}
