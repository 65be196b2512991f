//! The object graph: everything a pickle can hold, with identity and cycles.
//!
//! A pickle describes a graph, not a tree: the memo lets one object be
//! referenced many times, and a list can contain itself. [`Value`] keeps that
//! shape. It is an arena of [`Object`]s addressed by [`Id`]; a container holds
//! the `Id`s of its items, so an object referenced twice is one `Id` used twice,
//! and a cycle is just an `Id` that leads back to itself.
//!
//! Because nodes live in one `Vec`, dropping, cloning and moving a graph never
//! recurse, however deep the nesting. Equality and `Debug` walk the graph with
//! an explicit stack for the same reason.
//!
//! ```
//! use pickle_core::value::{Object, Value};
//!
//! // a = [1]; b = [a, a]
//! let mut v = Value::new();
//! let one = v.add(Object::Int(1));
//! let a = v.add(Object::List(vec![one]));
//! let b = v.add(Object::List(vec![a, a]));
//! v.set_root(b);
//!
//! let items: Vec<_> = v.root_node().items().unwrap().map(|n| n.id()).collect();
//! assert_eq!(items, [a, a]); // one object, referenced twice
//! assert_eq!(format!("{v:?}"), "[[1], [1]]");
//! ```

use std::borrow::Cow;

use num_bigint::BigInt;

mod eq;
mod fmt;
mod native;
mod node;

pub use native::Native;
pub(crate) use native::{debug_as, DebugFn};
pub use node::Node;

/// The address of one object in a [`Value`].
///
/// An `Id` is only meaningful for the graph that issued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(u32);

impl Id {
    /// The position of this object in its graph's arena.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The `Id` at position `index`, for the unpickler's compact memo.
    #[inline]
    pub(crate) fn from_index(index: u32) -> Id {
        Id(index)
    }
}

/// A graph of Python objects, as a pickle holds them, with one root.
///
/// `'de` is the lifetime of the input when strings and bytes are borrowed from
/// it; [`Value::into_owned`] detaches the graph from its input.
#[derive(Clone, Default)]
pub struct Value<'de> {
    objects: Vec<Object<'de>>,
    root: Option<Id>,
}

/// One Python object. Containers refer to their items by [`Id`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Object<'de> {
    /// `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// An int that fits in an `i64`.
    Int(i64),
    /// An int outside the `i64` range. Smaller ints are always [`Object::Int`].
    BigInt(Box<BigInt>),
    /// A float.
    Float(f64),
    /// A complex number.
    Complex(Complex),
    /// A str.
    Str(Cow<'de, str>),
    /// bytes.
    Bytes(Cow<'de, [u8]>),
    /// A bytearray.
    ///
    /// Borrowed from the input when the pickle holds it whole (BYTEARRAY8
    /// read from memory), as `bytes` are.
    ByteArray(Cow<'de, [u8]>),
    /// A list.
    List(Vec<Id>),
    /// A tuple.
    Tuple(Vec<Id>),
    /// A dict, as key/value pairs in insertion order.
    ///
    /// Pairs are kept as written: a crafted pickle that sets one key twice
    /// keeps both pairs (Python would keep the last value at the first
    /// position). [`Node::get`] returns the last match, as Python would.
    Dict(Vec<(Id, Id)>),
    /// A set, in the order written.
    Set(Vec<Id>),
    /// A frozenset, in the order written.
    FrozenSet(Vec<Id>),
    /// A reference to a global: a class, function or other module attribute.
    Global(Box<Global<'de>>),
    /// An object the pickle names by persistent id; the `Id` is the persistent id itself.
    PersistentId(Id),
    /// A protocol-5 buffer (`pickle.PickleBuffer`).
    Buffer(Box<Buffer<'de>>),
    /// An instance built by calling or instantiating something the graph cannot
    /// turn into a builtin kind: kept inert, with everything needed to write it back.
    Instance(Box<Instance>),
    /// An instance of a class registered in the unpickler's
    /// [`Registry`](crate::registry::Registry), with the Rust value read from it.
    ///
    /// The instance is kept and stays the source of truth: the pickler
    /// writes it, equality compares it, and a [`Node`] reads it (so typed
    /// reads work on a native as on the instance). The Rust value is a typed
    /// view: [`Node::downcast_ref`], [`Native::downcast_ref`]. `Debug` shows
    /// the Rust value.
    Native(Box<Native>),
}

/// A complex number, `complex(re, im)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Complex {
    /// The real part.
    pub re: f64,
    /// The imaginary part.
    pub im: f64,
}

/// A reference to a module attribute, `module.qualname`, as GLOBAL and STACK_GLOBAL name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Global<'de> {
    /// The module, for example `collections`.
    pub module: Cow<'de, str>,
    /// The qualified name within the module, for example `OrderedDict` or
    /// `Outer.Inner` (which protocols 0–3 write as `getattr(Outer, 'Inner')`).
    pub name: Cow<'de, str>,
}

/// A protocol-5 buffer: the data of a `pickle.PickleBuffer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buffer<'de> {
    /// The bytes.
    pub data: Cow<'de, [u8]>,
    /// Whether the buffer is read-only (READONLY_BUFFER, or a `bytes`-backed buffer).
    pub readonly: bool,
}

/// How an opaque [`Instance`] was created in the pickle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Construct {
    /// `cls.__new__(cls, *args)`: NEWOBJ, or `copyreg._reconstructor(cls, object, None)`.
    NewObj,
    /// `cls.__new__(cls, *args, **kwargs)`: NEWOBJ_EX, or
    /// `functools.partial(cls.__new__, cls, *args, **kwargs)()` below protocol 4.
    NewObjEx,
    /// `callable(*args)`: REDUCE.
    Reduce,
    /// INST: a class named inline, called with the items above the mark.
    Inst,
    /// OBJ: the class above the mark, called with the items after it.
    Obj,
}

