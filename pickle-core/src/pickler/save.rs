//! Writing objects: the `save_*` dispatch on object kind, as CPython's C pickler does it.
//!
//! Saving is iterative. Instead of recursing into a container's items, a
//! `save_*` method writes what comes before them, then pushes [`Task`]s on an
//! explicit work stack: "save this item", "write this opcode", "after the items,
//! finish the tuple". A list nested a million deep costs a million small
//! stack entries on the heap, not a million native frames.
//!
//! CPython reduces some builtins to calls at low protocols (`set` below 4,
//! `bytes` below 3, `bytearray` below 5, `complex` always). Those reductions
//! contain temporaries that exist in no graph, such as the args tuple or the
//! list of a set's items; an [`Item`] names either a graph node or one of these.
//!
//! Framing is left to the [`Framer`]; which objects are the same object, to the [`Memo`].

use std::collections::HashMap;
use std::io;
use std::ops::{Deref, Range};
use std::rc::Rc;

use num_bigint::BigInt;

use super::encode;
use super::framer::Framer;
use super::memo::{GraphIx, Key, Memo, Space};
use super::{BufferCallback, PersistentId, Pickler};
use crate::builtins;
use crate::compat;
use crate::error::{Error, ErrorKind, Result};
use crate::fast_map::FastMap;
use crate::opcode::Opcode;
use crate::value::{Buffer, Construct, Id, Instance, Object, Value};

/// How many items one APPENDS, SETITEMS or ADDITEMS carries, as `_pickle.c`'s `BATCHSIZE`.
const BATCHSIZE: usize = 1000;

/// How deeply persistent ids returned by the hook may nest inside each other
/// (a pid's items get the hook too). CPython would hit its recursion limit.
const MAX_PID_NESTING: usize = 10_000;

/// What one pickle's writing shares, whatever writes into it: the options
/// and hooks, the frames, the memo. The typed [`Writer`](crate::ser::Writer)
/// owns one, and runs the graph [`Dumper`] on it for each [`Value`] it
/// embeds, so typed objects and graphs share one memo.
pub(crate) struct Core<'p, W> {
    proto: u8,
    /// Whether to write Python 2 names: `fix_imports` below protocol 3.
    fix_imports: bool,
    persistent_id: Option<&'p mut PersistentId<'p>>,
    buffer_callback: Option<&'p mut BufferCallback<'p>>,
    extensions: &'p HashMap<String, HashMap<String, i32>>,
    /// Graphs returned by the `persistent_id` hook; graph `g` is `pids[g - 1]`.
    pids: Vec<Rc<Value<'static>>>,
    pid_nesting: usize,
    framer: Framer<W>,
    memo: Memo,
    /// The memo index of each `'static` name written, by address and length.
    static_names: FastMap<(usize, usize), u32>,
    /// The last `'static` names looked up: (address, length, memo index).
    static_slots: [(usize, usize, u32); STATIC_NAME_SLOTS],
}

/// Slots of [`Core::static_slots`]: room for the field names of a few
/// structs with few collisions.
const STATIC_NAME_SLOTS: usize = 128;

impl<'p> Core<'p, io::Sink> {
    /// The writing of one pickle into memory, for `dumps`: the bytes go
    /// straight into the buffer [`Core::into_bytes`] returns, copied once.
    pub(crate) fn in_memory(pickler: &'p mut Pickler<'_>) -> Self {
        let mut core = Core::new(io::sink(), pickler);
        core.framer = Framer::in_memory(io::sink());
        core
    }
}

impl<'p, W: io::Write> Core<'p, W> {
    /// The writing of one pickle with `pickler`'s options and hooks, to `out`.
    pub(crate) fn new(out: W, pickler: &'p mut Pickler<'_>) -> Self {
        let Pickler {
            protocol,
            fix_imports,
            persistent_id,
            buffer_callback,
            extensions,
        } = pickler;
        Core {
            proto: *protocol,
            fix_imports: *fix_imports && *protocol < 3,
            persistent_id: match persistent_id {
                Some(hook) => Some(&mut **hook),
                None => None,
            },
            buffer_callback: match buffer_callback {
                Some(hook) => Some(&mut **hook),
                None => None,
            },
            extensions,
            pids: Vec::new(),
            pid_nesting: 0,
            framer: Framer::new(out),
            memo: Memo::new(0),
            static_names: FastMap::default(),
            // Address 0 is no str's: an empty slot never matches.
            static_slots: [(0, 0, 0); STATIC_NAME_SLOTS],
        }
    }

