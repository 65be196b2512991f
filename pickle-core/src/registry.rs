//! The class registry: Rust types for Python classes, for dynamic loads.
//!
//! A load into a [`Value`] keeps every instance inert, as an
//! [`Object::Instance`]. Give the unpickler a [`Registry`] and each instance
//! of a registered class also becomes a native Rust value inside the graph,
//! an [`Object::Native`], which the program downcasts with
//! [`Node::downcast_ref`]. An instance of a class nobody registered stays an
//! opaque [`Object::Instance`].
//!
//! ```
//! use pickle_core::de::{FromPickle, Node};
//! use pickle_core::registry::{PickleClass, Registry};
//! use pickle_core::{Object, Unpickler, Value};
//!
//! #[derive(Debug, PartialEq)]
//! struct Point { x: i64, y: i64 }
//!
//! impl PickleClass for Point {
//!     const CLASSES: &'static [(&'static str, &'static str)] = &[("geometry", "Point")];
//! }
//!
//! impl<'de> FromPickle<'de> for Point {
//!     fn from_pickle(node: Node<'_, 'de>) -> pickle_core::Result<Self> {
//!         let obj = node.expect_instance(Point::CLASSES)?;
//!         Ok(Point { x: obj.attr("x")?.extract()?, y: obj.attr("y")?.extract()? })
//!     }
//! }
//!
//! let mut registry = Registry::new();
//! registry.register::<Point>()?;
//!
//! // pickle.dumps(geometry.Point(1, 2), protocol=2)
//! let data = b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.";
//! let v: Value = Unpickler::new().registry(&registry).loads(data)?;
//! assert_eq!(v.root_node().downcast_ref::<Point>(), Some(&Point { x: 1, y: 2 }));
//! assert!(matches!(v.get(v.root()), Object::Native(_)));
//! assert_eq!(format!("{v:?}"), "Point { x: 1, y: 2 }");
//!
//! // The graph still writes exactly what was read.
//! assert_eq!(pickle_core::Pickler::new().protocol(2).dumps(&v)?, data);
//! # Ok::<(), pickle_core::Error>(())
//! ```
//!
//! # One door
//!
//! The unpickler resolves every global the pickle names (GLOBAL,
//! STACK_GLOBAL, INST, EXT) in one place, as Python's
//! `Unpickler.find_class`, and in this order:
//!
//! 1. **compat**: below protocol 3 (unless `fix_imports` is off), Python 2
//!    names are mapped to their Python 3 names (`__builtin__` → `builtins`);
//! 2. **interning**: one [`Object::Global`] node per global, as CPython has
//!    one object per module attribute;
//! 3. **registry**: the global is looked up here, once, by its Python 3 name.
//!
//! A nested class written as `getattr(Outer, 'Inner')` enters at step 2 as
//! `Outer.Inner`, its parent having passed step 1. The registry is the only
//! place a name turns into anything but an inert node; a safety policy
//! (deny lists) belongs in the same door.
//!
//! # Natives
//!
//! When the pickle is read (at STOP), each instance whose class is registered
//! is read as its Rust type with [`FromPickle`], all in one typed read, so
//! that objects shared between natives stay shared (`Arc::ptr_eq`) as
//! [`Node::extract`] keeps them. The instance is replaced in place by an
//! [`Object::Native`]: `Id`s do not change, and an instance referenced twice
//! is one native. A native keeps its instance and the graph stays the source
//! of truth: the pickler writes the instance, byte for byte as it was read,
//! equality compares it, and typed reads of the node read it (see
//! [`Native`]). An instance that its Rust type cannot
//! read fails the load, with an error naming the class, the Rust type, and
//! the byte offset of the opcode that created the instance.

