//! Typed reads straight from the bytes, without building the object graph.
//!
//! `loads::<T>` from a slice first tries to read `T` directly: each
//! [`FromPickle`] type that knows how reads its own opcodes
//! ([`FromPickle::read_direct`]) and the pickle's bytes become Rust values
//! with no graph in between. The direct reader knows the shapes CPython
//! writes for the types that implement it (protocol 2 and up, binary
//! opcodes: ints, floats, bools, `None`, strs, bytes, lists, dicts, and
//! instances of `#[derive(Pickle)]` classes with a `__dict__`, numpy arrays
//! as protocol 5 writes them). On anything else (another shape, a memo reference to a
//! container, input it doubts, a limit it might reach, an input of 2 GiB or
//! more) it gives up, and the load runs the graph path from the start.
//! So a direct read either gives what the graph path would give, or nothing:
//! every error, and every object it does not know, is the graph path's.
//!
//! `load_seekable::<T>` does the same from a stream that can seek: the
//! reader's [`Source`] is then a [`Stream`], a window over the stream
//! rather than a slice, which seeks to go back; on giving up, the stream
//! is read again from the pickle's start through the graph.
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

mod calls;
mod containers;
mod memo;
mod scalars;
mod source;

use std::borrow::Cow;

pub use calls::Making;
pub use containers::Fields;
pub use memo::Gets;
use memo::{Kept, Memo};
pub use source::{Reference, Scan, Slice, Source, Stream};

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

