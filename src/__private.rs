//! What `#[derive(Pickle)]` expands to calls, and nothing else.
//!
//! Not public API: generated code reaches the runtime only through
//! `::pickle::__private`, so the expansion is hygienic and this module may
//! change with the derive. The helpers here are built on the public API of
//! [`ser`](crate::ser) and [`de`](crate::de); they navigate loaded objects
//! only through [`Node`] and [`InstanceView`] methods, which keep the typed
//! read's context (shared objects, depth) on every node they hand out.

use std::io;
use std::marker::PhantomData;

pub use pickle_core::de::{FromPickle, InstanceView, Node};
pub use pickle_core::ser::{ToPickle, Writer};
pub use pickle_core::{Error, Result};
pub use std::io::Write;

use pickle_core::value::Construct;
use pickle_core::ErrorKind;

/// A Python class: `(module, qualname)`.
pub type Class = (&'static str, &'static str);

/// Implemented by derived types that pickle as an instance of a class of
/// their own, so that an enum holding such types picks its variant by the
/// class in the pickle instead of by trying each variant.
pub trait PickleClass {
    /// The class written first, then every alias accepted on load.
    const CLASSES: &'static [Class];
}

// A pointer reads what its pointee reads: `Shape::Circle(Box<Circle>)` still dispatches by class.
impl<T: PickleClass + ?Sized> PickleClass for Box<T> {
    const CLASSES: &'static [Class] = T::CLASSES;
}

impl<T: PickleClass + ?Sized> PickleClass for std::rc::Rc<T> {
    const CLASSES: &'static [Class] = T::CLASSES;
}

impl<T: PickleClass + ?Sized> PickleClass for std::sync::Arc<T> {
    const CLASSES: &'static [Class] = T::CLASSES;
}

/// Autoref specialization: `(&&Probe::<T>::new()).accepts(class)` is
/// `Some(..)` when `T: PickleClass` and `None` (only reading tells) otherwise.
pub struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    /// A probe for `T`.
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

impl<T: ?Sized> Default for Probe<T> {
    fn default() -> Self {
        Probe::new()
    }
}

/// The probe for types whose classes are known.
pub trait KnownClass {
    /// Whether `T` reads an instance of `class`; `Some(false)` for a non-instance.
    fn accepts(&self, class: Option<(&str, &str)>) -> Option<bool>;
}

impl<T: PickleClass + ?Sized> KnownClass for &Probe<T> {
    fn accepts(&self, class: Option<(&str, &str)>) -> Option<bool> {
        Some(class.is_some_and(|c| is_one_of(T::CLASSES, c)))
    }
}

/// The probe for every other type.
pub trait UnknownClass {
    /// Always `None`.
    fn accepts(&self, class: Option<(&str, &str)>) -> Option<bool>;
}

impl<T: ?Sized> UnknownClass for Probe<T> {
    fn accepts(&self, _: Option<(&str, &str)>) -> Option<bool> {
        None
    }
}

fn is_one_of(classes: &[Class], (module, qualname): (&str, &str)) -> bool {
    classes.iter().any(|&(m, q)| m == module && q == qualname)
}

fn names(classes: &[Class]) -> String {
    let names: Vec<String> = classes.iter().map(|(m, q)| format!("{m}.{q}")).collect();
    names.join(" or ")
}

/// The class of an instance, when it is a global.
pub fn class_of<'v>(node: Node<'v, '_>) -> Option<(&'v str, &'v str)> {
    let instance = node.as_instance()?;
    let global = node.graph().node(instance.class).as_global()?;
    Some((&global.module, &global.name))
}

/// `deny_unknown_fields`: fails on the first attribute not in `fields`.
pub fn deny_unknown(obj: &InstanceView<'_, '_>, fields: &[&str]) -> Result<()> {
    match obj.attrs().find(|(name, _)| !fields.contains(name)) {
        Some((name, _)) => Err(Error::unknown_attribute(obj.class_name(), name)),
        None => Ok(()),
    }
}

/// The state BUILD applied to an instance of a `state = "..."` type.
pub fn expect_state<'v, 'de>(obj: &InstanceView<'v, 'de>) -> Result<Node<'v, 'de>> {
    obj.state().ok_or_else(|| {
        Error::new(
            ErrorKind::MissingAttribute,
            format!(
                "{} instance has no state for __setstate__ (no BUILD)",
                obj.class_name()
            ),
        )
    })
}

