//! The scanner's policy, as data: which globals are known to be safe to
//! call, which are dangerous to reference at all, and everything else is
//! [`Level::Unknown`].
//!
//! Names are matched in their Python 3 form; the scanner also checks the
//! name as written and its `fix_imports` mapping, so `__builtin__.eval` and
//! `posix.system` are dangerous whatever the protocol. A dangerous match wins
//! over a safe one. Safe matches are exact; dangerous ones cover submodules
//! (`os` covers `os.path`) and attribute chains (`eval.__call__`).

use super::Level;

/// `(module, names)`: calling one of these with any arguments builds a value
/// and does nothing else.
type Table = &'static [(&'static str, &'static [&'static str])];

/// Builtin containers and scalars, and the reducers CPython writes for them.
const SAFE_BUILTINS: Table = &[
    (
        "builtins",
        &[
            "set",
            "frozenset",
            "bytearray",
            "complex",
            "bytes",
            "int",
            "float",
            "str",
            "list",
            "dict",
            "tuple",
            "slice",
            "range",
            "object",
            "bool",
        ],
    ),
    // How protocols 0–2 write bytes.
    ("_codecs", &["encode"]),
    // How `object.__reduce_ex__` writes plain instances.
    (
        "copyreg",
        &["_reconstructor", "__newobj__", "__newobj_ex__"],
    ),
];

/// Standard-library value types whose constructors only build values.
const SAFE_STDLIB: Table = &[
    (
        "datetime",
        &[
            "datetime",
            "date",
            "time",
            "timedelta",
            "timezone",
            "tzinfo",
        ],
    ),
    ("decimal", &["Decimal"]),
    ("fractions", &["Fraction"]),
    ("uuid", &["UUID", "SafeUUID"]),
    (
        "collections",
        &["OrderedDict", "defaultdict", "deque", "Counter"],
    ),
    (
        "pathlib",
        &[
            "Path",
            "PurePath",
            "PosixPath",
            "WindowsPath",
            "PurePosixPath",
            "PureWindowsPath",
        ],
    ),
    // Python 3.13 moved the classes; pickles name where they live.
    (
        "pathlib._local",
        &[
            "Path",
            "PurePath",
            "PosixPath",
            "WindowsPath",
            "PurePosixPath",
            "PureWindowsPath",
        ],
    ),
];

/// numpy arrays, dtypes and scalars, as numpy 1 and numpy 2 reduce them.
const SAFE_NUMPY: Table = &[
    ("numpy", &["ndarray", "dtype"]),
    ("numpy.core.multiarray", &["_reconstruct", "scalar"]),
    ("numpy._core.multiarray", &["_reconstruct", "scalar"]),
    ("numpy.core.numeric", &["_frombuffer"]),
    ("numpy._core.numeric", &["_frombuffer"]),
];

const SAFE: [Table; 3] = [SAFE_BUILTINS, SAFE_STDLIB, SAFE_NUMPY];

