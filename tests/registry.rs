//! The class registry with `#[derive(Pickle)]` types: registered classes
//! load as native Rust values inside the graph, unknown classes stay opaque,
//! and the graph still writes back exactly what CPython wrote.
//!
//! Every pickle here was written by CPython 3.11 from these classes, defined
//! in a script (so their module is `__main__`):
//!
//! ```python
//! class Point: pass        # p.x, p.y
//! class Segment: pass      # s.a, s.b: Points
//! class Unknown: pass      # u.z
//! ```

use std::sync::Arc;

use pickle::registry::{PickleClass, Registry};
use pickle::{ErrorKind, Object, Pickle, Pickler, Unpickler, Value};

#[derive(Pickle, Debug, PartialEq, Clone)]
struct Point {
    x: i64,
    y: i64,
}

#[derive(Pickle, Debug)]
struct Segment {
    a: Arc<Point>,
    b: Arc<Point>,
}

/// `pickle.dumps([Point(1, 2), Point(3, 4), Unknown(z=5)], protocol=P)` for P in 0..=5.
const MIXED: [&[u8]; 6] = [
    b"(lp0\nccopy_reg\n_reconstructor\np1\n(c__main__\nPoint\np2\nc__builtin__\nobject\np3\nNtp4\nRp5\n(dp6\nVx\np7\nI1\nsVy\np8\nI2\nsbag1\n(g2\ng3\nNtp9\nRp10\n(dp11\ng7\nI3\nsg8\nI4\nsbag1\n(c__main__\nUnknown\np12\ng3\nNtp13\nRp14\n(dp15\nVz\np16\nI5\nsba.",
    b"]q\x00(ccopy_reg\n_reconstructor\nq\x01(c__main__\nPoint\nq\x02c__builtin__\nobject\nq\x03Ntq\x04Rq\x05}q\x06(X\x01\x00\x00\x00xq\x07K\x01X\x01\x00\x00\x00yq\x08K\x02ubh\x01(h\x02h\x03Ntq\tRq\n}q\x0b(h\x07K\x03h\x08K\x04ubh\x01(c__main__\nUnknown\nq\x0ch\x03Ntq\rRq\x0e}q\x0fX\x01\x00\x00\x00zq\x10K\x05sbe.",
    b"\x80\x02]q\x00(c__main__\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ubh\x01)\x81q\x06}q\x07(h\x04K\x03h\x05K\x04ubc__main__\nUnknown\nq\x08)\x81q\t}q\nX\x01\x00\x00\x00zq\x0bK\x05sbe.",
    b"\x80\x03]q\x00(c__main__\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ubh\x01)\x81q\x06}q\x07(h\x04K\x03h\x05K\x04ubc__main__\nUnknown\nq\x08)\x81q\t}q\nX\x01\x00\x00\x00zq\x0bK\x05sbe.",
    b"\x80\x04\x95[\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08__main__\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ubh\x03)\x81\x94}\x94(h\x06K\x03h\x07K\x04ubh\x01\x8c\x07Unknown\x94\x93\x94)\x81\x94}\x94\x8c\x01z\x94K\x05sbe.",
    b"\x80\x05\x95[\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08__main__\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ubh\x03)\x81\x94}\x94(h\x06K\x03h\x07K\x04ubh\x01\x8c\x07Unknown\x94\x93\x94)\x81\x94}\x94\x8c\x01z\x94K\x05sbe.",
];

/// `p = Point(1, 2); pickle.dumps([p, p], protocol=2)`
const SHARED: &[u8] = b"\x80\x02]q\x00(c__main__\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ubh\x02e.";

/// `p = Point(1, 2); pickle.dumps([Segment(a=p, b=p), p], protocol=4)`
const SEGMENT: &[u8] = b"\x80\x04\x95P\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08__main__\x94\x8c\x07Segment\x94\x93\x94)\x81\x94}\x94(\x8c\x01a\x94h\x01\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ub\x8c\x01b\x94h\tubh\te.";

