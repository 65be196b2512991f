//! `bytes` and `bytearray`: [`Bytes`] and [`ByteArray`], and the
//! `with`-modules [`self`] (`#[pickle(with = "pickle::types::bytes")]`,
//! what `#[pickle(bytes)]` uses) and [`bytearray`].
//!
//! # Why `Vec<u8>` is a list
//!
//! A plain `Vec<u8>` (and `[u8]`, `[u8; N]`, `VecDeque<u8>`) pickles as a
//! list of ints and reads only from a list or tuple, like every other
//! `Vec<T>`. Rust has no specialization: `Vec<u8>` cannot be written
//! differently from the `Vec<T>` impl it is an instance of, and a list of
//! small ints is a real Python shape too (`[0, 255]`). To mean Python
//! `bytes`, say so:
//!
//! - wrap the value in [`Bytes`] (owned, like `serde_bytes::ByteBuf`), or
//!   [`ByteArray`] for a mutable `bytearray`;
//! - or keep the `Vec<u8>` field and mark it `#[pickle(bytes)]` in a
//!   `#[derive(Pickle)]` type, which writes it through [`to_pickle`] and
//!   reads it through [`from_pickle`].
//!
//! Reading borrows nothing here: [`Bytes`] owns its bytes. To read bytes
//! without copying them, take [`Node::as_bytes`] of a node loaded from a
//! slice, which lends the pickle's own bytes.
//!
//! Both types read any of `bytes`, `bytearray` and a protocol-5 buffer, in
//! every form CPython writes them: BINBYTES, `_codecs.encode(…, 'latin1')`
//! below protocol 3, BYTEARRAY8, `bytearray(b'…')`.

use std::io;
use std::ops::{Deref, DerefMut};

use crate::de::direct::{Direct, Source};
use crate::de::{FromPickle, Node};
use crate::error::Result;
use crate::ser::{ToPickle, Writer};

/// Python `bytes`: BINBYTES from protocol 3, `_codecs.encode(text, 'latin1')`
/// below, exactly as CPython writes it.
///
/// ```
/// use pickle_core::types::bytes::Bytes;
///
/// // pickle.dumps(b'ab', protocol=3)
/// let data = pickle_core::ser::to_vec(&Bytes::from(&b"ab"[..]), 3)?;
/// assert_eq!(data, b"\x80\x03C\x02abq\x00.");
/// let back: Bytes = pickle_core::loads(&data)?;
/// assert_eq!(&back[..], b"ab");
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes(pub Vec<u8>);

/// Python `bytearray`: BYTEARRAY8 at protocol 5, `bytearray(b'…')` at
/// protocols 3–4, `bytearray(_codecs.encode(text, 'latin1'))` below, and
/// `bytearray()` when empty, exactly as CPython writes it.
///
/// ```
/// use pickle_core::types::bytes::ByteArray;
///
/// // pickle.dumps(bytearray(b'ab'), protocol=5)
/// let data = pickle_core::ser::to_vec(&ByteArray(b"ab".to_vec()), 5)?;
/// assert_eq!(data, b"\x80\x05\x95\r\x00\x00\x00\x00\x00\x00\x00\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94.");
/// let back: ByteArray = pickle_core::loads(&data)?;
/// assert_eq!(back.0, b"ab");
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteArray(pub Vec<u8>);

macro_rules! byte_type {
    ($t:ident, $write:ident) => {
        impl Deref for $t {
            type Target = Vec<u8>;
            fn deref(&self) -> &Vec<u8> {
                &self.0
            }
        }

        impl DerefMut for $t {
            fn deref_mut(&mut self) -> &mut Vec<u8> {
                &mut self.0
            }
        }

        impl AsRef<[u8]> for $t {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl From<Vec<u8>> for $t {
            fn from(v: Vec<u8>) -> Self {
                $t(v)
            }
        }

        impl From<&[u8]> for $t {
            fn from(v: &[u8]) -> Self {
                $t(v.to_vec())
            }
        }

        impl From<$t> for Vec<u8> {
            fn from(v: $t) -> Vec<u8> {
                v.0
            }
        }

        impl ToPickle for $t {
            fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
                w.$write(&self.0)
            }
        }

        impl<'de> FromPickle<'de> for $t {
            /// bytes, a bytearray or a buffer.
            fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
                from_pickle(node)
            }

            const DIRECT: bool = true;
            const UNHASHABLE: bool = true;

            fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
                r.byte_vec().map($t)
            }
        }
    };
}

