//! Typed reads straight from the bytes, without building the object graph.
//!
//! `loads::<T>` from a slice first tries to read `T` directly: each
//! [`FromPickle`] type that knows how reads its own opcodes
//! ([`FromPickle::read_direct`]) and the pickle's bytes become Rust values
//! with no graph in between. The direct reader knows the shapes CPython
//! writes for the types that implement it (protocol 2 and up, binary
//! opcodes: ints, floats, bools, `None`, strs, lists, dicts, and instances of
//! `#[derive(Pickle)]` classes with a `__dict__`). On anything else (another
//! shape, a memo reference to a container, input it doubts, a limit it
//! might reach, an input of 2 GiB or more) it gives up, and the load runs
//! the graph path from the start.
//! So a direct read either gives what the graph path would give, or nothing:
//! every error, and every object it does not know, is the graph path's.
//!
//! The reader is a recursive descent over the unpickler's stack program.
//! Pickles are postfix, so whether a list is complete or has more items
//! (another `MARK ... APPENDS` batch, or one item and `APPEND`) shows only
//! after the items: the reader tries the longer reading and, if it does not
//! end with the opcode that applies it, returns to where it was and takes
//! the list as complete. An opcode applies its items to the object below
//! the mark (or the item), which is the object just read, so a reading
//! that ends well is the one the unpickler would make. Work spent on
//! readings that did not end well is bounded by the input size, else the
//! read gives up.
//!
//! This is an optimization, not an API: the items here are hidden from the
//! docs and may change.

use crate::opcode::Opcode;
use crate::unpickler::Limits;

use super::FromPickle;

/// The recursion the direct reader allows itself; deeper data takes the graph path.
const MAX_DEPTH: usize = 256;

/// Whether `byte` is an opcode that memoizes, or FRAME (which may hide one).
#[inline(always)]
fn is_put(byte: u8) -> bool {
    byte == Opcode::Memoize.byte()
        || byte == Opcode::BinPut.byte()
        || byte == Opcode::LongBinPut.byte()
        || byte == Opcode::Frame.byte()
        || byte == Opcode::Put.byte()
}

/// Whether `byte` is an opcode that applies or consumes what is on the
/// stack, and so can never start an object: after a container, it means
/// the container is complete.
#[inline(always)]
fn ends_items(byte: u8) -> bool {
    [
        Opcode::Append,
        Opcode::Appends,
        Opcode::SetItem,
        Opcode::SetItems,
        Opcode::Build,
        Opcode::Stop,
        Opcode::Tuple,
        Opcode::Tuple1,
        Opcode::Tuple2,
        Opcode::Tuple3,
        Opcode::Reduce,
        Opcode::NewObj,
        Opcode::AddItems,
    ]
    .iter()
    .any(|op| op.byte() == byte)
}

/// Where the reader is in the input.
#[derive(Clone, Copy)]
struct Input {
    pos: usize,
    /// Where reads must stop: the end of the open frame, else of the input.
    limit: usize,
    in_frame: bool,
}

/// What the memo holds, as far as the direct reader can use it again, in
/// 4 bytes an entry (a pickle may memoize millions of strs):
///
/// - a str, by the place of its opcode in the input (below 2 GiB, see
///   [`read`]), where its length and text are read again;
/// - a global, by its index in [`Direct::globals`], with the top bit set;
/// - [`Memo::OTHER`], an object the reader cannot fetch again (a
///   container, an instance): a GET of it gives up.
#[derive(Clone, Copy, PartialEq)]
struct Memo(u32);

impl Memo {
    const OTHER: Memo = Memo(u32::MAX);
    const GLOBAL: u32 = 1 << 31;

    /// The str whose opcode is at `at`.
    fn str(at: usize) -> Memo {
        Memo(at as u32)
    }

    /// The global at `index` in [`Direct::globals`].
    fn global(index: u32) -> Option<Memo> {
        (index < Memo::GLOBAL - 1).then_some(Memo(Memo::GLOBAL | index))
    }

    /// The place of the str's opcode, if a str.
    fn as_str(self) -> Option<usize> {
        (self.0 < Memo::GLOBAL).then_some(self.0 as usize)
    }

    /// The global's index, if a global.
    fn as_global(self) -> Option<u32> {
        (self != Memo::OTHER && self.0 >= Memo::GLOBAL).then_some(self.0 & !Memo::GLOBAL)
    }
}