/// An object the graph keeps inert: its class, how it was built, and what was applied to it.
///
/// Nothing is ever called. Writing the graph back reproduces the same calls.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// The class or callable, usually an [`Object::Global`].
    pub class: Id,
    /// How the object was created.
    pub construct: Construct,
    /// The positional arguments, a [`Object::Tuple`].
    pub args: Id,
    /// The keyword arguments for [`Construct::NewObjEx`], a [`Object::Dict`].
    pub kwargs: Option<Id>,
    /// The state applied by BUILD (`__setstate__` or `__dict__` update).
    pub state: Option<Id>,
    /// Items appended by APPEND/APPENDS (`obj.append`/`obj.extend`).
    pub list_items: Vec<Id>,
    /// Items set by SETITEM/SETITEMS (`obj[key] = value`).
    pub dict_items: Vec<(Id, Id)>,
}

impl Instance {
    /// An instance created by `construct` from `class` with positional `args`, with nothing applied yet.
    pub fn new(class: Id, construct: Construct, args: Id) -> Instance {
        Instance {
            class,
            construct,
            args,
            kwargs: None,
            state: None,
            list_items: Vec::new(),
            dict_items: Vec::new(),
        }
    }
}

impl<'de> Object<'de> {
    /// The Python type name of this object, for messages: `int`, `list`, `instance`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::None => "NoneType",
            Object::Bool(_) => "bool",
            Object::Int(_) | Object::BigInt(_) => "int",
            Object::Float(_) => "float",
            Object::Complex(_) => "complex",
            Object::Str(_) => "str",
            Object::Bytes(_) => "bytes",
            Object::ByteArray(_) => "bytearray",
            Object::List(_) => "list",
            Object::Tuple(_) => "tuple",
            Object::Dict(_) => "dict",
            Object::Set(_) => "set",
            Object::FrozenSet(_) => "frozenset",
            Object::Global(_) => "global",
            Object::PersistentId(_) => "persistent id",
            Object::Buffer(_) => "PickleBuffer",
            Object::Instance(_) | Object::Native(_) => "instance",
        }
    }

    /// The object as the pickle holds it: for an [`Object::Native`], the
    /// [`Object::Instance`] it was read from; any other object is itself.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pickle_core::value::{Construct, Instance, Native, Object, Value};
    ///
    /// let mut v = Value::new();
    /// let class = v.add(Object::global("m", "C"));
    /// let args = v.add(Object::Tuple(vec![]));
    /// let native = Object::Native(Box::new(Native::new(Arc::new(1_u8), Instance::new(class, Construct::NewObj, args))));
    /// assert!(matches!(native.as_pickled(), Object::Instance(i) if i.class == class));
    /// assert!(matches!(Object::Int(1).as_pickled(), Object::Int(1)));
    /// ```
    pub fn as_pickled(&self) -> &Object<'de> {
        match self {
            Object::Native(native) => native.original(),
            other => other,
        }
    }

    /// An int object: [`Object::Int`] when it fits in an `i64`, else [`Object::BigInt`].
    pub fn int(n: BigInt) -> Object<'de> {
        match i64::try_from(&n) {
            Ok(small) => Object::Int(small),
            Err(_) => Object::BigInt(Box::new(n)),
        }
    }

    /// A [`Object::Global`] for `module.name`.
    pub fn global(module: impl Into<Cow<'de, str>>, name: impl Into<Cow<'de, str>>) -> Object<'de> {
        Object::Global(Box::new(Global {
            module: module.into(),
            name: name.into(),
        }))
    }

    /// This object with borrowed data copied, so it no longer borrows the input.
    pub fn into_owned(self) -> Object<'static> {
        match self {
            Object::None => Object::None,
            Object::Bool(b) => Object::Bool(b),
            Object::Int(i) => Object::Int(i),
            Object::BigInt(i) => Object::BigInt(i),
            Object::Float(f) => Object::Float(f),
            Object::Complex(c) => Object::Complex(c),
            Object::Str(s) => Object::Str(Cow::Owned(s.into_owned())),
            Object::Bytes(b) => Object::Bytes(Cow::Owned(b.into_owned())),
            Object::ByteArray(b) => Object::ByteArray(Cow::Owned(b.into_owned())),
            Object::List(v) => Object::List(v),
            Object::Tuple(v) => Object::Tuple(v),
            Object::Dict(v) => Object::Dict(v),
            Object::Set(v) => Object::Set(v),
            Object::FrozenSet(v) => Object::FrozenSet(v),
            Object::Global(g) => Object::Global(Box::new(Global {
                module: Cow::Owned(g.module.into_owned()),
                name: Cow::Owned(g.name.into_owned()),
            })),
            Object::PersistentId(id) => Object::PersistentId(id),
            Object::Buffer(b) => Object::Buffer(Box::new(Buffer {
                data: Cow::Owned(b.data.into_owned()),
                readonly: b.readonly,
            })),
            Object::Instance(i) => Object::Instance(i),
            Object::Native(n) => Object::Native(n),
        }
    }

    /// Calls `f` with every `Id` this object refers to, in pickling order.
    pub fn for_each_child(&self, mut f: impl FnMut(Id)) {
        match self {
            Object::List(v) | Object::Tuple(v) | Object::Set(v) | Object::FrozenSet(v) => {
                v.iter().copied().for_each(f)
            }
            Object::Dict(pairs) => pairs.iter().for_each(|&(k, v)| {
                f(k);
                f(v)
            }),
            Object::PersistentId(pid) => f(*pid),
            Object::Native(native) => native.original().for_each_child(f),
            Object::Instance(inst) => {
                f(inst.class);
                f(inst.args);
                inst.kwargs.into_iter().for_each(&mut f);
                inst.list_items.iter().copied().for_each(&mut f);
                inst.dict_items.iter().for_each(|&(k, v)| {
                    f(k);
                    f(v)
                });
                inst.state.into_iter().for_each(f);
            }
            _ => {}
        }
    }
}

