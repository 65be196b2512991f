//! The direct typed read (`pickle::de::direct`, what `loads::<T>` tries
//! first) against the graph path: whenever the direct read gives a value, it
//! is the value the graph path gives, and the direct read takes what CPython
//! writes for the types it knows.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;

use indexmap::IndexMap;
use pickle::de::{direct, FromPickle};
use pickle::types::bytes::Bytes;
use pickle::{Limits, Pickle};
use proptest::prelude::*;

mod common;

use common::direct::{agrees, dumps, graph, pickles};

#[derive(Pickle, Debug, Clone, PartialEq)]
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

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(dict)]
struct Doc {
    version: i64,
    items: Vec<Item>,
    grid: Vec<Vec<i64>>,
    names: Vec<String>,
    flags: BTreeMap<String, bool>,
}

fn item(i: i64, tags: usize) -> Item {
    Item {
        id: i,
        name: format!("item-{i}"),
        tags: (0..tags as i64).map(|t| t * 1000 + i).collect(),
        counts: IndexMap::from([("x".to_owned(), i), ("y".to_owned(), -i)]),
        price: (i % 2 == 0).then_some(i as f64 / 4.0),
        stock: 7,
    }
}

fn doc(items: usize) -> Doc {
    Doc {
        version: 3,
        items: (0..items as i64).map(|i| item(i, i as usize % 4)).collect(),
        grid: vec![vec![], vec![1], vec![1, 2], vec![], (0..2500).collect()],
        names: vec!["a".into(), "é".into(), String::new(), "a".into()],
        flags: BTreeMap::from([("on".into(), true), ("off".into(), false)]),
    }
}

#[test]
fn takes_our_cpython_identical_output_at_protocols_4_and_5() {
    // Our pickler writes CPython's bytes for these shapes (tests/derive.rs,
    // tests/std_types.rs; `takes_what_live_cpython_writes` reads CPython's
    // own); 1500 items cross a SETITEMS/APPENDS batch and frames.
    let value = doc(1500);
    for protocol in [4, 5] {
        let data = dumps(&value, protocol);
        assert_eq!(
            agrees::<Doc>(&data),
            Some(value.clone()),
            "protocol {protocol}"
        );
    }
}

#[test]
fn takes_what_live_cpython_writes() {
    // tests/python/direct_doc.py: the same document, written by CPython.
    let out = common::python_stdout("direct_doc.py", b"");
    let pickles = pickles(&out);
    assert_eq!(pickles.len(), 4);
    let expected = Doc {
        version: 3,
        items: (0..1500)
            .map(|i| Item {
                id: i,
                name: format!("item-{i}"),
                tags: vec![i, i * 1000, -i],
                counts: IndexMap::from([("x".to_owned(), i), ("y".to_owned(), -i)]),
                price: (i % 2 == 0).then_some(i as f64 / 4.0),
                stock: 7,
            })
            .collect(),
        grid: vec![vec![], vec![1], vec![1, 2], (0..2500).collect()],
        names: vec!["a".into(), "é".into(), String::new(), "a".into()],
        flags: BTreeMap::from([("off".into(), false), ("on".into(), true)]),
    };
    for (protocol, data) in (2..=5).zip(pickles) {
        // Instances named by STACK_GLOBAL, or by GLOBAL below protocol 4.
        let read = agrees::<Doc>(data);
        assert_eq!(read.as_ref(), Some(&expected), "protocol {protocol}");
        assert_eq!(
            pickle::loads::<Doc>(data).unwrap(),
            expected,
            "protocol {protocol}"
        );
    }
}

#[test]
fn takes_builtin_shapes_at_protocols_2_to_5() {
    let ints: Vec<i64> = vec![
        0,
        1,
        255,
        256,
        65535,
        65536,
        -1,
        i64::from(i32::MAX) + 1,
        i64::MIN,
        i64::MAX,
    ];
    let map = HashMap::from([("k".to_owned(), vec![Some(1.5), None])]);
    for protocol in 2..=5 {
        assert_eq!(
            agrees::<Vec<i64>>(&dumps(&ints, protocol)),
            Some(ints.clone())
        );
        assert_eq!(
            agrees::<HashMap<String, Vec<Option<f64>>>>(&dumps(&map, protocol)),
            Some(map.clone())
        );
        assert_eq!(
            agrees::<Vec<Vec<i64>>>(&dumps(&doc(0).grid, protocol)),
            Some(doc(0).grid)
        );
    }
}

