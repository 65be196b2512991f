//! `numpy.ndarray` ↔ [`ndarray::ArrayBase`].

use std::borrow::Cow;
use std::io;

use ndarray::{Array, ArrayBase, ArrayView, CowArray, Data, Dimension, IxDyn, ShapeBuilder};

use super::dtype::decode;
use super::{called, write_byte, Dtype, Element, Format, NumpyPickle, MULTIARRAY, NUMERIC};
use crate::de::direct::{Direct, Source};
use crate::de::FromPickle;
use crate::error::{Error, ErrorKind, Result};
use crate::ser::{ToPickle, Writer};
use crate::value::{Node, Object};

/// The bytes of an array's data: borrowed from the pickle's input (or an
/// out-of-band buffer) for `'de`, or held by the graph for `'v`.
#[derive(Clone, Copy)]
pub(crate) enum Raw<'v, 'de> {
    Input(&'de [u8]),
    Graph(&'v [u8]),
}

impl<'v> Raw<'v, '_> {
    pub(crate) fn bytes(&self) -> &[u8] {
        match *self {
            Raw::Input(b) => b,
            Raw::Graph(b) => b,
        }
    }
}

/// An ndarray pickle taken apart, whatever form numpy wrote it in.
pub(crate) struct Parts<'v, 'de> {
    /// The dtype object.
    pub(crate) dtype: Node<'v, 'de>,
    pub(crate) shape: Vec<usize>,
    /// Whether the data is in Fortran order.
    pub(crate) fortran: bool,
    /// The data: bytes, or, for object arrays, the list of items.
    pub(crate) data: Node<'v, 'de>,
}

const EXPECTED: &str = "numpy.ndarray";

impl<'v, 'de> Parts<'v, 'de> {
    /// `_reconstruct(ndarray, (0,), b'b')` + BUILD `([1,] shape, dtype,
    /// is_fortran, raw)`, or `_frombuffer(buffer, dtype, shape, order)`.
    pub(crate) fn read(node: Node<'v, 'de>) -> Result<Self> {
        let graph = node.graph();
        if let Some(instance) = called(node, &MULTIARRAY, "_reconstruct") {
            let state = instance
                .state
                .map(|id| graph.node(id))
                .ok_or_else(|| node.type_error("numpy.ndarray with its state"))?;
            let items: Vec<Node<'v, 'de>> = state
                .items()
                .filter(|_| matches!(state.object(), Object::Tuple(_)))
                .ok_or_else(|| state.type_error("numpy.ndarray state tuple"))?
                .collect();
            let rest = match items.len() {
                5 => &items[1..],
                4 => &items[..],
                _ => return Err(state.type_error("numpy.ndarray state of 4 or 5 items")),
            };
            let fortran = match rest[2].object() {
                Object::Bool(b) => *b,
                Object::Int(i) => *i != 0,
                _ => return Err(rest[2].type_error("bool (is_fortran)")),
            };
            return Ok(Parts {
                shape: shape(rest[0])?,
                dtype: rest[1],
                fortran,
                data: rest[3],
            });
        }
        if let Some(instance) = called(node, &NUMERIC, "_frombuffer") {
            let args: Vec<Node<'v, 'de>> = graph
                .node(instance.args)
                .items()
                .ok_or_else(|| node.type_error(EXPECTED))?
                .collect();
            if args.len() != 4 {
                return Err(node.type_error("_frombuffer(buffer, dtype, shape, order)"));
            }
            let fortran = match args[3].as_str() {
                Some("C") => false,
                Some("F") => true,
                _ => return Err(args[3].type_error("'C' or 'F'")),
            };
            return Ok(Parts {
                dtype: args[1],
                shape: shape(args[2])?,
                fortran,
                data: args[0],
            });
        }
        Err(node.type_error(EXPECTED))
    }

    /// The number of elements.
    pub(crate) fn len(&self) -> Result<usize> {
        self.shape
            .iter()
            .try_fold(1_usize, |n, &d| n.checked_mul(d))
            .ok_or_else(|| Error::new(ErrorKind::TypeMismatch, "numpy.ndarray shape overflows"))
    }

