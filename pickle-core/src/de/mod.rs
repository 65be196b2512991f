//! Reading Rust values from pickles: [`FromPickle`].
//!
//! The unpickler first loads the pickle into a [`Value`] graph (nothing is
//! executed); a [`FromPickle`] type then reads itself from a [`Node`] of that
//! graph, as a Python class's `__setstate__` would.
//!
//! ```
//! use pickle_core::de::{FromPickle, Node};
//!
//! struct Point { x: i64, y: i64 }
//!
//! impl<'de> FromPickle<'de> for Point {
//!     fn from_pickle(node: Node<'_, 'de>) -> pickle_core::Result<Self> {
//!         let obj = node.expect_instance(&[("geometry", "Point")])?;
//!         Ok(Point { x: obj.attr("x")?.extract()?, y: obj.attr("y")?.extract()? })
//!     }
//! }
//!
//! // pickle.dumps(p, protocol=2) for geometry.Point with x=1, y=2
//! let p: Point = pickle_core::de::from_slice(b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.")?;
//! assert_eq!((p.x, p.y), (1, 2));
//! # Ok::<(), pickle_core::Error>(())
//! ```
//!
//! # One read, one context
//!
//! A typed read of a whole pickle ([`from_slice`], [`crate::loads`],
//! [`FromPickle::from_value`]) carries a context through every [`Node`] it
//! hands out, as long as the parts are read with [`Node::extract`]. The
//! context does two things:
//!
//! - **identity**: [`Node::shared`] builds one value per Python object and
//!   hands out clones afterwards, so two references to one object in the
//!   pickle load as two `Rc`s (or `Arc`s) of one allocation;
//! - **depth**: reads nested more than [`MAX_DEPTH`] levels of
//!   [`Node::extract`] deep, or using more than [`STACK_BUDGET`] bytes of
//!   stack, fail with a [`StackLimit`](crate::ErrorKind::StackLimit) error
//!   instead of overflowing the stack (a list nested a million deep read as
//!   a recursive type);
//! - **expansion**: see below.
//!
//! # Expansion
//!
//! A graph is small even when the tree it stands for is not: through the
//! memo, `a = [x] * 10; b = [a] * 10; c = [b] * 10; …` thirty levels deep is
//! a pickle of a few hundred bytes and a [`Value`] of a few dozen objects,
//! but a tree of 10³⁰ nodes. A typed read builds that tree (a
//! `Vec<Vec<…>>` copies every shared list), so each read counts the nodes
//! [`Node::extract`] visits and fails with an
//! [`ExpansionLimit`](crate::ErrorKind::ExpansionLimit) error past
//! [`EXPANSION_FACTOR`] × (objects + references in the graph), and never
//! below [`EXPANSION_FLOOR`] visits. A graph read as a tree without sharing
//! visits each object once per reference to it, so that bound only stops
//! graphs whose shared parts are themselves shared, level after level.
//! (`Rc` and `Arc` read with [`Node::shared`] are built once and count once.)
//! The size of the graph is only measured once a read passes the floor, so
//! small reads cost nothing.
//!
//! ```
//! use pickle_core::de::{FromPickle, Node};
//! use pickle_core::{ErrorKind, Value};
//!
//! /// None, or a list of trees.
//! struct Tree(Vec<Tree>);
//!
//! impl<'de> FromPickle<'de> for Tree {
//!     fn from_pickle(node: Node<'_, 'de>) -> pickle_core::Result<Self> {
//!         if node.is_none() {
//!             return Ok(Tree(Vec::new()));
//!         }
//!         Ok(Tree(node.extract()?))
//!     }
//! }
//!
//! // x = None; a = [x] * 10; b = [a] * 10; ... 30 levels deep: 872 bytes.
//! let mut data = b"\x80\x02N".to_vec();
//! for _ in 0..30 {
//!     data.extend_from_slice(b"q\x000]("); // memo[0] = top; pop; new list
//!     data.extend_from_slice(&b"h\x00".repeat(10));
//!     data.extend_from_slice(b"e");
//! }
//! data.push(b'.');
//! let graph: Value = pickle_core::loads(&data)?; // at once: 31 objects
//! assert_eq!(graph.len(), 31);
//! let e = graph.root_node().extract::<Tree>().err().unwrap();
//! assert_eq!(e.kind(), ErrorKind::ExpansionLimit);
//! // A tree that fits reads in full.
//! let small: Value = pickle_core::loads(b"\x80\x02Nq\x000](h\x00h\x00e.")?;
//! assert_eq!(small.root_node().extract::<Tree>()?.0.len(), 2);
//! # Ok::<(), pickle_core::Error>(())
//! ```
//!
//! # Errors
//!
//! A read that finds another kind of object than it needs returns an error of
//! kind [`TypeMismatch`](crate::ErrorKind::TypeMismatch), `expected int, found str`.
//! Containers say where: the standard impls wrap their items' errors with
//! [`Error::in_index`] and [`Error::in_key`], and `#[derive(Pickle)]` wraps
//! fields with [`Error::in_field`], so the message reads
//! `Outer.items[3].a: expected int, found str`.

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::depth;
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Global, Id, Instance, Object, Value};

