//! The pickle format: the opcode table, the object graph, the unpickler and the pickler.
//!
//! Most users want the facade crate [`pickle`](https://docs.rs/pickle), which
//! re-exports everything here. This crate reads every pickle CPython writes
//! (protocols 0–5) into a [`Value`] graph without executing anything, and
//! writes graphs back byte-for-byte as CPython would.
//!
//! ```
//! use pickle_core::{dumps, loads};
//!
//! // pickle.dumps([1, 'a'], protocol=2)
//! let data = b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01e.";
//! let value = loads(data)?;
//! assert_eq!(format!("{value:?}"), "[1, 'a']");
//! assert_eq!(pickle_core::Pickler::new().protocol(2).dumps(&value)?, data);
//! # Ok::<(), pickle_core::Error>(())
//! ```

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod compat;
pub mod dis;
mod error;
pub mod opcode;
pub mod pickler;
pub mod pyrepr;
mod read;
pub mod unpickler;
pub mod value;

use std::io;

pub use error::{Error, ErrorKind, Result};
pub use opcode::{Opcode, DEFAULT_PROTOCOL, HIGHEST_PROTOCOL};
pub use pickler::Pickler;
pub use unpickler::{Limits, StringEncoding, Unpickler};
pub use value::{Id, Object, Value};

/// Reads a pickle from a byte slice into an object graph, borrowing strings
/// and bytes from `data` where it can. Like Python's `pickle.loads`, with
/// safe [`Limits`]; nothing in the pickle is ever executed.
pub fn loads(data: &[u8]) -> Result<Value<'_>> {
    Unpickler::new().loads(data)
}

/// Reads one pickle from a stream into an object graph. Like Python's `pickle.load`.
///
/// The stream is read through a buffer, so bytes after the pickle's STOP may
/// be consumed; use [`Unpickler::load_buffered`] to read several pickles from one stream.
pub fn load<R: io::Read>(reader: R) -> Result<Value<'static>> {
    Unpickler::new().load(reader)
}

/// Writes an object graph as a pickle at the default protocol (5). Like Python's `pickle.dumps`.
pub fn dumps(value: &Value<'_>) -> Result<Vec<u8>> {
    Pickler::new().dumps(value)
}

/// Writes an object graph as a pickle to a stream. Like Python's `pickle.dump`.
pub fn dump<W: io::Write>(value: &Value<'_>, writer: W) -> Result<()> {
    Pickler::new().dump(value, writer)
}
