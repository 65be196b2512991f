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

pub use pickle_core::de::direct::{Direct, Fields as DirectFields, Source as DirectSource};
pub use pickle_core::de::{FromPickle, InstanceView, Node};
pub use pickle_core::ser::{ToPickle, Writer};
pub use pickle_core::{Error, Result};
pub use std::io::Write;
pub use std::string::String;

use pickle_core::value::Construct;
use pickle_core::ErrorKind;

/// A Python class: `(module, qualname)`.
pub type Class = (&'static str, &'static str);

/// Implemented by derived types that pickle as an instance of a class of
/// their own; public as [`pickle::registry::PickleClass`](crate::registry::PickleClass).
pub use pickle_core::registry::PickleClass;

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

/// The fields of an instance of a struct whose fields are attributes, by
/// position: by name from the `__dict__` and slots, or, when the state is
/// the list of field values a frozen slots dataclass writes, by position.
pub struct Fields<'v, 'de, 'n> {
    obj: InstanceView<'v, 'de>,
    names: &'n [&'n str],
    values: Option<Vec<Node<'v, 'de>>>,
}

/// The values of a `__dict__` state whose keys are exactly `names`, in
/// that order: what the pickler of a plain class writes, read without a
/// search per field. `None` for any other state, which fields then search.
fn in_field_order<'v, 'de>(
    obj: &InstanceView<'v, 'de>,
    names: &[&str],
) -> Option<Vec<Node<'v, 'de>>> {
    let pairs = obj.state()?.pairs()?;
    if pairs.len() != names.len() {
        return None;
    }
    pairs
        .zip(names)
        .map(|((key, value), name)| (key.as_str() == Some(*name)).then_some(value))
        .collect()
}

impl<'v, 'de, 'n> Fields<'v, 'de, 'n> {
    /// The fields `names` of `obj`. A list state must hold one value for each.
    pub fn new(obj: InstanceView<'v, 'de>, names: &'n [&'n str]) -> Result<Self> {
        let values = match obj.state_items() {
            None => in_field_order(&obj, names),
            Some(items) if items.len() == names.len() => Some(items.collect()),
            Some(items) => {
                return Err(Error::new(
                    ErrorKind::TypeMismatch,
                    format!(
                        "{} state is a list of {} field values, expected {} ({})",
                        obj.class_name(),
                        items.len(),
                        names.len(),
                        names.join(", ")
                    ),
                ))
            }
        };
        Ok(Fields { obj, names, values })
    }

    /// Field `i`, or `None` if the state does not set it.
    pub fn get(&self, i: usize) -> Option<Node<'v, 'de>> {
        match &self.values {
            Some(values) => values.get(i).copied(),
            None => self.obj.attr_opt(self.names[i]),
        }
    }

    /// Field `i`, or an error naming the class and the attribute.
    pub fn require(&self, i: usize) -> Result<Node<'v, 'de>> {
        self.get(i)
            .ok_or_else(|| Error::missing_attribute(self.obj.class_name(), self.names[i]))
    }

    /// `deny_unknown_fields`: fails on the first attribute not among the
    /// fields. A list state has no names, and its length was checked.
    pub fn deny_unknown(&self) -> Result<()> {
        match self.values {
            Some(_) => Ok(()),
            None => deny_unknown(&self.obj, self.names),
        }
    }
}

/// The fields of a `#[pickle(dict)]` struct, by position, from the entries
/// of a plain dict, with the same `get`/`require`/`deny_unknown` as [`Fields`].
///
/// Reads what the standard maps read as a dict: a `dict`, or a
/// `collections.OrderedDict`, `defaultdict` or `Counter`. As in Python, a
/// key set twice (only a crafted pickle does that) keeps its last value.
pub struct DictFields<'v, 'de, 'n> {
    /// The Rust type, for messages.
    rust: &'static str,
    names: &'n [&'n str],
    values: Vec<Option<Node<'v, 'de>>>,
    /// The first key that names no field.
    unknown: Option<Node<'v, 'de>>,
}

impl<'v, 'de, 'n> DictFields<'v, 'de, 'n> {
    /// The fields `names` of the struct `rust` from the dict at `node`.
    pub fn new(node: Node<'v, 'de>, rust: &'static str, names: &'n [&'n str]) -> Result<Self> {
        let pairs = pickle_core::types::collections::dict_entries(node)
            .ok_or_else(|| node.type_error("dict"))?;
        let mut values = vec![None; names.len()];
        let mut unknown = None;
        for (key, value) in pairs {
            match key
                .as_str()
                .and_then(|k| names.iter().position(|name| *name == k))
            {
                Some(i) => values[i] = Some(value),
                None => {
                    unknown.get_or_insert(key);
                }
            }
        }
        Ok(DictFields {
            rust,
            names,
            values,
            unknown,
        })
    }

    /// Field `i`, or `None` if the dict has no such key.
    pub fn get(&self, i: usize) -> Option<Node<'v, 'de>> {
        self.values[i]
    }

    /// Field `i`, or a [`MissingAttribute`](ErrorKind::MissingAttribute)
    /// error naming the type and the key.
    pub fn require(&self, i: usize) -> Result<Node<'v, 'de>> {
        self.get(i).ok_or_else(|| {
            Error::new(
                ErrorKind::MissingAttribute,
                format!("dict for {} has no key '{}'", self.rust, self.names[i]),
            )
        })
    }

    /// `deny_unknown_fields`: an [`UnknownAttribute`](ErrorKind::UnknownAttribute)
    /// error for the first key that names no field (a key that is not a str included).
    pub fn deny_unknown(&self) -> Result<()> {
        match self.unknown {
            Some(key) => Err(Error::new(
                ErrorKind::UnknownAttribute,
                format!("dict for {} has an unknown key {key:?}", self.rust),
            )),
            None => Ok(()),
        }
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

/// The state of a `@dataclass(frozen=True, slots=True)`: the list of its
/// `len` field values, then BUILD. At protocols 0–1 `copyreg._reduce_ex`
/// drops a false state, so an empty list is not written there.
pub fn write_field_list<'p, W: io::Write>(
    w: &mut Writer<'p, W>,
    len: usize,
    item: impl FnMut(&mut Writer<'p, W>, usize) -> Result<()>,
) -> Result<()> {
    if len == 0 && w.protocol() < 2 {
        return Ok(());
    }
    w.write_list(len, item)?;
    w.write_build()
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

/// `#[pickle(bytes)]`: a byte sequence as a Python `bytes` object, through
/// the public `with`-module [`pickle_core::types::bytes`].
pub mod bytes {
    pub use pickle_core::types::bytes::{from_pickle, read_direct, to_pickle};
}
