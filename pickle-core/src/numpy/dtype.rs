//! numpy dtypes: the element types arrays hold, and `numpy.dtype` pickles.

use std::fmt;
use std::io;

use half::f16;
use num_complex::Complex;

use super::{Format, NumpyPickle};
use crate::de::FromPickle;
use crate::error::{Error, ErrorKind, Result};
use crate::ser::{ToPickle, Writer};
use crate::value::{Node, Object};

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that is the element of a numpy dtype of a number kind:
/// `bool` (`bool`), `i8`–`i64` (`int8`–`int64`), `u8`–`u64`
/// (`uint8`–`uint64`), [`f16`](struct@half::f16) (`float16`), `f32`, `f64`
/// (`float32`, `float64`), `Complex<f32>` and `Complex<f64>`
/// (`complex64`, `complex128`).
///
/// ```
/// use pickle_core::numpy::{Dtype, Element};
/// assert_eq!(f64::KIND, b'f');
/// assert_eq!(Dtype::of::<f64>().name(), "f8");
/// ```
pub trait Element:
    Copy
    + Send
    + Sync
    + fmt::Debug
    + bytemuck::NoUninit
    + bytemuck::CheckedBitPattern
    + 'static
    + sealed::Sealed
{
    /// numpy's kind character: `b'b'` for bool, `b'i'`, `b'u'`, `b'f'`, `b'c'`.
    const KIND: u8;
    /// The size of one component in bytes, the unit of byte order: the
    /// element's size, or half of it for complex numbers.
    #[doc(hidden)]
    const COMPONENT: usize;
    /// Elements from native-order bytes (any alignment), or `None` if the
    /// bytes are not a whole number of valid `Self`s (a bool other than 0
    /// or 1).
    #[doc(hidden)]
    fn from_native_bytes(raw: &[u8]) -> Option<Vec<Self>>;
    /// Appends the elements of native-order bytes (a whole number of
    /// them) to `out`, or `None` as [`Element::from_native_bytes`].
    #[doc(hidden)]
    fn extend_from_native_bytes(out: &mut Vec<Self>, raw: &[u8]) -> Option<()>;
}

macro_rules! element {
    ($($t:ty => $kind:literal, $component:expr;)*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const KIND: u8 = $kind;
            const COMPONENT: usize = $component;
            fn from_native_bytes(raw: &[u8]) -> Option<Vec<Self>> {
                if raw.len() % std::mem::size_of::<$t>() != 0 {
                    return None;
                }
                // Zeroed memory new from the allocator is untouched: it
                // takes the huge pages asked for, then one copy.
                let mut out = vec![<$t as bytemuck::Zeroable>::zeroed(); raw.len() / std::mem::size_of::<$t>()];
                crate::pages::advise(&mut out);
                bytemuck::cast_slice_mut::<$t, u8>(&mut out).copy_from_slice(raw);
                Some(out)
            }
            fn extend_from_native_bytes(out: &mut Vec<Self>, raw: &[u8]) -> Option<()> {
                let size = std::mem::size_of::<$t>();
                if raw.len() % size != 0 {
                    return None;
                }
                let start = out.len();
                out.resize(start + raw.len() / size, <$t as bytemuck::Zeroable>::zeroed());
                bytemuck::cast_slice_mut::<$t, u8>(&mut out[start..]).copy_from_slice(raw);
                Some(())
            }
        }
    )*};
}

element! {
    i8 => b'i', 1;
    i16 => b'i', 2;
    i32 => b'i', 4;
    i64 => b'i', 8;
    u8 => b'u', 1;
    u16 => b'u', 2;
    u32 => b'u', 4;
    u64 => b'u', 8;
    f16 => b'f', 2;
    f32 => b'f', 4;
    f64 => b'f', 8;
    Complex<f32> => b'c', 4;
    Complex<f64> => b'c', 8;
}

impl sealed::Sealed for bool {}
impl Element for bool {
    const KIND: u8 = b'b';
    const COMPONENT: usize = 1;
    fn from_native_bytes(raw: &[u8]) -> Option<Vec<Self>> {
        raw.iter()
            .map(|&b| match b {
                0 => Some(false),
                1 => Some(true),
                _ => None,
            })
            .collect()
    }
    fn extend_from_native_bytes(out: &mut Vec<Self>, raw: &[u8]) -> Option<()> {
        for &b in raw {
            out.push(match b {
                0 => false,
                1 => true,
                _ => return None,
            });
        }
        Some(())
    }
}

/// The byte order of a dtype, as its pickle's state says: `'<'`, `'>'`, or
/// `'|'` where it does not apply (one-byte types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `'<'`.
    Little,
    /// `'>'`.
    Big,
    /// `'|'`: one-byte types.
    NotApplicable,
}

impl ByteOrder {
    /// The byte order of this machine.
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "big") {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };

    /// `'<'`, `'>'` or `'|'`.
    pub fn as_char(self) -> char {
        match self {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
            ByteOrder::NotApplicable => '|',
        }
    }

    /// Whether data in this order must be byte-swapped on this machine.
    pub(crate) fn swaps(self) -> bool {
        !matches!(self, ByteOrder::NotApplicable) && self != ByteOrder::NATIVE
    }
}

