//! Python's pickle format for Rust.
//!
//! Read any pickle CPython writes (protocols 0–5) without executing anything,
//! and write pickles that are byte-for-byte what CPython writes.
//!
//! ```
//! // pickle.dumps({'a': [1, 2]}, protocol=4)
//! let data = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94]\x94(K\x01K\x02es.";
//! let value: pickle::Value = pickle::loads(data)?;
//! assert_eq!(format!("{value:?}"), "{'a': [1, 2]}");
//! assert_eq!(pickle::Pickler::new().protocol(4).dumps(&value)?, data);
//! # Ok::<(), pickle::Error>(())
//! ```
//!
//! # Registry
//!
//! A dynamic load keeps every instance of a Python class inert. Register
//! Rust types for classes in a [`Registry`] and give it to the
//! [`Unpickler`]: each instance of a registered class becomes a native Rust
//! value inside the graph ([`Object::Native`]), which you downcast with
//! [`Node::downcast_ref`](value::Node::downcast_ref); an instance of any
//! other class stays opaque. The registry is consulted where the unpickler
//! resolves every global, and the graph still writes back exactly what was
//! read. See [`registry`].
//!
//! ```
//! use pickle::{Pickle, Registry, Unpickler, Value};
//!
//! #[derive(Pickle, Debug, PartialEq)]
//! struct Point { x: i64, y: i64 }
//!
//! let mut registry = Registry::new();
//! registry.register::<Point>()?;
//!
//! // class Point: pass; class Unknown: pass
//! // pickle.dumps([Point(x=1, y=2), Unknown()], protocol=2)
//! let data = b"\x80\x02]q\x00(c__main__\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ubc__main__\nUnknown\nq\x06)\x81q\x07e.";
//! let value: Value = Unpickler::new().registry(&registry).loads(data)?;
//! let point = value.root_node().item(0).unwrap();
//! assert_eq!(point.downcast_ref::<Point>(), Some(&Point { x: 1, y: 2 }));
//! assert!(value.root_node().item(1).unwrap().native().is_none());
//! assert_eq!(pickle::Pickler::new().protocol(2).dumps(&value)?, data);
//! # Ok::<(), pickle::Error>(())
//! ```

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub use pickle_core::*;

#[doc(hidden)]
pub mod __private;

