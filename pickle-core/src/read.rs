//! The unpickler's input: one trait, two readers.
//!
//! [`SliceRead`] borrows from a `&[u8]` and hands out sub-slices without
//! copying; [`IoRead`] streams from any `io::BufRead`, consuming exactly the
//! bytes of the pickle.
//! The VM is written once against [`Read`].
//!
//! Both apply the FRAME rules of CPython's `_Unframer`: inside a frame, a read
//! must be satisfied entirely by the frame or start exactly at its end (then
//! the frame is over and the read goes to the stream); a read that starts
//! inside a frame and runs past its end is an error, and so is a FRAME that
//! begins before the current frame is used up.

use std::borrow::Cow;
use std::io;

use crate::error::{Error, ErrorKind, Result};

/// Bytes (or a `str`) read from the input: borrowed for the input's lifetime
/// when the reader can, or from the reader's scratch space until the next read.
#[doc(hidden)]
pub enum Reference<'de, 's, T: ?Sized = [u8]> {
    /// Borrowed from the input itself.
    Borrowed(&'de T),
    /// Copied into the reader's scratch space.
    Copied(&'s T),
}

impl<T: ?Sized> std::ops::Deref for Reference<'_, '_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        match self {
            Reference::Borrowed(b) => b,
            Reference::Copied(b) => b,
        }
    }
}

/// The input of the unpickler.
pub(crate) trait Read<'de> {
    /// The offset of the next byte from the start of the pickle.
    fn offset(&self) -> u64;

    /// The next byte, or `None` at the end of the input.
    fn next_byte(&mut self) -> Result<Option<u8>>;

    /// Exactly `n` bytes. A length declared by the input is passed here
    /// unchecked: readers check it against what remains before allocating.
    fn read_bytes<'s>(&'s mut self, n: u64) -> Result<Reference<'de, 's>>;

    /// Exactly `n` bytes that the caller keeps: borrowed when the reader
    /// can lend them, else read straight into their own allocation (grown
    /// as the bytes arrive, never by `n` up front), without a second copy.
    fn read_kept(&mut self, n: u64) -> Result<Cow<'de, [u8]>> {
        Ok(match self.read_bytes(n)? {
            Reference::Borrowed(b) => Cow::Borrowed(b),
            Reference::Copied(b) => Cow::Owned(b.to_vec()),
        })
    }

    /// The bytes up to the next `\n`, which is consumed but not returned.
    fn read_line<'s>(&'s mut self) -> Result<Reference<'de, 's>>;

    /// Starts a frame of `len` bytes at the current position.
    fn begin_frame(&mut self, len: u64) -> Result<()>;

    /// Whether a frame is open and not yet used up.
    fn in_frame(&self) -> bool;
}

fn truncated() -> Error {
    Error::new(ErrorKind::Truncated, "pickle data was truncated")
}

/// Payloads from this size are read straight into their own allocation
/// ([`Read::read_kept`]); below it, through the scratch buffer and one copy.
const DIRECT_READ: u64 = 64 * 1024;

/// How [`IoRead::read_into`] grows its output.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Growth {
    /// As `Vec` does: for a buffer that is reused.
    Doubling,
    /// Towards the payload's size, for a payload that is kept.
    ToSize,
}

fn frame_exhausted() -> Error {
    Error::new(ErrorKind::Frame, "pickle exhausted before end of frame")
}

fn frame_inside_frame() -> Error {
    Error::new(
        ErrorKind::Frame,
        "beginning of a new frame before end of current frame",
    )
}

/// Reads from a byte slice, borrowing.
pub(crate) struct SliceRead<'de> {
    data: &'de [u8],
    pos: usize,
    /// The end of the current frame, if one is open.
    frame_end: Option<usize>,
}

impl<'de> SliceRead<'de> {
    pub(crate) fn new(data: &'de [u8]) -> Self {
        SliceRead {
            data,
            pos: 0,
            frame_end: None,
        }
    }

    /// The end a read of `n` bytes from here may reach, closing a used-up frame.
    #[inline]
    fn limit_for(&mut self, n: usize) -> Result<usize> {
        if let Some(end) = self.frame_end {
            if self.pos < end || n == 0 {
                return Ok(end);
            }
            self.frame_end = None;
        }
        Ok(self.data.len())
    }
}

