//! Writing Rust values as pickles: [`ToPickle`] and the [`Writer`] it writes to.
//!
//! A type implements [`ToPickle`] by calling [`Writer`] methods, the way a
//! Python class defines `__reduce__`: it says which Python object it is, and
//! the writer picks the opcodes, memoizes and frames exactly as CPython does.
//! `#[derive(Pickle)]` generates these impls; writing one by hand looks like this:
//!
//! ```
//! use std::io;
//! use pickle_core::ser::{ToPickle, Writer};
//!
//! /// Pickles as an instance of `geometry.Point` with `x` and `y` attributes.
//! struct Point { x: i64, y: i64 }
//!
//! impl ToPickle for Point {
//!     fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> pickle_core::Result<()> {
//!         w.write_newobj("geometry", "Point", 0, |_, _| Ok(()))?;
//!         w.write_dict(2, |w, i| match i {
//!             0 => { w.write_attr_name("x")?; self.x.to_pickle(w) }
//!             _ => { w.write_attr_name("y")?; self.y.to_pickle(w) }
//!         })?;
//!         w.write_build()
//!     }
//! }
//!
//! // class Point: pass (in module geometry); p = Point(); p.x = 1; p.y = 2
//! // pickle.dumps(p, protocol=2)
//! let bytes = pickle_core::ser::to_vec(&Point { x: 1, y: 2 }, 2)?;
//! assert_eq!(bytes, b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.");
//! # Ok::<(), pickle_core::Error>(())
//! ```
//!
//! # Objects, memo and identity
//!
//! Every `write_*` method writes one Python object, as CPython's `save`
//! does, and the writer memoizes it as CPython would: every str, bytes,
//! tuple, list, dict, set and instance gets a memo entry of its own, because
//! each Rust value written is a new Python object. A few Python objects are
//! the same object wherever they appear, and the writer fetches them from the
//! memo after their first time: globals ([`Writer::write_global`]), attribute
//! names ([`Writer::write_attr_name`], interned strs), and CPython's cached
//! singletons (`''`, 1-character strs below U+0100, `b''`).
//!
//! A Rust value that several others share (an `Rc` or `Arc`) is one Python
//! object: [`Writer::write_shared`] writes it the first time and fetches it
//! from the memo after that, so the pickle loads back with the sharing, in
//! Python and through [`FromPickle`](crate::de::FromPickle) for `Rc`/`Arc`.
//!
//! # Depth
//!
//! Impls recurse through nested Rust values. A write nested more than
//! [`MAX_DEPTH`](crate::de::MAX_DEPTH) levels deep (each list, tuple, dict,
//! set, instance and shared value is a level), or that has used more than
//! [`STACK_BUDGET`](crate::de::STACK_BUDGET) bytes of stack since it began,
//! fails with an [`Unpicklable`](crate::ErrorKind::Unpicklable) error rather
//! than overflowing the stack. (CPython raises `RecursionError` far sooner.)
//! A [`Value`] graph is written without recursion, whatever its depth.

use std::borrow::Cow;
use std::io;
use std::ops::Range;

use num_bigint::BigInt;

use crate::depth;
use crate::error::{Error, ErrorKind, Result};
use crate::fast_map::FastMap;
use crate::opcode::Opcode;
use crate::pickler::{Core, Pickler};
use crate::value::{Object, Value};

mod impls;
#[cfg(test)]
mod tests;

/// A Rust value that can be written as one Python object.
///
/// Implemented for the standard types, for [`Value`] graphs, and by
/// `#[derive(Pickle)]`.
pub trait ToPickle {
    /// Writes `self` as one Python object: exactly one `write_*` call that
    /// writes an object (which may contain others), plus, for an instance,
    /// its state and [`Writer::write_build`].
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()>;

