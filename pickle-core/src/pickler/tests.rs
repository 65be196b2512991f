//! The pickler against CPython 3.11: every expected pickle below is the output
//! of `pickle.dumps(OBJ, protocol=N)` for the expression in the comment.
//!
//! Graphs stand for what `pickle.loads` gives back, so where CPython caches
//! objects the Python expressions build them the way loading does: a loaded
//! 1-byte bytes is `bytes([97])` and a loaded 1-character str is `chr(97)`,
//! not the literals `b'a'` and `'a'` (code constants are separate objects).

use std::borrow::Cow;
use std::cell::RefCell;
use std::io;

use num_bigint::BigInt;

use super::Pickler;
use crate::error::ErrorKind;
use crate::value::{Buffer, Complex, Construct, Id, Instance, Object, Value};

/// Builds graphs by hand.
#[derive(Default)]
struct G {
    v: Value<'static>,
}

impl G {
    fn add(&mut self, object: Object<'static>) -> Id {
        self.v.add(object)
    }
    fn none(&mut self) -> Id {
        self.add(Object::None)
    }
    fn int(&mut self, i: i64) -> Id {
        self.add(Object::Int(i))
    }
    fn big(&mut self, decimal: &str) -> Id {
        self.add(Object::int(decimal.parse::<BigInt>().unwrap()))
    }
    fn float(&mut self, x: f64) -> Id {
        self.add(Object::Float(x))
    }
    fn str(&mut self, s: &str) -> Id {
        self.add(Object::Str(Cow::Owned(s.to_owned())))
    }
    fn bytes(&mut self, b: &[u8]) -> Id {
        self.add(Object::Bytes(Cow::Owned(b.to_vec())))
    }
    fn list(&mut self, items: &[Id]) -> Id {
        self.add(Object::List(items.to_vec()))
    }
    fn tuple(&mut self, items: &[Id]) -> Id {
        self.add(Object::Tuple(items.to_vec()))
    }
    fn dict(&mut self, pairs: &[(Id, Id)]) -> Id {
        self.add(Object::Dict(pairs.to_vec()))
    }
    fn global(&mut self, module: &str, name: &str) -> Id {
        self.add(Object::global(module.to_owned(), name.to_owned()))
    }
    /// An instance as `pickle.loads` gives back a plain object: NEWOBJ with `()`, then BUILD.
    fn plain(&mut self, class: Id, state: Option<Id>) -> Id {
        let args = self.tuple(&[]);
        let mut inst = Instance::new(class, Construct::NewObj, args);
        inst.state = state;
        self.add(Object::Instance(Box::new(inst)))
    }
    fn append(&mut self, list: Id, item: Id) {
        if let Object::List(items) = self.v.get_mut(list) {
            items.push(item);
        }
    }
    fn root(mut self, root: Id) -> Value<'static> {
        self.v.set_root(root);
        self.v
    }
}

fn dumps(value: &Value<'_>, proto: u8) -> Vec<u8> {
    Pickler::new().protocol(proto).dumps(value).unwrap()
}

/// Compares escaped text, so a failure shows both pickles readably.
fn check(value: &Value<'_>, expected: &[(u8, &[u8])]) {
    for &(proto, bytes) in expected {
        assert_eq!(
            dumps(value, proto).escape_ascii().to_string(),
            bytes.escape_ascii().to_string(),
            "protocol {proto}"
        );
    }
}

fn error_kind(value: &Value<'_>, proto: u8) -> ErrorKind {
    Pickler::new()
        .protocol(proto)
        .dumps(value)
        .unwrap_err()
        .kind()
}

// ---- scalars ----------------------------------------------------------------

#[test]
fn ints_pick_opcodes_at_every_size_boundary() {
    // [0, 255, 256, 65535, 65536, 2**31-1, 2**31, -1, -2**31, -2**31-1,
    //  2**63-1, 2**63, -2**63, 2**64, -2**64]
    let mut g = G::default();
    let mut items: Vec<Id> = [0, 255, 256, 65535, 65536, (1 << 31) - 1, 1 << 31, -1]
        .iter()
        .map(|&i| g.int(i))
        .collect();
    items.push(g.int(-(1 << 31)));
    items.push(g.int(-(1 << 31) - 1));
    items.push(g.int(i64::MAX));
    items.push(g.big("9223372036854775808"));
    items.push(g.int(i64::MIN));
    items.push(g.big("18446744073709551616"));
    items.push(g.big("-18446744073709551616"));
    let list = g.list(&items);
    let v = g.root(list);
    check(&v, &[
        (0, b"(lp0\nI0\naI255\naI256\naI65535\naI65536\naI2147483647\naL2147483648L\naI-1\naI-2147483648\naL-2147483649L\naL9223372036854775807L\naL9223372036854775808L\naL-9223372036854775808L\naL18446744073709551616L\naL-18446744073709551616L\na."),
        (1, b"]q\x00(K\x00K\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\xff\xff\xff\x7fL2147483648L\nJ\xff\xff\xff\xffJ\x00\x00\x00\x80L-2147483649L\nL9223372036854775807L\nL9223372036854775808L\nL-9223372036854775808L\nL18446744073709551616L\nL-18446744073709551616L\ne."),
        (2, b"\x80\x02]q\x00(K\x00K\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\xff\xff\xff\x7f\x8a\x05\x00\x00\x00\x80\x00J\xff\xff\xff\xffJ\x00\x00\x00\x80\x8a\x05\xff\xff\xff\x7f\xff\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xffe."),
        (4, b"\x80\x04\x95f\x00\x00\x00\x00\x00\x00\x00]\x94(K\x00K\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\xff\xff\xff\x7f\x8a\x05\x00\x00\x00\x80\x00J\xff\xff\xff\xffJ\x00\x00\x00\x80\x8a\x05\xff\xff\xff\x7f\xff\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xffe."),
    ]);
}

#[test]
fn huge_ints_switch_from_long1_to_long4_and_stay_in_the_frame() {
    // pickle.dumps(2**2039, protocol=5): LONG4 of 256 bytes, inside a frame
    let mut g = G::default();
    let two = BigInt::from(2);
    let n = g.add(Object::int(two.pow(2039)));
    let v = g.root(n);
    let out = dumps(&v, 5);
    assert_eq!(
        &out[..16],
        b"\x80\x05\x95\x06\x01\x00\x00\x00\x00\x00\x00\x8b\x00\x01\x00\x00"
    );
    assert_eq!(out.len(), 2 + 9 + 5 + 256 + 1);
}

#[test]
fn bools_are_newtrue_from_protocol_2_and_i01_before() {
    // [True, False, None]
    let mut g = G::default();
    let t = g.add(Object::Bool(true));
    let f = g.add(Object::Bool(false));
    let n = g.none();
    let list = g.list(&[t, f, n]);
    let v = g.root(list);
    check(
        &v,
        &[
            (0, b"(lp0\nI01\naI00\naNa."),
            (1, b"]q\x00(I01\nI00\nNe."),
            (2, b"\x80\x02]q\x00(\x88\x89Ne."),
            (
                4,
                b"\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00]\x94(\x88\x89Ne.",
            ),
        ],
    );
}

#[test]
fn floats_are_binfloat_or_repr_text_at_protocol_0() {
    // [0.1, 1e16, -0.0, float('nan'), float('inf'), 1.5]
    let mut g = G::default();
    let items: Vec<Id> = [0.1, 1e16, -0.0, f64::NAN, f64::INFINITY, 1.5]
        .iter()
        .map(|&x| g.float(x))
        .collect();
    let list = g.list(&items);
    let v = g.root(list);
    check(&v, &[
        (0, b"(lp0\nF0.1\naF1e+16\naF-0.0\naFnan\naFinf\naF1.5\na."),
        (1, b"]q\x00(G?\xb9\x99\x99\x99\x99\x99\x9aGCA\xc3y7\xe0\x80\x00G\x80\x00\x00\x00\x00\x00\x00\x00G\x7f\xf8\x00\x00\x00\x00\x00\x00G\x7f\xf0\x00\x00\x00\x00\x00\x00G?\xf8\x00\x00\x00\x00\x00\x00e."),
    ]);
}

#[test]
fn complex_reduces_to_builtins_complex_with_a_memoized_args_tuple() {
    // [1+2j, complex(-0.0, float('inf'))]
    let mut g = G::default();
    let a = g.add(Object::Complex(Complex { re: 1.0, im: 2.0 }));
    let b = g.add(Object::Complex(Complex {
        re: -0.0,
        im: f64::INFINITY,
    }));
    let list = g.list(&[a, b]);
    let v = g.root(list);
    check(&v, &[
        (0, b"(lp0\nc__builtin__\ncomplex\np1\n(F1.0\nF2.0\ntp2\nRp3\nag1\n(F-0.0\nFinf\ntp4\nRp5\na."),
        (2, b"\x80\x02]q\x00(c__builtin__\ncomplex\nq\x01G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q\x02Rq\x03h\x01G\x80\x00\x00\x00\x00\x00\x00\x00G\x7f\xf0\x00\x00\x00\x00\x00\x00\x86q\x04Rq\x05e."),
        (3, b"\x80\x03]q\x00(cbuiltins\ncomplex\nq\x01G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q\x02Rq\x03h\x01G\x80\x00\x00\x00\x00\x00\x00\x00G\x7f\xf0\x00\x00\x00\x00\x00\x00\x86q\x04Rq\x05e."),
        (4, b"\x80\x04\x95J\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08builtins\x94\x8c\x07complex\x94\x93\x94G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86\x94R\x94h\x03G\x80\x00\x00\x00\x00\x00\x00\x00G\x7f\xf0\x00\x00\x00\x00\x00\x00\x86\x94R\x94e."),
    ]);
}

// ---- str, bytes, bytearray ------------------------------------------------------

