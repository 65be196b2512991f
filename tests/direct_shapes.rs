//! The direct typed read of the shapes CPython writes for the std types
//! and the derived ones beyond plain instances and dicts (tests/direct.rs):
//! bytes, tuples, sets, enum members, namedtuples, newtypes, slots, dates,
//! each read from live CPython's pickles at every protocol, and agreeing
//! with the graph path, its errors included.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use indexmap::IndexSet;
use pickle::types::bytes::{ByteArray, Bytes};
use pickle::Pickle;

mod common;

use common::direct::{agrees, direct_refuses, dumps, pickles};

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "shop", name = "Blob")]
struct Blob {
    name: String,
    data: Bytes,
    #[pickle(bytes)]
    raw: Vec<u8>,
}

#[test]
fn bytes_and_bytearrays_are_read_as_cpython_writes_them() {
    // tests/python/direct_bytes.py: at each protocol 0 to 5, b'', b'ab',
    // bytes(range(256)), 70,000 bytes (a payload CPython writes outside any
    // frame), bytearray(b'ab'), a list holding one bytes twice, and a
    // `shop.Blob`.
    let out = common::python_stdout("direct_bytes.py", b"");
    let pickles = pickles(&out);
    assert_eq!(pickles.len(), 6 * 7);
    let all: Vec<u8> = (0..=255).collect();
    let long: Vec<u8> = (0..70_000_u32).map(|i| (i * 7 % 251) as u8).collect();
    let blob = Blob {
        name: "blob".into(),
        data: Bytes(all.clone()),
        raw: long.clone(),
    };
    for (protocol, cases) in (0..=5).zip(pickles.chunks(7)) {
        let [b0, b1, b2, b3, bytearray, twice, instance] = cases else {
            unreachable!()
        };
        // BINBYTES from protocol 3; below, `_codecs.encode(…, 'latin1')`,
        // which the graph path reads.
        for (data, expected) in [b0, b1, b2, b3]
            .into_iter()
            .zip([&b""[..], b"ab", &all, &long])
        {
            let direct = agrees::<Bytes>(data).map(|b| b.0);
            assert_eq!(
                direct.as_deref(),
                (protocol >= 3).then_some(expected),
                "protocol {protocol}"
            );
            assert_eq!(pickle::loads::<Bytes>(data).unwrap().0, expected);
        }
        // BYTEARRAY8 at protocol 5; below, `bytearray(b'ab')` by REDUCE.
        // Either type reads either object, as the graph path does.
        let direct = (protocol == 5).then(|| b"ab".to_vec());
        assert_eq!(agrees::<ByteArray>(bytearray).map(|b| b.0), direct);
        assert_eq!(agrees::<Bytes>(bytearray).map(|b| b.0), direct);
        assert_eq!(pickle::loads::<ByteArray>(bytearray).unwrap().0, b"ab");
        // One bytes twice, the second time a GET: each `Bytes` a copy.
        let xyz = vec![Bytes(b"xyz".to_vec()), Bytes(b"xyz".to_vec())];
        assert_eq!(
            agrees::<Vec<Bytes>>(twice),
            (protocol >= 3).then(|| xyz.clone())
        );
        assert_eq!(pickle::loads::<Vec<Bytes>>(twice).unwrap(), xyz);
        // A `Bytes` field and a `#[pickle(bytes)]` one.
        assert_eq!(
            agrees::<Blob>(instance),
            (protocol >= 3).then(|| blob.clone()),
            "protocol {protocol}"
        );
        assert_eq!(pickle::loads::<Blob>(instance).unwrap(), blob);
    }
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "shop", name = "Shapes")]
struct Shapes {
    pair: (i64, String),
    triple: (f64, Option<bool>, Vec<i64>),
    quad: (i64, i64, i64, i64),
    single: (String,),
    point: [f64; 3],
    corner: [u8; 2],
    ratio: f32,
    small: f32,
    letter: char,
    label: Box<str>,
    boxed: Box<(i64, i64)>,
    queue: VecDeque<i64>,
    names: Box<[String]>,
    nothing: (),
    pairs: Vec<(String, i64)>,
}

