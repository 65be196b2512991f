//! numpy: `numpy.ndarray` as [`ndarray`] arrays, dtypes, and numpy scalars.
//!
//! With the `numpy` feature, [`ndarray::ArrayBase`] arrays of the
//! [`Element`] types (`bool`, `i8`–`i64`, `u8`–`u64`, [`f16`](struct@half::f16), `f32`,
//! `f64`, [`num_complex::Complex`]`<f32>` and `<f64>`) of any dimension are
//! [`crate::ser::ToPickle`], and owned arrays, views and
//! [`CowArray`](ndarray::CowArray)s are [`FromPickle`](crate::de::FromPickle).
//!
//! **Loading** reads every form numpy 1.x and 2.x write: `_reconstruct` from
//! `numpy.core.multiarray` or `numpy._core.multiarray` with the state
//! `(version, shape, dtype, is_fortran, raw)` (and the old state without the
//! version), and protocol 5's `_frombuffer(buffer, dtype, shape, order)` from
//! `numpy.core.numeric` or `numpy._core.numeric`, with the buffer in-band or
//! out-of-band ([`Unpickler::buffers`](crate::Unpickler::buffers)). Data in
//! C or Fortran order, little- or big-endian, is converted to the array's
//! element type in native order; the dtype must be exactly the element's
//! (`float64` for `f64`), else the read is a
//! [`TypeMismatch`](crate::ErrorKind::TypeMismatch). An [`ArrayView`](ndarray::ArrayView)
//! borrows the pickle's bytes (or an out-of-band buffer) without a copy, when
//! they are native-order and aligned; a [`CowArray`](ndarray::CowArray)
//! borrows when it can and copies when it must.
//!
//! **Writing**, by default ([`Format::Portable`]), writes what numpy 1.26
//! writes at protocols 0–4: `numpy.core.multiarray._reconstruct`, which
//! numpy 1.26 and 2.x both load without a warning; at protocol 5 too, unless
//! the [`Pickler`](crate::Pickler) has a
//! [`buffer_callback`](crate::Pickler::buffer_callback), when it writes numpy
//! 1.26's `numpy.core.numeric._frombuffer` with a PickleBuffer (numpy 2.x loads
//! that with a `DeprecationWarning`). [`Numpy2`] writes what numpy 2.x
//! writes: `numpy._core.multiarray._reconstruct` at protocols 0–4 and
//! `numpy._core.numeric._frombuffer` at protocol 5 (which numpy 1.26 cannot load).
//!
//! ```
//! use pickle_core::numpy::ndarray::{array, Array2};
//!
//! let a: Array2<f64> = array![[3.0, 4.0]];
//! let bytes = pickle_core::ser::to_vec(&a, 2)?;
//! // numpy 1.26: pickle.dumps(numpy.array([[3.0, 4.0]]), protocol=2)
//! assert_eq!(bytes, &b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q\x02c_codecs\nencode\nq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x01K\x02\x86q\x0acnumpy\ndtype\nq\x0bX\x02\x00\x00\x00f8q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00<q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x10b\x89h\x03X\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08@\x00\x00\x00\x00\x00\x00\x10@q\x11h\x05\x86q\x12Rq\x13tq\x14b."[..]);
//! let back: Array2<f64> = pickle_core::loads(&bytes)?;
//! assert_eq!(back, a);
//! # Ok::<(), pickle_core::Error>(())
//! ```
//!
//! Arrays of other dtypes (structured, object, datetime64, strings) load into
//! the object graph as the opaque instances they are, losslessly, and read
//! as an [`OpaqueArray`]. numpy scalars (`numpy.float64(2.0)`) read and
//! write as [`NumpyScalar`]; dtypes as [`Dtype`].

pub use half;
pub use ndarray;
pub use num_complex;

mod array;
mod direct;
mod dtype;
mod opaque;
mod scalar;

use std::io;

use crate::error::Result;
use crate::ser::{ToPickle, Writer};
use crate::value::{Instance, Node};

pub use dtype::{ByteOrder, Dtype, Element};
pub use opaque::{OpaqueArray, OpaqueData};
pub use scalar::NumpyScalar;

