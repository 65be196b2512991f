//! FRAME boundaries, kept apart from the rest of the pickler as pickle.py's `_Framer`.
//!
//! The `save_*` code only ever calls [`Framer::write`], [`Framer::write_payload`]
//! and [`Framer::opcode_boundary`]; where frames begin and end is decided here,
//! following the C pickler (`_pickle.c`), whose output `pickle.dumps` produces:
//!
//! - A frame is opened lazily by the first write after the previous one was
//!   committed, with a 9-byte placeholder for its header.
//! - At the start of saving each object (an opcode boundary) the frame is
//!   committed once it holds at least 64 KiB, and everything finished is
//!   handed to the writer. Frames end only there, so a container's closing
//!   opcode stays in the frame of its last item.
//! - A payload of 64 KiB or more (bytes, str, bytearray data) commits the
//!   current frame and is written outside any frame, header included.
//! - A committed frame under 4 bytes loses its header: its bytes are written bare.
//!
//! Only the current frame is buffered, so [`dump`](super::Pickler::dump)
//! streams: memory stays at about one frame whatever the size of the pickle.

use std::io::{self, Write};

use crate::opcode::Opcode;

/// The size at which a frame is committed, and from which payloads bypass frames.
pub(super) const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// Frames smaller than this are written without a FRAME header.
const FRAME_SIZE_MIN: usize = 4;
/// FRAME and its 8-byte length.
const FRAME_HEADER_SIZE: usize = 9;

/// Buffers the pickle being written and cuts it into frames.
pub(super) struct Framer<W> {
    out: W,
    /// Bytes not yet handed to `out`: at most the open frame, plus bytes
    /// written before it while framing was off.
    buf: Vec<u8>,
    /// Whether frames are being written (protocol 4 and above, after PROTO).
    framing: bool,
    /// Where in `buf` the open frame's header placeholder starts.
    frame_start: Option<usize>,
    /// Whether `buf` is the whole output (`dumps`): nothing is flushed to
    /// `out`, and frames are committed in place.
    keep: bool,
    /// The capacity of `buf` when it was last advised to take huge pages.
    advised: usize,
}

impl<W: Write> Framer<W> {
    pub(super) fn new(out: W) -> Self {
        Framer {
            out,
            buf: Vec::with_capacity(4096),
            framing: false,
            frame_start: None,
            keep: false,
            advised: 0,
        }
    }

    /// A framer that keeps the whole pickle in memory, for `dumps`: the
    /// bytes are written once, into the buffer [`Framer::into_bytes`] returns.
    pub(super) fn in_memory(out: W) -> Self {
        Framer {
            keep: true,
            ..Framer::new(out)
        }
    }

    /// The pickle written by an [`in_memory`](Framer::in_memory) framer, after [`finish`](Framer::finish).
    pub(super) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// The buffer to append whole opcodes to, in the current frame (opened if
    /// framing and none is open).
    #[inline]
    pub(super) fn buf(&mut self) -> &mut Vec<u8> {
        if self.framing && self.frame_start.is_none() {
            self.open_frame();
        }
        &mut self.buf
    }

    #[cold]
    fn open_frame(&mut self) {
        // A whole pickle in memory grows a frame at a time: the room it
        // grew into takes huge pages once big.
        crate::pages::advise_grown(&mut self.buf, &mut self.advised);
        self.frame_start = Some(self.buf.len());
        self.buf.extend_from_slice(&[0; FRAME_HEADER_SIZE]);
    }

    /// Turns framing on; called after PROTO, which is never framed.
    pub(super) fn start_framing(&mut self) {
        self.framing = true;
    }

    /// Appends bytes to the open frame, opening one if needed.
    #[inline]
    pub(super) fn write(&mut self, data: &[u8]) {
        self.buf().extend_from_slice(data);
    }

    /// Writes one opcode byte.
    pub(super) fn op(&mut self, op: Opcode) {
        self.write(&[op.byte()]);
    }

