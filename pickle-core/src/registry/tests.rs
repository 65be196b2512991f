//! The registry with hand-written `FromPickle` types. Every pickle is what
//! CPython 3.11 writes for classes defined in a script (module `__main__`).

use std::io::Cursor;
use std::sync::Arc;

use super::{PickleClass, Registry};
use crate::de::{FromPickle, Node};
use crate::error::{ErrorKind, Result};
use crate::value::{Object, Value};
use crate::{Pickler, Unpickler};

#[derive(Debug, PartialEq)]
struct Point {
    x: i64,
    y: i64,
}

impl PickleClass for Point {
    const CLASSES: &'static [(&'static str, &'static str)] = &[("__main__", "Point")];
}

impl<'de> FromPickle<'de> for Point {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let obj = node.expect_instance(Self::CLASSES)?;
        Ok(Point {
            x: obj.attr("x")?.extract()?,
            y: obj.attr("y")?.extract()?,
        })
    }
}

/// `class Outer: class Inner: pass`, with the attribute `v`.
#[derive(Debug, PartialEq)]
struct Inner(i64);

impl PickleClass for Inner {
    const CLASSES: &'static [(&'static str, &'static str)] = &[("__main__", "Outer.Inner")];
}

impl<'de> FromPickle<'de> for Inner {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let obj = node.expect_instance(Self::CLASSES)?;
        Ok(Inner(obj.attr("v")?.extract()?))
    }
}

/// `collections.UserDict`, by its `data` attribute.
#[derive(Debug, PartialEq)]
struct UserDict(Vec<(String, i64)>);

impl PickleClass for UserDict {
    const CLASSES: &'static [(&'static str, &'static str)] = &[("collections", "UserDict")];
}

impl<'de> FromPickle<'de> for UserDict {
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let obj = node.expect_instance(Self::CLASSES)?;
        let data = obj.attr("data")?;
        let pairs = data.pairs().ok_or_else(|| data.type_error("dict"))?;
        pairs
            .map(|(k, v)| Ok((k.extract()?, v.extract()?)))
            .collect::<Result<_>>()
            .map(UserDict)
    }
}

/// `pickle.dumps(Point(x=1, y=2), protocol=2)`
const POINT_2: &[u8] = b"\x80\x02c__main__\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.";
/// `pickle.dumps(Point(x=1, y=2), protocol=0)`
const POINT_0: &[u8] = b"ccopy_reg\n_reconstructor\np0\n(c__main__\nPoint\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVx\np6\nI1\nsVy\np7\nI2\nsb.";
/// `pickle.dumps(Outer.Inner(v=7), protocol=2)`: `getattr(Outer, 'Inner')`.
const INNER_2: &[u8] = b"\x80\x02c__builtin__\ngetattr\nq\x00c__main__\nOuter\nq\x01X\x05\x00\x00\x00Innerq\x02\x86q\x03Rq\x04)\x81q\x05}q\x06X\x01\x00\x00\x00vq\x07K\x07sb.";
/// `pickle.dumps(Outer.Inner(v=7), protocol=4)`
const INNER_4: &[u8] = b"\x80\x04\x95)\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x0bOuter.Inner\x94\x93\x94)\x81\x94}\x94\x8c\x01v\x94K\x07sb.";
/// `u = collections.UserDict(); u['k'] = 1; pickle.dumps(u, protocol=2)`
const USERDICT_2: &[u8] = b"\x80\x02cUserDict\nIterableUserDict\nq\x00)\x81q\x01}q\x02X\x04\x00\x00\x00dataq\x03}q\x04X\x01\x00\x00\x00kq\x05K\x01ssb.";

fn registry() -> Registry {
    let mut r = Registry::new();
    r.register::<Point>()
        .and_then(|r| r.register::<Inner>())
        .and_then(|r| r.register::<UserDict>())
        .expect("registers");
    r
}

fn load<'de>(registry: &Registry, data: &'de [u8]) -> Value<'de> {
    Unpickler::new()
        .registry(registry)
        .loads(data)
        .expect("loads")
}

#[test]
fn registry_and_natives_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Registry>();
    assert_send_sync::<crate::value::Native>();
}

#[test]
fn the_copyreg_reconstructor_form_becomes_a_native_too() {
    let v = load(&registry(), POINT_0);
    assert_eq!(
        v.root_node().downcast_ref::<Point>(),
        Some(&Point { x: 1, y: 2 })
    );
    assert_eq!(Pickler::new().protocol(0).dumps(&v).unwrap(), POINT_0);
}

