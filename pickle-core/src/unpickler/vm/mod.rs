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
use crate::de::direct::Scan;
use crate::error::{Error, ErrorKind, Result};
use crate::opcode::{Opcode, HIGHEST_PROTOCOL};
use crate::pytext::{self, Int, IntOrBool};
use crate::read::{Read, Reference, SliceRead};
use crate::registry::{self, Entry, Pending};
use crate::scan::Use;
use crate::value::{Buffer, Construct, Id, Instance, Object, Value};

mod calls;
mod containers;
mod globals;
pub(crate) mod nodes;
mod scalars;
mod stack;

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

/// [`run`], after a scan of the whole stream: the memo keeps only the
/// entries at the indices its GETs name, and the graph's arena is sized
/// for the nodes it counted (at most the object limit).
pub(super) fn run_scanned<'de, R: Read<'de>>(
    reader: R,
    options: &mut Unpickler<'_, 'de>,
    scan: Scan,
) -> Result<Value<'de>> {
    let mut vm = Vm::new(reader, options, true);
    vm.memo.keep_only(scan.gets);
    let nodes = scan.nodes.saturating_add(nodes::SHARED_NODES);
    vm.graph.try_reserve_exact(nodes.min(vm.max_objects));
    vm.run()
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
