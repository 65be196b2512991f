//! The memo as the direct reader keeps it: what a later GET can fetch again.
//!
//! Every entry takes 4 bytes, which a pickle of millions of objects makes
//! megabytes. A stream that can seek ([`Source::gets`]) says which entries a
//! GET will fetch, once the memo reaches [`FILTER_FROM`] entries: from then
//! on the memo keeps those alone, and counts the others.

use super::{is_put, Direct, Reference, Source};
use crate::opcode::Opcode;

/// What the memo holds, as far as the direct reader can use it again, in
/// 4 bytes an entry (a pickle may memoize millions of strs):
///
/// - a str or a bytes, by the place of its opcode in the input (below
///   2 GiB, see [`read`](super::read)), where its length and payload are
///   read again;
/// - a global, by its index in [`Direct::globals`], with the top bit set;
/// - an object a call made that a reader keeps (a numpy dtype), by its
///   index in [`Direct::made`], with the top two bits set;
/// - [`Memo::OTHER`], an object the reader cannot fetch again (a
///   container, an instance): a GET of it gives up.
#[derive(Clone, Copy, PartialEq)]
pub(super) struct Memo(u32);

impl Memo {
    pub(super) const OTHER: Memo = Memo(u32::MAX);
    pub(super) const GLOBAL: u32 = 1 << 31;
    /// With [`Memo::GLOBAL`]: an object in [`Direct::made`].
    const MADE: u32 = 1 << 30;

    /// The str or bytes whose opcode is at `at`.
    pub(super) fn payload(at: usize) -> Memo {
        Memo(at as u32)
    }

    /// The global at `index` in [`Direct::globals`].
    pub(super) fn global(index: u32) -> Option<Memo> {
        (index < Memo::MADE).then_some(Memo(Memo::GLOBAL | index))
    }

    /// The object at `index` in [`Direct::made`] (never [`Memo::OTHER`]).
    pub(super) fn made(index: u32) -> Option<Memo> {
        (index < Memo::MADE - 1).then_some(Memo(Memo::GLOBAL | Memo::MADE | index))
    }

    /// The place of the opcode, if a str or a bytes.
    pub(super) fn as_payload(self) -> Option<usize> {
        (self.0 < Memo::GLOBAL).then_some(self.0 as usize)
    }

    /// The global's index, if a global.
    pub(super) fn as_global(self) -> Option<u32> {
        (self.0 & (Memo::GLOBAL | Memo::MADE) == Memo::GLOBAL).then_some(self.0 & !Memo::GLOBAL)
    }

    /// The made object's index, if one.
    pub(super) fn as_made(self) -> Option<u32> {
        let both = Memo::GLOBAL | Memo::MADE;
        (self != Memo::OTHER && self.0 & both == both).then_some(self.0 & !both)
    }
}

/// The memo size at which a source that can tell which entries a GET
/// fetches is asked ([`Source::gets`]): 256 KiB of entries.
pub(super) const FILTER_FROM: usize = 1 << 16;

/// Memo indices, as a set of bits: those a GET names.
#[doc(hidden)]
#[derive(Clone, Default)]
pub struct Gets(Vec<u64>);

impl Gets {
    pub(crate) fn insert(&mut self, index: usize) {
        let word = index / 64;
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (index % 64);
    }

    pub(crate) fn contains(&self, index: usize) -> bool {
        self.0
            .get(index / 64)
            .is_some_and(|word| word >> (index % 64) & 1 == 1)
    }
}

/// The memo once filtered: the entries at the indices a GET names, in
/// index order, and how many entries there are in all.
pub(super) struct Kept {
    gets: Gets,
    entries: Vec<(usize, Memo)>,
    len: usize,
}

impl Kept {
    fn push(&mut self, entry: Memo) {
        if self.gets.contains(self.len) {
            self.entries.push((self.len, entry));
        }
        self.len += 1;
    }

    /// Replaces the entry at `index`, below `len`.
    fn set(&mut self, index: usize, entry: Memo) {
        if self.gets.contains(index) {
            match self.entries.binary_search_by_key(&index, |&(i, _)| i) {
                Ok(at) => self.entries[at].1 = entry,
                Err(at) => self.entries.insert(at, (index, entry)),
            }
        }
    }

    fn get(&self, index: usize) -> Option<Memo> {
        let at = self
            .entries
            .binary_search_by_key(&index, |&(i, _)| i)
            .ok()?;
        Some(self.entries[at].1)
    }

    fn truncate(&mut self, len: usize) {
        while self.entries.last().is_some_and(|&(i, _)| i >= len) {
            self.entries.pop();
        }
        self.len = len;
    }
}

