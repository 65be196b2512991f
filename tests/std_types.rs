//! Standard-library types against live CPython, both ways, at every protocol:
//! what we write is byte for byte `pickle.dumps(obj, protocol=p)`, and what
//! CPython writes reads back as the expected Rust value.
//!
//! These tests need `python3` (or the interpreter named by `PICKLE_PYTHON`)
//! and fail, rather than skip, when it is missing.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use num_bigint::BigInt;
use pickle::de::FromPickle;
use pickle::ser::{to_vec, ToPickle};
use pickle::types::bytes::{ByteArray, Bytes};
use pickle::types::collections::{FrozenSet, OrderedDict};
use pickle::ErrorKind;

/// `pickle.dumps(eval(expr), protocol=p)` for each expression, p = 0..=5, in one Python run.
fn cpython_dumps(exprs: &[String]) -> Vec<Vec<Vec<u8>>> {
    let request = serde_json::to_vec(exprs).expect("request");
    let output = common::python_stdout("std_types.py", &request);
    let hex: Vec<Vec<String>> = serde_json::from_slice(&output).expect("response");
    hex.iter()
        .map(|protos| protos.iter().map(|h| common::hex(h)).collect())
        .collect()
}

type Check = Box<dyn Fn(u8, &[u8]) -> Result<(), String>>;

/// A batch of cases, each a Python expression and what to check against its pickles.
#[derive(Default)]
struct Cases(Vec<(String, Check)>);

impl Cases {
    fn check(&mut self, expr: &str, check: impl Fn(u8, &[u8]) -> Result<(), String> + 'static) {
        self.0.push((expr.to_owned(), Box::new(check)));
    }

    /// Both ways: `value` dumps as `expr` does, and `expr`'s pickles load as `value`.
    fn both<T>(&mut self, expr: &str, value: T)
    where
        T: ToPickle + for<'de> FromPickle<'de> + PartialEq + Debug + 'static,
    {
        self.check(expr, move |p, py| {
            dumps_as(&value, p, py)?;
            loads_as(&value, py)
        });
    }

