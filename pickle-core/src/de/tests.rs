//! Typed reads of pickles CPython wrote: every standard impl, errors with
//! paths, identity of shared objects, bounded depth.
//!
//! `geometry` is this module, used to make the instances below:
//!
//! ```python
//! import enum
//! class Point: pass
//! class Slotted: __slots__ = ('x', 'y')
//! class Color(enum.Enum): RED = 1; GREEN = 2
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use num_bigint::BigInt;

use super::{from_slice, FromPickle, Node};
use crate::error::{ErrorKind, Result};
use crate::value::{Object, Value};

fn kind_of<'de, T: FromPickle<'de> + std::fmt::Debug>(data: &'de [u8]) -> ErrorKind {
    from_slice::<T>(data).unwrap_err().kind()
}

fn message_of<'de, T: FromPickle<'de> + std::fmt::Debug>(data: &'de [u8]) -> String {
    from_slice::<T>(data).unwrap_err().to_string()
}

// pickle.dumps(300, 2), pickle.dumps(2**64, 2), pickle.dumps(-1, 2), pickle.dumps(True, 2)
const P300: &[u8] = b"\x80\x02M,\x01.";
const P2_64: &[u8] = b"\x80\x02\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00\x01.";
const MINUS_ONE: &[u8] = b"\x80\x02J\xff\xff\xff\xff.";
const TRUE: &[u8] = b"\x80\x02\x88.";

#[test]
fn ints_load_into_every_integer_type_that_holds_them() {
    assert_eq!(from_slice::<u16>(P300).unwrap(), 300);
    assert_eq!(from_slice::<i16>(P300).unwrap(), 300);
    assert_eq!(from_slice::<usize>(P300).unwrap(), 300);
    assert_eq!(from_slice::<i8>(MINUS_ONE).unwrap(), -1);
    assert_eq!(from_slice::<isize>(MINUS_ONE).unwrap(), -1);
    assert_eq!(from_slice::<u128>(P2_64).unwrap(), 1 << 64);
    assert_eq!(from_slice::<i128>(P2_64).unwrap(), 1 << 64);
    assert_eq!(
        from_slice::<BigInt>(P2_64).unwrap(),
        BigInt::from(1u128 << 64)
    );
    assert_eq!(from_slice::<BigInt>(MINUS_ONE).unwrap(), BigInt::from(-1));
}

#[test]
fn out_of_range_ints_are_errors_naming_value_and_type_never_wrapped() {
    assert_eq!(kind_of::<u8>(P300), ErrorKind::OutOfRange);
    assert_eq!(message_of::<u8>(P300), "int 300 is out of range for u8");
    assert_eq!(message_of::<i8>(P300), "int 300 is out of range for i8");
    assert_eq!(
        message_of::<u32>(MINUS_ONE),
        "int -1 is out of range for u32"
    );
    assert_eq!(
        message_of::<u64>(P2_64),
        "int 18446744073709551616 is out of range for u64"
    );
    assert_eq!(
        message_of::<i64>(P2_64),
        "int 18446744073709551616 is out of range for i64"
    );
}

#[test]
fn bool_is_not_an_int_and_int_is_not_a_bool() {
    assert!(from_slice::<bool>(TRUE).unwrap());
    assert_eq!(kind_of::<i64>(TRUE), ErrorKind::TypeMismatch);
    assert_eq!(message_of::<i64>(TRUE), "expected int, found bool");
    assert_eq!(message_of::<bool>(P300), "expected bool, found int");
}

// pickle.dumps([1.5, 3, 2**53+1, 1e300, 16777217, 2**70], 2)
const FLOATS: &[u8] = b"\x80\x02]q\x00(G?\xf8\x00\x00\x00\x00\x00\x00K\x03\x8a\x07\x01\x00\x00\x00\x00\x00 G~7\xe4<\x88\x00u\x9cJ\x01\x00\x00\x01\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00@e.";

fn float_item<T: for<'de> FromPickle<'de>>(index: usize) -> Result<T> {
    let v: Value = from_slice(FLOATS).unwrap();
    v.root_node().item(index).unwrap().extract()
}

