//! Python 2 ↔ Python 3 global names, as CPython's `_compat_pickle` maps them.
//!
//! Below protocol 3, CPython's `fix_imports` renames globals on the way in
//! (`__builtin__.set` → `builtins.set`) and on the way out. The tables are
//! generated from CPython by `scripts/gen_compat.py`.

#[allow(clippy::type_complexity)] // generated tables of name pairs
mod table;

/// A `(module, name)` pair.
type Name = (&'static str, &'static str);

fn lookup(table: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
    table
        .binary_search_by(|(k, _)| (*k).cmp(key))
        .ok()
        .map(|i| table[i].1)
}

fn lookup_pair(table: &'static [(Name, Name)], key: (&str, &str)) -> Option<Name> {
    table
        .binary_search_by(|(k, _)| (k.0, k.1).cmp(&key))
        .ok()
        .map(|i| table[i].1)
}

/// The Python 3 name of a global written by Python 2, as `Unpickler.find_class` maps it.
///
/// Returns `None` when the name needs no mapping.
///
/// ```
/// use pickle_core::compat::from_python2;
/// assert_eq!(from_python2("__builtin__", "set"), Some(("builtins", "set")));
/// assert_eq!(from_python2("__builtin__", "xrange"), Some(("builtins", "range")));
/// assert_eq!(from_python2("mymodule", "C"), None);
/// ```
pub fn from_python2<'a>(module: &'a str, name: &'a str) -> Option<(&'a str, &'a str)> {
    if let Some(mapped) = lookup_pair(table::NAME_MAPPING, (module, name)) {
        return Some(mapped);
    }
    lookup(table::IMPORT_MAPPING, module).map(|m| (m, name))
}

/// The Python 2 name CPython writes for a global below protocol 3.
///
/// Returns `None` when the name needs no mapping.
///
/// ```
/// use pickle_core::compat::to_python2;
/// assert_eq!(to_python2("builtins", "set"), Some(("__builtin__", "set")));
/// assert_eq!(to_python2("copyreg", "_reconstructor"), Some(("copy_reg", "_reconstructor")));
/// assert_eq!(to_python2("builtins", "range"), Some(("__builtin__", "xrange")));
/// ```
pub fn to_python2<'a>(module: &'a str, name: &'a str) -> Option<(&'a str, &'a str)> {
    if let Some(mapped) = lookup_pair(table::REVERSE_NAME_MAPPING, (module, name)) {
        return Some(mapped);
    }
    lookup(table::REVERSE_IMPORT_MAPPING, module).map(|m| (m, name))
}