    /// The data bytes, if the data is bytes (a bytes, bytearray or PickleBuffer).
    pub(crate) fn raw(&self) -> Option<Raw<'v, 'de>> {
        let object: &'v Object<'de> = self.data.object();
        match object {
            Object::Bytes(Cow::Borrowed(b)) => Some(Raw::Input(b)),
            Object::Bytes(Cow::Owned(b)) => Some(Raw::Graph(b)),
            Object::ByteArray(b) => Some(Raw::Graph(b)),
            Object::Buffer(buffer) => Some(match &buffer.data {
                Cow::Borrowed(b) => Raw::Input(b),
                Cow::Owned(b) => Raw::Graph(b),
            }),
            _ => None,
        }
    }

    /// The dtype, which must be `T`'s, and the data bytes, which must be
    /// as many as the shape needs.
    fn typed<T: Element>(&self) -> Result<(Dtype, Raw<'v, 'de>)> {
        let dtype = Dtype::read(self.dtype)?;
        if !dtype.is::<T>() {
            return Err(Error::type_mismatch(
                format!("numpy.ndarray of dtype {}", Dtype::of::<T>().name()),
                format!("dtype {}", dtype.str()),
            ));
        }
        let raw = self
            .raw()
            .ok_or_else(|| self.data.type_error("bytes (the array's data)"))?;
        let want = self.len()?.checked_mul(dtype.itemsize);
        if want != Some(raw.bytes().len()) {
            return Err(Error::new(
                ErrorKind::TypeMismatch,
                format!(
                    "numpy.ndarray of shape {:?} and dtype {} needs {} bytes of data, found {}",
                    self.shape,
                    dtype.str(),
                    want.map_or_else(|| "too many".to_owned(), |n| n.to_string()),
                    raw.bytes().len()
                ),
            ));
        }
        Ok((dtype, raw))
    }

    fn shape_for<D: Dimension>(&self) -> Result<ndarray::Shape<D>> {
        let dim = D::from_dimension(&IxDyn(&self.shape)).ok_or_else(|| {
            Error::type_mismatch(
                format!(
                    "numpy.ndarray of {} dimensions",
                    D::NDIM.map_or("any".to_owned(), |n| n.to_string())
                ),
                format!("{} dimensions", self.shape.len()),
            )
        })?;
        Ok(dim.set_f(self.fortran))
    }
}

fn shape(node: Node<'_, '_>) -> Result<Vec<usize>> {
    let items = node
        .items()
        .ok_or_else(|| node.type_error("tuple (the shape)"))?;
    items
        .map(|n| {
            n.as_i64()
                .and_then(|d| usize::try_from(d).ok())
                .ok_or_else(|| n.type_error("non-negative int (a dimension)"))
        })
        .collect()
}

fn shape_error(e: ndarray::ShapeError) -> Error {
    Error::new(ErrorKind::TypeMismatch, format!("numpy.ndarray: {e}"))
}

/// An owned array: the data is copied (and byte-swapped if it is not in
/// native order) into a new allocation, in the pickle's C or Fortran order.
///
/// ```
/// use pickle_core::numpy::ndarray::{arr2, Array2, ShapeBuilder};
///
/// // numpy 2.4: pickle.dumps(numpy.asfortranarray(numpy.array([[1, 2], [3, 4]], dtype='>i2')), protocol=3)
/// let data = b"\x80\x03cnumpy._core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q\x02C\x01bq\x03\x87q\x04Rq\x05(K\x01K\x02K\x02\x86q\x06cnumpy\ndtype\nq\x07X\x02\x00\x00\x00i2q\x08\x89\x88\x87q\tRq\n(K\x03X\x01\x00\x00\x00>q\x0bNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0cb\x88C\x08\x00\x01\x00\x03\x00\x02\x00\x04q\rtq\x0eb.";
/// let a: Array2<i16> = pickle_core::loads(data)?;
/// assert_eq!(a, arr2(&[[1, 2], [3, 4]]));
/// assert!(a.t().is_standard_layout()); // Fortran order, as in numpy
/// # Ok::<(), pickle_core::Error>(())
/// ```
impl<'de, T: Element, D: Dimension> FromPickle<'de> for Array<T, D> {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let parts = Parts::read(node)?;
        let (dtype, raw) = parts.typed::<T>()?;
        let data = decode::<T>(raw.bytes(), dtype)?;
        Array::from_shape_vec(parts.shape_for::<D>()?, data).map_err(shape_error)
    }

    const DIRECT: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        super::direct::array(r)
    }
}

