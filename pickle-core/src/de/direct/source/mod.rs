//! Where the direct reader's bytes come from: a slice held in memory
//! ([`Slice`]), or a seekable stream read through a window ([`Stream`]).
//!
//! The reader addresses the input by offset from the start of the pickle,
//! and may go back: to a checkpoint, when a reading does not end well, and
//! to a str read before, when a GET fetches it again. A slice has every
//! byte at hand and lends them. A stream keeps a window of the bytes around
//! the reader, seeks to go back past it, and keeps a copy of each str a GET
//! fetched again, so a str shared by many objects is read from the stream
//! once. Nothing it holds grows with the input, but those copies, which the
//! loaded value holds as well.

mod scan;
mod stream;

use super::Gets;
use crate::opcode::Opcode;
pub use crate::read::Reference;
pub use scan::Scan;
pub use stream::Stream;

/// The input of the direct reader. Not an API: see [`super`].
#[doc(hidden)]
pub trait Source<'de> {
    /// Whether the bytes are copies, which the unpickler charges to
    /// [`Limits::max_alloc_bytes`](crate::Limits::max_alloc_bytes): a stream's.
    const COPIES: bool;

    /// The byte at `pos`, or `None` past the end of the input.
    fn byte_at(&mut self, pos: usize) -> Option<u8>;

    /// The bytes `start..end`, or `None` if the input ends before `end`.
    fn range(&mut self, start: usize, end: usize) -> Option<Reference<'de, '_>>;

    /// Bytes from `start` on, up to `end` at most: all of them from a
    /// slice; from a stream, those at hand, and more read if few are. Empty
    /// past the end of the input. For readers of runs, which stop where it ends.
    fn window(&mut self, start: usize, end: usize) -> Reference<'de, '_>;

    /// The bytes from `start` to the first `\n` before `end`, without it;
    /// `None` if no `\n` comes before `end`.
    fn line(&mut self, start: usize, end: usize) -> Option<Reference<'de, '_>>;

    /// The payload of the object whose opcode is at `at`, read before: a
    /// str's text or a bytes' bytes, as `header_len` ([`str_header_len`] or
    /// [`bytes_header_len`]) says; `None` if the opcode there is not one it knows.
    fn again(
        &mut self,
        at: usize,
        header_len: impl Fn(u8) -> Option<usize>,
    ) -> Option<Reference<'de, '_>>;

    /// Where reads outside a frame must stop: the end of the input, or as
    /// far as the reader may go in a stream.
    fn end(&self) -> usize;

    /// How many bytes were read, at least: what bounds the work of readings undone.
    fn seen(&self) -> usize;

    /// Whether the input holds bytes up to `end`: what makes a length it
    /// declares safe to allocate for.
    fn holds(&mut self, end: usize) -> bool;

    /// The memo indices a GET of the whole pickle names, for a source that
    /// can read ahead and come back; `None` if it cannot tell. A slice,
    /// whose bytes are at hand anyway, does not.
    fn gets(&mut self) -> Option<Gets> {
        None
    }
}

/// The length of the header (opcode and length) of the str opcode `op`.
#[inline(always)]
pub(super) fn str_header_len(op: u8) -> Option<usize> {
    match op {
        b if b == Opcode::ShortBinUnicode.byte() => Some(2),
        b if b == Opcode::BinUnicode.byte() => Some(5),
        b if b == Opcode::BinUnicode8.byte() => Some(9),
        _ => None,
    }
}

/// The length of the header (opcode and length) of the bytes opcode `op`:
/// SHORT_BINBYTES, BINBYTES or BINBYTES8 (not a bytearray, which is not
/// read again).
#[inline(always)]
pub(super) fn bytes_header_len(op: u8) -> Option<usize> {
    match op {
        b if b == Opcode::ShortBinBytes.byte() => Some(2),
        b if b == Opcode::BinBytes.byte() => Some(5),
        b if b == Opcode::BinBytes8.byte() => Some(9),
        _ => None,
    }
}

/// The length of a str's text or a bytes' payload, from its header (opcode first).
#[inline]
pub(super) fn str_len(header: &[u8]) -> Option<usize> {
    match *header {
        [_, n] => Some(usize::from(n)),
        [_, a, b, c, d] => Some(u32::from_le_bytes([a, b, c, d]) as usize),
        [_, ref len @ ..] => usize::try_from(u64::from_le_bytes(len.try_into().ok()?)).ok(),
        [] => None,
    }
}

/// A pickle held in memory, lent to what is read from it.
#[doc(hidden)]
pub struct Slice<'de> {
    data: &'de [u8],
}

impl<'de> Slice<'de> {
    /// The pickle at the start of `data`.
    pub(crate) fn new(data: &'de [u8]) -> Self {
        Slice { data }
    }
}

impl<'de> Source<'de> for Slice<'de> {
    const COPIES: bool = false;

    #[inline(always)]
    fn byte_at(&mut self, pos: usize) -> Option<u8> {
        self.data.get(pos).copied()
    }

    #[inline(always)]
    fn range(&mut self, start: usize, end: usize) -> Option<Reference<'de, '_>> {
        let data: &'de [u8] = self.data;
        data.get(start..end).map(Reference::Borrowed)
    }

    #[inline(always)]
    fn window(&mut self, start: usize, end: usize) -> Reference<'de, '_> {
        let data: &'de [u8] = self.data;
        Reference::Borrowed(data.get(start..end.min(data.len())).unwrap_or_default())
    }

    #[inline]
    fn line(&mut self, start: usize, end: usize) -> Option<Reference<'de, '_>> {
        let data: &'de [u8] = self.data;
        let rest = data.get(start..end.min(data.len()))?;
        let len = rest.iter().position(|&b| b == b'\n')?;
        Some(Reference::Borrowed(&rest[..len]))
    }

    #[inline(always)]
    fn again(
        &mut self,
        at: usize,
        header_len: impl Fn(u8) -> Option<usize>,
    ) -> Option<Reference<'de, '_>> {
        let data: &'de [u8] = self.data;
        let header = data.get(at..at.checked_add(header_len(*data.get(at)?)?)?)?;
        let start = at + header.len();
        data.get(start..start.checked_add(str_len(header)?)?)
            .map(Reference::Borrowed)
    }

    #[inline(always)]
    fn end(&self) -> usize {
        self.data.len()
    }

    fn holds(&mut self, end: usize) -> bool {
        end <= self.data.len()
    }

    #[inline(always)]
    fn seen(&self) -> usize {
        self.data.len()
    }
}
