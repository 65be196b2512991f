//! Python's containers beyond list, dict and set: `frozenset`
//! ([`FrozenSet`]), `collections.OrderedDict` ([`OrderedDict`]), and,
//! with the feature `indexmap`, `dict` and `set` in insertion order
//! (`IndexMap`, `IndexSet`).
//!
//! Loading is lenient where Python itself treats the types alike:
//!
//! - every map (`HashMap`, `BTreeMap`, `IndexMap`, [`OrderedDict`]) reads a
//!   dict, a `collections.OrderedDict`, a `collections.defaultdict` (its
//!   default factory is dropped) and a `collections.Counter`;
//! - `Vec` and `VecDeque` read a list, a tuple and a `collections.deque`
//!   (its `maxlen` is dropped);
//! - every set reads a set and a frozenset.
//!
//! ```
//! use std::collections::HashMap;
//!
//! // pickle.dumps(collections.Counter('aab'), protocol=2)
//! let data = b"\x80\x02ccollections\nCounter\nq\x00}q\x01(X\x01\x00\x00\x00aq\x02K\x02X\x01\x00\x00\x00bq\x03K\x01u\x85q\x04Rq\x05.";
//! let counts: HashMap<String, u32> = pickle_core::loads(data)?;
//! assert_eq!(counts["a"], 2);
//!
//! // pickle.dumps(collections.deque([1, 2]), protocol=2)
//! let items: Vec<i32> = pickle_core::loads(b"\x80\x02ccollections\ndeque\nq\x00)Rq\x01(K\x01K\x02e.")?;
//! assert_eq!(items, [1, 2]);
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;

use crate::de::{FromPickle, Node};
use crate::error::{Error, ErrorKind, Result};
use crate::ser::{ToPickle, Writer};

/// A Python `frozenset` holding the items of the set type `S`
/// (`HashSet`, `BTreeSet` or `IndexSet`, written in its order).
///
/// From protocol 4 CPython writes MARK, the items, FROZENSET; below,
/// `frozenset([items])`. Loading reads a frozenset or a set, through `S`.
///
/// ```
/// use std::collections::BTreeSet;
/// use pickle_core::types::collections::FrozenSet;
///
/// let set = FrozenSet(BTreeSet::from([1, 2]));
/// // pickle.dumps(frozenset({1, 2}), protocol=4)
/// let data = pickle_core::ser::to_vec(&set, 4)?;
/// assert_eq!(data, b"\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00(K\x01K\x02\x91\x94.");
/// assert_eq!(pickle_core::loads::<FrozenSet<BTreeSet<i32>>>(&data)?, set);
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrozenSet<S>(pub S);

/// A Python `collections.OrderedDict` holding the entries of the map type
/// `M` (`HashMap`, `BTreeMap`, or `IndexMap`), in its iteration order.
///
/// CPython writes `REDUCE(collections.OrderedDict, ())`, then the entries
/// with SETITEM or SETITEMS. Loading reads an `OrderedDict`, or any dict
/// the map type reads.
///
/// ```
/// use std::collections::BTreeMap;
/// use pickle_core::types::collections::OrderedDict;
///
/// let map = OrderedDict(BTreeMap::from([("a".to_string(), 1)]));
/// // pickle.dumps(collections.OrderedDict(a=1), protocol=2)
/// let data = pickle_core::ser::to_vec(&map, 2)?;
/// assert_eq!(data, b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00aq\x02K\x01s.");
/// assert_eq!(pickle_core::loads::<OrderedDict<BTreeMap<String, i32>>>(&data)?, map);
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderedDict<M>(pub M);

/// The next item of an iterator that must yield exactly `len` items.
fn next_of<T>(items: &mut impl Iterator<Item = T>) -> Result<T> {
    items.next().ok_or_else(|| {
        Error::new(
            ErrorKind::Unpicklable,
            "a collection yielded fewer items than its len() said",
        )
    })
}

fn write_frozenset<'a, W: io::Write, T: ToPickle + 'a>(
    w: &mut Writer<'_, W>,
    len: usize,
    mut items: impl Iterator<Item = &'a T>,
) -> Result<()> {
    w.write_frozenset(len, |w, _| next_of(&mut items)?.to_pickle(w))
}

