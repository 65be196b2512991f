//! A borrowed, navigable view of one object in a graph.

use std::any::Any;
use std::fmt;

use num_bigint::BigInt;

use super::{Global, Id, Instance, Native, Object, Value};
use crate::de::ReadId;

/// One object of a [`Value`], with the graph at hand so its items can be followed.
///
/// ```
/// let v: pickle_core::Value = pickle_core::loads(b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94]\x94(K\x01K\x02es.")?;
/// let a = v.root_node().get("a").unwrap();
/// let ints: Vec<i64> = a.items().unwrap().map(|n| n.as_i64().unwrap()).collect();
/// assert_eq!(ints, [1, 2]);
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Node<'v, 'de> {
    value: &'v Value<'de>,
    id: Id,
    /// The typed read this node is part of, if any: see [`Node::extract`].
    /// An id, not a reference, so that nodes stay `Send` and `Sync`.
    ctx: Option<ReadId>,
}

impl<'v, 'de> Node<'v, 'de> {
    pub(super) fn new(value: &'v Value<'de>, id: Id) -> Self {
        Node {
            value,
            id,
            ctx: None,
        }
    }

    /// This node as part of the typed read `read`.
    pub(crate) fn in_read(self, read: ReadId) -> Node<'v, 'de> {
        Node {
            ctx: Some(read),
            ..self
        }
    }

    /// The typed read this node is part of, if any.
    pub(crate) fn read(&self) -> Option<ReadId> {
        self.ctx
    }

    /// This object's `Id`: two nodes with the same `Id` are the same Python object.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The graph this node belongs to.
    pub fn graph(&self) -> &'v Value<'de> {
        self.value
    }

    /// The object itself, as the pickle holds it.
    ///
    /// For an [`Object::Native`] this is the [`Object::Instance`] it was
    /// read from (see [`Object::as_pickled`]): a node reads what the pickle
    /// holds, so every accessor and typed read ([`Node::extract`](Node::extract),
    /// [`Node::as_instance`]) sees a native as its instance. The native
    /// itself is `self.graph().get(self.id())`; its Rust value is
    /// [`Node::downcast_ref`].
    pub fn object(&self) -> &'v Object<'de> {
        self.value.get(self.id).as_pickled()
    }

    /// The native, if this object is an instance of a registered class that
    /// was read as a Rust value (see [`Registry`](crate::registry::Registry)).
    pub fn native(&self) -> Option<&'v Native> {
        match self.value.get(self.id) {
            Object::Native(native) => Some(native),
            _ => None,
        }
    }

    /// The Rust value read from this object, if it is a native of type `T`.
    ///
    /// ```
    /// use pickle_core::de::{FromPickle, Node};
    /// use pickle_core::registry::{PickleClass, Registry};
    /// use pickle_core::{Unpickler, Value};
    ///
    /// #[derive(Debug, PartialEq)]
    /// struct Point { x: i64, y: i64 }
    ///
    /// impl PickleClass for Point {
    ///     const CLASSES: &'static [(&'static str, &'static str)] = &[("geometry", "Point")];
    /// }
    ///
    /// impl<'de> FromPickle<'de> for Point {
    ///     fn from_pickle(node: Node<'_, 'de>) -> pickle_core::Result<Self> {
    ///         let obj = node.expect_instance(Point::CLASSES)?;
    ///         Ok(Point { x: obj.attr("x")?.extract()?, y: obj.attr("y")?.extract()? })
    ///     }
    /// }
    ///
    /// let mut registry = Registry::new();
    /// registry.register::<Point>()?;
    /// // pickle.dumps(p, protocol=2) for geometry.Point with x=1, y=2
    /// let data = b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.";
    /// let v: Value = Unpickler::new().registry(&registry).loads(data)?;
    /// assert_eq!(v.root_node().downcast_ref::<Point>(), Some(&Point { x: 1, y: 2 }));
    /// assert_eq!(v.root_node().downcast_ref::<String>(), None);
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn downcast_ref<T: Any>(&self) -> Option<&'v T> {
        self.native()?.downcast_ref()
    }

    /// Another object of the same graph, in the same typed read.
    pub(crate) fn at(&self, id: Id) -> Node<'v, 'de> {
        Node {
            value: self.value,
            id,
            ctx: self.ctx,
        }
    }

    /// Whether this is `None`.
    pub fn is_none(&self) -> bool {
        matches!(self.object(), Object::None)
    }

    /// The bool, if this is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self.object() {
            Object::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The int, if this is an int that fits in an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self.object() {
            Object::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The int at any size, if this is an int.
    pub fn as_bigint(&self) -> Option<BigInt> {
        match self.object() {
            Object::Int(i) => Some(BigInt::from(*i)),
            Object::BigInt(i) => Some((**i).clone()),
            _ => None,
        }
    }

    /// The float, if this is a float.
    pub fn as_f64(&self) -> Option<f64> {
        match self.object() {
            Object::Float(x) => Some(*x),
            _ => None,
        }
    }

    /// The text, if this is a str.
    pub fn as_str(&self) -> Option<&'v str> {
        match self.object() {
            Object::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, if this is bytes, a bytearray or a buffer.
    pub fn as_bytes(&self) -> Option<&'v [u8]> {
        match self.object() {
            Object::Bytes(b) => Some(b),
            Object::ByteArray(b) => Some(b),
            Object::Buffer(b) => Some(&b.data),
            _ => None,
        }
    }

    /// The global, if this is a reference to one.
    pub fn as_global(&self) -> Option<&'v Global<'de>> {
        match self.object() {
            Object::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The opaque instance, if this is one: an [`Object::Instance`], or the
    /// instance an [`Object::Native`] was read from.
    pub fn as_instance(&self) -> Option<&'v Instance> {
        match self.object() {
            Object::Instance(i) => Some(i),
            _ => None,
        }
    }

    /// The items of a list, tuple, set or frozenset.
    pub fn items(&self) -> Option<impl ExactSizeIterator<Item = Node<'v, 'de>> + 'v> {
        let this = *self;
        match self.object() {
            Object::List(v) | Object::Tuple(v) | Object::Set(v) | Object::FrozenSet(v) => {
                Some(v.iter().map(move |&id| this.at(id)))
            }
            _ => None,
        }
    }

    /// The key/value pairs of a dict, in insertion order.
    pub fn pairs(
        &self,
    ) -> Option<impl ExactSizeIterator<Item = (Node<'v, 'de>, Node<'v, 'de>)> + 'v> {
        let this = *self;
        match self.object() {
            Object::Dict(pairs) => Some(pairs.iter().map(move |&(k, v)| (this.at(k), this.at(v)))),
            _ => None,
        }
    }

    /// The value for the str key `key`, if this is a dict that has it.
    pub fn get(&self, key: &str) -> Option<Node<'v, 'de>> {
        let mut found = None;
        for (k, v) in self.pairs()? {
            if k.as_str() == Some(key) {
                found = Some(v);
            }
        }
        found
    }

    /// The `index`-th item of a list or tuple.
    pub fn item(&self, index: usize) -> Option<Node<'v, 'de>> {
        match self.object() {
            Object::List(v) | Object::Tuple(v) => v.get(index).map(|&id| self.at(id)),
            _ => None,
        }
    }
}

impl fmt::Debug for Node<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::fmt::repr(self.value, self.id))
    }
}