#[test]
fn floats_accept_ints_only_when_exact() {
    assert_eq!(float_item::<f64>(0).unwrap(), 1.5);
    assert_eq!(float_item::<f64>(1).unwrap(), 3.0);
    assert_eq!(float_item::<f32>(1).unwrap(), 3.0);
    // 2**70 is a power of two: exact.
    assert_eq!(float_item::<f64>(5).unwrap(), 2f64.powi(70));
    let e = float_item::<f64>(2).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfRange);
    assert_eq!(
        e.to_string(),
        "int 9007199254740993 cannot be represented exactly as f64"
    );
    // 16777217 = 2**24 + 1: exact in f64, not in f32.
    assert_eq!(float_item::<f64>(4).unwrap(), 16777217.0);
    assert_eq!(
        float_item::<f32>(4).unwrap_err().kind(),
        ErrorKind::OutOfRange
    );
    // 1e300 overflows f32.
    assert_eq!(
        float_item::<f32>(3).unwrap_err().to_string(),
        "float 1e+300 is out of range for f32"
    );
    assert_eq!(
        from_slice::<f64>(b"\x80\x02X\x01\x00\x00\x00aq\x00.")
            .unwrap_err()
            .to_string(),
        "expected float, found str"
    );
}

// pickle.dumps(["héllo", "x"], 2) and pickle.dumps(["héllo", "x"], 0)
const STRS_P2: &[u8] =
    b"\x80\x02]q\x00(X\x06\x00\x00\x00h\xc3\xa9lloq\x01X\x01\x00\x00\x00xq\x02e.";
const STRS_P0: &[u8] = b"(lp0\nVh\xe9llo\np1\naVx\np2\na.";

#[test]
fn strs_borrow_from_a_slice_when_stored_as_utf8() {
    let borrowed: Vec<&str> = from_slice(STRS_P2).unwrap();
    assert_eq!(borrowed, ["héllo", "x"]);
    let start = STRS_P2.as_ptr() as usize;
    let at = borrowed[0].as_ptr() as usize;
    assert!(at >= start && at < start + STRS_P2.len(), "not borrowed");
    let cows: Vec<Cow<str>> = from_slice(STRS_P2).unwrap();
    assert!(matches!(cows[0], Cow::Borrowed("héllo")));
}

