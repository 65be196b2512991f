//! [`FromPickle`] for the standard types.
//!
//! Each type accepts the Python kinds its [`ToPickle`](crate::ser::ToPickle)
//! writes, and a few lossless others: a sequence also accepts a tuple, a set
//! also a frozenset, a float also an int that it holds exactly.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::rc::Rc;
use std::sync::Arc;

use num_bigint::BigInt;
use num_traits::{FromPrimitive, ToPrimitive};

use super::direct::{Direct, Reference, Source};
use super::{FromPickle, Node};
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Id, Instance, Object, Value};

impl<'de> FromPickle<'de> for bool {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        node.as_bool().ok_or_else(|| node.type_error("bool"))
    }

    const DIRECT: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        r.bool()
    }
}

macro_rules! int_impls {
    ($($t:ty)*) => {$(
        impl<'de> FromPickle<'de> for $t {
            fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
                match node.object() {
                    Object::Int(i) => <$t>::try_from(*i)
                        .map_err(|_| Error::out_of_range(format!("int {i}"), stringify!($t))),
                    Object::BigInt(i) => <$t>::try_from(&**i)
                        .map_err(|_| Error::out_of_range(format!("int {i}"), stringify!($t))),
                    _ => Err(node.type_error("int")),
                }
            }

            const DIRECT: bool = true;

            #[inline]
            fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
                <$t>::try_from(r.int()?).ok()
            }

            #[inline]
            fn read_direct_run<S: Source<'de>>(r: &mut Direct<'de, S>, out: &mut Vec<Self>, max: usize) -> Option<usize> {
                let run = r.small_ints(max, |i| match <$t>::try_from(i) {
                    Ok(i) => {
                        out.push(i);
                        true
                    }
                    Err(_) => false,
                })?;
                run_or_one(r, out, run)
            }
        }
    )*};
}

int_impls!(i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);

impl<'de> FromPickle<'de> for BigInt {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        node.as_bigint().ok_or_else(|| node.type_error("int"))
    }
}

/// The float an int converts to, if it converts exactly.
fn exact_f64(node: &Node<'_, '_>) -> Option<Result<f64>> {
    let inexact = |n: &dyn std::fmt::Display, target: &str| {
        Error::new(
            ErrorKind::OutOfRange,
            format!("int {n} cannot be represented exactly as {target}"),
        )
    };
    match node.object() {
        Object::Int(i) => {
            let x = *i as f64;
            // Compared in i128: `x as i64` would saturate at 2**63.
            Some(if x as i128 == i128::from(*i) {
                Ok(x)
            } else {
                Err(inexact(i, "f64"))
            })
        }
        Object::BigInt(i) => {
            let x = i
                .to_f64()
                .filter(|x| BigInt::from_f64(*x).as_ref() == Some(&**i));
            Some(x.ok_or_else(|| inexact(i, "f64")))
        }
        _ => None,
    }
}

impl<'de> FromPickle<'de> for f64 {
    /// A float, or an int the float holds exactly (`2**53 + 1` is an error).
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        if let Some(x) = node.as_f64() {
            return Ok(x);
        }
        exact_f64(&node).unwrap_or_else(|| Err(node.type_error("float")))
    }

    const DIRECT: bool = true;

    #[inline]
    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        r.float()
    }

    #[inline]
    fn read_direct_run<S: Source<'de>>(
        r: &mut Direct<'de, S>,
        out: &mut Vec<Self>,
        max: usize,
    ) -> Option<usize> {
        let run = r.floats(max, |x| {
            out.push(x);
            true
        })?;
        run_or_one(r, out, run)
    }
}