pub use crate::depth::{MAX_DEPTH, STACK_BUDGET};

/// A typed read may visit this many nodes per object and reference of its
/// graph (see [the module docs](crate::de#expansion)).
pub const EXPANSION_FACTOR: u64 = 16;

/// A typed read may always visit this many nodes, however small its graph.
pub const EXPANSION_FLOOR: u64 = 1 << 20;

/// How many nodes a typed read of `graph` may visit.
fn expansion_limit(graph: &Value<'_>) -> u64 {
    let mut size = graph.len() as u64;
    for (_, object) in graph.iter() {
        object.for_each_child(|_| size += 1);
    }
    size.saturating_mul(EXPANSION_FACTOR).max(EXPANSION_FLOOR)
}

pub use crate::value::Node;

#[doc(hidden)]
pub mod direct;
pub(crate) mod impls;
#[cfg(test)]
mod tests;

/// A Rust value that can be read from one Python object of a loaded graph.
///
/// `'de` is the lifetime of the pickle's bytes: types such as `&'de str` and
/// `Cow<'de, str>` may borrow from them.
///
/// Implementations read their parts with [`Node::extract`] (not by calling
/// `from_pickle` directly), which keeps shared objects shared and bounds the depth.
pub trait FromPickle<'de>: Sized {
    /// Reads `Self` from the object at `node`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self>;

    /// Reads `Self` from the root of a whole loaded graph.
    ///
    /// This is what [`crate::loads`] and [`Unpickler::loads`](crate::Unpickler::loads)
    /// call. The default reads the root with [`Node::extract`]; [`Value`]
    /// overrides it to return the graph itself.
    fn from_value(value: Value<'de>) -> Result<Self> {
        let root = value
            .try_root()
            .ok_or_else(|| Error::new(ErrorKind::TypeMismatch, "the graph has no root object"))?;
        value.node(root).extract()
    }

    /// Whether [`FromPickle::read_direct`] can read this type. Not an API:
    /// see [`direct`].
    #[doc(hidden)]
    const DIRECT: bool = false;

    /// Whether [`FromPickle::read_direct`] may take an object Python cannot
    /// hash (a list, a dict, a set, a bytearray), which the unpickler
    /// refuses as a dict's key or a set's item: the direct readers of maps
    /// and sets check such keys and items first. Not an API: see [`direct`].
    #[doc(hidden)]
    const UNHASHABLE: bool = false;

    /// Reads `Self` straight from the bytes, or `None` to leave the pickle
    /// to the graph path. Not an API: see [`direct`].
    #[doc(hidden)]
    fn read_direct<S: direct::Source<'de>>(r: &mut direct::Direct<'de, S>) -> Option<Self> {
        let _ = r;
        None
    }

    /// Reads one or more (at most `max`) consecutive items of a list into
    /// `out`, returning how many, or `None` as [`FromPickle::read_direct`].
    /// Types whose items come in runs (ints, floats) read a run at once. Not an
    /// API: see [`direct`].
    #[doc(hidden)]
    #[inline]
    fn read_direct_run<S: direct::Source<'de>>(
        r: &mut direct::Direct<'de, S>,
        out: &mut Vec<Self>,
        max: usize,
    ) -> Option<usize> {
        let _ = max;
        out.push(Self::read_direct(r)?);
        Some(1)
    }
}

