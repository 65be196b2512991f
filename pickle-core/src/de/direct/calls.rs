//! Objects made by calls, as numpy pickles its arrays: a global, a tuple of
//! arguments, REDUCE, BUILD with a state; and the bytes they are made from.

use std::any::Any;
use std::borrow::Cow;

use super::source::bytes_header_len;
use super::{Direct, FromPickle, Memo, Source};
use crate::opcode::Opcode;

impl<'de, S: Source<'de>> Direct<'de, S> {
    /// Takes the next opcode, which must be `op`.
    #[inline]
    fn expect(&mut self, op: Opcode) -> Option<()> {
        self.eat(op)?.then_some(())
    }

    /// A global (GLOBAL, STACK_GLOBAL, or a GET of one) that is one of
    /// `modules`.`name`, else `None`.
    pub fn global_is(&mut self, modules: &[&str], name: &str) -> Option<()> {
        let index = self.global()?;
        let (module, qualname) = self.globals.get(index as usize)?;
        (qualname == name && modules.iter().any(|m| module == m)).then_some(())
    }

    /// A tuple of `len` items, which `items` reads (in order), written as
    /// CPython writes one: EMPTY_TUPLE, the items then TUPLE1 to TUPLE3, or
    /// MARK, the items, TUPLE.
    pub fn tuple<T>(
        &mut self,
        len: usize,
        items: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        let marked = self.eat(Opcode::Mark)?;
        if marked {
            self.height += 1;
        } else if len == 0 && self.eat(Opcode::EmptyTuple)? {
            self.push()?;
            self.memoize(Memo::OTHER)?;
            return items(self);
        }
        let value = items(self)?;
        let end = match (marked, len) {
            (true, _) => Opcode::Tuple,
            (false, 1) => Opcode::Tuple1,
            (false, 2) => Opcode::Tuple2,
            (false, 3) => Opcode::Tuple3,
            _ => return None,
        };
        self.expect(end)?;
        self.pop(len + usize::from(marked));
        self.push()?;
        self.memoize(Memo::OTHER)?;
        Some(value)
    }

    /// A tuple of any length, whose items `item` reads, written as CPython
    /// writes one (as [`Direct::tuple`]).
    pub fn tuple_of<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        if self.eat(Opcode::EmptyTuple)? {
            self.push()?;
            self.memoize(Memo::OTHER)?;
            return Some(Vec::new());
        }
        let marked = self.eat(Opcode::Mark)?;
        if marked {
            self.height += 1;
        }
        let mut items = Vec::new();
        loop {
            let next = self.peek()?;
            let end = match (marked, items.len()) {
                (true, _) => Opcode::Tuple,
                (false, 1) => Opcode::Tuple1,
                (false, 2) => Opcode::Tuple2,
                (false, 3) => Opcode::Tuple3,
                _ => Opcode::Stop,
            };
            if next == end.byte() && end != Opcode::Stop {
                self.advance();
                break;
            }
            if !marked && items.len() == 3 {
                return None;
            }
            items.push(item(self)?);
            self.grow(items.len(), 1)?;
        }
        self.pop(items.len() + usize::from(marked));
        self.push()?;
        self.memoize(Memo::OTHER)?;
        Some(items)
    }

    /// REDUCE: the global and the tuple below it called. Not one the
    /// unpickler folds into another object (see `folds_newobj`): the
    /// caller's global says which.
    pub fn reduce(&mut self) -> Option<()> {
        self.expect(Opcode::Reduce)?;
        self.pop(2);
        self.push()?;
        self.memoize(Memo::OTHER)
    }

    /// [`Direct::reduce`], for an object a GET may fetch again once the
    /// caller has made it: the caller gives it to [`Direct::made`], with
    /// what this returns, and takes it again with [`Direct::fetch_made`].
    pub fn reduce_to_make(&mut self) -> Option<Making> {
        let index = u32::try_from(self.made.len()).ok()?;
        let entry = Memo::made(index)?;
        self.expect(Opcode::Reduce)?;
        self.pop(2);
        self.push()?;
        self.made.push(None);
        self.memoize(entry)?;
        Some(Making(index))
    }

    /// Keeps `value`, the object [`Direct::reduce_to_make`] called for, for
    /// a GET of it.
    pub fn made<T: Any>(&mut self, making: Making, value: T) {
        self.made[making.0 as usize] = Some(Box::new(value));
    }

    /// A GET of an object made as a `T`, if one is next: a copy of it.
    /// Takes nothing otherwise.
    pub fn fetch_made<T: Any + Clone>(&mut self) -> Option<T> {
        let op = self.peek()?;
        if op != Opcode::BinGet.byte() && op != Opcode::LongBinGet.byte() {
            return None;
        }
        let at = self.checkpoint();
        self.advance();
        let entry = self.fetch(op)?;
        let made = entry
            .as_made()
            .and_then(|index| self.made.get(index as usize));
        let Some(value) = made
            .and_then(Option::as_ref)
            .and_then(|v| v.downcast_ref::<T>())
        else {
            self.rewind(at)?;
            return None;
        };
        let value = value.clone();
        self.height += 1;
        self.memoize(entry)?;
        Some(value)
    }

    /// A member of an `enum.Enum` class among `classes`, `REDUCE(cls,
    /// (value,))` as CPython writes a member the first time, or a GET of
    /// one read before (a member is a singleton): its value, as a `V`.
    pub fn member<V: FromPickle<'de> + Clone + 'static>(
        &mut self,
        classes: &[(&str, &str)],
    ) -> Option<V> {
        let is_one_of = |(module, name): &(Cow<'_, str>, Cow<'_, str>)| {
            classes.iter().any(|&(m, q)| m == module && q == name)
        };
        if let Some(Member { class, value }) = self.fetch_made::<Member<V>>() {
            return is_one_of(self.globals.get(class as usize)?).then_some(value);
        }
        let class = self.global()?;
        if !is_one_of(self.globals.get(class as usize)?) {
            return None;
        }
        let value = self.tuple(1, |r| r.read::<V>())?;
        let making = self.reduce_to_make()?;
        self.made(
            making,
            Member {
                class,
                value: value.clone(),
            },
        );
        Some(value)
    }

    /// BUILD: the state just read applied to the object below it.
    pub fn build(&mut self) -> Option<()> {
        self.expect(Opcode::Build)?;
        self.pop(1);
        Some(())
    }

    /// A bytes or a bytearray (SHORT_BINBYTES, BINBYTES, BINBYTES8,
    /// BYTEARRAY8, or a GET of one), given to `sink` in pieces, in order:
    /// the whole of it from a slice, a window at a time from a stream. With
    /// the first piece comes the whole length, if the input holds that many
    /// bytes (a length the input declares is not trusted before that).
    /// Returns the length.
    pub fn byte_payload(
        &mut self,
        mut sink: impl FnMut(&[u8], Option<usize>) -> Option<()>,
    ) -> Option<usize> {
        let op = self.peek()?;
        if op == Opcode::BinGet.byte() || op == Opcode::LongBinGet.byte() {
            // Read before: CPython's b'' and each 1-byte bytes are shared,
            // so a pickle of several holds GETs of the first.
            let payload = self.payload_again(op, bytes_header_len)?;
            let n = payload.len();
            if n > 0 {
                sink(&payload, Some(n))?;
            }
            return Some(n);
        }
        if op == Opcode::ByteArray8.byte() && self.proto < 5 {
            return None;
        }
        let at = self.input.pos;
        self.advance();
        let n = match op {
            b if b == Opcode::ShortBinBytes.byte() => usize::from(self.byte()?),
            b if b == Opcode::BinBytes.byte() => u32::from_le_bytes(self.array()?) as usize,
            b if b == Opcode::BinBytes8.byte() || b == Opcode::ByteArray8.byte() => {
                usize::try_from(u64::from_le_bytes(self.array()?)).ok()?
            }
            _ => return None,
        };
        let start = self.skip(n)?;
        // The graph holds a copy of a bytearray, and of bytes read from a stream.
        if S::COPIES || op == Opcode::ByteArray8.byte() {
            self.charge(n)?;
        }
        self.pieces(start, n, &mut sink)?;
        self.push()?;
        // A GET of a bytearray (shared, and unhashable) is the graph path's.
        let entry = match op == Opcode::ByteArray8.byte() {
            true => Memo::OTHER,
            false => Memo::payload(at),
        };
        self.memoize(entry)?;
        Some(n)
    }

    /// A bytes or a bytearray (as [`Direct::byte_payload`]) as a `Vec` of
    /// its own: allocated once, at its length, when the input holds that
    /// many bytes (with huge pages from 4 MiB, see `crate::pages`), then
    /// filled a piece at a time.
    pub fn byte_vec(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.byte_payload(|piece, len| {
            gather(&mut out, piece, len);
            Some(())
        })?;
        Some(out)
    }

    /// A bytes or a bytearray as a `T` made from its bytes: from the
    /// input's own bytes when they come whole (from a slice), else from a
    /// copy gathered from the stream's pieces.
    pub fn bytes_as<T>(&mut self, make: impl FnOnce(&[u8]) -> T) -> Option<T> {
        let (mut make, mut whole, mut gathered) = (Some(make), None, Vec::new());
        self.byte_payload(|piece, len| {
            if len == Some(piece.len()) {
                whole = make.take().map(|make| make(piece));
                return Some(());
            }
            gather(&mut gathered, piece, len);
            Some(())
        })?;
        match (whole, make) {
            (Some(value), _) => Some(value),
            (None, Some(make)) => Some(make(&gathered)),
            (None, None) => None,
        }
    }

    /// The `n` bytes at `start`, given to `sink` in pieces, in order, as
    /// [`Direct::byte_payload`] gives them.
    pub(super) fn pieces(
        &mut self,
        start: usize,
        n: usize,
        sink: &mut impl FnMut(&[u8], Option<usize>) -> Option<()>,
    ) -> Option<()> {
        let end = start + n;
        let mut len = self.source.holds(end).then_some(n);
        let mut at = start;
        while at < end {
            let piece = self.source.window(at, end);
            if piece.is_empty() {
                return None;
            }
            at += piece.len();
            sink(&piece, len.take())?;
        }
        Some(())
    }
}

/// Appends a piece of a payload to `out`, allocated at the payload's whole
/// length `len` when that comes (with the first piece), with huge pages
/// from 4 MiB (see `crate::pages`).
pub(super) fn gather(out: &mut Vec<u8>, piece: &[u8], len: Option<usize>) {
    if let Some(len) = len {
        out.reserve_exact(len);
        crate::pages::advise(out);
    }
    out.extend_from_slice(piece);
}

/// An object [`Direct::reduce_to_make`] memoized, which the caller makes.
#[must_use]
pub struct Making(u32);

/// A member of an `enum.Enum` read by [`Direct::member`], kept for a GET:
/// its class (by its index in `Direct::globals`) and its value.
#[derive(Clone)]
struct Member<V> {
    class: u32,
    value: V,
}