/// Which numpy's globals to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// What numpy 1.26 writes, which numpy 1.26 and 2.x both load:
    /// `numpy.core.multiarray._reconstruct` (and `.scalar`), and, at
    /// protocol 5 with a [`buffer_callback`](crate::Pickler::buffer_callback)
    /// only, `numpy.core.numeric._frombuffer`.
    #[default]
    Portable,
    /// What numpy 2.x writes: `numpy._core.multiarray._reconstruct` (and
    /// `.scalar`), and `numpy._core.numeric._frombuffer` at protocol 5.
    /// numpy 1.26 loads the protocol 0–4 forms but not `_frombuffer`.
    Numpy2,
}

impl Format {
    fn multiarray(self) -> &'static str {
        match self {
            Format::Portable => "numpy.core.multiarray",
            Format::Numpy2 => "numpy._core.multiarray",
        }
    }

    fn numeric(self) -> &'static str {
        match self {
            Format::Portable => "numpy.core.numeric",
            Format::Numpy2 => "numpy._core.numeric",
        }
    }
}

/// A numpy object that can be written in either [`Format`].
///
/// Implemented for arrays, [`Dtype`], [`NumpyScalar`] and [`OpaqueArray`];
/// their [`ToPickle`] writes [`Format::Portable`], and [`Numpy2`] writes
/// [`Format::Numpy2`].
pub trait NumpyPickle {
    /// Writes `self` as one Python object, with `format`'s globals.
    fn write_numpy<W: io::Write>(&self, w: &mut Writer<'_, W>, format: Format) -> Result<()>;
}

impl<T: NumpyPickle + ?Sized> NumpyPickle for &T {
    fn write_numpy<W: io::Write>(&self, w: &mut Writer<'_, W>, format: Format) -> Result<()> {
        (**self).write_numpy(w, format)
    }
}

/// Writes the numpy object `A` as numpy 2.x does ([`Format::Numpy2`]):
/// `numpy._core...` globals, and `_frombuffer` at protocol 5.
///
/// ```
/// use pickle_core::numpy::{ndarray::arr1, Numpy2};
///
/// let a = arr1(&[1_u8, 2]);
/// // numpy 2.4: pickle.dumps(numpy.array([1, 2], dtype='u1'), protocol=5)
/// let bytes = pickle_core::dumps(&Numpy2(&a))?;
/// assert_eq!(bytes, &b"\x80\x05\x95v\x00\x00\x00\x00\x00\x00\x00\x8c\x13numpy._core.numeric\x94\x8c\x0b_frombuffer\x94\x93\x94(\x96\x02\x00\x00\x00\x00\x00\x00\x00\x01\x02\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02u1\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x02\x85\x94\x8c\x01C\x94t\x94R\x94."[..]);
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Numpy2<A>(pub A);

impl<A: NumpyPickle> ToPickle for Numpy2<A> {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        self.0.write_numpy(w, Format::Numpy2)
    }
}

/// Whether `node` is the global `module.name` for one of `modules`.
fn is_global(node: Node<'_, '_>, modules: &[&str], name: &str) -> bool {
    node.as_global()
        .is_some_and(|g| g.name == name && modules.iter().any(|m| g.module == *m))
}

const MULTIARRAY: [&str; 2] = ["numpy.core.multiarray", "numpy._core.multiarray"];
const NUMERIC: [&str; 2] = ["numpy.core.numeric", "numpy._core.numeric"];

/// The instance at `node` if it was made by calling one of the globals `modules`.`name`.
fn called<'v>(node: Node<'v, '_>, modules: &[&str], name: &str) -> Option<&'v Instance> {
    let instance = node.as_instance()?;
    is_global(node.graph().node(instance.class), modules, name).then_some(instance)
}

/// Writes a 1-character bytes object such as `b'b'`: a CPython singleton,
/// written once per pickle and fetched from the memo after that.
fn write_byte<W: io::Write>(w: &mut Writer<'_, W>, byte: u8) -> Result<()> {
    static BYTES: [u8; 256] = {
        let mut all = [0; 256];
        let mut i = 0;
        while i < 256 {
            all[i] = i as u8;
            i += 1;
        }
        all
    };
    let one = &BYTES[usize::from(byte)..=usize::from(byte)];
    w.write_shared(one.as_ptr() as usize, |w| w.write_bytes(one))
}