impl<'de> FromPickle<'de> for f32 {
    /// A float, rounded to the nearest `f32` (an error if that overflows),
    /// or an int the `f32` holds exactly.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        if let Some(x) = node.as_f64() {
            let y = x as f32;
            if y.is_infinite() && x.is_finite() {
                return Err(Error::out_of_range(
                    format!("float {}", crate::pyrepr::float_repr(x)),
                    "f32",
                ));
            }
            return Ok(y);
        }
        let x = exact_f64(&node).unwrap_or_else(|| Err(node.type_error("float")))?;
        let y = x as f32;
        if f64::from(y) == x {
            Ok(y)
        } else {
            Err(Error::new(
                ErrorKind::OutOfRange,
                format!("int {x} cannot be represented exactly as f32"),
            ))
        }
    }

    const DIRECT: bool = true;

    /// As [`FromPickle::from_pickle`]: a float rounded, an int only exactly.
    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        let float = r.peek()? == crate::opcode::Opcode::BinFloat.byte();
        let x = r.float()?;
        match float {
            true => rounded_f32(x),
            false => Some(x as f32).filter(|&y| f64::from(y) == x),
        }
    }

    #[inline]
    fn read_direct_run<S: Source<'de>>(
        r: &mut Direct<'de, S>,
        out: &mut Vec<Self>,
        max: usize,
    ) -> Option<usize> {
        let run = r.floats(max, |x| match rounded_f32(x) {
            Some(y) => {
                out.push(y);
                true
            }
            None => false,
        })?;
        run_or_one(r, out, run)
    }
}

/// A run of `run` items read into `out`; or, if the run took none, one item
/// read alone (another opcode than the run's).
#[inline]
fn run_or_one<'de, T: FromPickle<'de>, S: Source<'de>>(
    r: &mut Direct<'de, S>,
    out: &mut Vec<T>,
    run: usize,
) -> Option<usize> {
    if run > 0 {
        return Some(run);
    }
    out.push(T::read_direct(r)?);
    Some(1)
}

/// A float rounded to the nearest `f32`, unless that overflows (the graph
/// path's error).
#[inline]
fn rounded_f32(x: f64) -> Option<f32> {
    let y = x as f32;
    (!(y.is_infinite() && x.is_finite())).then_some(y)
}

impl<'de> FromPickle<'de> for String {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        node.as_str()
            .map(str::to_owned)
            .ok_or_else(|| node.type_error("str"))
    }

    const DIRECT: bool = true;

    #[inline]
    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        r.string()
    }
}

impl<'de> FromPickle<'de> for Box<str> {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        node.as_str()
            .map(Box::from)
            .ok_or_else(|| node.type_error("str"))
    }

    const DIRECT: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        r.string().map(String::into_boxed_str)
    }
}

impl<'de> FromPickle<'de> for &'de str {
    /// A str that borrows the pickle's bytes.
    ///
    /// Only a pickle read from a slice can lend its strs, and only those
    /// stored as UTF-8 (protocol 1 and above); a str read from a stream or
    /// decoded from protocol 0's escapes is an error: read it as `String` or
    /// `Cow<str>` instead.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        match node.object() {
            Object::Str(Cow::Borrowed(s)) => Ok(s),
            Object::Str(Cow::Owned(_)) => Err(Error::new(
                ErrorKind::TypeMismatch,
                "expected a str borrowed from the input, found a str that had to be \
                 copied (read from a stream, or decoded): read it as String or Cow<str>",
            )),
            _ => Err(node.type_error("str")),
        }
    }

    const DIRECT: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        match r.str()? {
            Reference::Borrowed(text) => Some(text),
            // Read from a stream: the graph path's error.
            Reference::Copied(_) => r.give_up(),
        }
    }
}

impl<'de> FromPickle<'de> for Cow<'de, str> {
    /// A str, borrowed from the pickle's bytes where it can be, else copied.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        match node.object() {
            Object::Str(Cow::Borrowed(s)) => Ok(Cow::Borrowed(s)),
            Object::Str(Cow::Owned(s)) => Ok(Cow::Owned(s.clone())),
            _ => Err(node.type_error("str")),
        }
    }

    const DIRECT: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        Some(match r.str()? {
            Reference::Borrowed(text) => Cow::Borrowed(text),
            Reference::Copied(text) => Cow::Owned(text.to_owned()),
        })
    }
}