/// Loads a pickle from `data` and reads a `T` from its root.
///
/// The same as [`crate::loads`]: with safe [`Limits`](crate::Limits), and
/// nothing in the pickle is executed.
pub fn from_slice<'de, T: FromPickle<'de>>(data: &'de [u8]) -> Result<T> {
    crate::Unpickler::new().loads(data)
}

// ---------------------------------------------------------------------------
// The context of one typed read.

/// Names one typed read; unique across threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReadId(u64);

static NEXT_READ: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The typed reads going on in this thread, innermost last. Nodes name
    /// their read by id, so that they stay `Send` and `Sync`: a node taken
    /// to another thread finds no read there and starts a new one.
    static READS: RefCell<Vec<Rc<Context>>> = const { RefCell::new(Vec::new()) };
}

/// What one typed read shares across the nodes it reads: the values built
/// for shared objects, and the nesting depth.
struct Context {
    id: ReadId,
    /// Values built by [`Node::shared`], by object and by the type built.
    shared: RefCell<HashMap<(Id, TypeId), Box<dyn Any>>>,
    /// The shared values being built: meeting one again is a cycle.
    building: RefCell<HashSet<(Id, TypeId)>>,
    depth: Cell<usize>,
    /// Where the stack was when the read began.
    stack_base: usize,
    /// Nodes visited by [`Node::extract`] so far.
    visits: Cell<u64>,
    /// [`expansion_limit`] of the graph, once the read passes [`EXPANSION_FLOOR`].
    max_visits: Cell<Option<u64>>,
}

impl Context {
    /// The read `id`, if it is going on in this thread.
    fn find(id: ReadId) -> Option<Rc<Context>> {
        READS
            .try_with(|reads| {
                reads
                    .borrow()
                    .iter()
                    .rev()
                    .find(|ctx| ctx.id == id)
                    .cloned()
            })
            .ok()
            .flatten()
    }

    /// Counts one more node visited, against the expansion budget.
    #[inline]
    fn visit(&self, graph: &Value<'_>) -> Result<()> {
        let visits = self.visits.get() + 1;
        self.visits.set(visits);
        if visits <= EXPANSION_FLOOR {
            return Ok(());
        }
        self.visit_past_floor(graph, visits)
    }

    #[inline(never)]
    fn visit_past_floor(&self, graph: &Value<'_>, visits: u64) -> Result<()> {
        let max = match self.max_visits.get() {
            Some(max) => max,
            None => {
                let max = expansion_limit(graph);
                self.max_visits.set(Some(max));
                max
            }
        };
        if visits > max {
            return Err(Error::new(
                ErrorKind::ExpansionLimit,
                format!(
                    "typed read visited more than {max} nodes of a graph of {} objects: \
                     shared objects expand into a tree too big to build",
                    graph.len()
                ),
            ));
        }
        Ok(())
    }

    #[inline]
    fn enter(&self) -> Result<DepthGuard<'_>> {
        let depth = self.depth.get();
        if !depth::may_nest(depth, self.stack_base) {
            return Err(Error::new(
                ErrorKind::StackLimit,
                format!(
                    "typed read nested too deep: {depth} levels (at most {MAX_DEPTH}, \
                     in at most {STACK_BUDGET} bytes of stack)"
                ),
            ));
        }
        self.depth.set(depth + 1);
        Ok(DepthGuard(self))
    }
}

struct DepthGuard<'c>(&'c Context);

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.0.depth.set(self.0.depth.get() - 1);
    }
}