use std::any::{self, Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::de::{FromPickle, Node};
use crate::error::{Error, ErrorKind, Result};
use crate::opcode::Opcode;
use crate::value::{debug_as, DebugFn, Id, Native, Object, Value};

/// A Rust type that is one Python class (or several, by alias): the classes
/// `(module, qualname)` whose instances it reads.
///
/// `#[derive(Pickle)]` implements it for structs and C-like enums. An enum
/// of such types picks its variant by the pickled class instead of by trying
/// each variant, and a [`Registry`] uses it to know which globals the type
/// is for.
///
/// ```
/// use pickle_core::registry::PickleClass;
///
/// struct Point;
///
/// impl PickleClass for Point {
///     // Written as geometry.Point; also read from the class's old home.
///     const CLASSES: &'static [(&'static str, &'static str)] =
///         &[("geometry", "Point"), ("shapes", "Point")];
/// }
/// assert_eq!(<Box<Point> as PickleClass>::CLASSES[0], ("geometry", "Point"));
/// ```
pub trait PickleClass {
    /// The class written first, then every alias accepted on load.
    const CLASSES: &'static [(&'static str, &'static str)];
}

// A pointer reads what its pointee reads: `Shape::Circle(Box<Circle>)` still dispatches by class.
impl<T: PickleClass + ?Sized> PickleClass for Box<T> {
    const CLASSES: &'static [(&'static str, &'static str)] = T::CLASSES;
}

impl<T: PickleClass + ?Sized> PickleClass for std::rc::Rc<T> {
    const CLASSES: &'static [(&'static str, &'static str)] = T::CLASSES;
}

impl<T: PickleClass + ?Sized> PickleClass for Arc<T> {
    const CLASSES: &'static [(&'static str, &'static str)] = T::CLASSES;
}

/// Reads an object as a `T`, shared as `Node::extract::<Arc<T>>` shares it.
type ReadFn = for<'v, 'de> fn(Node<'v, 'de>) -> Result<Arc<dyn Any + Send + Sync>>;

/// What the registry knows of one Rust type.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    type_id: TypeId,
    type_name: &'static str,
    read: ReadFn,
    debug: DebugFn,
}

fn read_as<T: for<'de> FromPickle<'de> + Any + Send + Sync>(
    node: Node<'_, '_>,
) -> Result<Arc<dyn Any + Send + Sync>> {
    // As `Arc<T>`: a registered type's `Arc<T>` fields in other natives
    // are then this very allocation.
    let value: Arc<T> = node.extract()?;
    Ok(value)
}

/// Rust types by the Python classes they read: what a dynamic load turns
/// into native Rust values. See [the module docs](self).
///
/// A class belongs to at most one Rust type: registering a type for a class
/// another type already has is an [`ErrorKind::DuplicateClass`] error, and
/// registering the same type again changes nothing.
///
/// ```
/// use pickle_core::de::{FromPickle, Node};
/// use pickle_core::registry::{PickleClass, Registry};
/// use pickle_core::ErrorKind;
///
/// #[derive(Debug)]
/// struct Celsius(f64);
///
/// impl PickleClass for Celsius {
///     const CLASSES: &'static [(&'static str, &'static str)] = &[("units", "Celsius")];
/// }
///
/// impl<'de> FromPickle<'de> for Celsius {
///     fn from_pickle(node: Node<'_, 'de>) -> pickle_core::Result<Self> {
///         let obj = node.expect_instance(Celsius::CLASSES)?;
///         Ok(Celsius(obj.arg(0)?.extract()?))
///     }
/// }
///
/// #[derive(Debug)]
/// struct Other;
///
/// impl PickleClass for Other {
///     const CLASSES: &'static [(&'static str, &'static str)] = &[("units", "Celsius")];
/// }
///
/// impl<'de> FromPickle<'de> for Other {
///     fn from_pickle(_: Node<'_, 'de>) -> pickle_core::Result<Self> {
///         Ok(Other)
///     }
/// }
///
/// let mut registry = Registry::new();
/// registry.register::<Celsius>()?.register::<Celsius>()?;
/// assert!(registry.contains("units", "Celsius"));
/// assert_eq!(registry.len(), 1);
/// let e = registry.register::<Other>().unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::DuplicateClass);
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    /// Module, then qualname: looked up by `&str` without allocating.
    classes: HashMap<Box<str>, HashMap<Box<str>, Entry>>,
    len: usize,
}

impl Registry {
    /// An empty registry: a load with it is a load without one.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers `T` for every class in [`T::CLASSES`](PickleClass::CLASSES).
    ///
    /// Fails, registering nothing, if one of those classes is registered to
    /// another type. Returns the registry, to chain registrations.
    pub fn register<T>(&mut self) -> Result<&mut Registry>
    where
        T: PickleClass + for<'de> FromPickle<'de> + Any + Send + Sync + fmt::Debug,
    {
        let entry = Entry {
            type_id: TypeId::of::<T>(),
            type_name: any::type_name::<T>(),
            read: read_as::<T>,
            debug: debug_as::<T>,
        };
        for &(module, qualname) in T::CLASSES {
            if let Some(other) = self.lookup(module, qualname) {
                if other.type_id != entry.type_id {
                    return Err(Error::new(
                        ErrorKind::DuplicateClass,
                        format!(
                            "{module}.{qualname} is already registered as {}; \
                             it cannot also be registered as {}",
                            other.type_name, entry.type_name
                        ),
                    ));
                }
            }
        }
        for &(module, qualname) in T::CLASSES {
            let names = self.classes.entry(module.into()).or_default();
            if names.insert(qualname.into(), entry).is_none() {
                self.len += 1;
            }
        }
        Ok(self)
    }