impl<'de> FromPickle<'de> for char {
    /// A str of exactly one character.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let s = node.as_str().ok_or_else(|| node.type_error("str"))?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(Error::type_mismatch(
                "a str of length 1",
                format!("a str of length {}", s.chars().count()),
            )),
        }
    }

    const DIRECT: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        let text = r.str()?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        }
    }
}

impl<'de> FromPickle<'de> for () {
    /// `None`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        if node.is_none() {
            Ok(())
        } else {
            Err(node.type_error("None"))
        }
    }

    const DIRECT: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        r.none()?.then_some(())
    }
}

impl<'de, T: FromPickle<'de>> FromPickle<'de> for Option<T> {
    /// `None`, or a `T`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        if node.is_none() {
            Ok(None)
        } else {
            node.extract().map(Some)
        }
    }

    const DIRECT: bool = T::DIRECT;
    const UNHASHABLE: bool = T::UNHASHABLE;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        if r.none()? {
            Some(None)
        } else {
            r.read().map(Some)
        }
    }
}

// ---- sequences -----------------------------------------------------------

/// The items of a list (or a tuple), each read as a `T`.
///
/// A plain loop: deep reads recurse through here, and iterator adapters
/// cost stack frames in debug builds.
pub(crate) fn seq<'de, T: FromPickle<'de>, C: Extend<T> + Default>(
    node: Node<'_, 'de>,
) -> Result<C> {
    match node.object() {
        Object::List(ids) | Object::Tuple(ids) => items_of(node, ids),
        _ => match crate::types::collections::deque_items(node) {
            Some(items) => crate::types::collections::read_items(items),
            None => Err(node.type_error("list")),
        },
    }
}

/// The items of a set (or a frozenset), each read as a `T`.
pub(crate) fn set<'de, T: FromPickle<'de>, C: Extend<T> + Default>(
    node: Node<'_, 'de>,
) -> Result<C> {
    match node.object() {
        Object::Set(ids) | Object::FrozenSet(ids) => items_of(node, ids),
        _ => Err(node.type_error("set")),
    }
}

fn items_of<'de, T: FromPickle<'de>, C: Extend<T> + Default>(
    node: Node<'_, 'de>,
    ids: &[Id],
) -> Result<C> {
    let mut out = C::default();
    read_items_into(node, ids, &mut out)?;
    Ok(out)
}

/// Reads the items `ids` of `node`, each as a `T`, into `out`.
fn read_items_into<'de, T: FromPickle<'de>>(
    node: Node<'_, 'de>,
    ids: &[Id],
    out: &mut impl Extend<T>,
) -> Result<()> {
    let ctx = node.context();
    for (i, &id) in ids.iter().enumerate() {
        match node.at(id).extract_in(ctx.as_ref()) {
            Ok(item) => out.extend(Some(item)),
            Err(e) => return Err(e.in_index(i)),
        }
    }
    Ok(())
}

/// The pairs of a dict, each read as `(K, V)`.
pub(crate) fn map<'de, K: FromPickle<'de>, V: FromPickle<'de>, C: Extend<(K, V)> + Default>(
    node: Node<'_, 'de>,
) -> Result<C> {
    let Object::Dict(pairs) = node.object() else {
        return match crate::types::collections::dict_like(node) {
            Some(pairs) => crate::types::collections::read_pairs(pairs),
            None => Err(node.type_error("dict")),
        };
    };
    let mut out = C::default();
    let ctx = node.context();
    for &(k, v) in pairs {
        let (k, v) = (node.at(k), node.at(v));
        let key = k
            .extract_in(ctx.as_ref())
            .map_err(|e| e.in_key(format!("{k:?}")))?;
        let value = v
            .extract_in(ctx.as_ref())
            .map_err(|e| e.in_key(format!("{k:?}")))?;
        out.extend(Some((key, value)));
    }
    Ok(out)
}