#[test]
fn instances_named_by_global_are_read_unless_python_2_renames_them() {
    // pickle.dumps(shop.Item(...), 2): GLOBAL 'shop Item', BINPUT, NEWOBJ.
    let data = dumps(&item(1, 2), 2);
    assert_eq!(agrees::<Item>(&data), Some(item(1, 2)));
    // A class that fix_imports renames below protocol 3 (Python 2's
    // UserDict.UserDict is collections.UserDict): the graph path's, which
    // finds another class.
    #[derive(Pickle, Debug, PartialEq)]
    #[pickle(module = "UserDict", name = "UserDict")]
    struct Renamed {
        data: i64,
    }
    let data = dumps(&Renamed { data: 1 }, 2);
    assert_eq!(direct::read::<Renamed>(&data, &Limits::default()), None);
    assert_eq!(
        pickle::loads::<Renamed>(&data).unwrap_err().kind(),
        pickle::ErrorKind::TypeMismatch
    );
    // Protocol 3 renames nothing: the same class is read directly.
    let data = dumps(&Renamed { data: 1 }, 3);
    assert_eq!(agrees::<Renamed>(&data), Some(Renamed { data: 1 }));
    // An empty name, or one that is not UTF-8: the graph path's error.
    for data in [
        &b"\x80\x02cshop\n\nq\x00)\x81q\x01."[..],
        b"\x80\x02cshop\nIt\xffem\nq\x00)\x81q\x01.",
    ] {
        assert_eq!(direct::read::<Item>(data, &Limits::default()), None);
        assert!(pickle::loads::<Item>(data).is_err());
    }
}

#[test]
fn gives_up_where_the_graph_path_decides() {
    let cases: &[(&str, &[u8])] = &[
        // A memoized list fetched again: sharing is the graph path's.
        ("shared list", b"\x80\x04]\x94(]\x94h\x01e."),
        // A list of a bool: an error in the graph path.
        ("bool as int", b"\x80\x04]\x94\x88a."),
        // Truncated.
        ("truncated", b"\x80\x04]\x94(K\x01K\x02"),
        // Junk after the list where STOP belongs.
        ("no STOP", b"\x80\x04]\x94(K\x01K\x02eK\x03."),
        // A frame that ends inside an opcode's argument.
        (
            "bad frame",
            b"\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00]\x94J\x01\x00\x00\x00a.",
        ),
        // A sparse memo index.
        ("sparse memo", b"\x80\x04]q\x05."),
    ];
    for (what, data) in cases {
        assert_eq!(
            direct::read::<Vec<Vec<i64>>>(data, &Limits::default()),
            None,
            "{what}"
        );
        // And the graph path gives its own answer.
        let _ = graph::<Vec<Vec<i64>>>(data);
    }
}

#[test]
fn runs_of_small_ints_read_as_the_graph_path_reads_them() {
    let read = |data: &[u8]| agrees::<Vec<i64>>(data);
    // A memoized int in the middle of a run.
    assert_eq!(
        read(b"\x80\x04]\x94(K\x01M\x00\x01J\xff\xff\xff\xffK\x02\x94K\x03e."),
        Some(vec![1, 256, -1, 2, 3])
    );
    // A run up to the end of its frame, and the list's APPENDS after it.
    assert_eq!(
        read(b"\x80\x04\x95\x07\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e."),
        Some(vec![1, 2])
    );
    // One item per APPEND, and two items before one APPEND (which appends
    // to the int below it: an error in the graph path).
    assert_eq!(read(b"\x80\x04]\x94K\x01aK\x02a."), Some(vec![1, 2]));
    assert_eq!(read(b"\x80\x04]\x94K\x01K\x02a."), None);
    assert!(graph::<Vec<i64>>(b"\x80\x04]\x94K\x01K\x02a.").is_err());
    // An int too wide for the item type, in the middle of a run.
    let wide = b"\x80\x04]\x94(K\x01M,\x01K\x02e.";
    assert_eq!(direct::read::<Vec<u8>>(wide, &Limits::default()), None);
    let e = pickle::loads::<Vec<u8>>(wide).unwrap_err();
    assert_eq!(e.kind(), pickle::ErrorKind::OutOfRange);
    // A run longer than the stack may grow (with more opcodes after it).
    stack_limit_refuses(&vec![vec![7_i64; 10], vec![1, 2]]);
}

/// `value`, a list whose first item is a run of 10 scalars, goes past a
/// stack of 8: the direct read gives up and the graph path refuses it.
fn stack_limit_refuses<T>(value: &T)
where
    T: pickle::ser::ToPickle + for<'de> FromPickle<'de> + Debug,
{
    let data = dumps(value, 4);
    let mut limits = Limits::default();
    limits.max_stack_depth = 8;
    assert!(direct::read::<T>(&data, &limits).is_none());
    let e = pickle::Unpickler::new()
        .limits(limits)
        .loads::<T>(&data)
        .unwrap_err();
    assert_eq!(e.kind(), pickle::ErrorKind::StackLimit);
}

