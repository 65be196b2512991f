//! The pickler's memo: which objects were already written, and under which index.
//!
//! CPython memoizes by object identity. A graph node's identity is its `Id`
//! (in the graph it belongs to), but some Python objects are the same object
//! whatever path created them, and the memo keys them by content instead:
//!
//! - the empty str and 1-character strs below U+0100, and the empty bytes:
//!   CPython caches them as singletons, so two equal ones in the graph are one
//!   object (this is what the unpickler gives back too). A 1-byte bytes is
//!   cached only when built from a C string, which loading never does;
//! - globals: a module attribute is one object, however many nodes name it;
//! - the interned strs of global names (module and qualname, written before
//!   STACK_GLOBAL) and of the constant `'latin1'`.
//!
//! Temporaries that CPython creates while reducing builtins (the args tuple
//! of a reduce, the list of a set's items, the latin-1 text of a bytes) are
//! fresh objects: they take a memo index and are never found again.

use crate::error::{Error, ErrorKind, Result};
use crate::fast_map::FastMap;
use crate::value::Id;

/// Which graph a node belongs to: 0 is the graph being dumped, others are
/// graphs returned by the `persistent_id` hook.
pub(super) type GraphIx = u32;

/// The identity of a memoizable object that is not a global or a global's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Key {
    /// A node of a graph.
    Node(GraphIx, Id),
    /// The cached str `''` (None) or a 1-character str below U+0100.
    Str1(Option<char>),
    /// The cached empty bytes `b''`.
    EmptyBytes,
    /// A temporary: memoized, never looked up.
    Temp,
}

impl Key {
    /// The key of a str: its singleton if CPython caches it, else `node`.
    #[inline]
    pub(super) fn for_str(s: &str, node: Key) -> Key {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (None, _) => Key::Str1(None),
            (Some(c), None) if (c as u32) < 0x100 => Key::Str1(Some(c)),
            _ => node,
        }
    }

    /// The key of a bytes: the singleton if it is empty, else `node`.
    pub(super) fn for_bytes(b: &[u8], node: Key) -> Key {
        if b.is_empty() {
            Key::EmptyBytes
        } else {
            node
        }
    }
}

/// Which str object a global's name is, when equal texts are different objects.
///
/// Module names and qualnames are interned strs, with exceptions: CPython's
/// static builtin types share the interned `'builtins'` module str, but the
/// builtin functions carry another, and `ExceptionGroup` a third; at protocol
/// 4 `[int, len]` writes `'builtins'` twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Space {
    /// The interned str with this text.
    Interned,
    /// The `__module__` of the builtin functions (`len`, `getattr`, ...).
    BuiltinFunctions,
    /// The `__module__` of `builtins.ExceptionGroup`.
    ExceptionGroup,
}

/// Memo indexes by identity, as `PyMemoTable` holds them.
pub(super) struct Memo {
    /// Main-graph nodes, indexed by `Id`: the fast path.
    main: Vec<u32>,
    other: FastMap<Key, u32>,
    /// Globals by module, then qualname.
    globals: FastMap<Box<str>, FastMap<Box<str>, u32>>,
    /// Interned name strs, one map per [`Space`].
    names: [FastMap<Box<str>, u32>; 3],
    len: u32,
}

const ABSENT: u32 = u32::MAX;

impl Memo {
    /// A memo for a main graph of `nodes` objects.
    pub(super) fn new(nodes: usize) -> Memo {
        Memo {
            main: vec![ABSENT; nodes],
            other: FastMap::default(),
            globals: FastMap::default(),
            names: Default::default(),
            len: 0,
        }
    }

    /// Starts a new main graph of `nodes` objects: its nodes are new
    /// objects, whatever indexes the graph written before had.
    pub(super) fn start_graph(&mut self, nodes: usize) {
        self.main.clear();
        self.main.resize(nodes, ABSENT);
    }