impl<'de, T: FromPickle<'de>> FromPickle<'de> for Vec<T> {
    /// A list, a tuple, or a `collections.deque`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        match node.object() {
            // The items are in the graph already: their count is not a claim.
            Object::List(ids) | Object::Tuple(ids) => {
                let mut out = Vec::with_capacity(ids.len());
                read_items_into(node, ids, &mut out)?;
                Ok(out)
            }
            _ => seq(node),
        }
    }

    const DIRECT: bool = T::DIRECT;
    const UNHASHABLE: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        let (mut out, mut advised) = (Vec::new(), 0);
        let len = r.list_runs(|r, max| {
            let run = T::read_direct_run(r, &mut out, max)?;
            crate::pages::advise_grown(&mut out, &mut advised);
            Some(run)
        })?;
        out.truncate(len);
        Some(out)
    }
}

impl<'de, T: FromPickle<'de>> FromPickle<'de> for VecDeque<T> {
    /// A list, a tuple, or a `collections.deque`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        seq(node)
    }

    const DIRECT: bool = T::DIRECT;
    const UNHASHABLE: bool = true;

    /// A list (the others take the graph path).
    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        Vec::read_direct(r).map(VecDeque::from)
    }
}

impl<'de, T: FromPickle<'de>> FromPickle<'de> for Box<[T]> {
    /// A list, or a tuple.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        seq::<T, Vec<T>>(node).map(Vec::into_boxed_slice)
    }

    const DIRECT: bool = T::DIRECT;
    const UNHASHABLE: bool = true;

    /// A list (a tuple takes the graph path).
    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        Vec::read_direct(r).map(Vec::into_boxed_slice)
    }
}

impl<'de, T: FromPickle<'de>, const N: usize> FromPickle<'de> for [T; N] {
    /// A tuple (or a list) of exactly `N` items.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let items: Vec<T> = seq(node)?;
        let len = items.len();
        items.try_into().map_err(|_| {
            Error::type_mismatch(
                format!("a tuple of {N} items"),
                format!("{} of {len} items", node.object().type_name()),
            )
        })
    }

    const DIRECT: bool = T::DIRECT;
    const UNHASHABLE: bool = true;

    /// A tuple, as the pickler writes an array, or a list.
    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        let items = if r.peek()? == crate::opcode::Opcode::EmptyList.byte() {
            Vec::read_direct(r)?
        } else {
            r.nested(|r| r.tuple_of(|r| r.read::<T>()))?
        };
        items.try_into().ok()
    }
}

impl<'de, T: FromPickle<'de> + Eq + Hash, S: BuildHasher + Default> FromPickle<'de>
    for HashSet<T, S>
{
    /// A set, or a frozenset.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        set(node)
    }

    const DIRECT: bool = T::DIRECT;
    const UNHASHABLE: bool = true;

    fn read_direct<R: Source<'de>>(r: &mut Direct<'de, R>) -> Option<Self> {
        set_items(r).map(|items| items.into_iter().collect())
    }
}

impl<'de, T: FromPickle<'de> + Ord> FromPickle<'de> for BTreeSet<T> {
    /// A set, or a frozenset.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        set(node)
    }

    const DIRECT: bool = T::DIRECT;
    const UNHASHABLE: bool = true;

    fn read_direct<R: Source<'de>>(r: &mut Direct<'de, R>) -> Option<Self> {
        set_items(r).map(|items| items.into_iter().collect())
    }
}

/// The items of a set read directly, in the order written: gathered
/// first, so that those of a reading that did not end well are dropped.
pub(crate) fn set_items<'de, T: FromPickle<'de>, S: Source<'de>>(
    r: &mut Direct<'de, S>,
) -> Option<Vec<T>> {
    let mut items = Vec::new();
    let len = r.set(|r| {
        if T::UNHASHABLE && r.unhashable_next()? {
            return None;
        }
        items.push(r.read()?);
        Some(())
    })?;
    items.truncate(len);
    Some(items)
}

impl<'de, K, V, S> FromPickle<'de> for HashMap<K, V, S>
where
    K: FromPickle<'de> + Eq + Hash,
    V: FromPickle<'de>,
    S: BuildHasher + Default,
{
    /// A dict, or a `collections.OrderedDict`, `defaultdict` or `Counter`.
    /// A key set twice (only a crafted pickle does that) keeps the last value, as in Python.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        map(node)
    }

    const DIRECT: bool = K::DIRECT && V::DIRECT;
    const UNHASHABLE: bool = true;

    fn read_direct<R: Source<'de>>(r: &mut Direct<'de, R>) -> Option<Self> {
        let pairs = direct_pairs(r)?;
        let mut map = HashMap::with_capacity_and_hasher(pairs.len(), S::default());
        map.extend(pairs);
        Some(map)
    }
}

