//! `#[derive(Pickle)]` against live CPython: what we write is byte for byte
//! what `pickle.dumps` writes for the same Python object, Python loads it as
//! that object, and everything CPython writes for it loads back.
//!
//! The Python classes are in `tests/python/derive_classes.py`. These tests
//! need `python3` (or the interpreter named by `PICKLE_PYTHON`) and fail,
//! rather than skip, when it is missing.

mod common;

use std::collections::BTreeMap;

use pickle::de::{from_slice, FromPickle};
use pickle::ser::{to_vec, ToPickle};
use pickle::{ErrorKind, Pickle};
use serde_json::{json, Value as Json};

// ---------------------------------------------------------------------------
// The Rust types, one per Python class in derive_classes.py.

#[derive(Pickle, Debug, PartialEq, Clone)]
struct Point {
    x: i64,
    y: i64,
}

#[derive(Pickle, Debug, PartialEq)]
struct Mixed {
    i: i64,
    f: f64,
    s: String,
    b: bool,
    n: Option<i64>,
    o: Option<i64>,
    items: Vec<i64>,
    d: BTreeMap<String, i64>,
    t: (i64, String),
    nested: Point,
    #[pickle(bytes)]
    data: Vec<u8>,
}

#[derive(Pickle, Debug, PartialEq)]
struct Marker;

#[derive(Pickle, Debug, PartialEq)]
#[pickle(rename_all = "camelCase")]
struct Request {
    user_id: i64,
    is_admin: bool,
}

#[derive(Pickle, Debug, PartialEq)]
struct Token {
    #[pickle(rename = "type")]
    kind: String,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(name = "Token")]
struct BorrowedToken<'a> {
    #[pickle(rename = "type")]
    kind: &'a str,
}

#[derive(Pickle, Debug, PartialEq)]
struct Config {
    name: String,
    #[pickle(default)]
    verbose: bool,
    #[pickle(default = "three")]
    retries: u32,
}

fn three() -> u32 {
    3
}

#[derive(Pickle, Debug, PartialEq)]
struct Blob {
    #[pickle(bytes)]
    data: Vec<u8>,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "geometry", name = "Point")]
struct GeoPoint {
    x: i64,
    y: i64,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "shapes", name = "Outer.Inner")]
struct Inner {
    r: i64,
}

/// Reads a point from any of the classes Python writes one as.
#[derive(Pickle, Debug, PartialEq)]
#[pickle(
    name = "Point",
    alias = "legacy:Shapes.Point",
    alias = "__main__.Slotted",
    alias = "__main__.SlottedDict",
    alias = "__main__.SlotsPoint",
    alias = "__main__.FrozenPoint"
)]
struct AnyPoint {
    x: i64,
    y: i64,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(name = "Point", deny_unknown_fields)]
struct StrictPoint {
    x: i64,
    y: i64,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(slots)]
struct Slotted {
    x: i64,
    y: i64,
}

/// `@dataclass(frozen=True, slots=True) class FrozenPoint: x: int; y: int`
#[derive(Pickle, Debug, PartialEq)]
#[pickle(frozen_slots)]
struct FrozenPoint {
    x: i64,
    y: i64,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(frozen_slots)]
struct FrozenEmpty {}

/// `@dataclass(slots=True) class SlotsPoint: x: int; y: int`, not frozen:
/// written as any class with `__slots__`.
#[derive(Pickle, Debug, PartialEq)]
#[pickle(slots)]
struct SlotsPoint {
    x: i64,
    y: i64,
}

#[derive(Pickle, Debug, PartialEq)]
struct Pair(i64, String);

#[derive(Pickle, Debug, PartialEq)]
#[pickle(name = "Pair", getnewargs)]
struct NamedPair {
    left: i64,
    right: String,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(state = "temperature_state")]
struct Temperature {
    celsius: f64,
}

/// `Temperature.__getstate__` returns the float; `__setstate__` takes it.
mod temperature_state {
    use pickle::de::Node;
    use pickle::ser::{ToPickle, Writer};

    pub fn get_state<W: std::io::Write>(
        t: &super::Temperature,
        w: &mut Writer<'_, W>,
    ) -> pickle::Result<()> {
        t.celsius.to_pickle(w)
    }

    pub fn set_state(state: Node<'_, '_>) -> pickle::Result<super::Temperature> {
        Ok(super::Temperature {
            celsius: state.extract()?,
        })
    }
}

#[derive(Pickle, Debug, PartialEq, Clone, Copy)]
enum Color {
    Red = 1,
    Green = 2,
    Blue = 3,
}