#[test]
fn str_at_protocol_0_is_raw_unicode_escape() {
    // ['a\\b\nc\rd\x00e\x1af\x7f\xe9\u1234\U0001f40d']
    let mut g = G::default();
    let s = g.str("a\\b\nc\rd\0e\x1af\x7f\u{e9}\u{1234}\u{1f40d}");
    let list = g.list(&[s]);
    let v = g.root(list);
    check(
        &v,
        &[(
            0,
            b"(lp0\nVa\\u005cb\\u000ac\\u000dd\\u0000e\\u001af\x7f\xe9\\u1234\\U0001f40d\np1\na.",
        )],
    );
}

#[test]
fn str_of_255_bytes_is_short_binunicode_and_256_is_binunicode() {
    // ['a'*255, 'a'*256]
    let mut g = G::default();
    let a = g.str(&"a".repeat(255));
    let b = g.str(&"a".repeat(256));
    let list = g.list(&[a, b]);
    let v = g.root(list);
    let a255 = [b'a'; 255];
    let a256 = [b'a'; 256];
    let p3 = [
        &b"\x80\x03]q\x00(X\xff\x00\x00\x00"[..],
        &a255,
        b"q\x01X\x00\x01\x00\x00",
        &a256,
        b"q\x02e.",
    ]
    .concat();
    let p4 = [
        &b"\x80\x04\x95\x0d\x02\x00\x00\x00\x00\x00\x00]\x94(\x8c\xff"[..],
        &a255,
        b"\x94X\x00\x01\x00\x00",
        &a256,
        b"\x94e.",
    ]
    .concat();
    check(&v, &[(3, &p3), (4, &p4)]);
}

#[test]
fn bytes_below_protocol_3_reduce_to_codecs_encode_with_a_shared_latin1() {
    // [bytes([97,98]), bytes([99,100]), bytes(), bytes(), b1(), chr(97), b1()]
    // where b1() = bytes(bytearray(b'a')) is a 1-byte bytes as loading makes
    // it: not the cached b'a'. The empty bytes and the 1-character str are
    // CPython's cached singletons, and the latin-1 text of b'a' is that 'a'.
    let mut g = G::default();
    let ab = g.bytes(b"ab");
    let cd = g.bytes(b"cd");
    let e1 = g.bytes(b"");
    let e2 = g.bytes(b"");
    let a1 = g.bytes(b"a");
    let s = g.str("a");
    let a2 = g.bytes(b"a");
    let list = g.list(&[ab, cd, e1, e2, a1, s, a2]);
    let v = g.root(list);
    check(&v, &[
        (0, b"(lp0\nc_codecs\nencode\np1\n(Vab\np2\nVlatin1\np3\ntp4\nRp5\nag1\n(Vcd\np6\ng3\ntp7\nRp8\nac__builtin__\nbytes\np9\n(tRp10\nag10\nag1\n(Va\np11\ng3\ntp12\nRp13\nag11\nag1\n(g11\ng3\ntp14\nRp15\na."),
        (1, b"]q\x00(c_codecs\nencode\nq\x01(X\x02\x00\x00\x00abq\x02X\x06\x00\x00\x00latin1q\x03tq\x04Rq\x05h\x01(X\x02\x00\x00\x00cdq\x06h\x03tq\x07Rq\x08c__builtin__\nbytes\nq\x09)Rq\nh\nh\x01(X\x01\x00\x00\x00aq\x0bh\x03tq\x0cRq\x0dh\x0bh\x01(h\x0bh\x03tq\x0eRq\x0fe."),
        (2, b"\x80\x02]q\x00(c_codecs\nencode\nq\x01X\x02\x00\x00\x00abq\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05h\x01X\x02\x00\x00\x00cdq\x06h\x03\x86q\x07Rq\x08c__builtin__\nbytes\nq\x09)Rq\nh\nh\x01X\x01\x00\x00\x00aq\x0bh\x03\x86q\x0cRq\x0dh\x0bh\x01h\x0bh\x03\x86q\x0eRq\x0fe."),
        (3, b"\x80\x03]q\x00(C\x02abq\x01C\x02cdq\x02C\x00q\x03h\x03C\x01aq\x04X\x01\x00\x00\x00aq\x05C\x01aq\x06e."),
        (5, b"\x80\x05\x95 \x00\x00\x00\x00\x00\x00\x00]\x94(C\x02ab\x94C\x02cd\x94C\x00\x94h\x03C\x01a\x94\x8c\x01a\x94C\x01a\x94e."),
    ]);
}

#[test]
fn a_qualname_equal_to_its_module_is_a_separate_str() {
    // [datetime.datetime, datetime.date]: the C type's qualname is a fresh str
    let mut g = G::default();
    let dt = g.global("datetime", "datetime");
    let d = g.global("datetime", "date");
    let list = g.list(&[dt, d]);
    let v = g.root(list);
    check(&v, &[(
        4,
        b"\x80\x04\x95(\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08datetime\x94\x8c\x08datetime\x94\x93\x94h\x01\x8c\x04date\x94\x93\x94e.",
    )]);
}

#[test]
fn slots_state_is_unpicklable_at_protocols_0_and_1_as_in_copyreg() {
    // fixture_classes.Slotted(1, 'why'): state (None, {'x': 1, 'y': 'why'})
    let mut g = G::default();
    let class = g.global("fixture_classes", "Slotted");
    let (none, x, one, y, why) = (g.none(), g.str("x"), g.int(1), g.str("y"), g.str("why"));
    let slots = g.dict(&[(x, one), (y, why)]);
    let state = g.tuple(&[none, slots]);
    let inst = g.plain(class, Some(state));
    let v = g.root(inst);
    assert_eq!(error_kind(&v, 0), ErrorKind::Unpicklable);
    assert_eq!(error_kind(&v, 1), ErrorKind::Unpicklable);
    // pickle.dumps(fc.Slotted(1, 'why'), 2)
    check(&v, &[(
        2,
        b"\x80\x02cfixture_classes\nSlotted\nq\x00)\x81q\x01N}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04X\x03\x00\x00\x00whyq\x05u\x86q\x06b.",
    )]);
}

#[test]
fn bytearray_is_bytearray8_at_5_and_a_reduce_of_fresh_bytes_below() {
    // [bytearray(b'ab'), bytearray(), bytearray(b'a'), bytes([97])]
    // bytes(bytearray(b'a')) is a new object, not the cached b'a'.
    let mut g = G::default();
    let ab = g.add(Object::ByteArray(b"ab"[..].into()));
    let empty = g.add(Object::ByteArray(Vec::new().into()));
    let a = g.add(Object::ByteArray(b"a"[..].into()));
    let b = g.bytes(b"a");
    let list = g.list(&[ab, empty, a, b]);
    let v = g.root(list);
    check(&v, &[
        (0, b"(lp0\nc__builtin__\nbytearray\np1\n(c_codecs\nencode\np2\n(Vab\np3\nVlatin1\np4\ntp5\nRp6\ntp7\nRp8\nag1\n(tRp9\nag1\n(g2\n(Va\np10\ng4\ntp11\nRp12\ntp13\nRp14\nag2\n(g10\ng4\ntp15\nRp16\na."),
        (2, b"\x80\x02]q\x00(c__builtin__\nbytearray\nq\x01c_codecs\nencode\nq\x02X\x02\x00\x00\x00abq\x03X\x06\x00\x00\x00latin1q\x04\x86q\x05Rq\x06\x85q\x07Rq\x08h\x01)Rq\x09h\x01h\x02X\x01\x00\x00\x00aq\nh\x04\x86q\x0bRq\x0c\x85q\x0dRq\x0eh\x02h\nh\x04\x86q\x0fRq\x10e."),
        (3, b"\x80\x03]q\x00(cbuiltins\nbytearray\nq\x01C\x02abq\x02\x85q\x03Rq\x04h\x01)Rq\x05h\x01C\x01aq\x06\x85q\x07Rq\x08C\x01aq\x09e."),
        (4, b"\x80\x04\x95:\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08builtins\x94\x8c\x09bytearray\x94\x93\x94C\x02ab\x94\x85\x94R\x94h\x03)R\x94h\x03C\x01a\x94\x85\x94R\x94C\x01a\x94e."),
        (5, b"\x80\x05\x95*\x00\x00\x00\x00\x00\x00\x00]\x94(\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94\x96\x00\x00\x00\x00\x00\x00\x00\x00\x94\x96\x01\x00\x00\x00\x00\x00\x00\x00a\x94C\x01a\x94e."),
    ]);
}

// ---- containers -----------------------------------------------------------------

#[test]
fn tuples_use_tuple1_to_3_from_protocol_2_and_empty_tuples_are_not_memoized() {
    // [(), (1,), (1,2), (1,2,3), (1,2,3,4), ((),)]
    let mut g = G::default();
    let (one, two, three, four) = (g.int(1), g.int(2), g.int(3), g.int(4));
    let t0 = g.tuple(&[]);
    let t1 = g.tuple(&[one]);
    let t2 = g.tuple(&[one, two]);
    let t3 = g.tuple(&[one, two, three]);
    let t4 = g.tuple(&[one, two, three, four]);
    let t5 = g.tuple(&[t0]);
    let list = g.list(&[t0, t1, t2, t3, t4, t5]);
    let v = g.root(list);
    check(&v, &[
        (0, b"(lp0\n(ta(I1\ntp1\na(I1\nI2\ntp2\na(I1\nI2\nI3\ntp3\na(I1\nI2\nI3\nI4\ntp4\na((ttp5\na."),
        (1, b"]q\x00()(K\x01tq\x01(K\x01K\x02tq\x02(K\x01K\x02K\x03tq\x03(K\x01K\x02K\x03K\x04tq\x04()tq\x05e."),
        (2, b"\x80\x02]q\x00()K\x01\x85q\x01K\x01K\x02\x86q\x02K\x01K\x02K\x03\x87q\x03(K\x01K\x02K\x03K\x04tq\x04)\x85q\x05e."),
        (4, b"\x80\x04\x95&\x00\x00\x00\x00\x00\x00\x00]\x94()K\x01\x85\x94K\x01K\x02\x86\x94K\x01K\x02K\x03\x87\x94(K\x01K\x02K\x03K\x04t\x94)\x85\x94e."),
    ]);
}

