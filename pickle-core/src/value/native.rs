//! Natives: Rust values the [`Registry`](crate::registry::Registry) read
//! from instances of registered classes, kept in the graph next to the
//! instance they were read from.

use std::any::{self, Any};
use std::fmt;
use std::sync::Arc;

use super::{Instance, Object};

/// Writes the value behind a `dyn Any` that is known to be a `T`.
pub(crate) type DebugFn = fn(&(dyn Any + Send + Sync), &mut fmt::Formatter<'_>) -> fmt::Result;

/// A Rust value read from an instance of a registered class: the typed
/// view of an [`Object::Native`].
///
/// A native keeps the [`Instance`] it was read from. The graph stays the
/// source of truth: writing the graph writes that instance, byte for byte as
/// it was read, and equality compares it; the Rust value is a view for the
/// program, never written back. Changing the Rust value (through interior
/// mutability) therefore changes nothing the pickler writes.
///
/// ```
/// use std::sync::Arc;
/// use pickle_core::value::{Construct, Instance, Native, Object, Value};
///
/// let mut v = Value::new();
/// let class = v.add(Object::global("geometry", "Point"));
/// let args = v.add(Object::Tuple(vec![]));
/// let instance = Instance::new(class, Construct::NewObj, args);
/// let point = v.add(Object::Native(Box::new(Native::new(Arc::new((1_i64, 2_i64)), instance))));
/// v.set_root(point);
///
/// assert_eq!(v.root_node().downcast_ref::<(i64, i64)>(), Some(&(1, 2)));
/// assert_eq!(format!("{v:?}"), "(1, 2)");
/// // What is written is the instance, as it was read.
/// assert_eq!(v.root_node().as_instance().map(|i| i.class), Some(class));
/// ```
#[derive(Clone)]
pub struct Native {
    value: Arc<dyn Any + Send + Sync>,
    type_name: &'static str,
    debug: DebugFn,
    /// Always an [`Object::Instance`]: kept as an object so that a node can
    /// hand it out as `&Object` (see [`Node::object`](super::Node::object)).
    original: Object<'static>,
}

/// The [`DebugFn`] of `T`.
pub(crate) fn debug_as<T: Any + fmt::Debug>(
    value: &(dyn Any + Send + Sync),
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    match value.downcast_ref::<T>() {
        Some(value) => fmt::Debug::fmt(value, f),
        None => f.write_str(any::type_name::<T>()),
    }
}

impl Native {
    /// A native holding `value`, read from `instance`.
    pub fn new<T: Any + Send + Sync + fmt::Debug>(value: Arc<T>, instance: Instance) -> Native {
        Native::from_parts(value, any::type_name::<T>(), debug_as::<T>, instance)
    }

    /// A native from a value whose type is erased, with the `Debug` of that type.
    pub(crate) fn from_parts(
        value: Arc<dyn Any + Send + Sync>,
        type_name: &'static str,
        debug: DebugFn,
        instance: Instance,
    ) -> Native {
        Native {
            value,
            type_name,
            debug,
            original: Object::Instance(Box::new(instance)),
        }
    }

    /// The Rust value, if it is a `T`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pickle_core::value::{Construct, Id, Instance, Native, Object, Value};
    /// # let mut v = Value::new();
    /// # let class = v.add(Object::global("m", "C"));
    /// # let args = v.add(Object::Tuple(vec![]));
    /// let native = Native::new(Arc::new(String::from("x")), Instance::new(class, Construct::NewObj, args));
    /// assert_eq!(native.downcast_ref::<String>().map(String::as_str), Some("x"));
    /// assert_eq!(native.downcast_ref::<i64>(), None);
    /// ```
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.value.downcast_ref()
    }

    /// The Rust value as a shared `Arc<T>`, if it is a `T`: the very
    /// allocation the graph holds, so `Arc::ptr_eq` tells identity.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pickle_core::value::{Construct, Instance, Native, Object, Value};
    /// # let mut v = Value::new();
    /// # let class = v.add(Object::global("m", "C"));
    /// # let args = v.add(Object::Tuple(vec![]));
    /// let native = Native::new(Arc::new(7_u8), Instance::new(class, Construct::NewObj, args));
    /// let a: Arc<u8> = native.downcast().unwrap();
    /// assert!(Arc::ptr_eq(&a, &native.downcast::<u8>().unwrap()));
    /// ```
    pub fn downcast<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        Arc::clone(&self.value).downcast().ok()
    }

    /// The Rust value, type-erased.
    pub fn value(&self) -> &Arc<dyn Any + Send + Sync> {
        &self.value
    }

    /// The name of the Rust type, as [`std::any::type_name`] gives it.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pickle_core::value::{Construct, Instance, Native, Object, Value};
    /// # let mut v = Value::new();
    /// # let class = v.add(Object::global("m", "C"));
    /// # let args = v.add(Object::Tuple(vec![]));
    /// let native = Native::new(Arc::new(1_i32), Instance::new(class, Construct::NewObj, args));
    /// assert_eq!(native.type_name(), "i32");
    /// ```
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The instance the value was read from: what the graph writes.
    pub fn instance(&self) -> &Instance {
        match &self.original {
            Object::Instance(instance) => instance,
            _ => unreachable!("a native's original is always an instance"),
        }
    }

    /// The instance, mutably: for rewriting its `Id`s.
    pub(crate) fn instance_mut(&mut self) -> &mut Instance {
        match &mut self.original {
            Object::Instance(instance) => instance,
            _ => unreachable!("a native's original is always an instance"),
        }
    }

    /// The instance as an object: an [`Object::Instance`].
    pub(crate) fn original(&self) -> &Object<'static> {
        &self.original
    }
}

impl fmt::Debug for Native {
    /// The Rust value's `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.debug)(&*self.value, f)
    }
}