/// Where the reader was, to return there when a reading does not end well.
#[derive(Clone, Copy)]
pub struct Checkpoint {
    input: Input,
    memo: usize,
    overwrites: u64,
    height: usize,
    objects: u64,
    alloc: u64,
}

/// The direct reader of one pickle held in memory. See the [module docs](self).
#[doc(hidden)]
pub struct Direct<'de> {
    data: &'de [u8],
    input: Input,
    memo: Vec<Memo>,
    /// The globals the memo refers to.
    globals: Vec<(&'de str, &'de str)>,
    /// The global (by index) last found to be one of the classes (by
    /// address) an instance was read as.
    instance_of: Option<(u32, usize)>,
    /// Memo entries replaced (PUT over an index in use): they cannot be undone.
    overwrites: u64,
    proto: u8,
    depth: usize,
    /// Objects and marks the unpickler's stack would hold, at least.
    height: usize,
    /// Objects read so far: at least as many as the graph would hold.
    objects: u64,
    /// Bytes the graph path would charge to `max_alloc_bytes`, at least.
    alloc: u64,
    /// Bytes read by readings that were undone.
    wasted: usize,
    /// Set when the reader gives up for good (a limit it might reach, work
    /// it will not do): then no reading may end well.
    given_up: bool,
    limits: Limits,
}

impl<'de> Direct<'de> {
    fn new(data: &'de [u8], limits: &Limits) -> Self {
        Direct {
            data,
            input: Input {
                pos: 0,
                limit: data.len(),
                in_frame: false,
            },
            memo: Vec::new(),
            globals: Vec::new(),
            instance_of: None,
            overwrites: 0,
            proto: 0,
            depth: 0,
            height: 0,
            objects: 0,
            alloc: 0,
            wasted: 0,
            given_up: false,
            limits: limits.clone(),
        }
    }

    // ---- input -------------------------------------------------------------
    //
    // The frame rules are the unpickler's (see `crate::read`): inside a
    // frame, no read may reach past its end; at its end the frame closes;
    // FRAME may only come where no frame is open.

    /// The next opcode byte, without taking it; FRAME headers before it are taken.
    #[inline(always)]
    pub fn peek(&mut self) -> Option<u8> {
        // Inside a frame, or at its end (where it closes): the next byte
        // is the same either way.
        match self.data.get(self.input.pos) {
            Some(&byte) if byte != Opcode::Frame.byte() => Some(byte),
            _ => self.peek_slow(),
        }
    }

    #[cold]
    fn peek_slow(&mut self) -> Option<u8> {
        loop {
            self.close_frame();
            let byte = *self.data.get(self.input.pos)?;
            if byte != Opcode::Frame.byte() {
                return Some(byte);
            }
            if self.input.in_frame {
                return None;
            }
            self.input.pos += 1;
            let len = usize::try_from(u64::from_le_bytes(self.array()?)).ok()?;
            if len > self.data.len() - self.input.pos {
                return None;
            }
            self.input.in_frame = true;
            self.input.limit = self.input.pos + len;
        }
    }

    /// Closes a frame read to its end.
    #[inline]
    fn close_frame(&mut self) {
        if self.input.in_frame && self.input.pos == self.input.limit {
            self.input.in_frame = false;
            self.input.limit = self.data.len();
        }
    }

    /// Takes the opcode [`Direct::peek`] returned.
    #[inline(always)]
    fn advance(&mut self) {
        self.input.pos += 1;
    }

    /// Takes the next opcode if it is `op`.
    #[inline(always)]
    fn eat(&mut self, op: Opcode) -> Option<bool> {
        if self.peek()? == op.byte() {
            self.advance();
            Some(true)
        } else {
            Some(false)
        }
    }