/// Ends a read, however it ends.
struct ReadGuard;

impl Drop for ReadGuard {
    fn drop(&mut self) {
        let _ = READS.try_with(|reads| reads.borrow_mut().pop());
    }
}

/// Removes a value from the set being built, however its build ends.
struct BuildingGuard {
    ctx: Rc<Context>,
    key: (Id, TypeId),
}

impl Drop for BuildingGuard {
    fn drop(&mut self) {
        self.ctx.building.borrow_mut().remove(&self.key);
    }
}

// ---------------------------------------------------------------------------
// Typed reads on nodes.

impl<'v, 'de> Node<'v, 'de> {
    /// Reads a `T` from this object: `T::from_pickle(node)`, within the
    /// read this node belongs to (see [the module docs](crate::de)).
    ///
    /// ```
    /// // pickle.dumps([1, 2], protocol=2)
    /// let v: pickle_core::Value = pickle_core::loads(b"\x80\x02]q\x00(K\x01K\x02e.")?;
    /// let items: Vec<u8> = v.root_node().extract()?;
    /// assert_eq!(items, [1, 2]);
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn extract<T: FromPickle<'de>>(&self) -> Result<T> {
        match self.read().and_then(Context::find) {
            Some(ctx) => {
                ctx.visit(self.graph())?;
                let _depth = ctx.enter()?;
                T::from_pickle(*self)
            }
            None => self.extract_in_new_read(),
        }
    }

    /// The read this node is part of, if it is going on in this thread: for
    /// containers to look it up once for all their items.
    fn context(&self) -> Option<Rc<Context>> {
        self.read().and_then(Context::find)
    }

    /// [`Node::extract`] within `ctx`, [`Node::context`] of this node's container.
    fn extract_in<T: FromPickle<'de>>(&self, ctx: Option<&Rc<Context>>) -> Result<T> {
        match ctx {
            Some(ctx) => {
                ctx.visit(self.graph())?;
                let _depth = ctx.enter()?;
                T::from_pickle(*self)
            }
            None => self.extract(),
        }
    }

    /// [`Node::extract`] at the start of a read. Kept out of line: deep reads
    /// recurse through `extract`, and starting a read costs stack.
    #[inline(never)]
    fn extract_in_new_read<T: FromPickle<'de>>(&self) -> Result<T> {
        let id = ReadId(NEXT_READ.fetch_add(1, Ordering::Relaxed));
        let ctx = Rc::new(Context {
            id,
            shared: RefCell::new(HashMap::new()),
            building: RefCell::new(HashSet::new()),
            depth: Cell::new(0),
            stack_base: depth::stack_position(),
            visits: Cell::new(0),
            max_visits: Cell::new(None),
        });
        if READS
            .try_with(|reads| reads.borrow_mut().push(ctx))
            .is_err()
        {
            // In a thread-local destructor: read without a context.
            return T::from_pickle(*self);
        }
        let _read = ReadGuard;
        self.in_read(id).extract()
    }

    /// Builds a value once per Python object and type, and clones it for
    /// every other reference to the same object in this read.
    ///
    /// This is how `Rc<T>` and `Arc<T>` keep identity: one object referenced
    /// twice in the pickle is one allocation, `Rc::ptr_eq`. Use it for other
    /// shared-ownership types the same way. An object that contains itself
    /// cannot be built this way (the value would have to exist before its
    /// contents): that is an error, not an endless loop.
    ///
    /// Without a context (a node from [`Value::root_node`], read with
    /// `T::from_pickle` directly) nothing is shared; [`Node::extract`] always has one.
    pub fn shared<P: Clone + 'static>(&self, build: impl FnOnce() -> Result<P>) -> Result<P> {
        let Some(ctx) = self.read().and_then(Context::find) else {
            return build();
        };
        let key = (self.id(), TypeId::of::<P>());
        if let Some(found) = ctx.shared.borrow().get(&key) {
            if let Some(found) = found.downcast_ref::<P>() {
                return Ok(found.clone());
            }
        }
        if !ctx.building.borrow_mut().insert(key) {
            return Err(Error::new(
                ErrorKind::TypeMismatch,
                format!(
                    "{} contains itself, which {} cannot represent",
                    describe(self),
                    std::any::type_name::<P>()
                ),
            ));
        }
        let _building = BuildingGuard {
            ctx: Rc::clone(&ctx),
            key,
        };
        let value = build()?;
        ctx.shared.borrow_mut().insert(key, Box::new(value.clone()));
        Ok(value)
    }

    /// A [`TypeMismatch`](ErrorKind::TypeMismatch) error saying that
    /// `expected` was needed and this object was found: `expected int, found str`.
    pub fn type_error(&self, expected: impl fmt::Display) -> Error {
        Error::type_mismatch(expected, describe(self))
    }

    /// The instance at this node, if its class is one of `classes`, as
    /// `(module, qualname)` pairs: the names a Rust type accepts.
    ///
    /// Any instance of the class is accepted, however it was created
    /// (NEWOBJ, REDUCE, INST, `copyreg._reconstructor`).
    pub fn expect_instance(&self, classes: &[(&str, &str)]) -> Result<InstanceView<'v, 'de>> {
        let expected = || {
            let names: Vec<String> = classes.iter().map(|(m, q)| format!("{m}.{q}")).collect();
            names.join(" or ")
        };
        let Object::Instance(instance) = self.object() else {
            return Err(self.type_error(format!("{} instance", expected())));
        };
        let class = self.at(instance.class);
        match class.as_global() {
            Some(global)
                if classes
                    .iter()
                    .any(|&(m, q)| global.module == m && global.name == q) =>
            {
                Ok(InstanceView {
                    node: *self,
                    instance,
                    class: global,
                })
            }
            _ => Err(self.type_error(format!("{} instance", expected()))),
        }
    }
}