    /// The pickle written so far, when writing in memory (see [`Core::in_memory`]).
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.framer.into_bytes()
    }

    pub(crate) fn proto(&self) -> u8 {
        self.proto
    }

    /// Whether a `buffer_callback` was given, so protocol-5 buffers may go out-of-band.
    pub(crate) fn has_buffer_callback(&self) -> bool {
        self.buffer_callback.is_some()
    }

    /// PROTO, which is never framed; frames start after it.
    pub(crate) fn start(&mut self) {
        if self.proto >= 2 {
            self.framer.write(&[Opcode::Proto.byte(), self.proto]);
            if self.proto >= 4 {
                self.framer.start_framing();
            }
        }
    }

    /// STOP, and everything written out.
    pub(crate) fn finish(&mut self) -> Result<()> {
        self.framer.op(Opcode::Stop);
        self.framer.finish()?;
        Ok(())
    }

    /// The start of saving an object, where a frame may end.
    pub(crate) fn boundary(&mut self) -> Result<()> {
        self.framer.opcode_boundary()?;
        Ok(())
    }

    pub(crate) fn op(&mut self, op: Opcode) {
        self.framer.op(op);
    }

    /// Appends whole opcodes to the output: `encode` gets the buffer and the protocol.
    #[inline(always)]
    fn emit(&mut self, encode: impl FnOnce(&mut Vec<u8>, u8) -> Result<()>) -> Result<()> {
        let proto = self.proto;
        encode(self.framer.buf(), proto)
    }

    pub(crate) fn write_bool(&mut self, b: bool) {
        let proto = self.proto;
        encode::bool(self.framer.buf(), proto, b);
    }

    #[inline(always)]
    pub(crate) fn write_int(&mut self, i: i64) -> Result<()> {
        let proto = self.proto;
        encode::int(self.framer.buf(), proto, i)
    }

    /// Ints that are never shared, one after another: `int(i)` for each `i`
    /// in `items`, each saved as by [`Core::boundary`] then
    /// [`Core::write_int`]. Runs too short to reach a frame's end are
    /// written without the boundaries, which would do nothing there.
    pub(crate) fn write_ints(
        &mut self,
        items: Range<usize>,
        int: impl Fn(usize) -> i64,
    ) -> Result<()> {
        let mut i = items.start;
        while i < items.end {
            let run = if self.proto == 0 {
                0
            } else {
                (self.framer.room() / encode::SMALL_INT_MAX).min(items.end - i)
            };
            if run > 0 {
                let end = i + run;
                let out = self.framer.buf();
                let mut at = out.len();
                out.resize(at + run * encode::SMALL_INT_MAX, 0);
                while i < end {
                    let Ok(small) = i32::try_from(int(i)) else {
                        break;
                    };
                    let (whole, len) = encode::small_int(small);
                    out[at..at + encode::SMALL_INT_MAX].copy_from_slice(&whole);
                    at += len;
                    i += 1;
                }
                out.truncate(at);
                if i == end {
                    continue;
                }
            }
            // An int past 32 bits, or one near the frame's end.
            self.boundary()?;
            self.write_int(int(i))?;
            i += 1;
        }
        Ok(())
    }

    pub(crate) fn write_bigint(&mut self, i: &BigInt) -> Result<()> {
        self.emit(|out, proto| encode::bigint(out, proto, i))
    }

    #[inline]
    pub(crate) fn write_float(&mut self, x: f64) {
        let proto = self.proto;
        encode::float(self.framer.buf(), proto, x);
    }

    /// GET, BINGET or LONG_BINGET.
    #[inline]
    pub(crate) fn memo_get(&mut self, index: u32) {
        let proto = self.proto;
        encode::memo_get(self.framer.buf(), proto, index);
    }

    #[inline]
    fn write_put(&mut self, index: u32) {
        let proto = self.proto;
        encode::memo_put(self.framer.buf(), proto, index);
    }

    #[inline]
    fn memo_put(&mut self, key: Key) -> Result<u32> {
        let index = self.memo.put(key)?;
        self.write_put(index);
        Ok(index)
    }

    /// Memoizes the new object just written, which nothing else can name.
    pub(crate) fn memo_put_new(&mut self) -> Result<u32> {
        self.memo_put(Key::Temp)
    }

    /// The opcode and payload of a str.
    #[inline]
    fn write_str(&mut self, text: &str) -> Result<()> {
        if self.proto >= 4 && text.len() <= 0xff {
            // SHORT_BINUNICODE, as most strs are: straight into the frame.
            let out = self.framer.buf();
            out.reserve(2 + text.len());
            out.extend_from_slice(&[Opcode::ShortBinUnicode.byte(), text.len() as u8]);
            out.extend_from_slice(text.as_bytes());
            return Ok(());
        }
        if self.proto >= 1 {
            let header = encode::str_header(self.proto, text.len())?;
            self.framer
                .write_payload(header.as_bytes(), text.as_bytes())?;
            Ok(())
        } else {
            self.emit(|out, _| {
                out.push(Opcode::Unicode.byte());
                encode::raw_unicode_escape(out, text.chars());
                out.push(b'\n');
                Ok(())
            })
        }
    }

    /// A new str, or the cached singleton CPython has for it; returns its memo index.
    #[inline]
    pub(crate) fn save_str(&mut self, text: &str) -> Result<u32> {
        // Past 2 bytes no str is one of CPython's singletons.
        if self.proto >= 4 && (3..=encode::SHORT_STR).contains(&text.len()) {
            let index = self.memo.next()?;
            encode::short_str_memoized(self.framer.buf(), text.as_bytes());
            return Ok(index);
        }
        let key = Key::for_str(text, Key::Temp);
        if let Some(index) = self.memo.get(key) {
            self.memo_get(index);
            return Ok(index);
        }
        self.write_str(text)?;
        self.memo_put(key)
    }

    /// The interned str `text`; returns its memo index.
    pub(crate) fn save_name(&mut self, text: &str) -> Result<u32> {
        if let Some(index) = self.memo.get_name(Space::Interned, text) {
            self.memo_get(index);
            return Ok(index);
        }
        self.write_str(text)?;
        let index = self.memo.put_name(Space::Interned, text)?;
        self.write_put(index);
        Ok(index)
    }

    /// [`Core::save_name`] for a `'static` str: its address and length
    /// name its text for the whole program, so a name written before is
    /// found without hashing or comparing the text.
    pub(crate) fn save_static_name(&mut self, text: &'static str) -> Result<u32> {
        let key = (text.as_ptr() as usize, text.len());
        // A direct-mapped cache in front of the map: a hit costs two
        // compares. Names are literals packed next to each other, a few
        // bytes apart: Fibonacci hashing spreads such addresses over the slots.
        let mixed =
            (key.0 ^ key.1.rotate_left(24)).wrapping_mul(0x9e37_79b9_7f4a_7c15_u64 as usize);
        let slot = mixed >> (usize::BITS - STATIC_NAME_SLOTS.trailing_zeros());
        let index = match self.static_slots[slot] {
            (ptr, len, index) if (ptr, len) == key => index,
            _ => match self.static_names.get(&key) {
                Some(&index) => index,
                None => {
                    let index = self.save_name(text)?;
                    self.static_names.insert(key, index);
                    self.static_slots[slot] = (key.0, key.1, index);
                    return Ok(index);
                }
            },
        };
        self.static_slots[slot] = (key.0, key.1, index);
        self.memo_get(index);
        Ok(index)
    }

    /// A new bytearray at protocol 5: BYTEARRAY8; returns its memo index.
    pub(crate) fn save_bytearray(&mut self, data: &[u8]) -> Result<u32> {
        let header = encode::bytearray_header(data.len());
        self.framer.write_payload(header.as_bytes(), data)?;
        self.memo_put_new()
    }

    /// The global `module.name`; returns its memo index, if it has one (an
    /// extension code has not).
    pub(crate) fn save_global(&mut self, module: &str, name: &str) -> Result<Option<u32>> {
        // Written before: a memo GET, as the graph pickler writes it (the
        // usual case: every instance of a class names it).
        let (named_module, named) = object_name(module, name);
        if let Some(index) = self.memo.get_global(named_module, named) {
            self.framer.opcode_boundary()?;
            self.memo_get(index);
            return Ok(Some(index));
        }
        let empty = Value::new();
        Dumper::new(self, &empty).run(global(module, name))?;
        let (module, name) = object_name(module, name);
        Ok(self.memo.get_global(module, name))
    }

    /// A new object of a builtin kind, such as bytes, written as the graph
    /// pickler writes that kind; returns its memo index, if it has one.
    pub(crate) fn save_object(&mut self, object: Object<'_>) -> Result<Option<u32>> {
        let value = Value::from_object(object);
        // Not offered to the `persistent_id` hook: it sees graph nodes only.
        self.save_graph(&value, Role::PidRoot)
    }

    /// The graph `value`, in place; returns the memo index of its root, if it has one.
    pub(crate) fn save_value(&mut self, value: &Value<'_>) -> Result<Option<u32>> {
        if !value.is_well_formed() || value.try_root().is_none() {
            return Err(unpicklable(
                "the graph has no root or refers to objects it does not hold",
            ));
        }
        self.save_graph(value, Role::Plain)
    }

    fn save_graph(&mut self, value: &Value<'_>, role: Role) -> Result<Option<u32>> {
        let root = value
            .try_root()
            .ok_or_else(|| unpicklable("the graph has no root"))?;
        // Each graph written is new objects: its nodes are memoized afresh.
        self.memo.start_graph(value.len());
        Dumper::new(self, value).run(Item::Node {
            g: 0,
            id: root,
            role,
        })?;
        let key = match value.get(root) {
            Object::Str(s) => Key::for_str(s, Key::Node(0, root)),
            Object::Bytes(b) => Key::for_bytes(b, Key::Node(0, root)),
            _ => Key::Node(0, root),
        };
        Ok(self.memo.get(key))
    }
}

fn unpicklable(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Unpicklable, message)
}