#[test]
fn runs_of_floats_read_as_the_graph_path_reads_them() {
    let read = |data: &[u8]| agrees::<Vec<f64>>(data);
    // pickle.dumps([1.5, 2, -0.25], 4), with a MEMOIZE after 1.5: an int
    // in the middle of a run, and a memoized float.
    assert_eq!(
        read(b"\x80\x04]\x94(G?\xf8\x00\x00\x00\x00\x00\x00\x94K\x02G\xbf\xd0\x00\x00\x00\x00\x00\x00e."),
        Some(vec![1.5, 2.0, -0.25])
    );
    // A run up to the end of its frame, and APPENDS after it.
    assert_eq!(
        read(b"\x80\x04\x95\x15\x00\x00\x00\x00\x00\x00\x00]\x94(G?\xf8\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00e."),
        Some(vec![1.5, 2.0])
    );
    // A frame that ends inside a float's argument: the graph path's error.
    let torn = b"\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00]\x94(G?\xf8\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00e.";
    assert_eq!(read(torn), None);
    assert!(graph::<Vec<f64>>(torn).is_err());
    // A run longer than the stack may grow, with more opcodes after it.
    stack_limit_refuses(&vec![vec![0.5_f64; 10], vec![1.5]]);
    // As f32s, rounded, an int exact: pickle.dumps([0.1, 1.5, 2, -0.25], 4).
    let data = b"\x80\x04\x95\"\x00\x00\x00\x00\x00\x00\x00]\x94(G?\xb9\x99\x99\x99\x99\x99\x9aG?\xf8\x00\x00\x00\x00\x00\x00K\x02G\xbf\xd0\x00\x00\x00\x00\x00\x00e.";
    assert_eq!(agrees::<Vec<f32>>(data), Some(vec![0.1, 1.5, 2.0, -0.25]));
    // A float no f32 holds, after a run: pickle.dumps([0.1, 1.5, 2, 1e300], 4).
    let data = b"\x80\x04\x95\"\x00\x00\x00\x00\x00\x00\x00]\x94(G?\xb9\x99\x99\x99\x99\x99\x9aG?\xf8\x00\x00\x00\x00\x00\x00K\x02G~7\xe4<\x88\x00u\x9ce.";
    assert!(direct::read::<Vec<f32>>(data, &Limits::default()).is_none());
    assert_eq!(
        pickle::loads::<Vec<f32>>(data).unwrap_err().kind(),
        pickle::ErrorKind::OutOfRange
    );
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(dict)]
struct MapThenInt<M> {
    m: M,
    a: i64,
}

#[test]
fn a_map_forgets_the_entries_of_a_reading_that_did_not_end_well() {
    // pickle.dumps({'m': {}, 'a': 1}, 4): after the empty inner dict, the
    // outer entry 'a': 1 reads as an inner entry too, until SETITEM is
    // missing; the map must drop it again.
    let data =
        b"\x80\x04\x95\x11\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01m\x94}\x94\x8c\x01a\x94K\x01u.";
    assert_eq!(
        agrees::<MapThenInt<IndexMap<String, i64>>>(data),
        Some(MapThenInt {
            m: IndexMap::new(),
            a: 1
        })
    );
    assert_eq!(
        agrees::<MapThenInt<HashMap<String, i64>>>(data),
        Some(MapThenInt {
            m: HashMap::new(),
            a: 1
        })
    );
    assert_eq!(
        agrees::<MapThenInt<BTreeMap<String, i64>>>(data),
        Some(MapThenInt {
            m: BTreeMap::new(),
            a: 1
        })
    );
}

#[test]
fn memoized_strs_of_every_str_opcode_are_fetched_again() {
    let long = "x".repeat(300);
    // pickle.dumps(['x' * 300, 'x' * 300], 4): BINUNICODE, then BINGET.
    let mut data = b"\x80\x04\x959\x01\x00\x00\x00\x00\x00\x00]\x94(X,\x01\x00\x00".to_vec();
    data.extend_from_slice(long.as_bytes());
    data.extend_from_slice(b"\x94h\x01e.");
    assert_eq!(agrees::<Vec<String>>(&data), Some(vec![long.clone(), long]));
    // SHORT_BINUNICODE and BINUNICODE8 (which CPython writes only past
    // 4 GiB), each fetched by BINGET and LONG_BINGET.
    let data = b"\x80\x04]\x94(\x8c\x02ab\x94\x8d\x03\x00\x00\x00\x00\x00\x00\x00cde\x94h\x01j\x02\x00\x00\x00h\x02j\x01\x00\x00\x00e.";
    assert_eq!(
        agrees::<Vec<String>>(data),
        Some(
            ["ab", "cde", "ab", "cde", "cde", "ab"]
                .map(String::from)
                .to_vec()
        )
    );
}

