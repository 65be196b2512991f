//! The direct typed read against the graph path, as tests/direct.rs and
//! tests/direct_shapes.rs check it.

use std::fmt::Debug;
use std::io::Cursor;

use pickle::de::{direct, FromPickle};
use pickle::{Limits, Pickler, Value};

/// What the graph path gives: load the graph, then read `T` from it.
pub fn graph<T: for<'de> FromPickle<'de>>(data: &[u8]) -> pickle::Result<T> {
    let v: Value = pickle::loads(data)?;
    T::from_value(v)
}

/// Whatever `data` is, the direct read gives the graph path's value or
/// nothing, and reads the same from a seekable stream as from the slice.
pub fn agrees<T: for<'de> FromPickle<'de> + PartialEq + Debug>(data: &[u8]) -> Option<T> {
    let direct = direct::read::<T>(data, &Limits::default());
    streams_alike(data, &direct);
    let direct = direct?;
    match graph::<T>(data) {
        // By `Debug` when unequal: a NaN the pickle holds equals itself there.
        Ok(g) if g != direct => assert_eq!(
            format!("{g:?}"),
            format!("{direct:?}"),
            "direct and graph reads differ on {data:?}"
        ),
        Ok(_) => {}
        Err(e) => panic!("the direct read took a pickle the graph path refuses ({e}): {data:?}"),
    }
    Some(direct)
}

/// The direct read from a seekable stream gives what the direct read from
/// the slice gave (`direct`), wherever the stream's window cuts the input,
/// and whether its memo keeps every entry or only those a GET fetches
/// (from its first entry, its third, or never).
pub fn streams_alike<T: for<'de> FromPickle<'de> + PartialEq + Debug>(
    data: &[u8],
    direct: &Option<T>,
) {
    for chunk in [1, 2, 7, 64, 4096, 1 << 16] {
        for filter_from in [1, 3, usize::MAX] {
            let streamed = direct::read_seekable::<T>(
                Cursor::new(data),
                &Limits::default(),
                chunk,
                filter_from,
            );
            if streamed != *direct {
                // By `Debug` when unequal: a NaN the pickle holds equals itself there.
                assert_eq!(
                    format!("{streamed:?}"),
                    format!("{direct:?}"),
                    "stream read (window of {chunk} bytes, memo filtered from \
                     {filter_from} entries) differs on {} bytes",
                    data.len()
                );
            }
        }
    }
}

/// The pickles a script of tests/python writes one after another, each
/// after its length (4 bytes, little-endian).
pub fn pickles(mut out: &[u8]) -> Vec<&[u8]> {
    let mut pickles = Vec::new();
    while let Some((len, rest)) = out.split_first_chunk::<4>() {
        let (data, rest) = rest.split_at(u32::from_le_bytes(*len) as usize);
        pickles.push(data);
        out = rest;
    }
    assert!(out.is_empty(), "a length without its pickle");
    pickles
}

pub fn dumps(value: &impl pickle::ser::ToPickle, protocol: u8) -> Vec<u8> {
    Pickler::new().protocol(protocol).dumps(value).unwrap()
}

/// The graph path's error kind, for a pickle the direct read gives up on.
pub fn direct_refuses<T: for<'de> FromPickle<'de> + Debug>(data: &[u8]) -> pickle::ErrorKind {
    assert!(direct::read::<T>(data, &Limits::default()).is_none());
    pickle::loads::<T>(data).unwrap_err().kind()
}