impl<'de, K: FromPickle<'de> + Ord, V: FromPickle<'de>> FromPickle<'de> for BTreeMap<K, V> {
    /// A dict, or a `collections.OrderedDict`, `defaultdict` or `Counter`.
    /// A key set twice (only a crafted pickle does that) keeps the last value, as in Python.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        map(node)
    }

    const DIRECT: bool = K::DIRECT && V::DIRECT;
    const UNHASHABLE: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        Some(direct_pairs(r)?.into_iter().collect())
    }
}

/// The entries of a plain dict, read directly, in the order written: so
/// that the map is built at its size, never grown.
pub(crate) fn direct_pairs<'de, K: FromPickle<'de>, V: FromPickle<'de>, S: Source<'de>>(
    r: &mut Direct<'de, S>,
) -> Option<Pairs<K, V>> {
    let mut pairs = Pairs::default();
    let len = r.dict(|r, _| {
        if K::UNHASHABLE && r.unhashable_next()? {
            return None;
        }
        let key = r.read()?;
        pairs.push((key, r.read()?));
        Some(())
    })?;
    pairs.truncate(len);
    Some(pairs)
}

/// Key/value pairs, the first few held inline: most dicts are small, and
/// gathering them should not cost an allocation of its own.
pub(crate) struct Pairs<K, V> {
    inline: [Option<(K, V)>; INLINE_PAIRS],
    len: usize,
    spill: Vec<(K, V)>,
}

const INLINE_PAIRS: usize = 4;

impl<K, V> Default for Pairs<K, V> {
    fn default() -> Self {
        Pairs {
            inline: [const { None }; INLINE_PAIRS],
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl<K, V> Pairs<K, V> {
    fn push(&mut self, pair: (K, V)) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = Some(pair),
            None => self.spill.push(pair),
        }
        self.len += 1;
    }

    /// Drops the pairs after the first `len`.
    fn truncate(&mut self, len: usize) {
        for slot in self.inline.iter_mut().skip(len) {
            *slot = None;
        }
        self.spill.truncate(len.saturating_sub(INLINE_PAIRS));
        self.len = self.len.min(len);
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl<K, V> IntoIterator for Pairs<K, V> {
    type Item = (K, V);
    type IntoIter = std::iter::Chain<
        std::iter::Flatten<std::array::IntoIter<Option<(K, V)>, INLINE_PAIRS>>,
        std::vec::IntoIter<(K, V)>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.inline.into_iter().flatten().chain(self.spill)
    }
}

macro_rules! tuple_impls {
    ($($len:literal => ($($n:tt $t:ident)+))+) => {$(
        impl<'de, $($t: FromPickle<'de>),+> FromPickle<'de> for ($($t,)+) {
            /// A tuple of exactly this many items.
            fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
                match node.object() {
                    Object::Tuple(items) if items.len() == $len => Ok(($(
                        node.at(items[$n]).extract::<$t>().map_err(|e| e.in_index($n))?,
                    )+)),
                    Object::Tuple(items) => Err(Error::type_mismatch(
                        concat!("a tuple of ", $len, " items"),
                        format!("a tuple of {} items", items.len()),
                    )),
                    _ => Err(node.type_error("tuple")),
                }
            }

            const DIRECT: bool = true $(&& $t::DIRECT)+;

            fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
                r.nested(|r| r.tuple($len, |r| Some(($(r.read::<$t>()?,)+))))
            }
        }
    )+};
}

tuple_impls! {
    1 => (0 T0)
    2 => (0 T0 1 T1)
    3 => (0 T0 1 T1 2 T2)
    4 => (0 T0 1 T1 2 T2 3 T3)
    5 => (0 T0 1 T1 2 T2 3 T3 4 T4)
    6 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5)
    7 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6)
    8 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7)
    9 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8)
    10 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9)
    11 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10)
    12 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11)
}

