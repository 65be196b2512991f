//! The pickler: writes object graphs exactly as CPython's `pickle.dumps` would.

use std::collections::HashMap;
use std::io;

use crate::error::Result;
use crate::opcode::{DEFAULT_PROTOCOL, HIGHEST_PROTOCOL};
use crate::ser::{ToPickle, Writer};
use crate::value::{Buffer, Node, Value};

mod encode;
mod framer;
mod memo;
mod save;
#[cfg(test)]
mod tests;

pub(crate) use save::Core;

/// The hook that names objects to be pickled by reference, as `Pickler.persistent_id`.
///
/// It sees each object before it is written. Returning `Some(pid)` writes
/// `pid` as a persistent id (PERSID/BINPERSID) instead of the object.
pub type PersistentId<'a> = dyn FnMut(Node<'_, '_>) -> Option<Value<'static>> + 'a;

/// The hook that decides where protocol-5 buffers go, as `buffer_callback`.
///
/// Return `true` to write the buffer in-band (inside the pickle), or `false`
/// to write NEXT_BUFFER and keep the data out-of-band: the hook is then the
/// place to take a copy of [`Buffer::data`].
pub type BufferCallback<'a> = dyn FnMut(&Buffer<'_>) -> bool + 'a;

/// Writes pickles, with options. The counterpart of Python's `pickle.Pickler`.
///
/// ```
/// use pickle_core::{Object, Pickler, Value};
/// let v = Value::from_object(Object::Int(300));
/// // pickle.dumps(300, protocol=2)
/// assert_eq!(Pickler::new().protocol(2).dumps(&v)?, b"\x80\x02M,\x01.");
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub struct Pickler<'a> {
    pub(crate) protocol: u8,
    pub(crate) fix_imports: bool,
    pub(crate) persistent_id: Option<Box<PersistentId<'a>>>,
    pub(crate) buffer_callback: Option<Box<BufferCallback<'a>>>,
    /// Extension codes by module, then qualname.
    pub(crate) extensions: HashMap<String, HashMap<String, i32>>,
}

impl Default for Pickler<'_> {
    fn default() -> Self {
        Pickler::new()
    }
}

impl<'a> Pickler<'a> {
    /// A pickler for protocol 5 with `fix_imports`, as CPython 3.14's defaults.
    pub fn new() -> Self {
        Pickler {
            protocol: DEFAULT_PROTOCOL,
            fix_imports: true,
            persistent_id: None,
            buffer_callback: None,
            extensions: HashMap::new(),
        }
    }

    /// The protocol to write, 0 to 5. Values above 5 mean 5, as `-1` and
    /// `pickle.HIGHEST_PROTOCOL` do in Python.
    pub fn protocol(mut self, protocol: u8) -> Self {
        self.protocol = protocol.min(HIGHEST_PROTOCOL);
        self
    }

    /// Whether to write Python 2 global names below protocol 3. Default: true.
    pub fn fix_imports(mut self, fix: bool) -> Self {
        self.fix_imports = fix;
        self
    }

    /// Names objects to pickle by reference. See [`PersistentId`].
    pub fn persistent_id(
        mut self,
        hook: impl FnMut(Node<'_, '_>) -> Option<Value<'static>> + 'a,
    ) -> Self {
        self.persistent_id = Some(Box::new(hook));
        self
    }

    /// Decides which protocol-5 buffers go out-of-band. See [`BufferCallback`].
    pub fn buffer_callback(mut self, hook: impl FnMut(&Buffer<'_>) -> bool + 'a) -> Self {
        self.buffer_callback = Some(Box::new(hook));
        self
    }

    /// Registers an extension code for the global `module.name`, as
    /// `copyreg.add_extension` does; the counterpart of [`Unpickler::extension`].
    ///
    /// From protocol 2 that global is written as its code, with EXT1, EXT2 or
    /// EXT4 by the code's size, and is not memoized. Below protocol 2 it is
    /// written as usual. `name` is the qualname, as the graph's
    /// [`Global`](crate::value::Global) holds it. Registering a global again
    /// replaces its code. CPython's codes are 1 to 2³¹−1; a global registered
    /// with another code cannot be written from protocol 2.
    ///
    /// ```
    /// use pickle_core::{Object, Pickler, Value};
    /// let v = Value::from_object(Object::global("collections", "OrderedDict"));
    /// let mut pickler = Pickler::new().extension(300, "collections", "OrderedDict");
    /// // copyreg.add_extension('collections', 'OrderedDict', 300)
    /// // pickle.dumps(collections.OrderedDict, protocol=2)
    /// assert_eq!(pickler.protocol(2).dumps(&v)?, b"\x80\x02\x83,\x01.");
    /// // pickle.dumps(collections.OrderedDict, protocol=1)
    /// let mut pickler = Pickler::new().extension(300, "collections", "OrderedDict");
    /// assert_eq!(pickler.protocol(1).dumps(&v)?, b"ccollections\nOrderedDict\nq\x00.");
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    ///
    /// [`Unpickler::extension`]: crate::Unpickler::extension
    pub fn extension(
        mut self,
        code: i32,
        module: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        self.extensions
            .entry(module.into())
            .or_default()
            .insert(name.into(), code);
        self
    }

    /// Writes `value` as a pickle and returns the bytes.
    ///
    /// `value` is anything [`ToPickle`]: an object graph ([`Value`]), a
    /// standard type, a `#[derive(Pickle)]` type.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pickle_core::Pickler;
    /// let m = BTreeMap::from([("a", vec![1, 2])]);
    /// // pickle.dumps({'a': [1, 2]}, protocol=2)
    /// assert_eq!(
    ///     Pickler::new().protocol(2).dumps(&m)?,
    ///     b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01K\x02es.",
    /// );
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn dumps<T: ToPickle + ?Sized>(&mut self, value: &T) -> Result<Vec<u8>> {
        Writer::new(Core::in_memory(self)).dump_into_bytes(value)
    }

    /// Writes `value` as a pickle to `writer`. See [`Pickler::dumps`].
    ///
    /// The pickle is streamed: memory stays at about one frame (64 KiB)
    /// beyond what the value itself needs.
    pub fn dump<T: ToPickle + ?Sized, W: io::Write>(&mut self, value: &T, writer: W) -> Result<()> {
        Writer::new(Core::new(writer, self)).dump(value)
    }
}