/// A view that borrows the array's data from the pickle's input (or from an
/// out-of-band buffer given to [`Unpickler::buffers`](crate::Unpickler::buffers)),
/// without a copy. The data must be in native byte order and aligned for
/// `T`, and not held by the graph (a protocol-5 in-band bytearray is; read
/// an [`Array`] or a [`CowArray`] then).
///
/// ```
/// use pickle_core::numpy::ndarray::ArrayView1;
/// use pickle_core::value::Buffer;
/// use pickle_core::Unpickler;
///
/// // numpy 2.4: pickle.dumps(numpy.array([1, 2], dtype='u1'), protocol=5, buffer_callback=lambda b: False)
/// let data = b"\x80\x05\x95k\x00\x00\x00\x00\x00\x00\x00\x8c\x13numpy._core.numeric\x94\x8c\x0b_frombuffer\x94\x93\x94(\x97\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02u1\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x02\x85\x94\x8c\x01C\x94t\x94R\x94.";
/// let buffer = [1_u8, 2];
/// let view: ArrayView1<u8> = Unpickler::new()
///     .buffers([Buffer { data: buffer[..].into(), readonly: false }])
///     .loads(data)?;
/// assert_eq!(view.as_ptr(), buffer.as_ptr()); // no copy
/// # Ok::<(), pickle_core::Error>(())
/// ```
impl<'de, T: Element, D: Dimension> FromPickle<'de> for ArrayView<'de, T, D> {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let parts = Parts::read(node)?;
        let (dtype, raw) = parts.typed::<T>()?;
        match borrow::<T>(raw, dtype) {
            Ok(slice) => ArrayView::from_shape(parts.shape_for::<D>()?, slice).map_err(shape_error),
            Err(why) => Err(Error::new(
                ErrorKind::TypeMismatch,
                format!("cannot borrow the numpy.ndarray's data: {why}; read an Array or a CowArray instead"),
            )),
        }
    }
}

/// The data as `T`s without a copy, or why not.
fn borrow<'de, T: Element>(
    raw: Raw<'_, 'de>,
    dtype: Dtype,
) -> std::result::Result<&'de [T], &'static str> {
    let Raw::Input(bytes) = raw else {
        return Err("the graph holds it (an in-band bytearray)");
    };
    if bytes.is_empty() {
        return Ok(&[]);
    }
    if dtype.byte_order.swaps() && T::COMPONENT > 1 {
        return Err("it is not in native byte order");
    }
    bytemuck::checked::try_cast_slice::<u8, T>(bytes).map_err(|e| match e {
        bytemuck::checked::CheckedCastError::InvalidBitPattern => "it holds an invalid bool",
        _ => "it is not aligned",
    })
}

/// A view of the data where it can be borrowed (see [`ArrayView`]'s impl),
/// else an owned copy.
///
/// ```
/// use pickle_core::numpy::ndarray::{arr1, CowArray, Ix1};
///
/// // numpy 2.4: pickle.dumps(numpy.array([1, 2], dtype='u1'), protocol=5)
/// let data = b"\x80\x05\x95v\x00\x00\x00\x00\x00\x00\x00\x8c\x13numpy._core.numeric\x94\x8c\x0b_frombuffer\x94\x93\x94(\x96\x02\x00\x00\x00\x00\x00\x00\x00\x01\x02\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02u1\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x02\x85\x94\x8c\x01C\x94t\x94R\x94.";
/// let a: CowArray<u8, Ix1> = pickle_core::loads(data)?;
/// assert!(a.is_owned()); // an in-band bytearray: copied
/// assert_eq!(a, arr1(&[1, 2]));
/// # Ok::<(), pickle_core::Error>(())
/// ```
impl<'de, T: Element, D: Dimension> FromPickle<'de> for CowArray<'de, T, D> {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let parts = Parts::read(node)?;
        let (dtype, raw) = parts.typed::<T>()?;
        if let Ok(slice) = borrow::<T>(raw, dtype) {
            let view =
                ArrayView::from_shape(parts.shape_for::<D>()?, slice).map_err(shape_error)?;
            return Ok(CowArray::from(view));
        }
        let data = decode::<T>(raw.bytes(), dtype)?;
        let owned = Array::from_shape_vec(parts.shape_for::<D>()?, data).map_err(shape_error)?;
        Ok(CowArray::from(owned))
    }
}