/// Something to save: a graph node, or a temporary of a builtin's reduction.
enum Item {
    /// A node of graph `g`.
    Node { g: GraphIx, id: Id, role: Role },
    /// The global `module.qualname` (`builtins.set`, `copyreg._reconstructor`, ...).
    Global(Box<(String, String)>),
    /// A global's module or qualname str, or the constant `'latin1'`: interned.
    Name(Space, Box<str>),
    /// A fresh str (the last part of a dotted qualname).
    TempStr(Box<str>),
    /// The latin-1 text of a bytes-like node, for `_codecs.encode(text, 'latin1')`.
    Latin1(GraphIx, Id),
    /// A fresh bytes holding a bytearray node's data, for `bytearray(b'...')`.
    BytesOf(GraphIx, Id),
    /// A fresh list of a set or frozenset node's items, for `set([...])`.
    SetAsList(GraphIx, Id),
    /// A fresh tuple.
    Tuple(Box<[Item]>),
    /// A fresh tuple with the items of a tuple node: the arguments of a
    /// reduce, which `__reduce__` builds anew each time it is called.
    TupleCopy(GraphIx, Id),
    /// A float (a complex's parts).
    Float(f64),
    /// `None`.
    None,
}

fn node(g: GraphIx, id: Id) -> Item {
    Item::Node {
        g,
        id,
        role: Role::Plain,
    }
}

/// Where a node is saved, when that changes how CPython would see it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Plain,
    /// A persistent id itself: not offered to the `persistent_id` hook again.
    PidRoot,
    /// An instance's BUILD state or NEWOBJ_EX keyword arguments. CPython's
    /// BUILD interns the str keys of a dict state (and of both dicts of a
    /// `(state, slotstate)` pair), and keyword names are identifiers, so on
    /// the way back out they are interned strs: shared by every instance and
    /// distinct from equal 1-character data strs.
    State,
    /// A key of a dict in the [`Role::State`] role: saved as the interned
    /// str when it is a str.
    InternedKey,
}

fn global(module: &str, name: &str) -> Item {
    Item::Global(Box::new((module.to_owned(), name.to_owned())))
}

fn tuple<const N: usize>(items: [Item; N]) -> Item {
    Item::Tuple(Box::new(items))
}

/// One step of the work stack.
enum Task {
    /// Save an object, after marking an opcode boundary.
    Save(Item),
    /// Write one opcode.
    Op(Opcode),
    /// Save the next item (or pair) of a container.
    Items(Cursor),
    /// After a tuple's items: TUPLE, or POP back to the copy memoized meanwhile.
    EndTuple {
        g: GraphIx,
        id: Id,
        len: usize,
        marked: bool,
    },
    /// After a frozenset's items: FROZENSET, or POP_MARK back to the memoized copy.
    EndFrozenSet { g: GraphIx, id: Id },
    /// After REDUCE/NEWOBJ: memoize the result (or fetch the copy memoized
    /// meanwhile), then for an instance apply its items and state.
    EndReduce { key: Key, instance: bool },
    /// Memoize the object just written.
    MemoPut(Key),
    /// Memoize the global just written.
    MemoPutGlobal(Box<GlobalPut>),
    /// The node is no longer being saved.
    Leave(GraphIx, Id),
    /// A persistent id returned by the hook is written.
    LeavePid,
}

struct GlobalPut {
    module: String,
    name: String,
    /// The node that named the global, to find it by `Id` next time.
    node: Option<(GraphIx, Id)>,
}

/// A position in a container's items, with the opcodes that group them.
#[derive(Clone, Copy)]
struct Cursor {
    g: GraphIx,
    id: Id,
    pos: usize,
    src: Src,
    mode: Mode,
    /// The role of the items, or of the keys of pairs (values are plain).
    role: Role,
}

/// Which items of a node a cursor walks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Src {
    /// A list's, tuple's, set's or frozenset's items.
    Items,
    /// A dict's pairs.
    Pairs,
    /// An instance's `list_items`.
    InstanceList,
    /// An instance's `dict_items`.
    InstanceDict,
}

impl Src {
    fn len(self, obj: &Object<'_>) -> usize {
        match (self, obj) {
            (
                Src::Items,
                Object::List(v) | Object::Tuple(v) | Object::Set(v) | Object::FrozenSet(v),
            ) => v.len(),
            (Src::Pairs, Object::Dict(pairs)) => pairs.len(),
            (Src::InstanceList, Object::Instance(inst)) => inst.list_items.len(),
            (Src::InstanceDict, Object::Instance(inst)) => inst.dict_items.len(),
            _ => 0,
        }
    }

    /// The item at `pos`, or the key and value of the pair at `pos`.
    fn get(self, obj: &Object<'_>, pos: usize) -> Option<(Id, Option<Id>)> {
        match (self, obj) {
            (
                Src::Items,
                Object::List(v) | Object::Tuple(v) | Object::Set(v) | Object::FrozenSet(v),
            ) => Some((*v.get(pos)?, None)),
            (Src::Pairs, Object::Dict(pairs)) => pairs.get(pos).map(|&(k, v)| (k, Some(v))),
            (Src::InstanceList, Object::Instance(inst)) => Some((*inst.list_items.get(pos)?, None)),
            (Src::InstanceDict, Object::Instance(inst)) => {
                inst.dict_items.get(pos).map(|&(k, v)| (k, Some(v)))
            }
            _ => None,
        }
    }
}

/// How a cursor groups items.
#[derive(Clone, Copy)]
enum Mode {
    /// Items only (a tuple's or a frozenset's, inside their MARK).
    Plain,
    /// Each item followed by this opcode (APPEND, SETITEM): protocol 0, or a single item.
    Each(Opcode),
    /// MARK, up to [`BATCHSIZE`] items, `close`.
    Batch {
        close: Opcode,
        /// A batch of one item is written as item + `single`: pickle's
        /// generic `batch_list`/`batch_dict`, used for `__reduce__` items.
        single: Option<Opcode>,
        /// A full batch is followed by another, even an empty one: the
        /// loops of `batch_dict_exact` and `save_set` test "was the batch
        /// full" rather than "are items left" (`batch_list_exact` does not).
        again_after_full: bool,
    },
}

/// How an opaque instance is written back.
enum Form {
    NewObj,
    NewObjEx,
    Reduce,
}

/// A graph being saved: the one given to `dump`, or one returned by the `persistent_id` hook.
enum Graph<'v, 'de> {
    Main(&'v Value<'de>),
    Pid(Rc<Value<'static>>),
}

impl<'de> Deref for Graph<'_, 'de> {
    type Target = Value<'de>;

    fn deref(&self) -> &Value<'de> {
        match self {
            Graph::Main(value) => value,
            Graph::Pid(value) => value,
        }
    }
}

/// The nodes being saved that are memoized only after their contents, and
/// how many times each is being saved. A second, nested save is how CPython
/// writes a tuple that contains itself through a list; a third means the
/// object contains itself through such nodes only, and CPython would recurse
/// until its RecursionError.
struct Active {
    main: Vec<u8>,
    other: HashMap<(GraphIx, Id), u8>,
}

impl Active {
    fn new(nodes: usize) -> Active {
        Active {
            main: vec![0; nodes],
            other: HashMap::new(),
        }
    }

    fn count(&mut self, g: GraphIx, id: Id) -> Option<&mut u8> {
        if g == 0 {
            self.main.get_mut(id.index())
        } else {
            Some(self.other.entry((g, id)).or_insert(0))
        }
    }

    fn enter(&mut self, g: GraphIx, id: Id, kind: &str) -> Result<()> {
        let Some(count) = self.count(g, id) else {
            return Ok(());
        };
        if *count >= 2 {
            return Err(unpicklable(format!(
                "the {kind} at {id:?} contains itself only through objects that are memoized \
                 after their contents (tuples, frozensets, reduce arguments): it cannot be \
                 pickled (CPython raises RecursionError)"
            )));
        }
        *count += 1;
        Ok(())
    }

    fn leave(&mut self, g: GraphIx, id: Id) {
        if let Some(count) = self.count(g, id) {
            *count = count.saturating_sub(1);
        }
    }
}