    /// Writes `items` as one Python list: what `[T]` and `Vec<T>` write.
    ///
    /// The default writes each item with [`ToPickle::to_pickle`] through
    /// [`Writer::write_list`]. The scalar types (ints, floats, `bool`, `str`
    /// and `String`) override it with a tighter loop that writes the same
    /// bytes, as `std::hash::Hash::hash_slice` lets a type hash many of itself
    /// at once. There is rarely a reason to override it elsewhere.
    fn to_pickle_list<W: io::Write>(items: &[Self], w: &mut Writer<'_, W>) -> Result<()>
    where
        Self: Sized,
    {
        w.write_list(items.len(), |w, i| items[i].to_pickle(w))
    }
}

/// Writes one pickle: the opcodes, the memo and the frames, as CPython's pickler.
///
/// Every `write_*` method writes exactly one Python object (or, for
/// [`Writer::write_build`], one step of building one). Containers take their
/// length and a closure that writes item `i` (for dicts: key, then value),
/// called once for each `i` from 0 up, so the writer can batch APPENDS and
/// SETITEMS by 1000 as CPython does. A closure that writes another number of
/// objects than its item needs is an [`Unpicklable`](ErrorKind::Unpicklable) error.
///
/// A writer is made by [`Pickler::dump`] (and [`to_vec`], [`crate::dumps`],
/// [`crate::dump`]) for the value being written.
pub struct Writer<'p, W: io::Write> {
    core: Core<'p, W>,
    /// The memo index of each object written in the open levels, as the
    /// unpickler's stack will hold them (`None`: not memoized).
    objects: Vec<Option<u32>>,
    /// The open levels: containers whose items are being written, and shared values.
    levels: Vec<Level>,
    /// The memo index of each shared value written, by identity.
    shared: FastMap<usize, u32>,
    /// The memo index of each enum member written, by `module\nqualname\nname`.
    members: FastMap<String, u32>,
    /// Where the stack was when the write began.
    stack_base: usize,
}

/// One open level of a write.
#[derive(Clone, Copy)]
struct Level {
    /// Where the level's objects start in `objects`.
    start: usize,
    /// The identity whose object the level writes, for [`Writer::write_shared`].
    shared: Option<usize>,
}

/// How many items one APPENDS, SETITEMS or ADDITEMS carries, as `_pickle.c`'s `BATCHSIZE`.
const BATCHSIZE: usize = 1000;

fn unpicklable(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Unpicklable, message)
}

impl<'p, W: io::Write> Writer<'p, W> {
    pub(crate) fn new(core: Core<'p, W>) -> Self {
        Writer {
            core,
            objects: Vec::new(),
            levels: Vec::new(),
            shared: FastMap::default(),
            members: FastMap::default(),
            stack_base: depth::stack_position(),
        }
    }

    /// Writes the whole pickle: PROTO, `value`, STOP.
    pub(crate) fn dump<T: ToPickle + ?Sized>(mut self, value: &T) -> Result<()> {
        self.write_whole(value)
    }

    fn write_whole<T: ToPickle + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.core.start();
        value.to_pickle(self)?;
        match self.objects.len() {
            1 => self.core.finish(),
            n => Err(unpicklable(format!(
                "to_pickle wrote {n} objects; a pickle holds exactly one"
            ))),
        }
    }
}

impl<'p> Writer<'p, io::Sink> {
    /// Writes the whole pickle in memory and returns it (`dumps`).
    pub(crate) fn dump_into_bytes<T: ToPickle + ?Sized>(mut self, value: &T) -> Result<Vec<u8>> {
        self.write_whole(value)?;
        Ok(self.core.into_bytes())
    }
}

impl<'p, W: io::Write> Writer<'p, W> {
    /// The protocol being written, 0 to 5.
    pub fn protocol(&self) -> u8 {
        self.core.proto()
    }

    // ---- bookkeeping -----------------------------------------------------

    /// Starts an object: an opcode boundary, where a frame may end, as
    /// CPython's `save` begins.
    fn begin(&mut self) -> Result<()> {
        self.core.boundary()
    }

    /// Ends an object, memoized under `index` or not memoized.
    fn done(&mut self, index: Option<u32>) -> Result<()> {
        self.objects.push(index);
        Ok(())
    }

    fn open(&mut self, shared: Option<usize>) -> Result<()> {
        if !depth::may_nest(self.levels.len(), self.stack_base) {
            return Err(unpicklable(format!(
                "typed write nested too deep: {} levels (at most {}, in at most {} bytes \
                 of stack); CPython raises RecursionError",
                self.levels.len(),
                depth::MAX_DEPTH,
                depth::STACK_BUDGET
            )));
        }
        self.levels.push(Level {
            start: self.objects.len(),
            shared,
        });
        Ok(())
    }

    fn close(&mut self) {
        if let Some(level) = self.levels.pop() {
            self.objects.truncate(level.start);
        }
    }

