//! [`ToPickle`] for the standard types.
//!
//! Each type is written as the Python object a Python program would hold for
//! it: integers as int, strings as str, sequences as list, maps as dict, sets
//! as set, `None` for `()` and `Option::None`. `Box` and references are
//! transparent; `Rc` and `Arc` keep their identity (one allocation is one
//! Python object, written once and then fetched from the memo).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::io;
use std::rc::Rc;
use std::sync::Arc;

use num_bigint::BigInt;

use super::{ToPickle, Writer};
use crate::error::{Error, ErrorKind, Result};
use crate::value::Value;

impl ToPickle for bool {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_bool(*self)
    }

    fn to_pickle_list<W: io::Write>(items: &[Self], w: &mut Writer<'_, W>) -> Result<()> {
        w.write_scalar_list(items.len(), |core, i| {
            core.write_bool(items[i]);
            Ok(())
        })
    }
}

macro_rules! small_int_impls {
    ($($t:ty)*) => {$(
        impl ToPickle for $t {
            fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
                w.write_int(i64::from(*self))
            }

            fn to_pickle_list<W: io::Write>(items: &[Self], w: &mut Writer<'_, W>) -> Result<()> {
                w.write_int_list(items.len(), |i| i64::from(items[i]))
            }
        }
    )*};
}

small_int_impls!(i8 i16 i32 i64 u8 u16 u32);

macro_rules! wide_int_impls {
    ($($t:ty)*) => {$(
        impl ToPickle for $t {
            fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
                match i64::try_from(*self) {
                    Ok(small) => w.write_int(small),
                    Err(_) => w.write_bigint(&BigInt::from(*self)),
                }
            }
        }
    )*};
}

wide_int_impls!(isize u64 usize i128 u128);

impl ToPickle for BigInt {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_bigint(self)
    }
}

impl ToPickle for f64 {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_float(*self)
    }

    fn to_pickle_list<W: io::Write>(items: &[Self], w: &mut Writer<'_, W>) -> Result<()> {
        w.write_scalar_list(items.len(), |core, i| {
            core.write_float(items[i]);
            Ok(())
        })
    }
}

impl ToPickle for f32 {
    /// The float with the same value (Python has no 32-bit float).
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_float(f64::from(*self))
    }
}

impl ToPickle for str {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_str(self)
    }
}

impl ToPickle for String {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_str(self)
    }

    fn to_pickle_list<W: io::Write>(items: &[Self], w: &mut Writer<'_, W>) -> Result<()> {
        w.write_scalar_list(items.len(), |core, i| core.save_str(&items[i]).map(drop))
    }
}

impl ToPickle for Cow<'_, str> {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_str(self)
    }
}

impl ToPickle for char {
    /// A str of one character.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_str(self.encode_utf8(&mut [0; 4]))
    }
}

impl ToPickle for () {
    /// `None`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_none()
    }
}

impl<T: ToPickle> ToPickle for Option<T> {
    /// `None`, or the value.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        match self {
            Some(value) => value.to_pickle(w),
            None => w.write_none(),
        }
    }
}

// ---- sequences, maps and sets --------------------------------------------

impl<T: ToPickle> ToPickle for [T] {
    /// A list.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        T::to_pickle_list(self, w)
    }
}

impl<T: ToPickle, const N: usize> ToPickle for [T; N] {
    /// A tuple of `N` items: a fixed-size array is Python's fixed-size
    /// sequence. (A slice or a `Vec` is a list.)
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_tuple(N, |w, i| self[i].to_pickle(w))
    }
}

impl<T: ToPickle> ToPickle for Vec<T> {
    /// A list.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        self.as_slice().to_pickle(w)
    }
}

impl<T: ToPickle> ToPickle for VecDeque<T> {
    /// A list.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_list(self.len(), |w, i| self[i].to_pickle(w))
    }
}

/// The next item of an iterator that must yield exactly `len` items.
fn next_of<T>(items: &mut impl Iterator<Item = T>) -> Result<T> {
    items.next().ok_or_else(|| {
        Error::new(
            ErrorKind::Unpicklable,
            "a collection yielded fewer items than its len() said",
        )
    })
}