/// What a typed read found, for messages: `int`, `None`, `geometry.Point instance`.
pub(crate) fn describe(node: &Node<'_, '_>) -> String {
    match node.object() {
        Object::None => "None".to_owned(),
        Object::Instance(instance) => match node.at(instance.class).as_global() {
            Some(g) => format!("{}.{} instance", g.module, g.name),
            None => "instance".to_owned(),
        },
        Object::Global(g) => format!("global {}.{}", g.module, g.name),
        other => other.type_name().to_owned(),
    }
}

/// An instance of a known class, as [`Node::expect_instance`] found it: its
/// constructor arguments and its state, the way `__reduce__` wrote them.
///
/// The state of a plain class is its `__dict__`. A class with `__slots__`
/// has `(None, slots)` or `(dict, slots)`; [`InstanceView::attr`] looks in
/// both dicts, as `getattr` would. A `@dataclass(frozen=True, slots=True)`
/// has the list of its field values; see [`InstanceView::state_items`].
#[derive(Clone, Copy)]
pub struct InstanceView<'v, 'de> {
    node: Node<'v, 'de>,
    instance: &'v Instance,
    class: &'v Global<'de>,
}

impl<'v, 'de> InstanceView<'v, 'de> {
    /// The instance itself.
    pub fn node(&self) -> Node<'v, 'de> {
        self.node
    }

    /// The class, as `(module, qualname)`.
    pub fn class(&self) -> (&'v str, &'v str) {
        (&self.class.module, &self.class.name)
    }

