//! The unpickler's memo: index → the live node, never a copy.
//!
//! Pickles written by CPython number their memo entries densely from 0, so
//! the memo is a `Vec` indexed directly. A crafted pickle may PUT at any
//! index up to 2⁶⁴ − 1; indices far beyond what the entries so far justify go
//! to a `HashMap` instead, so `LONG_BINPUT 0xFFFFFFFF` costs one map entry,
//! not 32 GiB.

use std::collections::HashMap;

use crate::de::direct::Gets;
use crate::error::{Error, ErrorKind, Result};
use crate::value::Id;

/// How far past twice the entry count a PUT may extend the dense part.
/// Keeps the dense part at most about half empty, plus this slack.
const DENSE_SLACK: u64 = 1024;

pub(super) struct Memo {
    /// Entry `i` is the `Id` at index `i` plus one, 0 for none: 4 bytes an entry.
    dense: Vec<Slot>,
    sparse: HashMap<u64, Id>,
    /// The only indices a GET will name, when a scan of the whole pickle
    /// told (see [`Memo::keep_only`]): the next entry is then kept, in
    /// `sparse`, only if it is one of them.
    keep: Option<Gets>,
    /// How many indices hold an entry: CPython's `memo_len`, the index MEMOIZE uses.
    len: usize,
    max_entries: usize,
}

impl Memo {
    pub(super) fn new(max_entries: usize) -> Memo {
        Memo {
            dense: Vec::new(),
            sparse: HashMap::new(),
            keep: None,
            len: 0,
            max_entries,
        }
    }