/// `(module, why)`: every name in these modules, and in their submodules,
/// is dangerous. They run programs, touch files, sockets or the interpreter,
/// or load more code.
const DANGEROUS_MODULES: &[(&str, &str)] = &[
    // Processes and the shell.
    ("os", "runs commands and touches files"),
    ("posix", "os on POSIX: runs commands"),
    ("nt", "os on Windows: runs commands"),
    ("subprocess", "runs programs"),
    ("_posixsubprocess", "runs programs"),
    ("pty", "spawns programs"),
    ("commands", "Python 2: runs shell commands"),
    ("popen2", "Python 2: runs programs"),
    ("platform", "Python 2's platform.popen runs commands"),
    ("multiprocessing", "starts processes"),
    ("asyncio", "starts processes and connections"),
    ("signal", "changes signal handling"),
    // The interpreter and its code.
    ("sys", "the interpreter's state and modules"),
    ("importlib", "imports modules"),
    ("runpy", "runs modules"),
    ("marshal", "loads code objects"),
    ("code", "runs source"),
    ("codeop", "compiles source"),
    ("ctypes", "calls native code"),
    ("bdb", "runs code under a debugger"),
    ("pdb", "runs code under a debugger"),
    ("venv", "creates environments and runs pip"),
    ("pip", "installs packages"),
    // Unpickling again, which the scan cannot see into.
    ("pickle", "unpickles data the scan cannot see"),
    ("_pickle", "unpickles data the scan cannot see"),
    ("cPickle", "Python 2: unpickles data the scan cannot see"),
    // Files and the network.
    ("shutil", "copies and removes files"),
    ("socket", "opens connections"),
    ("webbrowser", "opens URLs with other programs"),
    ("http", "opens connections"),
    ("httplib", "Python 2: opens connections"),
    ("urllib", "opens URLs"),
    ("urllib2", "Python 2: opens URLs"),
    ("requests", "opens URLs"),
    ("aiohttp", "opens URLs"),
    ("ftplib", "opens connections"),
    ("smtplib", "opens connections"),
    ("telnetlib", "opens connections"),
    ("xmlrpc", "calls remote procedures"),
];

/// `(module, names, why)`: these names are dangerous (with anything
/// reached through them: `eval.__call__`).
const DANGEROUS_NAMES: &[(&str, &[&str], &str)] = &[
    (
        "builtins",
        &[
            "eval",
            "exec",
            "compile",
            "open",
            "__import__",
            "getattr",
            "setattr",
            "delattr",
            "globals",
            "locals",
            "breakpoint",
            "input",
            "vars",
            "help",
            // Python 2 names, for pickles at protocol 3 and above that spell them so.
            "execfile",
            "apply",
            "file",
            "reload",
        ],
        "evaluates code, opens files or reaches any attribute",
    ),
    (
        "__builtin__",
        &[
            "eval",
            "exec",
            "compile",
            "open",
            "__import__",
            "getattr",
            "setattr",
            "delattr",
            "globals",
            "locals",
            "breakpoint",
            "input",
            "vars",
            "execfile",
            "apply",
            "file",
            "reload",
        ],
        "Python 2 builtins: evaluates code, opens files or reaches any attribute",
    ),
    (
        "types",
        &["FunctionType", "LambdaType", "CodeType", "MethodType"],
        "builds functions from code objects",
    ),
    (
        "operator",
        &["attrgetter", "methodcaller"],
        "reaches and calls any attribute",
    ),
    (
        "_operator",
        &["attrgetter", "methodcaller"],
        "reaches and calls any attribute",
    ),
    (
        "pydoc",
        &["pipepager", "tempfilepager"],
        "runs a pager command",
    ),
    ("torch", &["load"], "unpickles data the scan cannot see"),
    (
        "torch.serialization",
        &["load"],
        "unpickles data the scan cannot see",
    ),
    (
        "torch._inductor.codecache",
        &["compile_file"],
        "compiles and loads native code",
    ),
    (
        "numpy.testing._private.utils",
        &["runstring"],
        "runs source",
    ),
];

/// Attributes that reach the interpreter from any object: a qualname going
/// through one (`mod.f.__globals__`) is dangerous whatever it starts from.
const DANGEROUS_ATTRIBUTES: &[&str] = &[
    "__globals__",
    "__builtins__",
    "__subclasses__",
    "__code__",
    "__closure__",
    "__import__",
    "__getattribute__",
    "__self__",
    "__func__",
    "__loader__",
    "__spec__",
];

/// Names that, as an attribute of any module, are almost surely the module
/// imported there (`posixpath.os`): the dangerous modules whose names are
/// unlikely to be a user's own attribute.
const MODULE_ATTRIBUTES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "sys",
    "builtins",
    "__builtin__",
    "importlib",
    "runpy",
    "marshal",
    "ctypes",
    "shutil",
    "socket",
    "pty",
    "pickle",
    "_pickle",
    "cPickle",
];