#[test]
fn dicts_use_setitem_for_one_pair_and_setitems_for_more() {
    // [{}, {1: 2}, {1: 2, 3: 4}]
    let mut g = G::default();
    let (one, two, three, four) = (g.int(1), g.int(2), g.int(3), g.int(4));
    let d0 = g.dict(&[]);
    let d1 = g.dict(&[(one, two)]);
    let d2 = g.dict(&[(one, two), (three, four)]);
    let list = g.list(&[d0, d1, d2]);
    let v = g.root(list);
    check(&v, &[
        (0, b"(lp0\n(dp1\na(dp2\nI1\nI2\nsa(dp3\nI1\nI2\nsI3\nI4\nsa."),
        (1, b"]q\x00(}q\x01}q\x02K\x01K\x02s}q\x03(K\x01K\x02K\x03K\x04ue."),
        (4, b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00]\x94(}\x94}\x94K\x01K\x02s}\x94(K\x01K\x02K\x03K\x04ue."),
    ]);
}

#[test]
fn sets_reduce_below_protocol_4_and_use_empty_set_and_frozenset_opcodes_from_4() {
    // [set(), {1, 2}, frozenset(), frozenset([3])]
    let mut g = G::default();
    let (one, two, three) = (g.int(1), g.int(2), g.int(3));
    let s0 = g.add(Object::Set(vec![]));
    let s2 = g.add(Object::Set(vec![one, two]));
    let f0 = g.add(Object::FrozenSet(vec![]));
    let f1 = g.add(Object::FrozenSet(vec![three]));
    let list = g.list(&[s0, s2, f0, f1]);
    let v = g.root(list);
    check(&v, &[
        (0, b"(lp0\nc__builtin__\nset\np1\n((lp2\ntp3\nRp4\nag1\n((lp5\nI1\naI2\natp6\nRp7\nac__builtin__\nfrozenset\np8\n((lp9\ntp10\nRp11\nag8\n((lp12\nI3\natp13\nRp14\na."),
        (1, b"]q\x00(c__builtin__\nset\nq\x01(]q\x02tq\x03Rq\x04h\x01(]q\x05(K\x01K\x02etq\x06Rq\x07c__builtin__\nfrozenset\nq\x08(]q\x09tq\nRq\x0bh\x08(]q\x0cK\x03atq\x0dRq\x0ee."),
        (3, b"\x80\x03]q\x00(cbuiltins\nset\nq\x01]q\x02\x85q\x03Rq\x04h\x01]q\x05(K\x01K\x02e\x85q\x06Rq\x07cbuiltins\nfrozenset\nq\x08]q\x09\x85q\nRq\x0bh\x08]q\x0cK\x03a\x85q\x0dRq\x0ee."),
        (4, b"\x80\x04\x95\x17\x00\x00\x00\x00\x00\x00\x00]\x94(\x8f\x94\x8f\x94(K\x01K\x02\x90(\x91\x94(K\x03\x91\x94e."),
    ]);
}

/// `list(range(n))`, `dict.fromkeys(range(n))` or `set(range(n))`.
fn range_graph(n: i64, kind: &str) -> Value<'static> {
    let mut g = G::default();
    let items: Vec<Id> = (0..n).map(|i| g.int(i)).collect();
    let root = match kind {
        "list" => g.list(&items),
        "dict" => {
            let none = g.none();
            let pairs: Vec<(Id, Id)> = items.iter().map(|&k| (k, none)).collect();
            g.dict(&pairs)
        }
        _ => g.add(Object::Set(items)),
    };
    g.root(root)
}

#[test]
fn list_items_are_batched_by_1000_and_a_leftover_item_still_gets_mark_appends() {
    // (n, protocol, len(pickle.dumps(list(range(n)), p)), its last 12 bytes)
    let cases: [(i64, u8, usize, &[u8]); 8] = [
        (999, 1, 2747, b"\x03M\xe4\x03M\xe5\x03M\xe6\x03e."),
        (1000, 1, 2750, b"\x03M\xe5\x03M\xe6\x03M\xe7\x03e."),
        (1001, 1, 2755, b"\xe6\x03M\xe7\x03e(M\xe8\x03e."),
        (2500, 1, 7254, b"\tM\xc1\tM\xc2\tM\xc3\te."),
        (999, 4, 2757, b"\x03M\xe4\x03M\xe5\x03M\xe6\x03e."),
        (1000, 4, 2760, b"\x03M\xe5\x03M\xe6\x03M\xe7\x03e."),
        (1001, 4, 2765, b"\xe6\x03M\xe7\x03e(M\xe8\x03e."),
        (2500, 4, 7264, b"\tM\xc1\tM\xc2\tM\xc3\te."),
    ];
    for (n, proto, len, tail) in cases {
        let out = dumps(&range_graph(n, "list"), proto);
        assert_eq!(out.len(), len, "n={n} protocol {proto}");
        assert!(out.ends_with(tail), "n={n} protocol {proto}");
    }
    // pickle.dumps(list(range(1001)), 0)[-12:] == b'99\naI1000\na.'
    assert!(dumps(&range_graph(1001, "list"), 0).ends_with(b"99\naI1000\na."));
}

#[test]
fn dict_items_are_batched_by_1000_and_a_full_batch_is_followed_by_an_empty_one() {
    // (n, protocol, len(pickle.dumps(dict.fromkeys(range(n)), p)), its last 12 bytes)
    let cases: [(i64, u8, usize, &[u8]); 8] = [
        (999, 1, 3746, b"\x03NM\xe5\x03NM\xe6\x03Nu."),
        (1000, 1, 3752, b"M\xe6\x03NM\xe7\x03Nu(u."),
        (1001, 1, 3756, b"M\xe7\x03Nu(M\xe8\x03Nu."),
        (2500, 1, 9754, b"\tNM\xc2\tNM\xc3\tNu."),
        (999, 4, 3756, b"\x03NM\xe5\x03NM\xe6\x03Nu."),
        (1000, 4, 3762, b"M\xe6\x03NM\xe7\x03Nu(u."),
        (1001, 4, 3766, b"M\xe7\x03Nu(M\xe8\x03Nu."),
        (2500, 4, 9764, b"\tNM\xc2\tNM\xc3\tNu."),
    ];
    for (n, proto, len, tail) in cases {
        let out = dumps(&range_graph(n, "dict"), proto);
        assert_eq!(out.len(), len, "n={n} protocol {proto}");
        assert!(out.ends_with(tail), "n={n} protocol {proto}");
    }
    // pickle.dumps(dict.fromkeys(range(1001)), 0)[-12:] == b'\nNsI1000\nNs.'
    assert!(dumps(&range_graph(1001, "dict"), 0).ends_with(b"\nNsI1000\nNs."));
}

#[test]
fn set_items_are_batched_by_1000_with_additems_from_protocol_4() {
    // (n, len(pickle.dumps(set(range(n)), 4)), its last 12 bytes)
    let cases: [(i64, usize, &[u8]); 4] = [
        (999, 2757, b"\x03M\xe4\x03M\xe5\x03M\xe6\x03\x90."),
        (1000, 2762, b"\xe5\x03M\xe6\x03M\xe7\x03\x90(\x90."),
        (1001, 2765, b"\xe6\x03M\xe7\x03\x90(M\xe8\x03\x90."),
        (2500, 7264, b"\tM\xc1\tM\xc2\tM\xc3\t\x90."),
    ];
    for (n, len, tail) in cases {
        let out = dumps(&range_graph(n, "set"), 4);
        assert_eq!(out.len(), len, "n={n}");
        assert!(out.ends_with(tail), "n={n}");
    }
    // pickle.dumps(set(range(1001)), 3)[-17:]: the set's items go in a list
    let out = dumps(&range_graph(1001, "set"), 3);
    assert!(out.ends_with(b"\x03M\xe7\x03e(M\xe8\x03e\x85q\x02Rq\x03."));
}

// ---- memo: shared and recursive references ----------------------------------

#[test]
fn shared_lists_are_written_once_then_fetched_from_the_memo() {
    // a = [1]; b = [a, a]; c = [b, b]
    let mut g = G::default();
    let one = g.int(1);
    let a = g.list(&[one]);
    let b = g.list(&[a, a]);
    let c = g.list(&[b, b]);
    let v = g.root(c);
    check(
        &v,
        &[
            (0, b"(lp0\n(lp1\n(lp2\nI1\naag2\naag1\na."),
            (1, b"]q\x00(]q\x01(]q\x02K\x01ah\x02eh\x01e."),
            (2, b"\x80\x02]q\x00(]q\x01(]q\x02K\x01ah\x02eh\x01e."),
            (3, b"\x80\x03]q\x00(]q\x01(]q\x02K\x01ah\x02eh\x01e."),
            (
                4,
                b"\x80\x04\x95\x12\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94(]\x94K\x01ah\x02eh\x01e.",
            ),
            (
                5,
                b"\x80\x05\x95\x12\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94(]\x94K\x01ah\x02eh\x01e.",
            ),
        ],
    );
}

#[test]
fn list_containing_itself_is_memoized_before_its_items() {
    // a = [1]; a.append(a)
    let mut g = G::default();
    let one = g.int(1);
    let a = g.list(&[one]);
    g.append(a, a);
    let v = g.root(a);
    check(
        &v,
        &[
            (0, b"(lp0\nI1\nag0\na."),
            (1, b"]q\x00(K\x01h\x00e."),
            (
                4,
                b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01h\x00e.",
            ),
        ],
    );
}

