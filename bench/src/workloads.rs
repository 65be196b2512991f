//! The Rust types of the workloads, mirroring bench/py/generate.py.

use std::collections::HashMap;

use pickle::Pickle;

/// (b): `bench_classes.Record`, a plain Python class with five attributes.
#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "bench_classes", name = "Record")]
pub struct Record {
    pub id: i64,
    pub score: f64,
    pub name: String,
    pub tags: Vec<i64>,
    pub counts: HashMap<String, i64>,
}
