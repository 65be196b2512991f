//! The one error type of the crate.

use std::fmt::{self, Write as _};
use std::io;

use crate::opcode::Opcode;

/// What went wrong, in categories a caller can act on.
///
/// New kinds may be added in minor releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing the underlying stream failed.
    Io,
    /// The input ended before the pickle did: in an opcode, its argument, or before STOP.
    Truncated,
    /// A byte that is not an opcode of protocols 0–5.
    UnknownOpcode,
    /// PROTO names a protocol above 5, or appears where it may not.
    UnsupportedProtocol,
    /// An opcode's inline argument is malformed: bad decimal text, bad quoting, a negative length.
    InvalidArgument,
    /// Text that must be UTF-8 (or the chosen Python 2 `str` encoding) is not.
    InvalidText,
    /// An opcode needed more items than the stack holds, or found a mark where it needed an object.
    StackUnderflow,
    /// An opcode needed a mark and there was none, or the stack was left with a mark.
    MissingMark,
    /// An opcode found an object of the wrong kind, such as APPENDS onto a dict;
    /// or a typed read found a Python object of another kind than the Rust type needs.
    TypeMismatch,
    /// A memo GET named an index that was never PUT.
    MissingMemo,
    /// FRAME rules were broken: an opcode ran past the end of a frame, or a frame began inside another.
    Frame,
    /// A persistent id could not be resolved by the `persistent_load` hook.
    PersistentId,
    /// NEXT_BUFFER found no out-of-band buffer left, or none were supplied.
    OutOfBandBuffer,
    /// An EXT opcode named an extension code that is not registered.
    UnknownExtension,
    /// [`Registry::register`](crate::registry::Registry::register) was given
    /// a class that another Rust type is already registered for.
    DuplicateClass,
    /// SETITEMS had an odd number of items, DICT had an odd number, and the like.
    OddItems,
    /// A dict or set key is not hashable (a list, dict, set or bytearray).
    Unhashable,
    /// The input is larger than [`Limits::max_input_bytes`](crate::Limits::max_input_bytes).
    InputTooLarge,
    /// The memo grew past [`Limits::max_memo_entries`](crate::Limits::max_memo_entries), or an index was out of range.
    MemoLimit,
    /// The stack or the mark stack grew past [`Limits::max_stack_depth`](crate::Limits::max_stack_depth).
    StackLimit,
    /// Allocation would pass [`Limits::max_alloc_bytes`](crate::Limits::max_alloc_bytes).
    AllocLimit,
    /// The object graph grew past [`Limits::max_objects`](crate::Limits::max_objects).
    ObjectLimit,
    /// A list, tuple, dict, set or instance's appended items grew past
    /// [`Limits::max_container_len`](crate::Limits::max_container_len).
    ContainerLimit,
    /// A typed read visited far more nodes than the graph holds: shared
    /// objects fanning out into a tree too big to build ("billion laughs").
    /// See [the budget of a typed read](crate::de#expansion).
    ExpansionLimit,
    /// A value cannot be written at the requested protocol (or at all).
    Unpicklable,
    /// A hook returned an error of its own.
    Custom,
    /// A typed read found an instance without an attribute the Rust type needs.
    MissingAttribute,
    /// A typed read that denies unknown attributes found one the Rust type does not have.
    UnknownAttribute,
    /// A typed read found a number the Rust type cannot hold, such as 300 for a `u8`.
    OutOfRange,
}

/// An error from loading or dumping a pickle.
///
/// It carries a [`kind`](Error::kind), the byte offset of the opcode that
/// failed (when there is one) and that opcode's name, so that a message reads
/// like `memo key 7 was never PUT at byte 23 (opcode BINGET)`.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    offset: Option<u64>,
    opcode: Option<Opcode>,
    source: Option<io::Error>,
    /// Where in a typed value the error happened, innermost segment first.
    path: Vec<Segment>,
}

/// One step of an error's path through a typed value.
enum Segment {
    /// A field of a struct (an attribute of the Python instance).
    Field { ty: Box<str>, name: Box<str> },
    /// An item of a sequence.
    Index(usize),
    /// The value of a map entry, with the key as Python writes its repr.
    Key(Box<str>),
}

