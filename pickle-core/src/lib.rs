//! The pickle format: the opcode table, the object graph, the unpickler and the pickler.
//!
//! Most users want the facade crate [`pickle`](https://docs.rs/pickle), which
//! re-exports everything here. This crate reads every pickle CPython writes
//! (protocols 0–5) into a [`Value`] graph without executing anything, and
//! writes graphs back byte-for-byte as CPython would. Rust types read
//! themselves from a graph with [`de::FromPickle`] and write themselves with
//! [`ser::ToPickle`], byte-for-byte as CPython writes the same Python objects.
//!
//! ```
//! use pickle_core::{dumps, loads};
//!
//! // pickle.dumps([1, 'a'], protocol=2)
//! let data = b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01e.";
//! let value: pickle_core::Value = loads(data)?;
//! assert_eq!(format!("{value:?}"), "[1, 'a']");
//! assert_eq!(pickle_core::Pickler::new().protocol(2).dumps(&value)?, data);
//! # Ok::<(), pickle_core::Error>(())
//! ```

#![warn(missing_docs)]
// One module asks the kernel how to back big buffers (`pages`); nothing
// else may use `unsafe`.
#![deny(unsafe_code)]

mod builtins;
pub mod compat;
pub mod de;
mod depth;
pub mod dis;
mod error;
mod fast_map;
pub mod file;
#[cfg(feature = "numpy")]
pub mod numpy;
pub mod opcode;
mod pages;
pub mod pickler;
pub mod pyrepr;
pub(crate) mod pytext;
mod read;
pub mod registry;
pub mod scan;
pub mod ser;
pub mod types;
pub mod unpickler;
pub mod value;

use std::io;

pub use error::{Error, ErrorKind, Result};
pub use file::{save, save_with, SaveOptions};
pub use opcode::{Opcode, DEFAULT_PROTOCOL, HIGHEST_PROTOCOL};
pub use pickler::Pickler;
pub use registry::Registry;
pub use unpickler::{Limits, StringEncoding, Unpickler};
pub use value::{Id, Object, Value};

/// Reads a pickle from a byte slice as a `T`: the object graph itself for
/// `T = Value`, or any [`FromPickle`](de::FromPickle) type. Like Python's
/// `pickle.loads`, with safe [`Limits`]; nothing in the pickle is ever
/// executed. Strings and bytes are borrowed from `data` where they can be.
///
/// ```
/// use pickle_core::Value;
/// use std::collections::HashMap;
/// // pickle.dumps({'a': [1, 2]}, protocol=4)
/// let data = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94]\x94(K\x01K\x02es.";
/// let graph: Value = pickle_core::loads(data)?;
/// assert_eq!(format!("{graph:?}"), "{'a': [1, 2]}");
/// let map: HashMap<String, Vec<i64>> = pickle_core::loads(data)?;
/// assert_eq!(map["a"], [1, 2]);
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn loads<'de, T: de::FromPickle<'de>>(data: &'de [u8]) -> Result<T> {
    Unpickler::new().loads(data)
}

/// Reads one pickle from a stream as a `T`. Like Python's `pickle.load`.
///
/// The stream is read through a buffer, so bytes after the pickle's STOP may
/// be consumed; use [`Unpickler::load_buffered`] to read several pickles from one stream.
/// See [`Unpickler::load`] on memory, and on when [`loads`] is faster. From a
/// `File`, [`load_seekable`] reads a typed value without the object graph.
pub fn load<T: de::FromPickle<'static>>(reader: impl io::Read) -> Result<T> {
    Unpickler::new().load(reader)
}

/// Reads one pickle as a `T` from a stream that can seek, such as a `File`,
/// and leaves the stream just past the pickle.
///
/// A typed load reads `T` straight from the stream, with no object graph in
/// between, so memory is about what `T` holds. See [`Unpickler::load_seekable`].
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("pickle-doc-seek-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("names.pkl");
/// pickle_core::save(&path, &vec!["ab", "cd"])?;
/// let file = std::fs::File::open(&path)?;
/// let names: Vec<String> = pickle_core::load_seekable(file)?;
/// assert_eq!(names, ["ab", "cd"]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn load_seekable<T: de::FromPickle<'static>>(reader: impl io::Read + io::Seek) -> Result<T> {
    Unpickler::new().load_seekable(reader)
}

/// Writes `value` as a pickle at the default protocol (5). Like Python's `pickle.dumps`.
///
/// `value` is anything [`ToPickle`](ser::ToPickle): an object graph
/// ([`Value`]), a standard type, a `#[derive(Pickle)]` type.
pub fn dumps<T: ser::ToPickle + ?Sized>(value: &T) -> Result<Vec<u8>> {
    Pickler::new().dumps(value)
}

/// Writes `value` as a pickle to a stream. Like Python's `pickle.dump`.
pub fn dump<T: ser::ToPickle + ?Sized>(value: &T, writer: impl io::Write) -> Result<()> {
    Pickler::new().dump(value, writer)
}