fn write_map<'a, W: io::Write, K: ToPickle + 'a, V: ToPickle + 'a>(
    w: &mut Writer<'_, W>,
    len: usize,
    pairs: impl Iterator<Item = (&'a K, &'a V)>,
) -> Result<()> {
    let mut pairs = pairs;
    w.write_dict(len, |w, _| {
        let (k, v) = next_of(&mut pairs)?;
        k.to_pickle(w)?;
        v.to_pickle(w)
    })
}

impl<K: ToPickle, V: ToPickle, S> ToPickle for HashMap<K, V, S> {
    /// A dict, in the map's iteration order.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_map(w, self.len(), self.iter())
    }
}

impl<K: ToPickle, V: ToPickle> ToPickle for BTreeMap<K, V> {
    /// A dict, with its keys in order.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_map(w, self.len(), self.iter())
    }
}

impl<T: ToPickle, S> ToPickle for HashSet<T, S> {
    /// A set, in the set's iteration order.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let mut items = self.iter();
        w.write_set(self.len(), |w, _| next_of(&mut items)?.to_pickle(w))
    }
}

impl<T: ToPickle> ToPickle for BTreeSet<T> {
    /// A set, with its items in order.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let mut items = self.iter();
        w.write_set(self.len(), |w, _| next_of(&mut items)?.to_pickle(w))
    }
}

macro_rules! tuple_impls {
    ($($len:literal => ($($n:tt $t:ident)+))+) => {$(
        impl<$($t: ToPickle),+> ToPickle for ($($t,)+) {
            /// A tuple.
            fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
                w.write_tuple($len, |w, i| match i {
                    $($n => self.$n.to_pickle(w),)+
                    _ => unreachable!("write_tuple asks for items below its length"),
                })
            }
        }
    )+};
}

tuple_impls! {
    1 => (0 T0)
    2 => (0 T0 1 T1)
    3 => (0 T0 1 T1 2 T2)
    4 => (0 T0 1 T1 2 T2 3 T3)
    5 => (0 T0 1 T1 2 T2 3 T3 4 T4)
    6 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5)
    7 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6)
    8 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7)
    9 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8)
    10 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9)
    11 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10)
    12 => (0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11)
}

// ---- pointers ------------------------------------------------------------

impl<T: ToPickle + ?Sized> ToPickle for &T {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        (**self).to_pickle(w)
    }
}

impl<T: ToPickle + ?Sized> ToPickle for &mut T {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        (**self).to_pickle(w)
    }
}

impl<T: ToPickle + ?Sized> ToPickle for Box<T> {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        (**self).to_pickle(w)
    }
}

impl<T: ToPickle + ?Sized> ToPickle for Rc<T> {
    /// The value, as one Python object however many `Rc`s of this allocation
    /// the pickle holds: the first is written, the others are memo GETs.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let identity = Rc::as_ptr(self) as *const () as usize;
        w.write_shared(identity, |w| (**self).to_pickle(w))
    }
}

impl<T: ToPickle + ?Sized> ToPickle for Arc<T> {
    /// The value, as one Python object however many `Arc`s of this allocation
    /// the pickle holds: the first is written, the others are memo GETs.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let identity = Arc::as_ptr(self) as *const () as usize;
        w.write_shared(identity, |w| (**self).to_pickle(w))
    }
}

impl<T: ToPickle + ?Sized> ToPickle for RefCell<T> {
    /// The value inside; an error if it is mutably borrowed.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let value = self.try_borrow().map_err(|_| {
            Error::new(
                ErrorKind::Unpicklable,
                "a RefCell to pickle is mutably borrowed",
            )
        })?;
        value.to_pickle(w)
    }
}

// ---- the object graph ----------------------------------------------------

impl ToPickle for Value<'_> {
    /// The graph, in place: see [`Writer::write_value`].
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_value(self)
    }
}