/// A numpy dtype of a number kind (`bool`, `int`, `uint`, `float`,
/// `complex`), as `numpy.dtype` pickles one:
/// `numpy.dtype('f8', False, True)` then BUILD with the state
/// `(3, '<', None, None, None, -1, -1, 0)`.
///
/// Other dtypes (structured, object, datetime64, strings) are kept as
/// graphs; see [`OpaqueArray`](super::OpaqueArray).
///
/// ```
/// use pickle_core::numpy::{ByteOrder, Dtype};
///
/// // numpy 1.26 and 2.4: pickle.dumps(numpy.dtype('>i4'), protocol=2)
/// let data = b"\x80\x02cnumpy\ndtype\nq\x00X\x02\x00\x00\x00i4q\x01\x89\x88\x87q\x02Rq\x03(K\x03X\x01\x00\x00\x00>q\x04NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x05b.";
/// let dtype: Dtype = pickle_core::loads(data)?;
/// assert_eq!(dtype, Dtype { kind: b'i', itemsize: 4, byte_order: ByteOrder::Big });
/// assert_eq!(dtype.str(), ">i4");
/// assert_eq!(pickle_core::ser::to_vec(&dtype, 2)?, data);
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dtype {
    /// The kind character: `b'b'`, `b'i'`, `b'u'`, `b'f'` or `b'c'`.
    pub kind: u8,
    /// The size of one element in bytes.
    pub itemsize: usize,
    /// The byte order of the data.
    pub byte_order: ByteOrder,
}

/// Where the identities of the dtype singletons live: numpy's builtin dtypes
/// in native byte order are one Python object each.
static SINGLETONS: [u8; 32] = [0; 32];

impl Dtype {
    /// The dtype of `T`, in native byte order.
    pub fn of<T: Element>() -> Dtype {
        let itemsize = std::mem::size_of::<T>();
        Dtype {
            kind: T::KIND,
            itemsize,
            byte_order: if itemsize == 1 {
                ByteOrder::NotApplicable
            } else {
                ByteOrder::NATIVE
            },
        }
    }

    /// The name numpy's pickle gives it, without the byte order: `'f8'`, `'b1'`, `'c16'`.
    pub fn name(&self) -> String {
        format!("{}{}", char::from(self.kind), self.itemsize)
    }

    /// numpy's `dtype.str`: `'<f8'`, `'|b1'`, `'>i4'`.
    pub fn str(&self) -> String {
        format!("{}{}", self.byte_order.as_char(), self.name())
    }

    /// Whether arrays of this dtype hold `T`s (in either byte order).
    pub fn is<T: Element>(&self) -> bool {
        self.kind == T::KIND && self.itemsize == std::mem::size_of::<T>()
    }

    /// Which singleton this dtype is, if it is one (native order, a known kind and size).
    fn singleton(&self) -> Option<usize> {
        if self.byte_order.swaps() {
            return None;
        }
        let slot = match (self.kind, self.itemsize) {
            (b'b', 1) => 0,
            (b'i', 1) => 1,
            (b'i', 2) => 2,
            (b'i', 4) => 3,
            (b'i', 8) => 4,
            (b'u', 1) => 5,
            (b'u', 2) => 6,
            (b'u', 4) => 7,
            (b'u', 8) => 8,
            (b'f', 2) => 9,
            (b'f', 4) => 10,
            (b'f', 8) => 11,
            (b'c', 8) => 12,
            (b'c', 16) => 13,
            _ => return None,
        };
        Some(&SINGLETONS[slot] as *const u8 as usize)
    }

    /// Reads the dtype at `node`: `numpy.dtype(name, align, copy)` with
    /// its state, of a number kind.
    pub(crate) fn read(node: Node<'_, '_>) -> Result<Dtype> {
        let not_dtype = || node.type_error("numpy.dtype of a number kind");
        let instance = node
            .as_instance()
            .filter(|i| {
                let class = node.graph().node(i.class);
                class
                    .as_global()
                    .is_some_and(|g| g.module == "numpy" && g.name == "dtype")
            })
            .ok_or_else(not_dtype)?;
        let args = node.graph().node(instance.args);
        let name = args
            .item(0)
            .and_then(|n| n.as_str())
            .ok_or_else(not_dtype)?;
        let state = match instance.state.map(|id| node.graph().node(id)) {
            Some(state) => Some(
                state
                    .items()
                    .ok_or_else(not_dtype)?
                    .map(|item| match item.object() {
                        Object::None => StateItem::None,
                        Object::Str(s) => StateItem::Str(s),
                        _ => StateItem::Other,
                    })
                    .collect::<Vec<_>>(),
            ),
            None => None,
        };
        Dtype::from_parts(name, state.as_deref()).map_err(|fault| match fault {
            Fault::NotDtype => not_dtype(),
            fault => fault.into_error(name),
        })
    }