#[test]
fn a_key_that_is_not_utf8_takes_the_graph_path() {
    // {'\xff': 1} with the key's one byte not UTF-8: no field's name.
    let data = b"\x80\x04}\x94(\x8c\x01\xff\x94K\x01u.";
    type T = MapThenInt<IndexMap<String, i64>>;
    assert_eq!(direct::read::<T>(data, &Limits::default()), None);
    let e = pickle::loads::<T>(data).unwrap_err();
    assert_eq!(e.kind(), pickle::ErrorKind::InvalidText);
}

#[test]
fn a_key_set_twice_takes_the_graph_path() {
    // {'a': 1, 'b': 2} with 'a' set again to 3 (only a crafted pickle does this).
    let twice = b"\x80\x04}\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94K\x02h\x01K\x03u.";
    assert_eq!(
        direct::read::<IndexMap<String, i64>>(twice, &Limits::default()),
        None
    );
    let m = pickle::loads::<IndexMap<String, i64>>(twice).unwrap();
    assert_eq!(
        m.into_iter().collect::<Vec<_>>(),
        [("a".into(), 3), ("b".into(), 2)]
    );
    // The maps that gather their entries first agree with the graph path.
    let expected = HashMap::from([("a".into(), 3), ("b".into(), 2)]);
    assert_eq!(agrees::<HashMap<String, i64>>(twice), Some(expected));
}

#[test]
fn limits_make_it_give_up_and_the_graph_path_refuse() {
    let data = dumps(&vec![1_i64; 10], 4);
    let mut limits = Limits::default();
    limits.max_container_len = 5;
    assert_eq!(direct::read::<Vec<i64>>(&data, &limits), None);
    let e = pickle::Unpickler::new()
        .limits(limits)
        .loads::<Vec<i64>>(&data)
        .unwrap_err();
    assert_eq!(e.kind(), pickle::ErrorKind::ContainerLimit);
}

/// A row of the std shapes the direct read knows besides the document's.
type Row = (f32, char, (i64, String), [i16; 3], Bytes, BTreeSet<i16>);

fn arb_item() -> impl Strategy<Value = Item> {
    (
        any::<i64>(),
        "[a-z]{0,6}",
        prop::collection::vec(any::<i64>(), 0..4),
        prop::collection::vec(("[xyz]", any::<i64>()), 0..3),
        any::<Option<f64>>().prop_filter("NaN is not equal to itself", |p| {
            !p.is_some_and(f64::is_nan)
        }),
    )
        .prop_map(|(id, name, tags, counts, price)| Item {
            id,
            name,
            tags,
            counts: counts.into_iter().collect(),
            price,
            stock: 7,
        })
}

fn arb_doc() -> impl Strategy<Value = Doc> {
    (
        any::<i64>(),
        prop::collection::vec(arb_item(), 0..4),
        prop::collection::vec(prop::collection::vec(-300_i64..300, 0..3), 0..4),
        prop::collection::vec("[ab]{0,2}", 0..4),
        prop::collection::btree_map("[a-c]{1,2}", any::<bool>(), 0..3),
    )
        .prop_map(|(version, items, grid, names, flags)| Doc {
            version,
            items,
            grid,
            names,
            flags,
        })
}

#[test]
fn a_global_line_past_the_frame_end_is_refused_from_a_stream_too() {
    // Found by the fuzzer: a frame of 122 bytes holding a dict whose items
    // run into MEMOIZEs, then GLOBAL's lines after the frame's end. The
    // stream's line reader was asked for a line ending before it started.
    let mut data =
        b"\x80\x04\x95\x7a\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x07versionK\x03\x8c\x05items"
            .to_vec();
    data.extend_from_slice(&[0x94; 96]);
    data.extend_from_slice(b"]\x94\x94\x94\x94\x94\x94ck\x94");
    assert_eq!(data.len(), 138);
    assert_eq!(agrees::<Doc>(&data), None);
}