#[derive(Pickle, Debug, PartialEq)]
enum Level {
    Low = 1,
    High = 10,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(str_values, rename_all = "kebab-case")]
enum Mode {
    Read,
    ReadWrite,
}

#[derive(Pickle, Debug, PartialEq)]
struct Circle {
    r: f64,
}

#[derive(Pickle, Debug, PartialEq)]
struct Square {
    side: f64,
}

#[derive(Pickle, Debug, PartialEq)]
enum Shape {
    Circle(Circle),
    Square(Square),
}

// ---------------------------------------------------------------------------
// Talking to CPython.

/// Sends a batch of requests to derive_classes.py; one answer per request.
fn ask_python(requests: &[Json]) -> Vec<Json> {
    let input = serde_json::to_vec(requests).expect("requests are JSON");
    let output = common::python_stdout("derive_classes.py", &input);
    let answers: Vec<Json> = serde_json::from_slice(&output).expect("answers are JSON");
    assert_eq!(answers.len(), requests.len());
    answers
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// `pickle.dumps(case, protocol=p)` for p in 0..=5; `None` where CPython raises.
fn cpython_dumps(case: &str) -> Vec<Option<Vec<u8>>> {
    let requests: Vec<Json> = (0..=5)
        .map(|p| json!({"op": "dumps", "case": case, "protocol": p}))
        .collect();
    ask_python(&requests)
        .into_iter()
        .map(|a| a.as_str().map(from_hex))
        .collect()
}

fn cpython_dump(case: &str, protocol: u8) -> Vec<u8> {
    cpython_dumps(case)[usize::from(protocol)]
        .clone()
        .unwrap_or_else(|| panic!("CPython cannot pickle {case} at protocol {protocol}"))
}

/// The disassembly, for failure messages.
fn dis(data: &[u8]) -> String {
    let mut out = Vec::new();
    match pickle::dis::dis(data, &mut out) {
        Ok(_) => String::from_utf8_lossy(&out).into_owned(),
        Err(e) => format!("{}\n(dis failed: {e})", String::from_utf8_lossy(&out)),
    }
}

/// Our pickle of `value` is CPython's pickle of `case` at every protocol,
/// and where CPython refuses, so do we.
fn assert_same_bytes_as_cpython<T: ToPickle + ?Sized>(case: &str, value: &T) {
    let mut failures = Vec::new();
    for (protocol, expected) in cpython_dumps(case).into_iter().enumerate() {
        match (to_vec(value, protocol as u8), expected) {
            (Ok(ours), Some(theirs)) if ours == theirs => {}
            (Ok(ours), Some(theirs)) => failures.push(format!(
                "protocol {protocol}: we wrote\n{}\nCPython wrote\n{}",
                dis(&ours),
                dis(&theirs)
            )),
            (Err(_), None) => {}
            (Ok(_), None) => failures.push(format!(
                "protocol {protocol}: CPython refuses to pickle {case} but we wrote it"
            )),
            (Err(e), Some(_)) => failures.push(format!("protocol {protocol}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{case}:\n{}", failures.join("\n"));
}

/// What Python sees when it loads each pickle.
fn python_sees(pickles: &[Vec<u8>]) -> Vec<Json> {
    let requests: Vec<Json> = pickles
        .iter()
        .map(|p| json!({"op": "describe", "pickle": to_hex(p)}))
        .collect();
    ask_python(&requests)
}

fn python_case(case: &str) -> Json {
    ask_python(&[json!({"op": "describe_case", "case": case})]).remove(0)
}

// ---------------------------------------------------------------------------
// Writing: byte for byte what CPython writes.

#[test]
fn plain_structs_are_byte_identical_to_cpython_at_every_protocol() {
    assert_same_bytes_as_cpython("point", &Point { x: 1, y: 2 });
    assert_same_bytes_as_cpython("mixed", &mixed(0));
    assert_same_bytes_as_cpython("marker", &Marker);
    assert_same_bytes_as_cpython(
        "request",
        &Request {
            user_id: 7,
            is_admin: true,
        },
    );
    assert_same_bytes_as_cpython(
        "token",
        &Token {
            kind: "word".into(),
        },
    );
    assert_same_bytes_as_cpython(
        "blob",
        &Blob {
            data: vec![0, 1, 0xfe],
        },
    );
    assert_same_bytes_as_cpython("geo_point", &GeoPoint { x: 1, y: 2 });
}

#[test]
fn nested_qualname_is_written_as_cpython_writes_it_at_every_protocol() {
    assert_same_bytes_as_cpython("inner", &Inner { r: 1 });
}

#[test]
fn slots_state_is_none_and_slots_dict_and_refused_below_protocol_2() {
    assert_same_bytes_as_cpython("slotted", &Slotted { x: 1, y: 2 });
    let err = to_vec(&Slotted { x: 1, y: 2 }, 1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unpicklable);
}

#[test]
fn frozen_slots_dataclass_state_is_the_list_of_field_values_at_every_protocol() {
    assert_same_bytes_as_cpython("frozen_point", &FrozenPoint { x: 1, y: 2 });
    // An empty list is a false state: no BUILD at protocols 0-1, `[]` BUILD from 2.
    assert_same_bytes_as_cpython("frozen_empty", &FrozenEmpty {});
    assert_reads_cpython("frozen_point", &FrozenPoint { x: 1, y: 2 });
    assert_reads_cpython("frozen_empty", &FrozenEmpty {});
    let all = [0, 1, 2, 3, 4, 5];
    assert_python_sees_case("frozen_point", &FrozenPoint { x: 1, y: 2 }, &all);
    // A list with another number of values than the struct has fields is an error.
    let three = b"\x80\x02c__main__\nFrozenPoint\n)\x81]q\x00(K\x01K\x02K\x03eb.";
    let err = from_slice::<FrozenPoint>(three).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert!(err.to_string().contains("expected 2 (x, y)"), "{err}");
}

#[test]
fn slots_dataclass_that_is_not_frozen_is_written_as_slots() {
    assert_same_bytes_as_cpython("slots_point", &SlotsPoint { x: 1, y: 2 });
    assert_reads_cpython("slots_point", &SlotsPoint { x: 1, y: 2 });
}

#[test]
fn tuple_struct_and_getnewargs_are_written_as_a_namedtuple() {
    assert_same_bytes_as_cpython("pair", &Pair(1, "a".into()));
    assert_same_bytes_as_cpython(
        "pair",
        &NamedPair {
            left: 1,
            right: "a".into(),
        },
    );
}

#[test]
fn custom_state_is_written_as_a_class_with_getstate() {
    assert_same_bytes_as_cpython("temperature", &Temperature { celsius: 21.5 });
}

#[test]
fn enum_members_are_written_as_enum_and_intenum_members() {
    assert_same_bytes_as_cpython("color_green", &Color::Green);
    assert_same_bytes_as_cpython("colors", &vec![Color::Red, Color::Blue, Color::Green]);
    assert_same_bytes_as_cpython("level_high", &Level::High);
    assert_same_bytes_as_cpython("mode_read_write", &Mode::ReadWrite);
}

#[test]
fn an_enum_member_written_twice_is_one_object_fetched_from_the_memo() {
    assert_same_bytes_as_cpython("green_twice", &vec![Color::Green, Color::Green]);
    assert_same_bytes_as_cpython(
        "modes_repeated",
        &vec![Mode::ReadWrite, Mode::Read, Mode::ReadWrite, Mode::Read],
    );
    assert_reads_cpython("green_twice", &vec![Color::Green, Color::Green]);
    // Python loads it as one object twice: `l[0] is l[1]`.
    for protocol in 0..=5 {
        let data = to_vec(&vec![Color::Green, Color::Green], protocol).unwrap();
        let value: pickle::Value = from_slice(&data).unwrap();
        let items: Vec<_> = value.root_node().items().unwrap().map(|n| n.id()).collect();
        assert_eq!(items[0], items[1], "protocol {protocol}");
    }
}

#[test]
fn polymorphic_enum_is_written_as_the_value_it_holds() {
    let shapes = shapes();
    assert_same_bytes_as_cpython("shapes", &shapes);
}

#[test]
fn ten_thousand_instances_write_each_attribute_name_once() {
    let points: Vec<Point> = (0..10_000).map(|i| Point { x: i, y: -i }).collect();
    assert_same_bytes_as_cpython("points_10k", &points);
    for protocol in [4, 5] {
        let ours = to_vec(&points, protocol).unwrap();
        // SHORT_BINUNICODE 'x' appears once; every later 'x' is a memo GET.
        let x = b"\x8c\x01x";
        let count = ours.windows(x.len()).filter(|w| w == x).count();
        assert_eq!(count, 1, "protocol {protocol}");
    }
}

// ---------------------------------------------------------------------------
// Python loads what we write.

fn mixed(i: i64) -> Mixed {
    Mixed {
        i: -5 - i,
        f: 1.5 + i as f64,
        s: format!("h\u{e9}llo w\u{f6}rld \u{2603} {i}"),
        b: i % 2 == 0,
        n: None,
        o: Some(7 + i),
        items: vec![1, 2, 3 + i],
        d: BTreeMap::from([("k1".to_string(), 1), ("k2".to_string(), 2 + i)]),
        t: (i, format!("tuple text {i}")),
        nested: Point { x: 3, y: 4 + i },
        data: vec![0, 255, (i % 256) as u8],
    }
}

fn shapes() -> Vec<Shape> {
    vec![
        Shape::Circle(Circle { r: 1.0 }),
        Shape::Square(Square { side: 2.0 }),
        Shape::Circle(Circle { r: 3.5 }),
    ]
}

/// Python loads our pickle of `value` at every protocol and sees exactly
/// `case`: the same `type(o).__module__`, `__qualname__` and `vars(o)`.
fn assert_python_sees_case<T: ToPickle + ?Sized>(case: &str, value: &T, protocols: &[u8]) {
    let expected = python_case(case);
    let ours: Vec<Vec<u8>> = protocols
        .iter()
        .map(|&p| to_vec(value, p).unwrap())
        .collect();
    for (seen, protocol) in python_sees(&ours).into_iter().zip(protocols) {
        assert_eq!(seen, expected, "{case} at protocol {protocol}");
    }
}

#[test]
fn python_loads_what_we_write_with_the_same_class_and_vars() {
    let all = [0, 1, 2, 3, 4, 5];
    assert_python_sees_case("point", &Point { x: 1, y: 2 }, &all);
    assert_python_sees_case("mixed", &mixed(0), &all);
    assert_python_sees_case("marker", &Marker, &all);
    assert_python_sees_case("geo_point", &GeoPoint { x: 1, y: 2 }, &all);
    assert_python_sees_case("inner", &Inner { r: 1 }, &all);
    assert_python_sees_case("slotted", &Slotted { x: 1, y: 2 }, &[2, 3, 4, 5]);
    assert_python_sees_case("pair", &Pair(1, "a".into()), &all);
    assert_python_sees_case("temperature", &Temperature { celsius: 21.5 }, &all);
    assert_python_sees_case("color_green", &Color::Green, &all);
    assert_python_sees_case("level_high", &Level::High, &all);
    assert_python_sees_case("mode_read_write", &Mode::ReadWrite, &all);
    assert_python_sees_case("shapes", &shapes(), &all);
}

// ---------------------------------------------------------------------------
// Reading what CPython writes.

#[test]
fn every_state_form_cpython_writes_loads_into_the_struct() {
    let names = [
        "dict_p0",
        "dict_p1",
        "dict_p2",
        "dict_p3",
        "dict_p4",
        "dict_p5",
        "slots_p2",
        "slots_p4",
        "slots_p5",
        "dict_and_slots_p2",
        "dict_and_slots_p4",
        "dict_and_slots_p5",
        "dataclass_slots_p2",
        "dataclass_slots_p4",
        "frozen_dataclass_slots_p0",
        "frozen_dataclass_slots_p1",
        "frozen_dataclass_slots_p2",
        "frozen_dataclass_slots_p5",
        "inst_p0",
        "obj_p1",
    ];
    let requests: Vec<Json> = names
        .iter()
        .map(|n| json!({"op": "raw", "name": n}))
        .collect();
    for (name, hex) in names.iter().zip(ask_python(&requests)) {
        let data = from_hex(hex.as_str().expect("hex"));
        let point: AnyPoint =
            from_slice(&data).unwrap_or_else(|e| panic!("{name}: {e}\n{}", dis(&data)));
        assert_eq!(point, AnyPoint { x: 1, y: 2 }, "{name}");
    }
}

/// `case` as CPython pickles it loads as `expected` at every protocol where CPython can pickle it.
fn assert_reads_cpython<T>(case: &str, expected: &T)
where
    T: for<'de> FromPickle<'de> + PartialEq + std::fmt::Debug,
{
    for (protocol, data) in cpython_dumps(case).into_iter().enumerate() {
        let Some(data) = data else { continue };
        let value: T = from_slice(&data)
            .unwrap_or_else(|e| panic!("{case} at protocol {protocol}: {e}\n{}", dis(&data)));
        assert_eq!(&value, expected, "{case} at protocol {protocol}");
    }
}

#[test]
fn python_instances_load_into_their_structs_at_every_protocol() {
    assert_reads_cpython("point", &Point { x: 1, y: 2 });
    assert_reads_cpython("mixed", &mixed(0));
    assert_reads_cpython("marker", &Marker);
    assert_reads_cpython(
        "request",
        &Request {
            user_id: 7,
            is_admin: true,
        },
    );
    assert_reads_cpython(
        "blob",
        &Blob {
            data: vec![0, 1, 0xfe],
        },
    );
    assert_reads_cpython("geo_point", &GeoPoint { x: 1, y: 2 });
    assert_reads_cpython("inner", &Inner { r: 1 });
    assert_reads_cpython("slotted", &Slotted { x: 1, y: 2 });
    assert_reads_cpython("pair", &Pair(1, "a".into()));
    assert_reads_cpython(
        "pair",
        &NamedPair {
            left: 1,
            right: "a".into(),
        },
    );
    assert_reads_cpython("temperature", &Temperature { celsius: 21.5 });
}

#[test]
fn python_instances_survive_python_to_rust_to_python() {
    let original = python_case("mixed_list");
    for (protocol, data) in cpython_dumps("mixed_list").into_iter().enumerate() {
        let data = data.expect("CPython pickles the list at every protocol");
        let list: Vec<Mixed> = from_slice(&data).unwrap();
        assert_eq!(list, (0..5).map(mixed).collect::<Vec<_>>());
        let again = to_vec(&list, protocol as u8).unwrap();
        assert_eq!(
            python_sees(&[again]).remove(0),
            original,
            "protocol {protocol}"
        );
    }
}

#[test]
fn enum_members_load_from_real_enum_and_intenum_pickles() {
    assert_reads_cpython("color_green", &Color::Green);
    assert_reads_cpython("colors", &vec![Color::Red, Color::Blue, Color::Green]);
    assert_reads_cpython("level_high", &Level::High);
    assert_reads_cpython("mode_read_write", &Mode::ReadWrite);
}

#[test]
fn enum_member_with_no_such_value_is_an_error() {
    // Level.HIGH is 10: no member of Color has that value, and the class differs.
    let data = cpython_dump("level_high", 2);
    let err = from_slice::<Color>(&data).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    // A Color pickle whose value we do not know: REDUCE(Color, (9,)).
    let nine = b"\x80\x02c__main__\nColor\nK\x09\x85R.";
    let err = from_slice::<Color>(nine).unwrap_err();
    assert!(
        err.to_string().contains("9 is not a valid __main__.Color"),
        "{err}"
    );
}

#[test]
fn polymorphic_vec_loads_a_python_list_of_circles_and_squares_by_class() {
    assert_reads_cpython("shapes", &shapes());
    let err = from_slice::<Vec<Shape>>(&cpython_dump("point", 2)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
}

#[test]
fn polymorphic_enum_tries_variants_whose_classes_it_cannot_know() {
    #[derive(Pickle, Debug, PartialEq)]
    enum Scalar {
        Int(i64),
        Text(String),
        Shape(Shape),
        Color(Color),
    }
    let values = vec![
        Scalar::Int(3),
        Scalar::Text("t".into()),
        Scalar::Shape(Shape::Square(Square { side: 1.0 })),
        Scalar::Color(Color::Blue),
    ];
    for protocol in 0..=5 {
        let data = to_vec(&values, protocol).unwrap();
        assert_eq!(from_slice::<Vec<Scalar>>(&data).unwrap(), values);
    }
}

#[test]
fn polymorphic_variants_may_hold_boxes_and_rcs() {
    #[derive(Pickle, Debug, PartialEq)]
    enum BoxedShape {
        Circle(Box<Circle>),
        Square(std::rc::Rc<Square>),
    }
    let data = cpython_dump("shapes", 4);
    let shapes: Vec<BoxedShape> = from_slice(&data).unwrap();
    assert_eq!(
        shapes,
        [
            BoxedShape::Circle(Box::new(Circle { r: 1.0 })),
            BoxedShape::Square(std::rc::Rc::new(Square { side: 2.0 })),
            BoxedShape::Circle(Box::new(Circle { r: 3.5 })),
        ]
    );
}

#[test]
fn alias_reads_an_instance_of_the_old_class() {
    assert_reads_cpython("old_point", &AnyPoint { x: 1, y: 2 });
    let err = from_slice::<Point>(&cpython_dump("old_point", 2)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
}

#[test]
fn default_fills_the_attributes_an_older_pickle_lacks() {
    let config: Config = from_slice(&cpython_dump("config_v1", 2)).unwrap();
    assert_eq!(
        config,
        Config {
            name: "x".into(),
            verbose: false,
            retries: 3
        }
    );
    let err = from_slice::<Config>(&cpython_dump("config_empty", 2)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingAttribute);
}

#[test]
fn a_wrong_attribute_names_its_field_in_the_error() {
    let err = from_slice::<Point>(&cpython_dump("point_str", 2)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert_eq!(err.path().as_deref(), Some("Point.x"));
}

#[test]
fn deny_unknown_fields_rejects_an_extra_attribute_and_others_ignore_it() {
    let data = cpython_dump("point_extra", 2);
    let err = from_slice::<StrictPoint>(&data).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownAttribute);
    assert!(err.to_string().contains("'z'"), "{err}");
    assert_eq!(from_slice::<Point>(&data).unwrap(), Point { x: 1, y: 2 });
    assert_eq!(
        from_slice::<StrictPoint>(&cpython_dump("point", 2)).unwrap(),
        StrictPoint { x: 1, y: 2 }
    );
}

#[test]
fn borrowed_str_field_borrows_from_the_pickle() {
    let data = cpython_dump("token", 4);
    let token: BorrowedToken<'_> = from_slice(&data).unwrap();
    assert_eq!(token.kind, "word");
    let range = data.as_ptr_range();
    assert!(
        range.contains(&token.kind.as_ptr()),
        "the str is not borrowed"
    );
}

// ---------------------------------------------------------------------------
// Attributes with no Python counterpart to compare with.

#[test]
fn skipped_field_is_not_written_and_defaults_on_load() {
    #[derive(Pickle, Debug, PartialEq)]
    #[pickle(name = "Point")]
    struct Cached {
        x: i64,
        y: i64,
        #[pickle(skip)]
        norm: Option<f64>,
    }
    let data = to_vec(
        &Cached {
            x: 1,
            y: 2,
            norm: Some(2.2),
        },
        2,
    )
    .unwrap();
    assert_eq!(data, cpython_dump("point", 2));
    let back: Cached = from_slice(&data).unwrap();
    assert_eq!(back.norm, None);
}

#[test]
fn transparent_newtype_pickles_as_its_field() {
    #[derive(Pickle, Debug, PartialEq)]
    #[pickle(transparent)]
    struct Meters(f64);
    #[derive(Pickle, Debug, PartialEq)]
    #[pickle(transparent)]
    struct Payload {
        #[pickle(bytes)]
        raw: Vec<u8>,
    }
    for protocol in 0..=5 {
        assert_eq!(
            to_vec(&Meters(1.5), protocol).unwrap(),
            to_vec(&1.5_f64, protocol).unwrap()
        );
        let data = to_vec(&Payload { raw: vec![1, 2] }, protocol).unwrap();
        assert_eq!(from_slice::<Payload>(&data).unwrap().raw, [1, 2]);
    }
}

#[test]
fn generic_struct_gets_inferred_bounds_and_round_trips() {
    #[derive(Pickle, Debug, PartialEq)]
    #[pickle(name = "Point")]
    struct GenericPoint<T> {
        x: T,
        y: T,
    }
    let data = to_vec(&GenericPoint { x: 1_i64, y: 2 }, 2).unwrap();
    assert_eq!(data, cpython_dump("point", 2));
    let back: GenericPoint<i64> = from_slice(&data).unwrap();
    assert_eq!(back, GenericPoint { x: 1, y: 2 });
}

#[test]
fn raw_identifiers_pickle_without_the_prefix() {
    #[derive(Pickle, Debug, PartialEq)]
    #[pickle(name = "Token")]
    struct RawToken {
        r#type: String,
    }
    let data = to_vec(
        &RawToken {
            r#type: "word".into(),
        },
        2,
    )
    .unwrap();
    assert_eq!(data, cpython_dump("token", 2));
}

#[test]
fn lifetimes_where_clauses_skipped_params_and_associated_types_get_the_right_bounds() {
    use std::marker::PhantomData;

    #[derive(Pickle, Debug, PartialEq)]
    struct Holder<'a, T, U: Clone>
    where
        U: Default,
    {
        label: &'a str,
        items: Vec<T>,
        // Skipped: needs `U: Default`, not `U: ToPickle`.
        #[pickle(skip)]
        cache: U,
        #[pickle(skip)]
        marker: PhantomData<fn() -> T>,
    }

    #[derive(Pickle)]
    struct First<I: Iterator> {
        first: Option<I::Item>,
    }

    #[derive(Pickle, Debug, PartialEq)]
    enum Either<T> {
        Point(Point),
        Other(T),
    }

    let holder = Holder {
        label: "l",
        items: vec![1_i64, 2],
        cache: String::from("not pickled"),
        marker: PhantomData,
    };
    let data = to_vec(&holder, 4).unwrap();
    let back: Holder<'_, i64, String> = from_slice(&data).unwrap();
    assert_eq!(
        (back.label, back.items, back.cache),
        ("l", vec![1, 2], String::new())
    );

    let first = First::<std::vec::IntoIter<i64>> { first: Some(3) };
    let back: First<std::vec::IntoIter<i64>> = from_slice(&to_vec(&first, 2).unwrap()).unwrap();
    assert_eq!(back.first, Some(3));

    let values = vec![
        Either::Point(Point { x: 1, y: 2 }),
        Either::Other("text".to_string()),
    ];
    let back: Vec<Either<String>> = from_slice(&to_vec(&values, 3).unwrap()).unwrap();
    assert_eq!(back, values);
}

// ---------------------------------------------------------------------------
// `#[pickle(dict)]`: a plain Python dict of the fields, no class.

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(dict)]
struct PointDict {
    x: i64,
    y: i64,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(dict, deny_unknown_fields)]
struct StrictPointDict {
    x: i64,
    y: i64,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(dict)]
struct EmptyDict {}

/// Every field attribute at once, inside a dict: a renamed key, bytes, a
/// `with` module, a class instance as a value, a skipped field and a default.
#[derive(Pickle, Debug, PartialEq)]
#[pickle(dict, rename_all = "camelCase")]
struct RecordDict {
    user_id: i64,
    #[pickle(rename = "type")]
    kind: String,
    #[pickle(bytes)]
    payload: Vec<u8>,
    tags: Vec<String>,
    origin: Point,
    #[pickle(with = "seconds")]
    timeout: std::time::Duration,
    #[pickle(skip)]
    cache: Option<String>,
    #[pickle(default)]
    note: Option<String>,
}

/// A `Duration` as a float number of seconds.
mod seconds {
    use pickle::de::Node;
    use pickle::ser::Writer;
    use std::time::Duration;

    pub fn to_pickle<W: std::io::Write>(d: &Duration, w: &mut Writer<'_, W>) -> pickle::Result<()> {
        w.write_float(d.as_secs_f64())
    }

    pub fn from_pickle(node: Node<'_, '_>) -> pickle::Result<Duration> {
        Ok(Duration::from_secs_f64(node.extract()?))
    }
}

/// An instance whose attributes are dict structs.
#[derive(Pickle, Debug, PartialEq)]
struct Nest {
    first: PointDict,
    rest: Vec<PointDict>,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(dict)]
struct GenericDict<T> {
    first: T,
    second: T,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(dict)]
struct TokenDict<'a> {
    #[pickle(rename = "type")]
    kind: &'a str,
}

fn record_dict() -> RecordDict {
    RecordDict {
        user_id: 7,
        kind: "word".into(),
        payload: vec![0, 1, 0xfe],
        tags: vec!["red".into(), "green".into()],
        origin: Point { x: 1, y: 2 },
        timeout: std::time::Duration::from_millis(1500),
        cache: None,
        note: None,
    }
}

fn nest() -> Nest {
    Nest {
        first: PointDict { x: 1, y: 2 },
        rest: vec![PointDict { x: 3, y: 4 }, PointDict { x: 5, y: 6 }],
    }
}

#[test]
fn dict_struct_is_byte_identical_to_a_cpython_dict_at_every_protocol() {
    assert_same_bytes_as_cpython("point_dict", &PointDict { x: 1, y: 2 });
    assert_same_bytes_as_cpython("empty_dict", &EmptyDict {});
    assert_same_bytes_as_cpython(
        "generic_dict",
        &GenericDict {
            first: 1,
            second: 2,
        },
    );
    assert_same_bytes_as_cpython("token_dict", &TokenDict { kind: "word" });
    // A skipped field is left out, whatever it holds.
    let mut record = record_dict();
    record.cache = Some("not pickled".into());
    assert_same_bytes_as_cpython("record_dict", &record);
}

#[test]
fn dict_structs_write_each_key_once_and_nest_in_instances() {
    // The second dict's keys are memo GETs, as CPython writes the same key objects.
    let points: Vec<PointDict> = (0..3).map(|i| PointDict { x: i, y: -i }).collect();
    assert_same_bytes_as_cpython("point_dicts", &points);
    let generic: Vec<GenericDict<i64>> = (0..3)
        .map(|i| GenericDict {
            first: i,
            second: -i,
        })
        .collect();
    assert_same_bytes_as_cpython("generic_dicts", &generic);
    assert_same_bytes_as_cpython("nest", &nest());
}

#[test]
fn python_loads_a_dict_struct_as_a_plain_dict() {
    let all = [0, 1, 2, 3, 4, 5];
    assert_python_sees_case("point_dict", &PointDict { x: 1, y: 2 }, &all);
    assert_python_sees_case("empty_dict", &EmptyDict {}, &all);
    assert_python_sees_case("record_dict", &record_dict(), &all);
    assert_python_sees_case("nest", &nest(), &all);
    assert_eq!(
        python_case("point_dict"),
        json!({"dict": [["x", 1], ["y", 2]]})
    );
}

#[test]
fn dict_struct_round_trips_what_cpython_wrote() {
    assert_reads_cpython("point_dict", &PointDict { x: 1, y: 2 });
    assert_reads_cpython(
        "point_dicts",
        &(0..3)
            .map(|i| PointDict { x: i, y: -i })
            .collect::<Vec<_>>(),
    );
    assert_reads_cpython("empty_dict", &EmptyDict {});
    assert_reads_cpython(
        "generic_dict",
        &GenericDict {
            first: 1_i64,
            second: 2,
        },
    );
    assert_reads_cpython("record_dict", &record_dict());
    assert_reads_cpython("nest", &nest());
    // Keys in another order than the fields.
    assert_reads_cpython("point_dict_reversed", &PointDict { x: 1, y: 2 });
    // Python -> Rust -> Python: the same bytes CPython wrote, at every protocol.
    for (protocol, data) in cpython_dumps("record_dict").into_iter().enumerate() {
        let data = data.expect("CPython pickles the dict at every protocol");
        let record: RecordDict = from_slice(&data).unwrap();
        assert_eq!(
            to_vec(&record, protocol as u8).unwrap(),
            data,
            "protocol {protocol}"
        );
    }
}

#[test]
fn dict_struct_reads_the_dict_subclasses_the_maps_read() {
    for case in ["point_ordered_dict", "point_defaultdict", "point_counter"] {
        assert_reads_cpython(case, &PointDict { x: 1, y: 2 });
    }
}

#[test]
fn dict_struct_missing_and_unknown_keys() {
    // A missing key is an error, unless the field has a default.
    let err = from_slice::<PointDict>(&cpython_dump("point_dict_x", 2)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingAttribute);
    assert!(err.to_string().contains("no key 'y'"), "{err}");
    #[derive(Pickle, Debug, PartialEq)]
    #[pickle(dict)]
    struct ConfigDict {
        name: String,
        #[pickle(default)]
        verbose: bool,
        #[pickle(default = "three")]
        retries: u32,
    }
    assert_reads_cpython(
        "config_dict_v1",
        &ConfigDict {
            name: "x".into(),
            verbose: false,
            retries: 3,
        },
    );
    let err = from_slice::<ConfigDict>(&cpython_dump("empty_dict", 2)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingAttribute);
    assert!(err.to_string().contains("no key 'name'"), "{err}");

    // An unknown key is ignored, or an error with deny_unknown_fields.
    let data = cpython_dump("point_dict_extra", 2);
    assert_eq!(
        from_slice::<PointDict>(&data).unwrap(),
        PointDict { x: 1, y: 2 }
    );
    let err = from_slice::<StrictPointDict>(&data).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownAttribute);
    assert!(err.to_string().contains("unknown key 'z'"), "{err}");
    assert_eq!(
        from_slice::<StrictPointDict>(&cpython_dump("point_dict", 2)).unwrap(),
        StrictPointDict { x: 1, y: 2 }
    );
}

#[test]
fn dict_struct_type_errors_name_the_field_and_an_instance_is_not_a_dict() {
    let err = from_slice::<PointDict>(&cpython_dump("point_dict_str", 2)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert_eq!(err.path().as_deref(), Some("PointDict.x"));
    // An instance of class Point is not a dict, and a dict is not a Point.
    let err = from_slice::<PointDict>(&cpython_dump("point", 2)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert!(err.to_string().contains("expected dict"), "{err}");
    let err = from_slice::<Point>(&cpython_dump("point_dict", 2)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
}

#[test]
fn dict_struct_borrowed_str_borrows_from_the_pickle() {
    let data = cpython_dump("token_dict", 4);
    let token: TokenDict<'_> = from_slice(&data).unwrap();
    assert_eq!(token.kind, "word");
    assert!(
        data.as_ptr_range().contains(&token.kind.as_ptr()),
        "the str is not borrowed"
    );
}

#[test]
fn dict_struct_is_a_variant_of_a_polymorphic_enum() {
    // A dict struct has no class: the enum tries it in order.
    #[derive(Pickle, Debug, PartialEq)]
    enum Either {
        Point(Point),
        Dict(PointDict),
    }
    let values = vec![
        Either::Dict(PointDict { x: 1, y: 2 }),
        Either::Point(Point { x: 3, y: 4 }),
    ];
    for protocol in 0..=5 {
        let data = to_vec(&values, protocol).unwrap();
        assert_eq!(from_slice::<Vec<Either>>(&data).unwrap(), values);
    }
}