/// A global's `(module, qualname)`.
type Name = (&'static str, &'static str);

/// Globals that name an object CPython knows by another name, which is the
/// name `save_global` writes (`__module__` and `__qualname__`): the
/// Python 3 names `fix_imports` maps Python 2 names to, where they are
/// aliases on every platform (sorted, for binary search).
const ALIASES: &[(Name, Name)] = &[
    (("builtins", "EnvironmentError"), ("builtins", "OSError")),
    (("builtins", "IOError"), ("builtins", "OSError")),
    (("functools", "reduce"), ("_functools", "reduce")),
    (("socket", "SocketType"), ("_socket", "socket")),
];

/// The name CPython writes for the object the global `module.name` names.
fn object_name<'n>(module: &'n str, name: &'n str) -> (&'n str, &'n str) {
    match ALIASES.binary_search_by(|(alias, _)| alias.cmp(&(module, name))) {
        Ok(i) => ALIASES[i].1,
        Err(_) => (module, name),
    }
}

/// Whether an instance's state is `(dict or None, dict)`, as `object.__getstate__`
/// gives for a class with `__slots__`.
fn is_slots_state(graph: &Value<'_>, state: Option<Id>) -> bool {
    let Some(Object::Tuple(items)) = state.map(|state| graph.get(state)) else {
        return false;
    };
    matches!(
        items.as_slice(),
        &[first, second]
            if matches!(graph.get(first), Object::None | Object::Dict(_))
                && matches!(graph.get(second), Object::Dict(_))
    )
}

/// Whether CPython re-dumps the instance with `object.__reduce_ex__`, as
/// `save_instance` writes it: everything but an opaque call.
fn reduces_as_object(graph: &Value<'_>, inst: &Instance) -> bool {
    match inst.construct {
        Construct::NewObj | Construct::NewObjEx => true,
        Construct::Inst | Construct::Obj => {
            matches!(graph.get(inst.args), Object::Tuple(args) if args.is_empty())
        }
        Construct::Reduce => false,
    }
}

/// Which `module` str object a global's STACK_GLOBAL uses.
fn module_space(module: &str, name: &str) -> Space {
    if module != "builtins" {
        Space::Interned
    } else if builtins::is_own_function(name) {
        Space::BuiltinFunctions
    } else if name == "ExceptionGroup" {
        Space::ExceptionGroup
    } else {
        Space::Interned
    }
}

/// Writes one graph (and the graphs the `persistent_id` hook returns for
/// its nodes) into a pickle being written.
struct Dumper<'c, 'p, 'v, 'de, W> {
    core: &'c mut Core<'p, W>,
    main: &'v Value<'de>,
    active: Active,
    stack: Vec<Task>,
}

impl<'c, 'p, 'v, 'de, W: io::Write> Dumper<'c, 'p, 'v, 'de, W> {
    fn new(core: &'c mut Core<'p, W>, main: &'v Value<'de>) -> Self {
        Dumper {
            core,
            main,
            active: Active::new(main.len()),
            stack: Vec::new(),
        }
    }

    /// Saves `item`, and everything it contains, without recursion.
    fn run(&mut self, item: Item) -> Result<()> {
        self.stack.push(Task::Save(item));
        while let Some(task) = self.stack.pop() {
            self.step(task)?;
        }
        Ok(())
    }

    fn graph(&self, g: GraphIx) -> Graph<'v, 'de> {
        match g {
            0 => Graph::Main(self.main),
            // Graph indexes are only made by `save_pid_graph`, from `pids`.
            _ => Graph::Pid(Rc::clone(&self.core.pids[g as usize - 1])),
        }
    }

    fn step(&mut self, task: Task) -> Result<()> {
        match task {
            Task::Save(item) => {
                self.core.framer.opcode_boundary()?;
                self.save(item)
            }
            Task::Op(op) => {
                self.core.framer.op(op);
                Ok(())
            }
            Task::Items(cursor) => self.items(cursor),
            Task::EndTuple { g, id, len, marked } => self.end_tuple(g, id, len, marked),
            Task::EndFrozenSet { g, id } => {
                let key = Key::Node(g, id);
                if let Some(index) = self.core.memo.get(key) {
                    self.core.framer.op(Opcode::PopMark);
                    self.write_get(index);
                    return Ok(());
                }
                self.core.framer.op(Opcode::FrozenSet);
                self.memo_put(key)
            }
            Task::EndReduce { key, instance } => self.end_reduce(key, instance),
            Task::MemoPut(key) => self.memo_put(key),
            Task::MemoPutGlobal(put) => {
                let index = self.core.memo.put_global(&put.module, &put.name)?;
                if let Some((g, id)) = put.node {
                    self.core.memo.alias(Key::Node(g, id), index);
                }
                self.write_put(index);
                Ok(())
            }
            Task::Leave(g, id) => {
                self.active.leave(g, id);
                Ok(())
            }
            Task::LeavePid => {
                self.core.pid_nesting = self.core.pid_nesting.saturating_sub(1);
                Ok(())
            }
        }
    }

    // ---- writing --------------------------------------------------------

    fn emit(&mut self, encode: impl FnOnce(&mut Vec<u8>, u8) -> Result<()>) -> Result<()> {
        self.core.emit(encode)
    }

    fn write_get(&mut self, index: u32) {
        self.core.memo_get(index);
    }

    fn write_put(&mut self, index: u32) {
        self.core.write_put(index);
    }

    fn memo_put(&mut self, key: Key) -> Result<()> {
        self.core.memo_put(key).map(drop)
    }

    /// Writes a GET if the object is memoized; returns whether it was.
    fn memoized(&mut self, key: Key) -> bool {
        match self.core.memo.get(key) {
            Some(index) => {
                self.write_get(index);
                true
            }
            None => false,
        }
    }

    fn write_str(&mut self, text: &str) -> Result<()> {
        self.core.write_str(text)
    }

    fn push(&mut self, task: Task) {
        self.stack.push(task);
    }

    fn push_save(&mut self, item: Item) {
        self.stack.push(Task::Save(item));
    }

    /// `callable(*args)`, then `key` is memoized (or fetched, if saving the
    /// arguments memoized it already), as `save_reduce`.
    fn push_reduce(&mut self, callable: Item, args: Item, key: Key, instance: bool) {
        self.push(Task::EndReduce { key, instance });
        self.push(Task::Op(Opcode::Reduce));
        self.push_save(args);
        self.push_save(callable);
    }

    // ---- dispatch -------------------------------------------------------