    /// The arguments the instance was created with: `cls.__new__(cls, *args)`
    /// for NEWOBJ, `cls(*args)` for REDUCE (an enum member's value).
    ///
    /// A plain instance has none; at protocols 0 and 1 CPython writes none
    /// even for a class with `__getnewargs__`.
    pub fn args(&self) -> impl ExactSizeIterator<Item = Node<'v, 'de>> + 'v {
        let node = self.node;
        let ids: &'v [Id] = match node.at(self.instance.args).object() {
            Object::Tuple(items) => items,
            _ => &[],
        };
        ids.iter().map(move |&id| node.at(id))
    }

    /// Argument `index` of [`InstanceView::args`], or an error naming the class if there is none.
    pub fn arg(&self, index: usize) -> Result<Node<'v, 'de>> {
        self.args().nth(index).ok_or_else(|| {
            Error::new(
                ErrorKind::MissingAttribute,
                format!(
                    "{} instance was created with {} arguments; argument {index} is missing",
                    self.class_name(),
                    self.args().len()
                ),
            )
        })
    }

    /// The state BUILD applied, if any: usually the `__dict__`.
    pub fn state(&self) -> Option<Node<'v, 'de>> {
        self.instance.state.map(|id| self.node.at(id))
    }

    /// The items of the state, when it is a list: the field values, in
    /// declaration order, that `@dataclass(frozen=True, slots=True)`'s
    /// `__getstate__` returns. (A dataclass with slots that is not frozen has
    /// the `(None, slots)` state of any class with `__slots__`.)
    pub fn state_items(&self) -> Option<impl ExactSizeIterator<Item = Node<'v, 'de>> + 'v> {
        let state = self.state()?;
        match state.object() {
            Object::List(items) => Some(items.iter().map(move |&id| state.at(id))),
            _ => None,
        }
    }

    /// The dicts the attributes live in: the `__dict__` and the slots dict.
    fn dicts(&self) -> [Option<Node<'v, 'de>>; 2] {
        let Some(state) = self.state() else {
            return [None, None];
        };
        match state.object() {
            Object::Dict(_) => [Some(state), None],
            Object::Tuple(items) if items.len() == 2 => {
                let dict = |id: Id| {
                    let n = state.at(id);
                    matches!(n.object(), Object::Dict(_)).then_some(n)
                };
                [dict(items[0]), dict(items[1])]
            }
            _ => [None, None],
        }
    }

    /// The attribute `name`, or `None` if the state does not set it.
    pub fn attr_opt(&self, name: &str) -> Option<Node<'v, 'de>> {
        // Slots are set after the `__dict__`, and win, as data descriptors do.
        self.dicts()
            .into_iter()
            .flatten()
            .rev()
            .find_map(|dict| dict.get(name))
    }

    /// The attribute `name`, or a [`MissingAttribute`](ErrorKind::MissingAttribute)
    /// error naming the class and the attribute.
    pub fn attr(&self, name: &str) -> Result<Node<'v, 'de>> {
        self.attr_opt(name)
            .ok_or_else(|| Error::missing_attribute(self.class_name(), name))
    }

    /// Every attribute the state sets, as `(name, value)`, `__dict__` first,
    /// then slots. Keys that are not strs (which only a crafted pickle has)
    /// are left out. For `deny_unknown_fields`:
    /// [`Error::unknown_attribute`] names the first one a type does not know.
    pub fn attrs(&self) -> impl Iterator<Item = (&'v str, Node<'v, 'de>)> + 'v {
        self.dicts()
            .into_iter()
            .flatten()
            .flat_map(|dict| dict.pairs().into_iter().flatten())
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    /// Items appended to the instance (APPENDS), for subclasses of `list`.
    pub fn list_items(&self) -> impl ExactSizeIterator<Item = Node<'v, 'de>> + 'v {
        let node = self.node;
        self.instance.list_items.iter().map(move |&id| node.at(id))
    }

    /// Items set on the instance (SETITEMS), for subclasses of `dict`.
    pub fn dict_items(&self) -> impl ExactSizeIterator<Item = (Node<'v, 'de>, Node<'v, 'de>)> + 'v {
        let node = self.node;
        self.instance
            .dict_items
            .iter()
            .map(move |&(k, v)| (node.at(k), node.at(v)))
    }

    /// `module.qualname` of the class, for messages.
    pub fn class_name(&self) -> String {
        format!("{}.{}", self.class.module, self.class.name)
    }
}

impl fmt::Debug for InstanceView<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.node, f)
    }
}
