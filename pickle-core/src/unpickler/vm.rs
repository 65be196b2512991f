//! The unpickling VM: one loop, one `match` on [`Opcode`], one small handler
//! per opcode, in the manner of `pickle.py`'s `load_*` methods.
//!
//! The VM never recurses and never executes anything. Globals, calls and
//! instances become inert nodes of the [`Value`] graph. The stack holds
//! [`Id`]s; marks live on a separate stack of stack positions, with CPython's
//! "fence": an opcode that pops items may not reach below the topmost mark.
//!
//! Where CPython returns one shared object (the empty str, 1-character
//! Latin-1 strs, empty and 1-byte bytes, small ints, `None`, bools, `()`, a
//! global, the interned attribute names of an instance `__dict__`), the VM
//! hands out one node, so that writing the graph back reproduces the
//! memoization CPython's pickler would do on the object CPython loaded.

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::mem::{size_of, size_of_val};

use num_bigint::BigInt;

use super::memo::Memo;
use super::observe::Observer;
use super::text;
use super::{Limits, StringEncoding, Unpickler};
use crate::builtins;
use crate::error::{Error, ErrorKind, Result};
use crate::opcode::{Opcode, HIGHEST_PROTOCOL};
use crate::pytext::{self, Int, IntOrBool};
use crate::read::{Read, Reference, SliceRead};
use crate::registry::{self, Entry, Pending};
use crate::scan::Use;
use crate::value::{Buffer, Construct, Id, Instance, Object, Value};

pub(super) fn check_input_size(len: u64, limits: &Limits) -> Result<()> {
    if len > limits.max_input_bytes {
        return Err(Error::new(
            ErrorKind::InputTooLarge,
            format!(
                "input of {len} bytes is over the limit of {} bytes",
                limits.max_input_bytes
            ),
        ));
    }
    Ok(())
}

/// Runs a pickle from a stream. The input limit is checked as the stream is
/// read, and before every read of a declared length.
pub(super) fn run<'de, R: Read<'de>>(
    reader: R,
    options: &mut Unpickler<'_, 'de>,
) -> Result<Value<'de>> {
    Vm::new(reader, options, true).run()
}

/// Runs a pickle held in memory, whose size was checked up front.
pub(super) fn run_slice<'de>(
    data: &'de [u8],
    options: &mut Unpickler<'_, 'de>,
) -> Result<Value<'de>> {
    check_input_size(data.len() as u64, &options.limits)?;
    let mut vm = Vm::new(SliceRead::new(data), options, false);
    vm.reserve_for(data.len());
    vm.run()
}

/// Runs one pickle from the start of `data`, reporting globals and their
/// uses to `observer` as it goes: the scanner's entry ([`crate::scan`]).
pub(super) fn run_slice_observed<'de>(
    data: &'de [u8],
    options: &mut Unpickler<'_, 'de>,
    observer: &mut dyn Observer,
) -> Result<Value<'de>> {
    check_input_size(data.len() as u64, &options.limits)?;
    let mut vm = Vm::new(SliceRead::new(data), options, false);
    vm.observer = Some(observer);
    vm.run()
}

// ---------------------------------------------------------------------------
// Errors, worded as CPython words them where it has a word for them.

fn truncated() -> Error {
    Error::new(ErrorKind::Truncated, "pickle data was truncated")
}

fn unknown_opcode(byte: u8) -> Error {
    let shown = if (0x20..=0x7e).contains(&byte) && byte != b'\'' && byte != b'\\' {
        format!("'{}'", char::from(byte))
    } else {
        format!("'\\x{byte:02x}'")
    };
    Error::new(
        ErrorKind::UnknownOpcode,
        format!("invalid load key, {shown}."),
    )
}

fn type_mismatch(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::TypeMismatch, msg)
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

fn input_too_large(limit: u64) -> Error {
    Error::new(
        ErrorKind::InputTooLarge,
        format!("the pickle runs past the input limit of {limit} bytes"),
    )
}

// ---------------------------------------------------------------------------
// Interning: the nodes for objects CPython keeps one of.

/// A value CPython keeps a single object for.
#[derive(Clone, Copy)]
enum Slot {
    None,
    Bool(bool),
    /// `n + 5` for a small int `n` in `-5..=256`.
    SmallInt(usize),
    /// 0 for `''`, `c + 1` for a character `c` below U+0100.
    Str(usize),
    /// 0 for `b''`, `b + 1` for a single byte `b`.
    Bytes(usize),
    EmptyTuple,
}

const SMALL_INT_MIN: i64 = -5;
const SMALL_INT_MAX: i64 = 256;
const SMALL_INTS: usize = (SMALL_INT_MAX - SMALL_INT_MIN + 1) as usize;

pub(super) struct Interned {
    none: Option<Id>,
    bools: [Option<Id>; 2],
    small_ints: [Option<Id>; SMALL_INTS],
    strs: [Option<Id>; 257],
    bytes: [Option<Id>; 257],
    empty_tuple: Option<Id>,
    /// Global nodes by a hash of (module, name); a bucket holds the rare collisions.
    globals: HashMap<u64, Vec<Id>>,
    /// The str nodes used as instance attribute names, by a hash of their text.
    attr_names: HashMap<u64, Vec<Id>>,
    /// Attribute-name nodes met lately: pickles memoize names, so the same
    /// nodes recur instance after instance and need no hashing.
    recent_attr_names: [Option<Id>; 8],
    recent_attr_next: usize,
    /// Extension code → the global it named.
    extensions: HashMap<i32, Id>,
    hasher: RandomState,
}

impl Interned {
    fn new() -> Interned {
        Interned {
            none: None,
            bools: [None; 2],
            small_ints: [None; SMALL_INTS],
            strs: [None; 257],
            bytes: [None; 257],
            empty_tuple: None,
            globals: HashMap::new(),
            attr_names: HashMap::new(),
            recent_attr_names: [None; 8],
            recent_attr_next: 0,
            extensions: HashMap::new(),
            hasher: RandomState::new(),
        }
    }

    #[inline]
    fn slot(&mut self, slot: Slot) -> Option<&mut Option<Id>> {
        match slot {
            Slot::None => Some(&mut self.none),
            Slot::Bool(b) => self.bools.get_mut(usize::from(b)),
            Slot::SmallInt(i) => self.small_ints.get_mut(i),
            Slot::Str(i) => self.strs.get_mut(i),
            Slot::Bytes(i) => self.bytes.get_mut(i),
            Slot::EmptyTuple => Some(&mut self.empty_tuple),
        }
    }
}

/// The slot of a str CPython caches: empty, or one character below U+0100.
#[inline]
fn str_slot(s: &str) -> Option<usize> {
    if s.len() > 2 {
        return None;
    }
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Some(0),
        (Some(c), None) if u32::from(c) < 0x100 => Some(c as usize + 1),
        _ => None,
    }
}