    fn save(&mut self, item: Item) -> Result<()> {
        match item {
            Item::Node { g, id, role } => self.save_node(g, id, role),
            Item::Global(names) => self.save_global(&names.0, &names.1, None),
            Item::Name(space, text) => {
                if let Some(index) = self.core.memo.get_name(space, &text) {
                    self.write_get(index);
                    return Ok(());
                }
                self.write_str(&text)?;
                let index = self.core.memo.put_name(space, &text)?;
                self.write_put(index);
                Ok(())
            }
            Item::TempStr(text) => {
                let key = Key::for_str(&text, Key::Temp);
                if self.memoized(key) {
                    return Ok(());
                }
                self.write_str(&text)?;
                self.memo_put(key)
            }
            Item::Latin1(g, id) => {
                let graph = self.graph(g);
                let data = graph.node(id).as_bytes().unwrap_or_default();
                // Decoding one byte gives CPython's cached 1-character str.
                let key = match data {
                    [byte] => Key::Str1(Some(char::from(*byte))),
                    _ => Key::Temp,
                };
                if self.memoized(key) {
                    return Ok(());
                }
                let text: String = data.iter().map(|&b| char::from(b)).collect();
                self.write_str(&text)?;
                self.memo_put(key)
            }
            Item::BytesOf(g, id) => {
                let graph = self.graph(g);
                let data = graph.node(id).as_bytes().unwrap_or_default();
                // `bytes(bytearray)` copies into a new object: even one byte is
                // not CPython's cached singleton.
                self.save_bytes(g, id, data, Key::Temp)
            }
            Item::SetAsList(g, id) => {
                self.write_empty_list();
                self.memo_put(Key::Temp)?;
                let len = Src::Items.len(self.graph(g).get(id).as_pickled());
                self.push_list_items(g, id, len);
                Ok(())
            }
            Item::Tuple(items) => {
                self.save_temp_tuple(items);
                Ok(())
            }
            Item::TupleCopy(g, id) => {
                if self.persistent_id_hook(g, id)? {
                    return Ok(());
                }
                let graph = self.graph(g);
                match graph.get(id).as_pickled() {
                    Object::Tuple(items) => {
                        let items: Vec<Item> = items.iter().map(|&item| node(g, item)).collect();
                        self.save_temp_tuple(items.into_boxed_slice());
                        Ok(())
                    }
                    _ => self.save_node(g, id, Role::PidRoot),
                }
            }
            Item::Float(x) => self.emit(|out, proto| {
                encode::float(out, proto, x);
                Ok(())
            }),
            Item::None => {
                self.core.framer.op(Opcode::None);
                Ok(())
            }
        }
    }

    /// Offers the node to the `persistent_id` hook; returns whether it was
    /// written as a persistent id.
    fn persistent_id_hook(&mut self, g: GraphIx, id: Id) -> Result<bool> {
        let graph = self.graph(g);
        let Some(persistent_id) = self.core.persistent_id.as_mut() else {
            return Ok(false);
        };
        match persistent_id(graph.node(id)) {
            Some(pid) => self.save_pid_graph(pid).map(|()| true),
            None => Ok(false),
        }
    }

    fn save_node(&mut self, g: GraphIx, id: Id, role: Role) -> Result<()> {
        if role != Role::PidRoot && self.persistent_id_hook(g, id)? {
            return Ok(());
        }
        let graph = self.graph(g);
        // A native is written as the instance it was read from.
        let obj = graph.get(id).as_pickled();
        let key = Key::Node(g, id);
        // Atoms are never memoized; everything else may already be.
        match obj {
            Object::None => {
                self.core.framer.op(Opcode::None);
                return Ok(());
            }
            Object::Bool(b) => {
                let b = *b;
                return self.emit(|out, proto| {
                    encode::bool(out, proto, b);
                    Ok(())
                });
            }
            Object::Int(i) => {
                let i = *i;
                return self.emit(|out, proto| encode::int(out, proto, i));
            }
            Object::BigInt(i) => return self.emit(|out, proto| encode::bigint(out, proto, i)),
            Object::Float(x) => {
                let x = *x;
                return self.emit(|out, proto| {
                    encode::float(out, proto, x);
                    Ok(())
                });
            }
            Object::PersistentId(pid) => {
                self.active.enter(g, id, "persistent id")?;
                self.push(Task::Leave(g, id));
                return self.save_pers(g, *pid);
            }
            Object::Str(s) if role == Role::InternedKey => {
                return self.save(Item::Name(Space::Interned, s.as_ref().into()));
            }
            Object::Str(s) => {
                let key = Key::for_str(s, key);
                if !self.memoized(key) {
                    self.write_str(s)?;
                    self.memo_put(key)?;
                }
                return Ok(());
            }
            Object::Bytes(b) => {
                let key = Key::for_bytes(b, key);
                if !self.memoized(key) {
                    self.save_bytes(g, id, b, key)?;
                }
                return Ok(());
            }
            _ => {}
        }
        if self.memoized(key) {
            return Ok(());
        }
        match obj {
            Object::ByteArray(data) => self.save_bytearray(g, id, data),
            Object::List(items) => {
                self.write_empty_list();
                self.memo_put(key)?;
                self.push_list_items(g, id, items.len());
                Ok(())
            }
            Object::Tuple(items) => {
                let role = match role {
                    Role::State if items.len() == 2 => Role::State,
                    _ => Role::Plain,
                };
                self.save_tuple(g, id, items.len(), role)
            }
            Object::Dict(pairs) => {
                let role = match role {
                    Role::State => Role::InternedKey,
                    _ => Role::Plain,
                };
                self.save_dict(g, id, pairs.len(), role)
            }
            Object::Set(items) => self.save_set(g, id, items.len()),
            Object::FrozenSet(items) => self.save_frozenset(g, id, items.len()),
            Object::Complex(c) => {
                let args = tuple([Item::Float(c.re), Item::Float(c.im)]);
                self.push_reduce(global("builtins", "complex"), args, key, false);
                Ok(())
            }
            Object::Global(gl) => self.save_global(&gl.module, &gl.name, Some((g, id))),
            Object::Buffer(buffer) => self.save_buffer(buffer, key),
            Object::Instance(inst) => self.save_instance(g, id, inst, &graph),
            // Unreachable after `as_pickled`, and right if it were reached.
            Object::Native(native) => self.save_instance(g, id, native.instance(), &graph),
            // Written above.
            Object::None
            | Object::Bool(_)
            | Object::Int(_)
            | Object::BigInt(_)
            | Object::Float(_)
            | Object::Str(_)
            | Object::Bytes(_)
            | Object::PersistentId(_) => Ok(()),
        }
    }

    // ---- persistent ids -------------------------------------------------

    /// Writes the persistent id `pid` (a node of graph `g`): BINPERSID after
    /// the pid itself, or PERSID text at protocol 0.
    fn save_pers(&mut self, g: GraphIx, pid: Id) -> Result<()> {
        if self.core.proto >= 1 {
            self.push(Task::Op(Opcode::BinPersId));
            self.push_save(Item::Node {
                g,
                id: pid,
                role: Role::PidRoot,
            });
            return Ok(());
        }
        let graph = self.graph(g);
        // CPython writes str(pid); for builtin kinds other than str that is
        // repr(pid), which is what a node's Debug writes.
        let text = match graph.get(pid).as_pickled() {
            Object::Str(s) => s.to_string(),
            other @ (Object::Global(_)
            | Object::Instance(_)
            | Object::Buffer(_)
            | Object::PersistentId(_)) => {
                return Err(unpicklable(format!(
                    "a persistent id is written as str(pid) text at protocol 0, which cannot \
                     be reproduced for a {}",
                    other.type_name()
                )))
            }
            _ => format!("{:?}", graph.node(pid)),
        };
        if !text.is_ascii() || text.contains('\n') {
            return Err(unpicklable(
                "persistent IDs in protocol 0 must be ASCII strings without newlines",
            ));
        }
        self.core.framer.op(Opcode::PersId);
        self.core.framer.write(text.as_bytes());
        self.core.framer.write(b"\n");
        Ok(())
    }

    fn save_pid_graph(&mut self, pid: Value<'static>) -> Result<()> {
        let root = match pid.try_root() {
            Some(root) if pid.is_well_formed() => root,
            _ => {
                return Err(unpicklable(
                    "the persistent_id hook returned a graph with no root or with dangling ids",
                ))
            }
        };
        if self.core.pid_nesting >= MAX_PID_NESTING {
            return Err(unpicklable(
                "persistent ids returned by the persistent_id hook nest too deeply",
            ));
        }
        self.core.pids.push(Rc::new(pid));
        let g = GraphIx::try_from(self.core.pids.len())
            .map_err(|_| unpicklable("too many persistent ids"))?;
        self.core.pid_nesting += 1;
        self.push(Task::LeavePid);
        self.save_pers(g, root)
    }