#[test]
fn decoded_strs_load_as_owned_and_cannot_be_borrowed() {
    let cows: Vec<Cow<str>> = from_slice(STRS_P0).unwrap();
    assert!(matches!(&cows[0], Cow::Owned(s) if s == "héllo"));
    let e = from_slice::<Vec<&str>>(STRS_P0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    assert!(e.to_string().starts_with("[0]: expected a str borrowed"));
    let owned: Vec<String> = from_slice(STRS_P0).unwrap();
    assert_eq!(owned, ["héllo", "x"]);
    let boxed: Vec<Box<str>> = from_slice(STRS_P0).unwrap();
    assert_eq!(&*boxed[1], "x");
}

#[test]
fn char_is_a_str_of_one_character() {
    let e = from_slice::<Vec<char>>(STRS_P2).unwrap_err();
    assert_eq!(
        e.to_string(),
        "[0]: expected a str of length 1, found a str of length 5"
    );
    let v: Value = from_slice(STRS_P2).unwrap();
    assert_eq!(
        v.root_node().item(1).unwrap().extract::<char>().unwrap(),
        'x'
    );
}

// pickle.dumps(((1, "a"), [1, "a"], None), 2)
const MIXED: &[u8] = b"\x80\x02K\x01X\x01\x00\x00\x00aq\x00\x86q\x01]q\x02(K\x01h\x00eN\x87q\x03.";

#[test]
fn tuples_load_from_tuples_of_their_length_and_none_is_unit_or_option() {
    type T = ((i64, String), Vec<Cow<'static, str>>, Option<u8>);
    let e = from_slice::<T>(MIXED).unwrap_err();
    // The list holds an int first: the error names where.
    assert_eq!(e.to_string(), "[1][0]: expected str, found int");
    let (pair, _, none): ((i64, String), Value, ()) = from_slice(MIXED).unwrap();
    assert_eq!(pair, (1, "a".to_owned()));
    assert_eq!(none, ());
    let (_, _, none): (Value, Value, Option<u8>) = from_slice(MIXED).unwrap();
    assert_eq!(none, None);
    // A list is not a tuple; a tuple of 3 is not a tuple of 2.
    assert_eq!(
        message_of::<(Value, (i64, Value), Value)>(MIXED),
        "[1]: expected tuple, found list"
    );
    assert_eq!(
        message_of::<(Value, Value)>(MIXED),
        "expected a tuple of 2 items, found a tuple of 3 items"
    );
}

#[test]
fn sequences_load_from_lists_and_tuples() {
    let (t, l, _): (Vec<Value>, VecDeque<Value>, ()) = from_slice(MIXED).unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(l.len(), 2);
    let (t, _, _): ([Value; 2], Value, Value) = from_slice(MIXED).unwrap();
    assert_eq!(format!("{:?}", t[1]), "'a'");
    assert_eq!(
        message_of::<([Value; 3], Value, Value)>(MIXED),
        "[0]: expected a tuple of 3 items, found tuple of 2 items"
    );
    let (_, boxed, _): (Value, Box<[Value]>, ()) = from_slice(MIXED).unwrap();
    assert_eq!(boxed.len(), 2);
}

// pickle.dumps({"a": 1, "b": "two"}, 2)
const DICT: &[u8] = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01X\x01\x00\x00\x00bq\x02X\x03\x00\x00\x00twoq\x03u.";

#[test]
fn dicts_load_into_maps_and_errors_name_the_key() {
    let m: HashMap<String, Value> = from_slice(DICT).unwrap();
    assert_eq!(m.len(), 2);
    let m: BTreeMap<&str, Value> = from_slice(DICT).unwrap();
    assert_eq!(m.keys().copied().collect::<Vec<_>>(), ["a", "b"]);
    let e = from_slice::<BTreeMap<String, i64>>(DICT).unwrap_err();
    assert_eq!(e.to_string(), "['b']: expected int, found str");
    assert_eq!(
        message_of::<HashMap<i64, Value>>(DICT),
        "['a']: expected int, found str"
    );
    assert_eq!(message_of::<Vec<i64>>(DICT), "expected list, found dict");
}

// pickle.dumps(({1,2}, frozenset([3])), 2) and at protocol 4
const SETS_P2: &[u8] = b"\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03c__builtin__\nfrozenset\nq\x04]q\x05K\x03a\x85q\x06Rq\x07\x86q\x08.";
const SETS_P4: &[u8] =
    b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8f\x94(K\x01K\x02\x90(K\x03\x91\x94\x86\x94.";

#[test]
fn sets_and_frozensets_load_into_both_set_types() {
    for data in [SETS_P2, SETS_P4] {
        let (a, b): (HashSet<i64>, BTreeSet<u8>) = from_slice(data).unwrap();
        assert_eq!(a, HashSet::from([1, 2]));
        assert_eq!(b, BTreeSet::from([3]));
        assert_eq!(
            message_of::<(Vec<i64>, Value)>(data),
            "[0]: expected list, found set"
        );
    }
}

// a = [1]; pickle.dumps([a, a, [1]], 2)
const SHARED: &[u8] = b"\x80\x02]q\x00(]q\x01K\x01ah\x01]q\x02K\x01ae.";

#[test]
fn one_python_object_loads_as_one_rc_and_one_arc() {
    let v: Vec<Rc<Vec<i64>>> = from_slice(SHARED).unwrap();
    assert!(Rc::ptr_eq(&v[0], &v[1]));
    assert!(!Rc::ptr_eq(&v[0], &v[2]));
    assert_eq!(*v[2], [1]);
    let v: Vec<Arc<[u8]>> = from_slice(SHARED).unwrap();
    assert!(Arc::ptr_eq(&v[0], &v[1]));
    assert!(!Arc::ptr_eq(&v[0], &v[2]));
    // Without Rc, each reference is its own copy.
    let v: Vec<Box<Vec<i64>>> = from_slice(SHARED).unwrap();
    assert_eq!(v, [Box::new(vec![1]), Box::new(vec![1]), Box::new(vec![1])]);
}

#[test]
fn rc_and_arc_of_one_object_are_separate_identities() {
    let (a, b): (Rc<Vec<i64>>, Arc<Vec<i64>>) =
        from_slice(b"\x80\x02]q\x00K\x01ah\x00\x86q\x01.").unwrap();
    assert_eq!(*a, *b);
}

/// A recursive type, to read the graphs that only recursive types can.
#[derive(Debug)]
enum Tree {
    Leaf(i64),
    Node(Vec<Rc<Tree>>),
}

impl<'de> FromPickle<'de> for Tree {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        match node.as_i64() {
            Some(i) => Ok(Tree::Leaf(i)),
            None => node.extract().map(Tree::Node),
        }
    }
}

impl Tree {
    fn sum(&self) -> i64 {
        match self {
            Tree::Leaf(i) => *i,
            Tree::Node(items) => items.iter().map(|t| t.sum()).sum(),
        }
    }
}

#[test]
fn recursive_types_read_nested_lists() {
    // a = [1]; pickle.dumps([a, a, [1]], 2)
    let tree: Tree = from_slice(SHARED).unwrap();
    assert_eq!(tree.sum(), 3);
    let Tree::Node(items) = &tree else {
        panic!("not a list")
    };
    assert!(Rc::ptr_eq(&items[0], &items[1]));
}

#[test]
fn an_object_that_contains_itself_is_an_error_for_rc_not_a_hang() {
    // a = []; a.append(a); pickle.dumps(a, 2)
    let e = from_slice::<Rc<Tree>>(b"\x80\x02]q\x00h\x00a.").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    assert!(
        e.to_string().starts_with("[0]: list contains itself"),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // pickle.dumps(nested, 2) for 100000 nested lists, written by hand:
    // ']' (EMPTY_LIST) 100000 times, then 'a' (APPEND) 99999 times.
    let mut data = b"\x80\x02".to_vec();
    data.extend(std::iter::repeat_n(b']', 100_000));
    data.extend(std::iter::repeat_n(b'a', 99_999));
    data.push(b'.');
    let run = move || {
        let e = from_slice::<Rc<Tree>>(&data).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::StackLimit);
        assert!(e.message().starts_with("typed read nested too deep"), "{e}");
    };
    // Within the 2 MiB of a test thread, in debug and release builds alike.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn value_loads_the_whole_graph_or_the_subgraph_of_a_node() {
    let v: Value = from_slice(SHARED).unwrap();
    assert_eq!(format!("{v:?}"), "[[1], [1], [1]]");
    let (first, second, third): (Value, Value, Value) =
        from_slice(b"\x80\x02]q\x00K\x01ah\x00]q\x01\x87q\x02.").unwrap();
    assert_eq!(format!("{first:?}"), "[1]");
    assert_eq!(format!("{second:?}"), "[1]");
    assert_eq!(format!("{third:?}"), "[]");
    // A sub-graph keeps its sharing and only what it reaches.
    let v: Value = from_slice(b"\x80\x02K\x07]q\x00K\x01ah\x00\x86q\x01\x86q\x02.").unwrap();
    let inner: Value = v.root_node().item(1).unwrap().extract().unwrap();
    let items: Vec<_> = inner.root_node().items().unwrap().map(|n| n.id()).collect();
    assert_eq!(items[0], items[1]);
    assert_eq!(inner.len(), 3); // the tuple, the list and its int: not the 7
    assert!(matches!(inner.get(inner.root()), Object::Tuple(_)));
}

// ---- instances ----------------------------------------------------------

#[derive(Debug)]
struct Point {
    x: i64,
    y: i64,
}

impl<'de> FromPickle<'de> for Point {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let obj = node.expect_instance(&[("geometry", "Point")])?;
        for (name, _) in obj.attrs() {
            if !matches!(name, "x" | "y") {
                return Err(crate::Error::unknown_attribute(obj.class_name(), name));
            }
        }
        Ok(Point {
            x: obj
                .attr("x")?
                .extract()
                .map_err(|e| e.in_field("Point", "x"))?,
            y: obj
                .attr("y")?
                .extract()
                .map_err(|e| e.in_field("Point", "y"))?,
        })
    }
}

// p = geometry.Point(); p.x = 1; p.y = 2; pickle.dumps(p, 2)
const POINT: &[u8] = b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.";

#[test]
fn instances_are_read_by_class_and_attribute() {
    let p: Point = from_slice(POINT).unwrap();
    assert_eq!((p.x, p.y), (1, 2));
    let v: Value = from_slice(POINT).unwrap();
    let obj = v
        .root_node()
        .expect_instance(&[("geometry", "Point")])
        .unwrap();
    assert_eq!(obj.class(), ("geometry", "Point"));
    assert_eq!(obj.args().len(), 0);
    assert!(obj.state().is_some());
    let names: Vec<&str> = obj.attrs().map(|(name, _)| name).collect();
    assert_eq!(names, ["x", "y"]);
    assert!(obj.attr_opt("z").is_none());
    let e = obj.attr("z").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingAttribute);
    assert_eq!(
        e.to_string(),
        "geometry.Point instance has no attribute 'z'"
    );
}

#[test]
fn another_class_or_kind_is_a_type_mismatch_naming_both() {
    let e = from_slice::<Point>(P300).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    assert_eq!(e.to_string(), "expected geometry.Point instance, found int");
    let v: Value = from_slice(POINT).unwrap();
    let e = v
        .root_node()
        .expect_instance(&[("geometry", "Vector"), ("geometry", "Vec2")])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "expected geometry.Vector or geometry.Vec2 instance, found geometry.Point instance"
    );
}