/// The direct reader of one pickle, from a [`Source`]: a slice held in
/// memory, or a seekable stream. See the [module docs](self).
#[doc(hidden)]
pub struct Direct<'de, S = Slice<'de>> {
    source: S,
    input: Input,
    memo: Vec<Memo>,
    /// The memo filtered to the entries a GET fetches, in place of `memo`.
    kept: Option<Box<Kept>>,
    /// Whether the memo was offered to be filtered.
    filtered: bool,
    /// The memo size at which it is: [`memo::FILTER_FROM`], or less in tests.
    filter_from: usize,
    /// The globals the memo refers to: their modules and names.
    globals: Vec<(Cow<'de, str>, Cow<'de, str>)>,
    /// The objects made by calls the memo refers to (see
    /// [`Direct::reduce_to_make`]), each `None` until the caller made it.
    made: Vec<Option<Box<dyn std::any::Any>>>,
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

impl<'de, S: Source<'de>> Direct<'de, S> {
    fn new(source: S, limits: &Limits) -> Self {
        Direct {
            input: Input {
                pos: 0,
                limit: source.end(),
                in_frame: false,
            },
            source,
            memo: Vec::new(),
            kept: None,
            filtered: false,
            filter_from: memo::FILTER_FROM,
            globals: Vec::new(),
            made: Vec::new(),
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
        // Inside a frame, or outside any: at a frame's end, the slow path
        // closes it, so that the opcode's argument is read after it.
        if self.input.pos < self.input.limit {
            if let Some(byte) = self.source.byte_at(self.input.pos) {
                if byte != Opcode::Frame.byte() {
                    return Some(byte);
                }
            }
        }
        self.peek_slow()
    }

    #[cold]
    fn peek_slow(&mut self) -> Option<u8> {
        loop {
            self.close_frame();
            let byte = self.source.byte_at(self.input.pos)?;
            if byte != Opcode::Frame.byte() {
                return Some(byte);
            }
            if self.input.in_frame {
                return None;
            }
            self.input.pos += 1;
            let len = usize::try_from(u64::from_le_bytes(self.array()?)).ok()?;
            // The whole frame must be there, as the unpickler reads it whole
            // (from a stream, into the window).
            let end = self.input.pos.checked_add(len)?;
            self.source.range(self.input.pos, end)?;
            self.input.in_frame = true;
            self.input.limit = self.input.pos + len;
        }
    }

    /// Closes a frame read to its end.
    #[inline]
    fn close_frame(&mut self) {
        if self.input.in_frame && self.input.pos == self.input.limit {
            self.input.in_frame = false;
            self.input.limit = self.source.end();
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
    fn bytes(&mut self, n: usize) -> Option<Reference<'de, '_>> {
        let start = self.skip(n)?;
        self.source.range(start, start + n)
    }

    /// Takes the next `n` bytes of an opcode's argument, and says where they
    /// start, for a caller that reads them after it reads on.
    #[inline(always)]
    fn skip(&mut self, n: usize) -> Option<usize> {
        let start = self.input.pos;
        let end = start.checked_add(n)?;
        if end <= self.input.limit {
            self.input.pos = end;
            return Some(start);
        }
        self.skip_slow(end)
    }

    /// [`Direct::skip`] past the open frame's end: only if the frame ends here.
    #[cold]
    fn skip_slow(&mut self, end: usize) -> Option<usize> {
        self.close_frame();
        let start = self.input.pos;
        if end > self.input.limit {
            return None;
        }
        self.input.pos = end;
        Some(start)
    }

    #[inline(always)]
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        (*self.bytes(N)?).try_into().ok()
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

    /// Counts `n` bytes copied from a stream, which the graph path charges
    /// to `max_alloc_bytes` as well.
    #[inline]
    fn charge(&mut self, n: usize) -> Option<()> {
        self.alloc += n as u64;
        if self.alloc > self.limits.max_alloc_bytes {
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

    /// `read` one level of nesting down: for a reader of a container that
    /// does not enter one itself (a tuple), as a type that holds itself
    /// (through a `Box`) could otherwise recurse as deep as the input goes.
    #[inline]
    pub fn nested<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        self.enter()?;
        let value = read(self);
        self.leave();
        value
    }

    /// Where the reader is now.
    #[inline]
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            input: self.input,
            memo: self.memo_len(),
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
        if self.wasted > self.source.seen().saturating_mul(2).saturating_add(4096) {
            return self.give_up();
        }
        self.input = at.input;
        self.memo_truncate(at.memo);
        self.height = at.height;
        self.objects = at.objects;
        self.alloc = at.alloc;
        Some(())
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
    read_from(Slice::new(data), limits).0
}

/// Reads a whole pickle as a `T` directly from a seekable stream, `chunk`
/// bytes at a time, keeping only the memo entries a GET fetches once the
/// memo has `filter_from` entries; or `None` where
/// [`Unpickler::load_seekable`] reads it again through the graph (the
/// stream is then left where the read stopped).
///
/// What `load_seekable` tries first (with a chunk of 64 KiB, and filtering
/// from 65,536 entries), public for tests that check it against [`read`] at
/// every edge of the window, with and without the filter.
///
/// [`Unpickler::load_seekable`]: crate::Unpickler::load_seekable
pub fn read_seekable<'de, T: FromPickle<'de>>(
    reader: impl std::io::Read + std::io::Seek,
    limits: &Limits,
    chunk: usize,
    filter_from: usize,
) -> Option<T> {
    let source = Stream::new(reader, limits.max_input_bytes)
        .ok()?
        .chunk(chunk);
    let mut r = Direct::new(source, limits);
    r.filter_from = filter_from;
    read_pickle(&mut r)
}

/// Reads a whole pickle as a `T` directly from `source`, or `None` to take
/// the graph path. Returns the source, and where the pickle's STOP ends.
pub(crate) fn read_from<'de, T: FromPickle<'de>, S: Source<'de>>(
    source: S,
    limits: &Limits,
) -> (Option<T>, S, usize) {
    let mut r = Direct::new(source, limits);
    let value = read_pickle(&mut r);
    (value, r.source, r.input.pos)
}

fn read_pickle<'de, T: FromPickle<'de>, S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<T> {
    if r.eat(Opcode::Proto)? {
        let [proto] = r.array()?;
        if proto > crate::opcode::HIGHEST_PROTOCOL {
            return None;
        }
        r.proto = proto;
    }
    let value = T::read_direct(r)?;
    (!r.given_up && r.eat(Opcode::Stop)?).then_some(value)
}