    /// Runs `write`, which must write `n` objects (item `i` of a `what`), and forgets them.
    fn items(
        &mut self,
        n: usize,
        what: &str,
        i: usize,
        write: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let before = self.objects.len();
        write(self)?;
        let wrote = self.objects.len() - before;
        if wrote != n {
            return Err(unpicklable(format!(
                "{what}: the closure for item {i} wrote {wrote} objects instead of {n}"
            )));
        }
        self.objects.truncate(before);
        Ok(())
    }

    /// The shared value the current level writes, if this object is its
    /// outermost object (the first written in the level).
    fn shared_here(&self) -> Option<usize> {
        let level = self.levels.last()?;
        level.shared.filter(|_| self.objects.len() == level.start)
    }

    /// Records that the shared value being written is the object memoized
    /// under `index`, as soon as it is: a list is memoized before its items,
    /// so an item can refer back to it, as CPython writes a list that contains itself.
    fn bind(&mut self, index: u32) {
        if let Some(identity) = self.shared_here() {
            self.shared.entry(identity).or_insert(index);
        }
    }

    /// The memo index of the shared value being written, if writing this
    /// object's contents already wrote and memoized it (a tuple that contains
    /// itself through a list): CPython then drops the copy and fetches that one.
    fn written_meanwhile(&self) -> Option<u32> {
        self.shared.get(&self.shared_here()?).copied()
    }

    /// Memoizes the object just written, or drops it for the copy written
    /// meanwhile, as `save_reduce` ends.
    fn end_reduce(&mut self) -> Result<()> {
        if let Some(index) = self.written_meanwhile() {
            self.core.op(Opcode::Pop);
            self.core.memo_get(index);
            return self.done(Some(index));
        }
        let index = self.core.memo_put_new()?;
        self.bind(index);
        self.done(Some(index))
    }

    /// Writes `len` items (or pairs) in batches, `step(w, range)` writing
    /// the items in `range` whole: MARK, up to 1000 items, `close`. With `again_after_full`, a full batch
    /// is followed by another, even an empty one, as `batch_dict_exact` and
    /// `save_set` do.
    fn batches(
        &mut self,
        len: usize,
        close: Opcode,
        again_after_full: bool,
        step: &mut impl FnMut(&mut Self, Range<usize>) -> Result<()>,
    ) -> Result<()> {
        let mut i = 0;
        loop {
            let end = len.min(i + BATCHSIZE);
            self.core.op(Opcode::Mark);
            step(self, i..end)?;
            i = end;
            self.core.op(close);
            let full = end % BATCHSIZE == 0 && end > 0;
            if i >= len && !(full && again_after_full) {
                return Ok(());
            }
            if i >= len {
                // The empty batch after a full one.
                self.core.op(Opcode::Mark);
                self.core.op(close);
                return Ok(());
            }
        }
    }

    // ---- atoms -------------------------------------------------------------

    /// `None`.
    pub fn write_none(&mut self) -> Result<()> {
        self.begin()?;
        self.core.op(Opcode::None);
        self.done(None)
    }

    /// `True` or `False`.
    pub fn write_bool(&mut self, v: bool) -> Result<()> {
        self.begin()?;
        self.core.write_bool(v);
        self.done(None)
    }

    /// An int.
    pub fn write_int(&mut self, v: i64) -> Result<()> {
        self.begin()?;
        self.core.write_int(v)?;
        self.done(None)
    }

    /// An int of any size.
    pub fn write_bigint(&mut self, v: &BigInt) -> Result<()> {
        self.begin()?;
        self.core.write_bigint(v)?;
        self.done(None)
    }

    /// A float.
    pub fn write_float(&mut self, v: f64) -> Result<()> {
        self.begin()?;
        self.core.write_float(v);
        self.done(None)
    }

    /// A new str object (memoized as CPython memoizes every str it writes;
    /// `''` and 1-character strs below U+0100 are CPython singletons, written once).
    pub fn write_str(&mut self, v: &str) -> Result<()> {
        self.begin()?;
        let index = self.core.save_str(v)?;
        self.done(Some(index))
    }