#[inline]
fn bytes_slot(b: &[u8]) -> Option<usize> {
    match b {
        [] => Some(0),
        [c] => Some(usize::from(*c) + 1),
        _ => None,
    }
}

/// Whether an object of this kind could be a class or other callable. The
/// rest are builtin values CPython would refuse to call.
pub(super) fn may_be_callable(o: &Object<'_>) -> bool {
    matches!(
        o,
        Object::Global(_) | Object::Instance(_) | Object::PersistentId(_)
    )
}

/// Bytes the VM copies or allocates, counted against `max_alloc_bytes`.
pub(super) struct Budget {
    used: u64,
    max: u64,
}

impl Budget {
    #[inline]
    pub(super) fn charge(&mut self, bytes: usize) -> Result<()> {
        self.used = self.used.saturating_add(bytes as u64);
        if self.used > self.max {
            return Err(Error::new(
                ErrorKind::AllocLimit,
                format!(
                    "loading would allocate more than the limit of {} bytes",
                    self.max
                ),
            ));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The machine.

pub(super) struct Vm<'o, 'a, 'de, R> {
    reader: R,
    opts: &'o mut Unpickler<'a, 'de>,
    pub(super) graph: Value<'de>,
    stack: Vec<Id>,
    /// Stack positions of the marks, innermost last.
    marks: Vec<usize>,
    memo: Memo,
    /// The protocol PROTO declared; 0 until then, as in CPython.
    proto: u8,
    pub(super) interned: Interned,
    pub(super) budget: Budget,
    max_stack: usize,
    max_objects: usize,
    max_container_len: usize,
    /// For streams, the input limit the reader's offset must stay within.
    stream_limit: Option<u64>,
    /// For streams, the offset of the last FRAME opcode and the end of its frame.
    stream_frame: Option<(u64, u64)>,
    /// The opcode being run and its offset, for the natives it creates.
    current: (u64, Opcode),
    /// Global nodes of registered classes: step 3 of [`Vm::find_class`].
    registered: HashMap<Id, Entry>,
    /// Instances of registered classes, to become natives at STOP.
    natives: Vec<Pending>,
    /// The scanner's hook ([`super::observe`]); `None` when loading.
    observer: Option<&'o mut dyn Observer>,
}

impl<'o, 'a, 'de, R: Read<'de>> Vm<'o, 'a, 'de, R> {
    fn new(reader: R, opts: &'o mut Unpickler<'a, 'de>, stream: bool) -> Self {
        let limits = &opts.limits;
        Vm {
            memo: Memo::new(limits.max_memo_entries),
            budget: Budget {
                used: 0,
                max: limits.max_alloc_bytes,
            },
            max_stack: limits.max_stack_depth,
            max_container_len: limits.max_container_len,
            // Ids are u32: never let the graph reach the size `Value::add` refuses.
            max_objects: limits.max_objects.min(u32::MAX as usize),
            stream_limit: stream.then_some(limits.max_input_bytes),
            stream_frame: None,
            reader,
            opts,
            graph: Value::new(),
            stack: Vec::new(),
            marks: Vec::new(),
            proto: 0,
            interned: Interned::new(),
            current: (0, Opcode::Stop),
            registered: HashMap::new(),
            natives: Vec::new(),
            observer: None,
        }
    }

    /// Makes room for the objects an input of `len` bytes present in
    /// memory usually holds, so the arena does not grow by copying. The
    /// room is only reserved: pages nothing writes to cost no memory.
    fn reserve_for(&mut self, len: usize) {
        /// About one object per 2 bytes (a small int is 2), at most 8 Mi objects.
        const MAX_RESERVED: usize = 8 << 20;
        let objects = (len / 2).min(MAX_RESERVED).min(self.max_objects);
        self.graph.try_reserve(objects);
    }

    fn run(mut self) -> Result<Value<'de>> {
        loop {
            let start = self.reader.offset();
            if let Some(limit) = self.stream_limit {
                if start > limit {
                    return Err(input_too_large(limit).at(start, None));
                }
            }
            let byte = match self.reader.next_byte() {
                Ok(Some(byte)) => byte,
                Ok(None) => {
                    return Err(Error::new(ErrorKind::Truncated, "Ran out of input").at(start, None))
                }
                Err(e) => return Err(e.at(start, None)),
            };
            let Some(op) = Opcode::from_byte(byte) else {
                return Err(unknown_opcode(byte).at(start, None));
            };
            if op == Opcode::Stop {
                if let Some(observer) = self.observer.as_deref_mut() {
                    observer.stop(start);
                }
                self.finish_frame()?;
                return self.stop().map_err(|e| e.at(start, Some(op)));
            }
            if op == Opcode::Frame && self.stream_limit.is_some() {
                self.stream_frame = Some((start, 0));
            }
            self.current = (start, op);
            if let Err(e) = self.step(op) {
                return Err(e.at(start, Some(op)));
            }
        }
    }

