//! Scanning untrusted pickles for dangerous globals, without running them.
//!
//! A pickle can name any importable callable and call it (`os.system`), so
//! a file is only as safe as the globals it names. [`scan`] lists every
//! global a pickle references and how each is used (called by REDUCE,
//! instantiated by NEWOBJ, given state by BUILD, ...), and gives each a
//! [`Level`] from one policy table (`policy.rs`):
//!
//! - [`Level::Safe`]: a known value constructor (`builtins.set`,
//!   `datetime.datetime`, `numpy.core.multiarray._reconstruct`, ...);
//! - [`Level::Dangerous`]: runs code, programs, files or connections
//!   (`os.system`, `builtins.eval`, `subprocess.Popen`, `pickle.loads`, ...);
//! - [`Level::Unknown`]: everything else, such as the user's own classes.
//!
//! The scanner runs the loader's own VM with an observer attached, so it
//! sees exactly what loading sees: a global fetched back from the memo, or
//! spelled `STACK_GLOBAL` with operands from the memo, is attributed to the
//! global it is. Names are checked as written and as mapped from Python 2
//! (`__builtin__.eval` is `builtins.eval`). After STOP the scan goes on with
//! the next pickle in the input, until the input ends: `pickle.load` called
//! twice on one file runs both. When the VM refuses an opcode, everything
//! seen up to it is kept and the error is reported with it.
//!
//! ```
//! use pickle_core::scan::{scan, Level, Use};
//!
//! // A hand-written protocol-0 pickle calling os.system('echo hi'). Never load it in Python.
//! let report = scan(b"cos\nsystem\n(S'echo hi'\ntR.");
//! assert_eq!(report.level(), Level::Dangerous);
//! let g = &report.globals[0];
//! assert_eq!((g.module.as_str(), g.name.as_str()), ("os", "system"));
//! assert_eq!(g.uses, [Use::Reduce]);
//! assert!(report.error.is_none());
//!
//! // pickle.dumps(collections.OrderedDict(a=1), protocol=2)
//! let report = scan(b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00aq\x02K\x01s.");
//! assert_eq!(report.level(), Level::Safe);
//! ```

use std::collections::HashMap;
use std::fmt;

use crate::error::Error;
use crate::opcode::Opcode;
use crate::unpickler::observe::Observer;
use crate::value::{Id, Object, Value};
use crate::{StringEncoding, Unpickler};

mod policy;
#[cfg(test)]
mod tests;

/// How dangerous a global is, from the policy table. Ordered: `Safe < Unknown < Dangerous`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// A known constructor of plain values.
    Safe,
    /// Not in the policy: a user class, or a library the policy does not know.
    Unknown,
    /// Runs code or programs, or reaches files, the network or the interpreter.
    Dangerous,
}

impl Level {
    /// `"safe"`, `"unknown"` or `"dangerous"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Safe => "safe",
            Level::Unknown => "unknown",
            Level::Dangerous => "dangerous",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an opcode did with a global (or with the result of calling one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Use {
    /// REDUCE called it.
    Reduce,
    /// NEWOBJ instantiated it (`cls.__new__(cls, *args)`).
    NewObj,
    /// NEWOBJ_EX instantiated it with keyword arguments.
    NewObjEx,
    /// INST named and instantiated it (protocol 0).
    Inst,
    /// OBJ instantiated it (protocol 1).
    Obj,
    /// BUILD set state on it, or on the result of calling it.
    Build,
    /// EXT1/EXT2/EXT4 named it by this registered extension code.
    Ext(i32),
}

impl fmt::Display for Use {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Use::Reduce => f.write_str("REDUCE"),
            Use::NewObj => f.write_str("NEWOBJ"),
            Use::NewObjEx => f.write_str("NEWOBJ_EX"),
            Use::Inst => f.write_str("INST"),
            Use::Obj => f.write_str("OBJ"),
            Use::Build => f.write_str("BUILD"),
            Use::Ext(code) => write!(f, "EXT({code})"),
        }
    }
}