#[test]
fn dict_containing_itself_is_memoized_before_its_items() {
    // d = {'x': 1}; d['self'] = d
    let mut g = G::default();
    let (x, one, selfkey) = (g.str("x"), g.int(1), g.str("self"));
    let d = g.dict(&[(x, one)]);
    if let Object::Dict(pairs) = g.v.get_mut(d) {
        pairs.push((selfkey, d));
    }
    let v = g.root(d);
    check(&v, &[
        (0, b"(dp0\nVx\np1\nI1\nsVself\np2\ng0\ns."),
        (2, b"\x80\x02}q\x00(X\x01\x00\x00\x00xq\x01K\x01X\x04\x00\x00\x00selfq\x02h\x00u."),
        (4, b"\x80\x04\x95\x14\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01x\x94K\x01\x8c\x04self\x94h\x00u."),
    ]);
}

#[test]
fn recursive_tuple_pops_its_items_and_fetches_the_memoized_copy() {
    // lst = []; t = (lst, 1); lst.append(t)
    let mut g = G::default();
    let lst = g.list(&[]);
    let one = g.int(1);
    let t = g.tuple(&[lst, one]);
    g.append(lst, t);
    let v = g.root(t);
    check(&v, &[
        (0, b"((lp0\n(g0\nI1\ntp1\naI1\n000g1\n."),
        (1, b"(]q\x00(h\x00K\x01tq\x01aK\x011h\x01."),
        (2, b"\x80\x02]q\x00h\x00K\x01\x86q\x01aK\x0100h\x01."),
        (3, b"\x80\x03]q\x00h\x00K\x01\x86q\x01aK\x0100h\x01."),
        (4, b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00]\x94h\x00K\x01\x86\x94aK\x0100h\x01."),
        (5, b"\x80\x05\x95\x10\x00\x00\x00\x00\x00\x00\x00]\x94h\x00K\x01\x86\x94aK\x0100h\x01."),
    ]);
}

#[test]
fn recursive_tuple_of_four_pops_to_the_mark() {
    // lst = []; t = (lst, 1, 2, 3); lst.append(t)
    let mut g = G::default();
    let lst = g.list(&[]);
    let (one, two, three) = (g.int(1), g.int(2), g.int(3));
    let t = g.tuple(&[lst, one, two, three]);
    g.append(lst, t);
    let v = g.root(t);
    check(&v, &[
        (0, b"((lp0\n(g0\nI1\nI2\nI3\ntp1\naI1\nI2\nI3\n00000g1\n."),
        (1, b"(]q\x00(h\x00K\x01K\x02K\x03tq\x01aK\x01K\x02K\x031h\x01."),
        (2, b"\x80\x02(]q\x00(h\x00K\x01K\x02K\x03tq\x01aK\x01K\x02K\x031h\x01."),
        (4, b"\x80\x04\x95\x19\x00\x00\x00\x00\x00\x00\x00(]\x94(h\x00K\x01K\x02K\x03t\x94aK\x01K\x02K\x031h\x01."),
    ]);
}

#[test]
fn tuple_containing_itself_without_a_list_is_unpicklable_not_a_hang() {
    // CPython raises RecursionError for such objects (they cannot be built in Python).
    let mut g = G::default();
    let t = g.tuple(&[]);
    if let Object::Tuple(items) = g.v.get_mut(t) {
        items.push(t);
    }
    let v = g.root(t);
    for proto in 0..=5 {
        assert_eq!(error_kind(&v, proto), ErrorKind::Unpicklable);
    }
    // A frozenset containing itself, and an instance whose args contain it.
    let mut g = G::default();
    let f = g.add(Object::FrozenSet(vec![]));
    if let Object::FrozenSet(items) = g.v.get_mut(f) {
        items.push(f);
    }
    let v = g.root(f);
    assert_eq!(error_kind(&v, 4), ErrorKind::Unpicklable);
    assert_eq!(error_kind(&v, 2), ErrorKind::Unpicklable);
}

#[test]
fn equal_one_character_strs_are_one_cached_object() {
    // [chr(97), chr(97), '' + '', ''.join([]), 'ab'[:1] + 'b', 'a' + 'b'[:1]]:
    // 'a' and '' are cached singletons; 'ab' is built twice.
    let mut g = G::default();
    let items = [
        g.str("a"),
        g.str("a"),
        g.str(""),
        g.str(""),
        g.str("ab"),
        g.str("ab"),
    ];
    let list = g.list(&items);
    let v = g.root(list);
    check(&v, &[(
        2,
        b"\x80\x02]q\x00(X\x01\x00\x00\x00aq\x01h\x01X\x00\x00\x00\x00q\x02h\x02X\x02\x00\x00\x00abq\x03X\x02\x00\x00\x00abq\x04e.",
    )]);
}

// ---- framing ----------------------------------------------------------------

#[test]
fn str_of_70000_bytes_is_written_outside_any_frame() {
    // pickle.dumps('s'*70000, 4) == b'\x80\x04Xp\x11\x01\x00sss...s\x94.'
    let mut g = G::default();
    let s = g.str(&"s".repeat(70000));
    let v = g.root(s);
    let out = dumps(&v, 4);
    assert_eq!(&out[..7], b"\x80\x04Xp\x11\x01\x00");
    assert_eq!(&out[out.len() - 3..], b"s\x94.");
    assert_eq!(out.len(), 7 + 70000 + 2);

    // pickle.dumps(['s'*70000], 4): the "]\x94" frame is too small for a header
    let mut g = G::default();
    let s = g.str(&"s".repeat(70000));
    let list = g.list(&[s]);
    let v = g.root(list);
    let out = dumps(&v, 4);
    assert_eq!(&out[..9], b"\x80\x04]\x94Xp\x11\x01\x00");
    assert_eq!(&out[out.len() - 4..], b"s\x94a.");
}

#[test]
fn small_items_around_a_big_one_get_frames_of_their_own() {
    // [list(range(300)), 'b'*65600, list(range(300, 600))] at protocol 4:
    // FRAME 651 at 2, the unframed BINUNICODE at 662, FRAME 907 at 66267; 67183 bytes.
    let mut g = G::default();
    let first: Vec<Id> = (0..300).map(|i| g.int(i)).collect();
    let second: Vec<Id> = (300..600).map(|i| g.int(i)).collect();
    let a = g.list(&first);
    let b = g.str(&"b".repeat(65600));
    let c = g.list(&second);
    let root = g.list(&[a, b, c]);
    let v = g.root(root);
    let out = dumps(&v, 4);
    assert_eq!(&out[..11], b"\x80\x04\x95\x8b\x02\x00\x00\x00\x00\x00\x00");
    assert_eq!(&out[662..667], b"X@\x00\x01\x00");
    assert_eq!(&out[66267..66276], b"\x95\x8b\x03\x00\x00\x00\x00\x00\x00");
    assert_eq!(out.len(), 67183);
    assert!(out.ends_with(b"V\x02MW\x02ee."));
}

#[test]
fn many_small_items_are_cut_into_frames_of_at_least_64_kib() {
    // ['x'*1000 + str(i) for i in range(70)] at protocol 4:
    // FRAME 66521 at offset 2, FRAME 4034 at offset 66532, 70575 bytes in all.
    let mut g = G::default();
    let items: Vec<Id> = (0..70)
        .map(|i| g.str(&format!("{}{i}", "x".repeat(1000))))
        .collect();
    let list = g.list(&items);
    let v = g.root(list);
    let out = dumps(&v, 4);
    assert_eq!(out.len(), 70575);
    assert_eq!(
        &out[2..11],
        &[&[0x95][..], &66521u64.to_le_bytes()].concat()[..]
    );
    assert_eq!(
        &out[66532..66541],
        &[&[0x95][..], &4034u64.to_le_bytes()].concat()[..]
    );
}

#[test]
fn dump_streams_finished_frames_to_the_writer() {
    struct Recorder<'r>(&'r RefCell<Vec<usize>>, Vec<u8>);
    impl io::Write for Recorder<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().push(buf.len());
            self.1.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut g = G::default();
    let items: Vec<Id> = (0..700)
        .map(|i| g.str(&format!("{}{i}", "x".repeat(1000))))
        .collect();
    let list = g.list(&items);
    let v = g.root(list);
    let writes = RefCell::new(Vec::new());
    let mut recorder = Recorder(&writes, Vec::new());
    Pickler::new().protocol(4).dump(&v, &mut recorder).unwrap();
    assert_eq!(recorder.1, dumps(&v, 4));
    let writes = writes.into_inner();
    assert!(
        writes.len() >= 10,
        "one write per frame, not one at the end"
    );
    assert!(writes.iter().all(|&n| n < 64 * 1024 + 2048));
}

// ---- globals --------------------------------------------------------------------

/// `[int, dict, len, range, set, getattr, Plain, Outer.Inner, Outer.Inner]`
/// (from `fixture_classes`).
fn globals_graph() -> Value<'static> {
    let mut g = G::default();
    let mut items: Vec<Id> = [
        ("builtins", "int"),
        ("builtins", "dict"),
        ("builtins", "len"),
        ("builtins", "range"),
        ("builtins", "set"),
        ("builtins", "getattr"),
        ("fixture_classes", "Plain"),
        ("fixture_classes", "Outer.Inner"),
    ]
    .iter()
    .map(|(m, n)| g.global(m, n))
    .collect();
    // A second node naming the same global is the same object.
    items.push(g.global("fixture_classes", "Outer.Inner"));
    let list = g.list(&items);
    g.root(list)
}

