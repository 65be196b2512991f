//! One pass over a stream's opcodes, for the memo indices its GETs name.

use std::io;

use super::{Gets, Source, Stream};
use crate::opcode::{ArgKind, ArgLayout, Opcode};

impl<R: io::Read + io::Seek> Stream<R> {
    /// One pass over the pickle's opcodes to its STOP, through the window,
    /// noting the index of every GET. `None` for anything that is not a
    /// pickle, and for a memo not numbered as CPython numbers it: a PUT of
    /// another index than the next (the entries so far), or a GET far past
    /// the entries PUT so far.
    pub(super) fn scan_gets(&mut self) -> Option<Gets> {
        let mut gets = Gets::default();
        let (mut pos, mut puts) = (0, 0usize);
        loop {
            let op = Opcode::from_byte(self.byte_at(pos)?)?;
            pos += 1;
            let index = match op {
                Opcode::BinGet => Some(usize::from(self.byte_at(pos)?)),
                Opcode::LongBinGet => Some(self.uint(pos, 4)?),
                Opcode::Get => std::str::from_utf8(&self.line(pos, self.end())?)
                    .ok()?
                    .parse()
                    .ok(),
                Opcode::Memoize => {
                    puts += 1;
                    None
                }
                Opcode::BinPut | Opcode::LongBinPut | Opcode::Put => {
                    let index = match op {
                        Opcode::BinPut => usize::from(self.byte_at(pos)?),
                        Opcode::LongBinPut => self.uint(pos, 4)?,
                        _ => std::str::from_utf8(&self.line(pos, self.end())?)
                            .ok()?
                            .parse()
                            .ok()?,
                    };
                    if index != puts {
                        return None;
                    }
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
        match kind.layout() {
            ArgLayout::Fixed(n) => pos.checked_add(n),
            ArgLayout::Lines(n) => (0..n).try_fold(pos, |pos, _| {
                Some(pos + self.line(pos, self.end())?.len() + 1)
            }),
            ArgLayout::Counted { width, signed } => {
                let len = self.uint(pos, width)?;
                // A negative length (string4, long4) is not a pickle's.
                if signed && len >= 1 << (8 * width - 1) {
                    return None;
                }
                (pos + width).checked_add(len)
            }
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