    /// Whether the class `module.qualname` is registered.
    pub fn contains(&self, module: &str, qualname: &str) -> bool {
        self.lookup(module, qualname).is_some()
    }

    /// The name of the Rust type registered for `module.qualname`, if any.
    ///
    /// ```
    /// let registry = pickle_core::registry::Registry::new();
    /// assert_eq!(registry.type_name("geometry", "Point"), None);
    /// ```
    pub fn type_name(&self, module: &str, qualname: &str) -> Option<&'static str> {
        self.lookup(module, qualname).map(|e| e.type_name)
    }

    /// How many classes are registered (an alias counts as a class).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no class is registered.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Step 3 of the unpickler's door: what `module.qualname` reads as, if registered.
    pub(crate) fn lookup(&self, module: &str, qualname: &str) -> Option<Entry> {
        self.classes.get(module)?.get(qualname).copied()
    }
}

impl fmt::Debug for Registry {
    /// The classes, sorted, with the Rust type of each.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut classes: Vec<(String, &str)> = self
            .classes
            .iter()
            .flat_map(|(m, names)| {
                names
                    .iter()
                    .map(move |(q, e)| (format!("{m}.{q}"), e.type_name))
            })
            .collect();
        classes.sort_unstable();
        f.debug_map().entries(classes).finish()
    }
}

// ---------------------------------------------------------------------------
// Natives, made at STOP.

/// An instance of a registered class, noted by the VM when it was created.
pub(crate) struct Pending {
    /// The instance.
    pub(crate) id: Id,
    /// Its class, a registered global.
    pub(crate) class: Id,
    /// Where the instance was created, for errors.
    pub(crate) offset: u64,
    pub(crate) opcode: Opcode,
    pub(crate) entry: Entry,
}

thread_local! {
    /// The instances the innermost conversion in this thread is to read: how
    /// they reach [`Batch::from_pickle`], which `Node::extract` calls.
    static PENDING: RefCell<Vec<Vec<Pending>>> = const { RefCell::new(Vec::new()) };
}

/// The values read for the pending instances, in order.
struct Batch(Vec<(Pending, Arc<dyn Any + Send + Sync>)>);

impl<'de> FromPickle<'de> for Batch {
    /// Reads every pending instance of this thread's innermost conversion
    /// with `node`'s read: one read, so shared objects stay shared.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Batch> {
        let pending = PENDING
            .try_with(|p| p.borrow_mut().last_mut().map(std::mem::take))
            .ok()
            .flatten()
            .unwrap_or_default();
        read_all(node, pending).map(Batch)
    }
}

fn read_all(
    node: Node<'_, '_>,
    pending: Vec<Pending>,
) -> Result<Vec<(Pending, Arc<dyn Any + Send + Sync>)>> {
    let mut out = Vec::with_capacity(pending.len());
    for p in pending {
        let instance = node.at(p.id);
        match (p.entry.read)(instance) {
            Ok(value) => out.push((p, value)),
            Err(e) => {
                let class = node
                    .at(p.class)
                    .as_global()
                    .map(|g| format!("{}.{}", g.module, g.name))
                    .unwrap_or_default();
                return Err(e
                    .in_native(&class, p.entry.type_name)
                    .at(p.offset, Some(p.opcode)));
            }
        }
    }
    Ok(out)
}

/// Replaces each pending instance of `graph` by a native of the value its
/// Rust type reads from it, reading them all in one typed read.
pub(crate) fn make_natives(graph: &mut Value<'_>, pending: Vec<Pending>) -> Result<()> {
    // Only instances that are still what the VM created.
    let pending: Vec<Pending> = pending
        .into_iter()
        .filter(|p| matches!(graph.try_get(p.id), Some(Object::Instance(i)) if i.class == p.class))
        .collect();
    let Some(root) = graph.try_root() else {
        return Ok(());
    };
    if pending.is_empty() {
        return Ok(());
    }
    let mut pending = Some(pending);
    let depth = PENDING.try_with(|p| {
        let mut p = p.borrow_mut();
        p.push(pending.take().unwrap_or_default());
        p.len() - 1
    });
    let values = match depth {
        Ok(depth) => {
            let read = graph.node(root).extract::<Batch>();
            let _ = PENDING.try_with(|p| p.borrow_mut().truncate(depth));
            read?.0
        }
        // In a thread-local destructor: each native in a read of its own.
        Err(_) => read_all(graph.node(root), pending.unwrap_or_default())?,
    };
    for (p, value) in values {
        let slot = graph.get_mut(p.id);
        *slot = match std::mem::replace(slot, Object::None) {
            Object::Instance(instance) => Object::Native(Box::new(Native::from_parts(
                value,
                p.entry.type_name,
                p.entry.debug,
                *instance,
            ))),
            other => other,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests;