#[test]
fn globals_are_global_text_with_python_2_names_below_protocol_3() {
    let v = globals_graph();
    check(&v, &[
        (0, b"(lp0\nc__builtin__\nlong\np1\nac__builtin__\ndict\np2\nac__builtin__\nlen\np3\nac__builtin__\nxrange\np4\nac__builtin__\nset\np5\nac__builtin__\ngetattr\np6\nacfixture_classes\nPlain\np7\nag6\n(cfixture_classes\nOuter\np8\nVInner\np9\ntp10\nRp11\nag11\na."),
        (2, b"\x80\x02]q\x00(c__builtin__\nlong\nq\x01c__builtin__\ndict\nq\x02c__builtin__\nlen\nq\x03c__builtin__\nxrange\nq\x04c__builtin__\nset\nq\x05c__builtin__\ngetattr\nq\x06cfixture_classes\nPlain\nq\x07h\x06cfixture_classes\nOuter\nq\x08X\x05\x00\x00\x00Innerq\x09\x86q\nRq\x0bh\x0be."),
        (3, b"\x80\x03]q\x00(cbuiltins\nint\nq\x01cbuiltins\ndict\nq\x02cbuiltins\nlen\nq\x03cbuiltins\nrange\nq\x04cbuiltins\nset\nq\x05cbuiltins\ngetattr\nq\x06cfixture_classes\nPlain\nq\x07h\x06cfixture_classes\nOuter\nq\x08X\x05\x00\x00\x00Innerq\x09\x86q\nRq\x0bh\x0be."),
    ]);
}

#[test]
fn globals_are_stack_global_with_memoized_interned_names_from_protocol_4() {
    // The builtin functions' '__module__' is another 'builtins' str than the types'.
    let v = globals_graph();
    check(&v, &[
        (4, b"\x80\x04\x95\x8a\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08builtins\x94\x8c\x03int\x94\x93\x94h\x01\x8c\x04dict\x94\x93\x94\x8c\x08builtins\x94\x8c\x03len\x94\x93\x94h\x01\x8c\x05range\x94\x93\x94h\x01\x8c\x03set\x94\x93\x94h\x06\x8c\x07getattr\x94\x93\x94\x8c\x0ffixture_classes\x94\x8c\x05Plain\x94\x93\x94h\x0f\x8c\x0bOuter.Inner\x94\x93\x94h\x13e."),
    ]);
}

#[test]
fn fix_imports_off_keeps_python_3_names() {
    // pickle.dumps([int, range], protocol=2, fix_imports=False)
    let mut g = G::default();
    let a = g.global("builtins", "int");
    let b = g.global("builtins", "range");
    let list = g.list(&[a, b]);
    let v = g.root(list);
    let out = Pickler::new()
        .protocol(2)
        .fix_imports(false)
        .dumps(&v)
        .unwrap();
    assert_eq!(
        out,
        b"\x80\x02]q\x00(cbuiltins\nint\nq\x01cbuiltins\nrange\nq\x02e."
    );
}

/// `[nest.A.B.C, nest.A.B, nest.A.B.C, nest.A.D]`, where module `nest` holds
/// `class A: class B: class C: ...; class D: ...`.
fn nested_graph() -> Value<'static> {
    let mut g = G::default();
    let abc = g.global("nest", "A.B.C");
    let ab = g.global("nest", "A.B");
    let ad = g.global("nest", "A.D");
    let list = g.list(&[abc, ab, abc, ad]);
    g.root(list)
}

#[test]
fn nested_qualnames_are_getattr_of_their_memoized_parent_below_protocol_4() {
    // Each parent is saved as a global itself, and memoized once it is made.
    check(&nested_graph(), &[
        (0, b"(lp0\nc__builtin__\ngetattr\np1\n(g1\n(cnest\nA\np2\nVB\np3\ntp4\nRp5\nVC\np6\ntp7\nRp8\nag5\nag8\nag1\n(g2\nVD\np9\ntp10\nRp11\na."),
        (2, b"\x80\x02]q\x00(c__builtin__\ngetattr\nq\x01h\x01cnest\nA\nq\x02X\x01\x00\x00\x00Bq\x03\x86q\x04Rq\x05X\x01\x00\x00\x00Cq\x06\x86q\x07Rq\x08h\x05h\x08h\x01h\x02X\x01\x00\x00\x00Dq\t\x86q\nRq\x0be."),
        (3, b"\x80\x03]q\x00(cbuiltins\ngetattr\nq\x01h\x01cnest\nA\nq\x02X\x01\x00\x00\x00Bq\x03\x86q\x04Rq\x05X\x01\x00\x00\x00Cq\x06\x86q\x07Rq\x08h\x05h\x08h\x01h\x02X\x01\x00\x00\x00Dq\t\x86q\nRq\x0be."),
        (4, b"\x80\x04\x95,\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x04nest\x94\x8c\x05A.B.C\x94\x93\x94h\x01\x8c\x03A.B\x94\x93\x94h\x03h\x01\x8c\x03A.D\x94\x93\x94e."),
    ]);
}

#[test]
fn aliases_are_written_under_the_name_of_the_object_they_name() {
    // pickle.dumps([functools.reduce, IOError, EnvironmentError, OSError,
    //               socket.SocketType], protocol=N): one object, one memo entry.
    let mut g = G::default();
    let items: Vec<Id> = [
        ("functools", "reduce"),
        ("builtins", "IOError"),
        ("builtins", "EnvironmentError"),
        ("builtins", "OSError"),
        ("socket", "SocketType"),
    ]
    .iter()
    .map(|(m, n)| g.global(m, n))
    .collect();
    let list = g.list(&items);
    check(&g.root(list), &[
        (0, b"(lp0\nc__builtin__\nreduce\np1\nacexceptions\nOSError\np2\nag2\nag2\nacsocket\n_socketobject\np3\na."),
        (2, b"\x80\x02]q\x00(c__builtin__\nreduce\nq\x01cexceptions\nOSError\nq\x02h\x02h\x02csocket\n_socketobject\nq\x03e."),
        (3, b"\x80\x03]q\x00(c_functools\nreduce\nq\x01cbuiltins\nOSError\nq\x02h\x02h\x02c_socket\nsocket\nq\x03e."),
        (4, b"\x80\x04\x95M\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\n_functools\x94\x8c\x06reduce\x94\x93\x94\x8c\x08builtins\x94\x8c\x07OSError\x94\x93\x94h\x06h\x06\x8c\x07_socket\x94\x8c\x06socket\x94\x93\x94e."),
    ]);
}

/// A pickler with `copyreg.add_extension('fixture_classes', 'ExtOne', 1)`,
/// `(..., 'ext_two', 300)` and `(..., 'ExtThree', 70000)`.
fn ext_pickler(protocol: u8) -> Pickler<'static> {
    Pickler::new()
        .protocol(protocol)
        .extension(1, "fixture_classes", "ExtOne")
        .extension(300, "fixture_classes", "ext_two")
        .extension(70000, "fixture_classes", "ExtThree")
}

#[test]
fn registered_globals_are_ext_codes_from_protocol_2_and_never_memoized() {
    // [ExtOne, ext_two, ExtThree, ExtOne(), ExtThree(), ExtOne]
    let mut g = G::default();
    let one = g.global("fixture_classes", "ExtOne");
    let two = g.global("fixture_classes", "ext_two");
    let three = g.global("fixture_classes", "ExtThree");
    let (a, b) = (g.plain(one, None), g.plain(three, None));
    let list = g.list(&[one, two, three, a, b, one]);
    let v = g.root(list);
    for (protocol, expected) in [
        (1, &b"]q\x00(cfixture_classes\nExtOne\nq\x01cfixture_classes\next_two\nq\x02cfixture_classes\nExtThree\nq\x03ccopy_reg\n_reconstructor\nq\x04(h\x01c__builtin__\nobject\nq\x05Ntq\x06Rq\x07h\x04(h\x03h\x05Ntq\x08Rq\th\x01e."[..]),
        (2, b"\x80\x02]q\x00(\x82\x01\x83,\x01\x84p\x11\x01\x00\x82\x01)\x81q\x01\x84p\x11\x01\x00)\x81q\x02\x82\x01e."),
        (4, b"\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00]\x94(\x82\x01\x83,\x01\x84p\x11\x01\x00\x82\x01)\x81\x94\x84p\x11\x01\x00)\x81\x94\x82\x01e."),
    ] {
        let out = ext_pickler(protocol).dumps(&v).unwrap();
        assert_eq!(
            out.escape_ascii().to_string(),
            expected.escape_ascii().to_string(),
            "protocol {protocol}"
        );
    }
}

#[test]
fn a_registered_nested_qualname_is_its_code_and_a_parent_of_others() {
    // copyreg.add_extension('nest', 'A.B', 7)
    // pickle.dumps([nest.A.B, nest.A.B.C], protocol=N)
    let mut g = G::default();
    let ab = g.global("nest", "A.B");
    let abc = g.global("nest", "A.B.C");
    let list = g.list(&[ab, abc]);
    let v = g.root(list);
    for (protocol, expected) in [
        (1, &b"]q\x00(c__builtin__\ngetattr\nq\x01(cnest\nA\nq\x02X\x01\x00\x00\x00Bq\x03tq\x04Rq\x05h\x01(h\x05X\x01\x00\x00\x00Cq\x06tq\x07Rq\x08e."[..]),
        (2, b"\x80\x02]q\x00(\x82\x07c__builtin__\ngetattr\nq\x01\x82\x07X\x01\x00\x00\x00Cq\x02\x86q\x03Rq\x04e."),
        (4, b"\x80\x04\x95\x18\x00\x00\x00\x00\x00\x00\x00]\x94(\x82\x07\x8c\x04nest\x94\x8c\x05A.B.C\x94\x93\x94e."),
    ] {
        let out = Pickler::new()
            .protocol(protocol)
            .extension(7, "nest", "A.B")
            .dumps(&v)
            .unwrap();
        assert_eq!(
            out.escape_ascii().to_string(),
            expected.escape_ascii().to_string(),
            "protocol {protocol}"
        );
    }
}