/// The array's data as numpy's `tobytes('A')` has it: Fortran order for an
/// array that is Fortran- but not C-contiguous, else C order; and whether it is Fortran.
fn layout<S: Data<Elem = T>, T: Element, D: Dimension>(
    a: &ArrayBase<S, D>,
) -> (bool, Cow<'_, [u8]>) {
    if let Some(slice) = a.as_slice() {
        return (false, Cow::Borrowed(bytemuck::cast_slice(slice)));
    }
    if a.ndim() > 1 {
        if let Some(slice) = a.t().to_slice() {
            return (true, Cow::Borrowed(bytemuck::cast_slice(slice)));
        }
    }
    let items: Vec<T> = a.iter().copied().collect();
    (false, Cow::Owned(bytemuck::cast_slice(&items).to_vec()))
}

/// Writes the shape tuple.
pub(crate) fn write_shape<W: io::Write>(w: &mut Writer<'_, W>, shape: &[usize]) -> Result<()> {
    w.write_tuple(shape.len(), |w, i| {
        let d = i64::try_from(shape[i])
            .map_err(|_| Error::new(ErrorKind::Unpicklable, "numpy.ndarray dimension too large"))?;
        w.write_int(d)
    })
}

/// `_reconstruct(ndarray, (0,), b'b')`, as numpy writes the start of an array
/// below protocol 5 (and of any array it cannot give a buffer of).
pub(crate) fn write_reconstruct<W: io::Write>(w: &mut Writer<'_, W>, format: Format) -> Result<()> {
    w.write_reduce(format.multiarray(), "_reconstruct", 3, |w, i| match i {
        0 => w.write_global("numpy", "ndarray"),
        1 => w.write_tuple(1, |w, _| w.write_int(0)),
        _ => write_byte(w, b'b'),
    })
}

/// Whether an array of `itemsize`-byte elements is written with
/// `_frombuffer` (else `_reconstruct`).
pub(crate) fn uses_frombuffer<W: io::Write>(
    w: &Writer<'_, W>,
    format: Format,
    itemsize: usize,
) -> bool {
    w.protocol() >= 5
        && itemsize > 0
        && match format {
            Format::Portable => w.has_buffer_callback(),
            Format::Numpy2 => true,
        }
}

/// Writes an array's parts, in either form.
pub(crate) fn write_parts<W: io::Write>(
    w: &mut Writer<'_, W>,
    format: Format,
    itemsize: usize,
    shape: &[usize],
    fortran: bool,
    mut dtype: impl FnMut(&mut Writer<'_, W>) -> Result<()>,
    data: &[u8],
) -> Result<()> {
    if uses_frombuffer(w, format, itemsize) {
        return w.write_reduce(format.numeric(), "_frombuffer", 4, |w, i| match i {
            0 => w.write_buffer(data, false),
            1 => dtype(w),
            2 => write_shape(w, shape),
            _ => w.write_str(if fortran { "F" } else { "C" }),
        });
    }
    write_reconstruct(w, format)?;
    w.write_tuple(5, |w, i| match i {
        0 => w.write_int(1),
        1 => write_shape(w, shape),
        2 => dtype(w),
        3 => w.write_bool(fortran),
        _ => w.write_bytes(data),
    })?;
    w.write_build()
}

impl<S: Data<Elem = T>, T: Element, D: Dimension> NumpyPickle for ArrayBase<S, D> {
    fn write_numpy<W: io::Write>(&self, w: &mut Writer<'_, W>, format: Format) -> Result<()> {
        let (fortran, data) = layout(self);
        let dtype = Dtype::of::<T>();
        write_parts(
            w,
            format,
            dtype.itemsize,
            self.shape(),
            fortran,
            |w| dtype.write_numpy(w, format),
            &data,
        )
    }
}

/// A `numpy.ndarray` of `T`'s dtype, in [`Format::Portable`]: byte for byte
/// what numpy 1.26 writes at protocols 0–4 (see [the module docs](super)).
/// A C-contiguous array is written in C order, a Fortran-contiguous one in
/// Fortran order (`is_fortran`), any other in C order, as numpy does.
impl<S: Data<Elem = T>, T: Element, D: Dimension> ToPickle for ArrayBase<S, D> {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        self.write_numpy(w, Format::Portable)
    }
}
