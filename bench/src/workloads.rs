//! The Rust types of the workloads, mirroring bench/py/generate.py.
//!
//! Python dicts are [`IndexMap`]s: they keep the insertion order, so
//! writing one back gives CPython's bytes (a `HashMap` would reorder it).

use indexmap::IndexMap;
use pickle::Pickle;
use serde::{Deserialize, Serialize};

/// (b): `bench_classes.Record`, a plain Python class with five attributes.
#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "bench_classes", name = "Record")]
pub struct Record {
    pub id: i64,
    pub score: f64,
    pub name: String,
    pub tags: Vec<i64>,
    pub counts: IndexMap<String, i64>,
}

/// (f): the app-state document, a tree of plain dicts. Each struct is one
/// dict shape of generate.py's docstring, fields in the same order.
#[derive(Pickle, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[pickle(dict)]
pub struct Document {
    pub version: i64,
    pub generated: f64,
    pub settings: Settings,
    pub users: Vec<User>,
    pub audit: Vec<Audit>,
}

/// `Document.settings`.
#[derive(Pickle, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[pickle(dict)]
pub struct Settings {
    pub theme: String,
    pub language: String,
    pub page_size: i64,
    pub beta: bool,
    pub limits: Limits,
    pub features: Vec<String>,
}

/// `Settings.limits`.
#[derive(Pickle, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[pickle(dict)]
pub struct Limits {
    pub max_users: i64,
    pub max_sessions: i64,
    pub timeout: f64,
}

/// One of `Document.users`.
#[derive(Pickle, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[pickle(dict)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub active: bool,
    pub score: f64,
    pub roles: Vec<String>,
    pub address: Address,
    pub sessions: Vec<Session>,
}

/// `User.address`.
#[derive(Pickle, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[pickle(dict)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub zip: String,
}

/// One of `User.sessions`.
#[derive(Pickle, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[pickle(dict)]
pub struct Session {
    pub start: f64,
    pub end: Option<f64>,
    pub ip: String,
    pub pages: i64,
}

/// One of `Document.audit`.
#[derive(Pickle, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[pickle(dict)]
pub struct Audit {
    pub ts: f64,
    pub user: i64,
    pub action: String,
    pub detail: Option<String>,
}