byte_type!(Bytes, write_bytes);
byte_type!(ByteArray, write_bytearray);

/// Writes any byte sequence as Python `bytes`: the `with`-module function
/// behind `#[pickle(bytes)]`.
///
/// ```
/// use pickle_core::types::bytes;
///
/// struct Blob(Vec<u8>);
///
/// impl pickle_core::ser::ToPickle for Blob {
///     fn to_pickle<W: std::io::Write>(&self, w: &mut pickle_core::ser::Writer<'_, W>) -> pickle_core::Result<()> {
///         bytes::to_pickle(&self.0, w)
///     }
/// }
///
/// // pickle.dumps(b'', protocol=2)
/// assert_eq!(pickle_core::ser::to_vec(&Blob(vec![]), 2)?, b"\x80\x02c__builtin__\nbytes\nq\x00)Rq\x01.");
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn to_pickle<T: AsRef<[u8]> + ?Sized, W: io::Write>(
    value: &T,
    w: &mut Writer<'_, W>,
) -> Result<()> {
    w.write_bytes(value.as_ref())
}

/// Reads bytes, a bytearray or a buffer into any type made from a byte
/// slice: the `with`-module function behind `#[pickle(bytes)]`.
///
/// ```
/// // pickle.dumps(b'ab', protocol=3)
/// let v: pickle_core::Value = pickle_core::loads(b"\x80\x03C\x02abq\x00.")?;
/// let bytes: Vec<u8> = pickle_core::types::bytes::from_pickle(v.root_node())?;
/// assert_eq!(bytes, b"ab");
/// # Ok::<(), pickle_core::Error>(())
/// ```
pub fn from_pickle<T: for<'a> From<&'a [u8]>>(node: Node<'_, '_>) -> Result<T> {
    match node.as_bytes() {
        Some(b) => Ok(T::from(b)),
        None => Err(node.type_error("bytes")),
    }
}

/// [`from_pickle`] straight from the pickle's bytes, for the direct typed
/// read of a `#[pickle(bytes)]` field (see [`FromPickle::read_direct`]):
/// `None` where the graph path reads it instead. Not an API.
#[doc(hidden)]
#[inline]
pub fn read_direct<'de, T: for<'a> From<&'a [u8]>, S: Source<'de>>(
    r: &mut Direct<'de, S>,
) -> Option<T> {
    r.bytes_as(|bytes| T::from(bytes))
}

/// A byte sequence as Python `bytearray`:
/// `#[pickle(with = "pickle::types::bytes::bytearray")]`.
pub mod bytearray {
    use std::io;

    use crate::de::Node;
    use crate::error::Result;
    use crate::ser::Writer;

    /// Writes any byte sequence as a `bytearray`, as [`ByteArray`](super::ByteArray) does.
    ///
    /// ```
    /// struct Buf(Vec<u8>);
    ///
    /// impl pickle_core::ser::ToPickle for Buf {
    ///     fn to_pickle<W: std::io::Write>(&self, w: &mut pickle_core::ser::Writer<'_, W>) -> pickle_core::Result<()> {
    ///         pickle_core::types::bytes::bytearray::to_pickle(&self.0, w)
    ///     }
    /// }
    ///
    /// // pickle.dumps(bytearray(), protocol=4)
    /// assert_eq!(
    ///     pickle_core::ser::to_vec(&Buf(vec![]), 4)?,
    ///     b"\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\tbytearray\x94\x93\x94)R\x94.",
    /// );
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn to_pickle<T: AsRef<[u8]> + ?Sized, W: io::Write>(
        value: &T,
        w: &mut Writer<'_, W>,
    ) -> Result<()> {
        w.write_bytearray(value.as_ref())
    }

    /// Reads a bytearray, bytes or a buffer, as [`super::from_pickle`].
    ///
    /// ```
    /// // pickle.dumps(bytearray(b'ab'), protocol=5)
    /// let v: pickle_core::Value = pickle_core::loads(b"\x80\x05\x95\r\x00\x00\x00\x00\x00\x00\x00\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94.")?;
    /// let bytes: Vec<u8> = pickle_core::types::bytes::bytearray::from_pickle(v.root_node())?;
    /// assert_eq!(bytes, b"ab");
    /// # Ok::<(), pickle_core::Error>(())
    /// ```
    pub fn from_pickle<T: for<'a> From<&'a [u8]>>(node: Node<'_, '_>) -> Result<T> {
        super::from_pickle(node)
    }
}