    /// The number of entries, as `len(self.memo)` in `pickle.py`.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(super) fn get(&self, index: u64) -> Option<Id> {
        match usize::try_from(index).ok().and_then(|i| self.dense.get(i)) {
            Some(&slot) => slot.id(),
            None if self.sparse.is_empty() => None,
            None => self.sparse.get(&index).copied(),
        }
    }

    /// Keeps only the entries at `gets`, the indices the pickle's GETs name,
    /// of those PUT at the next index (as CPython numbers them); the others
    /// are counted, not kept. For a stream scanned before it is loaded.
    pub(super) fn keep_only(&mut self, gets: Gets) {
        self.keep = Some(gets);
    }

    /// Stores `id` under `index`, replacing any earlier entry there.
    #[inline]
    pub(super) fn put(&mut self, index: u64, id: Id) -> Result<()> {
        if let Some(keep) = &self.keep {
            if index == self.len as u64 && self.dense.is_empty() {
                Self::count_new(&mut self.len, self.max_entries)?;
                if keep.contains(self.len - 1) {
                    self.sparse.insert(index, id);
                }
                return Ok(());
            }
        }
        if let Some(slot) = usize::try_from(index)
            .ok()
            .and_then(|i| self.dense.get_mut(i))
        {
            if slot.id().is_none() {
                Self::count_new(&mut self.len, self.max_entries)?;
            }
            *slot = Slot::of(id);
            return Ok(());
        }
        // The next index, as MEMOIZE and CPython's pickler always write.
        if index == self.dense.len() as u64 && self.sparse.is_empty() {
            Self::count_new(&mut self.len, self.max_entries)?;
            self.dense.push(Slot::of(id));
            return Ok(());
        }
        self.put_outside(index, id)
    }

    /// A PUT past the end of the dense part: grow it, or use the map.
    #[cold]
    fn put_outside(&mut self, index: u64, id: Id) -> Result<()> {
        let bound = (self.len as u64)
            .saturating_mul(2)
            .saturating_add(DENSE_SLACK);
        let dense_index = usize::try_from(index).ok().filter(|_| index < bound);
        match dense_index {
            Some(i) => {
                let new_len = i.checked_add(1).ok_or_else(|| too_many(self.max_entries))?;
                let existing = match self.sparse.is_empty() {
                    true => None,
                    false => self.sparse.remove(&index),
                };
                if existing.is_none() {
                    Self::count_new(&mut self.len, self.max_entries)?;
                }
                // Amortized growth: the length follows the entries actually made.
                self.dense.resize(new_len, Slot::NONE);
                if !self.sparse.is_empty() {
                    let moved: Vec<(u64, Id)> = self
                        .sparse
                        .iter()
                        .filter(|(&k, _)| k < new_len as u64)
                        .map(|(&k, &v)| (k, v))
                        .collect();
                    for (k, v) in moved {
                        self.sparse.remove(&k);
                        if let Some(slot) = self.dense.get_mut(k as usize) {
                            *slot = Slot::of(v);
                        }
                    }
                }
                if let Some(slot) = self.dense.get_mut(i) {
                    *slot = Slot::of(id);
                }
            }
            None => {
                if self.sparse.insert(index, id).is_none() {
                    if let Err(e) = Self::count_new(&mut self.len, self.max_entries) {
                        self.sparse.remove(&index);
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
    }

    #[inline]
    fn count_new(len: &mut usize, max: usize) -> Result<()> {
        if *len >= max {
            return Err(too_many(max));
        }
        *len += 1;
        Ok(())
    }
}

/// One dense memo entry: an `Id` plus one, or 0 for none.
#[derive(Clone, Copy)]
struct Slot(u32);

impl Slot {
    const NONE: Slot = Slot(0);

    #[inline]
    fn of(id: Id) -> Slot {
        // Ids stay below u32::MAX: the unpickler caps the graph there.
        Slot(id.index() as u32 + 1)
    }

    #[inline]
    fn id(self) -> Option<Id> {
        self.0.checked_sub(1).map(Id::from_index)
    }
}

fn too_many(max: usize) -> Error {
    Error::new(
        ErrorKind::MemoLimit,
        format!("the memo grew past the limit of {max} entries"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Object, Value};

    fn ids(n: usize) -> Vec<Id> {
        let mut v = Value::new();
        (0..n).map(|_| v.add(Object::None)).collect()
    }

    #[test]
    fn dense_puts_and_gets_round_trip() {
        let ids = ids(3);
        let mut m = Memo::new(100);
        for (i, &id) in ids.iter().enumerate() {
            m.put(i as u64, id).unwrap();
        }
        assert_eq!(m.len(), 3);
        assert_eq!(m.get(1), Some(ids[1]));
        assert_eq!(m.get(3), None);
        // Overwriting keeps the count, as CPython's memo_len does.
        m.put(1, ids[0]).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m.get(1), Some(ids[0]));
    }

    #[test]
    fn a_memo_told_the_gets_keeps_those_and_counts_the_rest() {
        let ids = ids(5);
        let mut gets = Gets::default();
        gets.insert(1);
        gets.insert(3);
        let mut m = Memo::new(100);
        m.keep_only(gets);
        for (i, &id) in ids.iter().enumerate() {
            m.put(i as u64, id).unwrap();
        }
        assert_eq!(m.len(), 5);
        assert_eq!((m.dense.len(), m.sparse.len()), (0, 2));
        let got: Vec<Option<Id>> = (0..5).map(|i| m.get(i)).collect();
        assert_eq!(got, [None, Some(ids[1]), None, Some(ids[3]), None]);
        // A PUT out of CPython's numbering is stored as without the filter.
        m.put(1, ids[0]).unwrap();
        assert_eq!((m.len(), m.get(1)), (5, Some(ids[0])));
        // The limit holds for entries counted and not kept.
        let mut m = Memo::new(2);
        m.keep_only(Gets::default());
        m.put(0, ids[0]).unwrap();
        m.put(1, ids[1]).unwrap();
        assert_eq!(m.put(2, ids[2]).unwrap_err().kind(), ErrorKind::MemoLimit);
    }

    #[test]
    fn huge_index_goes_to_the_map_without_allocating_a_huge_vec() {
        let ids = ids(2);
        let mut m = Memo::new(100);
        m.put(0xFFFF_FFFF, ids[0]).unwrap();
        m.put(u64::MAX, ids[1]).unwrap();
        assert!(m.dense.capacity() < 4096);
        assert_eq!(m.get(0xFFFF_FFFF), Some(ids[0]));
        assert_eq!(m.get(u64::MAX), Some(ids[1]));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn sparse_entries_move_into_the_dense_part_as_it_grows() {
        let ids = ids(2);
        let mut m = Memo::new(10_000);
        m.put(1500, ids[0]).unwrap(); // past the slack: sparse
        assert!(m.dense.is_empty());
        for i in 0..1000u64 {
            m.put(i, ids[1]).unwrap();
        }
        m.put(1600, ids[1]).unwrap(); // grows dense past 1500
        assert_eq!(m.get(1500), Some(ids[0]));
        assert!(m.sparse.is_empty());
        assert_eq!(m.len(), 1002);
        assert_eq!(m.get(1600), Some(ids[1]));
    }

    #[test]
    fn entry_limit_is_enforced_in_both_parts() {
        let ids = ids(1);
        let mut m = Memo::new(2);
        m.put(0, ids[0]).unwrap();
        m.put(1 << 40, ids[0]).unwrap();
        assert_eq!(m.put(1, ids[0]).unwrap_err().kind(), ErrorKind::MemoLimit);
        assert_eq!(
            m.put(1 << 41, ids[0]).unwrap_err().kind(),
            ErrorKind::MemoLimit
        );
        assert_eq!(m.get(1 << 41), None);
        // Replacing an existing entry is always allowed.
        m.put(0, ids[0]).unwrap();
    }
}