/// Derives [`ToPickle`](ser::ToPickle) and [`FromPickle`](de::FromPickle):
/// the type pickles as an instance of a Python class, byte for byte as
/// CPython pickles that instance, and reads back from what CPython writes.
///
/// # Structs
///
/// A struct with named fields is a plain Python instance whose `__dict__`
/// holds the fields: at protocol 2 and above `NEWOBJ(cls, ())` then `BUILD`
/// with the state dict, and at protocols 0–1 `copyreg._reconstructor(cls,
/// object, None)` then `BUILD`. A struct with no pickled fields writes no
/// state and no `BUILD`, as CPython does for an empty `__dict__`. Attribute
/// names are written once per pickle and fetched from the memo after that.
///
/// ```
/// use pickle::Pickle;
///
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Point {
///     x: i64,
///     y: i64,
/// }
///
/// // class Point: pass
/// // p = Point(); p.x = 1; p.y = 2; pickle.dumps(p, protocol=2)
/// let bytes = pickle::ser::to_vec(&Point { x: 1, y: 2 }, 2)?;
/// assert_eq!(bytes, b"\x80\x02c__main__\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.");
/// assert_eq!(pickle::de::from_slice::<Point>(&bytes)?, Point { x: 1, y: 2 });
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// Loading accepts every form CPython writes for such an instance: `NEWOBJ`
/// or `copyreg._reconstructor`, `INST` and `OBJ`, with the state as a dict,
/// as `(dict, slots)` or `(None, slots)`, or as the list of field values, in
/// declaration order, that a `@dataclass(frozen=True, slots=True)` writes.
/// Attributes the struct does not name are ignored unless
/// [`deny_unknown_fields`](#deny_unknown_fields) is set. To pickle a struct
/// as a plain `dict` of its fields instead, with no class, see [`dict`](#dict).
///
/// A **tuple struct** is written like a `collections.namedtuple`: its
/// fields are the constructor arguments, `NEWOBJ(cls, (a, b))` with no
/// state, and `copyreg._reconstructor(cls, tuple, (a, b))` at protocols 0–1.
/// A newtype `struct Id(u64)` is a tuple struct too; see
/// [`transparent`](#transparent) for one that pickles as its field.
///
/// ```
/// # use pickle::Pickle;
/// // Pair = collections.namedtuple('Pair', 'left right')
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Pair(i64, String);
///
/// let bytes = pickle::ser::to_vec(&Pair(1, "a".into()), 2)?;
/// assert_eq!(bytes, b"\x80\x02c__main__\nPair\nq\x00K\x01X\x01\x00\x00\x00aq\x01\x86q\x02\x81q\x03.");
/// assert_eq!(pickle::de::from_slice::<Pair>(&bytes)?, Pair(1, "a".into()));
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// A **unit struct** is an instance with no state.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Marker;
///
/// let bytes = pickle::ser::to_vec(&Marker, 2)?;
/// assert_eq!(bytes, b"\x80\x02c__main__\nMarker\nq\x00)\x81q\x01.");
/// assert_eq!(pickle::de::from_slice::<Marker>(&bytes)?, Marker);
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// **Generics and lifetimes** work as with serde: a type parameter used in a
/// pickled field gets a `T: ToPickle` or `T: FromPickle<'de>` bound, and
/// `'de` (the lifetime of the pickle's bytes) outlives the type's lifetimes,
/// so `&'a str` fields can borrow from the input. Add bounds of your own in
/// the type's `where` clause.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Labelled<'a, T> {
///     label: &'a str,
///     value: T,
/// }
///
/// let bytes = pickle::ser::to_vec(&Labelled { label: "n", value: 5_i64 }, 4)?;
/// let back: Labelled<'_, i64> = pickle::de::from_slice(&bytes)?;
/// assert_eq!(back, Labelled { label: "n", value: 5 });
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// # Enums
///
/// An enum whose variants are all units is a Python **`enum.Enum` (or
/// `IntEnum`) member**, written `REDUCE(cls, (value,))`. The value is the
/// variant's discriminant, or a string with [`str_values`](#str_values).
///
/// ```
/// # use pickle::Pickle;
/// // class Color(enum.Enum): RED = 1; GREEN = 2
/// #[derive(Pickle, Debug, PartialEq)]
/// enum Color {
///     Red = 1,
///     Green,
/// }
///
/// let bytes = pickle::ser::to_vec(&Color::Green, 2)?;
/// assert_eq!(bytes, b"\x80\x02c__main__\nColor\nq\x00K\x02\x85q\x01Rq\x02.");
/// assert_eq!(pickle::de::from_slice::<Color>(&bytes)?, Color::Green);
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// An enum whose variants each hold one value is **polymorphic**: it is
/// written as the value it holds, and read by the variant whose type reads
/// the pickled object. Variants whose type is itself derived (a struct or a
/// C-like enum) are chosen by the pickled class, without trial; any other
/// variant is tried in order.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Circle { r: f64 }
///
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Square { side: f64 }
///
/// #[derive(Pickle, Debug, PartialEq)]
/// enum Shape {
///     Circle(Circle),
///     Square(Square),
/// }
///
/// let shapes = vec![Shape::Square(Square { side: 2.0 }), Shape::Circle(Circle { r: 1.0 })];
/// let bytes = pickle::ser::to_vec(&shapes, 4)?;
/// assert_eq!(pickle::de::from_slice::<Vec<Shape>>(&bytes)?, shapes);
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// # Container attributes
///
/// ## `module`
///
/// `#[pickle(module = "geometry")]`: the class's module; the default is
/// `"__main__"`, the module of a class defined in a script.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle)]
/// #[pickle(module = "geometry")]
/// struct Point { x: i64, y: i64 }
///
/// // from geometry import Point
/// let bytes = pickle::ser::to_vec(&Point { x: 1, y: 2 }, 2)?;
/// assert_eq!(bytes, b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.");
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `name`
///
/// `#[pickle(name = "Outer.Inner")]`: the class's qualified name; the
/// default is the Rust name. A nested class (a dotted name) is written as
/// CPython writes it: by name with `STACK_GLOBAL` at protocol 4 and above,
/// and as `getattr(Outer, 'Inner')` below.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle)]
/// #[pickle(module = "shapes", name = "Outer.Inner")]
/// struct Inner { r: i64 }
///
/// let bytes = pickle::ser::to_vec(&Inner { r: 1 }, 4)?;
/// assert_eq!(bytes, b"\x80\x04\x95'\x00\x00\x00\x00\x00\x00\x00\x8c\x06shapes\x94\x8c\x0bOuter.Inner\x94\x93\x94)\x81\x94}\x94\x8c\x01r\x94K\x01sb.");
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `rename_all`
///
/// `#[pickle(rename_all = "camelCase")]`: the attribute names of all fields
/// (or, with [`str_values`](#str_values), the values of all members) in one of
/// serde's conventions: `"lowercase"`, `"UPPERCASE"`, `"PascalCase"`,
/// `"camelCase"`, `"snake_case"`, `"SCREAMING_SNAKE_CASE"`, `"kebab-case"`,
/// `"SCREAMING-KEBAB-CASE"`. A field's own [`rename`](#rename) wins.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle)]
/// #[pickle(rename_all = "camelCase")]
/// struct Request { user_id: i64, is_admin: bool }
///
/// let bytes = pickle::ser::to_vec(&Request { user_id: 7, is_admin: true }, 2)?;
/// assert_eq!(bytes, b"\x80\x02c__main__\nRequest\nq\x00)\x81q\x01}q\x02(X\x06\x00\x00\x00userIdq\x03K\x07X\x07\x00\x00\x00isAdminq\x04\x88ub.");
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `deny_unknown_fields`
///
/// `#[pickle(deny_unknown_fields)]`: loading fails on an attribute that no
/// field names, instead of ignoring it.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle, Debug)]
/// struct Point { x: i64, y: i64 }
///
/// #[derive(Pickle, Debug)]
/// #[pickle(name = "Point", deny_unknown_fields)]
/// struct Strict { x: i64 }
///
/// let bytes = pickle::ser::to_vec(&Point { x: 1, y: 2 }, 2)?;
/// let err = pickle::de::from_slice::<Strict>(&bytes).unwrap_err();
/// assert!(err.to_string().contains("unknown attribute 'y'"));
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `alias`
///
/// `#[pickle(alias = "old_module.OldName")]`: another class this type
/// loads from, such as the class's name before a rename; it may be repeated.
/// Write `"module:Outer.Inner"` to name a nested class. What is written is
/// always `module.name`.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle)]
/// #[pickle(module = "geometry")]
/// struct Point { x: i64, y: i64 }
///
/// #[derive(Pickle, Debug, PartialEq)]
/// #[pickle(module = "geo", name = "Vec2", alias = "geometry.Point", alias = "legacy:Shapes.Point")]
/// struct Vec2 { x: i64, y: i64 }
///
/// let bytes = pickle::ser::to_vec(&Point { x: 1, y: 2 }, 2)?;
/// assert_eq!(pickle::de::from_slice::<Vec2>(&bytes)?, Vec2 { x: 1, y: 2 });
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `transparent`
///
/// `#[pickle(transparent)]` on a struct with one field (besides skipped ones):
/// the struct pickles as that field, with no class of its own. Newtypes are
/// not transparent unless they say so, because a tuple struct is a
/// namedtuple-like instance.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle, Debug, PartialEq)]
/// #[pickle(transparent)]
/// struct UserId(u64);
///
/// let bytes = pickle::ser::to_vec(&UserId(7), 2)?;
/// assert_eq!(bytes, pickle::ser::to_vec(&7_u64, 2)?);
/// assert_eq!(pickle::de::from_slice::<UserId>(&bytes)?, UserId(7));
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `dict`
///
/// `#[pickle(dict)]` on a struct with named fields: the struct is a plain
/// Python `dict` of its fields, not an instance of a class. The keys are the
/// field names (after [`rename`](#rename) and [`rename_all`](#rename_all)),
/// in field order, skipped fields left out; the bytes are those of
/// `pickle.dumps` of that dict at every protocol, its keys written once per
/// pickle and fetched from the memo after that, as for attribute names.
/// Loading reads a dict, or the `collections.OrderedDict`, `defaultdict` or
/// `Counter` the standard maps read as one, in any key order. A missing key
/// is a [`MissingAttribute`](ErrorKind::MissingAttribute) error unless the
/// field has a [`default`](#default); other keys are ignored unless
/// [`deny_unknown_fields`](#deny_unknown_fields) makes them an
/// [`UnknownAttribute`](ErrorKind::UnknownAttribute) error. The field
/// attributes work as for an instance; `dict` cannot be combined with the
/// attributes that describe a class or an instance (`module`, `name`,
/// `alias`, `transparent`, `slots`, `frozen_slots`, `getnewargs`, `state`).
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle, Debug, PartialEq)]
/// #[pickle(dict, rename_all = "camelCase")]
/// struct User {
///     user_id: i64,
///     name: String,
///     #[pickle(skip)]
///     session: Option<u64>,
/// }
///
/// let user = User { user_id: 7, name: "ann".into(), session: Some(1) };
/// // pickle.dumps({'userId': 7, 'name': 'ann'}, protocol=2)
/// let bytes = pickle::ser::to_vec(&user, 2)?;
/// assert_eq!(bytes, b"\x80\x02}q\x00(X\x06\x00\x00\x00userIdq\x01K\x07X\x04\x00\x00\x00nameq\x02X\x03\x00\x00\x00annq\x03u.");
/// let back: User = pickle::de::from_slice(&bytes)?;
/// assert_eq!(back, User { user_id: 7, name: "ann".into(), session: None });
///
/// // pickle.dumps(collections.OrderedDict(userId=7, name='ann'), protocol=2)
/// let ordered = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(X\x06\x00\x00\x00userIdq\x02K\x07X\x04\x00\x00\x00nameq\x03X\x03\x00\x00\x00annq\x04u.";
/// assert_eq!(pickle::de::from_slice::<User>(ordered)?, back);
///
/// #[derive(Pickle, Debug)]
/// #[pickle(dict, deny_unknown_fields)]
/// struct Strict { name: String }
///
/// let err = pickle::de::from_slice::<Strict>(&bytes).unwrap_err();
/// assert_eq!(err.kind(), pickle::ErrorKind::UnknownAttribute);
/// assert!(err.to_string().contains("unknown key 'userId'"));
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `slots`
///
/// `#[pickle(slots)]`: the class defines `__slots__` (one per field, in
/// order) and no `__dict__`: the state is `(None, {slots})`. As in CPython,
/// such an instance cannot be pickled at protocols 0–1.
///
/// ```
/// # use pickle::Pickle;
/// // class Slotted: __slots__ = ('x', 'y')
/// #[derive(Pickle, Debug, PartialEq)]
/// #[pickle(slots)]
/// struct Slotted { x: i64, y: i64 }
///
/// let bytes = pickle::ser::to_vec(&Slotted { x: 1, y: 2 }, 2)?;
/// assert_eq!(bytes, b"\x80\x02c__main__\nSlotted\nq\x00)\x81q\x01N}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02u\x86q\x05b.");
/// assert!(pickle::ser::to_vec(&Slotted { x: 1, y: 2 }, 1).is_err());
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// A `@dataclass(slots=True)` is such a class: since Python 3.11 it has no
/// `__getstate__` of its own and pickles as `slots` does.
///
/// ## `frozen_slots`
///
/// `#[pickle(frozen_slots)]`: the class is a `@dataclass(frozen=True,
/// slots=True)`, whose `__getstate__` returns its field values as a list, in
/// declaration order. The state is that list at every protocol (for no
/// fields, `[]` from protocol 2 and no state below, as CPython writes it).
///
/// ```
/// # use pickle::Pickle;
/// // @dataclass(frozen=True, slots=True)
/// // class Frozen: x: int; y: int
/// #[derive(Pickle, Debug, PartialEq)]
/// #[pickle(frozen_slots)]
/// struct Frozen { x: i64, y: i64 }
///
/// // pickle.dumps(Frozen(1, 2), protocol=2)
/// let bytes = pickle::ser::to_vec(&Frozen { x: 1, y: 2 }, 2)?;
/// assert_eq!(bytes, b"\x80\x02c__main__\nFrozen\nq\x00)\x81q\x01]q\x02(K\x01K\x02eb.");
/// assert_eq!(pickle::de::from_slice::<Frozen>(&bytes)?, Frozen { x: 1, y: 2 });
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `getnewargs`
///
/// `#[pickle(getnewargs)]` on a struct with named fields: the fields are the
/// constructor's arguments, in order, as `__getnewargs__` returns them for a
/// namedtuple; there is no state. (Tuple structs always work this way.)
///
/// ```
/// # use pickle::Pickle;
/// // Pair = collections.namedtuple('Pair', 'left right')
/// #[derive(Pickle, Debug, PartialEq)]
/// #[pickle(getnewargs)]
/// struct Pair { left: i64, right: String }
///
/// let pair = Pair { left: 1, right: "a".into() };
/// let bytes = pickle::ser::to_vec(&pair, 0)?;
/// assert_eq!(bytes, b"ccopy_reg\n_reconstructor\np0\n(c__main__\nPair\np1\nc__builtin__\ntuple\np2\n(I1\nVa\np3\ntp4\ntp5\nRp6\n.");
/// assert_eq!(pickle::de::from_slice::<Pair>(&bytes)?, pair);
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `state`
///
/// `#[pickle(state = "path::to::module")]`: the class has its own
/// `__getstate__` and `__setstate__`. The instance is written as
/// `NEWOBJ(cls, ())`, then the state, then `BUILD`, and the module provides
/// the two halves:
///
/// - `fn get_state<W: std::io::Write>(value: &T, w: &mut pickle::ser::Writer<'_, W>) -> pickle::Result<()>`
///   writes exactly one object, the state `__getstate__` would return;
/// - `fn set_state<'de>(state: pickle::de::Node<'_, 'de>) -> pickle::Result<T>`
///   makes the value from the state `__setstate__` would receive (read its
///   parts with [`Node::extract`](de::Node::extract)). An instance with no
///   state (no `BUILD`) fails to load.
///
/// ```
/// use pickle::Pickle;
///
/// // class Temperature:
/// //     def __getstate__(self): return self.celsius
/// //     def __setstate__(self, state): self.celsius = state
/// #[derive(Pickle, Debug, PartialEq)]
/// #[pickle(state = "celsius_state")]
/// struct Temperature { celsius: f64 }
///
/// mod celsius_state {
///     use pickle::de::Node;
///     use pickle::ser::{ToPickle, Writer};
///
///     pub fn get_state<W: std::io::Write>(t: &super::Temperature, w: &mut Writer<'_, W>) -> pickle::Result<()> {
///         t.celsius.to_pickle(w)
///     }
///
///     pub fn set_state(state: Node<'_, '_>) -> pickle::Result<super::Temperature> {
///         Ok(super::Temperature { celsius: state.extract()? })
///     }
/// }
///
/// fn main() -> pickle::Result<()> {
///     let bytes = pickle::ser::to_vec(&Temperature { celsius: 21.5 }, 2)?;
///     assert_eq!(pickle::de::from_slice::<Temperature>(&bytes)?, Temperature { celsius: 21.5 });
///     Ok(())
/// }
/// ```
///
/// ## `str_values`
///
/// `#[pickle(str_values)]` on a C-like enum: the members' values are
/// strings, the variant name under [`rename_all`](#rename_all) unless the
/// variant gives its own [`value`](#value).
///
/// ```
/// # use pickle::Pickle;
/// // class Mode(enum.Enum): READ = 'read'; READ_WRITE = 'read-write'
/// #[derive(Pickle, Debug, PartialEq)]
/// #[pickle(str_values, rename_all = "kebab-case")]
/// enum Mode {
///     Read,
///     ReadWrite,
/// }
///
/// let bytes = pickle::ser::to_vec(&Mode::ReadWrite, 2)?;
/// assert_eq!(bytes, b"\x80\x02c__main__\nMode\nq\x00X\n\x00\x00\x00read-writeq\x01\x85q\x02Rq\x03.");
/// assert_eq!(pickle::de::from_slice::<Mode>(&bytes)?, Mode::ReadWrite);
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// # Variant attributes
///
/// ## `value`
///
/// `#[pickle(value = "red")]` (with [`str_values`](#str_values)) or
/// `#[pickle(value = 10)]`: the Python value of this member.
///
/// ```
/// # use pickle::Pickle;
/// // class Color(enum.Enum): RED = 'r'; BLUE = 'b'
/// #[derive(Pickle, Debug, PartialEq)]
/// #[pickle(str_values)]
/// enum Color {
///     #[pickle(value = "r")]
///     Red,
///     #[pickle(value = "b")]
///     Blue,
/// }
///
/// let bytes = pickle::ser::to_vec(&Color::Blue, 2)?;
/// assert_eq!(bytes, b"\x80\x02c__main__\nColor\nq\x00X\x01\x00\x00\x00bq\x01\x85q\x02Rq\x03.");
/// assert_eq!(pickle::de::from_slice::<Color>(&bytes)?, Color::Blue);
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// # Field attributes
///
/// ## `rename`
///
/// `#[pickle(rename = "type")]`: the field's attribute name in Python.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Token {
///     #[pickle(rename = "type")]
///     kind: String,
/// }
///
/// let bytes = pickle::ser::to_vec(&Token { kind: "word".into() }, 3)?;
/// let value: pickle::Value = pickle::loads(&bytes)?;
/// let instance = value.root_node().as_instance().unwrap();
/// let state = value.node(instance.state.unwrap());
/// assert_eq!(state.get("type").and_then(|n| n.as_str()), Some("word"));
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `skip`
///
/// `#[pickle(skip)]`: the field is not pickled; loading fills it with
/// `Default::default()` (or the [`default`](#default) path given).
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Page {
///     text: String,
///     #[pickle(skip)]
///     rendered: Option<String>,
/// }
///
/// let page = Page { text: "hi".into(), rendered: Some("<p>hi</p>".into()) };
/// let bytes = pickle::ser::to_vec(&page, 2)?;
/// assert_eq!(pickle::de::from_slice::<Page>(&bytes)?, Page { text: "hi".into(), rendered: None });
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `default`
///
/// `#[pickle(default)]` or `#[pickle(default = "path")]`: when the pickled
/// instance has no such attribute (say, it predates the field), use
/// `Default::default()` or `path()`.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle)]
/// #[pickle(name = "Config")]
/// struct ConfigV1 { name: String }
///
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Config {
///     name: String,
///     #[pickle(default)]
///     verbose: bool,
///     #[pickle(default = "default_retries")]
///     retries: u32,
/// }
///
/// fn default_retries() -> u32 { 3 }
///
/// let bytes = pickle::ser::to_vec(&ConfigV1 { name: "x".into() }, 2)?;
/// let config: Config = pickle::de::from_slice(&bytes)?;
/// assert_eq!(config, Config { name: "x".into(), verbose: false, retries: 3 });
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `with`
///
/// `#[pickle(with = "module")]`: the field is written and read by the
/// module's functions instead of its type's impls:
///
/// - `fn to_pickle<W: std::io::Write>(value: &T, w: &mut pickle::ser::Writer<'_, W>) -> pickle::Result<()>`
/// - `fn from_pickle<'de>(node: pickle::de::Node<'_, 'de>) -> pickle::Result<T>`
///
/// Read the parts of `node` with [`Node::extract`](de::Node::extract), which
/// keeps shared objects shared and bounds the depth of the read.
///
/// ```
/// # use pickle::Pickle;
/// use std::time::Duration;
///
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Timeout {
///     #[pickle(with = "seconds")]
///     after: Duration,
/// }
///
/// /// A `Duration` as a float number of seconds.
/// mod seconds {
///     use std::time::Duration;
///     use pickle::de::Node;
///     use pickle::ser::Writer;
///
///     pub fn to_pickle<W: std::io::Write>(d: &Duration, w: &mut Writer<'_, W>) -> pickle::Result<()> {
///         w.write_float(d.as_secs_f64())
///     }
///
///     pub fn from_pickle(node: Node<'_, '_>) -> pickle::Result<Duration> {
///         Ok(Duration::from_secs_f64(node.extract()?))
///     }
/// }
///
/// let t = Timeout { after: Duration::from_millis(1500) };
/// let bytes = pickle::ser::to_vec(&t, 2)?;
/// assert_eq!(pickle::de::from_slice::<Timeout>(&bytes)?, t);
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// ## `bytes`
///
/// `#[pickle(bytes)]`: a byte sequence (any `AsRef<[u8]>` that is
/// `From<&[u8]>`, such as `Vec<u8>`) is a Python `bytes` object rather than
/// a list of ints. Loading also accepts a `bytearray`.
///
/// ```
/// # use pickle::Pickle;
/// #[derive(Pickle, Debug, PartialEq)]
/// struct Blob {
///     #[pickle(bytes)]
///     data: Vec<u8>,
/// }
///
/// let bytes = pickle::ser::to_vec(&Blob { data: vec![0, 1] }, 3)?;
/// assert_eq!(bytes, b"\x80\x03c__main__\nBlob\nq\x00)\x81q\x01}q\x02X\x04\x00\x00\x00dataq\x03C\x02\x00\x01q\x04sb.");
/// assert_eq!(pickle::de::from_slice::<Blob>(&bytes)?, Blob { data: vec![0, 1] });
/// # Ok::<(), pickle::Error>(())
/// ```
///
/// # Mistakes
///
/// Attributes are checked when the derive runs: an unknown attribute, a
/// value of the wrong kind, or a combination that has no effect (`skip`
/// with `rename`, `slots` on a tuple struct, a C-like enum with data, a
/// duplicate alias, ...) is a compile error pointing at the attribute, and
/// every mistake in the type is reported at once.
///
/// ```compile_fail
/// # use pickle::Pickle;
/// #[derive(Pickle)]
/// struct Point {
///     #[pickle(skip, rename = "X")]
///     x: i64,
/// }
/// ```
pub use pickle_derive::Pickle;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