#[test]
fn field_errors_carry_the_path_from_the_outermost_type() {
    // p.x = 'a' instead: pickle.dumps([p], 2)
    let data = b"\x80\x02]q\x00cgeometry\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04X\x01\x00\x00\x00aq\x05X\x01\x00\x00\x00yq\x06K\x02uba.";
    let e = from_slice::<Vec<Point>>(data).unwrap_err();
    assert_eq!(e.to_string(), "[0].x: expected int, found str");
    assert_eq!(e.path().as_deref(), Some("[0].x"));
    assert_eq!(e.message(), "expected int, found str");
    let e = e.in_field("Outer", "points");
    assert_eq!(e.to_string(), "Outer.points[0].x: expected int, found str");
}

#[test]
fn slots_state_is_searched_like_getattr() {
    // s = geometry.Slotted(); s.x = 1; s.y = 2; pickle.dumps(s, 2)
    let data = b"\x80\x02cgeometry\nSlotted\nq\x00)\x81q\x01N}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02u\x86q\x05b.";
    let v: Value = from_slice(data).unwrap();
    let obj = v
        .root_node()
        .expect_instance(&[("geometry", "Slotted")])
        .unwrap();
    assert_eq!(obj.attr("y").unwrap().extract::<i64>().unwrap(), 2);
    assert_eq!(obj.attrs().count(), 2);
}