    /// The index of the object, if it was memoized.
    #[inline]
    pub(super) fn get(&self, key: Key) -> Option<u32> {
        match key {
            Key::Node(0, id) => self.main.get(id.index()).copied().filter(|&i| i != ABSENT),
            Key::Temp => None,
            _ => self.other.get(&key).copied(),
        }
    }

    /// Memoizes the object under the next index and returns the index.
    #[inline]
    pub(super) fn put(&mut self, key: Key) -> Result<u32> {
        let index = self.next()?;
        self.alias(key, index);
        Ok(index)
    }

    /// Records `key` under an existing `index` (a node naming a memoized global).
    #[inline]
    pub(super) fn alias(&mut self, key: Key, index: u32) {
        match key {
            Key::Node(0, id) => {
                if let Some(slot) = self.main.get_mut(id.index()) {
                    *slot = index;
                }
            }
            Key::Temp => {}
            _ => {
                self.other.insert(key, index);
            }
        }
    }

    /// The index of the global `module.name`, if it was memoized.
    pub(super) fn get_global(&self, module: &str, name: &str) -> Option<u32> {
        self.globals.get(module)?.get(name).copied()
    }

    /// Memoizes the global `module.name` and returns its index.
    pub(super) fn put_global(&mut self, module: &str, name: &str) -> Result<u32> {
        let index = self.next()?;
        self.globals
            .entry(module.into())
            .or_default()
            .insert(name.into(), index);
        Ok(index)
    }

    /// The index of the interned name str `text`, if it was memoized.
    pub(super) fn get_name(&self, space: Space, text: &str) -> Option<u32> {
        self.names[space as usize].get(text).copied()
    }

    /// Memoizes the interned name str `text` and returns its index.
    pub(super) fn put_name(&mut self, space: Space, text: &str) -> Result<u32> {
        let index = self.next()?;
        self.names[space as usize].insert(text.into(), index);
        Ok(index)
    }

    /// The next index, counted as used: for an object nothing else names.
    #[inline]
    pub(super) fn next(&mut self) -> Result<u32> {
        let index = self.len;
        if index == ABSENT {
            return Err(Error::new(
                ErrorKind::Unpicklable,
                "memo id too large: more than 4294967294 objects to memoize",
            ));
        }
        self.len += 1;
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Object, Value};

    fn some_id() -> Id {
        Value::new().add(Object::None)
    }

    #[test]
    fn cached_strs_and_bytes_are_keyed_by_content() {
        let node = Key::Node(0, some_id());
        assert_eq!(Key::for_str("", node), Key::Str1(None));
        assert_eq!(Key::for_str("a", node), Key::Str1(Some('a')));
        assert_eq!(Key::for_str("é", node), Key::Str1(Some('é')));
        // U+0100 and up are not cached, nor are longer strs.
        assert_eq!(Key::for_str("Ā", node), node);
        assert_eq!(Key::for_str("ab", node), node);
        assert_eq!(Key::for_bytes(b"", node), Key::EmptyBytes);
        assert_eq!(Key::for_bytes(b"\xff", node), node);
    }

    #[test]
    fn indexes_count_up_across_every_kind_of_key() {
        let mut memo = Memo::new(4);
        let a = Key::Node(0, some_id());
        assert_eq!(memo.put(a).unwrap(), 0);
        assert_eq!(memo.put(Key::Temp).unwrap(), 1);
        assert_eq!(memo.put_global("builtins", "set").unwrap(), 2);
        assert_eq!(memo.put_name(Space::Interned, "builtins").unwrap(), 3);
        assert_eq!(memo.put(Key::Node(1, some_id())).unwrap(), 4);
        assert_eq!(memo.get(a), Some(0));
        assert_eq!(memo.get(Key::Temp), None);
        assert_eq!(memo.get_global("builtins", "set"), Some(2));
        assert_eq!(memo.get_global("builtins", "frozenset"), None);
        assert_eq!(memo.get_name(Space::Interned, "builtins"), Some(3));
        assert_eq!(memo.get_name(Space::BuiltinFunctions, "builtins"), None);
        assert_eq!(memo.get(Key::Node(1, some_id())), Some(4));
    }
}