#[test]
fn a_nested_class_is_registered_by_its_qualname_at_every_protocol() {
    let registry = registry();
    for (proto, data) in [(2, INNER_2), (4, INNER_4)] {
        let v = load(&registry, data);
        assert_eq!(v.root_node().downcast_ref::<Inner>(), Some(&Inner(7)));
        assert_eq!(Pickler::new().protocol(proto).dumps(&v).unwrap(), data);
    }
}

#[test]
fn python_2_names_are_mapped_before_the_registry_is_asked() {
    let v = load(&registry(), USERDICT_2);
    assert_eq!(
        v.root_node().downcast_ref::<UserDict>(),
        Some(&UserDict(vec![("k".into(), 1)]))
    );
    // Without `fix_imports` the class is `UserDict.IterableUserDict`, which nobody registered.
    let registry = registry();
    let v: Value = Unpickler::new()
        .fix_imports(false)
        .registry(&registry)
        .loads(USERDICT_2)
        .unwrap();
    assert!(v.root_node().native().is_none());
}

#[test]
fn stream_loads_make_natives_too() {
    let registry = registry();
    let mut two = POINT_2.to_vec();
    two.extend_from_slice(INNER_4);
    let mut input = Cursor::new(two);
    let mut unpickler = Unpickler::new().registry(&registry);
    let first: Value = unpickler.load_buffered(&mut input).unwrap();
    let second: Value = unpickler.load_buffered(&mut input).unwrap();
    assert_eq!(
        first.root_node().downcast_ref(),
        Some(&Point { x: 1, y: 2 })
    );
    assert_eq!(second.root_node().downcast_ref(), Some(&Inner(7)));
}

#[test]
fn natives_survive_into_owned_clone_and_subgraph_reads() {
    let registry = registry();
    let v = load(&registry, POINT_2).into_owned();
    let copy = v.clone();
    let a: Arc<Point> = v.root_node().native().unwrap().downcast().unwrap();
    let b: Arc<Point> = copy.root_node().native().unwrap().downcast().unwrap();
    assert!(Arc::ptr_eq(&a, &b), "a clone shares the Rust value");

    // A `Value` read from a node copies the natives it reaches, with their
    // instances' `Id`s rewritten for the new graph.
    // pickle.dumps([0, Point(x=1, y=2)], protocol=2)
    let data = b"\x80\x02]q\x00(K\x00c__main__\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ube.";
    let v = load(&registry, data);
    let sub: Value = v.root_node().item(1).unwrap().extract().unwrap();
    assert!(sub.is_well_formed());
    assert_eq!(
        sub.root_node().downcast_ref::<Point>(),
        Some(&Point { x: 1, y: 2 })
    );
    assert_eq!(Pickler::new().protocol(2).dumps(&sub).unwrap(), POINT_2);
}

#[test]
fn a_native_prints_its_rust_value_and_compares_as_its_instance() {
    let v = load(&registry(), POINT_2);
    assert_eq!(format!("{v:?}"), "Point { x: 1, y: 2 }");
    assert_eq!(
        format!("{:?}", v.get(v.root())),
        "Native(Point { x: 1, y: 2 })"
    );
    let plain: Value = crate::loads(POINT_2).unwrap();
    assert_eq!(v, plain);
    assert_eq!(v.get(v.root()).type_name(), "instance");
    assert!(matches!(
        v.root_node().object(),
        Object::Instance(i) if Some(&**i) == plain.root_node().as_instance()
    ));
}

#[test]
fn a_failing_native_names_its_class_and_where_the_instance_was_made() {
    /// Reads a Point as a str, which it is not.
    #[derive(Debug)]
    struct NotAPoint;

    impl PickleClass for NotAPoint {
        const CLASSES: &'static [(&'static str, &'static str)] = &[("__main__", "Point")];
    }

    impl<'de> FromPickle<'de> for NotAPoint {
        fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
            node.extract::<String>().map(|_| NotAPoint)
        }
    }

    let mut registry = Registry::new();
    registry.register::<NotAPoint>().unwrap();
    let e = Unpickler::new()
        .registry(&registry)
        .loads::<Value>(POINT_0)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    // The REDUCE of `copyreg._reconstructor(Point, object, None)`.
    assert_eq!(e.offset(), Some(76));
    assert_eq!(
        e.to_string(),
        format!(
            "__main__.Point instance, registered as {}: expected str, found \
             __main__.Point instance at byte 76 (opcode REDUCE)",
            std::any::type_name::<NotAPoint>()
        )
    );
}
