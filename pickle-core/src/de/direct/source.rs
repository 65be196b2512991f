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

use std::io::{self, Read as _};

use super::{Gets, Memo};
use crate::fast_map::FastMap;
use crate::opcode::{ArgKind, Opcode};
pub use crate::read::Reference;

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

    /// The text of the str (SHORT_BINUNICODE, BINUNICODE or BINUNICODE8)
    /// whose opcode is at `at`, read before.
    fn str_again(&mut self, at: usize) -> Option<Reference<'de, '_>>;

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
#[inline]
fn str_header_len(op: u8) -> Option<usize> {
    match op {
        b if b == Opcode::ShortBinUnicode.byte() => Some(2),
        b if b == Opcode::BinUnicode.byte() => Some(5),
        b if b == Opcode::BinUnicode8.byte() => Some(9),
        _ => None,
    }
}

/// The length of a str's text, from its header (opcode first).
#[inline]
fn str_len(header: &[u8]) -> Option<usize> {
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

    #[inline]
    fn str_again(&mut self, at: usize) -> Option<Reference<'de, '_>> {
        let data: &'de [u8] = self.data;
        let header = data.get(at..at.checked_add(str_header_len(*data.get(at)?)?)?)?;
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

/// How much a stream reads at a time, and the least a window holds when it can.
const CHUNK: usize = 64 * 1024;

/// How much of what was read a window keeps behind where reading goes on.
const BEHIND: usize = 4 * 1024;

/// A pickle in a seekable stream, read through a window.
///
/// Any read error, or a read past the input limit or 2 GiB (where the
/// memo's offsets end), is `None`: the direct reader gives up and the
/// graph path reads the pickle again, and reports the error itself.
#[doc(hidden)]
pub struct Stream<R> {
    reader: R,
    /// The stream position of the pickle's first byte.
    origin: u64,
    /// Bytes `start..start + buf.len()` of the pickle. The reader stands
    /// at their end, unless `lost` is set.
    buf: Vec<u8>,
    start: usize,
    /// The stream ended at the end of `buf`.
    eof: bool,
    /// A seek or a read failed: where the reader stands is not known.
    lost: bool,
    /// How many bytes the reader may read: the input limit, below 2 GiB.
    /// The window never holds a byte past it.
    max: usize,
    /// The furthest offset read.
    seen: usize,
    /// How much to read at a time: [`CHUNK`], or less in tests.
    chunk: usize,
    /// The length of the stream from the pickle's start, once asked.
    len: Option<usize>,
    /// The strs fetched again from outside the window, by the place of their opcode.
    strs: FastMap<usize, Box<[u8]>>,
}

impl<R: io::Read + io::Seek> Stream<R> {
    /// The pickle at the current position of `reader`, of at most `max_input` bytes.
    pub(crate) fn new(mut reader: R, max_input: u64) -> io::Result<Self> {
        let origin = reader.stream_position()?;
        let max = usize::try_from(max_input.min(u64::from(Memo::GLOBAL) - 1)).unwrap_or(0);
        Ok(Stream {
            reader,
            origin,
            buf: Vec::new(),
            start: 0,
            eof: false,
            lost: false,
            max,
            seen: 0,
            chunk: CHUNK,
            len: None,
            strs: FastMap::default(),
        })
    }

    /// Reads `chunk` bytes at a time (at least 1), for tests of the window's edges.
    pub(crate) fn chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }

    /// The stream, positioned at `pos` of the pickle (just past its STOP).
    pub(crate) fn finish(mut self, pos: usize) -> io::Result<R> {
        self.reader
            .seek(io::SeekFrom::Start(self.origin + pos as u64))?;
        Ok(self.reader)
    }

    /// The stream, positioned at the pickle's first byte again.
    pub(crate) fn restart(self) -> io::Result<R> {
        self.finish(0)
    }

    /// Makes the window hold `start..end`. `false` if the stream ends (or
    /// fails, or reaches the limit) first: the window then holds what it has
    /// from `start` on.
    fn fill(&mut self, start: usize, end: usize) -> bool {
        let buf_end = self.start + self.buf.len();
        if start >= self.start && end <= buf_end {
            return true;
        }
        if start >= self.max {
            return false;
        }
        if start < self.start || start > buf_end.saturating_add(self.chunk) || self.lost {
            // Back to a checkpoint or a str before the window, or far past it.
            if self
                .reader
                .seek(io::SeekFrom::Start(self.origin + start as u64))
                .is_err()
            {
                self.lost = true;
                return false;
            }
            self.lost = false;
            self.buf.clear();
            self.start = start;
            self.eof = false;
        } else {
            self.drop_before(start);
        }
        // A window grown for a long str does not stay that big.
        if self.buf.capacity() > 4 * CHUNK && self.buf.len() <= CHUNK {
            self.buf.shrink_to(2 * CHUNK);
        }
        let want = end.min(self.max);
        while self.start + self.buf.len() < want && !self.eof {
            // A chunk at a time (a declared length is not trusted), never
            // past the limit; `read_to_end` retries interrupted reads and
            // grows the window as the bytes arrive.
            let room = self.max - (self.start + self.buf.len());
            let ask = self.chunk.min(room);
            match (&mut self.reader)
                .take(ask as u64)
                .read_to_end(&mut self.buf)
            {
                Ok(n) => self.eof = n < ask,
                Err(_) => {
                    self.lost = true;
                    return false;
                }
            }
        }
        // A short way past the window is read through rather than sought.
        self.drop_before(start);
        self.seen = self.seen.max(self.start + self.buf.len());
        self.start <= start && end <= self.start + self.buf.len()
    }

    /// Drops the bytes of the window before `start`, as far as it has them,
    /// but the last [`BEHIND`]: a str's text, taken after the opcodes that
    /// follow it, is still there.
    fn drop_before(&mut self, start: usize) {
        let keep_from = start.saturating_sub(BEHIND);
        let drop = keep_from.saturating_sub(self.start).min(self.buf.len());
        self.buf.drain(..drop);
        self.start += drop;
    }

    /// Reads the str whose opcode is at `at` from the stream, and returns
    /// the reader to the end of the window.
    fn read_str_at(&mut self, at: usize) -> Option<Box<[u8]>> {
        let resume = self.origin + (self.start + self.buf.len()) as u64;
        let text = self.read_str_from(self.origin + at as u64);
        if self.reader.seek(io::SeekFrom::Start(resume)).is_err() {
            self.lost = true;
        }
        text
    }

    fn read_str_from(&mut self, pos: u64) -> Option<Box<[u8]>> {
        self.reader.seek(io::SeekFrom::Start(pos)).ok()?;
        let mut header = [0; 9];
        self.reader.read_exact(&mut header[..1]).ok()?;
        let header_len = str_header_len(header[0])?;
        let header = &mut header[..header_len];
        self.reader.read_exact(&mut header[1..]).ok()?;
        let len = str_len(header)?;
        if len > self.max {
            return None;
        }
        let mut text = Vec::new();
        (&mut self.reader)
            .take(len as u64)
            .read_to_end(&mut text)
            .ok()?;
        (text.len() == len).then(|| text.into_boxed_slice())
    }
}

impl<R: io::Read + io::Seek> Stream<R> {
    /// One pass over the pickle's opcodes to its STOP, through the window,
    /// noting the index of every GET. `None` for anything that is not a
    /// pickle, and for a GET far past the entries PUT so far (a sparse memo,
    /// which the direct reader does not take anyway).
    fn scan_gets(&mut self) -> Option<Gets> {
        let mut gets = Gets::default();
        let (mut pos, mut puts) = (0, 0usize);
        loop {
            let op = Opcode::from_byte(self.byte_at(pos)?)?;
            pos += 1;
            let index = match op {
                Opcode::BinGet => Some(usize::from(self.byte_at(pos)?)),
                Opcode::LongBinGet => Some(self.uint(pos, 4)?),
                Opcode::Get => std::str::from_utf8(&self.line(pos, self.max)?)
                    .ok()?
                    .parse()
                    .ok(),
                Opcode::Memoize | Opcode::Put | Opcode::BinPut | Opcode::LongBinPut => {
                    puts += 1;
                    None
                }
                _ => None,
            };
            if let Some(index) = index {
                if index > puts.saturating_mul(2).saturating_add(1024) {
                    return None;
                }
                gets.insert(index);
            }
            if op == Opcode::Stop {
                return Some(gets);
            }
            pos = self.skip_arg(op.info().arg, pos)?;
        }
    }

    /// Where the argument of kind `kind` that starts at `pos` ends.
    fn skip_arg(&mut self, kind: ArgKind, pos: usize) -> Option<usize> {
        let line = |this: &mut Self, pos: usize| Some(pos + this.line(pos, this.max)?.len() + 1);
        let counted = |this: &mut Self, width: usize| {
            let len = this.uint(pos, width)?;
            // A negative length (string4, long4) is not a pickle's.
            let signed = matches!(kind, ArgKind::String4 | ArgKind::Long4);
            if signed && len >= 1 << 31 {
                return None;
            }
            (pos + width).checked_add(len)
        };
        match kind {
            ArgKind::None => Some(pos),
            ArgKind::Uint1 => Some(pos + 1),
            ArgKind::Uint2 => Some(pos + 2),
            ArgKind::Int4 | ArgKind::Uint4 => Some(pos + 4),
            ArgKind::Uint8 | ArgKind::Float8 => Some(pos + 8),
            ArgKind::DecimalNlShort
            | ArgKind::DecimalNlLong
            | ArgKind::FloatNl
            | ArgKind::StringNl
            | ArgKind::StringNlNoescape
            | ArgKind::UnicodeStringNl => line(self, pos),
            ArgKind::StringNlNoescapePair => {
                let pos = line(self, pos)?;
                line(self, pos)
            }
            ArgKind::String1 | ArgKind::Bytes1 | ArgKind::UnicodeString1 | ArgKind::Long1 => {
                counted(self, 1)
            }
            ArgKind::String4 | ArgKind::Long4 | ArgKind::Bytes4 | ArgKind::UnicodeString4 => {
                counted(self, 4)
            }
            ArgKind::Bytes8 | ArgKind::ByteArray8 | ArgKind::UnicodeString8 => counted(self, 8),
        }
    }

    /// The little-endian unsigned int of `width` bytes at `pos`.
    fn uint(&mut self, pos: usize, width: usize) -> Option<usize> {
        let bytes = self.range(pos, pos.checked_add(width)?)?;
        let mut le = [0; 8];
        le[..width].copy_from_slice(&bytes);
        usize::try_from(u64::from_le_bytes(le)).ok()
    }
}

impl<'de, R: io::Read + io::Seek> Source<'de> for Stream<R> {
    const COPIES: bool = true;

    #[inline(always)]
    fn byte_at(&mut self, pos: usize) -> Option<u8> {
        match pos.checked_sub(self.start).and_then(|i| self.buf.get(i)) {
            Some(&b) => Some(b),
            None => self.fill(pos, pos + 1).then(|| self.buf[pos - self.start]),
        }
    }

    #[inline]
    fn range(&mut self, start: usize, end: usize) -> Option<Reference<'de, '_>> {
        if end < start || !self.fill(start, end) {
            return None;
        }
        Some(Reference::Copied(
            &self.buf[start - self.start..end - self.start],
        ))
    }

    #[inline]
    fn window(&mut self, start: usize, end: usize) -> Reference<'de, '_> {
        let end = end.min(start.saturating_add(self.chunk));
        let buf_end = self.start + self.buf.len();
        if start < self.start || buf_end < end {
            self.fill(start, end);
        }
        let (from, to) = (
            start.saturating_sub(self.start),
            end.saturating_sub(self.start),
        );
        let buf: &[u8] = &self.buf;
        Reference::Copied(if start < self.start {
            &[]
        } else {
            buf.get(from..to.min(buf.len())).unwrap_or_default()
        })
    }

    fn line(&mut self, start: usize, end: usize) -> Option<Reference<'de, '_>> {
        if end <= start {
            return None;
        }
        // A window of a chunk, then twice as much each time: each byte
        // is searched a bounded number of times.
        let mut want = start.saturating_add(self.chunk).min(end);
        loop {
            let whole = self.fill(start, want);
            if start < self.start {
                return None;
            }
            let from = start - self.start;
            let to = self.buf.len().min(want - self.start);
            let newline = self.buf.get(from..to)?.iter().position(|&b| b == b'\n');
            if let Some(len) = newline {
                return Some(Reference::Copied(&self.buf[from..from + len]));
            }
            if !whole || want >= end {
                return None;
            }
            want = want.saturating_add(want - start).min(end);
        }
    }

    fn str_again(&mut self, at: usize) -> Option<Reference<'de, '_>> {
        if !self.strs.contains_key(&at) {
            let text = self.read_str_at(at)?;
            self.strs.insert(at, text);
        }
        self.strs.get(&at).map(|text| Reference::Copied(&**text))
    }

    #[inline(always)]
    fn end(&self) -> usize {
        self.max
    }

    #[inline(always)]
    fn seen(&self) -> usize {
        self.seen
    }

    fn holds(&mut self, end: usize) -> bool {
        if end <= self.start + self.buf.len() {
            return true;
        }
        if self.len.is_none() {
            // Where the stream ends, then back to the end of the window.
            let resume = self.origin + (self.start + self.buf.len()) as u64;
            let len = self.reader.seek(io::SeekFrom::End(0));
            if self.reader.seek(io::SeekFrom::Start(resume)).is_err() {
                self.lost = true;
            }
            let len = len.ok().and_then(|len| len.checked_sub(self.origin));
            self.len = Some(len.and_then(|len| usize::try_from(len).ok()).unwrap_or(0));
        }
        self.len.is_some_and(|len| end <= len)
    }

    fn gets(&mut self) -> Option<Gets> {
        self.scan_gets()
    }
}
