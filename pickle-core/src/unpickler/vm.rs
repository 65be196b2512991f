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
    Vm::new(SliceRead::new(data), options, false).run()
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
        Ok(match self.reader.read_bytes(n)? {
            Reference::Borrowed(b) => Cow::Borrowed(b),
            Reference::Copied(b) => {
                self.budget.charge(b.len())?;
                Cow::Owned(b.to_vec())
            }
        })
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
        self.check_declared(n)?;
        let data = self.reader.read_bytes(n)?;
        // A bytearray is always a copy, even from a slice.
        self.budget.charge(data.len())?;
        let data = data.to_vec();
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
        self.budget.charge(copy.len())?;
        let view = self.add(Object::Buffer(Box::new(Buffer {
            data: Cow::Owned(copy),
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
mod tests {
    use std::io;

    use super::*;
    use crate::value::{Complex, Global};

    /// A stream that hands out one byte per `read` call.
    struct OneByte<'a>(&'a [u8]);

    impl io::Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn nodes(v: &Value<'_>) -> Vec<String> {
        v.iter().map(|(id, o)| format!("{id:?} {o:?}")).collect()
    }

    /// Loads `data` from a slice, from a `Cursor` and from a one-byte-a-time
    /// stream; all three must build the same graph, node for node.
    fn load(data: &[u8]) -> Value<'_> {
        let slice = Unpickler::new().loads::<Value>(data).unwrap();
        let cursor = Unpickler::new()
            .load::<Value>(io::Cursor::new(data))
            .unwrap();
        let trickle = Unpickler::new().load::<Value>(OneByte(data)).unwrap();
        let expected = nodes(&slice);
        assert_eq!(nodes(&cursor), expected, "Cursor stream");
        assert_eq!(nodes(&trickle), expected, "one-byte stream");
        assert_eq!(cursor.root(), slice.root());
        assert_eq!(trickle.root(), slice.root());
        slice
    }

    fn repr(data: &[u8]) -> String {
        format!("{:?}", load(data))
    }

    fn fail(data: &[u8]) -> Error {
        let e = Unpickler::new().loads::<Value>(data).unwrap_err();
        // Streams fail the same way, at the same place.
        let s = Unpickler::new().load::<Value>(OneByte(data)).unwrap_err();
        assert_eq!(
            (s.kind(), s.offset(), s.opcode()),
            (e.kind(), e.offset(), e.opcode())
        );
        e
    }

    #[track_caller]
    fn assert_fails(data: &[u8], kind: ErrorKind, offset: u64, opcode: Option<Opcode>) {
        let e = fail(data);
        assert_eq!(
            (e.kind(), e.offset(), e.opcode()),
            (kind, Some(offset), opcode),
            "{e}"
        );
    }

    fn items(v: &Value<'_>, id: Id) -> Vec<Id> {
        v.node(id).items().unwrap().map(|n| n.id()).collect()
    }

    fn instance<'v>(v: &'v Value<'_>, id: Id) -> &'v Instance {
        v.node(id).as_instance().unwrap()
    }

    fn global<'v, 'de>(v: &'v Value<'de>, id: Id) -> &'v Global<'de> {
        v.node(id).as_global().unwrap()
    }

    // -- Identity -----------------------------------------------------------

    #[test]
    fn shared_references_load_as_one_node_at_every_protocol() {
        // a=[1]; b=[a,a]; c=[b,b]; pickle.dumps(c, protocol=N) for N = 0..5
        let pickles: [&[u8]; 6] = [
            b"(lp0\n(lp1\n(lp2\nI1\naag2\naag1\na.",
            b"]q\x00(]q\x01(]q\x02K\x01ah\x02eh\x01e.",
            b"\x80\x02]q\x00(]q\x01(]q\x02K\x01ah\x02eh\x01e.",
            b"\x80\x03]q\x00(]q\x01(]q\x02K\x01ah\x02eh\x01e.",
            b"\x80\x04\x95\x12\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94(]\x94K\x01ah\x02eh\x01e.",
            b"\x80\x05\x95\x12\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94(]\x94K\x01ah\x02eh\x01e.",
        ];
        for data in pickles {
            let v = load(data);
            assert_eq!(format!("{v:?}"), "[[[1], [1]], [[1], [1]]]");
            let c = items(&v, v.root());
            assert_eq!(c[0], c[1]);
            let b = items(&v, c[0]);
            assert_eq!(b[0], b[1]);
        }
    }

    #[test]
    fn self_containing_list_is_a_cycle() {
        // l=[]; l.append(l); pickle.dumps(l, protocol=2)
        let v = load(b"\x80\x02]q\x00h\x00a.");
        assert_eq!(items(&v, v.root()), [v.root()]);
        assert_eq!(format!("{v:?}"), "[[...]]");
    }

    #[test]
    fn recursive_tuple_loads_through_pop_and_pop_mark() {
        // t = ([],); t[0].append(t); pickle.dumps(t, protocol=N) for N = 0, 1, 2
        let pickles: [&[u8]; 3] = [
            b"((lp0\n(g0\ntp1\na00g1\n.",
            b"(]q\x00(h\x00tq\x01a1h\x01.",
            b"\x80\x02]q\x00h\x00\x85q\x01a0h\x01.",
        ];
        for data in pickles {
            let v = load(data);
            let t = v.root();
            let list = items(&v, t)[0];
            assert_eq!(items(&v, list), [t]);
        }
    }

    #[test]
    fn shared_list_survives_memoize_then_appends() {
        // Hand-written: a=[] is memoized, [a, a] is built, then APPENDS fills a.
        // pickle.loads gives [[1, 2], [1, 2]] with both items the same list.
        let v = load(b"\x80\x04]\x94(h\x00h\x00l\x940(K\x01K\x02eh\x01.");
        assert_eq!(format!("{v:?}"), "[[1, 2], [1, 2]]");
        let outer = items(&v, v.root());
        assert_eq!(outer[0], outer[1]);
    }

    #[test]
    fn cached_singletons_are_one_node_each() {
        // pickle.dumps(['', 'a', 'é', 'ab', '€', '\U0001f600'], protocol=4), then the
        // same strs written again without the memo (hand-written).
        let data = b"\x80\x04(\x8c\x00\x8c\x01a\x8c\x02\xc3\xa9\x8c\x02ab\x8c\x00\x8c\x01a\x8c\x02\xc3\xa9\x8c\x02ab\
                     C\x00C\x01xC\x01xC\x02xyC\x02xyK\x07K\x07M\x00\x01M\x00\x01N\x88\x89N\x88\x89))M\x01\x01M\x01\x01l.";
        let v = load(data);
        let ids = items(&v, v.root());
        assert_eq!(ids[0], ids[4]); // ''
        assert_eq!(ids[1], ids[5]); // 'a'
        assert_eq!(ids[2], ids[6]); // 'é': code point below 256
        assert_ne!(ids[3], ids[7]); // 'ab' is not cached by CPython
        assert_ne!(ids[8], ids[9]); // b'' and b'x' are different values
                                    // SHORT_BINBYTES reads into a fresh object even for one byte:
                                    // pickle.loads(b'C\x01x.') is pickle.loads(b'C\x01x.') is False.
        assert_ne!(ids[9], ids[10]);
        assert_ne!(ids[11], ids[12]); // b'xy'
        assert_eq!(ids[13], ids[14]); // small int 7
        assert_eq!(ids[15], ids[16]); // 256: CPython caches -5..=256
        assert_ne!(ids[25], ids[26]); // 257 is not cached
        assert_eq!(ids[17..20], ids[20..23]); // None, True, False
        assert_eq!(ids[23], ids[24]); // ()
    }

    #[test]
    fn one_byte_bytes_are_cached_only_where_cpython_caches_them() {
        // Hand-written: b'' from SHORT_BINBYTES twice, b'a' from _codecs.encode twice,
        // b'a' from a Python 2 str (encoding='bytes') twice. In CPython 3.11 each
        // pair is one object (`pickle.loads(p) is pickle.loads(p)` for each form).
        let data = b"(C\x00C\x00c_codecs\nencode\n(Va\nVlatin1\ntRc_codecs\nencode\n(Va\nVlatin1\ntRU\x01aU\x01al.";
        let v = Unpickler::new()
            .encoding(StringEncoding::Bytes)
            .loads::<Value>(data)
            .unwrap();
        assert_eq!(format!("{v:?}"), "[b'', b'', b'a', b'a', b'a', b'a']");
        let ids = items(&v, v.root());
        assert_eq!(ids[0], ids[1]);
        assert_eq!(ids[2], ids[3]);
        assert_eq!(ids[2], ids[4]);
        assert_eq!(ids[4], ids[5]);
    }

    #[test]
    fn globals_are_one_node_per_name() {
        // Hand-written: GLOBAL 'foo bar' twice without the memo, then via STACK_GLOBAL.
        let v = load(b"\x80\x04(cfoo\nbar\ncfoo\nbar\n\x8c\x03foo\x8c\x03bar\x93cfoo\nbaz\nl.");
        let ids = items(&v, v.root());
        assert_eq!(ids[0], ids[1]);
        assert_eq!(ids[0], ids[2]);
        assert_ne!(ids[0], ids[3]);
        assert_eq!(format!("{v:?}"), "[foo.bar, foo.bar, foo.bar, foo.baz]");
    }

    #[test]
    fn attribute_names_of_instance_state_are_interned_across_instances() {
        // class C: pass; class D: pass; a, b = C(), D()
        // a.__dict__[''.join(['na', 'me'])] = 1; b.__dict__[''.join(['na', 'me'])] = 2
        // pickle.dumps([a, b], protocol=2) writes 'name' twice; CPython's load interns
        // both keys into one object (its re-dump writes the second as BINGET).
        let v = load(b"\x80\x02]q\x00(c__main__\nC\nq\x01)\x81q\x02}q\x03X\x04\x00\x00\x00nameq\x04K\x01sbc__main__\nD\nq\x05)\x81q\x06}q\x07X\x04\x00\x00\x00nameq\x08K\x02sbe.");
        let [a, b] = items(&v, v.root())[..] else {
            panic!()
        };
        let key = |inst: Id| {
            let state = instance(&v, inst).state.unwrap();
            v.node(state).pairs().unwrap().next().unwrap().0.id()
        };
        assert_eq!(key(a), key(b));
        assert_eq!(
            format!("{v:?}"),
            "[__main__.C.__new__() with state {'name': 1}, __main__.D.__new__() with state {'name': 2}]"
        );
    }

    // -- Numbers ------------------------------------------------------------

    #[test]
    fn binary_ints_cover_every_width() {
        // pickle.dumps([0, 1, 255, 256, 65535, 65536, -1, 2**31-1, -2**31, 2**31, 2**63, -2**63-1], protocol=2)
        let data = b"\x80\x02]q\x00(K\x00K\x01K\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\xff\xff\xff\xffJ\xff\xff\xff\x7fJ\x00\x00\x00\x80\x8a\x05\x00\x00\x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\xffe.";
        assert_eq!(
            repr(data),
            "[0, 1, 255, 256, 65535, 65536, -1, 2147483647, -2147483648, 2147483648, \
             9223372036854775808, -9223372036854775809]"
        );
    }

    #[test]
    fn long1_is_little_endian_twos_complement() {
        // pickle.dumps(-2**40, protocol=2)
        assert_eq!(
            repr(b"\x80\x02\x8a\x06\x00\x00\x00\x00\x00\xff."),
            "-1099511627776"
        );
        // pickle.dumps(-2**63, protocol=2): fits an i64 again
        let v = load(b"\x80\x02\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.");
        assert_eq!(v.root_node().as_i64(), Some(i64::MIN));
        // Hand-written: LONG1 of one byte 0xff is -1; of no bytes is 0.
        assert_eq!(repr(b"\x8a\x01\xff."), "-1");
        assert_eq!(repr(b"\x8a\x00."), "0");
    }

    #[test]
    fn long4_reads_big_negatives_and_refuses_negative_lengths() {
        // pickle.dumps(-2**2400, protocol=2): LONG4 of 301 bytes, 300 zeros then 0xff.
        let mut data = b"\x80\x02\x8b\x2d\x01\x00\x00".to_vec();
        data.extend([0u8; 300]);
        data.extend(b"\xff.");
        let v = load(&data);
        assert_eq!(
            v.root_node().as_bigint(),
            Some(-(BigInt::from(1u32) << 2400usize))
        );
        assert_fails(
            b"\x8b\xff\xff\xff\xff.",
            ErrorKind::InvalidArgument,
            0,
            Some(Opcode::Long4),
        );
    }

    #[test]
    fn int_text_is_decimal_with_00_and_01_as_bools() {
        // pickle.dumps([0, 1, -1, 2**63, True, False], protocol=0)
        assert_eq!(
            repr(b"(lp0\nI0\naI1\naI-1\naL9223372036854775808L\naI01\naI00\na."),
            "[0, 1, -1, 9223372036854775808, True, False]"
        );
        // As CPython 3.14 reads INT and LONG: base 10 only.
        assert_eq!(repr(b"I010\n."), "10");
        assert_eq!(repr(b"L010L\n."), "10");
        assert_eq!(repr(b"I99999999999999999999\n."), "99999999999999999999");
        assert_fails(
            b"I0x10\n.",
            ErrorKind::InvalidArgument,
            0,
            Some(Opcode::Int),
        );
        assert_fails(
            b"N(L0x10L\n.",
            ErrorKind::InvalidArgument,
            2,
            Some(Opcode::Long),
        );
        assert_fails(b"I\n.", ErrorKind::InvalidArgument, 0, Some(Opcode::Int));
    }

    #[test]
    fn binfloat_is_big_endian() {
        // pickle.dumps([1.5, -0.0, 1e300, float('inf')], protocol=1)
        let data = b"]q\x00(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00G~7\xe4<\x88\x00u\x9cG\x7f\xf0\x00\x00\x00\x00\x00\x00e.";
        assert_eq!(repr(data), "[1.5, -0.0, 1e+300, inf]");
    }

    #[test]
    fn float_text_reads_repr_output() {
        // pickle.dumps([1.5, -0.0, 1e-05, float('inf'), float('nan')], protocol=0)
        assert_eq!(
            repr(b"(lp0\nF1.5\naF-0.0\naF1e-05\naFinf\naFnan\na."),
            "[1.5, -0.0, 1e-05, inf, nan]"
        );
        assert_fails(
            b"F1e500\n.",
            ErrorKind::InvalidArgument,
            0,
            Some(Opcode::Float),
        );
    }

    #[test]
    fn complex_from_its_reducer() {
        // pickle.dumps([1+2j, complex(-0.0, 1.5)], protocol=3)
        let data = b"\x80\x03]q\x00(cbuiltins\ncomplex\nq\x01G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q\x02Rq\x03h\x01G\x80\x00\x00\x00\x00\x00\x00\x00G?\xf8\x00\x00\x00\x00\x00\x00\x86q\x04Rq\x05e.";
        let v = load(data);
        let c = items(&v, v.root());
        assert!(
            matches!(v.get(c[0]), Object::Complex(Complex { re, im }) if *re == 1.0 && *im == 2.0)
        );
        assert!(
            matches!(v.get(c[1]), Object::Complex(Complex { re, im }) if re.is_sign_negative() && *im == 1.5)
        );
    }

    // -- Strings and bytes --------------------------------------------------

    #[test]
    fn utf8_strs_at_every_width_borrow_from_the_input() {
        // pickle.dumps(['', 'a', 'é', 'ab', '€', '\U0001f600'], protocol=4)
        let data = b"\x80\x04\x95#\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x00\x94\x8c\x01a\x94\x8c\x02\xc3\xa9\x94\x8c\x02ab\x94\x8c\x03\xe2\x82\xac\x94\x8c\x04\xf0\x9f\x98\x80\x94e.";
        let v = load(data);
        assert_eq!(format!("{v:?}"), "['', 'a', 'é', 'ab', '€', '😀']");
        let last = *items(&v, v.root()).last().unwrap();
        assert!(matches!(v.get(last), Object::Str(Cow::Borrowed(_))));
        // pickle.dumps(['ab', 'é'], protocol=1): BINUNICODE
        assert_eq!(
            repr(b"]q\x00(X\x02\x00\x00\x00abq\x01X\x02\x00\x00\x00\xc3\xa9q\x02e."),
            "['ab', 'é']"
        );
        // Hand-written BINUNICODE8; CPython writes it only past 4 GiB.
        assert_eq!(repr(b"\x8d\x02\x00\x00\x00\x00\x00\x00\x00ab."), "'ab'");
    }

    #[test]
    fn invalid_utf8_and_lone_surrogates_are_invalid_text() {
        assert_fails(
            b"X\x01\x00\x00\x00\xff.",
            ErrorKind::InvalidText,
            0,
            Some(Opcode::BinUnicode),
        );
        // CPython accepts an encoded surrogate (surrogatepass); a Rust str cannot hold one.
        assert_fails(
            b"N\x8c\x03\xed\xa0\x80.",
            ErrorKind::InvalidText,
            1,
            Some(Opcode::ShortBinUnicode),
        );
        assert_fails(
            b"V\\ud800\n.",
            ErrorKind::InvalidText,
            0,
            Some(Opcode::Unicode),
        );
    }

    #[test]
    fn unicode_text_is_raw_unicode_escape() {
        // pickle.dumps(['', 'a', 'é', 'ab', '€', '\U0001f600', 'a\\b\nc'], protocol=0)
        let data = b"(lp0\nV\np1\naVa\np2\naV\xe9\np3\naVab\np4\naV\\u20ac\np5\naV\\U0001f600\np6\naVa\\u005cb\\u000ac\np7\na.";
        assert_eq!(repr(data), r"['', 'a', 'é', 'ab', '€', '😀', 'a\\b\nc']");
    }

    #[test]
    fn bytes_at_every_width() {
        // pickle.dumps([b'', b'a', b'ab', b'\xff' * 256], protocol=3)
        let mut data =
            b"\x80\x03]q\x00(C\x00q\x01C\x01aq\x02C\x02abq\x03B\x00\x01\x00\x00".to_vec();
        data.extend([0xff; 256]);
        data.extend(b"q\x04e.");
        let v = load(&data);
        let ids = items(&v, v.root());
        assert_eq!(v.node(ids[3]).as_bytes(), Some(&[0xff; 256][..]));
        assert_eq!(format!("{:?}", v.node(ids[2])), "b'ab'");
        assert!(matches!(v.get(ids[2]), Object::Bytes(Cow::Borrowed(_))));
        // Hand-written BINBYTES8.
        assert_eq!(repr(b"\x8e\x02\x00\x00\x00\x00\x00\x00\x00ab."), "b'ab'");
    }

    #[test]
    fn bytes_written_through_codecs_encode_load_as_bytes() {
        // pickle.dumps([b'a', b'a'], protocol=0)
        let v = load(b"(lp0\nc_codecs\nencode\np1\n(Va\np2\nVlatin1\np3\ntp4\nRp5\nag5\na.");
        assert_eq!(format!("{v:?}"), "[b'a', b'a']");
        // A character past U+00FF cannot be Latin-1: the call stays as written.
        assert_eq!(
            repr(b"c_codecs\nencode\n(V\\u20ac\nVlatin1\ntR."),
            "_codecs.encode('€', 'latin1')"
        );
    }

    #[test]
    fn python_2_strs_follow_the_encoding_option() {
        // Python 2.7: pickle.dumps(['ab', 'caf\xe9', 'q\'"\n\\'], 0)
        let text = b"(lp0\nS'ab'\np1\naS'caf\\xe9'\np2\naS'q\\'\"\\n\\\\'\np3\na.";
        // Python 2.7: pickle.dumps(['ab', 'x' * 256, 'caf\xe9'], 1)
        let mut binary = b"]q\x00(U\x02abq\x01T\x00\x01\x00\x00".to_vec();
        binary.extend([b'x'; 256]);
        binary.extend(b"q\x02U\x04caf\xe9q\x03e.");

        assert_fails(text, ErrorKind::InvalidText, 15, Some(Opcode::String));
        assert_fails(
            &binary,
            ErrorKind::InvalidText,
            273,
            Some(Opcode::ShortBinString),
        );
        let latin1 = |data| {
            let v = Unpickler::new()
                .encoding(StringEncoding::Latin1)
                .loads::<Value>(data)
                .unwrap();
            format!("{v:?}")
        };
        assert_eq!(latin1(text), r#"['ab', 'café', 'q\'"\n\\']"#);
        assert!(latin1(&binary).ends_with("xx', 'café']"));
        let v = Unpickler::new()
            .encoding(StringEncoding::Bytes)
            .loads::<Value>(text)
            .unwrap();
        assert_eq!(format!("{v:?}"), r#"[b'ab', b'caf\xe9', b'q\'"\n\\']"#);
        let e = Unpickler::new()
            .encoding(StringEncoding::Utf8)
            .loads::<Value>(&binary)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidText);
        let v = Unpickler::new()
            .encoding(StringEncoding::Utf8)
            .loads::<Value>(b"U\x02\xc3\xa9.")
            .unwrap();
        assert_eq!(v.root_node().as_str(), Some("é"));
    }

    #[test]
    fn badly_quoted_strings_are_refused() {
        // CPython's test_badly_quoted_string.
        let bad: [&[u8]; 12] = [
            b"S'\n.",
            b"S\"\n.",
            b"S' \n.",
            b"S\" \n.",
            b"S'\"\n.",
            b"S\"'\n.",
            b"S' ' \n.",
            b"S\" \" \n.",
            b"S ''\n.",
            b"S \"\"\n.",
            b"S \n.",
            b"S\n.",
        ];
        for data in bad {
            assert_fails(data, ErrorKind::InvalidArgument, 0, Some(Opcode::String));
        }
        assert_fails(b"S.", ErrorKind::Truncated, 0, Some(Opcode::String));
    }

    #[test]
    fn bytearrays_in_band_and_from_their_reducers() {
        // pickle.dumps(bytearray(b'ab'), protocol=5)
        assert_eq!(
            repr(b"\x80\x05\x95\x0d\x00\x00\x00\x00\x00\x00\x00\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94."),
            "bytearray(b'ab')"
        );
        // pickle.dumps(bytearray(b'ab'), protocol=3)
        assert_eq!(
            repr(b"\x80\x03cbuiltins\nbytearray\nq\x00C\x02abq\x01\x85q\x02Rq\x03."),
            "bytearray(b'ab')"
        );
        // Hand-written: bytearray(), and bytearray('ab', 'latin-1') as Python 2 writes it.
        assert_eq!(repr(b"\x80\x03cbuiltins\nbytearray\n)R."), "bytearray(b'')");
        assert_eq!(
            repr(b"\x80\x03cbuiltins\nbytearray\nX\x02\x00\x00\x00abU\x07latin-1\x86R."),
            "bytearray(b'ab')"
        );
    }

    #[test]
    fn out_of_band_buffers_come_from_the_buffers_option() {
        // pickle.dumps(pickle.PickleBuffer(b'abc'), protocol=5, buffer_callback=lambda b: False)
        let readonly = b"\x80\x05\x97\x98.";
        // pickle.dumps(pickle.PickleBuffer(bytearray(b'abc')), protocol=5, buffer_callback=lambda b: False)
        let writable = b"\x80\x05\x97.";
        let buffer = || Buffer {
            data: Cow::Borrowed(&b"abc"[..]),
            readonly: false,
        };
        let v = Unpickler::new()
            .buffers([buffer()])
            .loads::<Value>(readonly)
            .unwrap();
        assert_eq!(format!("{v:?}"), "PickleBuffer(readonly b'abc')");
        let v = Unpickler::new()
            .buffers([buffer()])
            .loads::<Value>(writable)
            .unwrap();
        assert_eq!(format!("{v:?}"), "PickleBuffer(b'abc')");
        assert_fails(
            writable,
            ErrorKind::OutOfBandBuffer,
            2,
            Some(Opcode::NextBuffer),
        );
        let e = Unpickler::new()
            .buffers([])
            .loads::<Value>(writable)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfBandBuffer);
        assert_eq!(e.message(), "not enough out-of-band buffers");
    }

    #[test]
    fn readonly_buffer_leaves_bytes_views_bytearrays_and_refuses_ints() {
        assert_eq!(repr(b"C\x01a\x98."), "b'a'");
        let v = load(b"\x96\x01\x00\x00\x00\x00\x00\x00\x00a\x94\x98h\x00\x86.");
        assert_eq!(
            format!("{v:?}"),
            "(PickleBuffer(readonly b'a'), bytearray(b'a'))"
        );
        assert_fails(
            b"K\x01\x98.",
            ErrorKind::TypeMismatch,
            2,
            Some(Opcode::ReadonlyBuffer),
        );
    }

    // -- Containers ---------------------------------------------------------

    #[test]
    fn lists_dicts_and_tuples_from_every_opcode() {
        // pickle.dumps([1], protocol=1): APPEND
        assert_eq!(repr(b"]q\x00K\x01a."), "[1]");
        // pickle.dumps({1: 2}, protocol=1): SETITEM
        assert_eq!(repr(b"}q\x00K\x01K\x02s."), "{1: 2}");
        // pickle.dumps({'b': 1, 'a': [2, 3]}, protocol=0): DICT order is the order written
        assert_eq!(
            repr(b"(dp0\nVb\np1\nI1\nsVa\np2\n(lp3\nI2\naI3\nas."),
            "{'b': 1, 'a': [2, 3]}"
        );
        // pickle.dumps({'b': 1, 'a': 2}, protocol=2): SETITEMS
        assert_eq!(
            repr(b"\x80\x02}q\x00(X\x01\x00\x00\x00bq\x01K\x01X\x01\x00\x00\x00aq\x02K\x02u."),
            "{'b': 1, 'a': 2}"
        );
        // pickle.dumps([(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)], protocol=2)
        assert_eq!(
            repr(b"\x80\x02]q\x00()K\x01\x85q\x01K\x01K\x02\x86q\x02K\x01K\x02K\x03\x87q\x03(K\x01K\x02K\x03K\x04tq\x04e."),
            "[(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)]"
        );
        // pickle.dumps([(), (1, 2)], protocol=0): LIST, TUPLE
        assert_eq!(repr(b"(lp0\n(ta(I1\nI2\ntp1\na."), "[(), (1, 2)]");
        // Hand-written DICT of pairs.
        assert_eq!(repr(b"(K\x01K\x02K\x03K\x04d."), "{1: 2, 3: 4}");
    }

    #[test]
    fn sets_from_opcodes_and_from_their_reducers() {
        // pickle.dumps([{1, 2}, frozenset([3]), set(), frozenset()], protocol=4)
        assert_eq!(
            repr(b"\x80\x04\x95\x17\x00\x00\x00\x00\x00\x00\x00]\x94(\x8f\x94(K\x01K\x02\x90(K\x03\x91\x94\x8f\x94(\x91\x94e."),
            "[{1, 2}, frozenset({3}), set(), frozenset()]"
        );
        // pickle.dumps([{1, 2}, frozenset([3]), set(), b'', b'ab', 1+2j], protocol=2, fix_imports=False)
        let data = b"\x80\x02]q\x00(cbuiltins\nset\nq\x01]q\x02(K\x01K\x02e\x85q\x03Rq\x04cbuiltins\nfrozenset\nq\x05]q\x06K\x03a\x85q\x07Rq\x08h\x01]q\x09\x85q\nRq\x0bcbuiltins\nbytes\nq\x0c)Rq\x0dc_codecs\nencode\nq\x0eX\x02\x00\x00\x00abq\x0fX\x06\x00\x00\x00latin1q\x10\x86q\x11Rq\x12cbuiltins\ncomplex\nq\x13G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q\x14Rq\x15e.";
        assert_eq!(
            repr(data),
            "[{1, 2}, frozenset({3}), set(), b'', b'ab', (1.0+2.0j)]"
        );
    }

    #[test]
    fn unhashable_keys_and_set_items_are_refused() {
        assert_fails(b"(]K\x01d.", ErrorKind::Unhashable, 4, Some(Opcode::Dict));
        assert_fails(b"}]]s.", ErrorKind::Unhashable, 3, Some(Opcode::SetItem));
        assert_fails(
            b"\x8f(]\x90.",
            ErrorKind::Unhashable,
            3,
            Some(Opcode::AddItems),
        );
        assert_fails(
            b"(}\x91.",
            ErrorKind::Unhashable,
            2,
            Some(Opcode::FrozenSet),
        );
        assert_fails(
            b"cbuiltins\nset\n]]a\x85R.",
            ErrorKind::Unhashable,
            18,
            Some(Opcode::Reduce),
        );
    }

    #[test]
    fn odd_items_are_refused() {
        assert_fails(b"(K\x01d.", ErrorKind::OddItems, 3, Some(Opcode::Dict));
        assert_fails(b"}(K\x01u.", ErrorKind::OddItems, 4, Some(Opcode::SetItems));
    }

    #[test]
    fn items_go_only_where_python_could_put_them() {
        assert_fails(
            b"}K\x01a.",
            ErrorKind::TypeMismatch,
            3,
            Some(Opcode::Append),
        );
        assert_fails(
            b"]K\x01K\x02s.",
            ErrorKind::TypeMismatch,
            5,
            Some(Opcode::SetItem),
        );
        assert_fails(
            b"](K\x01\x90.",
            ErrorKind::TypeMismatch,
            4,
            Some(Opcode::AddItems),
        );
        // Nothing to add: CPython does nothing, whatever the target.
        assert_eq!(repr(b"](u."), "[]");
        assert_eq!(repr(b"](K\x01(e."), "1");
    }

    // -- The stack ----------------------------------------------------------

    #[test]
    fn pop_takes_a_mark_when_nothing_lies_above_it() {
        assert_eq!(repr(b"N(0."), "None");
        assert_eq!(repr(b"(0N."), "None");
        assert_eq!(repr(b"N(N1."), "None");
        // Hand-written DUP: (1, 1) with both items one node.
        let v = load(b"K\x012\x86.");
        let t = items(&v, v.root());
        assert_eq!(t[0], t[1]);
    }

    #[test]
    fn the_fence_keeps_pops_above_the_topmost_mark() {
        assert_fails(b"(.", ErrorKind::StackUnderflow, 1, Some(Opcode::Stop));
        assert_fails(b"K\x01(.", ErrorKind::StackUnderflow, 3, Some(Opcode::Stop));
        assert_fails(
            b"]((e.",
            ErrorKind::StackUnderflow,
            3,
            Some(Opcode::Appends),
        );
        assert_fails(
            b"}(K\x01K\x02s.",
            ErrorKind::StackUnderflow,
            6,
            Some(Opcode::SetItem),
        );
        assert_fails(
            b"K\x01R.",
            ErrorKind::StackUnderflow,
            2,
            Some(Opcode::Reduce),
        );
        assert_fails(b"(o.", ErrorKind::StackUnderflow, 1, Some(Opcode::Obj));
        assert_fails(
            b"K\x01(\x85.",
            ErrorKind::StackUnderflow,
            3,
            Some(Opcode::Tuple1),
        );
        let e = fail(b".");
        assert_eq!(
            (e.kind(), e.message()),
            (ErrorKind::StackUnderflow, "unpickling stack underflow")
        );
        let e = fail(b"(.");
        assert_eq!(e.message(), "unexpected MARK found");
    }

    #[test]
    fn missing_marks_are_reported() {
        for (data, op) in [
            (&b"l."[..], Opcode::List),
            (b"t.", Opcode::Tuple),
            (b"d.", Opcode::Dict),
            (b"]e.", Opcode::Appends),
            (b"}u.", Opcode::SetItems),
            (b"1.", Opcode::PopMark),
            (b"\x91.", Opcode::FrozenSet),
            (b"o.", Opcode::Obj),
            (b"ia\nb\n.", Opcode::Inst),
        ] {
            let at = u64::from(op == Opcode::Appends || op == Opcode::SetItems);
            assert_fails(data, ErrorKind::MissingMark, at, Some(op));
        }
    }

    #[test]
    fn deep_nesting_of_100000_lists_loads_without_recursion() {
        const N: usize = 100_000;
        let mut data = vec![b'('; N];
        data.push(b']');
        data.extend(std::iter::repeat_n(b'l', N));
        data.push(b'.');
        let v = load(&data);
        let mut depth = 0;
        let mut id = v.root();
        while let Some(&inner) = items(&v, id).first() {
            id = inner;
            depth += 1;
        }
        assert_eq!(depth, N);

        let mut data = vec![b']'];
        for _ in 0..N {
            data.extend(b"(]");
        }
        data.extend(std::iter::repeat_n(b'e', N));
        data.push(b'.');
        let v = load(&data);
        assert!(format!("{v:?}").starts_with("[[[[[["));
    }

    #[test]
    fn a_hundred_thousand_marks_cost_a_word_each() {
        let data = vec![b'('; 100_000];
        let mut options = Unpickler::new();
        let mut vm = Vm::new(SliceRead::new(&data), &mut options, false);
        for _ in 0..100_000 {
            vm.step(Opcode::Mark).unwrap();
        }
        assert_eq!(vm.stack.capacity(), 0);
        assert!(vm.marks.capacity() * size_of::<usize>() <= 2 * 100_000 * size_of::<usize>());
        // And through the front door: 100 KB of MARKs then NONE, STOP.
        let mut data = vec![b'('; 100_000];
        data.extend(b"N.");
        assert_eq!(repr(&data), "None");
    }

    // -- The memo -----------------------------------------------------------

    #[test]
    fn every_memo_opcode_stores_and_fetches_the_live_node() {
        // Hand-written: PUT/GET text, BINPUT/BINGET, LONG_BINPUT/LONG_BINGET, MEMOIZE.
        let v = load(b"(]p7\n]q\x09]r\x00\x01\x00\x00]\x94g7\nh\x09j\x00\x01\x00\x00h\x03l.");
        let ids = items(&v, v.root());
        assert_eq!(ids[0..4], ids[4..8]);
    }

    #[test]
    fn memoize_uses_the_memo_length() {
        // Hand-written: PUT 5 then MEMOIZE stores at 1 (one entry so far), not 6.
        let v = load(b"\x80\x04(Np5\nK\x07\x94h\x01l.");
        assert_eq!(format!("{v:?}"), "[None, 7, 7]");
    }

    #[test]
    fn long_binput_at_the_top_index_allocates_nothing_big() {
        let v = load(b"N\x88r\xff\xff\xff\xffj\xff\xff\xff\xff\x87.");
        assert_eq!(format!("{v:?}"), "(None, True, True)");
    }

    #[test]
    fn memo_misses_and_bad_indices_are_refused() {
        assert_fails(
            b"\x80\x02]q\x00h\x05.",
            ErrorKind::MissingMemo,
            5,
            Some(Opcode::BinGet),
        );
        assert_fails(
            b"j\x05\x00\x00\x00.",
            ErrorKind::MissingMemo,
            0,
            Some(Opcode::LongBinGet),
        );
        assert_fails(b"g-1\n.", ErrorKind::MissingMemo, 0, Some(Opcode::Get));
        assert_fails(
            b"N2p-1\n.",
            ErrorKind::InvalidArgument,
            2,
            Some(Opcode::Put),
        );
        assert_fails(
            b"Np99999999999999999999999\n.",
            ErrorKind::InvalidArgument,
            1,
            Some(Opcode::Put),
        );
        assert_fails(
            b"q\x00.",
            ErrorKind::StackUnderflow,
            0,
            Some(Opcode::BinPut),
        );
        assert_fails(
            b"N(\x94.",
            ErrorKind::StackUnderflow,
            2,
            Some(Opcode::Memoize),
        );
    }

    // -- Globals, calls, instances ------------------------------------------

    #[test]
    fn stack_global_pops_the_name_first() {
        // pickle.dumps(collections.OrderedDict, protocol=4)
        let v = load(b"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94.");
        let g = global(&v, v.root());
        assert_eq!((&*g.module, &*g.name), ("collections", "OrderedDict"));
        // pickle.dumps(Outer.Inner, protocol=4): a nested qualname is just a name.
        let v = load(b"\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x0bOuter.Inner\x94\x93\x94.");
        assert_eq!(global(&v, v.root()).name, "Outer.Inner");
        assert_fails(
            b"K\x01K\x02\x93.",
            ErrorKind::TypeMismatch,
            4,
            Some(Opcode::StackGlobal),
        );
    }

    #[test]
    fn plain_instances_at_every_protocol() {
        // c = C(); c.x = 1; c.y = 'a'; pickle.dumps(c, protocol=N), N = 2..5, and
        // pickle.dumps(c, protocol=0, fix_imports=False) for copyreg._reconstructor.
        let pickles: [&[u8]; 5] = [
            b"ccopyreg\n_reconstructor\np0\n(c__main__\nC\np1\ncbuiltins\nobject\np2\nNtp3\nRp4\n(dp5\nVx\np6\nI1\nsVy\np7\nVa\np8\nsb.",
            b"\x80\x02c__main__\nC\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04X\x01\x00\x00\x00aq\x05ub.",
            b"\x80\x03c__main__\nC\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04X\x01\x00\x00\x00aq\x05ub.",
            b"\x80\x04\x95(\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x01C\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94\x8c\x01a\x94ub.",
            b"\x80\x05\x95(\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x01C\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94\x8c\x01a\x94ub.",
        ];
        for data in pickles {
            let v = load(data);
            assert_eq!(
                format!("{v:?}"),
                "__main__.C.__new__() with state {'x': 1, 'y': 'a'}"
            );
            let inst = instance(&v, v.root());
            assert_eq!(inst.construct, Construct::NewObj);
            assert_eq!(format!("{:?}", v.node(inst.args)), "()");
        }
    }

    #[test]
    fn newobj_ex_slots_and_list_subclasses() {
        // pickle.dumps(KW(1), protocol=4)  # __getnewargs_ex__ -> ((1,), {'b': 2})
        assert_eq!(
            repr(b"\x80\x04\x95,\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x02KW\x94\x93\x94K\x01\x85\x94}\x94\x8c\x01b\x94K\x02s\x92\x94}\x94\x8c\x01a\x94K\x01sb."),
            "__main__.KW.__new__(1,) **{'b': 2} with state {'a': 1}"
        );
        // s = S(); s.a = 5  # __slots__ = ('a',); pickle.dumps(s, protocol=2)
        assert_eq!(
            repr(b"\x80\x02c__main__\nS\nq\x00)\x81q\x01N}q\x02X\x01\x00\x00\x00aq\x03K\x05s\x86q\x04b."),
            "__main__.S.__new__() with state (None, {'a': 5})"
        );
        // pickle.dumps(L([1, 2]), protocol=2)  # class L(list)
        assert_eq!(
            repr(b"\x80\x02c__main__\nL\nq\x00)\x81q\x01(K\x01K\x02e."),
            "__main__.L.__new__() + [1, 2]"
        );
        // pickle.dumps(collections.OrderedDict(a=1), protocol=4)
        assert_eq!(
            repr(b"\x80\x04\x95)\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94\x8c\x01a\x94K\x01s."),
            "collections.OrderedDict() + {'a': 1}"
        );
    }

    #[test]
    fn inst_and_obj_from_python_2_old_style_classes() {
        // Python 2.7: class Old: pass; o = Old(); o.x = 1; pickle.dumps(o, 0)
        let v = load(b"(i__main__\nOld\np0\n(dp1\nS'x'\np2\nI1\nsb.");
        assert_eq!(format!("{v:?}"), "__main__.Old() with state {'x': 1}");
        assert_eq!(instance(&v, v.root()).construct, Construct::Inst);
        // Python 2.7: pickle.dumps(o, 1)
        let v = load(b"(c__main__\nOld\nq\x00oq\x01}q\x02U\x01xq\x03K\x01sb.");
        assert_eq!(format!("{v:?}"), "__main__.Old() with state {'x': 1}");
        assert_eq!(instance(&v, v.root()).construct, Construct::Obj);
        // Python 2.7: class OldArgs: __getinitargs__ -> (1, 2); pickle.dumps(OldArgs(1, 2), 0) and 1
        assert_eq!(
            repr(b"(I1\nI2\ni__main__\nOldArgs\np1\n(dp2\nb."),
            "__main__.OldArgs(1, 2) with state {}"
        );
        assert_eq!(
            repr(b"(c__main__\nOldArgs\nq\x01K\x01K\x02oq\x02}q\x03b."),
            "__main__.OldArgs(1, 2) with state {}"
        );
    }

    #[test]
    fn calls_need_a_callable_and_an_argument_tuple() {
        assert_fails(
            b"K\x01)R.",
            ErrorKind::TypeMismatch,
            3,
            Some(Opcode::Reduce),
        );
        assert_fails(
            b"cbuiltins\nlist\nK\x01R.",
            ErrorKind::TypeMismatch,
            17,
            Some(Opcode::Reduce),
        );
        assert_fails(
            b"K\x01)\x81.",
            ErrorKind::TypeMismatch,
            3,
            Some(Opcode::NewObj),
        );
        assert_fails(
            b"ca\nb\nK\x01\x81.",
            ErrorKind::TypeMismatch,
            7,
            Some(Opcode::NewObj),
        );
        assert_fails(
            b"ca\nb\n)K\x01\x92.",
            ErrorKind::TypeMismatch,
            8,
            Some(Opcode::NewObjEx),
        );
        assert_fails(b"(K\x01o.", ErrorKind::TypeMismatch, 3, Some(Opcode::Obj));
        // Calls are never made: an unknown REDUCE is kept as written.
        assert_eq!(
            repr(b"cos\nsystem\n(Vecho hi\ntR."),
            "os.system('echo hi',)"
        );
    }

    #[test]
    fn build_applies_state_once_and_only_to_instances() {
        assert_fails(
            b"ca\nb\n)\x81}b}b.",
            ErrorKind::TypeMismatch,
            10,
            Some(Opcode::Build),
        );
        assert_fails(b"N}b.", ErrorKind::TypeMismatch, 2, Some(Opcode::Build));
        assert_fails(b"}b.", ErrorKind::StackUnderflow, 1, Some(Opcode::Build));
    }

    #[test]
    fn python_2_names_are_mapped_below_protocol_3_only() {
        if crate::compat::from_python2("__builtin__", "set").is_none() {
            eprintln!("skipped: the compat tables are not generated yet");
            return;
        }
        // Python 2.7: pickle.dumps(set([1, 2]), 2)
        let set = b"\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.";
        assert_eq!(repr(set), "{1, 2}");
        let v = Unpickler::new()
            .fix_imports(false)
            .loads::<Value>(set)
            .unwrap();
        assert_eq!(format!("{v:?}"), "__builtin__.set([1, 2],)");
        // The same global at protocol 3 is not renamed.
        assert_eq!(repr(b"\x80\x03c__builtin__\nset\n)R."), "__builtin__.set()");
        // pickle.dumps([range, collections.OrderedDict, range], protocol=2)
        assert_eq!(
            repr(b"\x80\x02]q\x00(c__builtin__\nxrange\nq\x01ccollections\nOrderedDict\nq\x02h\x01e."),
            "[builtins.range, collections.OrderedDict, builtins.range]"
        );
        // pickle.dumps([b'', b'a', b'ab', b'\xe9'], protocol=2)
        assert_eq!(
            repr(b"\x80\x02]q\x00(c__builtin__\nbytes\nq\x01)Rq\x02c_codecs\nencode\nq\x03X\x01\x00\x00\x00aq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07h\x03X\x02\x00\x00\x00abq\x08h\x05\x86q\x09Rq\nh\x03X\x02\x00\x00\x00\xc3\xa9q\x0bh\x05\x86q\x0cRq\x0de."),
            r"[b'', b'a', b'ab', b'\xe9']"
        );
        // pickle.dumps(bytearray(b'ab'), protocol=2)
        assert_eq!(
            repr(b"\x80\x02c__builtin__\nbytearray\nq\x00c_codecs\nencode\nq\x01X\x02\x00\x00\x00abq\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05\x85q\x06Rq\x07."),
            "bytearray(b'ab')"
        );
        // Python 2.7: pickle.dumps(bytearray('ab'), 2)
        assert_eq!(
            repr(b"\x80\x02c__builtin__\nbytearray\nq\x00X\x02\x00\x00\x00abq\x01U\x07latin-1q\x02\x86q\x03Rq\x04."),
            "bytearray(b'ab')"
        );
        // c = C(); c.x = 1; c.y = 'a'; pickle.dumps(c, protocol=0)
        assert_eq!(
            repr(b"ccopy_reg\n_reconstructor\np0\n(c__main__\nC\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVx\np6\nI1\nsVy\np7\nVa\np8\nsb."),
            "__main__.C.__new__() with state {'x': 1, 'y': 'a'}"
        );
    }

    // -- Persistent ids and extensions --------------------------------------

    #[test]
    fn persistent_ids_are_kept_or_resolved_by_the_hook() {
        // P.persistent_id maps 'ext:k1' to 'k1'; P(f, protocol=0).dump(['ext:k1', 1])
        let text = b"(lp0\nPk1\naI1\na.";
        // P.persistent_id maps 'ext:k1' to 'k1'; P(f, protocol=2).dump(['ext:k1', 1])
        let binary = b"\x80\x02]q\x00(X\x02\x00\x00\x00k1q\x01QK\x01e.";
        for data in [&text[..], binary] {
            assert_eq!(repr(data), "[persistent_id('k1'), 1]");
            let v = Unpickler::new()
                .persistent_load(|graph: &mut Value<'_>, pid| {
                    let name = graph.node(pid).as_str().unwrap().to_uppercase();
                    Ok(graph.add(Object::Str(name.into())))
                })
                .loads::<Value>(data)
                .unwrap();
            assert_eq!(format!("{v:?}"), "['K1', 1]");
        }
        let e = Unpickler::new()
            .persistent_load(|_: &mut Value<'_>, _| Err(Error::custom("no such object")))
            .loads::<Value>(binary)
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.offset(), e.opcode()),
            (ErrorKind::Custom, Some(15), Some(Opcode::BinPersId))
        );
        assert_fails(b"P\xe9\n.", ErrorKind::InvalidText, 0, Some(Opcode::PersId));
    }

    #[test]
    fn extension_codes_name_registered_globals() {
        // copyreg.add_extension('collections', 'OrderedDict', 1), ('collections', 'deque', 300),
        // ('collections', 'Counter', 70000); pickle.dumps([collections.OrderedDict,
        // collections.deque, collections.Counter, collections.OrderedDict], protocol=2)
        let data = b"\x80\x02]q\x00(\x82\x01\x83,\x01\x84p\x11\x01\x00\x82\x01e.";
        let v = Unpickler::new()
            .extension(1, "collections", "OrderedDict")
            .extension(300, "collections", "deque")
            .extension(70000, "collections", "Counter")
            .loads::<Value>(data)
            .unwrap();
        assert_eq!(
            format!("{v:?}"),
            "[collections.OrderedDict, collections.deque, collections.Counter, collections.OrderedDict]"
        );
        let ids = items(&v, v.root());
        assert_eq!(ids[0], ids[3]);
        assert_fails(data, ErrorKind::UnknownExtension, 6, Some(Opcode::Ext1));
        assert_fails(
            b"\x82\x00.",
            ErrorKind::InvalidArgument,
            0,
            Some(Opcode::Ext1),
        );
        assert_fails(
            b"\x84\xff\xff\xff\xff.",
            ErrorKind::InvalidArgument,
            0,
            Some(Opcode::Ext4),
        );
    }

    // -- Framing, protocol, end of input ------------------------------------

    #[test]
    fn proto_above_5_is_unsupported() {
        assert_fails(
            b"\x80\x06.",
            ErrorKind::UnsupportedProtocol,
            0,
            Some(Opcode::Proto),
        );
        // CPython accepts PROTO anywhere.
        assert_eq!(repr(b"N\x80\x02\x80\x05."), "None");
    }

    #[test]
    fn unknown_opcodes_are_named_as_cpython_names_them() {
        let e = fail(b"N\xff.");
        assert_eq!(
            (e.kind(), e.offset(), e.opcode()),
            (ErrorKind::UnknownOpcode, Some(1), None)
        );
        assert_eq!(e.message(), r"invalid load key, '\xff'.");
        assert_eq!(fail(b"z").message(), "invalid load key, 'z'.");
    }

    #[test]
    fn input_ending_before_stop_is_truncated() {
        let e = fail(b"");
        assert_eq!(
            (e.kind(), e.offset(), e.message()),
            (ErrorKind::Truncated, Some(0), "Ran out of input")
        );
        assert_fails(b"K\x01", ErrorKind::Truncated, 2, None);
        assert_fails(b"N\x8a", ErrorKind::Truncated, 1, Some(Opcode::Long1));
        assert_fails(
            b"N\x8c\x05abc",
            ErrorKind::Truncated,
            1,
            Some(Opcode::ShortBinUnicode),
        );
        assert_fails(b"cfoo\nbar", ErrorKind::Truncated, 0, Some(Opcode::Global));
        // Bytes after STOP are never read.
        assert_eq!(repr(b"N.\xff\xff"), "None");
    }

    #[test]
    fn declared_4_gib_length_in_11_bytes_is_truncated_without_allocating() {
        let data = b"\x80\x03B\xff\xff\xff\xffabcd";
        assert_eq!(data.len(), 11);
        let e = Unpickler::new().loads::<Value>(data).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset(), e.opcode()),
            (ErrorKind::Truncated, Some(2), Some(Opcode::BinBytes))
        );
        // A stream cannot know its end: past the input limit it is refused up front...
        let e = Unpickler::new().load::<Value>(&data[..]).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::InputTooLarge, Some(2)));
        // ...and without limits it reads what arrives, then finds the end.
        let e = Unpickler::new()
            .limits(Limits::none())
            .load::<Value>(&data[..])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated);
        let e = Unpickler::new()
            .loads::<Value>(b"\x8d\xff\xff\xff\xff\xff\xff\xff\xffab.")
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated);
    }

    #[test]
    fn frames_bound_their_reads() {
        // A frame longer than the rest of the input. (A stream cannot tell
        // until it runs dry; CPython reads the whole frame up front.)
        let e = Unpickler::new()
            .loads::<Value>(b"\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N.")
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.offset(), e.opcode()),
            (ErrorKind::Truncated, Some(2), Some(Opcode::Frame))
        );
        // A read straddling the frame's end.
        assert_fails(
            b"\x95\x03\x00\x00\x00\x00\x00\x00\x00\x8c\x02ab.",
            ErrorKind::Frame,
            9,
            Some(Opcode::ShortBinUnicode),
        );
    }

    #[test]
    fn a_stream_fails_like_a_slice_on_a_frame_longer_than_the_input() {
        // Hand-written: a 9-byte frame holding only NONE, STOP.
        let data = b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00N.";
        assert_fails(data, ErrorKind::Truncated, 2, Some(Opcode::Frame));
        // As CPython, a stream is read to the end of the frame STOP is in.
        let data = b"\x80\x04\x95\x04\x00\x00\x00\x00\x00\x00\x00N.xyK\x01.";
        let mut reader = io::Cursor::new(&data[..]);
        let first = Unpickler::new()
            .load_buffered::<Value>(&mut reader)
            .unwrap();
        let second = Unpickler::new()
            .load_buffered::<Value>(&mut reader)
            .unwrap();
        assert_eq!(format!("{first:?} {second:?}"), "None 1");
    }

    // -- Limits ---------------------------------------------------------------

    fn limited(limits: Limits, data: &[u8]) -> Error {
        Unpickler::new()
            .limits(limits)
            .loads::<Value>(data)
            .unwrap_err()
    }

    #[test]
    fn container_length_has_its_own_limit() {
        let two = Limits {
            max_container_len: 2,
            ..Limits::default()
        };
        let at = |data: &[u8]| {
            let e = limited(two.clone(), data);
            (e.kind(), e.offset(), e.opcode())
        };
        // Built at once from the items above a mark.
        assert_eq!(
            at(b"(NNNl."),
            (ErrorKind::ContainerLimit, Some(4), Some(Opcode::List))
        );
        assert_eq!(
            at(b"(NNNt."),
            (ErrorKind::ContainerLimit, Some(4), Some(Opcode::Tuple))
        );
        assert_eq!(
            at(b"(NNNNNNd."),
            (ErrorKind::ContainerLimit, Some(7), Some(Opcode::Dict))
        );
        // Grown one item at a time: DUP makes an item per input byte, so
        // neither the stack nor the object count bounds a list.
        assert_eq!(
            at(b"]Na2a2a."),
            (ErrorKind::ContainerLimit, Some(6), Some(Opcode::Append))
        );
        assert_eq!(
            at(b"](NNe(Ne."),
            (ErrorKind::ContainerLimit, Some(7), Some(Opcode::Appends))
        );
        assert_eq!(
            at(b"}(K\x01NK\x02Nu(K\x03Nu."),
            (ErrorKind::ContainerLimit, Some(13), Some(Opcode::SetItems))
        );
        assert_eq!(
            at(b"\x80\x04\x8f(K\x01K\x02K\x03\x90."),
            (ErrorKind::ContainerLimit, Some(10), Some(Opcode::AddItems))
        );
        // At the limit is fine.
        assert!(Unpickler::new()
            .limits(two)
            .loads::<Value>(b"]Na2a.")
            .is_ok());
    }

    #[test]
    fn each_limit_reports_its_own_kind() {
        let memo = Limits {
            max_memo_entries: 1,
            ..Limits::default()
        };
        let e = limited(memo, b"Nq\x00q\x01.");
        assert_eq!((e.kind(), e.offset()), (ErrorKind::MemoLimit, Some(3)));

        let stack = Limits {
            max_stack_depth: 3,
            ..Limits::default()
        };
        assert_eq!(
            limited(stack.clone(), b"NNNN.").kind(),
            ErrorKind::StackLimit
        );
        let e = limited(stack, b"N((N.");
        assert_eq!(
            (e.kind(), e.offset(), e.opcode()),
            (ErrorKind::StackLimit, Some(3), Some(Opcode::None))
        );

        let objects = Limits {
            max_objects: 2,
            ..Limits::default()
        };
        let e = limited(objects, b"]]].");
        assert_eq!(
            (e.kind(), e.offset(), e.opcode()),
            (ErrorKind::ObjectLimit, Some(2), Some(Opcode::EmptyList))
        );

        let alloc = Limits {
            max_alloc_bytes: 4,
            ..Limits::default()
        };
        let e = limited(alloc.clone(), b"\x96\x05\x00\x00\x00\x00\x00\x00\x00abcde.");
        assert_eq!(
            (e.kind(), e.opcode()),
            (ErrorKind::AllocLimit, Some(Opcode::ByteArray8))
        );
        // Borrowed strs cost nothing; copied ones count.
        let data = b"X\x05\x00\x00\x00abcde.";
        assert!(Unpickler::new()
            .limits(alloc.clone())
            .loads::<Value>(data)
            .is_ok());
        let e = Unpickler::new()
            .limits(alloc)
            .load::<Value>(&data[..])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AllocLimit);

        let input = Limits {
            max_input_bytes: 4,
            ..Limits::default()
        };
        assert_eq!(
            limited(input.clone(), b"NNNN.").kind(),
            ErrorKind::InputTooLarge
        );
        let e = Unpickler::new()
            .limits(input)
            .load::<Value>(&b"NNNNNNNN."[..])
            .unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::InputTooLarge, Some(5)));
    }

    // -- Streams --------------------------------------------------------------

    #[test]
    fn streams_copy_what_slices_borrow() {
        let data = b"\x8c\x05hello.";
        let v = Unpickler::new().load::<Value>(&data[..]).unwrap();
        assert!(matches!(v.get(v.root()), Object::Str(Cow::Owned(s)) if s == "hello"));
        let v = Unpickler::new().loads::<Value>(data).unwrap();
        assert!(matches!(
            v.get(v.root()),
            Object::Str(Cow::Borrowed("hello"))
        ));
    }

    #[test]
    fn load_buffered_stops_right_after_stop() {
        // pickle.dumps([1], protocol=1) + pickle.dumps({1: 2}, protocol=1) + b'tail'
        let data = b"]q\x00K\x01a.}q\x00K\x01K\x02s.tail";
        let mut reader = io::BufReader::with_capacity(3, &data[..]);
        let first = Unpickler::new()
            .load_buffered::<Value>(&mut reader)
            .unwrap();
        let second = Unpickler::new()
            .load_buffered::<Value>(&mut reader)
            .unwrap();
        assert_eq!(format!("{first:?} {second:?}"), "[1] {1: 2}");
        let mut rest = Vec::new();
        io::Read::read_to_end(&mut reader, &mut rest).unwrap();
        assert_eq!(rest, b"tail");
    }
}
