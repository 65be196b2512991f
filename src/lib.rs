//! Python's pickle format for Rust.
//!
//! Read any pickle CPython writes (protocols 0–5) without executing anything,
//! and write pickles that are byte-for-byte what CPython writes.
//!
//! ```
//! // pickle.dumps({'a': [1, 2]}, protocol=4)
//! let data = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94]\x94(K\x01K\x02es.";
//! let value = pickle::loads(data)?;
//! assert_eq!(format!("{value:?}"), "{'a': [1, 2]}");
//! assert_eq!(pickle::Pickler::new().protocol(4).dumps(&value)?, data);
//! # Ok::<(), pickle::Error>(())
//! ```

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub use pickle_core::*;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