#[test]
fn extension_codes_out_of_cpython_range_are_unpicklable_from_protocol_2() {
    let mut g = G::default();
    let one = g.global("fixture_classes", "ExtOne");
    let v = g.root(one);
    for code in [0, -1] {
        let pickler = |protocol| {
            Pickler::new()
                .protocol(protocol)
                .extension(code, "fixture_classes", "ExtOne")
        };
        let err = pickler(2).dumps(&v).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unpicklable);
        // Below protocol 2 the registry is not used.
        assert!(pickler(1).dumps(&v).is_ok());
    }
}

#[test]
fn local_and_non_ascii_globals_are_unpicklable_where_cpython_refuses_them() {
    let mut g = G::default();
    let local = g.global("m", "f.<locals>.C");
    let v = g.root(local);
    assert_eq!(error_kind(&v, 4), ErrorKind::Unpicklable);
    let mut g = G::default();
    let accented = g.global("m", "caf\u{e9}");
    let v = g.root(accented);
    assert_eq!(error_kind(&v, 2), ErrorKind::Unpicklable);
    // pickle.dumps at protocol 3 writes GLOBAL names as UTF-8.
    assert_eq!(dumps(&v, 3), b"\x80\x03cm\ncaf\xc3\xa9\nq\x00.");
}

// ---- opaque instances ---------------------------------------------------------------

/// `fixture_classes.Plain(1, [2, 'three'])`, as loaded.
fn plain_graph() -> Value<'static> {
    let mut g = G::default();
    let class = g.global("fixture_classes", "Plain");
    let (a, one, b, two, three) = (g.str("a"), g.int(1), g.str("b"), g.int(2), g.str("three"));
    let list = g.list(&[two, three]);
    let state = g.dict(&[(a, one), (b, list)]);
    let inst = g.plain(class, Some(state));
    g.root(inst)
}

#[test]
fn plain_instance_is_newobj_then_build_from_protocol_2() {
    let v = plain_graph();
    check(&v, &[
        (2, b"\x80\x02cfixture_classes\nPlain\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00aq\x03K\x01X\x01\x00\x00\x00bq\x04]q\x05(K\x02X\x05\x00\x00\x00threeq\x06eub."),
        (3, b"\x80\x03cfixture_classes\nPlain\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00aq\x03K\x01X\x01\x00\x00\x00bq\x04]q\x05(K\x02X\x05\x00\x00\x00threeq\x06eub."),
        (4, b"\x80\x04\x95=\x00\x00\x00\x00\x00\x00\x00\x8c\x0ffixture_classes\x94\x8c\x05Plain\x94\x93\x94)\x81\x94}\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94]\x94(K\x02\x8c\x05three\x94eub."),
    ]);
}

#[test]
fn plain_instance_is_copyreg_reconstructor_at_protocols_0_and_1() {
    let v = plain_graph();
    check(&v, &[
        (0, b"ccopy_reg\n_reconstructor\np0\n(cfixture_classes\nPlain\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVa\np6\nI1\nsVb\np7\n(lp8\nI2\naVthree\np9\nasb."),
        (1, b"ccopy_reg\n_reconstructor\nq\x00(cfixture_classes\nPlain\nq\x01c__builtin__\nobject\nq\x02Ntq\x03Rq\x04}q\x05(X\x01\x00\x00\x00aq\x06K\x01X\x01\x00\x00\x00bq\x07]q\x08(K\x02X\x05\x00\x00\x00threeq\x09eub."),
    ]);
}

#[test]
fn instance_state_keys_are_interned_strs_apart_from_equal_data_strs() {
    // [Plain('b', 'a'), 'a'] loaded: BUILD interned the keys 'a' and 'b',
    // the values stay the cached 1-character strs (the corpus case
    // instance_attr_name_as_value, redumped).
    let mut g = G::default();
    let class = g.global("fixture_classes", "Plain");
    let (a, b) = (g.str("a"), g.str("b"));
    let state = g.dict(&[(a, b), (b, a)]);
    let inst = g.plain(class, Some(state));
    let list = g.list(&[inst, a]);
    let v = g.root(list);
    check(&v, &[
        (0, b"(lp0\nccopy_reg\n_reconstructor\np1\n(cfixture_classes\nPlain\np2\nc__builtin__\nobject\np3\nNtp4\nRp5\n(dp6\nVa\np7\nVb\np8\nsVb\np9\nVa\np10\nsbag10\na."),
        (2, b"\x80\x02]q\x00(cfixture_classes\nPlain\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00aq\x04X\x01\x00\x00\x00bq\x05X\x01\x00\x00\x00bq\x06X\x01\x00\x00\x00aq\x07ubh\x07e."),
        (4, b"\x80\x04\x95;\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x0ffixture_classes\x94\x8c\x05Plain\x94\x93\x94)\x81\x94}\x94(\x8c\x01a\x94\x8c\x01b\x94\x8c\x01b\x94\x8c\x01a\x94ubh\te."),
    ]);
}

#[test]
fn instances_share_their_class_and_interned_attribute_names() {
    // [Plain(1, 'x'), Plain(2, 'y')], each state built from its own key strs
    let mut g = G::default();
    let class = g.global("fixture_classes", "Plain");
    let mut items = vec![];
    for (n, s) in [(1, "x"), (2, "y")] {
        let (a, i, b, v) = (g.str("a"), g.int(n), g.str("b"), g.str(s));
        let state = g.dict(&[(a, i), (b, v)]);
        items.push(g.plain(class, Some(state)));
    }
    let list = g.list(&items);
    let v = g.root(list);
    check(&v, &[
        (1, b"]q\x00(ccopy_reg\n_reconstructor\nq\x01(cfixture_classes\nPlain\nq\x02c__builtin__\nobject\nq\x03Ntq\x04Rq\x05}q\x06(X\x01\x00\x00\x00aq\x07K\x01X\x01\x00\x00\x00bq\x08X\x01\x00\x00\x00xq\x09ubh\x01(h\x02h\x03Ntq\nRq\x0b}q\x0c(h\x07K\x02h\x08X\x01\x00\x00\x00yq\x0dube."),
        (2, b"\x80\x02]q\x00(cfixture_classes\nPlain\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00aq\x04K\x01X\x01\x00\x00\x00bq\x05X\x01\x00\x00\x00xq\x06ubh\x01)\x81q\x07}q\x08(h\x04K\x02h\x05X\x01\x00\x00\x00yq\x09ube."),
        (4, b"\x80\x04\x95K\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x0ffixture_classes\x94\x8c\x05Plain\x94\x93\x94)\x81\x94}\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94\x8c\x01x\x94ubh\x03)\x81\x94}\x94(h\x06K\x02h\x07\x8c\x01y\x94ube."),
    ]);
}

#[test]
fn empty_instance_writes_no_build() {
    // fixture_classes.Empty()
    let mut g = G::default();
    let class = g.global("fixture_classes", "Empty");
    let inst = g.plain(class, None);
    let v = g.root(inst);
    check(&v, &[
        (0, b"ccopy_reg\n_reconstructor\np0\n(cfixture_classes\nEmpty\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n."),
        (2, b"\x80\x02cfixture_classes\nEmpty\nq\x00)\x81q\x01."),
        (4, b"\x80\x04\x95 \x00\x00\x00\x00\x00\x00\x00\x8c\x0ffixture_classes\x94\x8c\x05Empty\x94\x93\x94)\x81\x94."),
    ]);
}

#[test]
fn instance_referring_to_itself_in_its_state_is_fetched_from_the_memo() {
    // o = Plain(); o.b = o
    let mut g = G::default();
    let class = g.global("fixture_classes", "Plain");
    let (a, one, b) = (g.str("a"), g.int(1), g.str("b"));
    let state = g.dict(&[(a, one)]);
    let inst = g.plain(class, Some(state));
    if let Object::Dict(pairs) = g.v.get_mut(state) {
        pairs.push((b, inst));
    }
    let v = g.root(inst);
    check(&v, &[
        (0, b"ccopy_reg\n_reconstructor\np0\n(cfixture_classes\nPlain\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVa\np6\nI1\nsVb\np7\ng4\nsb."),
        (2, b"\x80\x02cfixture_classes\nPlain\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00aq\x03K\x01X\x01\x00\x00\x00bq\x04h\x01ub."),
        (4, b"\x80\x04\x951\x00\x00\x00\x00\x00\x00\x00\x8c\x0ffixture_classes\x94\x8c\x05Plain\x94\x93\x94)\x81\x94}\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94h\x03ub."),
    ]);
}

/// `fixture_classes.NewArgs(5, 'bee')`: `__getnewargs__` gives `(5, 'bee')`.
#[test]
fn newobj_instance_with_args_drops_them_at_protocols_0_and_1_as_copyreg_does() {
    let mut g = G::default();
    let class = g.global("fixture_classes", "NewArgs");
    let (five, bee) = (g.int(5), g.str("bee"));
    let args = g.tuple(&[five, bee]);
    let (a, b) = (g.str("a"), g.str("b"));
    let state = g.dict(&[(a, five), (b, bee)]);
    let mut inst = Instance::new(class, Construct::NewObj, args);
    inst.state = Some(state);
    let inst = g.add(Object::Instance(Box::new(inst)));
    let v = g.root(inst);
    check(&v, &[
        (0, b"ccopy_reg\n_reconstructor\np0\n(cfixture_classes\nNewArgs\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVa\np6\nI5\nsVb\np7\nVbee\np8\nsb."),
        (2, b"\x80\x02cfixture_classes\nNewArgs\nq\x00K\x05X\x03\x00\x00\x00beeq\x01\x86q\x02\x81q\x03}q\x04(X\x01\x00\x00\x00aq\x05K\x05X\x01\x00\x00\x00bq\x06h\x01ub."),
        (4, b"\x80\x04\x95<\x00\x00\x00\x00\x00\x00\x00\x8c\x0ffixture_classes\x94\x8c\x07NewArgs\x94\x93\x94K\x05\x8c\x03bee\x94\x86\x94\x81\x94}\x94(\x8c\x01a\x94K\x05\x8c\x01b\x94h\x03ub."),
    ]);
}