    // ---- str, bytes, bytearray, buffers ----------------------------------

    /// A bytes object holding `data` (node `id` of graph `g`, or that node's
    /// data copied): BINBYTES from protocol 3, else `_codecs.encode(text, 'latin1')`.
    fn save_bytes(&mut self, g: GraphIx, id: Id, data: &[u8], key: Key) -> Result<()> {
        if self.core.proto >= 3 {
            let header = encode::bytes_header(self.core.proto, data.len())?;
            self.core.framer.write_payload(header.as_bytes(), data)?;
            return self.memo_put(key);
        }
        if data.is_empty() {
            self.push_reduce(global("builtins", "bytes"), tuple([]), key, false);
        } else {
            let args = tuple([
                Item::Latin1(g, id),
                Item::Name(Space::Interned, "latin1".into()),
            ]);
            self.push_reduce(global("_codecs", "encode"), args, key, false);
        }
        Ok(())
    }

    fn save_bytearray(&mut self, g: GraphIx, id: Id, data: &[u8]) -> Result<()> {
        let key = Key::Node(g, id);
        if self.core.proto >= 5 {
            let header = encode::bytearray_header(data.len());
            self.core.framer.write_payload(header.as_bytes(), data)?;
            return self.memo_put(key);
        }
        let args = if data.is_empty() {
            tuple([])
        } else {
            tuple([Item::BytesOf(g, id)])
        };
        self.push_reduce(global("builtins", "bytearray"), args, key, false);
        Ok(())
    }

    fn save_buffer(&mut self, buffer: &Buffer<'_>, key: Key) -> Result<()> {
        if self.core.proto < 5 {
            return Err(unpicklable(
                "PickleBuffer can only be pickled with protocol >= 5",
            ));
        }
        let in_band = match self.core.buffer_callback.as_mut() {
            Some(callback) => callback(buffer),
            None => true,
        };
        if !in_band {
            self.core.framer.op(Opcode::NextBuffer);
            if buffer.readonly {
                self.core.framer.op(Opcode::ReadonlyBuffer);
            }
            return Ok(());
        }
        if buffer.readonly {
            let header = encode::bytes_header(self.core.proto, buffer.data.len())?;
            self.core
                .framer
                .write_payload(header.as_bytes(), &buffer.data)?;
        } else {
            let header = encode::bytearray_header(buffer.data.len());
            self.core
                .framer
                .write_payload(header.as_bytes(), &buffer.data)?;
        }
        self.memo_put(key)
    }

    // ---- containers -----------------------------------------------------

    fn write_empty_list(&mut self) {
        if self.core.proto >= 1 {
            self.core.framer.op(Opcode::EmptyList);
        } else {
            self.core
                .framer
                .write(&[Opcode::Mark.byte(), Opcode::List.byte()]);
        }
    }

    /// The items of a list (or of the list of a set's items), as `batch_list_exact`.
    fn push_list_items(&mut self, g: GraphIx, id: Id, len: usize) {
        let mode = if self.core.proto == 0 || len == 1 {
            Mode::Each(Opcode::Append)
        } else {
            Mode::Batch {
                close: Opcode::Appends,
                single: None,
                again_after_full: false,
            }
        };
        self.push_items(g, id, Src::Items, len, mode, Role::Plain);
    }

    fn push_items(&mut self, g: GraphIx, id: Id, src: Src, len: usize, mode: Mode, role: Role) {
        if len > 0 {
            self.push(Task::Items(Cursor {
                g,
                id,
                pos: 0,
                src,
                mode,
                role,
            }));
        }
    }

    fn save_dict(&mut self, g: GraphIx, id: Id, len: usize, role: Role) -> Result<()> {
        if self.core.proto >= 1 {
            self.core.framer.op(Opcode::EmptyDict);
        } else {
            self.core
                .framer
                .write(&[Opcode::Mark.byte(), Opcode::Dict.byte()]);
        }
        self.memo_put(Key::Node(g, id))?;
        let mode = if self.core.proto == 0 || len == 1 {
            Mode::Each(Opcode::SetItem)
        } else {
            Mode::Batch {
                close: Opcode::SetItems,
                single: None,
                again_after_full: true,
            }
        };
        self.push_items(g, id, Src::Pairs, len, mode, role);
        Ok(())
    }

    fn save_set(&mut self, g: GraphIx, id: Id, len: usize) -> Result<()> {
        let key = Key::Node(g, id);
        if self.core.proto >= 4 {
            self.core.framer.op(Opcode::EmptySet);
            self.memo_put(key)?;
            let mode = Mode::Batch {
                close: Opcode::AddItems,
                single: None,
                again_after_full: true,
            };
            self.push_items(g, id, Src::Items, len, mode, Role::Plain);
            return Ok(());
        }
        self.active.enter(g, id, "set")?;
        self.push(Task::Leave(g, id));
        let args = tuple([Item::SetAsList(g, id)]);
        self.push_reduce(global("builtins", "set"), args, key, false);
        Ok(())
    }

    fn save_frozenset(&mut self, g: GraphIx, id: Id, len: usize) -> Result<()> {
        self.active.enter(g, id, "frozenset")?;
        self.push(Task::Leave(g, id));
        if self.core.proto >= 4 {
            self.core.framer.op(Opcode::Mark);
            self.push(Task::EndFrozenSet { g, id });
            self.push_items(g, id, Src::Items, len, Mode::Plain, Role::Plain);
            return Ok(());
        }
        let args = tuple([Item::SetAsList(g, id)]);
        self.push_reduce(
            global("builtins", "frozenset"),
            args,
            Key::Node(g, id),
            false,
        );
        Ok(())
    }

    fn write_empty_tuple(&mut self) {
        if self.core.proto >= 1 {
            self.core.framer.op(Opcode::EmptyTuple);
        } else {
            self.core
                .framer
                .write(&[Opcode::Mark.byte(), Opcode::Tuple.byte()]);
        }
    }

    /// Whether a tuple of `len` items is written MARK ... TUPLE (else TUPLE1–3).
    fn tuple_is_marked(&self, len: usize) -> bool {
        !(self.core.proto >= 2 && len <= 3)
    }

    fn tuple_opcode(marked: bool, len: usize) -> Opcode {
        match (marked, len) {
            (false, 1) => Opcode::Tuple1,
            (false, 2) => Opcode::Tuple2,
            (false, 3) => Opcode::Tuple3,
            _ => Opcode::Tuple,
        }
    }

    fn save_tuple(&mut self, g: GraphIx, id: Id, len: usize, role: Role) -> Result<()> {
        if len == 0 {
            // The empty tuple is a singleton that is never memoized.
            self.write_empty_tuple();
            return Ok(());
        }
        self.active.enter(g, id, "tuple")?;
        self.push(Task::Leave(g, id));
        let marked = self.tuple_is_marked(len);
        if marked {
            self.core.framer.op(Opcode::Mark);
        }
        self.push(Task::EndTuple { g, id, len, marked });
        self.push_items(g, id, Src::Items, len, Mode::Plain, role);
        Ok(())
    }