    /// The next `n` bytes of an opcode's argument.
    #[inline(always)]
    fn bytes(&mut self, n: usize) -> Option<&'de [u8]> {
        let start = self.input.pos;
        let end = start.checked_add(n)?;
        if end <= self.input.limit {
            let data: &'de [u8] = self.data;
            self.input.pos = end;
            return data.get(start..end);
        }
        self.bytes_slow(n)
    }

    /// [`Direct::bytes`] past the open frame's end: only if the frame ends here.
    #[cold]
    fn bytes_slow(&mut self, n: usize) -> Option<&'de [u8]> {
        self.close_frame();
        let data: &'de [u8] = self.data;
        let start = self.input.pos;
        let bytes = data[..self.input.limit].get(start..start.checked_add(n)?)?;
        self.input.pos += n;
        Some(bytes)
    }

    #[inline(always)]
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.bytes(N)?.try_into().ok()
    }

    #[inline(always)]
    fn byte(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    // ---- bookkeeping ---------------------------------------------------------

    /// Gives up for good: the graph path will read this pickle.
    #[cold]
    pub fn give_up<T>(&mut self) -> Option<T> {
        self.given_up = true;
        None
    }

    /// Counts one object pushed on the unpickler's stack (and added to its graph).
    #[inline(always)]
    fn push(&mut self) -> Option<()> {
        self.height += 1;
        self.objects += 1;
        let stack_full = self.height >= self.limits.max_stack_depth;
        let graph_full = self.objects >= self.limits.max_objects as u64;
        if stack_full || graph_full {
            return self.give_up();
        }
        Some(())
    }

    /// Counts `n` objects taken off the stack by the opcode that used them.
    #[inline(always)]
    fn pop(&mut self, n: usize) {
        self.height = self.height.saturating_sub(n);
    }

    /// Counts a container growing by `added` items to `len`.
    #[inline(always)]
    fn grow(&mut self, len: usize, added: usize) -> Option<()> {
        self.alloc += 8 * added as u64;
        if len > self.limits.max_container_len || self.alloc > self.limits.max_alloc_bytes {
            return self.give_up();
        }
        Some(())
    }

    /// Enters one level of nesting.
    #[inline]
    pub fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.give_up();
        }
        Some(())
    }

    /// Leaves a level entered with [`Direct::enter`].
    #[inline]
    pub fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Where the reader is now.
    #[inline]
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            input: self.input,
            memo: self.memo.len(),
            overwrites: self.overwrites,
            height: self.height,
            objects: self.objects,
            alloc: self.alloc,
        }
    }

    /// Returns to `at`, undoing a reading that did not end well. `None` if
    /// it cannot be undone (it replaced memo entries), or if undone readings
    /// have cost more than reading the input twice.
    pub fn rewind(&mut self, at: Checkpoint) -> Option<()> {
        if self.given_up || self.overwrites != at.overwrites {
            return self.give_up();
        }
        self.wasted += self.input.pos - at.input.pos;
        if self.wasted > self.data.len().saturating_mul(2) + 4096 {
            return self.give_up();
        }
        self.input = at.input;
        self.memo.truncate(at.memo);
        self.height = at.height;
        self.objects = at.objects;
        self.alloc = at.alloc;
        Some(())
    }

    /// The memo PUTs after an object: records what a later GET can use.
    #[inline(always)]
    fn memoize(&mut self, entry: Memo) -> Option<()> {
        match self.data.get(self.input.pos) {
            // MEMOIZE, as protocols 4 and 5 write after every str and
            // container, and nothing after it that needs the slow path.
            Some(&b)
                if b == Opcode::Memoize.byte()
                    && self.input.pos < self.input.limit
                    && self.memo.len() < self.limits.max_memo_entries
                    && self
                        .data
                        .get(self.input.pos + 1)
                        .is_some_and(|&next| !is_put(next)) =>
            {
                self.input.pos += 1;
                self.memo.push(entry);
                Some(())
            }
            Some(&b) if !is_put(b) => Some(()),
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
    fn fetch(&mut self, op: u8) -> Option<Memo> {
        let index = if op == Opcode::BinGet.byte() {
            usize::from(self.byte()?)
        } else {
            u32::from_le_bytes(self.array()?) as usize
        };
        self.memo.get(index).copied()
    }

    // ---- scalars ---------------------------------------------------------------

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
                le[..n].copy_from_slice(bytes);
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
        let data: &'de [u8] = self.data;
        // Within the open frame; the four bytes after the opcode are read
        // whole (and masked), so the last int of the frame takes `int`.
        let end = self.input.limit.min(data.len().saturating_sub(4));
        let mut pos = self.input.pos;
        let mut n = 0;
        while n < max && pos < end {
            let class = usize::from(CLASS[usize::from(data[pos])]);
            let size = SIZE[class];
            if size == 0 || pos + size > self.input.limit {
                break;
            }
            let arg =
                u32::from_le_bytes([data[pos + 1], data[pos + 2], data[pos + 3], data[pos + 4]]);
            // BININT1 and BININT2 are unsigned, and never reach the sign bit.
            if !keep(i64::from((arg & MASK[class]) as i32)) {
                break;
            }
            pos += size;
            n += 1;
        }
        self.run_read(pos, n)
    }

    /// A run of up to `max` floats written as BINFLOAT (as the pickler
    /// writes a list of floats), each given to `keep`. Returns how many,
    /// which may be none: [`Direct::float`] reads any other float.
    #[inline]
    pub fn floats(&mut self, max: usize, mut keep: impl FnMut(f64)) -> Option<usize> {
        let max = self.run_max(max);
        let data: &'de [u8] = self.data.get(..self.input.limit)?;
        let mut pos = self.input.pos;
        let mut n = 0;
        while n < max {
            match data.get(pos..pos + 9) {
                Some(&[op, b0, b1, b2, b3, b4, b5, b6, b7]) if op == Opcode::BinFloat.byte() => {
                    keep(f64::from_be_bytes([b0, b1, b2, b3, b4, b5, b6, b7]));
                }
                _ => break,
            }
            pos += 9;
            n += 1;
        }
        self.run_read(pos, n)
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

    /// A str, borrowed from the input.
    #[inline]
    pub fn str(&mut self) -> Option<&'de str> {
        std::str::from_utf8(self.str_bytes()?).ok()
    }

    /// The bytes of a str, not checked to be UTF-8: for a caller that
    /// compares them with strs it knows (a key with field names).
    #[inline]
    fn str_bytes(&mut self) -> Option<&'de [u8]> {
        let op = self.peek()?;
        if op == Opcode::BinGet.byte() || op == Opcode::LongBinGet.byte() {
            self.advance();
            let entry = self.fetch(op)?;
            let bytes = self.str_bytes_again(entry.as_str()?)?;
            self.height += 1;
            self.memoize(entry)?;
            return Some(bytes);
        }
        let at = self.input.pos;
        self.advance();
        let n = match op {
            b if b == Opcode::ShortBinUnicode.byte() => usize::from(self.byte()?),
            b if b == Opcode::BinUnicode.byte() => u32::from_le_bytes(self.array()?) as usize,
            b if b == Opcode::BinUnicode8.byte() => {
                usize::try_from(u64::from_le_bytes(self.array()?)).ok()?
            }
            _ => return None,
        };
        let bytes = self.bytes(n)?;
        self.push()?;
        self.memoize(Memo::str(at))?;
        Some(bytes)
    }

    /// The bytes of the str whose opcode (read before, so whole) is at `at`.
    #[inline]
    fn str_bytes_again(&self, at: usize) -> Option<&'de [u8]> {
        let data: &'de [u8] = self.data;
        let header = data.get(at + 1..)?;
        let (start, n) = match data[at] {
            b if b == Opcode::ShortBinUnicode.byte() => (at + 2, usize::from(*header.first()?)),
            b if b == Opcode::BinUnicode.byte() => (
                at + 5,
                u32::from_le_bytes(header.get(..4)?.try_into().ok()?) as usize,
            ),
            _ => (
                at + 9,
                usize::try_from(u64::from_le_bytes(header.get(..8)?.try_into().ok()?)).ok()?,
            ),
        };
        data.get(start..start.checked_add(n)?)
    }

    // ---- containers ------------------------------------------------------------

    /// A list: `item(r, i)` reads item `i` and keeps it. Returns the number
    /// of items: the caller drops any it kept beyond that (items whose
    /// reading did not end well, which were not this list's).
    pub fn list(&mut self, mut item: impl FnMut(&mut Self, usize) -> Option<()>) -> Option<usize> {
        self.list_items(&mut |r, i, _| {
            item(r, i)?;
            Some(1)
        })
    }

    /// A list read by runs of items: `run(r, max)` reads and keeps at
    /// least one and at most `max` items, and says how many. Returns the
    /// number of items, as [`Direct::list`].
    pub fn list_runs(
        &mut self,
        mut run: impl FnMut(&mut Self, usize) -> Option<usize>,
    ) -> Option<usize> {
        self.list_items(&mut |r, _, max| run(r, max))
    }

    fn list_items(
        &mut self,
        run: &mut impl FnMut(&mut Self, usize, usize) -> Option<usize>,
    ) -> Option<usize> {
        if !self.eat(Opcode::EmptyList)? {
            return None;
        }
        self.push()?;
        self.memoize(Memo::OTHER)?;
        self.items(Opcode::Appends, Opcode::Append, 1, run)
    }

    /// A dict: `entry(r, i)` reads entry `i`, a key and its value, and
    /// keeps them. Returns the number of entries, as [`Direct::list`].
    pub fn dict(&mut self, mut entry: impl FnMut(&mut Self, usize) -> Option<()>) -> Option<usize> {
        if !self.eat(Opcode::EmptyDict)? {
            return None;
        }
        self.push()?;
        self.memoize(Memo::OTHER)?;
        self.items(Opcode::SetItems, Opcode::SetItem, 2, &mut |r, i, _| {
            entry(r, i)?;
            Some(1)
        })
    }

    /// The items applied to the container just read: batches of MARK,
    /// items, `many`; or one item and `one` (each item is `per_item`
    /// objects on the stack). Stops where the next opcodes are not this
    /// container's. `run(r, i, max)` reads items from item `i` on, at
    /// least one and at most `max`, and says how many.
    fn items(
        &mut self,
        many: Opcode,
        one: Opcode,
        per_item: usize,
        run: &mut impl FnMut(&mut Self, usize, usize) -> Option<usize>,
    ) -> Option<usize> {
        self.enter()?;
        let mut len = 0;
        loop {
            let next = self.peek()?;
            if ends_items(next) {
                self.leave();
                return Some(len);
            }
            let at = self.checkpoint();
            let kept = len;
            let ok = if next == Opcode::Mark.byte() {
                self.advance();
                self.height += 1;
                loop {
                    if self.eat(many)? {
                        // The batch's items are bounded meanwhile by the
                        // stack limit each one counts against.
                        self.grow(len, len - kept)?;
                        self.pop(per_item * (len - kept) + 1);
                        break true;
                    }
                    match run(self, len, usize::MAX) {
                        Some(n) => len += n,
                        None => break false,
                    }
                }
            } else {
                match run(self, len, 1) {
                    Some(1) if self.eat(one)? => {
                        len += 1;
                        self.grow(len, 1)?;
                        self.pop(per_item);
                        true
                    }
                    _ => false,
                }
            };
            if !ok {
                // Not this container's: it is complete.
                self.rewind(at)?;
                self.leave();
                return Some(kept);
            }
        }
    }

    /// An instance of one of `classes`, created by NEWOBJ with no arguments
    /// (as CPython writes a plain class's instance), with its `__dict__`
    /// applied by BUILD, whose keys name `fields`.
    pub fn instance(
        &mut self,
        classes: &[(&str, &str)],
        fields: &mut Fields<'_, impl FnMut(&mut Self, usize, bool) -> Option<()>>,
    ) -> Option<()> {
        let (index, module, name) = self.global()?;
        // The class of the last instance read is usually this one's.
        let class = (index, classes.as_ptr() as usize);
        if self.instance_of != Some(class) {
            if crate::unpickler::folds_newobj(module, name)
                || !classes.iter().any(|&(m, q)| m == module && q == name)
            {
                return None;
            }
            self.instance_of = Some(class);
        }
        if !self.eat(Opcode::EmptyTuple)? {
            return None;
        }
        self.push()?;
        self.memoize(Memo::OTHER)?;
        if !self.eat(Opcode::NewObj)? {
            return None;
        }
        self.pop(2);
        self.push()?;
        self.memoize(Memo::OTHER)?;
        // The state, if BUILD applies one: CPython writes none for an empty `__dict__`.
        let at = self.checkpoint();
        if self.peek()? == Opcode::EmptyDict.byte() {
            match self.fields(fields) {
                Some(()) if self.eat(Opcode::Build)? => {
                    self.pop(1);
                    return Some(());
                }
                _ => {
                    fields.reset_from(self, 0);
                    self.rewind(at)?;
                }
            }
        }
        Some(())
    }

    /// A plain dict whose keys name fields. See [`Fields`].
    pub fn fields(
        &mut self,
        fields: &mut Fields<'_, impl FnMut(&mut Self, usize, bool) -> Option<()>>,
    ) -> Option<()> {
        let names = fields.names;
        let kept = self.dict(|r, n| {
            // A key equal to a name is UTF-8; any other key is not a field's.
            let key = r.str_bytes()?;
            // Keys come in field order when a struct like this one wrote them.
            let i = match names.get(n) {
                Some(name) if name.as_bytes() == key => n,
                _ => names.iter().position(|name| name.as_bytes() == key)?,
            };
            fields.set(r, i, n)
        });
        match kept {
            Some(kept) => {
                fields.reset_from(self, kept);
                Some(())
            }
            None => {
                fields.reset_from(self, 0);
                None
            }
        }
    }

    /// A global pushed by STACK_GLOBAL (protocol 4 and up), or fetched from the memo.
    /// Returns the global's index in [`Direct::globals`], its module and its name.
    fn global(&mut self) -> Option<(u32, &'de str, &'de str)> {
        let op = self.peek()?;
        if op == Opcode::BinGet.byte() || op == Opcode::LongBinGet.byte() {
            self.advance();
            let entry = self.fetch(op)?;
            let index = entry.as_global()?;
            let (module, name) = *self.globals.get(index as usize)?;
            self.height += 1;
            self.memoize(entry)?;
            return Some((index, module, name));
        }
        if self.proto < 4 {
            return None;
        }
        let module = self.str()?;
        let name = self.str()?;
        if !self.eat(Opcode::StackGlobal)? {
            return None;
        }
        self.pop(2);
        self.push()?;
        let index = u32::try_from(self.globals.len()).ok()?;
        self.globals.push((module, name));
        self.memoize(Memo::global(index)?)?;
        Some((index, module, name))
    }

    /// Reads a `T` through [`FromPickle::read_direct`].
    #[inline]
    pub fn read<T: FromPickle<'de>>(&mut self) -> Option<T> {
        T::read_direct(self)
    }
}