    /// An attribute name: an interned str, written once per pickle and then
    /// fetched from the memo, as CPython does for `__dict__` keys.
    ///
    /// Interned strs are other objects than the data strs of
    /// [`Writer::write_str`], even 1-character ones, as in CPython when the
    /// attribute names come from a class's code and the data from elsewhere.
    pub fn write_attr_name(&mut self, name: &str) -> Result<()> {
        self.begin()?;
        let index = self.core.save_name(name)?;
        self.done(Some(index))
    }

    /// [`Writer::write_attr_name`] for a name fixed at compile time, as
    /// `#[derive(Pickle)]` writes them: found again by its address, without
    /// comparing text. The bytes written are the same.
    pub fn write_static_attr_name(&mut self, name: &'static str) -> Result<()> {
        self.begin()?;
        let index = self.core.save_static_name(name)?;
        self.done(Some(index))
    }

    /// A new bytes object (`b''` is a CPython singleton, written once).
    ///
    /// From protocol 3 this is BINBYTES; below, CPython writes
    /// `_codecs.encode('<latin-1 text>', 'latin1')`, and `bytes()` for `b''`.
    pub fn write_bytes(&mut self, v: &[u8]) -> Result<()> {
        self.begin()?;
        let index = self.core.save_object(Object::Bytes(Cow::Borrowed(v)))?;
        self.done(index)
    }

    /// A new bytearray object.
    ///
    /// At protocol 5 this is BYTEARRAY8; below, CPython writes
    /// `bytearray(b'...')` (and `bytearray()` when it is empty).
    pub fn write_bytearray(&mut self, v: &[u8]) -> Result<()> {
        if self.protocol() >= 5 {
            self.begin()?;
            let index = self.core.save_bytearray(v)?;
            return self.done(Some(index));
        }
        let nargs = usize::from(!v.is_empty());
        self.write_reduce("builtins", "bytearray", nargs, |w, _| w.write_bytes(v))
    }

    /// A `pickle.PickleBuffer` over `data` (protocol 5 only), as CPython
    /// writes one: with a [`Pickler::buffer_callback`] that returns `false`,
    /// NEXT_BUFFER (then READONLY_BUFFER if `readonly`) and the data stays
    /// out-of-band; otherwise in-band, as BYTEARRAY8 (or bytes if `readonly`).
    ///
    /// ```
    /// use std::io;
    /// use pickle_core::ser::{ToPickle, Writer};
    ///
    /// struct Raw<'a>(&'a [u8]);
    /// impl ToPickle for Raw<'_> {
    ///     fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> pickle_core::Result<()> {
    ///         w.write_buffer(self.0, false)
    ///     }
    /// }
    ///
    /// // pickle.dumps(pickle.PickleBuffer(bytearray(b'ab')), protocol=5)
    /// let in_band = pickle_core::Pickler::new().dumps(&Raw(b"ab"))?;
    /// assert_eq!(in_band, b"\x80\x05\x95\r\x00\x00\x00\x00\x00\x00\x00\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94.");
    /// // ... with buffer_callback=lambda b: False
    /// let out_of_band = pickle_core::Pickler::new().buffer_callback(|_| false).dumps(&Raw(b"ab"))?;
    /// assert_eq!(out_of_band, b"\x80\x05\x97.");
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn write_buffer(&mut self, data: &[u8], readonly: bool) -> Result<()> {
        self.begin()?;
        let buffer = crate::value::Buffer {
            data: Cow::Borrowed(data),
            readonly,
        };
        let index = self.core.save_object(Object::Buffer(Box::new(buffer)))?;
        self.done(index)
    }

    /// Whether the pickler has a [`Pickler::buffer_callback`]: whether
    /// protocol-5 buffers may be asked to go out-of-band. Types that pickle
    /// differently then (numpy arrays use `_frombuffer`) ask this.
    pub fn has_buffer_callback(&self) -> bool {
        self.core.has_buffer_callback()
    }

    /// A reference to the global `module.qualname` (a class or function), memoized by name.
    ///
    /// Below protocol 3 the names go through `fix_imports` (`builtins` is
    /// written `__builtin__`), and below protocol 4 a dotted qualname is
    /// written `getattr(module.Outer, 'Inner')`, as CPython does. A global
    /// registered with [`Pickler::extension`] is written as its code.
    pub fn write_global(&mut self, module: &str, qualname: &str) -> Result<()> {
        self.begin()?;
        let index = self.core.save_global(module, qualname)?;
        self.done(index)
    }