fn write_ordered_dict<'a, W: io::Write, K: ToPickle + 'a, V: ToPickle + 'a>(
    w: &mut Writer<'_, W>,
    len: usize,
    mut pairs: impl Iterator<Item = (&'a K, &'a V)>,
) -> Result<()> {
    w.write_reduce("collections", "OrderedDict", 0, |_, _| Ok(()))?;
    w.write_dict_items(len, |w, _| {
        let (k, v) = next_of(&mut pairs)?;
        k.to_pickle(w)?;
        v.to_pickle(w)
    })
}

impl<T: ToPickle, S> ToPickle for FrozenSet<HashSet<T, S>> {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_frozenset(w, self.0.len(), self.0.iter())
    }
}

impl<T: ToPickle> ToPickle for FrozenSet<BTreeSet<T>> {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_frozenset(w, self.0.len(), self.0.iter())
    }
}

impl<'de, S: FromPickle<'de>> FromPickle<'de> for FrozenSet<S> {
    /// A frozenset or a set, read as `S`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        S::from_pickle(node).map(FrozenSet)
    }
}

impl<K: ToPickle, V: ToPickle, S> ToPickle for OrderedDict<HashMap<K, V, S>> {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_ordered_dict(w, self.0.len(), self.0.iter())
    }
}

impl<K: ToPickle, V: ToPickle> ToPickle for OrderedDict<BTreeMap<K, V>> {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_ordered_dict(w, self.0.len(), self.0.iter())
    }
}

impl<'de, M: FromPickle<'de>> FromPickle<'de> for OrderedDict<M> {
    /// An `OrderedDict`, or any dict `M` reads.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        M::from_pickle(node).map(OrderedDict)
    }
}

// ---- loading the collections classes ---------------------------------------

/// The entries of a `collections.OrderedDict`, `defaultdict` or `Counter`,
/// for the maps' [`FromPickle`]: `None` for any other object.
pub(crate) fn dict_like<'v, 'de>(
    node: Node<'v, 'de>,
) -> Option<Vec<(Node<'v, 'de>, Node<'v, 'de>)>> {
    let obj = node
        .expect_instance(&[
            ("collections", "OrderedDict"),
            ("collections", "defaultdict"),
            ("collections", "Counter"),
        ])
        .ok()?;
    if obj.class().1 == "Counter" {
        // Counter.__reduce__: (Counter, (dict(self),)), or (Counter, ()) when
        // written by a subclass-free NEWOBJ.
        let mut pairs: Vec<_> = match obj.args().next() {
            Some(dict) => dict.pairs()?.collect(),
            None => Vec::new(),
        };
        pairs.extend(obj.dict_items());
        return Some(pairs);
    }
    Some(obj.dict_items().collect())
}

/// The entries of a dict, or of a `collections.OrderedDict`,
/// `defaultdict` or `Counter`: what the standard maps read as a dict.
/// `None` for any other object.
///
/// ```
/// use pickle_core::types::collections::dict_entries;
/// // pickle.dumps(collections.OrderedDict(a=1), protocol=2)
/// let data = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00aq\x02K\x01s.";
/// let v: pickle_core::Value = pickle_core::loads(data)?;
/// let entries = dict_entries(v.root_node()).unwrap();
/// assert_eq!(entries[0].0.as_str(), Some("a"));
/// assert_eq!(entries[0].1.as_i64(), Some(1));
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn dict_entries<'v, 'de>(node: Node<'v, 'de>) -> Option<Vec<(Node<'v, 'de>, Node<'v, 'de>)>> {
    match node.pairs() {
        Some(pairs) => Some(pairs.collect()),
        None => dict_like(node),
    }
}

/// The items of a `collections.deque`, for `Vec`'s and `VecDeque`'s
/// [`FromPickle`]: `None` for any other object.
pub(crate) fn deque_items<'v, 'de>(node: Node<'v, 'de>) -> Option<Vec<Node<'v, 'de>>> {
    let obj = node.expect_instance(&[("collections", "deque")]).ok()?;
    Some(obj.list_items().collect())
}

/// Reads the entries `pairs` of a dict-like object into a map.
pub(crate) fn read_pairs<'de, K: FromPickle<'de>, V: FromPickle<'de>, C>(
    pairs: Vec<(Node<'_, 'de>, Node<'_, 'de>)>,
) -> Result<C>
where
    C: Extend<(K, V)> + Default,
{
    let mut out = C::default();
    for (k, v) in pairs {
        let key = k.extract().map_err(|e| e.in_key(format!("{k:?}")))?;
        let value = v.extract().map_err(|e| e.in_key(format!("{k:?}")))?;
        out.extend(Some((key, value)));
    }
    Ok(out)
}

