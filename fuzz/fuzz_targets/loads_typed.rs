//! Loads into a `#[derive(Pickle)]` struct (and a few standard types) must
//! never panic; whatever loads must write back and load again.
#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use pickle::Pickle;

#[derive(Pickle, Debug)]
struct Inner {
    x: i64,
    name: String,
}

#[derive(Pickle, Debug)]
struct Outer {
    a: i64,
    b: f64,
    flag: bool,
    items: Vec<i64>,
    maybe: Option<String>,
    map: HashMap<String, i64>,
    inner: Inner,
    shared: Arc<Inner>,
    blobs: Vec<Vec<u8>>,
}

fuzz_target!(|data: &[u8]| {
    if let Ok(outer) = pickle::loads::<Outer>(data) {
        let bytes = pickle::dumps(&outer).expect("a loaded Outer must dump");
        pickle::loads::<Outer>(&bytes).expect("a dumped Outer must load");
    }
    let _ = pickle::loads::<Vec<Option<i64>>>(data);
    let _ = pickle::loads::<HashMap<String, i64>>(data);
    let _ = pickle::loads::<(i64, String, Vec<u8>)>(data);
    let _ = pickle::loads::<Arc<Inner>>(data);
    let _ = pickle::loads::<&str>(data);
});
