//! A pickle in a stream that can seek, read through a window.

use std::io::{self, Read as _};

use super::{str_len, Gets, Reference, Scan, Source};
use crate::de::direct::Memo;
use crate::fast_map::FastMap;

/// How much a stream reads at a time, and the least a window holds when it can.
const CHUNK: usize = 64 * 1024;

/// How much of what was read a window keeps behind where reading goes on.
const BEHIND: usize = 4 * 1024;

/// How much a stream may read in all, for each byte of the pickle seen
/// (plus [`READ_SLACK`]): once forward, once more to scan for GETs, and the
/// windows read again after seeking back. Past it, the direct read gives
/// up, so that seeking back cannot make it read the stream many times over.
const READ_PER_BYTE: usize = 3;

/// See [`READ_PER_BYTE`].
const READ_SLACK: usize = 16 * CHUNK;

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
    /// How many bytes the window has read from the stream, in all.
    read: usize,
    /// How much to read at a time: [`CHUNK`], or less in tests.
    chunk: usize,
    /// The length of the stream from the pickle's start, once asked.
    len: Option<usize>,
    /// The payloads (strs' and bytes') fetched again, by the place of their opcode.
    again: FastMap<usize, Box<[u8]>>,
    /// What the scan found, once it ran: the direct read's memo asks
    /// first, and the graph path again if the direct read gives up.
    scanned: Option<Option<Scan>>,
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
            read: 0,
            chunk: CHUNK,
            len: None,
            again: FastMap::default(),
            scanned: None,
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

    /// One pass over the whole pickle ([`Scan`]), run once; `None` if it
    /// is not a pickle the scan can tell about.
    pub(crate) fn scan(&mut self) -> Option<&Scan> {
        if self.scanned.is_none() {
            self.scanned = Some(self.scan_pickle());
        }
        self.scanned.as_ref().and_then(Option::as_ref)
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
            let budget = (self.seen)
                .saturating_mul(READ_PER_BYTE)
                .saturating_add(READ_SLACK);
            if self.read > budget {
                return false;
            }
            // A chunk at a time (a declared length is not trusted), never
            // past the limit; `read_to_end` retries interrupted reads and
            // grows the window as the bytes arrive.
            let room = self.max - (self.start + self.buf.len());
            let ask = self.chunk.min(room);
            match (&mut self.reader)
                .take(ask as u64)
                .read_to_end(&mut self.buf)
            {
                Ok(n) => {
                    self.read += n;
                    self.seen = self.seen.max(self.start + self.buf.len());
                    self.eof = n < ask;
                }
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
    fn read_again_at(
        &mut self,
        at: usize,
        header_len: impl Fn(u8) -> Option<usize>,
    ) -> Option<Box<[u8]>> {
        let resume = self.origin + (self.start + self.buf.len()) as u64;
        let text = self.read_again_from(self.origin + at as u64, header_len);
        if self.reader.seek(io::SeekFrom::Start(resume)).is_err() {
            self.lost = true;
        }
        text
    }

    fn read_again_from(
        &mut self,
        pos: u64,
        header_len: impl Fn(u8) -> Option<usize>,
    ) -> Option<Box<[u8]>> {
        self.reader.seek(io::SeekFrom::Start(pos)).ok()?;
        let mut header = [0; 9];
        self.reader.read_exact(&mut header[..1]).ok()?;
        let header_len = header_len(header[0])?;
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

    fn again(
        &mut self,
        at: usize,
        header_len: impl Fn(u8) -> Option<usize>,
    ) -> Option<Reference<'de, '_>> {
        if !self.again.contains_key(&at) {
            let payload = self.read_again_at(at, header_len)?;
            self.again.insert(at, payload);
        }
        self.again
            .get(&at)
            .map(|payload| Reference::Copied(&**payload))
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
        self.scan().map(|scan| scan.gets.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn seeking_back_and_forth_stops_at_the_read_budget() {
        let data = vec![0_u8; 8 * CHUNK];
        let mut stream = Stream::new(Cursor::new(data), u64::MAX).unwrap();
        assert!(stream.fill(0, CHUNK));
        // The last chunk and the first in turn: each time the window is
        // sought and read again.
        let mut fills = 0;
        loop {
            let at = if fills % 2 == 0 { 7 * CHUNK } else { 0 };
            if !stream.fill(at, at + CHUNK) {
                break;
            }
            fills += 1;
            assert!(fills < 1000, "no budget");
        }
        // The budget: 3 bytes for each of the 8 chunks seen, and 16 chunks.
        assert_eq!(fills, 40);
        assert_eq!(stream.read, 41 * CHUNK);
    }
}