#[test]
fn tuples_arrays_and_the_other_std_shapes_are_read_as_cpython_writes_them() {
    // tests/python/direct_shapes.py: a `shop.Shapes` at protocols 0 to 5.
    let out = common::python_stdout("direct_shapes.py", b"");
    let pickles = pickles(&out);
    assert_eq!(pickles.len(), 6);
    let expected = Shapes {
        pair: (1, "a".into()),
        triple: (1.5, None, vec![1, 2]),
        quad: (1, 2, 3, -4),
        single: ("s".into(),),
        point: [1.0, 2.0, 3.0],
        corner: [0, 7],
        ratio: 0.1,
        small: 3.0,
        letter: 'é',
        label: "lbl".into(),
        boxed: Box::new((1, 2)),
        queue: VecDeque::from([3, 4]),
        names: Box::from(["x".to_owned(), "y".to_owned()]),
        nothing: (),
        pairs: vec![("a".into(), 1), ("b".into(), 2)],
    };
    for (protocol, data) in (0..=5).zip(pickles) {
        // An instance is NEWOBJ from protocol 2; below, the graph path's
        // `copyreg._reconstructor`.
        assert_eq!(
            agrees::<Shapes>(data),
            (protocol >= 2).then(|| expected.clone()),
            "protocol {protocol}"
        );
        assert_eq!(pickle::loads::<Shapes>(data).unwrap(), expected);
    }
    // Our own bytes, which are CPython's.
    for protocol in 2..=5 {
        assert_eq!(
            agrees::<Shapes>(&dumps(&expected, protocol)),
            Some(expected.clone())
        );
    }
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "shop", name = "Sets")]
struct Sets {
    small: HashSet<i64>,
    empty: BTreeSet<i64>,
    names: BTreeSet<String>,
    none: HashSet<String>,
    many: IndexSet<i64>,
    pairs: HashSet<(i64, String)>,
}

#[test]
fn sets_and_frozensets_are_read_as_cpython_writes_them() {
    // tests/python/direct_sets.py: a `shop.Sets` at protocols 0 to 5.
    let out = common::python_stdout("direct_sets.py", b"");
    let pickles = pickles(&out);
    assert_eq!(pickles.len(), 6);
    let expected = Sets {
        small: HashSet::from([1, 2, 3]),
        empty: BTreeSet::new(),
        names: BTreeSet::from(["a".into(), "b".into()]),
        none: HashSet::new(),
        many: (0..2500).collect(),
        pairs: HashSet::from([(1, "a".into()), (2, "b".into())]),
    };
    for (protocol, data) in (0..=5).zip(pickles) {
        // EMPTY_SET and ADDITEMS, and FROZENSET, from protocol 4;
        // `builtins.set(list)` at 3; below, Python 2's `__builtin__.set`,
        // which the graph path renames.
        let direct = agrees::<Sets>(data);
        assert_eq!(
            direct,
            (protocol >= 3).then(|| expected.clone()),
            "protocol {protocol}"
        );
        let loaded = pickle::loads::<Sets>(data).unwrap();
        assert_eq!(loaded, expected, "protocol {protocol}");
        // In the order written, which is Python's iteration order.
        assert_eq!(
            loaded.many.iter().copied().collect::<Vec<_>>(),
            (0..2500).collect::<Vec<_>>()
        );
    }
    // An unhashable item: the graph path's error.
    // Crafted: EMPTY_SET, MEMOIZE, MARK, EMPTY_LIST, MEMOIZE, ADDITEMS.
    let data = b"\x80\x04\x8f\x94(]\x94\x90.";
    assert_eq!(
        direct_refuses::<HashSet<Vec<i64>>>(data),
        pickle::ErrorKind::Unhashable
    );
}

#[derive(Pickle, Debug, Clone, Copy, PartialEq)]
#[pickle(module = "shop", name = "Color")]
enum Color {
    Red = 1,
    Green = 2,
}

#[derive(Pickle, Debug, Clone, Copy, PartialEq)]
#[pickle(module = "shop", name = "Mode", str_values, rename_all = "lowercase")]
enum Mode {
    Fast,
    Slow,
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "shop", name = "Palette")]
struct Palette {
    main: Color,
    colors: Vec<Color>,
    mode: Mode,
    modes: BTreeMap<String, Mode>,
}