/// Reads a whole pickle as a `T` directly, or `None` to take the graph path.
///
/// What `loads` tries first, public for tests that check it against the graph path.
pub fn read<'de, T: FromPickle<'de>>(data: &'de [u8], limits: &Limits) -> Option<T> {
    // Memo entries hold input offsets in 31 bits.
    if data.len() >= Memo::GLOBAL as usize {
        return None;
    }
    let mut r = Direct::new(data, limits);
    if r.eat(Opcode::Proto)? {
        let [proto] = r.array()?;
        if proto > crate::opcode::HIGHEST_PROTOCOL {
            return None;
        }
        r.proto = proto;
    }
    let value = T::read_direct(&mut r)?;
    (!r.given_up && r.eat(Opcode::Stop)?).then_some(value)
}

/// The fields of a struct read from a dict (an instance's `__dict__`, or a
/// plain dict) by [`Direct::instance`] and [`Direct::fields`].
///
/// `access(r, i, true)` reads the value of field `i` (named `names[i]`)
/// and keeps it; `access(r, i, false)` forgets it again, when the entry that
/// set it turns out not to be this dict's. A key set twice gives up.
#[doc(hidden)]
pub struct Fields<'n, F> {
    names: &'n [&'n str],
    access: F,
    /// The entry that set each field, `UNSET` for none. Each entry sets
    /// another field (a key set twice gives up), so entries number below 64.
    set_at: [u8; MAX_FIELDS],
}