/// The `len` constructor arguments of an instance of one of `classes`:
/// `NEWOBJ(cls, args)`, `cls(*args)` (REDUCE, INST, OBJ), or the
/// `copyreg._reconstructor(cls, tuple, args)` CPython writes for a
/// namedtuple at protocols 0–1.
pub fn expect_args<'v, 'de>(
    node: Node<'v, 'de>,
    classes: &[Class],
    len: usize,
) -> Result<Vec<Node<'v, 'de>>> {
    let args: Vec<Node<'v, 'de>> = match node.expect_instance(classes) {
        Ok(obj) => obj.args().collect(),
        Err(e) => reconstructed_tuple(node, classes).ok_or(e)?,
    };
    if args.len() != len {
        return Err(Error::new(
            ErrorKind::TypeMismatch,
            format!(
                "{} instance was created with {} arguments, expected {len}",
                names(classes),
                args.len()
            ),
        ));
    }
    Ok(args)
}

/// `copyreg._reconstructor(cls, builtins.tuple, args)`: `tuple.__new__(cls, args)`.
fn reconstructed_tuple<'v, 'de>(
    node: Node<'v, 'de>,
    classes: &[Class],
) -> Option<Vec<Node<'v, 'de>>> {
    if node.as_instance()?.construct != Construct::Reduce {
        return None;
    }
    let call = node
        .expect_instance(&[("copyreg", "_reconstructor")])
        .ok()?;
    let [class, base, args] =
        <[Node<'v, 'de>; 3]>::try_from(call.args().collect::<Vec<_>>()).ok()?;
    let class = class.as_global()?;
    let base = base.as_global()?;
    let ours = is_one_of(classes, (&class.module, &class.name));
    let tuple = base.module == "builtins" && base.name == "tuple";
    match (ours && tuple, args.items()) {
        (true, Some(items)) => Some(items.collect()),
        _ => None,
    }
}

/// The value of an `enum.Enum` member of one of `classes`: `REDUCE(cls, (value,))`.
pub fn expect_member<'v, 'de>(node: Node<'v, 'de>, classes: &[Class]) -> Result<Node<'v, 'de>> {
    let obj = node.expect_instance(classes)?;
    let reduced = node
        .as_instance()
        .is_some_and(|i| i.construct == Construct::Reduce);
    if reduced && obj.args().len() == 1 {
        obj.arg(0)
    } else {
        Err(node.type_error(format!("{} member, REDUCE(cls, (value,))", names(classes))))
    }
}

/// No member of the enum has `value`: Python's `ValueError: 5 is not a valid Color`.
pub fn unknown_member(value: Node<'_, '_>, classes: &[Class]) -> Error {
    Error::new(
        ErrorKind::TypeMismatch,
        format!("{value:?} is not a valid {}", names(classes[..1].as_ref())),
    )
}

/// No variant of the enum `rust` reads `node`.
pub fn no_variant(node: Node<'_, '_>, rust: &str, variants: &[&str]) -> Error {
    node.type_error(format_args!(
        "a value for one of {rust}'s variants ({})",
        variants.join(", ")
    ))
}

/// Writes an instance made from constructor arguments, as CPython writes a
/// namedtuple: `NEWOBJ(cls, args)` at protocol 2 and above, and
/// `copyreg._reconstructor(cls, tuple, args)` below, where NEWOBJ does not exist.
pub fn write_args<'p, W: io::Write>(
    w: &mut Writer<'p, W>,
    module: &str,
    qualname: &str,
    len: usize,
    mut arg: impl FnMut(&mut Writer<'p, W>, usize) -> Result<()>,
) -> Result<()> {
    if w.protocol() >= 2 {
        return w.write_newobj(module, qualname, len, arg);
    }
    w.write_reduce("copyreg", "_reconstructor", 3, |w, i| match i {
        0 => w.write_global(module, qualname),
        1 => w.write_global("builtins", "tuple"),
        _ => w.write_tuple(len, &mut arg),
    })
}

/// CPython refuses to pickle an instance of a class with `__slots__` (and
/// no `__getstate__`) below protocol 2.
pub fn require_slots_protocol<W: io::Write>(w: &Writer<'_, W>, qualname: &str) -> Result<()> {
    match w.protocol() {
        0 | 1 => Err(Error::new(
            ErrorKind::Unpicklable,
            format!(
                "cannot pickle '{qualname}' object: a class that defines __slots__ \
                 without defining __getstate__ cannot be pickled with protocol {}",
                w.protocol()
            ),
        )),
        _ => Ok(()),
    }
}

/// `#[pickle(bytes)]`: a byte sequence as a Python `bytes` object.
pub mod bytes {
    use super::{Node, Result, Writer};

    /// Writes `value` as bytes.
    pub fn to_pickle<T: AsRef<[u8]> + ?Sized, W: std::io::Write>(
        value: &T,
        w: &mut Writer<'_, W>,
    ) -> Result<()> {
        w.write_bytes(value.as_ref())
    }

    /// Reads bytes, a bytearray or a buffer.
    pub fn from_pickle<T: for<'a> From<&'a [u8]>>(node: Node<'_, '_>) -> Result<T> {
        match node.as_bytes() {
            Some(b) => Ok(T::from(b)),
            None => Err(node.type_error("bytes")),
        }
    }
}