#[test]
fn enum_members_are_read_as_cpython_writes_them_and_fetched_again() {
    // tests/python/direct_enums.py: a `shop.Palette` at protocols 0 to 5,
    // `Color.RED` three times (then GETs), `Mode` members by str value.
    let out = common::python_stdout("direct_enums.py", b"");
    let pickles = pickles(&out);
    assert_eq!(pickles.len(), 6);
    let expected = Palette {
        main: Color::Red,
        colors: vec![Color::Red, Color::Green, Color::Red],
        mode: Mode::Slow,
        modes: BTreeMap::from([("a".into(), Mode::Fast), ("b".into(), Mode::Slow)]),
    };
    for (protocol, data) in (0..=5).zip(pickles) {
        // REDUCE(cls, (value,)) with binary ints and strs from protocol 2.
        let direct = agrees::<Palette>(data);
        assert_eq!(
            direct,
            (protocol >= 2).then(|| expected.clone()),
            "protocol {protocol}"
        );
        assert_eq!(pickle::loads::<Palette>(data).unwrap(), expected);
    }
    // A value no member has, and a member of another class: the graph
    // path's errors. pickle.dumps(Color(3)) as if Color had a 3, and a
    // `shop.Mode` member read as a Color.
    let three = b"\x80\x04\x95\x18\x00\x00\x00\x00\x00\x00\x00\x8c\x04shop\x94\x8c\x05Color\x94\x93\x94K\x03\x85\x94R\x94.";
    assert_eq!(
        direct_refuses::<Color>(three),
        pickle::ErrorKind::TypeMismatch
    );
    let mode = pickle::dumps(&Mode::Fast).unwrap();
    assert_eq!(
        direct_refuses::<Color>(&mode),
        pickle::ErrorKind::TypeMismatch
    );
}

#[derive(Pickle, Debug, Clone, Copy, PartialEq)]
#[pickle(module = "shop", name = "Point")]
struct Point(f64, f64);

#[derive(Pickle, Debug, Clone, Copy, PartialEq)]
#[pickle(transparent)]
struct TrackId(u32);

#[derive(Pickle, Debug, Clone, PartialEq, Eq, Hash)]
#[pickle(transparent)]
struct Label(#[pickle(bytes)] Vec<u8>);

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(dict)]
struct Track {
    id: TrackId,
    points: Vec<Point>,
    label: Label,
}

#[test]
fn namedtuples_and_transparent_structs_are_read_as_cpython_writes_them() {
    // tests/python/direct_points.py: {'id': 7, 'points': [Point(1.0,
    // 2.0), Point(3.0, -4.0)], 'label': b'ab'} with `shop.Point` a
    // namedtuple, at protocols 0 to 5.
    let out = common::python_stdout("direct_points.py", b"");
    let pickles = pickles(&out);
    assert_eq!(pickles.len(), 6);
    let expected = Track {
        id: TrackId(7),
        points: vec![Point(1.0, 2.0), Point(3.0, -4.0)],
        label: Label(b"ab".to_vec()),
    };
    for (protocol, data) in (0..=5).zip(pickles) {
        // NEWOBJ(cls, args) from protocol 2, bytes from 3.
        let direct = agrees::<Track>(data);
        assert_eq!(
            direct,
            (protocol >= 3).then(|| expected.clone()),
            "protocol {protocol}"
        );
        assert_eq!(pickle::loads::<Track>(data).unwrap(), expected);
    }
    // Our own bytes, at protocol 2 too (CPython's there but for the bytes).
    for protocol in 2..=5 {
        let points = vec![Point(1.0, 2.0), Point(0.5, f64::MAX)];
        assert_eq!(
            agrees::<Vec<Point>>(&dumps(&points, protocol)),
            Some(points)
        );
    }
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "shop", name = "Slotted", slots)]
struct Slotted {
    x: i64,
    y: String,
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "shop", name = "Slotted")]
struct SlottedAsDict {
    x: i64,
    y: String,
}

#[test]
fn instances_with_slots_are_read_as_cpython_writes_them() {
    // tests/python/direct_slots.py: [Slotted(1, 'a'), Slotted(2, 'b')], a
    // dataclass with slots=True, at protocols 2 to 5: BUILD (None, slots).
    let out = common::python_stdout("direct_slots.py", b"");
    let pickles = pickles(&out);
    assert_eq!(pickles.len(), 4);
    for data in pickles {
        let slotted = vec![
            Slotted {
                x: 1,
                y: "a".into(),
            },
            Slotted {
                x: 2,
                y: "b".into(),
            },
        ];
        assert_eq!(agrees::<Vec<Slotted>>(data), Some(slotted));
        // A struct of the `__dict__` shape reads the slots too, as the graph path does.
        let as_dict = vec![
            SlottedAsDict {
                x: 1,
                y: "a".into(),
            },
            SlottedAsDict {
                x: 2,
                y: "b".into(),
            },
        ];
        assert_eq!(agrees::<Vec<SlottedAsDict>>(data), Some(as_dict));
    }
}

