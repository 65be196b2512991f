//! What CPython's `builtins` module holds, as far as pickles need to know it.

/// The functions of `builtins`, of type `builtin_function_or_method` rather
/// than `type` (sorted, for binary search).
const FUNCTIONS: &[&str] = &[
    "__build_class__",
    "__import__",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "breakpoint",
    "callable",
    "chr",
    "compile",
    "delattr",
    "dir",
    "divmod",
    "eval",
    "exec",
    "format",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "hex",
    "id",
    "input",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "locals",
    "max",
    "min",
    "next",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "repr",
    "round",
    "setattr",
    "sorted",
    "sum",
    "vars",
];

/// Whether `builtins.name` is a function, not a type: NEWOBJ refuses it as a
/// class ("must be a type, not builtin_function_or_method").
pub(crate) fn is_function(name: &str) -> bool {
    FUNCTIONS.binary_search(&name).is_ok()
}

/// Whether `builtins.name` is a function whose `__module__` is `'builtins'`:
/// every one but `open`, which is `io.open`.
pub(crate) fn is_own_function(name: &str) -> bool {
    name != "open" && is_function(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_are_sorted_for_binary_search() {
        assert!(FUNCTIONS.windows(2).all(|w| w[0] < w[1]));
    }

    // CPython 3.11: `[n for n, v in vars(builtins).items()
    //                 if isinstance(v, types.BuiltinFunctionType)]`.
    #[test]
    fn functions_are_not_types() {
        assert!(is_function("len"));
        assert!(is_function("__import__"));
        assert!(is_function("open"));
        assert!(!is_function("int"));
        assert!(!is_function("getattr_"));
        assert!(is_own_function("len"));
        assert!(!is_own_function("open"));
        assert!(!is_own_function("int"));
    }
}