    fn end_tuple(&mut self, g: GraphIx, id: Id, len: usize, marked: bool) -> Result<()> {
        let key = Key::Node(g, id);
        let Some(index) = self.core.memo.get(key) else {
            self.core.framer.op(Self::tuple_opcode(marked, len));
            return self.memo_put(key);
        };
        // The tuple was reached from one of its items and memoized meanwhile:
        // drop the items written and fetch that copy.
        if marked && self.core.proto >= 1 {
            self.core.framer.op(Opcode::PopMark);
        } else {
            let pops = if marked { len + 1 } else { len };
            for _ in 0..pops {
                self.core.framer.op(Opcode::Pop);
            }
        }
        self.write_get(index);
        Ok(())
    }

    fn save_temp_tuple(&mut self, items: Box<[Item]>) {
        let len = items.len();
        if len == 0 {
            self.write_empty_tuple();
            return;
        }
        let marked = self.tuple_is_marked(len);
        if marked {
            self.core.framer.op(Opcode::Mark);
        }
        self.push(Task::MemoPut(Key::Temp));
        self.push(Task::Op(Self::tuple_opcode(marked, len)));
        for item in items.into_vec().into_iter().rev() {
            self.push_save(item);
        }
    }

    fn items(&mut self, cursor: Cursor) -> Result<()> {
        let graph = self.graph(cursor.g);
        let obj = graph.get(cursor.id).as_pickled();
        let len = cursor.src.len(obj);
        let pos = cursor.pos;
        match cursor.mode {
            Mode::Plain | Mode::Each(_) if pos >= len => return Ok(()),
            Mode::Plain => {}
            Mode::Each(op) => {
                self.push(Task::Items(Cursor {
                    pos: pos + 1,
                    ..cursor
                }));
                self.push(Task::Op(op));
                self.push_child(&cursor, obj);
                return Ok(());
            }
            Mode::Batch {
                close,
                single,
                again_after_full,
            } => {
                let batch_full = pos > 0 && pos % BATCHSIZE == 0;
                if batch_full || (pos > 0 && pos == len) {
                    self.core.framer.op(close);
                }
                if pos >= len {
                    if batch_full && again_after_full {
                        self.core.framer.op(Opcode::Mark);
                        self.core.framer.op(close);
                    }
                    return Ok(());
                }
                if pos % BATCHSIZE == 0 {
                    if let Some(single) = single.filter(|_| len - pos == 1) {
                        self.push(Task::Op(single));
                        self.push_child(&cursor, obj);
                        return Ok(());
                    }
                    self.core.framer.op(Opcode::Mark);
                }
                let scalars = self.save_scalars(
                    &graph,
                    &cursor,
                    obj,
                    len.min(pos - pos % BATCHSIZE + BATCHSIZE),
                )?;
                if scalars > pos {
                    self.push(Task::Items(Cursor {
                        pos: scalars,
                        ..cursor
                    }));
                    return Ok(());
                }
            }
        }
        self.push(Task::Items(Cursor {
            pos: pos + 1,
            ..cursor
        }));
        self.push_child(&cursor, obj);
        Ok(())
    }

    /// Writes the items from the cursor up to `end` that are scalars never
    /// memoized (ints and floats) straight out, as `save_node`
    /// would one task at a time; stops at the first other item. Returns
    /// where it stopped. Not when a `persistent_id` hook must see each node.
    fn save_scalars(
        &mut self,
        graph: &Graph<'v, 'de>,
        cursor: &Cursor,
        obj: &Object<'_>,
        end: usize,
    ) -> Result<usize> {
        let mut pos = cursor.pos;
        if cursor.src != Src::Items || self.core.persistent_id.is_some() {
            return Ok(pos);
        }
        while pos < end {
            let Some((item, None)) = cursor.src.get(obj, pos) else {
                break;
            };
            let written = match graph.get(item) {
                Object::Int(i) => {
                    let i = *i;
                    self.core.framer.opcode_boundary()?;
                    self.emit(|out, proto| encode::int(out, proto, i))?;
                    true
                }
                Object::Float(x) => {
                    let x = *x;
                    self.core.framer.opcode_boundary()?;
                    self.core.write_float(x);
                    true
                }
                _ => false,
            };
            if !written {
                break;
            }
            pos += 1;
        }
        Ok(pos)
    }

    /// Pushes the save of the item (or key and value) at the cursor.
    fn push_child(&mut self, cursor: &Cursor, obj: &Object<'_>) {
        let g = cursor.g;
        match cursor.src.get(obj, cursor.pos) {
            Some((item, None)) => self.push_save(Item::Node {
                g,
                id: item,
                role: cursor.role,
            }),
            Some((key, Some(value))) => {
                self.push_save(node(g, value));
                self.push_save(Item::Node {
                    g,
                    id: key,
                    role: cursor.role,
                });
            }
            None => {}
        }
    }

    // ---- globals --------------------------------------------------------

    fn save_global(&mut self, module: &str, name: &str, node: Option<(GraphIx, Id)>) -> Result<()> {
        let (module, name) = object_name(module, name);
        if let Some(index) = self.core.memo.get_global(module, name) {
            if let Some((g, id)) = node {
                self.core.memo.alias(Key::Node(g, id), index);
            }
            self.write_get(index);
            return Ok(());
        }
        if name.split('.').any(|part| part == "<locals>") {
            return Err(unpicklable(format!(
                "Can't pickle local object {module}.{name}"
            )));
        }
        if self.core.proto >= 2 {
            if let Some(code) = self.extension_code(module, name)? {
                // Not memoized: the code is as short as a memo GET.
                self.emit(|out, _| {
                    encode::ext(out, code);
                    Ok(())
                })?;
                return Ok(());
            }
        }
        let put = Box::new(GlobalPut {
            module: module.to_owned(),
            name: name.to_owned(),
            node,
        });
        if self.core.proto >= 4 {
            self.push(Task::MemoPutGlobal(put));
            self.push(Task::Op(Opcode::StackGlobal));
            // The qualname of a type or function written in C is a fresh str,
            // not the interned module name (datetime.datetime, array.array,
            // time.time); that of a Python class or function is interned.
            // Only equal texts can tell, so guess C when they are equal.
            self.push_save(if name == module {
                Item::TempStr(name.into())
            } else {
                Item::Name(Space::Interned, name.into())
            });
            self.push_save(Item::Name(module_space(module, name), module.into()));
            return Ok(());
        }
        if let Some((parent, last)) = name.rsplit_once('.') {
            // An empty part names no attribute: CPython cannot look such an
            // object up to pickle it, and GLOBAL cannot name an empty parent.
            if name.split('.').any(str::is_empty) {
                return Err(unpicklable(format!(
                    "Can't pickle {module}.{name}: it's not found as {module}.{name}"
                )));
            }
            // A nested qualname cannot be named by GLOBAL: getattr(parent, last).
            self.push(Task::MemoPutGlobal(put));
            self.push(Task::Op(Opcode::Reduce));
            self.push_save(tuple([global(module, parent), Item::TempStr(last.into())]));
            self.push_save(global("builtins", "getattr"));
            return Ok(());
        }
        let (module_text, name_text) = if self.core.fix_imports {
            compat::to_python2(module, name).unwrap_or((module, name))
        } else {
            (module, name)
        };
        for (what, text) in [("module", module_text), ("global", name_text)] {
            if text.contains('\n') || (self.core.proto < 3 && !text.is_ascii()) {
                return Err(unpicklable(format!(
                    "can't pickle {what} identifier '{text}' using pickle protocol {}",
                    self.core.proto
                )));
            }
        }
        self.core.framer.op(Opcode::Global);
        for text in [module_text, name_text] {
            self.core.framer.write(text.as_bytes());
            self.core.framer.write(b"\n");
        }
        let index = self.core.memo.put_global(module, name)?;
        if let Some((g, id)) = node {
            self.core.memo.alias(Key::Node(g, id), index);
        }
        self.write_put(index);
        Ok(())
    }