// ---- pointers ------------------------------------------------------------

impl<'de, T: FromPickle<'de>> FromPickle<'de> for Box<T> {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        node.extract().map(Box::new)
    }

    const DIRECT: bool = T::DIRECT;
    const UNHASHABLE: bool = T::UNHASHABLE;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        r.read().map(Box::new)
    }
}

impl<'de, T: ?Sized + 'static> FromPickle<'de> for Rc<T>
where
    Box<T>: FromPickle<'de>,
{
    /// One `Rc` per Python object: two references to one object in the
    /// pickle are two clones of one `Rc` (see [`Node::shared`]).
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        node.shared(|| node.extract::<Box<T>>().map(Rc::from))
    }
}

impl<'de, T: ?Sized + 'static> FromPickle<'de> for Arc<T>
where
    Box<T>: FromPickle<'de>,
{
    /// One `Arc` per Python object: two references to one object in the
    /// pickle are two clones of one `Arc` (see [`Node::shared`]).
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        node.shared(|| node.extract::<Box<T>>().map(Arc::from))
    }
}

impl<'de, T: FromPickle<'de>> FromPickle<'de> for RefCell<T> {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        node.extract().map(RefCell::new)
    }
}

// ---- the object graph ----------------------------------------------------

impl<'de> FromPickle<'de> for Value<'de> {
    /// A copy of the objects reachable from `node`, with `node` as the root:
    /// any object, kept as a graph (sharing and cycles included).
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        Ok(subgraph(node))
    }

    /// The graph itself.
    fn from_value(value: Value<'de>) -> Result<Self> {
        Ok(value)
    }
}

/// Copies the objects reachable from `node` into a new graph, without recursion.
fn subgraph<'de>(node: Node<'_, 'de>) -> Value<'de> {
    let graph = node.graph();
    let mut out = Value::new();
    let mut new_ids: HashMap<Id, Id> = HashMap::new();
    let mut todo = vec![node.id()];
    new_ids.insert(node.id(), out.add(graph.get(node.id()).clone()));
    while let Some(old) = todo.pop() {
        let new = new_ids[&old];
        let mut children = Vec::new();
        out.get(new).for_each_child(|c| children.push(c));
        for child in children {
            new_ids.entry(child).or_insert_with(|| {
                todo.push(child);
                out.add(graph.get(child).clone())
            });
        }
        remap(out.get_mut(new), |id| new_ids[&id]);
    }
    out.set_root(new_ids[&node.id()]);
    out
}

/// Rewrites every `Id` an object refers to.
fn remap(object: &mut Object<'_>, f: impl Fn(Id) -> Id) {
    match object {
        Object::List(v) | Object::Tuple(v) | Object::Set(v) | Object::FrozenSet(v) => {
            v.iter_mut().for_each(|id| *id = f(*id))
        }
        Object::Dict(pairs) => pairs.iter_mut().for_each(|(k, v)| {
            *k = f(*k);
            *v = f(*v);
        }),
        Object::PersistentId(pid) => *pid = f(*pid),
        Object::Native(native) => remap_instance(native.instance_mut(), f),
        Object::Instance(inst) => remap_instance(inst, f),
        Object::None
        | Object::Bool(_)
        | Object::Int(_)
        | Object::BigInt(_)
        | Object::Float(_)
        | Object::Complex(_)
        | Object::Str(_)
        | Object::Bytes(_)
        | Object::ByteArray(_)
        | Object::Global(_)
        | Object::Buffer(_) => {}
    }
}

fn remap_instance(inst: &mut Instance, f: impl Fn(Id) -> Id) {
    inst.class = f(inst.class);
    inst.args = f(inst.args);
    inst.kwargs = inst.kwargs.map(&f);
    inst.state = inst.state.map(&f);
    inst.list_items.iter_mut().for_each(|id| *id = f(*id));
    inst.dict_items.iter_mut().for_each(|(k, v)| {
        *k = f(*k);
        *v = f(*v);
    });
}