/// One global a pickle references, with everything done with it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GlobalRef {
    /// The module, in Python 3 form (after `fix_imports`).
    pub module: String,
    /// The qualified name in the module.
    pub name: String,
    /// The name as the pickle spelled it, when it differs (`__builtin__.eval`).
    pub written: Option<(String, String)>,
    /// The verdict for this global.
    pub level: Level,
    /// Why it has its level (empty for unknown).
    pub reason: String,
    /// What the opcodes did with it, each use once, in order of first use.
    /// Empty when it was only referenced (passed as an argument, say).
    pub uses: Vec<Use>,
    /// Where it was named: the offsets of its GLOBAL, STACK_GLOBAL, INST or
    /// EXT opcodes, from the start of the input.
    pub offsets: Vec<u64>,
}

impl GlobalRef {
    /// `module.name`.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

/// What [`scan`] found in one input.
#[derive(Debug)]
#[non_exhaustive]
pub struct Report {
    /// Every global referenced, in order of first reference, across all the pickles.
    pub globals: Vec<GlobalRef>,
    /// EXT codes no registry knew, with their offsets: loading fails on them
    /// unless the loading process registered them with `copyreg`.
    pub unknown_extensions: Vec<(i64, u64)>,
    /// How many pickles were read to their STOP.
    pub pickles: usize,
    /// Why the scan stopped before the end of the input, if it did. Its
    /// offset counts from the start of the failing pickle; see [`Report::error_offset`].
    pub error: Option<Error>,
    /// Where the failing pickle starts in the input.
    pub error_pickle_start: u64,
}

impl Report {
    /// The worst level of any global; [`Level::Unknown`] at least when an
    /// extension code is unknown. A failed scan is still only as bad as what it saw:
    /// check [`Report::error`] too.
    pub fn level(&self) -> Level {
        let ext = if self.unknown_extensions.is_empty() {
            Level::Safe
        } else {
            Level::Unknown
        };
        self.globals.iter().map(|g| g.level).fold(ext, Level::max)
    }

    /// The dangerous globals.
    pub fn dangerous(&self) -> impl Iterator<Item = &GlobalRef> {
        self.globals.iter().filter(|g| g.level == Level::Dangerous)
    }

    /// The offset of the error from the start of the input.
    pub fn error_offset(&self) -> Option<u64> {
        let e = self.error.as_ref()?;
        Some(self.error_pickle_start + e.offset().unwrap_or(0))
    }
}

/// Scans every pickle in `data`, one after another, as `pickle.load` called
/// until the end of the file would read them. Python 2 strs are read as
/// Latin-1, the most permissive decoding, so that none hides a global.
///
/// ```
/// use pickle_core::scan::{scan, Level};
/// // Two pickles back to back: a harmless 1, then builtins.eval('1') at protocol 4.
/// let data = b"K\x01.\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R.";
/// let report = scan(data);
/// assert_eq!(report.pickles, 2);
/// assert_eq!(report.dangerous().next().unwrap().qualified(), "builtins.eval");
/// ```
pub fn scan(data: &[u8]) -> Report {
    scan_with(&mut Unpickler::new().encoding(StringEncoding::Latin1), data)
}

/// [`scan`] with the options of `unpickler`: its extension codes (EXT),
/// [`Limits`](crate::Limits) and string encoding.
///
/// ```
/// use pickle_core::scan::{scan_with, Level, Use};
/// use pickle_core::Unpickler;
/// // EXT1 code 7, then calling it with no arguments.
/// let data = b"\x80\x02\x82\x07)R.";
/// let mut unpickler = Unpickler::new().extension(7, "subprocess", "Popen");
/// let report = scan_with(&mut unpickler, data);
/// assert_eq!(report.globals[0].qualified(), "subprocess.Popen");
/// assert_eq!(report.globals[0].uses, [Use::Ext(7), Use::Reduce]);
/// assert_eq!(report.level(), Level::Dangerous);
/// ```
pub fn scan_with<'de>(unpickler: &mut Unpickler<'_, 'de>, data: &'de [u8]) -> Report {
    let mut recorder = Recorder::default();
    let mut pickles = 0;
    let mut start = 0usize;
    let mut error = None;
    let mut error_pickle_start = 0;
    loop {
        recorder.begin(start as u64);
        let rest = data.get(start..).unwrap_or_default();
        match unpickler.loads_observed(rest, &mut recorder) {
            Ok(_) => {
                pickles += 1;
                let stop = recorder.stop.unwrap_or(rest.len() as u64);
                start = start.saturating_add(stop as usize + 1);
                if start >= data.len() {
                    break;
                }
            }
            Err(e) => {
                error = Some(e);
                error_pickle_start = start as u64;
                break;
            }
        }
    }
    Report {
        globals: recorder.globals,
        unknown_extensions: recorder.unknown_extensions,
        pickles,
        error,
        error_pickle_start,
    }
}