    /// The extension code registered for `module.name`, if any.
    fn extension_code(&self, module: &str, name: &str) -> Result<Option<u32>> {
        let Some(&code) = self
            .core
            .extensions
            .get(module)
            .and_then(|names| names.get(name))
        else {
            return Ok(None);
        };
        match u32::try_from(code) {
            Ok(code) if code > 0 => Ok(Some(code)),
            _ => Err(unpicklable(format!(
                "Can't pickle {module}.{name}: extension code {code} is out of range"
            ))),
        }
    }

    // ---- instances ------------------------------------------------------

    fn save_instance(
        &mut self,
        g: GraphIx,
        id: Id,
        inst: &Instance,
        graph: &Value<'_>,
    ) -> Result<()> {
        self.active.enter(g, id, "instance")?;
        self.push(Task::Leave(g, id));
        let key = Key::Node(g, id);
        let args_empty = matches!(graph.get(inst.args), Object::Tuple(v) if v.is_empty());
        let kwargs = inst
            .kwargs
            .filter(|&k| !matches!(graph.get(k), Object::Dict(pairs) if pairs.is_empty()));
        let form = match inst.construct {
            Construct::NewObj => Form::NewObj,
            // `object.__reduce_ex__` uses NEWOBJ when the keyword arguments are empty.
            Construct::NewObjEx if kwargs.is_some() => Form::NewObjEx,
            Construct::NewObjEx => Form::NewObj,
            // CPython re-dumps a plain instance built by INST/OBJ with NEWOBJ.
            Construct::Inst | Construct::Obj if args_empty => Form::NewObj,
            Construct::Inst | Construct::Obj | Construct::Reduce => Form::Reduce,
        };
        let class = node(g, inst.class);
        let args = Item::TupleCopy(g, inst.args);
        match (form, kwargs) {
            (Form::Reduce, _) => self.push_reduce(class, args, key, true),
            // copyreg._reduce_ex: what protocols 0 and 1 write for a plain instance.
            // It ignores __getnewargs__ (and __getnewargs_ex__), and refuses
            // the `(dict, slots)` state of a class with __slots__.
            _ if self.core.proto < 2 && is_slots_state(graph, inst.state) => {
                return Err(unpicklable(format!(
                    "a class that defines __slots__ without defining __getstate__ cannot be \
                     pickled with protocol {} (its state is a (dict, slots) pair)",
                    self.core.proto
                )));
            }
            _ if self.core.proto < 2 => {
                let args = tuple([class, global("builtins", "object"), Item::None]);
                self.push_reduce(global("copyreg", "_reconstructor"), args, key, true);
            }
            (Form::NewObjEx, Some(kwargs)) if self.core.proto >= 4 => {
                self.push(Task::EndReduce {
                    key,
                    instance: true,
                });
                self.push(Task::Op(Opcode::NewObjEx));
                self.push_save(Item::Node {
                    g,
                    id: kwargs,
                    role: Role::State,
                });
                self.push_save(args);
                self.push_save(class);
            }
            (Form::NewObjEx, Some(kwargs)) => self.push_partial_new(g, id, inst, kwargs, graph)?,
            (Form::NewObj | Form::NewObjEx, _) => {
                self.push(Task::EndReduce {
                    key,
                    instance: true,
                });
                self.push(Task::Op(Opcode::NewObj));
                self.push_save(args);
                self.push_save(class);
            }
        }
        Ok(())
    }

    /// NEWOBJ_EX below protocol 4, as CPython writes it:
    /// `functools.partial(cls.__new__, cls, *args, **kwargs)()`.
    fn push_partial_new(
        &mut self,
        g: GraphIx,
        id: Id,
        inst: &Instance,
        kwargs: Id,
        graph: &Value<'_>,
    ) -> Result<()> {
        let Object::Global(class) = graph.get(inst.class) else {
            return Err(unpicklable(
                "an instance created with keyword arguments (NEWOBJ_EX) is written below \
                 protocol 4 as functools.partial(cls.__new__, ...), which needs its class \
                 to be a global",
            ));
        };
        let Object::Tuple(args) = graph.get(inst.args) else {
            return Err(unpicklable(
                "the positional arguments of a NEWOBJ_EX instance must be a tuple",
            ));
        };
        let new = || global(&class.module, &format!("{}.__new__", class.name));
        let partial_args: Vec<Item> = std::iter::once(node(g, inst.class))
            .chain(args.iter().map(|&arg| node(g, arg)))
            .collect();
        // partial.__reduce__: (partial, (func,), (func, args, keywords, None)).
        let state = tuple([
            new(),
            Item::Tuple(partial_args.into_boxed_slice()),
            Item::Node {
                g,
                id: kwargs,
                role: Role::State,
            },
            Item::None,
        ]);
        // Pushed in reverse: partial object, BUILD, then the call.
        self.push(Task::EndReduce {
            key: Key::Node(g, id),
            instance: true,
        });
        self.push(Task::Op(Opcode::Reduce));
        self.push_save(tuple([]));
        self.push(Task::Op(Opcode::Build));
        self.push_save(state);
        self.push_reduce(
            global("functools", "partial"),
            tuple([new()]),
            Key::Temp,
            false,
        );
        Ok(())
    }

    fn end_reduce(&mut self, key: Key, instance: bool) -> Result<()> {
        if let Some(index) = self.core.memo.get(key) {
            // Saving the arguments saved the object itself: drop the result
            // and fetch that copy instead.
            self.core.framer.op(Opcode::Pop);
            self.write_get(index);
            return Ok(());
        }
        self.memo_put(key)?;
        if let (true, Key::Node(g, id)) = (instance, key) {
            self.push_instance_items(g, id);
        }
        Ok(())
    }

    /// What is applied to an instance once it exists: its list items, dict items and state.
    fn push_instance_items(&mut self, g: GraphIx, id: Id) {
        let graph = self.graph(g);
        let Object::Instance(inst) = graph.get(id).as_pickled() else {
            return;
        };
        // Pushed in reverse: list items, dict items, then BUILD.
        if let Some(state) = inst.state {
            let no_state = match graph.get(state) {
                Object::None => true,
                // `object.__getstate__` gives None for an empty `__dict__`;
                // a custom `__reduce__` gives what it returns.
                Object::Dict(pairs) => pairs.is_empty() && reduces_as_object(&graph, inst),
                _ => false,
            };
            if !no_state {
                self.push(Task::Op(Opcode::Build));
                self.push_save(Item::Node {
                    g,
                    id: state,
                    role: Role::State,
                });
            }
        }
        let (dict_mode, list_mode) = if self.core.proto == 0 {
            (Mode::Each(Opcode::SetItem), Mode::Each(Opcode::Append))
        } else {
            (
                Mode::Batch {
                    close: Opcode::SetItems,
                    single: Some(Opcode::SetItem),
                    again_after_full: false,
                },
                Mode::Batch {
                    close: Opcode::Appends,
                    single: Some(Opcode::Append),
                    again_after_full: false,
                },
            )
        };
        let (dict_len, list_len) = (inst.dict_items.len(), inst.list_items.len());
        self.push_items(g, id, Src::InstanceDict, dict_len, dict_mode, Role::Plain);
        self.push_items(g, id, Src::InstanceList, list_len, list_mode, Role::Plain);
    }
}