#[test]
fn an_empty_dict_state_is_no_state_unless_a_reduce_gave_it() {
    // pickle.dumps(pickle.loads(P), protocol=N) for P = NEWOBJ, INST or OBJ of
    // fixture_classes.Empty followed by BUILD with {}: no BUILD is written.
    for construct in [Construct::NewObj, Construct::Inst, Construct::Obj] {
        let mut g = G::default();
        let class = g.global("fixture_classes", "Empty");
        let (args, state) = (g.tuple(&[]), g.dict(&[]));
        let mut inst = Instance::new(class, construct, args);
        inst.state = Some(state);
        let inst = g.add(Object::Instance(Box::new(inst)));
        check(&g.root(inst), &[
            (0, b"ccopy_reg\n_reconstructor\np0\n(cfixture_classes\nEmpty\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n."),
            (2, b"\x80\x02cfixture_classes\nEmpty\nq\x00)\x81q\x01."),
        ]);
    }
    // class R: __reduce__ = lambda self: (R, (), {}); pickle.dumps(R(), protocol=2)
    let mut g = G::default();
    let class = g.global("m", "R");
    let (args, state) = (g.tuple(&[]), g.dict(&[]));
    let mut inst = Instance::new(class, Construct::Reduce, args);
    inst.state = Some(state);
    let inst = g.add(Object::Instance(Box::new(inst)));
    check(
        &g.root(inst),
        &[(2, b"\x80\x02cm\nR\nq\x00)Rq\x01}q\x02b.")],
    );
}

/// `[NewArgsEx(5, kw='k'), NewArgsEx(6, kw='j')]`: `__getnewargs_ex__` gives `((a,), {'kw': kw})`.
fn newargs_ex_graph(count: usize) -> Value<'static> {
    let mut g = G::default();
    let class = g.global("fixture_classes", "NewArgsEx");
    let (a, kw) = (g.str("a"), g.str("kw"));
    let mut items = vec![];
    for (n, k) in [(5, "k"), (6, "j")].into_iter().take(count) {
        let (n, k) = (g.int(n), g.str(k));
        let args = g.tuple(&[n]);
        let kwargs = g.dict(&[(kw, k)]);
        let state = g.dict(&[(a, n), (kw, k)]);
        let mut inst = Instance::new(class, Construct::NewObjEx, args);
        inst.kwargs = Some(kwargs);
        inst.state = Some(state);
        items.push(g.add(Object::Instance(Box::new(inst))));
    }
    let root = if count == 1 { items[0] } else { g.list(&items) };
    g.root(root)
}

#[test]
fn newobj_ex_instance_is_newobj_ex_from_4_and_functools_partial_at_2_and_3() {
    let v = newargs_ex_graph(1);
    check(&v, &[
        (0, b"ccopy_reg\n_reconstructor\np0\n(cfixture_classes\nNewArgsEx\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVa\np6\nI5\nsVkw\np7\nVk\np8\nsb."),
        (2, b"\x80\x02cfunctools\npartial\nq\x00c__builtin__\ngetattr\nq\x01cfixture_classes\nNewArgsEx\nq\x02X\x07\x00\x00\x00__new__q\x03\x86q\x04Rq\x05\x85q\x06Rq\x07(h\x05h\x02K\x05\x86q\x08}q\x09X\x02\x00\x00\x00kwq\nX\x01\x00\x00\x00kq\x0bsNtq\x0cb)Rq\x0d}q\x0e(X\x01\x00\x00\x00aq\x0fK\x05h\nh\x0bub."),
        (3, b"\x80\x03cfunctools\npartial\nq\x00cbuiltins\ngetattr\nq\x01cfixture_classes\nNewArgsEx\nq\x02X\x07\x00\x00\x00__new__q\x03\x86q\x04Rq\x05\x85q\x06Rq\x07(h\x05h\x02K\x05\x86q\x08}q\x09X\x02\x00\x00\x00kwq\nX\x01\x00\x00\x00kq\x0bsNtq\x0cb)Rq\x0d}q\x0e(X\x01\x00\x00\x00aq\x0fK\x05h\nh\x0bub."),
        (4, b"\x80\x04\x95B\x00\x00\x00\x00\x00\x00\x00\x8c\x0ffixture_classes\x94\x8c\x09NewArgsEx\x94\x93\x94K\x05\x85\x94}\x94\x8c\x02kw\x94\x8c\x01k\x94s\x92\x94}\x94(\x8c\x01a\x94K\x05h\x05h\x06ub."),
    ]);
}

#[test]
fn newobj_ex_below_4_reuses_the_memoized_cls_new_function() {
    let v = newargs_ex_graph(2);
    check(&v, &[(
        2,
        b"\x80\x02]q\x00(cfunctools\npartial\nq\x01c__builtin__\ngetattr\nq\x02cfixture_classes\nNewArgsEx\nq\x03X\x07\x00\x00\x00__new__q\x04\x86q\x05Rq\x06\x85q\x07Rq\x08(h\x06h\x03K\x05\x86q\x09}q\nX\x02\x00\x00\x00kwq\x0bX\x01\x00\x00\x00kq\x0csNtq\x0db)Rq\x0e}q\x0f(X\x01\x00\x00\x00aq\x10K\x05h\x0bh\x0cubh\x01h\x06\x85q\x11Rq\x12(h\x06h\x03K\x06\x86q\x13}q\x14h\x0bX\x01\x00\x00\x00jq\x15sNtq\x16b)Rq\x17}q\x18(h\x10K\x06h\x0bh\x15ube.",
    )]);
}

/// `fixture_classes.ListSub(items)`: `__reduce__` gives `(ListSub, (), None, iter(self))`.
fn list_sub_graph(n: i64) -> Value<'static> {
    let mut g = G::default();
    let class = g.global("fixture_classes", "ListSub");
    let args = g.tuple(&[]);
    let mut inst = Instance::new(class, Construct::Reduce, args);
    inst.list_items = (0..n).map(|i| g.int(i + 1)).collect();
    let inst = g.add(Object::Instance(Box::new(inst)));
    g.root(inst)
}

#[test]
fn reduce_instance_appends_its_list_items_with_a_lone_leftover_as_append() {
    // ListSub([1, 2, 3]) and ListSub([1])
    check(&list_sub_graph(3), &[
        (0, b"cfixture_classes\nListSub\np0\n(tRp1\nI1\naI2\naI3\na."),
        (1, b"cfixture_classes\nListSub\nq\x00)Rq\x01(K\x01K\x02K\x03e."),
        (4, b"\x80\x04\x95*\x00\x00\x00\x00\x00\x00\x00\x8c\x0ffixture_classes\x94\x8c\x07ListSub\x94\x93\x94)R\x94(K\x01K\x02K\x03e."),
    ]);
    check(
        &list_sub_graph(1),
        &[(1, b"cfixture_classes\nListSub\nq\x00)Rq\x01K\x01a.")],
    );
    // ListSub(range(1, 1002)): the 1001st item is a lone APPEND, unlike a plain list.
    // pickle.dumps(fc.ListSub(range(1001)), 1)[-12:] (values shifted by one)
    let out = dumps(&list_sub_graph(1001), 1);
    assert!(out.ends_with(b"M\xe7\x03M\xe8\x03eM\xe9\x03a."));
}

#[test]
fn reduce_instance_sets_its_dict_items() {
    // DictSub({'a': 1, 'b': [2]}): (DictSub, (), None, None, iter(items))
    let mut g = G::default();
    let class = g.global("fixture_classes", "DictSub");
    let args = g.tuple(&[]);
    let (a, one, b, two) = (g.str("a"), g.int(1), g.str("b"), g.int(2));
    let list = g.list(&[two]);
    let mut inst = Instance::new(class, Construct::Reduce, args);
    inst.dict_items = vec![(a, one), (b, list)];
    let inst = g.add(Object::Instance(Box::new(inst)));
    let v = g.root(inst);
    check(&v, &[
        (0, b"cfixture_classes\nDictSub\np0\n(tRp1\nVa\np2\nI1\nsVb\np3\n(lp4\nI2\nas."),
        (1, b"cfixture_classes\nDictSub\nq\x00)Rq\x01(X\x01\x00\x00\x00aq\x02K\x01X\x01\x00\x00\x00bq\x03]q\x04K\x02au."),
        (4, b"\x80\x04\x953\x00\x00\x00\x00\x00\x00\x00\x8c\x0ffixture_classes\x94\x8c\x07DictSub\x94\x93\x94)R\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94]\x94K\x02au."),
    ]);
}

#[test]
fn instance_reached_from_its_own_reduce_args_is_popped_and_fetched() {
    // l = []; o = REDUCE(f, (l,)) with l = [o]: saving the args saves o first.
    let mut g = G::default();
    let f = g.global("m", "f");
    let l = g.list(&[]);
    let args = g.tuple(&[l]);
    let o = g.add(Object::Instance(Box::new(Instance::new(
        f,
        Construct::Reduce,
        args,
    ))));
    g.append(l, o);
    let v = g.root(o);
    // class R: __reduce__ = lambda self: (m.f, (self.l,)); o = R(); o.l = [o]
    // pickle.dumps(o, 2): the outer REDUCE result is popped, not memoized.
    check(
        &v,
        &[(
            2,
            b"\x80\x02cm\nf\nq\x00]q\x01h\x00h\x01\x85q\x02Rq\x03a\x85q\x04R0h\x03.",
        )],
    );
}

