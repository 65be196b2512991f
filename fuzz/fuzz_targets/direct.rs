//! The direct typed read (`pickle::de::direct`, what `loads::<T>` tries
//! first) against the graph path: it must never panic, and whenever it gives
//! a value, the graph path must give the same one. The direct read from a
//! seekable stream (what `load_seekable::<T>` tries first) must give what
//! the one from the slice gives, wherever its window cuts the input.
#![no_main]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Debug;
use std::io::Cursor;

use indexmap::{IndexMap, IndexSet};
use libfuzzer_sys::fuzz_target;
use pickle::de::{direct, FromPickle};
use pickle::numpy::ndarray::{Array1, Array2, ArrayD};
use pickle::types::bytes::{ByteArray, Bytes};
use pickle::{Limits, Pickle, Value};

#[derive(Pickle, Debug)]
#[pickle(module = "shop", name = "Item")]
struct Item {
    id: i64,
    name: String,
    tags: Vec<i64>,
    counts: IndexMap<String, i64>,
    price: Option<f64>,
    #[pickle(default)]
    stock: u32,
}

#[derive(Pickle, Debug)]
#[pickle(dict)]
struct Doc {
    version: i64,
    items: Vec<Item>,
    grid: Vec<Vec<i64>>,
    names: Vec<String>,
    flags: BTreeMap<String, bool>,
}

#[derive(Pickle, Debug)]
#[pickle(module = "shop", name = "Blob")]
struct Blob {
    name: String,
    data: Bytes,
    #[pickle(bytes)]
    raw: Vec<u8>,
}

#[derive(Pickle, Debug)]
#[pickle(module = "shop", name = "Color")]
enum Color {
    Red = 1,
    Green = 2,
}

#[derive(Pickle, Debug)]
#[pickle(module = "shop", name = "Mode", str_values)]
enum Mode {
    Fast,
    Slow,
}

#[derive(Pickle, Debug)]
#[pickle(module = "shop", name = "Point")]
struct Point(f64, f64);

#[derive(Pickle, Debug)]
#[pickle(transparent)]
struct TrackId(u32);

#[derive(Pickle, Debug)]
#[pickle(dict)]
struct Track {
    id: TrackId,
    points: Vec<Point>,
}

#[derive(Pickle, Debug)]
#[pickle(module = "shop", name = "Slotted", slots)]
struct Slotted {
    x: i64,
    y: String,
}

/// Compared by `Debug`: a NaN the pickle holds is equal to itself there.
fn agrees<T: for<'de> FromPickle<'de> + Debug>(data: &[u8]) {
    agrees_within::<T>(data, &Limits::default());
}

/// [`agrees`] under `limits`, on both paths.
fn agrees_within<T: for<'de> FromPickle<'de> + Debug>(data: &[u8], limits: &Limits) {
    let direct = direct::read::<T>(data, limits);
    let chunk = 1 + data.len() % 23;
    let filter_from = 1 + data.len() % 5;
    let streamed = direct::read_seekable::<T>(Cursor::new(data), limits, chunk, filter_from);
    assert_eq!(
        format!("{streamed:?}"),
        format!("{direct:?}"),
        "stream and slice direct reads differ (window of {chunk}, memo filtered from {filter_from})"
    );
    let Some(direct) = direct else {
        return;
    };
    let graph = pickle::Unpickler::new()
        .limits(limits.clone())
        .loads::<Value>(data)
        .and_then(T::from_value);
    match graph {
        Ok(g) => assert_eq!(format!("{g:?}"), format!("{direct:?}"), "direct and graph reads differ"),
        Err(e) => panic!("the direct read took a pickle the graph path refuses: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    agrees::<Doc>(data);
    agrees::<Item>(data);
    agrees::<Vec<Vec<i64>>>(data);
    agrees::<Vec<Option<String>>>(data);
    agrees::<IndexMap<String, f64>>(data);
    agrees::<Vec<u8>>(data);
    agrees::<Vec<Blob>>(data);
    agrees::<Vec<ByteArray>>(data);
    agrees::<Vec<(f32, char, (i64, Box<str>), [i16; 4], Option<Box<Bytes>>)>>(data);
    agrees::<(VecDeque<u8>, Box<[()]>)>(data);
    // Sets and maps whose `Debug` shows their items in one order: not std's hashed ones.
    agrees::<(IndexSet<(i64, String)>, BTreeSet<Bytes>)>(data);
    agrees::<(Vec<Color>, IndexMap<String, Mode>)>(data);
    agrees::<Track>(data);
    agrees::<Vec<Slotted>>(data);
    agrees::<Vec<(chrono::NaiveDateTime, chrono::NaiveDate, chrono::NaiveTime)>>(data);
    // Keys Python cannot hash, which the unpickler refuses.
    agrees::<BTreeMap<Vec<i64>, i64>>(data);
    agrees::<(ByteArray, IndexMap<Bytes, i64>)>(data);
    agrees::<Array1<f64>>(data);
    agrees::<Array2<bool>>(data);
    agrees::<Vec<ArrayD<i16>>>(data);
    // Small limits, which runs of ints and the other readers must stop short of.
    let mut small = Limits::default();
    small.max_stack_depth = 24;
    small.max_objects = 200;
    small.max_memo_entries = 16;
    small.max_container_len = 40;
    agrees_within::<Doc>(data, &small);
    agrees_within::<Vec<Vec<i64>>>(data, &small);
    agrees_within::<Vec<Bytes>>(data, &small);
    agrees_within::<(IndexSet<(i64, String)>, Vec<Color>)>(data, &small);
    agrees_within::<(Vec<Slotted>, Track)>(data, &small);
});