/// `pickle.dumps([Point(1, 2), Point('a', 2)], protocol=2)`
const BAD_POINT: &[u8] = b"\x80\x02]q\x00(c__main__\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ubh\x01)\x81q\x06}q\x07(h\x04X\x01\x00\x00\x00aq\x08h\x05K\x02ube.";

fn points() -> Registry {
    let mut registry = Registry::new();
    registry.register::<Point>().expect("Point registers");
    registry
}

fn load<'de>(registry: &Registry, data: &'de [u8]) -> Value<'de> {
    Unpickler::new()
        .registry(registry)
        .loads(data)
        .expect("the pickle loads")
}

#[test]
fn registered_instances_downcast_and_unknown_ones_stay_opaque_at_every_protocol() {
    let registry = points();
    for (proto, data) in MIXED.iter().enumerate() {
        let v = load(&registry, data);
        let items: Vec<_> = v.root_node().items().expect("a list").collect();
        assert_eq!(items.len(), 3, "protocol {proto}");
        assert_eq!(
            items[0].downcast_ref::<Point>(),
            Some(&Point { x: 1, y: 2 })
        );
        assert_eq!(
            items[1].downcast_ref::<Point>(),
            Some(&Point { x: 3, y: 4 })
        );
        assert!(matches!(v.get(items[0].id()), Object::Native(_)));
        assert!(items[2].downcast_ref::<Point>().is_none());
        assert!(items[2].native().is_none());
        assert!(
            matches!(v.get(items[2].id()), Object::Instance(_)),
            "protocol {proto}"
        );
        assert_eq!(
            format!("{v:?}"),
            "[Point { x: 1, y: 2 }, Point { x: 3, y: 4 }, \
             __main__.Unknown.__new__() with state {'z': 5}]",
            "protocol {proto}"
        );
    }
}

#[test]
fn redumping_a_graph_with_natives_is_byte_identical_at_the_same_protocol() {
    let registry = points();
    for (proto, data) in MIXED.iter().enumerate() {
        let v = load(&registry, data);
        let out = Pickler::new()
            .protocol(proto as u8)
            .dumps(&v)
            .expect("the graph dumps");
        assert_eq!(out, *data, "protocol {proto}");
    }
    for data in [SHARED, BAD_POINT] {
        let v: Value = Unpickler::new().loads(data).expect("loads");
        assert_eq!(Pickler::new().protocol(2).dumps(&v).unwrap(), data);
    }
    let registry = segments();
    let v = load(&registry, SEGMENT);
    assert_eq!(Pickler::new().protocol(4).dumps(&v).unwrap(), SEGMENT);
}

#[test]
fn a_shared_instance_is_one_native_under_one_id() {
    let registry = points();
    let v = load(&registry, SHARED);
    let items: Vec<_> = v.root_node().items().unwrap().collect();
    assert_eq!(items[0].id(), items[1].id());
    let natives = v
        .iter()
        .filter(|(_, o)| matches!(o, Object::Native(_)))
        .count();
    assert_eq!(natives, 1);
    assert!(std::ptr::eq(
        items[0].downcast_ref::<Point>().unwrap(),
        items[1].downcast_ref::<Point>().unwrap()
    ));
}

fn segments() -> Registry {
    let mut registry = Registry::new();
    registry
        .register::<Point>()
        .and_then(|r| r.register::<Segment>())
        .expect("both register");
    registry
}

#[test]
fn objects_shared_between_natives_stay_one_allocation() {
    let registry = segments();
    let v = load(&registry, SEGMENT);
    let items: Vec<_> = v.root_node().items().unwrap().collect();
    let segment = items[0].downcast_ref::<Segment>().expect("a Segment");
    assert!(Arc::ptr_eq(&segment.a, &segment.b));
    // The point's own native is the allocation the segment holds.
    let point: Arc<Point> = items[1].native().unwrap().downcast().unwrap();
    assert!(Arc::ptr_eq(&segment.a, &point));
    assert_eq!(*point, Point { x: 1, y: 2 });
}