/// Reads the items of a deque into a sequence.
pub(crate) fn read_items<'de, T: FromPickle<'de>, C: Extend<T> + Default>(
    items: Vec<Node<'_, 'de>>,
) -> Result<C> {
    let mut out = C::default();
    for (i, item) in items.into_iter().enumerate() {
        out.extend(Some(item.extract().map_err(|e| e.in_index(i))?));
    }
    Ok(out)
}

#[cfg(feature = "indexmap")]
mod index {
    use std::hash::{BuildHasher, Hash};
    use std::io;

    use indexmap::{IndexMap, IndexSet};

    use super::{next_of, write_frozenset, write_ordered_dict, FrozenSet, OrderedDict};
    use crate::de::{FromPickle, Node};
    use crate::error::Result;
    use crate::ser::{ToPickle, Writer};

    impl<K: ToPickle, V: ToPickle, S> ToPickle for IndexMap<K, V, S> {
        /// A dict, in insertion order.
        ///
        /// ```
        /// use indexmap::IndexMap;
        ///
        /// let map = IndexMap::from([("b".to_string(), 1), ("a".to_string(), 2)]);
        /// // pickle.dumps({'b': 1, 'a': 2}, protocol=2)
        /// let data = pickle_core::ser::to_vec(&map, 2)?;
        /// assert_eq!(data, b"\x80\x02}q\x00(X\x01\x00\x00\x00bq\x01K\x01X\x01\x00\x00\x00aq\x02K\x02u.");
        /// assert_eq!(pickle_core::loads::<IndexMap<String, i32>>(&data)?, map);
        /// # Ok::<(), pickle_core::Error>(())
        /// ```
        fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
            let mut pairs = self.iter();
            w.write_dict(self.len(), |w, _| {
                let (k, v) = next_of(&mut pairs)?;
                k.to_pickle(w)?;
                v.to_pickle(w)
            })
        }
    }

    impl<'de, K, V, S> FromPickle<'de> for IndexMap<K, V, S>
    where
        K: FromPickle<'de> + Eq + Hash,
        V: FromPickle<'de>,
        S: BuildHasher + Default,
    {
        /// A dict (or an `OrderedDict`, `defaultdict`, `Counter`), in the order written.
        fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
            crate::de::impls::map(node)
        }

        const DIRECT: bool = K::DIRECT && V::DIRECT;
        const UNHASHABLE: bool = true;

        fn read_direct<R: crate::de::direct::Source<'de>>(
            r: &mut crate::de::direct::Direct<'de, R>,
        ) -> Option<Self> {
            // Straight into the map: as it grows it moves its entries with
            // their hashes, and hashes no key twice.
            let mut out = IndexMap::with_hasher(S::default());
            let len = r.dict(|r, _| {
                if K::UNHASHABLE && r.unhashable_next()? {
                    return None;
                }
                let key = r.read()?;
                let value = r.read()?;
                match out.insert_full(key, value) {
                    (_, None) => Some(()),
                    // A key set twice (CPython never writes one) changed an
                    // entry a rewind could not restore: the graph path's.
                    (_, Some(_)) => r.give_up(),
                }
            })?;
            // Entries read by a reading that did not end well are not this dict's.
            out.truncate(len);
            Some(out)
        }
    }

    impl<T: ToPickle, S> ToPickle for IndexSet<T, S> {
        /// A set, in insertion order.
        fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
            let mut items = self.iter();
            w.write_set(self.len(), |w, _| next_of(&mut items)?.to_pickle(w))
        }
    }

    impl<'de, T, S> FromPickle<'de> for IndexSet<T, S>
    where
        T: FromPickle<'de> + Eq + Hash,
        S: BuildHasher + Default,
    {
        /// A set or a frozenset, in the order written.
        fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
            crate::de::impls::set(node)
        }

        const DIRECT: bool = T::DIRECT;
        const UNHASHABLE: bool = true;

        fn read_direct<R: crate::de::direct::Source<'de>>(
            r: &mut crate::de::direct::Direct<'de, R>,
        ) -> Option<Self> {
            crate::de::impls::set_items(r).map(|items| items.into_iter().collect())
        }
    }

    impl<T: ToPickle, S> ToPickle for FrozenSet<IndexSet<T, S>> {
        fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
            write_frozenset(w, self.0.len(), self.0.iter())
        }
    }

    impl<K: ToPickle, V: ToPickle, S> ToPickle for OrderedDict<IndexMap<K, V, S>> {
        fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
            write_ordered_dict(w, self.0.len(), self.0.iter())
        }
    }
}
