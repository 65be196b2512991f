//! The unpickler: options, limits and hooks around one iterative VM.

use std::collections::HashMap;
use std::io;

use crate::de::direct::{Source as _, Stream};
use crate::de::FromPickle;
use crate::error::Result;
use crate::read::IoRead;
use crate::registry::Registry;
use crate::value::{Buffer, Id, Value};

mod memo;
pub(crate) mod observe;
mod reduce;
pub(crate) use reduce::folds_newobj;
mod text;
mod vm;
pub(crate) use vm::nodes;

/// Bounds on what a pickle may make the unpickler do.
///
/// The defaults are safe for untrusted input on a desktop or server: loading
/// never uses more than a small multiple of the input size in memory, and
/// every loop is bounded by the input length. Each limit has its own
/// [`ErrorKind`](crate::ErrorKind):
///
/// | Field | Default | Error when passed | What it bounds |
/// |---|---|---|---|
/// | [`max_input_bytes`](Limits::max_input_bytes) | 4 GiB | [`InputTooLarge`](crate::ErrorKind::InputTooLarge) | the input, and any length an opcode declares |
/// | [`max_memo_entries`](Limits::max_memo_entries) | 16 Mi | [`MemoLimit`](crate::ErrorKind::MemoLimit) | memo entries and memo indices (`LONG_BINPUT 0xFFFFFFFF`) |
/// | [`max_stack_depth`](Limits::max_stack_depth) | 1 Mi | [`StackLimit`](crate::ErrorKind::StackLimit) | stack items plus marks (`(((((…`, `]]]]]…`) |
/// | [`max_container_len`](Limits::max_container_len) | 128 Mi | [`ContainerLimit`](crate::ErrorKind::ContainerLimit) | items of one list, tuple, dict, set, or appended to one instance |
/// | [`max_objects`](Limits::max_objects) | 256 Mi | [`ObjectLimit`](crate::ErrorKind::ObjectLimit) | objects in the graph |
/// | [`max_alloc_bytes`](Limits::max_alloc_bytes) | 8 GiB | [`AllocLimit`](crate::ErrorKind::AllocLimit) | bytes copied or allocated for strings, bytes and container items |
///
/// Two bounds are not fields: typed reads nest at most
/// [`MAX_DEPTH`](crate::de::MAX_DEPTH) levels ([`StackLimit`](crate::ErrorKind::StackLimit))
/// and visit at most `max(16 × (objects + references), 1 Mi)` nodes
/// ([`ExpansionLimit`](crate::ErrorKind::ExpansionLimit), see
/// [`de`](crate::de#expansion)), and `Debug` of a [`Value`] stops after 1 MiB of text.
///
/// A pickle's memo may make a few hundred bytes describe a tree of 10³⁰
/// nodes ("billion laughs"): it loads as a small graph (sharing stays
/// sharing), and only reading it as a tree is refused.
///
/// ```
/// use pickle_core::{Limits, Unpickler};
/// // `Limits` is non-exhaustive: start from the defaults and change fields.
/// let mut limits = Limits::default();
/// limits.max_memo_entries = 1_000;
/// let v: pickle_core::Value = Unpickler::new().limits(limits).loads(b"K\x05.")?;
/// assert_eq!(v.root_node().as_i64(), Some(5));
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest input accepted, in bytes. Default: 4 GiB.
    pub max_input_bytes: u64,
    /// Most memo entries a pickle may create. Default: 16 Mi.
    pub max_memo_entries: usize,
    /// Deepest the stack (items plus marks) may grow. Default: 1 Mi.
    pub max_stack_depth: usize,
    /// Most items one container may hold: a list, tuple, dict (pairs), set,
    /// or the items appended or set on one instance. Default: 128 Mi.
    pub max_container_len: usize,
    /// Most objects the graph may hold. Default: 256 Mi.
    pub max_objects: usize,
    /// Most bytes the unpickler may allocate for copied strings, bytes and
    /// containers. Default: 8 GiB. Slice input borrows, so this mainly bounds streams.
    pub max_alloc_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 4 << 30,
            max_memo_entries: 16 << 20,
            max_stack_depth: 1 << 20,
            max_container_len: 128 << 20,
            max_objects: 256 << 20,
            max_alloc_bytes: 8 << 30,
        }
    }
}

