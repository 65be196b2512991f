//! Arrays of dtypes without a Rust element type, kept whole.

use std::io;

use super::array::{write_parts, Parts};
use super::{Format, NumpyPickle};
use crate::de::FromPickle;
use crate::error::Result;
use crate::ser::{ToPickle, Writer};
use crate::value::{Node, Value};

/// The data of an [`OpaqueArray`].
#[derive(Clone, Debug, PartialEq)]
pub enum OpaqueData {
    /// The raw bytes, as `tobytes()` gives them, in the array's order.
    Bytes(Vec<u8>),
    /// An object array's items: a graph whose root is the list of them.
    Objects(Value<'static>),
}

/// Any `numpy.ndarray`, whatever its dtype, kept as numpy pickled it: the
/// dtype object as a graph, the shape, the order, and the raw data.
///
/// For dtypes that have no [`Element`](super::Element) (structured, object,
/// datetime64, strings) and arrays of any dtype. Nothing is interpreted, so
/// nothing is lost: writing it back gives numpy the same array. (Loading
/// a pickle as a [`Value`] keeps these arrays too, as the instances they are.)
///
/// ```
/// use pickle_core::numpy::{OpaqueArray, OpaqueData};
///
/// // numpy 1.26: pickle.dumps(numpy.array([(1, 2.0)], dtype=[('x', '<i2'), ('y', '<f4')]), protocol=3)
/// let data = b"\x80\x03cnumpy.core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q\x02C\x01bq\x03\x87q\x04Rq\x05(K\x01K\x01\x85q\x06cnumpy\ndtype\nq\x07X\x02\x00\x00\x00V6q\x08\x89\x88\x87q\tRq\n(K\x03X\x01\x00\x00\x00|q\x0bNX\x01\x00\x00\x00xq\x0cX\x01\x00\x00\x00yq\r\x86q\x0e}q\x0f(h\x0ch\x07X\x02\x00\x00\x00i2q\x10\x89\x88\x87q\x11Rq\x12(K\x03X\x01\x00\x00\x00<q\x13NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x14bK\x00\x86q\x15h\rh\x07X\x02\x00\x00\x00f4q\x16\x89\x88\x87q\x17Rq\x18(K\x03h\x13NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x19bK\x02\x86q\x1auK\x06K\x01K\x10tq\x1bb\x89C\x06\x01\x00\x00\x00\x00@q\x1ctq\x1db.";
/// let a: OpaqueArray = pickle_core::loads(data)?;
/// assert_eq!(a.shape, [1]);
/// assert_eq!(a.data, OpaqueData::Bytes(vec![1, 0, 0, 0, 0, 0x40]));
/// assert_eq!(pickle_core::ser::to_vec(&a, 3)?, data);
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OpaqueArray {
    /// The `numpy.dtype` object, as a graph whose root is it.
    pub dtype: Value<'static>,
    /// The shape.
    pub shape: Vec<usize>,
    /// Whether the data is in Fortran order.
    pub fortran: bool,
    /// The data.
    pub data: OpaqueData,
}

impl<'de> FromPickle<'de> for OpaqueArray {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let parts = Parts::read(node)?;
        let data = match parts.raw() {
            Some(raw) => OpaqueData::Bytes(raw.bytes().to_vec()),
            None => OpaqueData::Objects(parts.data.extract::<Value<'de>>()?.into_owned()),
        };
        Ok(OpaqueArray {
            dtype: parts.dtype.extract::<Value<'de>>()?.into_owned(),
            shape: parts.shape,
            fortran: parts.fortran,
            data,
        })
    }
}

impl NumpyPickle for OpaqueArray {
    fn write_numpy<W: io::Write>(&self, w: &mut Writer<'_, W>, format: Format) -> Result<()> {
        match &self.data {
            OpaqueData::Bytes(bytes) => write_parts(
                w,
                format,
                // An opaque dtype's size is unknown; any nonzero size means "has data".
                usize::from(!bytes.is_empty() || !self.shape.contains(&0)),
                &self.shape,
                self.fortran,
                |w| w.write_value(&self.dtype),
                bytes,
            ),
            OpaqueData::Objects(items) => {
                super::array::write_reconstruct(w, format)?;
                w.write_tuple(5, |w, i| match i {
                    0 => w.write_int(1),
                    1 => super::array::write_shape(w, &self.shape),
                    2 => w.write_value(&self.dtype),
                    3 => w.write_bool(self.fortran),
                    _ => w.write_value(items),
                })?;
                w.write_build()
            }
        }
    }
}

/// Writes [`Format::Portable`], as arrays do.
impl ToPickle for OpaqueArray {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        self.write_numpy(w, Format::Portable)
    }
}