    /// Executes one opcode other than STOP.
    fn step(&mut self, op: Opcode) -> Result<()> {
        use Opcode as O;
        match op {
            O::None => self.push_singleton(Slot::None, || Object::None),
            O::NewTrue => self.push_bool(true),
            O::NewFalse => self.push_bool(false),
            O::Int => self.load_int(),
            O::BinInt => {
                let n = i32::from_le_bytes(self.read_array()?);
                self.push_int(i64::from(n))
            }
            O::BinInt1 => {
                let [n] = self.read_array()?;
                self.push_int(i64::from(n))
            }
            O::BinInt2 => {
                let n = u16::from_le_bytes(self.read_array()?);
                self.push_int(i64::from(n))
            }
            O::Long => self.load_long(),
            O::Long1 => {
                let [n] = self.read_array()?;
                self.load_counted_long(u64::from(n))
            }
            O::Long4 => {
                let n = i32::from_le_bytes(self.read_array()?);
                let n =
                    u64::try_from(n).map_err(|_| invalid("LONG pickle has negative byte count"))?;
                self.load_counted_long(n)
            }
            O::Float => self.load_float(),
            O::BinFloat => {
                // Big-endian, unlike every other binary argument.
                let x = f64::from_be_bytes(self.read_array()?);
                self.push_new(Object::Float(x))
            }
            O::String => self.load_string(),
            O::BinString => {
                let n = u32::from_le_bytes(self.read_array()?);
                self.load_binstring(u64::from(n))
            }
            O::ShortBinString => {
                let [n] = self.read_array()?;
                self.load_binstring(u64::from(n))
            }
            O::Unicode => self.load_unicode(),
            O::ShortBinUnicode => {
                let [n] = self.read_array()?;
                self.load_binunicode(u64::from(n))
            }
            O::BinUnicode => {
                let n = u32::from_le_bytes(self.read_array()?);
                self.load_binunicode(u64::from(n))
            }
            O::BinUnicode8 => {
                let n = u64::from_le_bytes(self.read_array()?);
                self.load_binunicode(n)
            }
            O::ShortBinBytes => {
                let [n] = self.read_array()?;
                self.load_binbytes(u64::from(n))
            }
            O::BinBytes => {
                let n = u32::from_le_bytes(self.read_array()?);
                self.load_binbytes(u64::from(n))
            }
            O::BinBytes8 => {
                let n = u64::from_le_bytes(self.read_array()?);
                self.load_binbytes(n)
            }
            O::ByteArray8 => self.load_bytearray8(),
            O::NextBuffer => self.load_next_buffer(),
            O::ReadonlyBuffer => self.load_readonly_buffer(),
            O::EmptyList => self.push_new(Object::List(Vec::new())),
            O::EmptyDict => self.push_new(Object::Dict(Vec::new())),
            O::EmptySet => self.push_new(Object::Set(Vec::new())),
            O::EmptyTuple => self.push_tuple(Vec::new()),
            O::List => self.load_list(),
            O::Tuple => self.load_tuple(),
            O::Tuple1 => self.load_counted_tuple(1),
            O::Tuple2 => self.load_counted_tuple(2),
            O::Tuple3 => self.load_counted_tuple(3),
            O::Dict => self.load_dict(),
            O::FrozenSet => self.load_frozenset(),
            O::Append => self.load_append(),
            O::Appends => self.load_appends(),
            O::SetItem => self.load_setitem(),
            O::SetItems => self.load_setitems(),
            O::AddItems => self.load_additems(),
            O::Pop => self.load_pop(),
            O::PopMark => self.load_pop_mark(),
            O::Dup => self.load_dup(),
            O::Mark => self.load_mark(),
            O::Get => self.load_get(),
            O::BinGet => {
                let [i] = self.read_array()?;
                self.memo_get(u64::from(i))
            }
            O::LongBinGet => {
                let i = u32::from_le_bytes(self.read_array()?);
                self.memo_get(u64::from(i))
            }
            O::Put => self.load_put(),
            O::BinPut => {
                let [i] = self.read_array()?;
                self.memo_put(u64::from(i))
            }
            O::LongBinPut => {
                let i = u32::from_le_bytes(self.read_array()?);
                self.memo_put(u64::from(i))
            }
            O::Memoize => self.memo_put(self.memo.len() as u64),
            O::Global => self.load_global(),
            O::StackGlobal => self.load_stack_global(),
            O::Ext1 => {
                let [code] = self.read_array()?;
                self.load_extension(i64::from(code))
            }
            O::Ext2 => {
                let code = u16::from_le_bytes(self.read_array()?);
                self.load_extension(i64::from(code))
            }
            O::Ext4 => {
                let code = i32::from_le_bytes(self.read_array()?);
                self.load_extension(i64::from(code))
            }
            O::Reduce => self.load_reduce(),
            O::Build => self.load_build(),
            O::Inst => self.load_inst(),
            O::Obj => self.load_obj(),
            O::NewObj => self.load_newobj(false),
            O::NewObjEx => self.load_newobj(true),
            O::PersId => self.load_persid(),
            O::BinPersId => {
                let pid = self.pop()?;
                self.persistent(pid)
            }
            O::Proto => self.load_proto(),
            O::Frame => {
                let len = u64::from_le_bytes(self.read_array()?);
                self.check_declared(len)?;
                if let Some((_, end)) = self.stream_frame.as_mut() {
                    *end = self.reader.offset().saturating_add(len);
                }
                self.reader.begin_frame(len)
            }
            // The loop ends at STOP before dispatching.
            O::Stop => Ok(()),
        }
    }

    /// CPython reads a whole frame before running it, so a frame longer than
    /// the input fails at FRAME, and a stream is consumed to the frame's end.
    /// A slice reader checks this at FRAME; a stream can only tell by reading,
    /// so the rest of an open frame is read here, at STOP.
    fn finish_frame(&mut self) -> Result<()> {
        let Some((at, end)) = self.stream_frame else {
            return Ok(());
        };
        let left = end.saturating_sub(self.reader.offset());
        if left > 0 {
            self.reader
                .read_bytes(left)
                .map_err(|_| truncated().at(at, Some(Opcode::Frame)))?;
        }
        Ok(())
    }