impl<'de> Read<'de> for SliceRead<'de> {
    #[inline]
    fn offset(&self) -> u64 {
        self.pos as u64
    }

    #[inline]
    fn next_byte(&mut self) -> Result<Option<u8>> {
        let limit = self.limit_for(1)?;
        if self.pos < limit {
            let b = self.data[self.pos];
            self.pos += 1;
            Ok(Some(b))
        } else {
            Ok(None)
        }
    }

    #[inline]
    fn read_bytes<'s>(&'s mut self, n: u64) -> Result<Reference<'de, 's>> {
        let in_frame = self.frame_end.is_some_and(|end| self.pos < end);
        let limit = self.limit_for(1)?;
        let available = (limit - self.pos) as u64;
        if n > available {
            return Err(if in_frame {
                frame_exhausted()
            } else {
                truncated()
            });
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(Reference::Borrowed(&self.data[start..self.pos]))
    }

    fn read_line<'s>(&'s mut self) -> Result<Reference<'de, 's>> {
        let in_frame = self.frame_end.is_some_and(|end| self.pos < end);
        let limit = self.limit_for(1)?;
        let rest = &self.data[self.pos..limit];
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let start = self.pos;
                self.pos += i + 1;
                Ok(Reference::Borrowed(&self.data[start..start + i]))
            }
            None if in_frame => Err(frame_exhausted()),
            None => Err(truncated()),
        }
    }

    fn begin_frame(&mut self, len: u64) -> Result<()> {
        if self.frame_end.is_some_and(|end| self.pos < end) {
            return Err(frame_inside_frame());
        }
        let remaining = (self.data.len() - self.pos) as u64;
        if len > remaining {
            return Err(truncated());
        }
        self.frame_end = Some(self.pos + len as usize);
        Ok(())
    }

    fn in_frame(&self) -> bool {
        self.frame_end.is_some_and(|end| self.pos < end)
    }
}

/// Reads from a buffered stream, consuming exactly the bytes it uses.
pub(crate) struct IoRead<B> {
    inner: B,
    /// Holds reads that do not fit in the stream's buffer, and lines.
    scratch: Vec<u8>,
    /// Offset of the next unconsumed byte in the pickle.
    offset: u64,
    /// Bytes left in the current frame, if one is open.
    frame_left: Option<u64>,
    /// The current frame, read whole at FRAME as CPython's `_Unframer` does,
    /// so that a frame longer than the input fails at FRAME as it does for a
    /// slice; reads are served from it until `frame_pos` reaches its end.
    frame: Vec<u8>,
    frame_pos: usize,
}

const IO_BUFFER: usize = 64 * 1024;

impl<R: io::Read> IoRead<io::BufReader<R>> {
    pub(crate) fn new(inner: R) -> Self {
        IoRead::new_exact(io::BufReader::with_capacity(IO_BUFFER, inner))
    }
}

impl<B: io::BufRead> IoRead<B> {
    pub(crate) fn new_exact(inner: B) -> Self {
        IoRead {
            inner,
            scratch: Vec::new(),
            offset: 0,
            frame_left: None,
            frame: Vec::new(),
            frame_pos: 0,
        }
    }

    /// The unread bytes of the current frame if it has any, else the
    /// buffered bytes, refilled if empty; empty only at end of input.
    fn available<'a>(inner: &'a mut B, frame: &'a [u8], frame_pos: usize) -> Result<&'a [u8]> {
        if frame_pos < frame.len() {
            return Ok(&frame[frame_pos..]);
        }
        Self::fill(inner)
    }

    /// The stream's buffered bytes, refilled if empty; empty only at end of input.
    fn fill(inner: &mut B) -> Result<&[u8]> {
        loop {
            match inner.fill_buf() {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(e)),
            }
        }
        // Already filled: this second call only hands out the buffer.
        inner.fill_buf().map_err(Error::io)
    }

    fn consume(&mut self, n: usize) {
        // A read inside a frame never runs past its end (`enter_read`).
        if self.frame_pos < self.frame.len() {
            self.frame_pos += n;
        } else {
            self.inner.consume(n);
        }
        self.offset += n as u64;
        if let Some(left) = self.frame_left.as_mut() {
            *left -= n as u64;
        }
    }

    /// Appends exactly `n` bytes to `out`, as they arrive: `out` grows with
    /// the bytes actually read, never by the declared `n` up front.
    fn read_into(&mut self, n: u64, out: &mut Vec<u8>, growth: Growth) -> Result<()> {
        let in_frame = self.enter_read(Some(n))?;
        let short = || {
            if in_frame {
                frame_exhausted()
            } else {
                truncated()
            }
        };
        let n = usize::try_from(n).map_err(|_| short())?;
        let start = out.len();
        while out.len() - start < n {
            let buf = Self::available(&mut self.inner, &self.frame, self.frame_pos)?;
            if buf.is_empty() {
                return Err(short());
            }
            let take = (n - (out.len() - start)).min(buf.len());
            if growth == Growth::ToSize && out.capacity() - out.len() < take {
                // Double what arrived, but never past `n`: the last growth
                // lands on `n` exactly, so the payload ends up in one
                // allocation of its own size.
                let read = out.len() - start;
                let want = read.max(DIRECT_READ as usize).min(n - read).max(take);
                out.reserve_exact(want);
                crate::pages::advise(out);
            }
            out.extend_from_slice(&buf[..take]);
            self.consume(take);
        }
        Ok(())
    }

    /// Applies the frame rules to a read of `n` bytes (`None` for a line),
    /// and says whether the read is inside a frame.
    fn enter_read(&mut self, n: Option<u64>) -> Result<bool> {
        match self.frame_left {
            Some(0) if n != Some(0) => {
                self.frame_left = None;
                Ok(false)
            }
            Some(left) if n.is_some_and(|n| n > left) => Err(frame_exhausted()),
            Some(_) => Ok(true),
            None => Ok(false),
        }
    }
}

