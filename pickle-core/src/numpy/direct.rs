//! Arrays read straight from the bytes ([`crate::de::direct`]), in the two
//! forms numpy writes: `_frombuffer(data, dtype, shape, order)` in-band at
//! protocol 5, and `_reconstruct(ndarray, (0,), b'b')` with the state
//! `(1, shape, dtype, is_fortran, data)` at protocols 3 and 4. The data goes
//! from the input into the array's own allocation once, a window at a time
//! from a stream. Anything else (protocols 0 to 2, which write the data
//! through `_codecs.encode`; data to byte-swap) is left to the graph path.

use ndarray::{Array, Dimension, IxDyn, ShapeBuilder};

use super::dtype::{Dtype, StateItem};
use super::{Element, MULTIARRAY, NUMERIC};
use crate::de::direct::{Direct, Source};

/// The array numpy's pickle makes, if it is an `Array<T, D>` the graph path
/// would read too; else `None`.
pub(super) fn array<'de, T: Element, D: Dimension, S: Source<'de>>(
    r: &mut Direct<'de, S>,
) -> Option<Array<T, D>> {
    let at = r.checkpoint();
    if r.global_is(&NUMERIC, "_frombuffer").is_some() {
        return from_buffer(r);
    }
    r.rewind(at)?;
    r.global_is(&MULTIARRAY, "_reconstruct")?;
    reconstructed(r)
}

/// `_frombuffer(data, dtype, shape, order)`, after the global.
fn from_buffer<'de, T: Element, D: Dimension, S: Source<'de>>(
    r: &mut Direct<'de, S>,
) -> Option<Array<T, D>> {
    let (data, dtype, shape, fortran) = r.tuple(4, |r| {
        let data = elements::<T, S>(r)?;
        let dtype = dtype(r)?;
        let shape = r.tuple_of(|r| usize::try_from(r.int()?).ok())?;
        let fortran = match &*r.str()? {
            "C" => false,
            "F" => true,
            _ => return None,
        };
        Some((data, dtype, shape, fortran))
    })?;
    r.reduce()?;
    array_of(data, dtype, &shape, fortran)
}

/// `_reconstruct(ndarray, (0,), b'b')`, after the global, then BUILD with
/// `(1, shape, dtype, is_fortran, data)`.
fn reconstructed<'de, T: Element, D: Dimension, S: Source<'de>>(
    r: &mut Direct<'de, S>,
) -> Option<Array<T, D>> {
    r.tuple(3, |r| {
        r.global_is(&["numpy"], "ndarray")?;
        (r.tuple_of(|r| r.int())? == [0]).then_some(())?;
        (r.byte_payload(|_, _| Some(()))? == 1).then_some(())
    })?;
    r.reduce()?;
    let (shape, dtype, fortran, data) = r.tuple(5, |r| {
        r.int()?;
        let shape = r.tuple_of(|r| usize::try_from(r.int()?).ok())?;
        let dtype = dtype(r)?;
        let fortran = r.bool()?;
        let data = elements::<T, S>(r)?;
        Some((shape, dtype, fortran, data))
    })?;
    r.build()?;
    array_of(data, dtype, &shape, fortran)
}

/// The array of `data` read as `dtype`, if it is an `Array<T, D>`.
fn array_of<T: Element, D: Dimension>(
    data: Vec<T>,
    dtype: Dtype,
    shape: &[usize],
    fortran: bool,
) -> Option<Array<T, D>> {
    // What `Parts::typed` and `decode` take, without byte swaps.
    let swaps = dtype.byte_order.swaps() && T::COMPONENT != 1;
    let len = shape.iter().try_fold(1_usize, |n, &d| n.checked_mul(d))?;
    if !dtype.is::<T>() || swaps || len != data.len() {
        return None;
    }
    let dim = D::from_dimension(&IxDyn(shape))?;
    Array::from_shape_vec(dim.set_f(fortran), data).ok()
}

/// The data, as elements of `T` in native order: whether they are `T`'s
/// shows only when the dtype after them is read.
fn elements<'de, T: Element, S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Vec<T>> {
    let size = std::mem::size_of::<T>();
    let mut data = Vec::new();
    // An element split between two pieces of a stream.
    let mut carry = Vec::new();
    r.byte_payload(|mut piece, len| {
        if let Some(len) = len {
            if piece.len() == len {
                // The whole payload at once, as from bytes in memory.
                data = T::from_native_bytes(piece)?;
                return Some(());
            }
            data.reserve_exact(len / size);
            crate::pages::advise(&mut data);
        }
        if !carry.is_empty() {
            let take = (size - carry.len()).min(piece.len());
            carry.extend_from_slice(&piece[..take]);
            piece = &piece[take..];
            if carry.len() == size {
                T::extend_from_native_bytes(&mut data, &carry)?;
                carry.clear();
            }
        }
        let whole = piece.len() - piece.len() % size;
        T::extend_from_native_bytes(&mut data, &piece[..whole])?;
        carry.extend_from_slice(&piece[whole..]);
        Some(())
    })?;
    carry.is_empty().then_some(data)
}

/// `numpy.dtype(name, False, True)`, with the state BUILD applies, if any;
/// or a GET of one read before, as numpy writes every array after the first
/// of a dtype (one Python object).
fn dtype<'de, S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Dtype> {
    if let Some(dtype) = r.fetch_made::<Dtype>() {
        return Some(dtype);
    }
    r.global_is(&["numpy"], "dtype")?;
    let name = r.tuple(3, |r| {
        let name = String::from(&*r.str()?);
        r.bool()?;
        r.bool()?;
        Some(name)
    })?;
    let making = r.reduce_to_make()?;
    let at = r.checkpoint();
    let state = match r.tuple_of(|r| {
        if r.none()? {
            return Some(Item::None);
        }
        let at = r.checkpoint();
        if let Some(text) = r.str() {
            return Some(Item::Str(String::from(&*text)));
        }
        r.rewind(at)?;
        r.int().map(|_| Item::Int)
    }) {
        Some(items) => {
            r.build()?;
            Some(items)
        }
        // No state: the dtype is complete.
        None => {
            r.rewind(at)?;
            None
        }
    };
    let state: Option<Vec<StateItem<'_>>> = state.as_ref().map(|items| {
        items
            .iter()
            .map(|item| match item {
                Item::None => StateItem::None,
                Item::Str(text) => StateItem::Str(text),
                Item::Int => StateItem::Other,
            })
            .collect()
    });
    let dtype = Dtype::from_parts(&name, state.as_deref()).ok()?;
    r.made(making, dtype);
    Some(dtype)
}

/// An item of a dtype's state, as read.
enum Item {
    None,
    Str(String),
    Int,
}
