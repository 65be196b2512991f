//! The memo as the direct reader keeps it: what a later GET can fetch again.

use super::{is_put, Direct, Source};
use crate::opcode::Opcode;

/// What the memo holds, as far as the direct reader can use it again, in
/// 4 bytes an entry (a pickle may memoize millions of strs):
///
/// - a str, by the place of its opcode in the input (below 2 GiB, see
///   [`read`](super::read)), where its length and text are read again;
/// - a global, by its index in [`Direct::globals`], with the top bit set;
/// - [`Memo::OTHER`], an object the reader cannot fetch again (a
///   container, an instance): a GET of it gives up.
#[derive(Clone, Copy, PartialEq)]
pub(super) struct Memo(u32);

impl Memo {
    pub(super) const OTHER: Memo = Memo(u32::MAX);
    pub(super) const GLOBAL: u32 = 1 << 31;

    /// The str whose opcode is at `at`.
    pub(super) fn str(at: usize) -> Memo {
        Memo(at as u32)
    }

    /// The global at `index` in [`Direct::globals`].
    pub(super) fn global(index: u32) -> Option<Memo> {
        (index < Memo::GLOBAL - 1).then_some(Memo(Memo::GLOBAL | index))
    }

    /// The place of the str's opcode, if a str.
    pub(super) fn as_str(self) -> Option<usize> {
        (self.0 < Memo::GLOBAL).then_some(self.0 as usize)
    }

    /// The global's index, if a global.
    pub(super) fn as_global(self) -> Option<u32> {
        (self != Memo::OTHER && self.0 >= Memo::GLOBAL).then_some(self.0 & !Memo::GLOBAL)
    }
}

impl<'de, S: Source<'de>> Direct<'de, S> {
    /// The memo PUTs after an object: records what a later GET can use.
    #[inline(always)]
    pub(super) fn memoize(&mut self, entry: Memo) -> Option<()> {
        match self.source.byte_at(self.input.pos) {
            // MEMOIZE, as protocols 4 and 5 write after every str and
            // container, and nothing after it that needs the slow path.
            Some(b)
                if b == Opcode::Memoize.byte()
                    && self.input.pos < self.input.limit
                    && self.memo.len() < self.limits.max_memo_entries
                    && self
                        .source
                        .byte_at(self.input.pos + 1)
                        .is_some_and(|next| !is_put(next)) =>
            {
                self.input.pos += 1;
                self.memo.push(entry);
                Some(())
            }
            Some(b) if !is_put(b) => Some(()),
            _ => self.memoize_slow(entry),
        }
    }

    fn memoize_slow(&mut self, entry: Memo) -> Option<()> {
        loop {
            let index = match self.peek()? {
                b if b == Opcode::Memoize.byte() => {
                    self.advance();
                    self.memo.len()
                }
                b if b == Opcode::BinPut.byte() => {
                    self.advance();
                    usize::from(self.byte()?)
                }
                b if b == Opcode::LongBinPut.byte() => {
                    self.advance();
                    u32::from_le_bytes(self.array()?) as usize
                }
                _ => return Some(()),
            };
            match index.cmp(&self.memo.len()) {
                std::cmp::Ordering::Equal => {
                    if self.memo.len() >= self.limits.max_memo_entries {
                        return self.give_up();
                    }
                    self.memo.push(entry);
                }
                std::cmp::Ordering::Less => {
                    self.overwrites += 1;
                    self.memo[index] = entry;
                }
                // A sparse memo: the graph path's.
                std::cmp::Ordering::Greater => return self.give_up(),
            }
        }
    }

    /// A GET of the memo entry at the next opcode, if it is a GET.
    #[inline]
    pub(super) fn fetch(&mut self, op: u8) -> Option<Memo> {
        let index = if op == Opcode::BinGet.byte() {
            usize::from(self.byte()?)
        } else {
            u32::from_le_bytes(self.array()?) as usize
        };
        self.memo.get(index).copied()
    }
}