    /// Writes an opcode with its length header and its payload.
    ///
    /// Payloads of [`FRAME_SIZE_TARGET`] bytes or more go outside frames,
    /// straight to the writer, as `_Pickler_write_bytes` does.
    #[inline]
    pub(super) fn write_payload(&mut self, header: &[u8], data: &[u8]) -> io::Result<()> {
        if data.len() < FRAME_SIZE_TARGET {
            self.write(header);
            self.write(data);
            return Ok(());
        }
        self.commit_frame();
        self.buf.extend_from_slice(header);
        if self.keep {
            // Room for the frames after it too, so that the buffer does
            // not grow again right away.
            self.buf.reserve(data.len() + FRAME_SIZE_TARGET);
            crate::pages::advise(&mut self.buf);
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        self.flush_buf()?;
        self.out.write_all(data)
    }

    /// How many bytes may be written before an opcode boundary could end
    /// the frame (or hand bytes to the writer): between boundaries within
    /// that many bytes, [`Framer::opcode_boundary`] would do nothing.
    #[inline]
    pub(super) fn room(&self) -> usize {
        let used = match self.frame_start {
            Some(start) => self.buf.len() - start - FRAME_HEADER_SIZE,
            None if self.framing => 0,
            None => self.buf.len(),
        };
        FRAME_SIZE_TARGET.saturating_sub(used)
    }

    /// Called before saving each object: ends the frame if it is big enough.
    pub(super) fn opcode_boundary(&mut self) -> io::Result<()> {
        match self.frame_start {
            Some(start) if self.buf.len() - start - FRAME_HEADER_SIZE >= FRAME_SIZE_TARGET => {
                self.commit_frame();
                self.flush_buf()?;
            }
            // No frame header to patch later (protocols 0–3): hand finished
            // bytes over as they accumulate.
            None if self.buf.len() >= FRAME_SIZE_TARGET => self.flush_buf()?,
            _ => {}
        }
        Ok(())
    }

    /// Commits the last frame and writes everything out.
    pub(super) fn finish(&mut self) -> io::Result<()> {
        self.commit_frame();
        self.framing = false;
        self.flush_buf()?;
        self.out.flush()
    }

    /// Fills in the open frame's header, or drops it if the frame is too small.
    fn commit_frame(&mut self) {
        let Some(start) = self.frame_start.take() else {
            return;
        };
        let len = self.buf.len() - start - FRAME_HEADER_SIZE;
        if len >= FRAME_SIZE_MIN {
            self.buf[start] = Opcode::Frame.byte();
            self.buf[start + 1..start + FRAME_HEADER_SIZE]
                .copy_from_slice(&(len as u64).to_le_bytes());
        } else {
            self.buf.drain(start..start + FRAME_HEADER_SIZE);
        }
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        debug_assert!(self.frame_start.is_none());
        if !self.keep && !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(f: impl FnOnce(&mut Framer<&mut Vec<u8>>) -> io::Result<()>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut framer = Framer::new(&mut out);
        framer.start_framing();
        f(&mut framer).unwrap();
        framer.finish().unwrap();
        out
    }

    #[test]
    fn frame_under_four_bytes_is_written_without_header() {
        let out = framed(|f| {
            f.write(b"N.");
            Ok(())
        });
        assert_eq!(out, b"N.");
    }

    #[test]
    fn frame_of_four_bytes_gets_a_header() {
        let out = framed(|f| {
            f.write(b"]\x94N.");
            Ok(())
        });
        assert_eq!(out, b"\x95\x04\x00\x00\x00\x00\x00\x00\x00]\x94N.");
    }

    #[test]
    fn frame_is_cut_only_at_an_opcode_boundary_past_the_target() {
        let out = framed(|f| {
            f.write(&[b'a'; FRAME_SIZE_TARGET - 1]);
            f.opcode_boundary()?; // one byte short: stays open
            f.write(b"bc");
            f.opcode_boundary()?; // past the target: committed
            f.write(b"d...");
            Ok(())
        });
        let first = FRAME_SIZE_TARGET + 1;
        assert_eq!(out[0], 0x95);
        assert_eq!(&out[1..9], &(first as u64).to_le_bytes());
        assert_eq!(
            &out[9 + first..9 + first + 9],
            b"\x95\x04\x00\x00\x00\x00\x00\x00\x00"
        );
        assert_eq!(&out[9 + first + 9..], b"d...");
    }

    #[test]
    fn large_payload_goes_outside_frames_with_its_header() {
        let big = vec![b'x'; FRAME_SIZE_TARGET];
        let out = framed(|f| {
            f.write(b"]\x94(");
            f.write_payload(b"B\x00\x00\x01\x00", &big)?;
            f.write(b"\x94e.");
            Ok(())
        });
        // "](" is under 4 bytes: bare. Then the unframed payload, then a bare tail.
        let mut expected = b"]\x94(B\x00\x00\x01\x00".to_vec();
        expected.extend_from_slice(&big);
        expected.extend_from_slice(b"\x94e.");
        assert_eq!(out, expected);
    }

    #[test]
    fn without_framing_bytes_pass_through() {
        let mut out = Vec::new();
        let mut f = Framer::new(&mut out);
        f.write(b"(lp0\n");
        f.opcode_boundary().unwrap();
        f.write(b".");
        f.finish().unwrap();
        assert_eq!(out, b"(lp0\n.");
    }
}