impl<'de> Value<'de> {
    /// An empty graph, with no root yet.
    pub fn new() -> Value<'de> {
        Value::default()
    }

    /// An empty graph with room for `n` objects.
    pub fn with_capacity(n: usize) -> Value<'de> {
        Value {
            objects: Vec::with_capacity(n),
            root: None,
        }
    }

    /// Returns unused room in the arena to the allocator.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.objects.shrink_to_fit();
    }

    /// Reserves room for at least `n` more objects, if the allocator has it.
    pub(crate) fn try_reserve(&mut self, n: usize) {
        let _ = self.objects.try_reserve(n);
        crate::pages::advise(&mut self.objects);
    }

    /// Reserves room for `n` more objects and no more, if the allocator has it.
    pub(crate) fn try_reserve_exact(&mut self, n: usize) {
        let _ = self.objects.try_reserve_exact(n);
        crate::pages::advise(&mut self.objects);
    }

    /// A graph holding the single object `object`, which is the root.
    pub fn from_object(object: Object<'de>) -> Value<'de> {
        let mut v = Value::new();
        let id = v.add(object);
        v.set_root(id);
        v
    }

    /// Adds an object and returns its `Id`.
    ///
    /// # Panics
    /// If the graph already holds `u32::MAX` objects. The unpickler's
    /// [`Limits`](crate::Limits) keep loads far below that.
    #[inline]
    pub fn add(&mut self, object: Object<'de>) -> Id {
        let id =
            Id(u32::try_from(self.objects.len()).expect("graph holds at most u32::MAX objects"));
        if self.objects.len() == self.objects.capacity() {
            self.grow();
        }
        self.objects.push(object);
        id
    }

    /// Makes room for more objects: doubling while the arena is small, then
    /// by a quarter, so that a big graph does not hold up to twice the room
    /// it needs. (A block that big is its own mapping, which grows in place.)
    #[cold]
    fn grow(&mut self) {
        const BIG: usize = 1 << 17;
        let len = self.objects.len();
        let more = if len < BIG { len.max(64) } else { len / 4 };
        self.objects.reserve_exact(more);
        crate::pages::advise(&mut self.objects);
    }

    /// The object at `id`.
    ///
    /// # Panics
    /// If `id` was not issued by this graph. See [`Value::try_get`].
    #[inline]
    pub fn get(&self, id: Id) -> &Object<'de> {
        &self.objects[id.index()]
    }

    /// The object at `id`, or `None` if this graph has no such object.
    #[inline]
    pub fn try_get(&self, id: Id) -> Option<&Object<'de>> {
        self.objects.get(id.index())
    }

    /// The object at `id`, mutably.
    ///
    /// # Panics
    /// If `id` was not issued by this graph.
    #[inline]
    pub fn get_mut(&mut self, id: Id) -> &mut Object<'de> {
        &mut self.objects[id.index()]
    }

    /// The root object's `Id`.
    ///
    /// # Panics
    /// If no root was set. Graphs returned by the unpickler always have one.
    pub fn root(&self) -> Id {
        self.root
            .expect("the graph has no root; call Value::set_root")
    }

    /// The root object's `Id`, if a root was set.
    pub fn try_root(&self) -> Option<Id> {
        self.root
    }

    /// Makes `id` the root.
    pub fn set_root(&mut self, id: Id) {
        self.root = Some(id);
    }

    /// A navigable view of the object at `id`.
    pub fn node(&self, id: Id) -> Node<'_, 'de> {
        Node::new(self, id)
    }

    /// A navigable view of the root.
    pub fn root_node(&self) -> Node<'_, 'de> {
        self.node(self.root())
    }

    /// How many objects the graph holds, reachable or not.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the graph holds no objects.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// All objects with their `Id`s, in the order they were added.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Id, &Object<'de>)> + '_ {
        self.objects
            .iter()
            .enumerate()
            .map(|(i, o)| (Id(i as u32), o))
    }

    /// The graph with every borrowed string and byte string copied.
    pub fn into_owned(self) -> Value<'static> {
        Value {
            objects: self.objects.into_iter().map(Object::into_owned).collect(),
            root: self.root,
        }
    }

    /// Whether every `Id` in the graph (and the root) refers to an object of this graph.
    ///
    /// Graphs from the unpickler always are; the pickler checks hand-built graphs.
    pub fn is_well_formed(&self) -> bool {
        let n = self.objects.len();
        let ok = |id: Id| id.index() < n;
        self.root.is_none_or(ok)
            && self.objects.iter().all(|o| {
                let mut all = true;
                o.for_each_child(|c| all &= ok(c));
                all
            })
    }

    pub(crate) fn objects_mut(&mut self) -> &mut Vec<Object<'de>> {
        &mut self.objects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_is_send_sync_and_objects_are_compact() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Value<'static>>();
        assert!(std::mem::size_of::<Object<'static>>() <= 32);
    }

    #[test]
    fn million_deep_nesting_drops_clones_compares_and_formats_without_overflow() {
        let mut v = Value::new();
        let mut inner = v.add(Object::List(vec![]));
        for _ in 0..1_000_000 {
            inner = v.add(Object::List(vec![inner]));
        }
        v.set_root(inner);
        let w = v.clone();
        assert_eq!(v, w);
        let text = format!("{v:?}");
        assert!(text.starts_with("[[[["));
        drop(v);
        drop(w);
    }

    #[test]
    fn int_normalizes_to_i64_when_it_fits() {
        assert!(matches!(Object::int(BigInt::from(5)), Object::Int(5)));
        assert!(matches!(
            Object::int(BigInt::from(u64::MAX)),
            Object::BigInt(_)
        ));
    }

    #[test]
    fn well_formed_rejects_dangling_ids() {
        let mut v = Value::new();
        let l = v.add(Object::List(vec![Id(7)]));
        v.set_root(l);
        assert!(!v.is_well_formed());
    }
}