#[test]
fn inst_with_arguments_is_written_back_as_a_reduce_of_its_class() {
    // class R: __reduce__ = lambda self: (Point, (1, 2), {'x': 1, 'y': 2})
    let mut g = G::default();
    let class = g.global("fixture_classes", "Point");
    let (one, two, x, y) = (g.int(1), g.int(2), g.str("x"), g.str("y"));
    let args = g.tuple(&[one, two]);
    let state = g.dict(&[(x, one), (y, two)]);
    let mut inst = Instance::new(class, Construct::Inst, args);
    inst.state = Some(state);
    let inst = g.add(Object::Instance(Box::new(inst)));
    let v = g.root(inst);
    check(&v, &[
        (0, b"cfixture_classes\nPoint\np0\n(I1\nI2\ntp1\nRp2\n(dp3\nVx\np4\nI1\nsVy\np5\nI2\nsb."),
        (2, b"\x80\x02cfixture_classes\nPoint\nq\x00K\x01K\x02\x86q\x01Rq\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ub."),
        (4, b"\x80\x04\x956\x00\x00\x00\x00\x00\x00\x00\x8c\x0ffixture_classes\x94\x8c\x05Point\x94\x93\x94K\x01K\x02\x86\x94R\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ub."),
    ]);
}

#[test]
fn protocols_above_5_mean_5() {
    let v = Value::from_object(Object::None);
    assert_eq!(Pickler::new().protocol(9).dumps(&v).unwrap(), b"\x80\x05N.");
    // pickle.dumps(None, 0)
    assert_eq!(dumps(&v, 0), b"N.");
}

// ---- persistent ids and buffers -------------------------------------------------------

#[test]
fn persistent_id_nodes_are_binpersid_or_persid_text() {
    // ["plain", PersistentId("ext:a"), PersistentId("ext:a")]: the same pid str twice
    let mut g = G::default();
    let plain = g.str("plain");
    let pid = g.str("ext:a");
    let p1 = g.add(Object::PersistentId(pid));
    let p2 = g.add(Object::PersistentId(pid));
    let list = g.list(&[plain, p1, p2]);
    let v = g.root(list);
    check(&v, &[
        (0, b"(lp0\nVplain\np1\naPext:a\naPext:a\na."),
        (1, b"]q\x00(X\x05\x00\x00\x00plainq\x01X\x05\x00\x00\x00ext:aq\x02Qh\x02Qe."),
        (4, b"\x80\x04\x95\x19\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x05plain\x94\x8c\x05ext:a\x94Qh\x02Qe."),
    ]);
}

#[test]
fn persistent_id_hook_replaces_objects_with_the_returned_pid() {
    // class P(pickle.Pickler): persistent_id = lambda self, o: 'x' if o == 2 else None
    // P(f, 2).dump([1, 2, 3]) == b'\x80\x02]q\x00(K\x01X\x01\x00\x00\x00xq\x01QK\x03e.'
    let mut g = G::default();
    let items: Vec<Id> = (1..=3).map(|i| g.int(i)).collect();
    let list = g.list(&items);
    let v = g.root(list);
    let mut calls = 0;
    let out = Pickler::new()
        .protocol(2)
        .persistent_id(|node| {
            calls += 1;
            (node.as_i64() == Some(2)).then(|| {
                let mut pid = Value::new();
                let s = pid.add(Object::Str("x".into()));
                pid.set_root(s);
                pid
            })
        })
        .dumps(&v)
        .unwrap();
    assert_eq!(out, b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00xq\x01QK\x03e.");
    assert_eq!(
        calls, 4,
        "the list and each item are offered, the pid is not"
    );
}

#[test]
fn persistent_id_hook_is_offered_the_items_of_a_returned_pid() {
    // class P(pickle.Pickler): persistent_id returns ('p', 7) for 2 and 'seven' for 7
    let tuple_pid = || {
        let mut pid = Value::new();
        let p = pid.add(Object::Str("p".into()));
        let seven = pid.add(Object::Int(7));
        let t = pid.add(Object::Tuple(vec![p, seven]));
        pid.set_root(t);
        pid
    };
    let mut g = G::default();
    let (one, two) = (g.int(1), g.int(2));
    let list = g.list(&[one, two]);
    let v = g.root(list);
    let hook = |node: crate::value::Node<'_, '_>| match node.as_i64() {
        Some(2) => Some(tuple_pid()),
        Some(7) => Some(Value::from_object(Object::Str("seven".into()))),
        _ => None,
    };
    // P(f, 2).dump([1, 2])
    let out = Pickler::new()
        .protocol(2)
        .persistent_id(hook)
        .dumps(&v)
        .unwrap();
    assert_eq!(
        out,
        b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00pq\x01X\x05\x00\x00\x00sevenq\x02Q\x86q\x03Qe."
    );
    // P(f, 0).dump([1, 2]): PERSID holds str(pid)
    let out = Pickler::new()
        .protocol(0)
        .persistent_id(hook)
        .dumps(&v)
        .unwrap();
    assert_eq!(out, b"(lp0\nI1\naP('p', 7)\na.");
    // A hook must return a graph with a root.
    let err = Pickler::new()
        .persistent_id(|_| Some(Value::new()))
        .dumps(&v)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unpicklable);
}

#[test]
fn persistent_id_at_protocol_0_must_be_ascii_text() {
    let mut g = G::default();
    let pid = g.str("caf\u{e9}");
    let p = g.add(Object::PersistentId(pid));
    let v = g.root(p);
    assert_eq!(error_kind(&v, 0), ErrorKind::Unpicklable);
    let mut g = G::default();
    let pid = g.str("a\nb");
    let p = g.add(Object::PersistentId(pid));
    let v = g.root(p);
    assert_eq!(error_kind(&v, 0), ErrorKind::Unpicklable);
}

fn buffers_graph(shared: bool) -> Value<'static> {
    let mut g = G::default();
    let writable = g.add(Object::Buffer(Box::new(Buffer {
        data: Cow::Borrowed(if shared { b"shared" } else { b"abc" }),
        readonly: false,
    })));
    let second = if shared {
        writable
    } else {
        g.add(Object::Buffer(Box::new(Buffer {
            data: Cow::Borrowed(b"xyz"),
            readonly: true,
        })))
    };
    let list = g.list(&[writable, second]);
    g.root(list)
}

#[test]
fn buffers_in_band_are_bytearray8_or_bytes_and_memoized() {
    // [PickleBuffer(bytearray(b"abc")), PickleBuffer(b"xyz")]
    check(&buffers_graph(false), &[(
        5,
        b"\x80\x05\x95\x18\x00\x00\x00\x00\x00\x00\x00]\x94(\x96\x03\x00\x00\x00\x00\x00\x00\x00abc\x94C\x03xyz\x94e.",
    )]);
    // pb = PickleBuffer(bytearray(b"shared")); [pb, pb]
    check(&buffers_graph(true), &[(
        5,
        b"\x80\x05\x95\x17\x00\x00\x00\x00\x00\x00\x00]\x94(\x96\x06\x00\x00\x00\x00\x00\x00\x00shared\x94h\x01e.",
    )]);
    assert_eq!(error_kind(&buffers_graph(false), 4), ErrorKind::Unpicklable);
}

#[test]
fn buffers_out_of_band_are_next_buffer_and_never_memoized() {
    // pickle.dumps(..., protocol=5, buffer_callback=lambda b: False)
    let mut seen = vec![];
    let out = Pickler::new()
        .buffer_callback(|b| {
            seen.push(b.data.to_vec());
            false
        })
        .dumps(&buffers_graph(false))
        .unwrap();
    assert_eq!(
        out,
        b"\x80\x05\x95\x08\x00\x00\x00\x00\x00\x00\x00]\x94(\x97\x97\x98e."
    );
    assert_eq!(seen, [b"abc".to_vec(), b"xyz".to_vec()]);
    let out = Pickler::new()
        .buffer_callback(|_| false)
        .dumps(&buffers_graph(true))
        .unwrap();
    assert_eq!(
        out,
        b"\x80\x05\x95\x07\x00\x00\x00\x00\x00\x00\x00]\x94(\x97\x97e."
    );
}

// ---- depth -----------------------------------------------------------------------

#[test]
fn million_deep_nesting_is_saved_without_recursion() {
    let mut g = G::default();
    let mut inner = g.list(&[]);
    for _ in 0..1_000_000 {
        inner = g.list(&[inner]);
    }
    let v = g.root(inner);
    let out = dumps(&v, 5);
    // FRAME, then "]\x94" per level: pickle.dumps(nested(3), 5)[11:19] == b']\x94]\x94]\x94]\x94'
    assert_eq!(&out[..3], b"\x80\x05\x95");
    assert_eq!(&out[11..19], b"]\x94]\x94]\x94]\x94");
    assert!(out.ends_with(b"aa."));
    let out = dumps(&v, 0);
    assert!(out.starts_with(b"(lp0\n(lp1\n"));
}

#[test]
fn a_dotted_global_with_an_empty_part_is_unpicklable_below_protocol_4() {
    // Found by `cargo fuzz run roundtrip`: GLOBAL module '__builti$_5', name
    // '.c__builti$_5'. Below protocol 4 it was written as getattr(GLOBAL
    // '__builti$_5' '', 'c__builti$_5'), which does not load.
    let data = b"c__builti$_5\n.c__builti$_5\n.";
    let v: Value = crate::loads(data).unwrap();
    for protocol in 0..=3 {
        let err = Pickler::new().protocol(protocol).dumps(&v).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Unpicklable,
            "protocol {protocol}: {err}"
        );
    }
    for protocol in 4..=5 {
        let bytes = Pickler::new().protocol(protocol).dumps(&v).unwrap();
        assert!(crate::loads::<Value>(&bytes).unwrap() == v);
    }
}