#[test]
fn an_opcode_just_past_a_frame_is_read_from_after_it() {
    // pickle.dumps(['x' * 10, 'a' * 70000, 'b'], protocol=4): the long str's
    // BINUNICODE starts where the first frame ends, outside any frame.
    let mut data =
        b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\nxxxxxxxxxx\x94Xp\x11\x01\x00"
            .to_vec();
    data.extend_from_slice(&[b'a'; 70_000]);
    data.extend_from_slice(b"\x95\x07\x00\x00\x00\x00\x00\x00\x00\x94\x8c\x01b\x94e.");
    let expected = vec!["x".repeat(10), "a".repeat(70_000), "b".to_owned()];
    assert_eq!(agrees::<Vec<String>>(&data), Some(expected));
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "shop", name = "Tag")]
struct Tag {
    label: String,
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(module = "shop", name = "Box")]
struct Boxed {
    tag: Tag,
}

#[test]
fn a_class_whose_module_str_comes_from_the_memo_is_read() {
    // b = shop.Box(); b.tag = shop.Tag(); b.tag.label = 'x'
    // pickle.dumps(b, protocol=4): Tag's STACK_GLOBAL takes its module, 'shop',
    // with a BINGET of the str Box's global memoized.
    let data = b"\x80\x04\x95:\x00\x00\x00\x00\x00\x00\x00\x8c\x04shop\x94\x8c\x03Box\x94\x93\x94)\x81\x94}\x94\x8c\x03tag\x94h\x00\x8c\x03Tag\x94\x93\x94)\x81\x94}\x94\x8c\x05label\x94\x8c\x01x\x94sbsb.";
    let expected = Boxed {
        tag: Tag { label: "x".into() },
    };
    assert_eq!(agrees::<Boxed>(data), Some(expected));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn direct_reads_of_our_output_agree_and_succeed(doc in arb_doc(), protocol in 2_u8..=5) {
        let data = dumps(&doc, protocol);
        prop_assert_eq!(agrees::<Doc>(&data), Some(doc));
    }

    #[test]
    fn tuples_arrays_f32_chars_bytes_and_sets_of_our_output_are_read_directly(
        items in proptest::collection::vec(
            (any::<f32>().prop_filter("NaN is not equal to itself", |x| !x.is_nan()),
             any::<char>(),
             (any::<i64>(), ".{0,3}"),
             any::<[i16; 3]>(),
             proptest::collection::vec(any::<u8>(), 0..300),
             proptest::collection::btree_set(any::<i16>(), 0..20)),
            0..40,
        ),
        protocol in 3_u8..=5,
    ) {
        let value: Vec<Row> = items
            .into_iter()
            .map(|(x, c, pair, array, bytes, set)| (x, c, pair, array, Bytes(bytes), set))
            .collect();
        let data = dumps(&value, protocol);
        prop_assert_eq!(agrees::<Vec<Row>>(&data), Some(value));
    }

    #[test]
    fn direct_reads_of_mutated_pickles_agree_or_give_up(
        doc in arb_doc(),
        protocol in 2_u8..=5,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0_u8..3), 1..4),
    ) {
        let mut data = dumps(&doc, protocol);
        for (at, byte, how) in edits {
            if data.is_empty() {
                break;
            }
            let i = at.index(data.len());
            match how {
                0 => data[i] = byte,
                1 => { data.insert(i, byte); }
                _ => { data.remove(i); }
            }
        }
        agrees::<Doc>(&data);
        agrees::<Vec<Vec<i64>>>(&data);
        agrees::<IndexMap<String, i64>>(&data);
    }
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(dict)]
struct InnerWritten {
    a: i64,
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(dict)]
struct OuterWritten {
    inner: InnerWritten,
    b: i64,
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(dict)]
struct Inner {
    a: i64,
    #[pickle(default)]
    b: i64,
}

#[derive(Pickle, Debug, Clone, PartialEq)]
#[pickle(dict)]
struct Outer {
    inner: Inner,
    b: i64,
}

#[test]
fn a_field_read_by_a_reading_that_did_not_end_well_is_forgotten() {
    // {'inner': {'a': 1}, 'b': 2}: after the inner dict's one SETITEM, the
    // outer key 'b' names a field of the inner struct too. Trying it as one
    // more inner entry reads `b = 2` into the inner struct before SETITEM is
    // missing; that field must be forgotten again.
    let written = OuterWritten {
        inner: InnerWritten { a: 1 },
        b: 2,
    };
    for protocol in 2..=5 {
        let data = dumps(&written, protocol);
        let expected = Outer {
            inner: Inner { a: 1, b: 0 },
            b: 2,
        };
        assert_eq!(
            agrees::<Outer>(&data),
            Some(expected),
            "protocol {protocol}"
        );
    }
}