#[test]
fn reduce_arguments_are_the_args_of_an_enum_member() {
    // pickle.dumps([geometry.Color.GREEN, geometry.Color.RED], 2)
    let data =
        b"\x80\x02]q\x00(cgeometry\nColor\nq\x01K\x02\x85q\x02Rq\x03h\x01K\x01\x85q\x04Rq\x05e.";
    let v: Value = from_slice(data).unwrap();
    let values: Vec<i64> = v
        .root_node()
        .items()
        .unwrap()
        .map(|member| {
            let obj = member.expect_instance(&[("geometry", "Color")]).unwrap();
            assert!(obj.state().is_none());
            obj.arg(0).unwrap().extract().unwrap()
        })
        .collect();
    assert_eq!(values, [2, 1]);
    let obj = v.root_node().item(0).unwrap();
    let obj = obj.expect_instance(&[("geometry", "Color")]).unwrap();
    assert_eq!(
        obj.arg(1).unwrap_err().to_string(),
        "geometry.Color instance was created with 1 arguments; argument 1 is missing"
    );
}

#[test]
fn protocol_0_instances_read_the_same() {
    // pickle.dumps(p, 0)
    let data = b"ccopy_reg\n_reconstructor\np0\n(cgeometry\nPoint\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVx\np6\nI1\nsVy\np7\nI2\nsb.";
    let p: Point = from_slice(data).unwrap();
    assert_eq!((p.x, p.y), (1, 2));
}

#[test]
fn nodes_stay_send_and_sync_and_read_on_any_thread() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Node<'static, 'static>>();
    let v: Value = from_slice(SHARED).unwrap();
    let items: Vec<Node> = v.root_node().items().unwrap().collect();
    std::thread::scope(|s| {
        s.spawn(|| {
            let lists: Vec<Rc<Vec<i64>>> = v.root_node().extract().unwrap();
            assert!(Rc::ptr_eq(&lists[0], &lists[1]));
            let first: Vec<i64> = items[0].extract().unwrap();
            assert_eq!(first, [1]);
        });
    });
}