    /// `value` dumps as `expr` does.
    fn dumps<T: ToPickle + Debug + 'static>(&mut self, expr: &str, value: T) {
        self.check(expr, move |p, py| dumps_as(&value, p, py));
    }

    /// `expr`'s pickles load as `value`.
    fn loads<T>(&mut self, expr: &str, value: T)
    where
        T: for<'de> FromPickle<'de> + PartialEq + Debug + 'static,
    {
        self.check(expr, move |_, py| loads_as(&value, py));
    }

    /// `expr`'s pickles fail to load as `T` with an error of `kind` whose message has `needle`.
    fn load_error<T: for<'de> FromPickle<'de> + Debug>(
        &mut self,
        expr: &str,
        kind: ErrorKind,
        needle: &'static str,
    ) {
        self.check(expr, move |_, py| match pickle::loads::<T>(py) {
            Ok(v) => Err(format!("loaded {v:?}, expected an error")),
            Err(e) if e.kind() == kind && e.to_string().contains(needle) => Ok(()),
            Err(e) => Err(format!("wrong error: {:?}: {e}", e.kind())),
        });
    }

    fn run(self) {
        let exprs: Vec<String> = self.0.iter().map(|(e, _)| e.clone()).collect();
        let pickles = cpython_dumps(&exprs);
        let mut failures = Vec::new();
        for ((expr, check), protos) in self.0.iter().zip(&pickles) {
            for (p, py) in protos.iter().enumerate() {
                if let Err(e) = check(p as u8, py) {
                    failures.push(format!("{expr} at protocol {p}: {e}"));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

fn dumps_as<T: ToPickle + Debug + ?Sized>(value: &T, p: u8, py: &[u8]) -> Result<(), String> {
    match to_vec(value, p) {
        Ok(ours) if ours == py => Ok(()),
        Ok(ours) => Err(format!(
            "{value:?} dumps as\n  {}\nCPython writes\n  {}",
            escape(&ours),
            escape(py)
        )),
        Err(e) => Err(format!("{value:?} failed to dump: {e}")),
    }
}

fn loads_as<T: for<'de> FromPickle<'de> + PartialEq + Debug>(
    value: &T,
    py: &[u8],
) -> Result<(), String> {
    match pickle::loads::<T>(py) {
        Ok(v) if v == *value => Ok(()),
        Ok(v) => Err(format!("loaded {v:?}, expected {value:?}")),
        Err(e) => Err(format!("failed to load {}: {e}", escape(py))),
    }
}

fn escape(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

#[test]
fn integers_and_floats_match_cpython_both_ways() {
    let mut c = Cases::default();
    c.both("0", 0i8);
    c.both("-128", i8::MIN);
    c.both("255", u8::MAX);
    c.both("256", 256i16);
    c.both("65535", u16::MAX);
    c.both("-2**31", i32::MIN);
    c.both("2**32-1", u32::MAX);
    c.both("-2**63", i64::MIN);
    c.both("2**63-1", i64::MAX);
    c.both("2**64-1", u64::MAX);
    c.both("-2**127", i128::MIN);
    c.both("2**128-1", u128::MAX);
    c.both("2**64-1", u64::MAX as usize);
    c.both("-1", -1isize);
    c.both("2**200", BigInt::from(2).pow(200));
    c.both("-(2**200)", -BigInt::from(2).pow(200));
    c.load_error::<u8>("300", ErrorKind::OutOfRange, "300");
    c.load_error::<u8>("-1", ErrorKind::OutOfRange, "-1");
    c.load_error::<i64>("2**63", ErrorKind::OutOfRange, "9223372036854775808");
    c.load_error::<u128>(
        "2**128",
        ErrorKind::OutOfRange,
        "340282366920938463463374607431768211456",
    );
    c.both("1.5", 1.5f64);
    c.both("-0.0", -0.0f64);
    c.both("1e300", 1e300f64);
    c.both("float('inf')", f64::INFINITY);
    c.both("float('-inf')", f64::NEG_INFINITY);
    c.both("0.1", 0.1f64);
    c.both("1.5", 1.5f32);
    c.check("float('nan')", |p, py| {
        dumps_as(&f64::NAN, p, py)?;
        match pickle::loads::<f64>(py) {
            Ok(x) if x.is_nan() => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    c.run();
}

#[cfg(feature = "complex")]
#[test]
fn complex_matches_cpython_both_ways() {
    use num_complex::Complex;
    let mut c = Cases::default();
    c.both("1+2j", Complex::new(1.0, 2.0));
    c.both("complex(0, -1.5)", Complex::new(0.0, -1.5));
    c.both(
        "complex(float('inf'), 0.25)",
        Complex::new(f64::INFINITY, 0.25),
    );
    c.loads("2.5", Complex::new(2.5, 0.0));
    c.run();
}

#[test]
fn strings_match_cpython_both_ways() {
    let mut c = Cases::default();
    for (expr, s) in [
        ("''", ""),
        ("'a'", "a"),
        ("'\\xe9'", "é"),
        ("'\\u20ac'", "€"),
        ("'hello world'", "hello world"),
        ("'a\\nb\\\\c'", "a\nb\\c"),
        ("'a\\x00b'", "a\0b"),
        ("'\\U0001f600'", "😀"),
        ("'x' * 300", &"x".repeat(300)),
    ] {
        c.both(expr, s.to_string());
        c.both(expr, Box::<str>::from(s));
    }
    c.both("'x'", 'x');
    c.both("'\\u20ac'", '€');
    c.dumps("'abc'", "abc");
    c.run();
}

#[test]
fn borrowed_str_and_cow_borrow_from_the_input() {
    // pickle.dumps('abc', protocol=2)
    let data = b"\x80\x02X\x03\x00\x00\x00abcq\x00.";
    let s: &str = pickle::loads(data).unwrap();
    assert_eq!(s, "abc");
    let cow: std::borrow::Cow<str> = pickle::loads(data).unwrap();
    assert!(matches!(cow, std::borrow::Cow::Borrowed("abc")));
}

#[test]
fn bytes_and_bytearray_match_cpython_both_ways() {
    let mut c = Cases::default();
    for (expr, b) in [
        ("b''", &b""[..]),
        ("b'ab'", b"ab"),
        ("b'\\x00\\xff\\x80'", b"\x00\xff\x80"),
        ("b'x' * 300", &[b'x'; 300]),
    ] {
        c.both(expr, Bytes(b.to_vec()));
        c.both(&format!("bytearray({expr})"), ByteArray(b.to_vec()));
        // Each reads the other kind too.
        c.loads(&format!("bytearray({expr})"), Bytes(b.to_vec()));
        c.loads(expr, ByteArray(b.to_vec()));
    }
    // A plain Vec<u8> is a list of ints.
    c.both("[0, 255]", vec![0u8, 255]);
    c.load_error::<Vec<u8>>(
        "b'ab'",
        ErrorKind::TypeMismatch,
        "expected list, found bytes",
    );
    c.run();
}

#[test]
fn bytes_with_module_writes_bytes_and_bytearray() {
    let mut c = Cases::default();
    c.check("b'ab'", |p, py| {
        struct B(Vec<u8>);
        impl ToPickle for B {
            fn to_pickle<W: Write>(
                &self,
                w: &mut pickle::ser::Writer<'_, W>,
            ) -> pickle::Result<()> {
                pickle::types::bytes::to_pickle(&self.0, w)
            }
        }
        impl Debug for B {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
        dumps_as(&B(b"ab".to_vec()), p, py)?;
        let v: pickle::Value = pickle::loads(py).map_err(|e| e.to_string())?;
        let back: Vec<u8> =
            pickle::types::bytes::from_pickle(v.root_node()).map_err(|e| e.to_string())?;
        (back == b"ab")
            .then_some(())
            .ok_or_else(|| format!("{back:?}"))
    });
    c.run();
}

#[test]
fn none_tuples_and_sequences_match_cpython_both_ways() {
    let mut c = Cases::default();
    c.both("None", ());
    c.both("None", None::<i32>);
    c.both("5", Some(5i32));
    c.both("(1,)", (1i32,));
    c.both("(1, 'a')", (1i32, "a".to_string()));
    c.both("(1, 2, 3)", (1i32, 2i32, 3i32));
    c.both("(1, 2, 3, 4)", (1i32, 2i32, 3i32, 4i32));
    c.both(
        "tuple(range(12))",
        (0u8, 1u8, 2u8, 3u8, 4u8, 5u8, 6u8, 7u8, 8u8, 9u8, 10u8, 11u8),
    );
    c.both("[]", Vec::<i32>::new());
    c.both("[1, 2, 3]", vec![1i32, 2, 3]);
    c.both("list(range(1001))", (0..1001).collect::<Vec<i32>>());
    c.both("list(range(2000))", (0..2000).collect::<VecDeque<i32>>());
    // Every int opcode, negatives, and ints past 32 bits, over three
    // frames: the pickler writes runs of ints without per-item boundaries.
    let mixed: Vec<i64> = (0..40_000_i64)
        .map(|i| (i * 2_654_435_761) % (1 << (i % 40)) - i64::from(i % 7 == 0) * (1 << (i % 34)))
        .collect();
    c.both(
        "[(i * 2654435761) % (1 << (i % 40)) - (i % 7 == 0) * (1 << (i % 34)) for i in range(40000)]",
        mixed,
    );
    c.both(
        "[(i * 7919) % 70000 - 3 for i in range(70000)]",
        (0..70_000_u32)
            .map(|i| (i * 7919 % 70_000) as i32 - 3)
            .collect::<Vec<i32>>(),
    );
    c.both(
        "[i / 7 for i in range(3000)]",
        (0..3000).map(|i| f64::from(i) / 7.0).collect::<Vec<f64>>(),
    );
    c.loads("[1.5, 2, 3.5, -0.0]", vec![1.5, 2.0, 3.5, -0.0]);
    c.both("(1, 2)", [1i32, 2]);
    c.loads("[1, 2]", [1i32, 2]);
    c.loads("(1, 2)", vec![1i32, 2]);
    c.dumps("[[1], []]", vec![vec![1i32], vec![]].as_slice().to_vec());
    c.run();
}

#[test]
fn maps_and_sets_match_cpython_both_ways() {
    let mut c = Cases::default();
    c.both("{}", HashMap::<String, i32>::new());
    c.both("{'a': 1}", HashMap::from([("a".to_string(), 1i32)]));
    c.both(
        "{'a': 1, 'b': 2}",
        BTreeMap::from([("a".to_string(), 1i32), ("b".to_string(), 2)]),
    );
    c.both(
        "{i: str(i) for i in range(1001)}",
        (0..1001)
            .map(|i| (i, i.to_string()))
            .collect::<BTreeMap<i32, String>>(),
    );
    c.both("set()", HashSet::<i32>::new());
    c.both("{1}", HashSet::from([1i32]));
    c.both("{1, 2, 3}", BTreeSet::from([1i32, 2, 3]));
    c.both("set(range(1001))", (0..1001).collect::<BTreeSet<i32>>());
    c.loads("frozenset({1, 2})", BTreeSet::from([1i32, 2]));
    c.both("frozenset()", FrozenSet(BTreeSet::<i32>::new()));
    c.both("frozenset({1, 2})", FrozenSet(BTreeSet::from([1i32, 2])));
    c.both("frozenset({7})", FrozenSet(HashSet::from([7i32])));
    c.loads("{1, 2}", FrozenSet(BTreeSet::from([1i32, 2])));
    c.both(
        "collections.OrderedDict()",
        OrderedDict(BTreeMap::<String, i32>::new()),
    );
    c.both(
        "collections.OrderedDict([('a', 1), ('b', 2)])",
        OrderedDict(BTreeMap::from([
            ("a".to_string(), 1i32),
            ("b".to_string(), 2),
        ])),
    );
    c.both(
        "collections.OrderedDict([('a', 1)])",
        OrderedDict(HashMap::from([("a".to_string(), 1i32)])),
    );
    c.loads(
        "collections.OrderedDict([('a', 1), ('b', 2)])",
        HashMap::from([("a".to_string(), 1i32), ("b".to_string(), 2)]),
    );
    c.loads(
        "{'a': 1}",
        OrderedDict(BTreeMap::from([("a".to_string(), 1i32)])),
    );
    c.loads(
        "collections.defaultdict(int, {'a': 1, 'b': 2})",
        BTreeMap::from([("a".to_string(), 1i32), ("b".to_string(), 2)]),
    );
    c.loads(
        "collections.defaultdict(list)",
        HashMap::<String, Vec<i32>>::new(),
    );
    c.loads(
        "collections.defaultdict(None, {1: 2})",
        BTreeMap::from([(1i32, 2i32)]),
    );
    c.loads(
        "collections.Counter('aab')",
        BTreeMap::from([("a".to_string(), 2u32), ("b".to_string(), 1)]),
    );
    c.loads("collections.Counter()", BTreeMap::<String, u32>::new());
    c.loads("collections.deque([1, 2])", vec![1i32, 2]);
    c.loads("collections.deque([])", Vec::<i32>::new());
    c.loads("collections.deque([1], maxlen=3)", VecDeque::from([1i32]));
    c.loads(
        "collections.deque(range(1001))",
        (0..1001).collect::<Vec<i32>>(),
    );
    c.load_error::<HashMap<String, i32>>(
        "[1]",
        ErrorKind::TypeMismatch,
        "expected dict, found list",
    );
    c.run();
}

#[cfg(feature = "indexmap")]
#[test]
fn indexmap_keeps_python_order_both_ways() {
    use indexmap::{IndexMap, IndexSet};
    let mut c = Cases::default();
    let ba = IndexMap::from([("b".to_string(), 1i32), ("a".to_string(), 2)]);
    c.both("{'b': 1, 'a': 2}", ba.clone());
    c.both(
        "collections.OrderedDict([('b', 1), ('a', 2)])",
        OrderedDict(ba.clone()),
    );
    c.check("collections.Counter('bba')", |_, py| {
        let m: IndexMap<String, i32> = pickle::loads(py).map_err(|e| e.to_string())?;
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        (keys == ["b", "a"] && m["b"] == 2)
            .then_some(())
            .ok_or(format!("{m:?}"))
    });
    c.check("collections.OrderedDict([('z', 1), ('a', 2)])", |_, py| {
        let m: IndexMap<String, i32> = pickle::loads(py).map_err(|e| e.to_string())?;
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        (keys == ["z", "a"]).then_some(()).ok_or(format!("{m:?}"))
    });
    c.both(
        "{i: i for i in range(1001)}",
        (0..1001).map(|i| (i, i)).collect::<IndexMap<i32, i32>>(),
    );
    c.both("{1, 2, 3}", IndexSet::from([1i32, 2, 3]));
    c.both(
        "frozenset({1, 2, 3})",
        FrozenSet(IndexSet::from([1i32, 2, 3])),
    );
    c.run();
}

#[test]
fn durations_match_cpython_timedelta_both_ways() {
    let mut c = Cases::default();
    c.both("datetime.timedelta(0)", Duration::ZERO);
    c.both(
        "datetime.timedelta(seconds=90, microseconds=5)",
        Duration::from_micros(90_000_005),
    );
    c.both(
        "datetime.timedelta(days=3, seconds=1)",
        Duration::from_secs(3 * 86400 + 1),
    );
    c.both(
        "datetime.timedelta.max",
        Duration::new(999_999_999 * 86_400 + 86_399, 999_999_000),
    );
    c.load_error::<Duration>("datetime.timedelta(-1)", ErrorKind::OutOfRange, "Duration");
    c.run();
    assert_eq!(
        to_vec(&Duration::from_nanos(1), 2).unwrap_err().kind(),
        ErrorKind::Unpicklable
    );
}

#[test]
fn paths_match_cpython_both_ways() {
    let mut c = Cases::default();
    c.both("pathlib.PosixPath('/a/b')", PathBuf::from("/a/b"));
    c.both("pathlib.PosixPath('a/b')", PathBuf::from("a/b"));
    c.both("pathlib.PosixPath('/')", PathBuf::from("/"));
    c.both("pathlib.PosixPath('//a')", PathBuf::from("//a"));
    c.both("pathlib.PosixPath('.')", PathBuf::from("."));
    c.both(
        "pathlib.PosixPath('../x/y.txt')",
        PathBuf::from("../x/y.txt"),
    );
    c.both("pathlib.PosixPath('caf\\xe9')", PathBuf::from("café"));
    c.dumps(
        "pathlib.PosixPath('./a//b/./c/')",
        PathBuf::from("./a//b/./c/"),
    );
    c.dumps("pathlib.PosixPath('///a')", PathBuf::from("///a"));
    c.dumps("pathlib.PosixPath('/a/b')", Path::new("/a/b").to_path_buf());
    c.loads("pathlib.PurePosixPath('/a/b')", PathBuf::from("/a/b"));
    c.loads(
        "pathlib.PureWindowsPath('c:/x/y')",
        PathBuf::from("c:\\x\\y"),
    );
    c.loads("pathlib.PureWindowsPath('x/y')", PathBuf::from("x\\y"));
    c.loads(
        "pathlib.PureWindowsPath('//host/share/z')",
        PathBuf::from("\\\\host\\share\\z"),
    );
    c.run();
}

#[cfg(feature = "chrono")]
#[test]
fn chrono_types_match_cpython_datetime_both_ways() {
    use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let time = |h, mi, s, us| NaiveTime::from_hms_micro_opt(h, mi, s, us).unwrap();
    let dt = NaiveDateTime::new(date(2024, 1, 2), time(3, 4, 5, 6));
    let mut c = Cases::default();
    c.both("datetime.date(2024, 1, 2)", date(2024, 1, 2));
    c.both("datetime.date.min", date(1, 1, 1));
    c.both("datetime.date.max", date(9999, 12, 31));
    c.both("datetime.date(2000, 10, 13)", date(2000, 10, 13));
    c.both("datetime.time(1, 2, 3, 4)", time(1, 2, 3, 4));
    c.both("datetime.time()", time(0, 0, 0, 0));
    c.both("datetime.time.max", time(23, 59, 59, 999_999));
    c.both("datetime.time(10, 13)", time(10, 13, 0, 0));
    c.both("datetime.datetime(2024, 1, 2, 3, 4, 5, 6)", dt);
    c.both(
        "datetime.datetime(1, 1, 1)",
        NaiveDateTime::new(date(1, 1, 1), time(0, 0, 0, 0)),
    );
    c.both(
        "datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)",
        dt.and_utc(),
    );
    c.both(
        "datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)",
        dt.and_utc().fixed_offset(),
    );
    let est = FixedOffset::west_opt(5 * 3600).unwrap();
    c.both(
        "datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))",
        dt.and_local_timezone(est).unwrap(),
    );
    let ist = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    c.both(
        "datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30)))",
        dt.and_local_timezone(ist).unwrap(),
    );
    c.loads(
        "datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=-5), 'EST'))",
        dt.and_local_timezone(est).unwrap(),
    );
    c.loads(
        "datetime.datetime(2024, 1, 2, 8, 4, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=5)))",
        DateTime::<Utc>::from_naive_utc_and_offset(
            NaiveDateTime::new(date(2024, 1, 2), time(3, 4, 5, 6)),
            Utc,
        ),
    );
    c.loads("datetime.datetime(2024, 1, 2, 3, 4, 5, 6, fold=1)", dt);
    c.loads("datetime.time(1, 2, 3, 4, fold=1)", time(1, 2, 3, 4));
    c.load_error::<NaiveDateTime>(
        "datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc)",
        ErrorKind::TypeMismatch,
        "naive",
    );
    c.load_error::<DateTime<Utc>>(
        "datetime.datetime(2024, 1, 2)",
        ErrorKind::TypeMismatch,
        "tz-aware",
    );
    c.both("datetime.timedelta(days=-1, seconds=5, microseconds=7)", {
        TimeDelta::days(-1) + TimeDelta::seconds(5) + TimeDelta::microseconds(7)
    });
    c.both(
        "datetime.timedelta(microseconds=-1)",
        TimeDelta::microseconds(-1),
    );
    c.both(
        "datetime.timedelta(days=999999999)",
        TimeDelta::days(999_999_999),
    );
    c.both("datetime.timedelta.min", TimeDelta::days(-999_999_999));
    c.run();
    let leap = NaiveTime::from_hms_milli_opt(23, 59, 59, 1500).unwrap();
    assert_eq!(to_vec(&leap, 4).unwrap_err().kind(), ErrorKind::Unpicklable);
    let nanos = NaiveTime::from_hms_nano_opt(1, 0, 0, 1).unwrap();
    assert_eq!(
        to_vec(&nanos, 4).unwrap_err().kind(),
        ErrorKind::Unpicklable
    );
    assert_eq!(
        to_vec(&date(0, 1, 1), 4).unwrap_err().kind(),
        ErrorKind::Unpicklable
    );
}

/// `WithFold` writes fold=1 as CPython does (from protocol 4 on; below, as fold=0)
/// and reads it from every protocol; the plain types drop it.
#[cfg(feature = "chrono")]
#[test]
fn chrono_fold_matches_cpython_both_ways() {
    use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
    use pickle::types::chrono::WithFold;

    /// `WithFold::new(value, true)` dumps as `expr` (which has fold=1) at
    /// every protocol, and `expr`'s pickles load with the fold CPython wrote.
    fn folded<T>(c: &mut Cases, expr: &str, value: T)
    where
        WithFold<T>: ToPickle + for<'de> FromPickle<'de> + PartialEq + Debug,
        T: Copy + 'static,
    {
        c.check(expr, move |p, py| {
            dumps_as(&WithFold::new(value, true), p, py)?;
            loads_as(&WithFold::new(value, p >= 4), py)
        });
    }

    let time = |h, mi, s, us| NaiveTime::from_hms_micro_opt(h, mi, s, us).unwrap();
    let t = time(1, 30, 0, 0);
    let dt = NaiveDate::from_ymd_opt(2021, 11, 7).unwrap().and_time(t);
    let dtu = NaiveDate::from_ymd_opt(9999, 12, 31)
        .unwrap()
        .and_time(time(23, 59, 59, 999_999));
    let est = FixedOffset::west_opt(5 * 3600).unwrap();
    let aware = dt.and_local_timezone(est).unwrap();
    let utc = dt.and_utc();
    const DT: &str = "datetime.datetime(2021, 11, 7, 1, 30, fold=1)";
    const DT_MAX: &str = "datetime.datetime.max.replace(fold=1)";
    const T: &str = "datetime.time(1, 30, fold=1)";
    const T_MAX: &str = "datetime.time.max.replace(fold=1)";
    const EST: &str = "datetime.datetime(2021, 11, 7, 1, 30, fold=1, \
                       tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))";
    const UTC: &str = "datetime.datetime(2021, 11, 7, 1, 30, fold=1, tzinfo=datetime.timezone.utc)";

    let mut c = Cases::default();
    // fold=1, as CPython writes it at each protocol.
    folded(&mut c, DT, dt);
    folded(&mut c, DT_MAX, dtu);
    folded(&mut c, T, t);
    folded(&mut c, T_MAX, time(23, 59, 59, 999_999));
    folded(&mut c, EST, aware);
    folded(&mut c, UTC, utc);
    folded(&mut c, UTC, utc.fixed_offset());
    // fold=0 is the plain types' pickle.
    c.both(
        "datetime.datetime(2021, 11, 7, 1, 30)",
        WithFold::new(dt, false),
    );
    c.both("datetime.time(1, 30)", WithFold::from(t));
    c.both(
        "datetime.datetime(2021, 11, 7, 1, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))",
        WithFold::from(aware),
    );
    c.both(
        "datetime.datetime(2021, 11, 7, 1, 30, tzinfo=datetime.timezone.utc)",
        WithFold::from(utc),
    );
    // The fold bit in a pickle of any protocol (CPython reads it, but writes
    // it only from 4): WithFold keeps it, the plain types drop it.
    for (expr, value) in [(DT, dt), (DT_MAX, dtu)] {
        let expr = format!("fold_bit({expr})");
        c.loads(&expr, WithFold::new(value, true));
        c.loads(&expr, value);
    }
    for (expr, value) in [(T, t), (T_MAX, time(23, 59, 59, 999_999))] {
        let expr = format!("fold_bit({expr})");
        c.loads(&expr, WithFold::new(value, true));
        c.loads(&expr, value);
    }
    c.loads(&format!("fold_bit({EST})"), WithFold::new(aware, true));
    c.loads(&format!("fold_bit({EST})"), aware);
    c.loads(&format!("fold_bit({UTC})"), WithFold::new(utc, true));
    c.loads(&format!("fold_bit({UTC})"), utc);
    c.loads(
        &format!("fold_bit({EST})"),
        WithFold::new(aware.with_timezone(&Utc), true),
    );
    // Naive and aware stay apart with a fold.
    c.load_error::<WithFold<NaiveDateTime>>(UTC, ErrorKind::TypeMismatch, "naive");
    c.load_error::<WithFold<DateTime<Utc>>>(DT, ErrorKind::TypeMismatch, "tz-aware");
    c.load_error::<WithFold<NaiveTime>>(
        "fold_bit(datetime.time(1, 30, fold=1, tzinfo=datetime.timezone.utc))",
        ErrorKind::TypeMismatch,
        "naive",
    );
    // The bit is only a fold: month 13 or hour 24 under it is still invalid,
    // and a date has no fold (CPython rejects these states too).
    c.load_error::<WithFold<NaiveDateTime>>(
        r"Reduce(datetime.datetime, b'\x07\xe5\x8d\x07\x01\x1e\x00\x00\x00\x00')",
        ErrorKind::TypeMismatch,
        "not a valid datetime",
    );
    c.load_error::<WithFold<NaiveTime>>(
        r"Reduce(datetime.time, b'\x98\x1e\x00\x00\x00\x00')",
        ErrorKind::TypeMismatch,
        "not a valid time",
    );
    c.load_error::<NaiveDate>(
        r"Reduce(datetime.date, b'\x07\xe5\x8b\x07')",
        ErrorKind::TypeMismatch,
        "not a valid date",
    );
    c.run();
}

#[cfg(feature = "decimal")]
#[test]
fn decimals_match_cpython_both_ways() {
    use rust_decimal::Decimal;
    let mut c = Cases::default();
    for s in [
        "3.14",
        "-0.0",
        "1.10",
        "0",
        "-5",
        "1E-7",
        "1.2E-7",
        "0.000001",
        "0E-10",
        "79228162514264337593543950335",
        "-7.9228162514264337593543950335",
    ] {
        // Compared by text: Decimal's == ignores the exponent.
        let mut d = s
            .parse::<Decimal>()
            .unwrap_or_else(|_| Decimal::from_scientific(s).unwrap());
        d.set_sign_negative(s.starts_with('-'));
        c.check(&format!("decimal.Decimal('{s}')"), move |p, py| {
            dumps_as(&d, p, py)?;
            let back: Decimal = pickle::loads(py).map_err(|e| e.to_string())?;
            let (a, b) = (back.mantissa(), back.scale());
            (a == d.mantissa() && b == d.scale() && back.is_sign_negative() == d.is_sign_negative())
                .then_some(())
                .ok_or(format!("loaded {back}, expected {d}"))
        });
    }
    c.loads("decimal.Decimal('1E+3')", Decimal::from(1000));
    c.load_error::<Decimal>("decimal.Decimal('NaN')", ErrorKind::TypeMismatch, "NaN");
    c.load_error::<Decimal>(
        "decimal.Decimal('-Infinity')",
        ErrorKind::TypeMismatch,
        "Infinity",
    );
    c.load_error::<Decimal>("decimal.Decimal('1E+40')", ErrorKind::OutOfRange, "1E+40");
    c.load_error::<Decimal>(
        "decimal.Decimal('0.12345678901234567890123456789012')",
        ErrorKind::OutOfRange,
        "0.1234",
    );
    c.run();
}

#[cfg(feature = "uuid")]
#[test]
fn uuids_match_cpython_both_ways() {
    use uuid::Uuid;
    let mut c = Cases::default();
    c.both("uuid.UUID(int=5)", Uuid::from_u128(5));
    c.both("uuid.UUID(int=0)", Uuid::nil());
    c.both("uuid.UUID(int=2**128-1)", Uuid::from_u128(u128::MAX));
    c.both(
        "uuid.UUID('12345678-1234-5678-1234-567812345678')",
        Uuid::parse_str("12345678-1234-5678-1234-567812345678").unwrap(),
    );
    c.both(
        "[uuid.UUID(int=1), uuid.UUID(int=2**100)]",
        vec![Uuid::from_u128(1), Uuid::from_u128(1 << 100)],
    );
    c.loads(
        "uuid.UUID(int=7, is_safe=uuid.SafeUUID.safe)",
        Uuid::from_u128(7),
    );
    c.run();
}

#[cfg(feature = "fraction")]
#[test]
fn fractions_match_cpython_both_ways() {
    use num_rational::{BigRational, Ratio};
    let mut c = Cases::default();
    c.both("fractions.Fraction(3, 4)", Ratio::new(3i64, 4));
    c.both("fractions.Fraction(-1, 3)", Ratio::new(-1i64, 3));
    c.both("fractions.Fraction(0)", Ratio::from_integer(0i64));
    c.both("fractions.Fraction(6, 4)", Ratio::new(3i64, 2));
    c.both(
        "fractions.Fraction(2**100, 3)",
        BigRational::new(BigInt::from(2).pow(100), BigInt::from(3)),
    );
    c.both(
        "fractions.Fraction(-7, 2)",
        BigRational::new(BigInt::from(-7), BigInt::from(2)),
    );
    c.load_error::<Ratio<i64>>(
        "fractions.Fraction(2**100, 3)",
        ErrorKind::OutOfRange,
        "Ratio<i64>",
    );
    c.run();
    // Older Pythons wrote Fraction('3/4').
    let old = b"\x80\x02cfractions\nFraction\nq\x00X\x03\x00\x00\x003/4q\x01\x85q\x02Rq\x03.";
    assert_eq!(pickle::loads::<Ratio<i64>>(old).unwrap(), Ratio::new(3, 4));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Typed strs, written by the typed writer's own paths (the short
        /// record of 3 to 16 bytes among them), give the bytes the graph
        /// writer gives for the same objects, at every protocol.
        #[test]
        fn typed_strs_write_what_the_graph_writes(
            strs in proptest::collection::vec("[a-zé€😀]{0,20}", 1..6)
        ) {
            for p in 0..=5 {
                let typed = to_vec(&strs, p).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let graph: pickle::Value = pickle::loads(&typed).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let again = pickle::Pickler::new().protocol(p).dumps(&graph).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&again, &typed, "protocol {}", p);
                let back: Vec<String> = pickle::loads(&typed).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&back, &strs, "protocol {}", p);
            }
        }
    }

    fn round_trip<T>(value: &T) -> Result<(), TestCaseError>
    where
        T: ToPickle + for<'de> FromPickle<'de> + PartialEq + Debug,
    {
        for p in 0..=5 {
            let data = to_vec(value, p).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back: T = pickle::loads(&data).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back, value, "protocol {}", p);
        }
        Ok(())
    }

    /// A `WithFold` keeps its fold from protocol 4, and writes fold=0 below.
    #[cfg(feature = "chrono")]
    fn fold_round_trip<T>(value: T) -> Result<(), TestCaseError>
    where
        pickle::types::chrono::WithFold<T>: ToPickle + for<'de> FromPickle<'de> + PartialEq + Debug,
        T: Copy,
    {
        use pickle::types::chrono::WithFold;
        for fold in [false, true] {
            for p in 0..=5 {
                let data = to_vec(&WithFold::new(value, fold), p)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let back: WithFold<T> =
                    pickle::loads(&data).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(back, WithFold::new(value, fold && p >= 4), "protocol {}", p);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn bytes_round_trip(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            round_trip(&Bytes(b.clone()))?;
            round_trip(&ByteArray(b))?;
        }

        #[test]
        fn wide_ints_round_trip(a in any::<i128>(), b in any::<u128>()) {
            round_trip(&(a, b))?;
        }

        #[test]
        fn maps_and_ordered_dicts_round_trip(
            m in proptest::collection::btree_map(any::<i32>(), ".{0,8}", 0..40),
        ) {
            round_trip(&m)?;
            round_trip(&OrderedDict(m.clone()))?;
        }

        #[test]
        fn frozensets_round_trip(s in proptest::collection::btree_set(any::<i64>(), 0..40)) {
            round_trip(&FrozenSet(s))?;
        }

        #[test]
        fn durations_round_trip(micros in any::<u64>()) {
            round_trip(&Duration::from_micros(micros))?;
        }

        #[test]
        fn relative_paths_round_trip(names in proptest::collection::vec("[a-z0-9_.-]{1,6}", 1..5)) {
            let names: Vec<String> = names.into_iter().filter(|n| n != "." ).collect();
            prop_assume!(!names.is_empty());
            round_trip(&names.iter().collect::<PathBuf>())?;
        }
    }

    #[cfg(feature = "chrono")]
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn datetimes_round_trip(
            days in 0i64..3_652_058,
            micros in 0i64..86_400_000_000,
            offset_min in -1439i32..1440,
        ) {
            use chrono::{FixedOffset, NaiveDate, TimeDelta};
            let dt = NaiveDate::from_ymd_opt(1, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
                + TimeDelta::days(days) + TimeDelta::microseconds(micros);
            round_trip(&dt)?;
            round_trip(&dt.date())?;
            round_trip(&dt.time())?;
            let offset = FixedOffset::east_opt(offset_min * 60).unwrap();
            if let Some(aware) = dt.and_local_timezone(offset).single() {
                round_trip(&aware)?;
                fold_round_trip(aware)?;
            }
            fold_round_trip(dt)?;
            fold_round_trip(dt.time())?;
            fold_round_trip(dt.and_utc())?;
        }
    }

    #[cfg(feature = "decimal")]
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn decimals_round_trip(m in any::<i64>(), scale in 0u32..=28) {
            let d = rust_decimal::Decimal::new(m, scale);
            for p in 0..=5 {
                let back: rust_decimal::Decimal = pickle::loads(&to_vec(&d, p).unwrap()).unwrap();
                prop_assert_eq!((back.mantissa(), back.scale()), (d.mantissa(), d.scale()));
            }
        }
    }
}
