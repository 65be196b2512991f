//! The one error type of the crate.

use std::fmt;
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
    /// An opcode found an object of the wrong kind, such as APPENDS onto a dict.
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
    /// A value cannot be written at the requested protocol (or at all).
    Unpicklable,
    /// A hook returned an error of its own.
    Custom,
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
            }),
        }
    }

    /// An error for a hook to return; its kind is [`ErrorKind::Custom`].
    pub fn custom(message: impl fmt::Display) -> Error {
        Error::new(ErrorKind::Custom, message.to_string())
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

    /// The message, without the position.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
    fn error_is_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
