//! One pass over a stream's opcodes, for the memo indices its GETs name
//! and the nodes a graph of it holds.

use std::io;

use super::{Gets, Source, Stream};
use crate::opcode::{ArgKind, ArgLayout, Opcode};
use crate::unpickler::nodes;

/// What one pass over a pickle found, for the readings of it that follow.
#[doc(hidden)]
#[derive(Clone)]
pub struct Scan {
    /// The memo indices its GETs name: the only entries a memo must keep.
    pub(crate) gets: Gets,
    /// The nodes a graph of it holds, by the VM's rules ([`nodes::added`]),
    /// but for those made once per graph.
    pub(crate) nodes: usize,
}

impl<R: io::Read + io::Seek> Stream<R> {
    /// One pass over the pickle's opcodes to its STOP, through the window,
    /// noting the index of every GET and counting the nodes. `None` for
    /// anything that is not a pickle, and for a memo not numbered as
    /// CPython numbers it: a PUT of another index than the next (the
    /// entries so far), or a GET far past the entries PUT so far.
    pub(super) fn scan_pickle(&mut self) -> Option<Scan> {
        let mut gets = Gets::default();
        let (mut pos, mut puts, mut nodes) = (0, 0usize, 0usize);
        loop {
            let op = Opcode::from_byte(self.byte_at(pos)?)?;
            pos += 1;
            nodes += nodes::added(op, self.node_arg(op, pos)?);
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
                return Some(Scan { gets, nodes });
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

    /// The argument [`nodes::added`] counts by, of the opcode `op` whose
    /// argument starts at `pos`: the int of the binary ints, the length of
    /// the counted strs and bytes.
    fn node_arg(&mut self, op: Opcode, pos: usize) -> Option<i64> {
        use Opcode::*;
        let arg = match op {
            BinInt1 | ShortBinUnicode | ShortBinBytes => self.uint(pos, 1)?,
            BinInt2 => self.uint(pos, 2)?,
            BinUnicode | BinBytes => self.uint(pos, 4)?,
            BinUnicode8 | BinBytes8 => self.uint(pos, 8)?,
            BinInt => return Some(i64::from(self.uint(pos, 4)? as u32 as i32)),
            // Decimal text, LONG's with its `L`; what does not parse as
            // plain digits counts as a big int.
            Int | Long => {
                let line = self.line(pos, self.end())?;
                let digits = line.strip_suffix(b"L").unwrap_or(&line);
                let parsed = std::str::from_utf8(digits)
                    .ok()
                    .and_then(|s| s.parse().ok());
                return Some(parsed.unwrap_or(i64::MAX));
            }
            _ => 0,
        };
        Some(i64::try_from(arg).unwrap_or(i64::MAX))
    }

    /// The little-endian unsigned int of `width` bytes at `pos`.
    fn uint(&mut self, pos: usize, width: usize) -> Option<usize> {
        let bytes = self.range(pos, pos.checked_add(width)?)?;
        let mut le = [0; 8];
        le[..width].copy_from_slice(&bytes);
        usize::try_from(u64::from_le_bytes(le)).ok()
    }
}