#[test]
fn an_empty_registry_changes_nothing() {
    let registry = Registry::new();
    for data in MIXED {
        let with: Value = load(&registry, data);
        let without: Value = Unpickler::new().loads(data).unwrap();
        assert_eq!(with, without);
        assert_eq!(format!("{with:?}"), format!("{without:?}"));
        assert!(with.iter().all(|(_, o)| !matches!(o, Object::Native(_))));
    }
}

#[test]
fn a_graph_with_natives_equals_the_graph_without() {
    let registry = points();
    for data in MIXED {
        let with = load(&registry, data);
        let without: Value = Unpickler::new().loads(data).unwrap();
        assert_eq!(with, without);
    }
}

#[test]
fn an_instance_its_type_cannot_read_fails_the_load_naming_class_and_offset() {
    let registry = points();
    let e = Unpickler::new()
        .registry(&registry)
        .loads::<Value>(BAD_POINT)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    // The second Point's NEWOBJ.
    assert_eq!(e.offset(), Some(57));
    assert_eq!(
        e.to_string(),
        "__main__.Point instance, registered as registry::Point: \
         Point.x: expected int, found str at byte 57 (opcode NEWOBJ)"
    );
}

#[test]
fn a_native_node_reads_as_its_type_and_typed_loads_ignore_natives() {
    let registry = points();
    let v = load(&registry, MIXED[2]);
    let first = v.root_node().item(0).unwrap();
    assert!(first.native().is_some());
    assert_eq!(first.extract::<Point>().unwrap(), Point { x: 1, y: 2 });
    // A typed load reads natives as their instances; a `Value` inside it
    // keeps the natives it holds.
    let typed: Vec<Value> = Unpickler::new()
        .registry(&registry)
        .loads(MIXED[2])
        .unwrap();
    assert_eq!(
        typed[1].root_node().extract::<Point>().unwrap(),
        Point { x: 3, y: 4 }
    );
    assert_eq!(
        typed[1].root_node().downcast_ref::<Point>(),
        Some(&Point { x: 3, y: 4 })
    );
    assert!(typed[2].root_node().native().is_none());
}

#[test]
fn derived_types_name_their_classes_through_the_public_trait() {
    assert_eq!(<Point as PickleClass>::CLASSES, &[("__main__", "Point")]);
    assert_eq!(<Box<Point> as PickleClass>::CLASSES, Point::CLASSES);
    let mut registry = points();
    assert!(registry.contains("__main__", "Point"));
    assert_eq!(
        registry.type_name("__main__", "Point"),
        Some("registry::Point")
    );
    assert_eq!(
        format!("{registry:?}"),
        r#"{"__main__.Point": "registry::Point"}"#
    );
    // Registering the same type again is no change.
    registry.register::<Point>().unwrap();
    assert_eq!(registry.len(), 1);
}

#[test]
fn a_class_registered_to_two_types_is_an_error_and_registers_nothing() {
    #[derive(Pickle, Debug)]
    #[pickle(name = "Point")]
    struct OtherPoint {
        x: i64,
    }
    #[derive(Pickle, Debug)]
    #[pickle(name = "Segment")]
    struct Seg {
        a: i64,
    }

    let mut registry = points();
    let e = registry.register::<OtherPoint>().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DuplicateClass);
    assert_eq!(
        e.to_string(),
        "__main__.Point is already registered as registry::Point; \
         it cannot also be registered as registry::a_class_registered_to_two_types_is_an_error_and_registers_nothing::OtherPoint"
    );
    assert_eq!(
        registry.type_name("__main__", "Point"),
        Some("registry::Point")
    );
    registry.register::<Seg>().unwrap();
    assert_eq!(registry.len(), 2);
}