/// `functools.partial(f, ...)` is as dangerous as `f`: the scanner checks the
/// first argument of a call to one of these.
pub(super) const WRAPPERS: &[(&str, &str)] = &[("functools", "partial"), ("_functools", "partial")];

fn in_module(module: &str, root: &str) -> bool {
    module == root
        || module
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The level of `module.name` by itself, with the reason when it is not unknown.
pub(super) fn classify(module: &str, name: &str) -> (Level, &'static str) {
    if let Some(why) = dangerous(module, name) {
        return (Level::Dangerous, why);
    }
    let safe = SAFE
        .iter()
        .flat_map(|table| table.iter())
        .any(|(m, names)| *m == module && names.contains(&name));
    if safe {
        return (Level::Safe, "builds a value");
    }
    (Level::Unknown, "")
}

/// Why `module.name` is dangerous, if it is.
pub(super) fn dangerous(module: &str, name: &str) -> Option<&'static str> {
    if let Some((_, why)) = DANGEROUS_MODULES.iter().find(|(m, _)| in_module(module, m)) {
        return Some(why);
    }
    let first = name.split('.').next().unwrap_or(name);
    if let Some((_, _, why)) = DANGEROUS_NAMES
        .iter()
        .find(|(m, names, _)| *m == module && names.contains(&first))
    {
        return Some(why);
    }
    // A qualname is a chain of getattr: `posixpath.os` is the os module,
    // `posixpath.os.system` is os.system.
    for part in name.split('.') {
        if DANGEROUS_ATTRIBUTES.contains(&part) {
            return Some("reaches the interpreter through an attribute chain");
        }
        if MODULE_ATTRIBUTES.contains(&part) {
            return Some("reaches a dangerous module through an attribute chain");
        }
    }
    // In a chain of attributes, a dunder (`builtins.__dict__.get`,
    // `C.__class__.__base__`) walks object internals, which is how the
    // attribute chains above are reached in the first place. `__new__` is
    // the exception: CPython itself writes `cls.__new__` (protocols 2–3,
    // `__getnewargs_ex__`).
    let is_dunder = |part: &str| {
        part.len() > 4 && part.starts_with("__") && part.ends_with("__") && part != "__new__"
    };
    let internal = name.contains('.') && name.split('.').any(is_dunder);
    if internal {
        return Some("reaches object internals through a dunder attribute");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        for table in SAFE {
            for (module, names) in table.iter() {
                for name in names.iter() {
                    assert_eq!(dangerous(module, name), None, "{module}.{name}");
                }
            }
        }
    }

    #[test]
    fn submodules_and_attribute_chains_are_covered() {
        assert_eq!(classify("os.path", "join").0, Level::Dangerous);
        assert_eq!(classify("osx", "thing").0, Level::Unknown);
        assert_eq!(classify("builtins", "eval.__call__").0, Level::Dangerous);
        assert_eq!(classify("posixpath", "os.system").0, Level::Dangerous);
        assert_eq!(classify("posixpath", "os").0, Level::Dangerous);
        assert_eq!(classify("mod", "f.__globals__").0, Level::Dangerous);
        // builtins.__dict__.get('eval'): tests/malicious/stack_global_dotted_name.pkl
        assert_eq!(classify("builtins", "__dict__.get").0, Level::Dangerous);
        assert_eq!(classify("mymodule", "C.__class__").0, Level::Dangerous);
        assert_eq!(classify("mymodule", "C.__new__").0, Level::Unknown);
        assert_eq!(classify("mymodule", "__version__").0, Level::Unknown);
        assert_eq!(classify("mymodule", "Outer.Inner").0, Level::Unknown);
        assert_eq!(classify("builtins", "dict").0, Level::Safe);
        assert_eq!(classify("builtins", "dict.fromkeys").0, Level::Unknown);
    }
}