    // ---- containers --------------------------------------------------------

    /// A new list of `len` items; `item(w, i)` writes item `i`.
    pub fn write_list(
        &mut self,
        len: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        self.write_filled(&LIST, len, &mut item)
    }

    /// A list or a dict: the empty container, memoized at once (so an item
    /// can refer back to it), then its items, one at a time at protocol 0 or
    /// for a single item, else in batches.
    fn write_filled(
        &mut self,
        shape: &Filled,
        len: usize,
        item: &mut impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        let (per_item, what) = (shape.per_item, shape.what);
        self.fill(shape, len, &mut |w, range| {
            range
                .into_iter()
                .try_for_each(|i| w.items(per_item, what, i, |w| item(w, i)))
        })
    }

    /// A list of `len` scalars that are never shared: `scalar(core, i)`
    /// writes item `i` as one object (an int, a float, a str), straight to
    /// the output. The same bytes as [`Writer::write_list`] with
    /// `write_int` (or `write_float`, `write_str`) for each item, without
    /// the per-object bookkeeping an item that may contain others needs.
    pub(crate) fn write_scalar_list(
        &mut self,
        len: usize,
        mut scalar: impl FnMut(&mut Core<'p, W>, usize) -> Result<()>,
    ) -> Result<()> {
        self.fill(&LIST, len, &mut |w, range| {
            for i in range {
                w.core.boundary()?;
                scalar(&mut w.core, i)?;
            }
            Ok(())
        })
    }

    /// A list of `len` ints that are never shared, item `i` being `int(i)`:
    /// [`Writer::write_scalar_list`] for ints, a run at a time.
    pub(crate) fn write_int_list(&mut self, len: usize, int: impl Fn(usize) -> i64) -> Result<()> {
        self.fill(&LIST, len, &mut |w, range| w.core.write_ints(range, &int))
    }

    /// The frame of [`Writer::write_filled`]: `step(w, range)` writes the
    /// items in `range` whole, one after the other.
    fn fill(
        &mut self,
        shape: &Filled,
        len: usize,
        step: &mut impl FnMut(&mut Self, Range<usize>) -> Result<()>,
    ) -> Result<()> {
        self.begin()?;
        if self.protocol() >= 1 {
            self.core.op(shape.empty);
        } else {
            self.core.op(Opcode::Mark);
            self.core.op(shape.from_mark);
        }
        let index = self.core.memo_put_new()?;
        self.bind(index);
        self.open(None)?;
        if self.protocol() == 0 || len == 1 {
            for i in 0..len {
                step(self, i..i + 1)?;
                self.core.op(shape.one);
            }
        } else if len > 0 {
            self.batches(len, shape.many, shape.again_after_full, step)?;
        }
        self.close();
        self.done(Some(index))
    }

    /// A new tuple of `len` items; `item(w, i)` writes item `i`.
    ///
    /// The empty tuple is a singleton CPython never memoizes.
    pub fn write_tuple(
        &mut self,
        len: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        self.begin()?;
        let proto = self.protocol();
        if len == 0 {
            if proto >= 1 {
                self.core.op(Opcode::EmptyTuple);
            } else {
                self.core.op(Opcode::Mark);
                self.core.op(Opcode::Tuple);
            }
            return self.done(None);
        }
        let marked = !(proto >= 2 && len <= 3);
        if marked {
            self.core.op(Opcode::Mark);
        }
        self.open(None)?;
        for i in 0..len {
            self.items(1, "write_tuple", i, |w| item(w, i))?;
        }
        self.close();
        if let Some(index) = self.written_meanwhile() {
            // The tuple's items wrote the tuple itself: drop this copy.
            if marked && proto >= 1 {
                self.core.op(Opcode::PopMark);
            } else {
                for _ in 0..len + usize::from(marked) {
                    self.core.op(Opcode::Pop);
                }
            }
            self.core.memo_get(index);
            return self.done(Some(index));
        }
        self.core.op(match (marked, len) {
            (false, 1) => Opcode::Tuple1,
            (false, 2) => Opcode::Tuple2,
            (false, 3) => Opcode::Tuple3,
            _ => Opcode::Tuple,
        });
        let index = self.core.memo_put_new()?;
        self.bind(index);
        self.done(Some(index))
    }

    /// A new dict of `len` entries; `entry(w, i)` writes key `i` then value `i`.
    pub fn write_dict(
        &mut self,
        len: usize,
        mut entry: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        self.write_filled(&DICT, len, &mut entry)
    }

    /// A new set of `len` items.
    ///
    /// From protocol 4 this is EMPTY_SET and ADDITEMS; below, CPython writes
    /// `set([items])`.
    pub fn write_set(
        &mut self,
        len: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        if self.protocol() < 4 {
            return self.write_set_reduce("set", len, item);
        }
        self.begin()?;
        self.core.op(Opcode::EmptySet);
        let index = self.core.memo_put_new()?;
        self.bind(index);
        self.open(None)?;
        if len > 0 {
            let step = &mut |w: &mut Self, range: Range<usize>| {
                range
                    .into_iter()
                    .try_for_each(|i| w.items(1, "write_set", i, |w| item(w, i)))
            };
            self.batches(len, Opcode::AddItems, true, step)?;
        }
        self.close();
        self.done(Some(index))
    }

    /// A new frozenset of `len` items.
    ///
    /// From protocol 4 this is MARK, the items, FROZENSET; below, CPython
    /// writes `frozenset([items])`.
    pub fn write_frozenset(
        &mut self,
        len: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        if self.protocol() < 4 {
            return self.write_set_reduce("frozenset", len, item);
        }
        self.begin()?;
        self.core.op(Opcode::Mark);
        self.open(None)?;
        for i in 0..len {
            self.items(1, "write_frozenset", i, |w| item(w, i))?;
        }
        self.close();
        if let Some(index) = self.written_meanwhile() {
            self.core.op(Opcode::PopMark);
            self.core.memo_get(index);
            return self.done(Some(index));
        }
        self.core.op(Opcode::FrozenSet);
        let index = self.core.memo_put_new()?;
        self.bind(index);
        self.done(Some(index))
    }

    /// `builtins.set([items])` or `builtins.frozenset([items])`: how
    /// `set.__reduce__` writes a set below protocol 4.
    fn write_set_reduce(
        &mut self,
        class: &str,
        len: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        self.write_reduce("builtins", class, 1, |w, _| w.write_list(len, &mut item))
    }

    // ---- instances ---------------------------------------------------------

    /// A new instance of the class `module.qualname`, created as CPython
    /// creates a plain object: `cls.__new__(cls, *args)` with NEWOBJ at
    /// protocol 2 and above, `copyreg._reconstructor(cls, object, None)`
    /// below (where, as in CPython, the args are not written).
    /// `arg(w, i)` writes argument `i` of `nargs`.
    ///
    /// Follow it with the state and [`Writer::write_build`], if any. CPython
    /// writes no state for an instance whose `__dict__` is empty.
    pub fn write_newobj(
        &mut self,
        module: &str,
        qualname: &str,
        nargs: usize,
        arg: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        self.begin()?;
        if self.protocol() < 2 {
            return self.write_reduce("copyreg", "_reconstructor", 3, |w, i| match i {
                0 => w.write_global(module, qualname),
                1 => w.write_global("builtins", "object"),
                _ => w.write_none(),
            });
        }
        self.write_call(module, qualname, nargs, arg, Opcode::NewObj)
    }

    /// The result of calling `module.qualname(*args)`: REDUCE, as for enum
    /// members (`Color(1)`). `arg(w, i)` writes argument `i` of `nargs`.
    ///
    /// Follow it with the state and [`Writer::write_build`], if any.
    pub fn write_reduce(
        &mut self,
        module: &str,
        qualname: &str,
        nargs: usize,
        arg: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        self.begin()?;
        self.write_call(module, qualname, nargs, arg, Opcode::Reduce)
    }

    /// The class or callable `module.qualname`, the tuple of `nargs`
    /// arguments, then `call` (NEWOBJ or REDUCE) and the memo PUT of the result.
    fn write_call(
        &mut self,
        module: &str,
        qualname: &str,
        nargs: usize,
        arg: impl FnMut(&mut Self, usize) -> Result<()>,
        call: Opcode,
    ) -> Result<()> {
        self.open(None)?;
        self.write_global(module, qualname)?;
        self.write_tuple(nargs, arg)?;
        self.close();
        self.core.op(call);
        self.end_reduce()
    }

    /// A member of an `enum.Enum` class: `module.qualname(value)`, with
    /// REDUCE, as CPython writes `Color.GREEN`.
    ///
    /// Enum members are singletons in Python, so a member is written once per
    /// pickle: the first time the member `name` of the class is written,
    /// `value` writes its value; after that a memo GET fetches the member.
    ///
    /// ```
    /// use std::io;
    /// use pickle_core::ser::{to_vec, ToPickle, Writer};
    ///
    /// /// class Color(enum.Enum): RED = 1; GREEN = 2 (in module geometry)
    /// enum Color { Red, Green }
    ///
    /// impl ToPickle for Color {
    ///     fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> pickle_core::Result<()> {
    ///         let (name, value) = match self { Color::Red => ("RED", 1), Color::Green => ("GREEN", 2) };
    ///         w.write_member("geometry", "Color", name, |w| w.write_int(value))
    ///     }
    /// }
    ///
    /// // pickle.dumps([Color.GREEN, Color.GREEN], protocol=2)
    /// assert_eq!(
    ///     to_vec(&vec![Color::Green, Color::Green], 2)?,
    ///     b"\x80\x02]q\x00(cgeometry\nColor\nq\x01K\x02\x85q\x02Rq\x03h\x03e.",
    /// );
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn write_member(
        &mut self,
        module: &str,
        qualname: &str,
        name: &str,
        value: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        self.begin()?;
        let key = format!("{module}\n{qualname}\n{name}");
        if let Some(&index) = self.members.get(&key) {
            self.core.memo_get(index);
            return self.done(Some(index));
        }
        let mut value = Some(value);
        self.write_reduce(module, qualname, 1, |w, _| match value.take() {
            Some(value) => value(w),
            None => Err(unpicklable("write_member: the value was asked for twice")),
        })?;
        if let Some(&Some(index)) = self.objects.last() {
            self.members.insert(key, index);
        }
        Ok(())
    }

    /// Items appended to the object just written (`obj.extend(items)`), as the
    /// list items of a `__reduce__` value: APPEND for a lone item, else MARK …
    /// APPENDS in batches of 1000, as CPython writes a list subclass.
    ///
    /// Call it right after [`Writer::write_newobj`] or [`Writer::write_reduce`],
    /// before the state. `item(w, i)` writes item `i` of `len`.
    ///
    /// ```
    /// use std::io;
    /// use pickle_core::ser::{to_vec, ToPickle, Writer};
    ///
    /// /// class L(list): pass (in module geometry)
    /// struct L(Vec<i64>);
    ///
    /// impl ToPickle for L {
    ///     fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> pickle_core::Result<()> {
    ///         w.write_newobj("geometry", "L", 0, |_, _| Ok(()))?;
    ///         w.write_list_items(self.0.len(), |w, i| w.write_int(self.0[i]))
    ///     }
    /// }
    ///
    /// // pickle.dumps(geometry.L([1, 2, 3]), protocol=2)
    /// assert_eq!(to_vec(&L(vec![1, 2, 3]), 2)?, b"\x80\x02cgeometry\nL\nq\x00)\x81q\x01(K\x01K\x02K\x03e.");
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn write_list_items(
        &mut self,
        len: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        self.reduce_items(
            len,
            1,
            "write_list_items",
            Opcode::Append,
            Opcode::Appends,
            &mut item,
        )
    }

    /// Items set on the object just written (`obj[key] = value`), as the dict
    /// items of a `__reduce__` value: SETITEM for a lone entry, else MARK …
    /// SETITEMS in batches of 1000, as CPython writes a dict subclass.
    /// `entry(w, i)` writes key `i` then value `i` of `len`.
    pub fn write_dict_items(
        &mut self,
        len: usize,
        mut entry: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        self.reduce_items(
            len,
            2,
            "write_dict_items",
            Opcode::SetItem,
            Opcode::SetItems,
            &mut entry,
        )
    }

    /// `_batch_appends`/`_batch_setitems` for the items of a reduce value.
    fn reduce_items(
        &mut self,
        len: usize,
        per_item: usize,
        what: &str,
        one: Opcode,
        many: Opcode,
        item: &mut impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        let start = self.levels.last().map_or(0, |level| level.start);
        if self.objects.len() < start + 1 {
            return Err(unpicklable(format!(
                "{what} needs the object it adds to written before it"
            )));
        }
        self.open(None)?;
        let mut i = 0;
        loop {
            let end = len.min(i + BATCHSIZE);
            let batch = end - i;
            if self.protocol() == 0 || batch == 1 {
                while i < end {
                    self.items(per_item, what, i, |w| item(w, i))?;
                    self.core.op(one);
                    i += 1;
                }
            } else if batch > 1 {
                self.core.op(Opcode::Mark);
                while i < end {
                    self.items(per_item, what, i, |w| item(w, i))?;
                    i += 1;
                }
                self.core.op(many);
            }
            if batch < BATCHSIZE {
                break;
            }
        }
        self.close();
        Ok(())
    }

    /// BUILD: applies the state just written to the object written before it.
    ///
    /// The two must be the last objects written at this level: the instance
    /// (from [`Writer::write_newobj`] or [`Writer::write_reduce`]), then its state.
    pub fn write_build(&mut self) -> Result<()> {
        let start = self.levels.last().map_or(0, |level| level.start);
        if self.objects.len() < start + 2 {
            return Err(unpicklable(
                "write_build needs an object and its state written before it",
            ));
        }
        self.core.op(Opcode::Build);
        self.objects.pop();
        Ok(())
    }

    // ---- sharing and graphs ------------------------------------------------

    /// Writes an object that may be shared: the first time `identity` is seen,
    /// `write` writes it and it is memoized under `identity`; after that, a
    /// memo GET refers back to it. Use the address of an `Rc`/`Arc` allocation,
    /// so one Rust allocation is one Python object.
    ///
    /// `write` must write exactly one object (with its state, if any). Its
    /// identity is known from the moment that object is memoized, so a list,
    /// dict, set or instance can contain itself, as in Python (through
    /// `Rc<RefCell<..>>`). An object that is not memoized, such as an int, is
    /// written again each time, as CPython does. The identity must stay
    /// valid, and name the same object, for the whole write.
    pub fn write_shared(
        &mut self,
        identity: usize,
        write: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        self.begin()?;
        if let Some(&index) = self.shared.get(&identity) {
            self.core.memo_get(index);
            return self.done(Some(index));
        }
        self.open(Some(identity))?;
        let before = self.objects.len();
        write(self)?;
        let wrote = self.objects.len() - before;
        if wrote != 1 {
            return Err(unpicklable(format!(
                "write_shared: the closure wrote {wrote} objects instead of 1"
            )));
        }
        let index = self.objects[before];
        self.close();
        if let Some(index) = index {
            self.shared.entry(identity).or_insert(index);
        }
        self.done(index)
    }

    /// Writes an object graph in place, as part of the object being written.
    ///
    /// The graph shares this pickle's memo and frames: its globals, attribute
    /// names and singletons are written once for the whole pickle, and its
    /// own sharing and cycles are kept. Each call writes new objects (embed
    /// one graph twice through an `Rc` to write it once). The
    /// [`Pickler::persistent_id`] hook sees the graph's objects, and only those.
    pub fn write_value(&mut self, value: &Value<'_>) -> Result<()> {
        self.begin()?;
        let index = self.core.save_value(value)?;
        self.done(index)
    }
}

/// How a list or a dict is written: its opcodes, and how many objects make one item.
struct Filled {
    what: &'static str,
    empty: Opcode,
    from_mark: Opcode,
    per_item: usize,
    one: Opcode,
    many: Opcode,
    /// A full batch is followed by another, even an empty one (`batch_dict_exact`).
    again_after_full: bool,
}

const LIST: Filled = Filled {
    what: "write_list",
    empty: Opcode::EmptyList,
    from_mark: Opcode::List,
    per_item: 1,
    one: Opcode::Append,
    many: Opcode::Appends,
    again_after_full: false,
};

const DICT: Filled = Filled {
    what: "write_dict",
    empty: Opcode::EmptyDict,
    from_mark: Opcode::Dict,
    per_item: 2,
    one: Opcode::SetItem,
    many: Opcode::SetItems,
    again_after_full: true,
};

/// Pickles `value` at `protocol` into a new `Vec`, as
/// `Pickler::new().protocol(protocol).dumps(value)`.
pub fn to_vec<T: ToPickle + ?Sized>(value: &T, protocol: u8) -> Result<Vec<u8>> {
    Pickler::new().protocol(protocol).dumps(value)
}
