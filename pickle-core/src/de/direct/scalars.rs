//! Scalars: ints, floats, bools, `None` and strs, one at a time or in runs.

use super::source::{str_header_len, str_len};
use super::{Direct, Memo, Reference, Source};
use crate::opcode::Opcode;

impl<'de, S: Source<'de>> Direct<'de, S> {
    /// An int that fits in an `i64`. A bool is not an int here, as in the graph path.
    #[inline(always)]
    pub fn int(&mut self) -> Option<i64> {
        let op = self.peek()?;
        self.advance();
        let n = match op {
            b if b == Opcode::BinInt1.byte() => i64::from(self.byte()?),
            b if b == Opcode::BinInt2.byte() => i64::from(u16::from_le_bytes(self.array()?)),
            b if b == Opcode::BinInt.byte() => i64::from(i32::from_le_bytes(self.array()?)),
            b if b == Opcode::Long1.byte() => {
                let n = usize::from(self.byte()?);
                let bytes = self.bytes(n)?;
                if n > 8 {
                    return None;
                }
                let fill = if bytes.last().is_some_and(|&b| b & 0x80 != 0) {
                    0xff
                } else {
                    0
                };
                let mut le = [fill; 8];
                le[..n].copy_from_slice(&bytes);
                i64::from_le_bytes(le)
            }
            _ => return None,
        };
        self.push()?;
        self.memoize(Memo::OTHER)?;
        Some(n)
    }

    /// A run of up to `max` ints written as BININT1, BININT2 or BININT (as
    /// the pickler writes a list of small ints), each given to `keep`
    /// until it returns `false` (that int is left unread). Returns how many
    /// were kept, which may be none: [`Direct::int`] reads any other int.
    #[inline]
    pub fn small_ints(&mut self, max: usize, mut keep: impl FnMut(i64) -> bool) -> Option<usize> {
        // Each opcode's class: 0 for none of the three, else an index into
        // the argument lengths and masks.
        const CLASS: [u8; 256] = {
            let mut class = [0; 256];
            class[Opcode::BinInt1.byte() as usize] = 1;
            class[Opcode::BinInt2.byte() as usize] = 2;
            class[Opcode::BinInt.byte() as usize] = 3;
            class
        };
        const SIZE: [usize; 4] = [0, 2, 3, 5];
        const MASK: [u32; 4] = [0, 0xff, 0xffff, u32::MAX];
        let max = self.run_max(max);
        let start = self.input.pos;
        // Within the open frame; the four bytes after the opcode are read
        // whole (and masked), so the last ints of the frame take `int`.
        let window = self.source.window(start, self.input.limit);
        let end = window.len().saturating_sub(4);
        let mut pos = 0;
        let mut n = 0;
        while n < max && pos < end {
            let class = usize::from(CLASS[usize::from(window[pos])]);
            let size = SIZE[class];
            if size == 0 {
                break;
            }
            let arg = u32::from_le_bytes([
                window[pos + 1],
                window[pos + 2],
                window[pos + 3],
                window[pos + 4],
            ]);
            // BININT1 and BININT2 are unsigned, and never reach the sign bit.
            if !keep(i64::from((arg & MASK[class]) as i32)) {
                break;
            }
            pos += size;
            n += 1;
        }
        self.run_read(start + pos, n)
    }

    /// A run of up to `max` floats written as BINFLOAT (as the pickler
    /// writes a list of floats), each given to `keep` until it returns
    /// `false` (that float is left unread). Returns how many were kept,
    /// which may be none: [`Direct::float`] reads any other float.
    #[inline]
    pub fn floats(&mut self, max: usize, mut keep: impl FnMut(f64) -> bool) -> Option<usize> {
        let max = self.run_max(max);
        let start = self.input.pos;
        let window = self.source.window(start, self.input.limit);
        let mut pos = 0;
        let mut n = 0;
        while n < max {
            match window.get(pos..pos + 9) {
                Some(&[op, b0, b1, b2, b3, b4, b5, b6, b7]) if op == Opcode::BinFloat.byte() => {
                    if !keep(f64::from_be_bytes([b0, b1, b2, b3, b4, b5, b6, b7])) {
                        break;
                    }
                }
                _ => break,
            }
            pos += 9;
            n += 1;
        }
        self.run_read(start + pos, n)
    }

    /// How many objects a run of at most `max` may read: never up to a
    /// limit, where the reader of one object gives up instead.
    #[inline]
    fn run_max(&self, max: usize) -> u64 {
        let room = |limit: usize, used: u64| (limit as u64).saturating_sub(used + 1);
        (max as u64)
            .min(room(self.limits.max_stack_depth, self.height as u64))
            .min(room(self.limits.max_objects, self.objects))
    }

    /// Takes a run of `n` objects read up to `pos`, each pushed on the
    /// unpickler's stack; the memo PUTs after the last one (none came
    /// between them: a run stops at any other opcode).
    #[inline]
    fn run_read(&mut self, pos: usize, n: u64) -> Option<usize> {
        if n > 0 {
            self.input.pos = pos;
            self.height += n as usize;
            self.objects += n;
            self.memoize(Memo::OTHER)?;
        }
        Some(n as usize)
    }

    /// A float, or an int the float holds exactly.
    #[inline(always)]
    pub fn float(&mut self) -> Option<f64> {
        if self.peek()? == Opcode::BinFloat.byte() {
            self.advance();
            let x = f64::from_be_bytes(self.array()?);
            self.push()?;
            self.memoize(Memo::OTHER)?;
            return Some(x);
        }
        let n = self.int()?;
        let x = n as f64;
        (x as i128 == i128::from(n)).then_some(x)
    }

    /// `True` or `False`.
    #[inline]
    pub fn bool(&mut self) -> Option<bool> {
        let b = match self.peek()? {
            b if b == Opcode::NewTrue.byte() => true,
            b if b == Opcode::NewFalse.byte() => false,
            _ => return None,
        };
        self.advance();
        self.push()?;
        self.memoize(Memo::OTHER)?;
        Some(b)
    }

    /// Takes `None` if it is next; `Some(false)` if something else is.
    #[inline]
    pub fn none(&mut self) -> Option<bool> {
        if !self.eat(Opcode::None)? {
            return Some(false);
        }
        self.push()?;
        self.memoize(Memo::OTHER)?;
        Some(true)
    }

    /// A str: borrowed from the input if it is a slice, else a copy read
    /// from the stream, which lasts until the next read.
    #[inline]
    pub fn str(&mut self) -> Option<Reference<'de, '_, str>> {
        Some(match self.str_bytes()? {
            Reference::Borrowed(bytes) => Reference::Borrowed(std::str::from_utf8(bytes).ok()?),
            Reference::Copied(bytes) => Reference::Copied(std::str::from_utf8(bytes).ok()?),
        })
    }

    /// A str as a `String` of its own. A long str from a stream is read
    /// into it a window at a time, so that it is never held twice (in the
    /// window, then in the `String`).
    #[inline]
    pub fn string(&mut self) -> Option<String> {
        if S::COPIES && self.long_str_next() {
            return self.string_in_pieces();
        }
        self.str().map(|text| String::from(&*text))
    }

    /// Whether a BINUNICODE or BINUNICODE8 of more than a stream's window
    /// (64 KiB) is next. Its length is only looked at, not read.
    #[inline]
    fn long_str_next(&mut self) -> bool {
        const LONG_STR: usize = 64 * 1024;
        let at = self.input.pos;
        let Some(header_len) = self.source.byte_at(at).and_then(str_header_len) else {
            return false;
        };
        self.source
            .range(at, at + header_len)
            .and_then(|header| str_len(&header))
            .is_some_and(|n| n > LONG_STR)
    }

    /// The str next, a BINUNICODE or BINUNICODE8, read in pieces.
    #[cold]
    fn string_in_pieces(&mut self) -> Option<String> {
        let op = self.peek()?;
        let at = self.input.pos;
        self.advance();
        let n = self.str_arg(op)?;
        let start = self.skip(n)?;
        self.charge(n)?;
        let mut text = Vec::new();
        self.pieces(start, n, &mut |piece, len| {
            super::calls::gather(&mut text, piece, len);
            Some(())
        })?;
        self.push()?;
        self.memoize(Memo::payload(at))?;
        String::from_utf8(text).ok()
    }

    /// The bytes of a str, not checked to be UTF-8: for a caller that
    /// compares them with strs it knows (a key with field names).
    #[inline]
    pub(super) fn str_bytes(&mut self) -> Option<Reference<'de, '_>> {
        let op = self.peek()?;
        if op == Opcode::BinGet.byte() || op == Opcode::LongBinGet.byte() {
            return self.payload_again(op, str_header_len);
        }
        let at = self.input.pos;
        self.advance();
        let n = self.str_arg(op)?;
        let start = self.skip(n)?;
        if S::COPIES {
            // The graph path would copy the text too.
            self.charge(n)?;
        }
        self.push()?;
        self.memoize(Memo::payload(at))?;
        self.source.range(start, start + n)
    }

    /// The length argument of the str opcode `op`, just past it; `None`
    /// for an opcode that is not SHORT_BINUNICODE, BINUNICODE or BINUNICODE8.
    #[inline]
    fn str_arg(&mut self, op: u8) -> Option<usize> {
        match op {
            b if b == Opcode::ShortBinUnicode.byte() => Some(usize::from(self.byte()?)),
            b if b == Opcode::BinUnicode.byte() => Some(u32::from_le_bytes(self.array()?) as usize),
            b if b == Opcode::BinUnicode8.byte() => {
                usize::try_from(u64::from_le_bytes(self.array()?)).ok()
            }
            _ => None,
        }
    }
}