/// `Result<T, pickle::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a message saying what happened.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                offset: None,
                opcode: None,
                source: None,
                path: Vec::new(),
            }),
        }
    }

    /// An error for a hook to return; its kind is [`ErrorKind::Custom`].
    pub fn custom(message: impl fmt::Display) -> Error {
        Error::new(ErrorKind::Custom, message.to_string())
    }

    /// A [`TypeMismatch`](ErrorKind::TypeMismatch) for a typed read:
    /// `expected int, found str`.
    pub fn type_mismatch(expected: impl fmt::Display, found: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::TypeMismatch,
            format!("expected {expected}, found {found}"),
        )
    }

    /// A [`MissingAttribute`](ErrorKind::MissingAttribute): the instance of
    /// `class` (as `module.qualname`) has no attribute `name`.
    pub fn missing_attribute(class: impl fmt::Display, name: &str) -> Error {
        Error::new(
            ErrorKind::MissingAttribute,
            format!("{class} instance has no attribute '{name}'"),
        )
    }

    /// An [`UnknownAttribute`](ErrorKind::UnknownAttribute): the instance of
    /// `class` has an attribute `name` that the Rust type does not know.
    pub fn unknown_attribute(class: impl fmt::Display, name: &str) -> Error {
        Error::new(
            ErrorKind::UnknownAttribute,
            format!("{class} instance has an unknown attribute '{name}'"),
        )
    }

    /// An [`OutOfRange`](ErrorKind::OutOfRange): `value` does not fit in the Rust type `target`.
    pub fn out_of_range(value: impl fmt::Display, target: &str) -> Error {
        Error::new(
            ErrorKind::OutOfRange,
            format!("{value} is out of range for {target}"),
        )
    }

    /// Says that the error happened in field `field` of the Rust type
    /// `type_name` (the attribute `field` of its Python instance).
    ///
    /// Typed reads wrap the errors of their parts on the way out, so the
    /// message names the path from the outermost type to the failing value,
    /// as `#[derive(Pickle)]` does for every field:
    ///
    /// ```
    /// use pickle_core::{Error, ErrorKind};
    /// let e = Error::type_mismatch("int", "str").in_field("Example", "a");
    /// assert_eq!(e.to_string(), "Example.a: expected int, found str");
    /// let e = e.in_index(3).in_field("Outer", "items");
    /// assert_eq!(e.to_string(), "Outer.items[3].a: expected int, found str");
    /// assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    /// assert_eq!(e.message(), "expected int, found str");
    /// ```
    pub fn in_field(mut self, type_name: &str, field: &str) -> Error {
        self.inner.path.push(Segment::Field {
            ty: type_name.into(),
            name: field.into(),
        });
        self
    }

    /// Says that the error happened in item `index` of a sequence (list, tuple, set).
    /// See [`Error::in_field`].
    pub fn in_index(mut self, index: usize) -> Error {
        self.inner.path.push(Segment::Index(index));
        self
    }

    /// Says that the error happened in the value for the map key whose Python
    /// repr is `key_repr` (`'a'`, `3`), written as `['a']`. See [`Error::in_field`].
    pub fn in_key(mut self, key_repr: impl fmt::Display) -> Error {
        self.inner
            .path
            .push(Segment::Key(key_repr.to_string().into()));
        self
    }

    /// Where in a typed value the error happened, as [`Display`](fmt::Display)
    /// prefixes it to the message (`Outer.items[3].a`); `None` if no context was added.
    ///
    /// A path of more than 16 steps (a read stopped by the depth limit) shows
    /// its 8 outermost and 8 innermost steps, with `...` between them.
    pub fn path(&self) -> Option<String> {
        const SHOWN: usize = 8;
        let path = &self.inner.path;
        if path.is_empty() {
            return None;
        }
        let mut out = String::new();
        for (i, segment) in path.iter().rev().enumerate() {
            if path.len() > 2 * SHOWN && i >= SHOWN && i < path.len() - SHOWN {
                if i == SHOWN {
                    out.push_str("...");
                }
                continue;
            }
            match segment {
                Segment::Field { ty, name } if i == 0 => {
                    let _ = write!(out, "{ty}.{name}");
                }
                Segment::Field { name, .. } => {
                    let _ = write!(out, ".{name}");
                }
                Segment::Index(index) => {
                    let _ = write!(out, "[{index}]");
                }
                Segment::Key(key) => {
                    let _ = write!(out, "[{key}]");
                }
            }
        }
        Some(out)
    }

    /// Says that the error happened reading an instance of the registered
    /// class `class` (`module.qualname`) as the Rust type `rust`: the path
    /// moves into the message, after the class.
    pub(crate) fn in_native(mut self, class: &str, rust: &str) -> Error {
        let message = &self.inner.message;
        self.inner.message = match self.path() {
            Some(path) => format!("{class} instance, registered as {rust}: {path}: {message}"),
            None => format!("{class} instance, registered as {rust}: {message}"),
        };
        self.inner.path.clear();
        self
    }

    pub(crate) fn io(err: io::Error) -> Error {
        let mut e = Error::new(ErrorKind::Io, err.to_string());
        e.inner.source = Some(err);
        e
    }

    /// Attaches the byte offset and opcode where the error happened, unless one is already set.
    pub(crate) fn at(mut self, offset: u64, opcode: Option<Opcode>) -> Error {
        if self.inner.offset.is_none() {
            self.inner.offset = Some(offset);
            self.inner.opcode = opcode;
        }
        self
    }

    /// The category of the error.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The byte offset in the pickle of the opcode that failed, if the error came from the stream.
    pub fn offset(&self) -> Option<u64> {
        self.inner.offset
    }

    /// The opcode that failed, if any.
    pub fn opcode(&self) -> Option<Opcode> {
        self.inner.opcode
    }

    /// The message, without the position or the [`path`](Error::path).
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = self.path() {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.inner.message)?;
        match (self.inner.offset, self.inner.opcode) {
            (Some(offset), Some(op)) => write!(f, " at byte {offset} (opcode {op})"),
            (Some(offset), None) => write!(f, " at byte {offset}"),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("offset", &self.inner.offset)
            .field("opcode", &self.inner.opcode)
            .field("message", &self.inner.message)
            .field("path", &self.path())
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::io(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_offset_and_opcode() {
        let e = Error::new(ErrorKind::MissingMemo, "memo key 7 was never PUT")
            .at(23, Some(Opcode::BinGet));
        assert_eq!(
            e.to_string(),
            "memo key 7 was never PUT at byte 23 (opcode BINGET)"
        );
        assert_eq!(e.kind(), ErrorKind::MissingMemo);
        assert_eq!(e.offset(), Some(23));
        // The first position wins: errors raised deep inside keep their own place.
        let e = e.at(99, None);
        assert_eq!(e.offset(), Some(23));
    }

    #[test]
    fn long_paths_show_their_ends() {
        let mut e = Error::type_mismatch("int", "str").in_key("'k'");
        for i in 0..20 {
            e = e.in_index(i);
        }
        assert_eq!(
            e.path().unwrap(),
            "[19][18][17][16][15][14][13][12]...[6][5][4][3][2][1][0]['k']"
        );
    }

    #[test]
    fn error_is_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
