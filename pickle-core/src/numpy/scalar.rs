//! numpy scalars: `numpy.core.multiarray.scalar(dtype, raw)`.

use std::io;

use super::dtype::decode;
use super::{called, write_byte, Dtype, Element, Format, NumpyPickle, MULTIARRAY};
use crate::de::FromPickle;
use crate::error::{Error, ErrorKind, Result};
use crate::ser::{ToPickle, Writer};
use crate::value::Node;

/// A numpy scalar (`numpy.float64(2.0)`, `numpy.int32(7)`, `numpy.bool_(True)`)
/// holding a `T`.
///
/// numpy pickles one as `multiarray.scalar(dtype, raw_bytes)`. A wrapper, not
/// impls on `f64` and friends: a plain `f64` pickles as a Python float, and
/// reads only a float, as before. The dtype must be exactly `T`'s; data in
/// either byte order is read.
///
/// ```
/// use pickle_core::numpy::{Numpy2, NumpyScalar};
///
/// // numpy 1.26: pickle.dumps(numpy.float64(2.0), protocol=2)
/// let data = b"\x80\x02cnumpy.core.multiarray\nscalar\nq\x00cnumpy\ndtype\nq\x01X\x02\x00\x00\x00f8q\x02\x89\x88\x87q\x03Rq\x04(K\x03X\x01\x00\x00\x00<q\x05NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x06bc_codecs\nencode\nq\x07X\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00@q\x08X\x06\x00\x00\x00latin1q\t\x86q\nRq\x0b\x86q\x0cRq\r.";
/// let x: NumpyScalar<f64> = pickle_core::loads(data)?;
/// assert_eq!(x, NumpyScalar(2.0));
/// assert_eq!(pickle_core::ser::to_vec(&x, 2)?, data);
/// // numpy 2.4 writes the same with numpy._core.multiarray.
/// let v2 = pickle_core::ser::to_vec(&Numpy2(x), 2)?;
/// assert!(v2.starts_with(b"\x80\x02cnumpy._core.multiarray\nscalar\n"));
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct NumpyScalar<T>(pub T);

impl<'de, T: Element> FromPickle<'de> for NumpyScalar<T> {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let expected = || format!("numpy scalar of dtype {}", Dtype::of::<T>().name());
        let instance =
            called(node, &MULTIARRAY, "scalar").ok_or_else(|| node.type_error(expected()))?;
        let args: Vec<Node<'_, 'de>> = node
            .graph()
            .node(instance.args)
            .items()
            .ok_or_else(|| node.type_error(expected()))?
            .collect();
        let [dtype, raw] = args[..] else {
            return Err(node.type_error("scalar(dtype, raw)"));
        };
        let dtype = Dtype::read(dtype)?;
        if !dtype.is::<T>() {
            return Err(Error::type_mismatch(
                expected(),
                format!("dtype {}", dtype.str()),
            ));
        }
        let bytes = raw
            .as_bytes()
            .ok_or_else(|| raw.type_error("bytes (the scalar's data)"))?;
        if bytes.len() != dtype.itemsize {
            return Err(Error::new(
                ErrorKind::TypeMismatch,
                format!(
                    "numpy scalar of dtype {} has {} bytes of data",
                    dtype.str(),
                    bytes.len()
                ),
            ));
        }
        Ok(NumpyScalar(decode::<T>(bytes, dtype)?[0]))
    }
}

impl<T: Element> NumpyPickle for NumpyScalar<T> {
    fn write_numpy<W: io::Write>(&self, w: &mut Writer<'_, W>, format: Format) -> Result<()> {
        let raw: &[u8] = bytemuck::bytes_of(&self.0);
        w.write_reduce(format.multiarray(), "scalar", 2, |w, i| match i {
            0 => Dtype::of::<T>().write_numpy(w, format),
            // numpy makes the data with PyBytes_FromStringAndSize: one byte is a singleton.
            _ if raw.len() == 1 => write_byte(w, raw[0]),
            _ => w.write_bytes(raw),
        })
    }
}

/// Writes [`Format::Portable`]: numpy 1.26's bytes, which numpy 2.x loads too.
impl<T: Element> ToPickle for NumpyScalar<T> {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        self.write_numpy(w, Format::Portable)
    }
}