#[cfg(feature = "chrono")]
#[test]
fn naive_dates_and_times_are_read_as_cpython_writes_them() {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
    type Dates = (NaiveDateTime, NaiveDate, NaiveTime, NaiveDateTime);
    // tests/python/direct_dates.py, at protocols 0 to 5.
    let out = common::python_stdout("direct_dates.py", b"");
    let pickles = pickles(&out);
    assert_eq!(pickles.len(), 6);
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let expected: Dates = (
        date(2024, 1, 2).and_hms_micro_opt(3, 4, 5, 6).unwrap(),
        date(1999, 12, 31),
        NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap(),
        // The fold, which CPython writes from protocol 4, dropped.
        date(2024, 11, 3).and_hms_opt(1, 30, 0).unwrap(),
    );
    for (protocol, data) in (0..=5).zip(pickles) {
        // REDUCE(datetime.<class>, (bytes,)) from protocol 3; below, the
        // bytes are `_codecs.encode`'s.
        let direct = agrees::<Dates>(data);
        assert_eq!(
            direct,
            (protocol >= 3).then_some(expected),
            "protocol {protocol}"
        );
        assert_eq!(pickle::loads::<Dates>(data).unwrap(), expected);
    }
    // A datetime with a tzinfo is the graph path's, whose error a naive one gets:
    // pickle.dumps(datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc), 4).
    let aware = b"\x80\x04\x95W\x00\x00\x00\x00\x00\x00\x00\x8c\x08datetime\x94\x8c\x08datetime\x94\x93\x94C\n\x07\xe8\x01\x02\x00\x00\x00\x00\x00\x00\x94h\x00\x8c\x08timezone\x94\x93\x94h\x00\x8c\ttimedelta\x94\x93\x94K\x00K\x00K\x00\x87\x94R\x94\x85\x94R\x94\x86\x94R\x94.";
    assert_eq!(
        direct_refuses::<NaiveDateTime>(aware),
        pickle::ErrorKind::TypeMismatch
    );
}

#[test]
fn std_shapes_the_graph_path_refuses_are_not_read_directly() {
    use pickle::ErrorKind::{OutOfRange, TypeMismatch};
    // pickle.dumps(1e300, 4): no f32 holds it.
    let data = b"\x80\x04\x95\n\x00\x00\x00\x00\x00\x00\x00G~7\xe4<\x88\x00u\x9c.";
    assert_eq!(direct_refuses::<f32>(data), OutOfRange);
    // pickle.dumps(2**24 + 1, 4): an int the f32 would round.
    let data = b"\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00J\x01\x00\x00\x01.";
    assert_eq!(direct_refuses::<f32>(data), OutOfRange);
    // pickle.dumps('ab', 4): two characters.
    let data = b"\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00\x8c\x02ab\x94.";
    assert_eq!(direct_refuses::<char>(data), TypeMismatch);
    // pickle.dumps((1, 2, 3), 4), read as a pair.
    let data = b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00K\x01K\x02K\x03\x87\x94.";
    assert_eq!(direct_refuses::<(i64, i64)>(data), TypeMismatch);
    // pickle.dumps([1, 2, 3], 4), read as an array of 2.
    let data = b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02K\x03e.";
    assert_eq!(direct_refuses::<[i64; 2]>(data), TypeMismatch);
}

#[test]
fn an_unhashable_key_takes_the_graph_paths_error() {
    use pickle::ErrorKind::Unhashable;
    // Crafted (Python cannot make these dicts): {[]: 1}.
    let data = b"\x80\x04}\x94]\x94K\x01s.";
    assert_eq!(direct_refuses::<HashMap<Vec<i64>, i64>>(data), Unhashable);
    // {bytearray(b'a'): 1}.
    let data = b"\x80\x05}\x94\x96\x01\x00\x00\x00\x00\x00\x00\x00a\x94K\x01s.";
    assert_eq!(direct_refuses::<HashMap<ByteArray, i64>>(data), Unhashable);
    // The same through a newtype.
    assert_eq!(direct_refuses::<HashMap<Label, i64>>(data), Unhashable);
    // (bytearray(b'a'), {<the same bytearray, by GET>: 1}).
    let data = b"\x80\x05\x96\x01\x00\x00\x00\x00\x00\x00\x00a\x94}\x94h\x00K\x01s\x86.";
    assert_eq!(
        direct_refuses::<(ByteArray, HashMap<Bytes, i64>)>(data),
        Unhashable
    );
}