    /// STOP: the result is the top of the stack. Bytes after STOP are never
    /// read. Instances of registered classes become natives now, when
    /// everything has been applied to them.
    fn stop(mut self) -> Result<Value<'de>> {
        let root = self.pop()?;
        self.graph.set_root(root);
        registry::make_natives(&mut self.graph, self.natives)?;
        // Give back what the arena reserved or doubled into and did not use.
        self.graph.shrink_to_fit();
        Ok(self.graph)
    }

    // -- The stack ----------------------------------------------------------

    /// The position below which pops may not reach: the topmost mark.
    #[inline]
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    #[cold]
    fn underflow(&self) -> Error {
        if self.marks.is_empty() {
            Error::new(ErrorKind::StackUnderflow, "unpickling stack underflow")
        } else {
            Error::new(ErrorKind::StackUnderflow, "unexpected MARK found")
        }
    }

    #[cold]
    fn stack_limit(&self) -> Error {
        Error::new(
            ErrorKind::StackLimit,
            format!(
                "the stack grew past the limit of {} items and marks",
                self.max_stack
            ),
        )
    }

    #[inline]
    fn push(&mut self, id: Id) -> Result<()> {
        if self.stack.len() + self.marks.len() >= self.max_stack {
            return Err(self.stack_limit());
        }
        self.stack.push(id);
        Ok(())
    }

    #[inline]
    fn pop(&mut self) -> Result<Id> {
        if self.stack.len() <= self.fence() {
            return Err(self.underflow());
        }
        self.stack.pop().ok_or_else(|| self.underflow())
    }

    #[inline]
    fn top(&self) -> Result<Id> {
        if self.stack.len() <= self.fence() {
            return Err(self.underflow());
        }
        self.stack.last().copied().ok_or_else(|| self.underflow())
    }

    #[inline]
    fn pop_mark(&mut self) -> Result<usize> {
        self.marks
            .pop()
            .ok_or_else(|| Error::new(ErrorKind::MissingMark, "could not find MARK"))
    }

    /// Removes and returns the items from `start` up, which must not reach below the fence.
    #[inline]
    fn take_from(&mut self, start: usize) -> Result<Vec<Id>> {
        if start < self.fence() || start > self.stack.len() {
            return Err(self.underflow());
        }
        self.check_container_len(self.stack.len() - start)?;
        let items = self.stack.split_off(start);
        self.budget.charge(size_of_val(items.as_slice()))?;
        Ok(items)
    }

    /// Refuses a container that would hold more than `max_container_len` items.
    fn check_container_len(&self, len: usize) -> Result<()> {
        if len > self.max_container_len {
            return Err(Error::new(
                ErrorKind::ContainerLimit,
                format!(
                    "a container would hold {len} items, more than the limit of {}",
                    self.max_container_len
                ),
            ));
        }
        Ok(())
    }

    /// The stack item just below position `x`, checked as CPython's
    /// `do_append` checks it: it must lie at or above the fence.
    #[inline]
    fn target_below(&self, x: usize) -> Result<Id> {
        if x > self.stack.len() || x <= self.fence() {
            return Err(self.underflow());
        }
        x.checked_sub(1)
            .and_then(|i| self.stack.get(i).copied())
            .ok_or_else(|| self.underflow())
    }

    // -- The graph ----------------------------------------------------------

    #[inline]
    pub(super) fn add(&mut self, object: Object<'de>) -> Result<Id> {
        if self.graph.len() >= self.max_objects {
            return Err(Error::new(
                ErrorKind::ObjectLimit,
                format!(
                    "the graph grew past the limit of {} objects",
                    self.max_objects
                ),
            ));
        }
        let registered = match &object {
            Object::Instance(i) if !self.registered.is_empty() => {
                self.registered.get(&i.class).map(|&entry| (i.class, entry))
            }
            _ => None,
        };
        let id = self.graph.add(object);
        if let Some((class, entry)) = registered {
            let (offset, opcode) = self.current;
            self.natives.push(Pending {
                id,
                class,
                offset,
                opcode,
                entry,
            });
        }
        Ok(id)
    }

    #[inline]
    fn push_new(&mut self, object: Object<'de>) -> Result<()> {
        let id = self.add(object)?;
        self.push(id)
    }

    /// The one node for `slot`, created by `make` on first use.
    #[inline]
    fn singleton(&mut self, slot: Slot, make: impl FnOnce() -> Object<'de>) -> Result<Id> {
        if let Some(&mut Some(id)) = self.interned.slot(slot) {
            return Ok(id);
        }
        let id = self.add(make())?;
        if let Some(cell) = self.interned.slot(slot) {
            *cell = Some(id);
        }
        Ok(id)
    }

    #[inline]
    fn push_singleton(&mut self, slot: Slot, make: impl FnOnce() -> Object<'de>) -> Result<()> {
        let id = self.singleton(slot, make)?;
        self.push(id)
    }

    #[inline]
    fn push_bool(&mut self, b: bool) -> Result<()> {
        self.push_singleton(Slot::Bool(b), || Object::Bool(b))
    }

    #[inline]
    fn push_int(&mut self, n: i64) -> Result<()> {
        if (SMALL_INT_MIN..=SMALL_INT_MAX).contains(&n) {
            let slot = Slot::SmallInt((n - SMALL_INT_MIN) as usize);
            return self.push_singleton(slot, || Object::Int(n));
        }
        self.push_new(Object::Int(n))
    }

    fn push_bigint(&mut self, n: BigInt) -> Result<()> {
        match i64::try_from(&n) {
            Ok(small) => self.push_int(small),
            Err(_) => {
                self.budget.charge(n.bits().div_ceil(8) as usize)?;
                self.push_new(Object::BigInt(Box::new(n)))
            }
        }
    }

    fn push_parsed_int(&mut self, n: Int) -> Result<()> {
        match n {
            Int::Small(n) => self.push_int(n),
            Int::Big(n) => self.push_bigint(n),
        }
    }

    #[inline]
    pub(super) fn new_str(&mut self, s: Cow<'de, str>) -> Result<Id> {
        match str_slot(&s) {
            Some(slot) => self.singleton(Slot::Str(slot), || Object::Str(s)),
            None => self.add(Object::Str(s)),
        }
    }

    #[inline]
    pub(super) fn new_bytes(&mut self, b: Cow<'de, [u8]>) -> Result<Id> {
        match bytes_slot(&b) {
            Some(slot) => self.singleton(Slot::Bytes(slot), || Object::Bytes(b)),
            None => self.add(Object::Bytes(b)),
        }
    }

    /// A tuple node; the empty tuple is one node, as CPython's `()` is one object.
    #[inline]
    pub(super) fn new_tuple(&mut self, items: Vec<Id>) -> Result<Id> {
        if items.is_empty() {
            return self.singleton(Slot::EmptyTuple, || Object::Tuple(items));
        }
        self.add(Object::Tuple(items))
    }

    #[inline]
    fn push_tuple(&mut self, items: Vec<Id>) -> Result<()> {
        let id = self.new_tuple(items)?;
        self.push(id)
    }

    pub(super) fn check_hashable(&self, id: Id) -> Result<()> {
        match self.graph.try_get(id) {
            Some(
                o @ (Object::List(_) | Object::Dict(_) | Object::Set(_) | Object::ByteArray(_)),
            ) => Err(Error::new(
                ErrorKind::Unhashable,
                format!("unhashable type: '{}'", o.type_name()),
            )),
            _ => Ok(()),
        }
    }

    fn type_name(&self, id: Id) -> &'static str {
        self.graph.try_get(id).map_or("?", Object::type_name)
    }

    // -- Reading arguments --------------------------------------------------

    #[inline]
    fn read_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.reader.read_bytes(N as u64)?;
        <[u8; N]>::try_from(&*bytes).map_err(|_| truncated())
    }

    /// Refuses, before any read, a declared length that would take a stream past the input limit.
    /// Inside a frame the frame bounds every read (its length was checked at
    /// FRAME), and its rules report an overrun first, as they do for a slice.
    #[inline]
    fn check_declared(&self, n: u64) -> Result<()> {
        if let Some(limit) = self.stream_limit {
            if !self.reader.in_frame() && n > limit.saturating_sub(self.reader.offset()) {
                return Err(input_too_large(limit));
            }
        }
        Ok(())
    }

    /// `n` bytes of input: borrowed when the reader can lend them, else copied.
    #[inline]
    fn read_cow(&mut self, n: u64) -> Result<Cow<'de, [u8]>> {
        self.check_declared(n)?;
        let data = self.reader.read_kept(n)?;
        if let Cow::Owned(b) = &data {
            self.budget.charge(b.len())?;
        }
        Ok(data)
    }

    /// One line of input without its `\n`: borrowed when the reader can lend it, else copied.
    #[inline]
    fn read_line_cow(&mut self) -> Result<Cow<'de, [u8]>> {
        Ok(match self.reader.read_line()? {
            Reference::Borrowed(b) => Cow::Borrowed(b),
            Reference::Copied(b) => {
                self.budget.charge(b.len())?;
                Cow::Owned(b.to_vec())
            }
        })
    }

    // -- Numbers ------------------------------------------------------------

    fn load_int(&mut self) -> Result<()> {
        let value = pytext::decimalnl_short(&self.reader.read_line()?)?;
        match value {
            IntOrBool::Bool(b) => self.push_bool(b),
            IntOrBool::Int(n) => self.push_parsed_int(n),
        }
    }

    fn load_long(&mut self) -> Result<()> {
        let n = pytext::decimalnl_long(&self.reader.read_line()?)?;
        self.push_parsed_int(n)
    }

    /// LONG1/LONG4: `n` bytes of little-endian two's complement.
    fn load_counted_long(&mut self, n: u64) -> Result<()> {
        if n == 0 {
            return self.push_int(0);
        }
        self.check_declared(n)?;
        let value = BigInt::from_signed_bytes_le(&self.reader.read_bytes(n)?);
        self.push_bigint(value)
    }

    fn load_float(&mut self) -> Result<()> {
        let x = text::parse_float(&self.reader.read_line()?)?;
        self.push_new(Object::Float(x))
    }

    // -- Strings and bytes --------------------------------------------------

    fn load_binunicode(&mut self, n: u64) -> Result<()> {
        let s = cow_utf8(self.read_cow(n)?)?;
        let id = self.new_str(s)?;
        self.push(id)
    }

    fn load_unicode(&mut self) -> Result<()> {
        let line = self.read_line_cow()?;
        let s = match text::decode_raw_unicode_escape(&line)? {
            // ASCII without escapes: the line is the text.
            None => cow_utf8(line)?,
            Some(decoded) => {
                self.budget.charge(decoded.len())?;
                Cow::Owned(decoded)
            }
        };
        let id = self.new_str(s)?;
        self.push(id)
    }

    fn load_binbytes(&mut self, n: u64) -> Result<()> {
        let b = self.read_cow(n)?;
        // CPython allocates these bytes and then reads into them, so only the
        // empty one is its cached singleton; one byte is a fresh object here,
        // unlike the 1-byte bytes of `_codecs.encode` or of a Python 2 str.
        let id = if b.is_empty() {
            self.new_bytes(b)?
        } else {
            self.add(Object::Bytes(b))?
        };
        self.push(id)
    }

    fn load_bytearray8(&mut self) -> Result<()> {
        let n = u64::from_le_bytes(self.read_array()?);
        let data = self.read_cow(n)?;
        self.push_new(Object::ByteArray(data))
    }

    fn load_string(&mut self) -> Result<()> {
        let raw = match self.read_line_cow()? {
            Cow::Borrowed(line) => pytext::escape_decode(text::unquote(line)?)?,
            Cow::Owned(line) => {
                Cow::Owned(pytext::escape_decode(text::unquote(&line)?)?.into_owned())
            }
        };
        if let Cow::Owned(v) = &raw {
            self.budget.charge(v.len())?;
        }
        self.push_py2_str(raw)
    }

    fn load_binstring(&mut self, n: u64) -> Result<()> {
        let raw = self.read_cow(n)?;
        self.push_py2_str(raw)
    }

    /// A Python 2 `str`, decoded by the `encoding` option.
    fn push_py2_str(&mut self, raw: Cow<'de, [u8]>) -> Result<()> {
        let id = match self.opts.encoding {
            StringEncoding::Bytes => self.new_bytes(raw)?,
            StringEncoding::Ascii => {
                pytext::check_ascii(&raw)?;
                let s = cow_utf8(raw)?;
                self.new_str(s)?
            }
            StringEncoding::Utf8 => {
                let s = cow_utf8(raw)?;
                self.new_str(s)?
            }
            StringEncoding::Latin1 => {
                let s = if raw.is_ascii() {
                    cow_utf8(raw)?
                } else {
                    let s = pytext::latin1(&raw).into_owned();
                    self.budget.charge(s.len())?;
                    Cow::Owned(s)
                };
                self.new_str(s)?
            }
        };
        self.push(id)
    }

    // -- Protocol 5 buffers -------------------------------------------------

    fn load_next_buffer(&mut self) -> Result<()> {
        let buffers = self.opts.buffers.as_mut().ok_or_else(|| {
            Error::new(
                ErrorKind::OutOfBandBuffer,
                "pickle stream refers to out-of-band data but no *buffers* argument was given",
            )
        })?;
        let buffer = buffers.next().ok_or_else(|| {
            Error::new(ErrorKind::OutOfBandBuffer, "not enough out-of-band buffers")
        })?;
        self.push_new(Object::Buffer(Box::new(buffer)))
    }

    /// READONLY_BUFFER: CPython takes a memoryview of the top item and makes it read-only.
    fn load_readonly_buffer(&mut self) -> Result<()> {
        let top = self.top()?;
        let copy = match self.graph.objects_mut().get_mut(top.index()) {
            Some(Object::Buffer(buffer)) => {
                buffer.readonly = true;
                return Ok(());
            }
            // Already read-only; and objects the graph cannot see into are left alone.
            Some(Object::Bytes(_) | Object::Instance(_) | Object::PersistentId(_)) => return Ok(()),
            // A writable bytearray is replaced by a read-only view of it.
            Some(Object::ByteArray(data)) => data.clone(),
            other => {
                return Err(type_mismatch(format!(
                    "memoryview: a bytes-like object is required, not '{}'",
                    other.map_or("?", |o| o.type_name())
                )))
            }
        };
        if let Cow::Owned(copy) = &copy {
            self.budget.charge(copy.len())?;
        }
        let view = self.add(Object::Buffer(Box::new(Buffer {
            data: copy,
            readonly: true,
        })))?;
        if let Some(slot) = self.stack.last_mut() {
            *slot = view;
        }
        Ok(())
    }

    // -- Containers ---------------------------------------------------------

    fn load_list(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        let items = self.take_from(mark)?;
        self.push_new(Object::List(items))
    }

    fn load_tuple(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        let items = self.take_from(mark)?;
        self.push_tuple(items)
    }

    fn load_counted_tuple(&mut self, n: usize) -> Result<()> {
        let start = self
            .stack
            .len()
            .checked_sub(n)
            .ok_or_else(|| self.underflow())?;
        let items = self.take_from(start)?;
        self.push_tuple(items)
    }

    fn load_dict(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        let items = self.stack.get(mark..).ok_or_else(|| self.underflow())?;
        if items.len() % 2 != 0 {
            return Err(Error::new(
                ErrorKind::OddItems,
                "odd number of items for DICT",
            ));
        }
        self.check_container_len(items.len() / 2)?;
        for key in items.iter().step_by(2) {
            self.check_hashable(*key)?;
        }
        self.budget
            .charge(items.len() / 2 * size_of::<(Id, Id)>())?;
        let pairs = pairs_of(items);
        self.stack.truncate(mark);
        self.push_new(Object::Dict(pairs))
    }

    fn load_frozenset(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        let items = self.take_from(mark)?;
        for &item in &items {
            self.check_hashable(item)?;
        }
        self.push_new(Object::FrozenSet(items))
    }

    fn load_append(&mut self) -> Result<()> {
        let x = self.stack.len().saturating_sub(1);
        if x <= self.fence() {
            return Err(self.underflow());
        }
        self.append_from(x)
    }

    fn load_appends(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        self.append_from(mark)
    }

    /// Appends the items from `x` up to the list (or list-like instance) just below `x`.
    fn append_from(&mut self, x: usize) -> Result<()> {
        let target = self.target_below(x)?;
        let Some(items) = self.stack.get(x..) else {
            return Err(self.underflow());
        };
        if items.is_empty() {
            return Ok(());
        }
        let len = match self.graph.try_get(target) {
            Some(Object::List(list)) => list.len(),
            Some(Object::Instance(inst)) => inst.list_items.len(),
            _ => 0,
        };
        self.check_container_len(len.saturating_add(items.len()))?;
        self.budget.charge(size_of_val(items))?;
        match self.graph.objects_mut().get_mut(target.index()) {
            Some(Object::List(list)) => list.extend_from_slice(items),
            Some(Object::Instance(inst)) => inst.list_items.extend_from_slice(items),
            other => {
                return Err(type_mismatch(format!(
                    "'{}' object has no attribute 'append'",
                    other.map_or("?", |o| o.type_name())
                )))
            }
        }
        self.stack.truncate(x);
        Ok(())
    }

    fn load_setitem(&mut self) -> Result<()> {
        let x = self.stack.len().saturating_sub(2);
        self.set_items_from(x)
    }

    fn load_setitems(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        self.set_items_from(mark)
    }

    /// Sets the key/value pairs from `x` up in the dict (or dict-like instance) just below `x`.
    fn set_items_from(&mut self, x: usize) -> Result<()> {
        let target = self.target_below(x)?;
        let Some(items) = self.stack.get(x..) else {
            return Err(self.underflow());
        };
        if items.is_empty() {
            return Ok(());
        }
        if items.len() % 2 != 0 {
            return Err(Error::new(
                ErrorKind::OddItems,
                "odd number of items for SETITEMS",
            ));
        }
        if matches!(self.graph.try_get(target), Some(Object::Dict(_))) {
            for key in items.iter().step_by(2) {
                self.check_hashable(*key)?;
            }
        }
        let len = match self.graph.try_get(target) {
            Some(Object::Dict(dict)) => dict.len(),
            Some(Object::Instance(inst)) => inst.dict_items.len(),
            _ => 0,
        };
        self.check_container_len(len.saturating_add(items.len() / 2))?;
        self.budget
            .charge(items.len() / 2 * size_of::<(Id, Id)>())?;
        let pairs = pairs_of(items);
        match self.graph.objects_mut().get_mut(target.index()) {
            Some(Object::Dict(dict)) => dict.extend(pairs),
            Some(Object::Instance(inst)) => inst.dict_items.extend(pairs),
            other => {
                return Err(type_mismatch(format!(
                    "'{}' object does not support item assignment",
                    other.map_or("?", |o| o.type_name())
                )))
            }
        }
        self.stack.truncate(x);
        Ok(())
    }

    fn load_additems(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        let target = self.target_below(mark)?;
        let Some(items) = self.stack.get(mark..) else {
            return Err(self.underflow());
        };
        if items.is_empty() {
            return Ok(());
        }
        if !matches!(self.graph.try_get(target), Some(Object::Set(_))) {
            return Err(type_mismatch(format!(
                "'{}' object has no attribute 'add'",
                self.type_name(target)
            )));
        }
        if let Some(Object::Set(set)) = self.graph.try_get(target) {
            self.check_container_len(set.len().saturating_add(items.len()))?;
        }
        for &item in items {
            self.check_hashable(item)?;
        }
        self.budget.charge(size_of_val(items))?;
        if let Some(Object::Set(set)) = self.graph.objects_mut().get_mut(target.index()) {
            set.extend_from_slice(items);
        }
        self.stack.truncate(mark);
        Ok(())
    }

    // -- Stack manipulation -------------------------------------------------

    /// POP: discards the top item, or the topmost mark if nothing lies above it (as `_pickle.c`).
    fn load_pop(&mut self) -> Result<()> {
        let len = self.stack.len();
        if self.marks.last() == Some(&len) {
            self.marks.pop();
        } else if len <= self.fence() {
            return Err(self.underflow());
        } else {
            self.stack.pop();
        }
        Ok(())
    }

    fn load_pop_mark(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        if mark > self.stack.len() {
            return Err(self.underflow());
        }
        self.stack.truncate(mark);
        Ok(())
    }

    fn load_dup(&mut self) -> Result<()> {
        let top = self.top()?;
        self.push(top)
    }

    fn load_mark(&mut self) -> Result<()> {
        if self.stack.len() + self.marks.len() >= self.max_stack {
            return Err(self.stack_limit());
        }
        self.marks.push(self.stack.len());
        Ok(())
    }

    // -- The memo -----------------------------------------------------------

    #[inline]
    fn memo_get(&mut self, index: u64) -> Result<()> {
        let id = self.memo.get(index).ok_or_else(|| {
            Error::new(
                ErrorKind::MissingMemo,
                format!("Memo value not found at index {index}"),
            )
        })?;
        self.push(id)
    }

    #[inline]
    fn memo_put(&mut self, index: u64) -> Result<()> {
        let top = self.top()?;
        self.memo.put(index, top)
    }

    fn load_get(&mut self) -> Result<()> {
        let index = pytext::parse_int(&self.reader.read_line()?)?;
        match index {
            Int::Small(i) => match u64::try_from(i) {
                Ok(i) => self.memo_get(i),
                Err(_) => Err(Error::new(
                    ErrorKind::MissingMemo,
                    format!("Memo value not found at index {i}"),
                )),
            },
            Int::Big(_) => Err(invalid("Python int too large to convert to C ssize_t")),
        }
    }

    fn load_put(&mut self) -> Result<()> {
        let index = pytext::parse_int(&self.reader.read_line()?)?;
        self.top()?;
        match index {
            Int::Small(i) => match u64::try_from(i) {
                Ok(i) => self.memo_put(i),
                Err(_) => Err(invalid("negative PUT argument")),
            },
            Int::Big(_) => Err(invalid("Python int too large to convert to C ssize_t")),
        }
    }

    // -- Globals ------------------------------------------------------------

    /// A module or qualname line of GLOBAL or INST.
    fn read_name(&mut self, ascii: bool) -> Result<Cow<'de, str>> {
        let line = self.read_line_cow()?;
        if line.is_empty() {
            return Err(invalid("empty module or name; pickle data was truncated"));
        }
        if ascii {
            pytext::check_ascii(&line)?;
        }
        cow_utf8(line)
    }

    fn load_global(&mut self) -> Result<()> {
        let module = self.read_name(false)?;
        let name = self.read_name(false)?;
        let id = self.find_class(module, name)?;
        self.push(id)
    }

    /// STACK_GLOBAL pops the name first, then the module.
    fn load_stack_global(&mut self) -> Result<()> {
        let name = self.pop()?;
        let module = self.pop()?;
        let (Some(Object::Str(module)), Some(Object::Str(name))) =
            (self.graph.try_get(module), self.graph.try_get(name))
        else {
            return Err(type_mismatch("STACK_GLOBAL requires str"));
        };
        let (module, name) = (module.clone(), name.clone());
        let id = self.find_class(module, name)?;
        self.push(id)
    }

    fn load_extension(&mut self, code: i64) -> Result<()> {
        let code = i32::try_from(code)
            .ok()
            .filter(|&c| c > 0)
            .ok_or_else(|| invalid("EXT specifies code <= 0"))?;
        if let Some(&id) = self.interned.extensions.get(&code) {
            self.observe_use(id, Use::Ext(code), None);
            return self.push(id);
        }
        if !self.opts.extensions.contains_key(&code) {
            if let Some(observer) = self.observer.as_deref_mut() {
                observer.unknown_extension(i64::from(code), self.current.0);
            }
        }
        let (module, name) = self.opts.extensions.get(&code).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownExtension,
                format!("unregistered extension code {code}"),
            )
        })?;
        let (module, name) = (Cow::Owned(module.clone()), Cow::Owned(name.clone()));
        let id = self.find_class(module, name)?;
        self.observe_use(id, Use::Ext(code), None);
        self.interned.extensions.insert(code, id);
        self.push(id)
    }

    /// The one door for globals, as `Unpickler.find_class`. Every global the
    /// pickle names (GLOBAL, STACK_GLOBAL, INST, EXT) comes through here:
    ///
    /// 1. **compat**: below protocol 3, with `fix_imports`, a Python 2 name
    ///    is mapped to its Python 3 name;
    /// 2. **interning** ([`Vm::intern_global`]): one node per global;
    /// 3. **registry** (also in [`Vm::intern_global`]): a new global whose
    ///    class is in the unpickler's [`Registry`](crate::registry::Registry)
    ///    is noted, and its instances become natives at STOP.
    ///
    /// `getattr(Outer, 'Inner')` folds to the global `Outer.Inner` at step 2,
    /// its parent having come through step 1. A safety policy (deny lists)
    /// goes before step 2, where it sees every global in its Python 3 form.
    fn find_class(&mut self, mut module: Cow<'de, str>, mut name: Cow<'de, str>) -> Result<Id> {
        let written = self
            .observer
            .is_some()
            .then(|| (module.clone(), name.clone()));
        if self.proto < 3 && self.opts.fix_imports {
            let renamed = crate::compat::from_python2(&module, &name).map(|(m, n)| {
                (
                    (m != module).then(|| m.to_owned()),
                    (n != name).then(|| n.to_owned()),
                )
            });
            if let Some((m, n)) = renamed {
                if let Some(m) = m {
                    module = Cow::Owned(m);
                }
                if let Some(n) = n {
                    name = Cow::Owned(n);
                }
            }
        }
        let Some((written_module, written_name)) = written else {
            return self.intern_global(module, name);
        };
        let id = self.intern_global(module.clone(), name.clone())?;
        self.observe_global(id, &module, &name, (&written_module, &written_name));
        Ok(id)
    }

    /// Tells the observer, if any, that the global `id` was named.
    pub(super) fn observe_global(
        &mut self,
        id: Id,
        module: &str,
        name: &str,
        written: (&str, &str),
    ) {
        if let Some(observer) = self.observer.as_deref_mut() {
            observer.global(id, module, name, written, self.current);
        }
    }

    /// Tells the observer, if any, that the running opcode uses `target`.
    fn observe_use(&mut self, target: Id, how: Use, args: Option<Id>) {
        if let Some(observer) = self.observer.as_deref_mut() {
            observer.used(&self.graph, target, how, args, self.current.0);
        }
    }

    /// Steps 2 and 3 of the door ([`Vm::find_class`]) for a name already
    /// in its Python 3 form: the one node for the global `module.name`, and,
    /// when that node is new, the registry lookup for it.
    pub(super) fn intern_global(
        &mut self,
        module: Cow<'de, str>,
        name: Cow<'de, str>,
    ) -> Result<Id> {
        let hash = self.interned.hasher.hash_one((&*module, &*name));
        if let Some(bucket) = self.interned.globals.get(&hash) {
            for &id in bucket {
                if let Some(Object::Global(g)) = self.graph.try_get(id) {
                    if g.module == module && g.name == name {
                        return Ok(id);
                    }
                }
            }
        }
        let entry = self
            .opts
            .registry
            .and_then(|registry| registry.lookup(&module, &name));
        let id = self.add(Object::global(module, name))?;
        self.interned.globals.entry(hash).or_default().push(id);
        if let Some(entry) = entry {
            self.registered.insert(id, entry);
        }
        Ok(id)
    }

    // -- Calls and instances ------------------------------------------------

    fn check_callable(&self, id: Id) -> Result<()> {
        match self.graph.try_get(id) {
            Some(o) if may_be_callable(o) => Ok(()),
            _ => Err(type_mismatch(format!(
                "'{}' object is not callable",
                self.type_name(id)
            ))),
        }
    }

    fn push_instance(&mut self, instance: Instance) -> Result<()> {
        self.push_new(Object::Instance(Box::new(instance)))
    }

    fn load_reduce(&mut self) -> Result<()> {
        let args = self.pop()?;
        let callable = self.pop()?;
        self.observe_use(callable, Use::Reduce, Some(args));
        if !matches!(self.graph.try_get(args), Some(Object::Tuple(_))) {
            return Err(type_mismatch("argument list must be a tuple"));
        }
        self.check_callable(callable)?;
        if let Some(id) = self.known_reduce(callable, args)? {
            return self.push(id);
        }
        self.push_instance(Instance::new(callable, Construct::Reduce, args))
    }

    fn load_newobj(&mut self, with_kwargs: bool) -> Result<()> {
        let op = if with_kwargs { "NEWOBJ_EX" } else { "NEWOBJ" };
        let kwargs = if with_kwargs { Some(self.pop()?) } else { None };
        let args = self.pop()?;
        let class = self.pop()?;
        let how = if with_kwargs {
            Use::NewObjEx
        } else {
            Use::NewObj
        };
        self.observe_use(class, how, Some(args));
        let builtin_function = match self.graph.try_get(class) {
            Some(Object::Global(g)) => g.module == "builtins" && builtins::is_function(&g.name),
            _ => false,
        };
        if builtin_function {
            return Err(type_mismatch(format!(
                "{op} class argument must be a type, not builtin_function_or_method"
            )));
        }
        if !self.graph.try_get(class).is_some_and(may_be_callable) {
            return Err(type_mismatch(format!(
                "{op} class argument must be a type, not {}",
                self.type_name(class)
            )));
        }
        if !matches!(self.graph.try_get(args), Some(Object::Tuple(_))) {
            return Err(type_mismatch(format!(
                "{op} args argument must be a tuple, not {}",
                self.type_name(args)
            )));
        }
        if let Some(kwargs) = kwargs {
            if !matches!(self.graph.try_get(kwargs), Some(Object::Dict(_))) {
                return Err(type_mismatch(format!(
                    "{op} kwargs argument must be a dict, not {}",
                    self.type_name(kwargs)
                )));
            }
        }
        let no_kwargs = kwargs
            .is_none_or(|k| matches!(self.graph.try_get(k), Some(Object::Dict(d)) if d.is_empty()));
        if no_kwargs {
            if let Some(id) = self.known_newobj(class, args)? {
                return self.push(id);
            }
        }
        let construct = if with_kwargs {
            Construct::NewObjEx
        } else {
            Construct::NewObj
        };
        let mut instance = Instance::new(class, construct, args);
        instance.kwargs = kwargs;
        self.push_instance(instance)
    }

    /// INST: the class is named inline; the arguments are the items above the mark.
    fn load_inst(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        // CPython decodes INST names as ASCII (GLOBAL's as UTF-8).
        let module = self.read_name(true)?;
        let name = self.read_name(true)?;
        let class = self.find_class(module, name)?;
        let items = self.take_from(mark)?;
        let args = self.new_tuple(items)?;
        self.observe_use(class, Use::Inst, Some(args));
        self.push_instance(Instance::new(class, Construct::Inst, args))
    }

    /// OBJ: the class is the first item above the mark; the arguments follow it.
    fn load_obj(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        if self.stack.len() <= mark {
            return Err(self.underflow());
        }
        let items = self.take_from(mark + 1)?;
        let class = self.pop()?;
        let args = self.new_tuple(items)?;
        self.observe_use(class, Use::Obj, Some(args));
        self.check_callable(class)?;
        self.push_instance(Instance::new(class, Construct::Obj, args))
    }

    /// BUILD: records the state on the instance below it, which stays on the stack.
    fn load_build(&mut self) -> Result<()> {
        if self.stack.len() < self.fence() + 2 {
            return Err(self.underflow());
        }
        let state = self.pop()?;
        let target = self.top()?;
        self.observe_use(target, Use::Build, None);
        match self.graph.objects_mut().get_mut(target.index()) {
            Some(Object::Instance(inst)) if inst.state.is_none() => inst.state = Some(state),
            Some(Object::Instance(_)) => {
                return Err(type_mismatch("BUILD applied twice to the same instance"))
            }
            // CPython applies state to a function or class too. The loader
            // refuses, but the scanner keeps going as CPython would, so a
            // call after such a BUILD is still seen.
            Some(Object::Global(_)) if self.observer.is_some() => return Ok(()),
            other => {
                return Err(type_mismatch(format!(
                    "BUILD needs an instance, not '{}'",
                    other.map_or("?", |o| o.type_name())
                )))
            }
        }
        self.intern_attribute_names(state);
        Ok(())
    }

    /// CPython interns the str keys a default `__setstate__` puts in an
    /// instance `__dict__` (and, through `setattr`, slot names): one object
    /// per distinct name, across the whole load. Rewrites the state dicts'
    /// keys to the first node seen with each name.
    fn intern_attribute_names(&mut self, state: Id) {
        let dicts = match self.graph.try_get(state) {
            Some(Object::Dict(_)) => [Some(state), None],
            Some(Object::Tuple(t)) if t.len() == 2 => [t.first().copied(), t.get(1).copied()],
            _ => return,
        };
        for dict in dicts.into_iter().flatten() {
            let Some(Object::Dict(pairs)) = self.graph.try_get(dict) else {
                continue;
            };
            let mut renames = Vec::new();
            let interned = &mut self.interned;
            for (i, &(key, _)) in pairs.iter().enumerate() {
                if interned.recent_attr_names.contains(&Some(key)) {
                    continue;
                }
                let Some(Object::Str(text)) = self.graph.try_get(key) else {
                    continue;
                };
                let hash = interned.hasher.hash_one(&**text);
                let bucket = interned.attr_names.entry(hash).or_default();
                let canonical = bucket.iter().copied().find(|&c| {
                    c == key || matches!(self.graph.try_get(c), Some(Object::Str(t)) if t == text)
                });
                match canonical {
                    Some(c) if c != key => renames.push((i, c)),
                    Some(_) => {}
                    None => bucket.push(key),
                }
                let canonical = canonical.unwrap_or(key);
                if canonical == key {
                    let slot = interned.recent_attr_next % interned.recent_attr_names.len();
                    if let Some(cell) = interned.recent_attr_names.get_mut(slot) {
                        *cell = Some(key);
                    }
                    interned.recent_attr_next = slot + 1;
                }
            }
            if renames.is_empty() {
                continue;
            }
            if let Some(Object::Dict(pairs)) = self.graph.objects_mut().get_mut(dict.index()) {
                for (i, canonical) in renames {
                    if let Some(pair) = pairs.get_mut(i) {
                        pair.0 = canonical;
                    }
                }
            }
        }
    }

    // -- Persistent ids and the protocol ------------------------------------

    fn load_persid(&mut self) -> Result<()> {
        let line = self.read_line_cow()?;
        if !line.is_ascii() {
            return Err(Error::new(
                ErrorKind::InvalidText,
                "persistent IDs in protocol 0 must be ASCII strings",
            ));
        }
        let pid = cow_utf8(line)?;
        let pid = self.new_str(pid)?;
        self.persistent(pid)
    }

    /// Resolves a persistent id with the hook, or keeps it as a node.
    fn persistent(&mut self, pid: Id) -> Result<()> {
        let Some(hook) = self.opts.persistent_load.as_mut() else {
            return self.push_new(Object::PersistentId(pid));
        };
        let id = hook(&mut self.graph, pid)?;
        if self.graph.try_get(id).is_none() {
            return Err(Error::new(
                ErrorKind::PersistentId,
                "persistent_load returned an Id that is not in the graph",
            ));
        }
        if self.graph.len() > self.max_objects {
            return Err(Error::new(
                ErrorKind::ObjectLimit,
                format!(
                    "the graph grew past the limit of {} objects",
                    self.max_objects
                ),
            ));
        }
        self.push(id)
    }

    fn load_proto(&mut self) -> Result<()> {
        let [proto] = self.read_array()?;
        if proto > HIGHEST_PROTOCOL {
            return Err(Error::new(
                ErrorKind::UnsupportedProtocol,
                format!("unsupported pickle protocol: {proto}"),
            ));
        }
        self.proto = proto;
        Ok(())
    }
}

/// Pairs up `[k0, v0, k1, v1, ...]`; the caller checked the length is even.
fn pairs_of(items: &[Id]) -> Vec<(Id, Id)> {
    items
        .chunks_exact(2)
        .filter_map(|pair| match pair {
            &[k, v] => Some((k, v)),
            _ => None,
        })
        .collect()
}

/// UTF-8 bytes as a str, keeping a borrow a borrow and reusing an owned buffer.
pub(super) fn cow_utf8(b: Cow<'_, [u8]>) -> Result<Cow<'_, str>> {
    match b {
        Cow::Borrowed(b) => text::utf8(b).map(Cow::Borrowed),
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(s) => Ok(Cow::Owned(s)),
            Err(e) => Err(text::utf8(e.as_bytes())
                .err()
                .unwrap_or_else(|| Error::new(ErrorKind::InvalidText, "invalid UTF-8"))),
        },
    }
}

#[cfg(test)]
mod tests;