/// The most fields a struct read directly may have.
const MAX_FIELDS: usize = 64;

/// [`Fields::set_at`] of a field no entry set.
const UNSET: u8 = u8::MAX;

impl<'n, F> Fields<'n, F> {
    /// Fields named `names`, read and forgotten by `access`. `None` for more than 64.
    pub fn new(names: &'n [&'n str], access: F) -> Option<Self> {
        (names.len() <= MAX_FIELDS).then_some(Fields {
            names,
            access,
            set_at: [UNSET; MAX_FIELDS],
        })
    }

    fn set<'de>(&mut self, r: &mut Direct<'de>, i: usize, entry: usize) -> Option<()>
    where
        F: FnMut(&mut Direct<'de>, usize, bool) -> Option<()>,
    {
        if self.set_at[i] != UNSET {
            return None;
        }
        (self.access)(r, i, true)?;
        self.set_at[i] = u8::try_from(entry).ok().filter(|&e| e != UNSET)?;
        Some(())
    }

    /// Forgets the fields set by entry `kept` and later.
    fn reset_from<'de>(&mut self, r: &mut Direct<'de>, kept: usize)
    where
        F: FnMut(&mut Direct<'de>, usize, bool) -> Option<()>,
    {
        for i in 0..self.names.len() {
            if self.set_at[i] != UNSET && usize::from(self.set_at[i]) >= kept {
                self.set_at[i] = UNSET;
                let _ = (self.access)(r, i, false);
            }
        }
    }
}