    /// The dtype named `name` (`'f8'`), with the items of its state, if
    /// BUILD applied one: what both the graph path and the direct reader
    /// read a dtype from.
    pub(crate) fn from_parts(name: &str, state: Option<&[StateItem<'_>]>) -> Result<Dtype, Fault> {
        let (mut byte_order, kind, itemsize) = parse_name(name).ok_or(Fault::Name)?;
        if let Some(items) = state {
            // (endian, subarray, fields, ...) for 5 items; (version, endian, subarray, ...) above.
            let (endian, rest) = match items.len() {
                5 => (0, &items[1..]),
                n if n >= 6 => (1, &items[2..]),
                _ => return Err(Fault::NotDtype),
            };
            let set = |item: &StateItem<'_>| !matches!(item, StateItem::None);
            let structured = match items.len() {
                5 | 6 => rest[..2].iter().any(set),
                _ => rest[..3].iter().any(set),
            };
            if structured {
                return Err(Fault::Structured);
            }
            byte_order = match items[endian] {
                StateItem::Str("<") => ByteOrder::Little,
                StateItem::Str(">") => ByteOrder::Big,
                StateItem::Str("=") => ByteOrder::NATIVE,
                StateItem::Str("|") => ByteOrder::NotApplicable,
                _ => return Err(Fault::NotDtype),
            };
        }
        if itemsize == 1 {
            byte_order = ByteOrder::NotApplicable;
        }
        Ok(Dtype {
            kind,
            itemsize,
            byte_order,
        })
    }
}

/// An item of a dtype's state, as far as reading the dtype looks at it.
pub(crate) enum StateItem<'a> {
    None,
    Str(&'a str),
    Other,
}

/// Why a dtype could not be read.
pub(crate) enum Fault {
    /// Not a dtype's shape at all.
    NotDtype,
    /// A name that is not a number kind's.
    Name,
    /// A structured or subarray dtype.
    Structured,
}

impl Fault {
    fn into_error(self, name: &str) -> Error {
        match self {
            Fault::Structured => Error::type_mismatch(
                "numpy.dtype of a number kind",
                "a structured or subarray dtype",
            ),
            _ => Error::type_mismatch("numpy.dtype of a number kind", format!("dtype {name:?}")),
        }
    }
}

/// `'f8'`, `'<i4'`, `'|b1'`: the order, if any, the kind, the size.
fn parse_name(name: &str) -> Option<(ByteOrder, u8, usize)> {
    let (order, rest) = match name.as_bytes().first()? {
        b'<' => (ByteOrder::Little, &name[1..]),
        b'>' => (ByteOrder::Big, &name[1..]),
        b'=' => (ByteOrder::NATIVE, &name[1..]),
        b'|' => (ByteOrder::NotApplicable, &name[1..]),
        _ => (ByteOrder::NATIVE, name),
    };
    let kind = *rest.as_bytes().first()?;
    let itemsize: usize = rest.get(1..)?.parse().ok()?;
    let ok = match kind {
        b'b' => itemsize == 1,
        b'i' | b'u' => matches!(itemsize, 1 | 2 | 4 | 8),
        b'f' => matches!(itemsize, 2 | 4 | 8),
        b'c' => matches!(itemsize, 8 | 16),
        _ => false,
    };
    ok.then_some((order, kind, itemsize))
}

impl<'de> FromPickle<'de> for Dtype {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        Dtype::read(node)
    }
}

impl NumpyPickle for Dtype {
    fn write_numpy<W: io::Write>(&self, w: &mut Writer<'_, W>, _format: Format) -> Result<()> {
        let write = |w: &mut Writer<'_, W>| {
            let name = self.name();
            w.write_reduce("numpy", "dtype", 3, |w, i| match i {
                0 => w.write_str(&name),
                1 => w.write_bool(false),
                _ => w.write_bool(true),
            })?;
            let order = self.byte_order.as_char().to_string();
            w.write_tuple(8, |w, i| match i {
                0 => w.write_int(3),
                1 => w.write_str(&order),
                2..=4 => w.write_none(),
                5 | 6 => w.write_int(-1),
                _ => w.write_int(0),
            })?;
            w.write_build()
        };
        match self.singleton() {
            Some(identity) => w.write_shared(identity, write),
            None => write(w),
        }
    }
}

impl ToPickle for Dtype {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        self.write_numpy(w, Format::Portable)
    }
}

/// Converts `raw`, elements of `dtype` (which must be `T`'s), to `T`s.
pub(crate) fn decode<T: Element>(raw: &[u8], dtype: Dtype) -> Result<Vec<T>> {
    let invalid = || Error::new(ErrorKind::TypeMismatch, "invalid bool in numpy array data");
    if !dtype.byte_order.swaps() || T::COMPONENT == 1 {
        return T::from_native_bytes(raw).ok_or_else(invalid);
    }
    let mut swapped = raw.to_vec();
    for component in swapped.chunks_exact_mut(T::COMPONENT) {
        component.reverse();
    }
    T::from_native_bytes(&swapped).ok_or_else(invalid)
}