impl Limits {
    /// No limits at all: for trusted input only.
    pub fn none() -> Limits {
        Limits {
            max_input_bytes: u64::MAX,
            max_memo_entries: usize::MAX,
            max_stack_depth: usize::MAX,
            max_container_len: usize::MAX,
            max_objects: u32::MAX as usize,
            max_alloc_bytes: u64::MAX,
        }
    }
}

/// How Python 2 `str` objects (STRING, BINSTRING, SHORT_BINSTRING) are decoded,
/// as the `encoding=` argument of Python's `pickle.loads`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StringEncoding {
    /// Decode as ASCII; other bytes are an error. CPython's default.
    #[default]
    Ascii,
    /// Decode as Latin-1: every byte is one character. What numpy and datetime pickles from Python 2 need.
    Latin1,
    /// Decode as UTF-8.
    Utf8,
    /// Keep them as `bytes`.
    Bytes,
}

/// The hook that turns a persistent id into an object, as `Unpickler.persistent_load`.
///
/// It receives the graph being built and the `Id` of the persistent id object,
/// and returns the `Id` of the object to use in its place (it may add objects).
pub type PersistentLoad<'a, 'de> = dyn FnMut(&mut Value<'de>, Id) -> Result<Id> + 'a;

/// Reads pickles, with options. The counterpart of Python's `pickle.Unpickler`.
///
/// ```
/// use pickle_core::{StringEncoding, Unpickler};
/// // A Python 2 pickle of the str '\xe9', read as Latin-1.
/// let v: pickle_core::Value = Unpickler::new().encoding(StringEncoding::Latin1).loads(b"U\x01\xe9.")?;
/// assert_eq!(v.root_node().as_str(), Some("é"));
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub struct Unpickler<'a, 'de> {
    pub(crate) encoding: StringEncoding,
    pub(crate) fix_imports: bool,
    pub(crate) limits: Limits,
    pub(crate) persistent_load: Option<Box<PersistentLoad<'a, 'de>>>,
    pub(crate) buffers: Option<std::vec::IntoIter<Buffer<'de>>>,
    pub(crate) extensions: HashMap<i32, (String, String)>,
    pub(crate) registry: Option<&'a Registry>,
}

impl Default for Unpickler<'_, '_> {
    fn default() -> Self {
        Unpickler::new()
    }
}

/// The size from which `load_seekable` scans a pickle before it reads it
/// through the graph, for the memo entries a GET fetches and the nodes to
/// size the arena for. Below it, a pickle has at most 32 Ki opcodes: the memo
/// takes at most 128 KiB, and the arena's room to grow at most 512 KiB.
const SCAN_FROM: usize = 32 * 1024;

impl<'a, 'de> Unpickler<'a, 'de> {
    /// An unpickler with CPython's defaults (`encoding='ASCII'`, `fix_imports=True`) and safe [`Limits`].
    pub fn new() -> Self {
        Unpickler {
            encoding: StringEncoding::Ascii,
            fix_imports: true,
            limits: Limits::default(),
            persistent_load: None,
            buffers: None,
            extensions: HashMap::new(),
            registry: None,
        }
    }

    /// How to decode Python 2 `str` objects.
    pub fn encoding(mut self, encoding: StringEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Whether to map Python 2 global names to Python 3 names in pickles below protocol 3. Default: true.
    pub fn fix_imports(mut self, fix: bool) -> Self {
        self.fix_imports = fix;
        self
    }

    /// The limits to enforce.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Resolves persistent ids (PERSID, BINPERSID).
    ///
    /// Without a hook, a persistent id is kept in the graph as
    /// [`Object::PersistentId`](crate::Object::PersistentId), so nothing is
    /// lost. (CPython raises an error instead.)
    pub fn persistent_load(
        mut self,
        hook: impl FnMut(&mut Value<'de>, Id) -> Result<Id> + 'a,
    ) -> Self {
        self.persistent_load = Some(Box::new(hook));
        self
    }

    /// The out-of-band buffers that NEXT_BUFFER takes, in order, as `buffers=` in Python.
    ///
    /// Without this, NEXT_BUFFER is an error, as in CPython.
    pub fn buffers(mut self, buffers: impl IntoIterator<Item = Buffer<'de>>) -> Self {
        self.buffers = Some(buffers.into_iter().collect::<Vec<_>>().into_iter());
        self
    }

    /// Registers an extension code for EXT1/EXT2/EXT4, as `copyreg.add_extension` does.
    /// [`Pickler::extension`](crate::Pickler::extension) registers it for writing.
    pub fn extension(
        mut self,
        code: i32,
        module: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        self.extensions.insert(code, (module.into(), name.into()));
        self
    }

    /// Reads the instances of the classes in `registry` as native Rust
    /// values: each becomes an [`Object::Native`](crate::Object::Native) in
    /// the loaded graph, which [`Node::downcast_ref`](crate::value::Node::downcast_ref)
    /// returns; instances of other classes stay opaque. See [`crate::registry`].
    ///
    /// The registry is looked up where every global is resolved (the
    /// unpickler's one door), and the natives are read when the pickle
    /// ends. It is meant for loads into a [`Value`]: a typed load
    /// (`loads::<T>` for another `T`) reads natives as the instances they
    /// were read from, so it gains nothing from one.
    ///
    /// ```
    /// use pickle_core::registry::Registry;
    /// use pickle_core::{Object, Unpickler, Value};
    ///
    /// // An empty registry changes nothing: the instance stays opaque.
    /// let registry = Registry::new();
    /// // pickle.dumps(geometry.Point(), protocol=2)
    /// let data = b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01.";
    /// let v: Value = Unpickler::new().registry(&registry).loads(data)?;
    /// assert!(matches!(v.get(v.root()), Object::Instance(_)));
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn registry(mut self, registry: &'a Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Reads one pickle from `data`, borrowing strings and bytes from it,
    /// and returns it as a `T`: the object graph itself for `T = Value`, or
    /// any [`FromPickle`] type read from it.
    ///
    /// Bytes after the STOP opcode are ignored, as in Python.
    ///
    /// A typed load first tries to read `T` straight from the bytes, with no
    /// object graph in between, when `T` and every type in it know how (the
    /// std types, `#[derive(Pickle)]` classes and dicts) and no hook is set;
    /// for anything it does not know, it reads the graph from the start
    /// instead. Either way the result, or the error, is the same.
    ///
    /// ```
    /// use pickle_core::{Unpickler, Value};
    /// // pickle.dumps([1, 2], protocol=2)
    /// let data = b"\x80\x02]q\x00(K\x01K\x02e.";
    /// let v: Value = Unpickler::new().loads(data)?;
    /// assert_eq!(format!("{v:?}"), "[1, 2]");
    /// let items: Vec<u32> = Unpickler::new().loads(data)?;
    /// assert_eq!(items, [1, 2]);
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn loads<T: FromPickle<'de>>(&mut self, data: &'de [u8]) -> Result<T> {
        if T::DIRECT && self.is_plain() {
            vm::check_input_size(data.len() as u64, &self.limits)?;
            if let Some(value) = crate::de::direct::read(data, &self.limits) {
                return Ok(value);
            }
        }
        T::from_value(vm::run_slice(data, self)?)
    }

    /// Whether no hook or option changes what a load gives: then a typed
    /// load may go straight from the bytes ([`crate::de::direct`]).
    fn is_plain(&self) -> bool {
        self.persistent_load.is_none()
            && self.buffers.is_none()
            && self.extensions.is_empty()
            && self.registry.is_none()
    }

    /// Reads one pickle from a stream, as a `T` (see [`Unpickler::loads`]).
    ///
    /// The stream is read through a buffer and may be consumed past the end of
    /// the pickle; see [`Unpickler::load_buffered`] to read several pickles in a row.
    /// Nothing can borrow from a stream: a `T` that borrows (`&str`) is an error.
    ///
    /// A stream never holds the whole input: memory is what the loaded value
    /// needs, plus the object graph a typed load is read from. A typed load
    /// from a stream that can seek, such as a `File`, reads `T` straight from
    /// it, without the graph: see [`Unpickler::load_seekable`]. When the
    /// input fits in memory anyway, [`Unpickler::loads`] on its bytes is faster still.
    pub fn load<T: FromPickle<'de>>(&mut self, reader: impl io::Read) -> Result<T> {
        T::from_value(vm::run(IoRead::new(reader), self)?)
    }

    /// Reads one pickle from a stream that can seek, such as a `File`, as a
    /// `T`, and leaves the stream just past the pickle's STOP.
    ///
    /// A typed load reads `T` straight from the stream, as
    /// [`Unpickler::loads`] reads it from bytes, with no object graph in
    /// between: numpy arrays, bytes, and strs longer than the window go
    /// from the stream into their own allocation a window at a time.
    /// Memory is what `T` holds, plus a window of the input (64 KiB, or a
    /// longer frame), the memo (4 bytes an entry up to 65,536
    /// entries; past that, one pass over the stream finds the entries a GET
    /// will fetch, and only those are kept), and a copy of each str a GET
    /// fetches (a dict key, say), so that it is read from the stream once.
    /// The stream seeks back for the few readings that do not end well, and
    /// to the pickle's start when the direct read gives up: then the pickle
    /// is read again through the graph, as [`Unpickler::load`] reads it.
    /// Either way the result, or the error, is the same. A [`Value`] is
    /// always read through the graph; from a stream of 32 KiB or more, the
    /// pickle is scanned first: the memo keeps only the entries a GET will
    /// fetch, and the graph is allocated for the nodes the scan counted,
    /// so it does not grow into room it leaves unused.
    ///
    /// Nothing can borrow from a stream: a `T` that borrows (`&str`) is an
    /// error. On an error, where the stream is left is not specified.
    ///
    /// ```
    /// use std::io::{Cursor, Read};
    /// use pickle_core::Unpickler;
    ///
    /// // pickle.dumps([1, 2], protocol=2), then more bytes
    /// let mut file = Cursor::new(b"\x80\x02]q\x00(K\x01K\x02e.rest".to_vec());
    /// let items: Vec<u32> = Unpickler::new().load_seekable(&mut file)?;
    /// assert_eq!(items, [1, 2]);
    /// let mut rest = String::new();
    /// file.read_to_string(&mut rest)?;
    /// assert_eq!(rest, "rest");
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn load_seekable<T: FromPickle<'de>>(
        &mut self,
        mut reader: impl io::Read + io::Seek,
    ) -> Result<T> {
        let mut source = Stream::new(&mut reader, self.limits.max_input_bytes)?;
        if T::DIRECT && self.is_plain() {
            match crate::de::direct::read_from(source, &self.limits) {
                (Some(value), source, end) => {
                    source.finish(end)?;
                    return Ok(value);
                }
                (None, given_back, _) => source = given_back,
            }
        }
        // Through the graph. A big pickle is scanned first, so that its
        // memo keeps only what a GET fetches.
        let scan = match source.holds(SCAN_FROM) {
            true => source.scan().cloned(),
            false => None,
        };
        source.restart()?;
        let mut buffered = io::BufReader::new(&mut reader);
        let graph = match scan {
            Some(scan) => vm::run_scanned(IoRead::new_exact(&mut buffered), self, scan)?,
            None => vm::run(IoRead::new_exact(&mut buffered), self)?,
        };
        // Gives back what the buffer read past the pickle.
        io::Seek::seek(&mut buffered, io::SeekFrom::Current(0))?;
        T::from_value(graph)
    }

    /// Reads one pickle from the start of `data`, telling `observer` every
    /// global it names and every use of one: how [`crate::scan`] runs the
    /// loader's own VM.
    pub(crate) fn loads_observed(
        &mut self,
        data: &'de [u8],
        observer: &mut dyn observe::Observer,
    ) -> Result<Value<'de>> {
        vm::run_slice_observed(data, self, observer)
    }

    /// Reads one pickle from a buffered stream, consuming exactly its bytes,
    /// so that the next pickle in the stream can be read after it.
    pub fn load_buffered<T: FromPickle<'de>>(&mut self, reader: impl io::BufRead) -> Result<T> {
        T::from_value(vm::run(IoRead::new_exact(reader), self)?)
    }
}