/// The observer [`scan`] attaches to the VM.
#[derive(Default)]
struct Recorder {
    globals: Vec<GlobalRef>,
    /// (module, name, written module, written name) → index in `globals`.
    index: HashMap<(String, String, String, String), usize>,
    /// The global nodes of the running pickle → index in `globals`.
    by_id: HashMap<Id, usize>,
    unknown_extensions: Vec<(i64, u64)>,
    /// Where the running pickle starts in the input.
    base: u64,
    /// Where its STOP was, from its start.
    stop: Option<u64>,
}

impl Recorder {
    fn begin(&mut self, base: u64) {
        self.base = base;
        self.stop = None;
        self.by_id.clear();
    }

    /// The global behind `id`: itself, or the class of an instance (the
    /// result of calling a global), followed down to a global.
    fn global_of(&self, graph: &Value<'_>, mut id: Id) -> Option<usize> {
        // Chains are short in practice; the bound keeps a crafted cycle finite.
        for _ in 0..64 {
            match graph.try_get(id)? {
                Object::Global(_) => return self.by_id.get(&id).copied(),
                Object::Instance(i) => id = i.class,
                _ => return None,
            }
        }
        None
    }
}

/// The level of a global named `module.name`, written `written`: dangerous
/// if any spelling of it is (as resolved, as written, and as written mapped
/// from Python 2 whatever the protocol); safe only as resolved.
fn verdict(module: &str, name: &str, written: (&str, &str)) -> (Level, &'static str) {
    let mapped = crate::compat::from_python2(written.0, written.1);
    let spellings = [Some(written), mapped].into_iter().flatten();
    for (m, n) in spellings {
        if let Some(why) = policy::dangerous(m, n) {
            return (Level::Dangerous, why);
        }
    }
    policy::classify(module, name)
}

impl Observer for Recorder {
    fn global(
        &mut self,
        id: Id,
        module: &str,
        name: &str,
        written: (&str, &str),
        at: (u64, Opcode),
    ) {
        let key = (
            module.to_owned(),
            name.to_owned(),
            written.0.to_owned(),
            written.1.to_owned(),
        );
        let offset = self.base + at.0;
        let index = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                let (level, reason) = verdict(module, name, written);
                let i = self.globals.len();
                self.globals.push(GlobalRef {
                    module: key.0.clone(),
                    name: key.1.clone(),
                    written: (written != (module, name)).then(|| (key.2.clone(), key.3.clone())),
                    level,
                    reason: reason.to_owned(),
                    uses: Vec::new(),
                    offsets: Vec::new(),
                });
                self.index.insert(key, i);
                i
            }
        };
        if let Some(g) = self.globals.get_mut(index) {
            if g.offsets.last() != Some(&offset) {
                g.offsets.push(offset);
            }
        }
        self.by_id.insert(id, index);
    }

    fn used(&mut self, graph: &Value<'_>, target: Id, how: Use, args: Option<Id>, _at: u64) {
        let Some(index) = self.global_of(graph, target) else {
            return;
        };
        // `partial(f, ...)` is as dangerous as `f`.
        let wrapped = match (how, args.and_then(|a| graph.try_get(a))) {
            (Use::Reduce | Use::NewObj | Use::NewObjEx, Some(Object::Tuple(items))) => items
                .first()
                .and_then(|&first| self.global_of(graph, first))
                .and_then(|w| self.globals.get(w))
                .filter(|w| w.level == Level::Dangerous)
                .map(GlobalRef::qualified),
            _ => None,
        };
        let Some(g) = self.globals.get_mut(index) else {
            return;
        };
        if !g.uses.contains(&how) {
            g.uses.push(how);
        }
        let is_wrapper = policy::WRAPPERS
            .iter()
            .any(|&(m, n)| g.module == m && g.name == n);
        if let (true, Some(wrapped)) = (is_wrapper, wrapped) {
            if g.level != Level::Dangerous {
                g.level = Level::Dangerous;
                g.reason = format!("wraps the dangerous {wrapped}");
            }
        }
    }

    fn unknown_extension(&mut self, code: i64, at: u64) {
        self.unknown_extensions.push((code, self.base + at));
    }

    fn stop(&mut self, at: u64) {
        self.stop = Some(at);
    }
}