impl<'de, B: io::BufRead> Read<'de> for IoRead<B> {
    fn offset(&self) -> u64 {
        self.offset
    }

    fn next_byte(&mut self) -> Result<Option<u8>> {
        self.enter_read(Some(1))?;
        let Some(&b) = Self::available(&mut self.inner, &self.frame, self.frame_pos)?.first()
        else {
            return Ok(None);
        };
        self.consume(1);
        Ok(Some(b))
    }

    fn read_bytes<'s>(&'s mut self, n: u64) -> Result<Reference<'de, 's>> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let read = self.read_into(n, &mut scratch, Growth::Doubling);
        self.scratch = scratch;
        read?;
        Ok(Reference::Copied(&self.scratch))
    }

    fn read_kept(&mut self, n: u64) -> Result<Cow<'de, [u8]>> {
        if n < DIRECT_READ {
            return Ok(Cow::Owned(self.read_bytes(n)?.to_vec()));
        }
        let mut out = Vec::new();
        self.read_into(n, &mut out, Growth::ToSize)?;
        Ok(Cow::Owned(out))
    }

    fn read_line<'s>(&'s mut self) -> Result<Reference<'de, 's>> {
        let in_frame = self.enter_read(None)?;
        self.scratch.clear();
        loop {
            let frame_left = self.frame_left;
            let buf = Self::available(&mut self.inner, &self.frame, self.frame_pos)?;
            if buf.is_empty() {
                return Err(if in_frame {
                    frame_exhausted()
                } else {
                    truncated()
                });
            }
            let window = match frame_left {
                Some(left) => &buf[..buf.len().min(usize::try_from(left).unwrap_or(usize::MAX))],
                None => buf,
            };
            if let Some(i) = window.iter().position(|&b| b == b'\n') {
                self.scratch.extend_from_slice(&window[..i]);
                self.consume(i + 1);
                return Ok(Reference::Copied(&self.scratch));
            }
            let n = window.len();
            self.scratch.extend_from_slice(window);
            self.consume(n);
            if self.frame_left == Some(0) {
                return Err(frame_exhausted());
            }
        }
    }

    fn begin_frame(&mut self, len: u64) -> Result<()> {
        if self.frame_left.is_some_and(|left| left > 0) {
            return Err(frame_inside_frame());
        }
        // Read the whole frame now, growing with the bytes that actually
        // arrive, never by the declared length up front.
        self.frame.clear();
        self.frame_pos = 0;
        while (self.frame.len() as u64) < len {
            let buf = Self::fill(&mut self.inner)?;
            if buf.is_empty() {
                self.frame.clear();
                return Err(truncated());
            }
            let want = len - self.frame.len() as u64;
            let take = usize::try_from(want).map_or(buf.len(), |w| w.min(buf.len()));
            self.frame.extend_from_slice(&buf[..take]);
            self.inner.consume(take);
        }
        self.frame_left = Some(len);
        Ok(())
    }

    fn in_frame(&self) -> bool {
        self.frame_left.is_some_and(|left| left > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(
        data: &[u8],
        f: impl Fn(&mut dyn Read<'_>) -> Result<Vec<u8>>,
    ) -> (Result<Vec<u8>>, Result<Vec<u8>>) {
        let mut s = SliceRead::new(data);
        let mut i = IoRead::new(data);
        (f(&mut s), f(&mut i))
    }

    #[test]
    fn a_frame_longer_than_the_input_fails_at_frame_for_a_stream_too() {
        // Found by `cargo fuzz run loads_value` (reduced): FRAME declares 16
        // bytes, 2 follow, and the first is not an opcode. CPython reads the
        // whole frame first, so both readers report truncation at FRAME.
        let data = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\xff.";
        let slice = crate::loads::<crate::Value>(data).unwrap_err();
        let stream = crate::load::<crate::Value>(&data[..]).unwrap_err();
        assert_eq!(slice.kind(), ErrorKind::Truncated, "{slice}");
        assert_eq!(stream.kind(), ErrorKind::Truncated, "{stream}");
        assert_eq!(stream.to_string(), slice.to_string());
    }

    #[test]
    fn a_huge_length_inside_a_frame_is_a_frame_error_for_a_stream_too() {
        // Found by `cargo fuzz run loads_value` (reduced): inside a 10-byte
        // frame, BINBYTES8 declares 2**40 bytes and FRAME declares 2**40.
        // The frame rules come first: the stream does not report its input limit.
        for data in [
            &b"\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00\x8e\x00\x00\x00\x00\x00\x01\x00\x00N."
                [..],
            &b"\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00\x95\x00\x00\x00\x00\x00\x01\x00\x00N."
                [..],
        ] {
            let slice = crate::loads::<crate::Value>(data).unwrap_err();
            let stream = crate::load::<crate::Value>(data).unwrap_err();
            assert_eq!(slice.kind(), ErrorKind::Frame, "{slice}");
            assert_eq!(stream.kind(), ErrorKind::Frame, "{stream}");
            assert_eq!(stream.to_string(), slice.to_string());
        }
    }

    #[test]
    fn a_stream_frame_is_read_whole_and_consumed_exactly() {
        // pickle.dumps([1, 2], protocol=4) twice in one stream.
        let one = b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e.";
        let two = [&one[..], &one[..]].concat();
        let mut rest = &two[..];
        for _ in 0..2 {
            let v: crate::Value = crate::Unpickler::new().load_buffered(&mut rest).unwrap();
            assert_eq!(format!("{v:?}"), "[1, 2]");
        }
        assert!(rest.is_empty());
    }

    #[test]
    fn reads_and_lines_agree_between_slice_and_stream() {
        let (a, b) = both(b"abc\ndef", |r| {
            let line = r.read_line()?.to_vec();
            let rest = r.read_bytes(3)?.to_vec();
            Ok([line, rest].concat())
        });
        assert_eq!(a.unwrap(), b"abcdef");
        assert_eq!(b.unwrap(), b"abcdef");
    }

    #[test]
    fn declared_length_past_the_end_is_truncated_not_allocated() {
        let (a, b) = both(b"xy", |r| Ok(r.read_bytes(4 << 30)?.to_vec()));
        assert_eq!(a.unwrap_err().kind(), ErrorKind::Truncated);
        assert_eq!(b.unwrap_err().kind(), ErrorKind::Truncated);
    }

    #[test]
    fn read_straddling_frame_end_is_an_error() {
        let (a, b) = both(b"abcdef", |r| {
            r.begin_frame(2)?;
            Ok(r.read_bytes(3)?.to_vec())
        });
        assert_eq!(a.unwrap_err().kind(), ErrorKind::Frame);
        assert_eq!(b.unwrap_err().kind(), ErrorKind::Frame);
    }

    #[test]
    fn read_starting_at_frame_end_continues_outside() {
        let (a, b) = both(b"abcdef", |r| {
            r.begin_frame(2)?;
            let x = r.read_bytes(2)?.to_vec();
            let y = r.read_bytes(3)?.to_vec();
            Ok([x, y].concat())
        });
        assert_eq!(a.unwrap(), b"abcde");
        assert_eq!(b.unwrap(), b"abcde");
    }

    #[test]
    fn frame_inside_unfinished_frame_is_an_error() {
        let (a, b) = both(b"abcdef", |r| {
            r.begin_frame(4)?;
            r.read_bytes(1)?;
            r.begin_frame(1)?;
            Ok(vec![])
        });
        assert_eq!(a.unwrap_err().kind(), ErrorKind::Frame);
        assert_eq!(b.unwrap_err().kind(), ErrorKind::Frame);
    }

    #[test]
    fn line_running_past_frame_end_is_an_error() {
        let (a, b) = both(b"ab\ncd", |r| {
            r.begin_frame(2)?;
            Ok(r.read_line()?.to_vec())
        });
        assert_eq!(a.unwrap_err().kind(), ErrorKind::Frame);
        assert_eq!(b.unwrap_err().kind(), ErrorKind::Frame);
    }

    #[test]
    fn stream_reads_larger_than_its_buffer() {
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let mut r = IoRead::new(&data[..]);
        Read::read_bytes(&mut r, 5).unwrap();
        let big = Read::read_bytes(&mut r, 150_000).unwrap().to_vec();
        assert_eq!(&big[..], &data[5..150_005]);
        assert_eq!(Read::offset(&r), 150_005);
    }
}