impl<'de, S: Source<'de>> Direct<'de, S> {
    /// How many entries the memo holds: the index MEMOIZE uses.
    #[inline(always)]
    pub(super) fn memo_len(&self) -> usize {
        match &self.kept {
            Some(kept) if S::COPIES => kept.len,
            _ => self.memo.len(),
        }
    }

    /// Adds the next entry.
    #[inline(always)]
    fn memo_push(&mut self, entry: Memo) {
        if S::COPIES {
            if let Some(kept) = &mut self.kept {
                kept.push(entry);
                return;
            }
        }
        self.memo.push(entry);
        if S::COPIES && self.memo.len() == self.filter_from {
            self.filter_memo();
        }
    }

    /// Keeps only the entries a GET fetches, if the source can tell which.
    #[cold]
    fn filter_memo(&mut self) {
        if self.filtered {
            return;
        }
        self.filtered = true;
        if let Some(gets) = self.source.gets() {
            let entries = (self.memo.iter().copied().enumerate())
                .filter(|&(i, _)| gets.contains(i))
                .collect();
            let len = self.memo.len();
            self.kept = Some(Box::new(Kept { gets, entries, len }));
            self.memo = Vec::new();
        }
    }

    /// Forgets the entries from `len` on: those of a reading undone.
    #[inline]
    pub(super) fn memo_truncate(&mut self, len: usize) {
        match &mut self.kept {
            Some(kept) if S::COPIES => kept.truncate(len),
            _ => self.memo.truncate(len),
        }
    }

    /// The memo PUTs after an object: records what a later GET can use.
    #[inline(always)]
    pub(super) fn memoize(&mut self, entry: Memo) -> Option<()> {
        match self.source.byte_at(self.input.pos) {
            // MEMOIZE, as protocols 4 and 5 write after every str and
            // container, and nothing after it that needs the slow path.
            Some(b)
                if b == Opcode::Memoize.byte()
                    && self.input.pos < self.input.limit
                    && self.memo_len() < self.limits.max_memo_entries
                    && self
                        .source
                        .byte_at(self.input.pos + 1)
                        .is_some_and(|next| !is_put(next)) =>
            {
                self.input.pos += 1;
                self.memo_push(entry);
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
                    self.memo_len()
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
            match index.cmp(&self.memo_len()) {
                std::cmp::Ordering::Equal => {
                    if self.memo_len() >= self.limits.max_memo_entries {
                        return self.give_up();
                    }
                    self.memo_push(entry);
                }
                std::cmp::Ordering::Less => {
                    self.overwrites += 1;
                    match &mut self.kept {
                        Some(kept) if S::COPIES => kept.set(index, entry),
                        _ => self.memo[index] = entry,
                    }
                }
                // A sparse memo: the graph path's.
                std::cmp::Ordering::Greater => return self.give_up(),
            }
        }
    }

    /// The payload of a str or a bytes fetched by the GET `op` (BINGET or
    /// LONG_BINGET, just peeked), as `header_len` reads its header (see
    /// [`Source::again`]): `None` for any other entry.
    #[inline(always)]
    pub(super) fn payload_again(
        &mut self,
        op: u8,
        header_len: impl Fn(u8) -> Option<usize>,
    ) -> Option<Reference<'de, '_>> {
        self.advance();
        let entry = self.fetch(op)?;
        let at = entry.as_payload()?;
        self.height += 1;
        self.memoize(entry)?;
        self.source.again(at, header_len)
    }

    /// A GET of the memo entry at the next opcode, if it is a GET.
    #[inline]
    pub(super) fn fetch(&mut self, op: u8) -> Option<Memo> {
        let index = if op == Opcode::BinGet.byte() {
            usize::from(self.byte()?)
        } else {
            u32::from_le_bytes(self.array()?) as usize
        };
        match &self.kept {
            Some(kept) if S::COPIES => kept.get(index),
            _ => self.memo.get(index).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Memo;

    #[test]
    fn each_kind_of_entry_reads_back_as_itself_alone() {
        let kinds = |m: Memo| (m.as_payload(), m.as_global(), m.as_made());
        assert_eq!(kinds(Memo::payload(7)), (Some(7), None, None));
        assert_eq!(kinds(Memo::global(7).unwrap()), (None, Some(7), None));
        assert_eq!(kinds(Memo::made(7).unwrap()), (None, None, Some(7)));
        assert_eq!(kinds(Memo::OTHER), (None, None, None));
        // The last index of each kind, and the first past it.
        let last = (1 << 30) - 1;
        assert_eq!(kinds(Memo::global(last).unwrap()), (None, Some(last), None));
        assert!(Memo::global(last + 1).is_none());
        assert_eq!(
            kinds(Memo::made(last - 1).unwrap()),
            (None, None, Some(last - 1))
        );
        // All ones would be OTHER.
        assert!(Memo::made(last).is_none());
    }
}
