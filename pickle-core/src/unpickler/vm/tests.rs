//! Tests of the VM, one opcode family at a time; expected bytes come from CPython.

use std::io;

use super::*;
use crate::value::{Complex, Global};

/// A stream that hands out one byte per `read` call.
struct OneByte<'a>(&'a [u8]);

impl io::Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

fn nodes(v: &Value<'_>) -> Vec<String> {
    v.iter().map(|(id, o)| format!("{id:?} {o:?}")).collect()
}

/// Loads `data` from a slice, from a `Cursor` and from a one-byte-a-time
/// stream; all three must build the same graph, node for node.
fn load(data: &[u8]) -> Value<'_> {
    let slice = Unpickler::new().loads::<Value>(data).unwrap();
    let cursor = Unpickler::new()
        .load::<Value>(io::Cursor::new(data))
        .unwrap();
    let trickle = Unpickler::new().load::<Value>(OneByte(data)).unwrap();
    let expected = nodes(&slice);
    assert_eq!(nodes(&cursor), expected, "Cursor stream");
    assert_eq!(nodes(&trickle), expected, "one-byte stream");
    assert_eq!(cursor.root(), slice.root());
    assert_eq!(trickle.root(), slice.root());
    slice
}

fn repr(data: &[u8]) -> String {
    format!("{:?}", load(data))
}

fn fail(data: &[u8]) -> Error {
    let e = Unpickler::new().loads::<Value>(data).unwrap_err();
    // Streams fail the same way, at the same place.
    let s = Unpickler::new().load::<Value>(OneByte(data)).unwrap_err();
    assert_eq!(
        (s.kind(), s.offset(), s.opcode()),
        (e.kind(), e.offset(), e.opcode())
    );
    e
}

#[track_caller]
fn assert_fails(data: &[u8], kind: ErrorKind, offset: u64, opcode: Option<Opcode>) {
    let e = fail(data);
    assert_eq!(
        (e.kind(), e.offset(), e.opcode()),
        (kind, Some(offset), opcode),
        "{e}"
    );
}

fn items(v: &Value<'_>, id: Id) -> Vec<Id> {
    v.node(id).items().unwrap().map(|n| n.id()).collect()
}

fn instance<'v>(v: &'v Value<'_>, id: Id) -> &'v Instance {
    v.node(id).as_instance().unwrap()
}

fn global<'v, 'de>(v: &'v Value<'de>, id: Id) -> &'v Global<'de> {
    v.node(id).as_global().unwrap()
}

// -- Identity -----------------------------------------------------------

#[test]
fn shared_references_load_as_one_node_at_every_protocol() {
    // a=[1]; b=[a,a]; c=[b,b]; pickle.dumps(c, protocol=N) for N = 0..5
    let pickles: [&[u8]; 6] = [
        b"(lp0\n(lp1\n(lp2\nI1\naag2\naag1\na.",
        b"]q\x00(]q\x01(]q\x02K\x01ah\x02eh\x01e.",
        b"\x80\x02]q\x00(]q\x01(]q\x02K\x01ah\x02eh\x01e.",
        b"\x80\x03]q\x00(]q\x01(]q\x02K\x01ah\x02eh\x01e.",
        b"\x80\x04\x95\x12\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94(]\x94K\x01ah\x02eh\x01e.",
        b"\x80\x05\x95\x12\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94(]\x94K\x01ah\x02eh\x01e.",
    ];
    for data in pickles {
        let v = load(data);
        assert_eq!(format!("{v:?}"), "[[[1], [1]], [[1], [1]]]");
        let c = items(&v, v.root());
        assert_eq!(c[0], c[1]);
        let b = items(&v, c[0]);
        assert_eq!(b[0], b[1]);
    }
}

#[test]
fn self_containing_list_is_a_cycle() {
    // l=[]; l.append(l); pickle.dumps(l, protocol=2)
    let v = load(b"\x80\x02]q\x00h\x00a.");
    assert_eq!(items(&v, v.root()), [v.root()]);
    assert_eq!(format!("{v:?}"), "[[...]]");
}

#[test]
fn recursive_tuple_loads_through_pop_and_pop_mark() {
    // t = ([],); t[0].append(t); pickle.dumps(t, protocol=N) for N = 0, 1, 2
    let pickles: [&[u8]; 3] = [
        b"((lp0\n(g0\ntp1\na00g1\n.",
        b"(]q\x00(h\x00tq\x01a1h\x01.",
        b"\x80\x02]q\x00h\x00\x85q\x01a0h\x01.",
    ];
    for data in pickles {
        let v = load(data);
        let t = v.root();
        let list = items(&v, t)[0];
        assert_eq!(items(&v, list), [t]);
    }
}

#[test]
fn shared_list_survives_memoize_then_appends() {
    // Hand-written: a=[] is memoized, [a, a] is built, then APPENDS fills a.
    // pickle.loads gives [[1, 2], [1, 2]] with both items the same list.
    let v = load(b"\x80\x04]\x94(h\x00h\x00l\x940(K\x01K\x02eh\x01.");
    assert_eq!(format!("{v:?}"), "[[1, 2], [1, 2]]");
    let outer = items(&v, v.root());
    assert_eq!(outer[0], outer[1]);
}

#[test]
fn cached_singletons_are_one_node_each() {
    // pickle.dumps(['', 'a', 'é', 'ab', '€', '\U0001f600'], protocol=4), then the
    // same strs written again without the memo (hand-written).
    let data = b"\x80\x04(\x8c\x00\x8c\x01a\x8c\x02\xc3\xa9\x8c\x02ab\x8c\x00\x8c\x01a\x8c\x02\xc3\xa9\x8c\x02ab\
                 C\x00C\x01xC\x01xC\x02xyC\x02xyK\x07K\x07M\x00\x01M\x00\x01N\x88\x89N\x88\x89))M\x01\x01M\x01\x01l.";
    let v = load(data);
    let ids = items(&v, v.root());
    assert_eq!(ids[0], ids[4]); // ''
    assert_eq!(ids[1], ids[5]); // 'a'
    assert_eq!(ids[2], ids[6]); // 'é': code point below 256
    assert_ne!(ids[3], ids[7]); // 'ab' is not cached by CPython
    assert_ne!(ids[8], ids[9]); // b'' and b'x' are different values
                                // SHORT_BINBYTES reads into a fresh object even for one byte:
                                // pickle.loads(b'C\x01x.') is pickle.loads(b'C\x01x.') is False.
    assert_ne!(ids[9], ids[10]);
    assert_ne!(ids[11], ids[12]); // b'xy'
    assert_eq!(ids[13], ids[14]); // small int 7
    assert_eq!(ids[15], ids[16]); // 256: CPython caches -5..=256
    assert_ne!(ids[25], ids[26]); // 257 is not cached
    assert_eq!(ids[17..20], ids[20..23]); // None, True, False
    assert_eq!(ids[23], ids[24]); // ()
}

#[test]
fn one_byte_bytes_are_cached_only_where_cpython_caches_them() {
    // Hand-written: b'' from SHORT_BINBYTES twice, b'a' from _codecs.encode twice,
    // b'a' from a Python 2 str (encoding='bytes') twice. In CPython 3.11 each
    // pair is one object (`pickle.loads(p) is pickle.loads(p)` for each form).
    let data = b"(C\x00C\x00c_codecs\nencode\n(Va\nVlatin1\ntRc_codecs\nencode\n(Va\nVlatin1\ntRU\x01aU\x01al.";
    let v = Unpickler::new()
        .encoding(StringEncoding::Bytes)
        .loads::<Value>(data)
        .unwrap();
    assert_eq!(format!("{v:?}"), "[b'', b'', b'a', b'a', b'a', b'a']");
    let ids = items(&v, v.root());
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[2], ids[3]);
    assert_eq!(ids[2], ids[4]);
    assert_eq!(ids[4], ids[5]);
}

#[test]
fn globals_are_one_node_per_name() {
    // Hand-written: GLOBAL 'foo bar' twice without the memo, then via STACK_GLOBAL.
    let v = load(b"\x80\x04(cfoo\nbar\ncfoo\nbar\n\x8c\x03foo\x8c\x03bar\x93cfoo\nbaz\nl.");
    let ids = items(&v, v.root());
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0], ids[2]);
    assert_ne!(ids[0], ids[3]);
    assert_eq!(format!("{v:?}"), "[foo.bar, foo.bar, foo.bar, foo.baz]");
}

#[test]
fn attribute_names_of_instance_state_are_interned_across_instances() {
    // class C: pass; class D: pass; a, b = C(), D()
    // a.__dict__[''.join(['na', 'me'])] = 1; b.__dict__[''.join(['na', 'me'])] = 2
    // pickle.dumps([a, b], protocol=2) writes 'name' twice; CPython's load interns
    // both keys into one object (its re-dump writes the second as BINGET).
    let v = load(b"\x80\x02]q\x00(c__main__\nC\nq\x01)\x81q\x02}q\x03X\x04\x00\x00\x00nameq\x04K\x01sbc__main__\nD\nq\x05)\x81q\x06}q\x07X\x04\x00\x00\x00nameq\x08K\x02sbe.");
    let [a, b] = items(&v, v.root())[..] else {
        panic!()
    };
    let key = |inst: Id| {
        let state = instance(&v, inst).state.unwrap();
        v.node(state).pairs().unwrap().next().unwrap().0.id()
    };
    assert_eq!(key(a), key(b));
    assert_eq!(
        format!("{v:?}"),
        "[__main__.C.__new__() with state {'name': 1}, __main__.D.__new__() with state {'name': 2}]"
    );
}

// -- Numbers ------------------------------------------------------------

#[test]
fn binary_ints_cover_every_width() {
    // pickle.dumps([0, 1, 255, 256, 65535, 65536, -1, 2**31-1, -2**31, 2**31, 2**63, -2**63-1], protocol=2)
    let data = b"\x80\x02]q\x00(K\x00K\x01K\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\xff\xff\xff\xffJ\xff\xff\xff\x7fJ\x00\x00\x00\x80\x8a\x05\x00\x00\x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\xffe.";
    assert_eq!(
        repr(data),
        "[0, 1, 255, 256, 65535, 65536, -1, 2147483647, -2147483648, 2147483648, \
         9223372036854775808, -9223372036854775809]"
    );
}

#[test]
fn long1_is_little_endian_twos_complement() {
    // pickle.dumps(-2**40, protocol=2)
    assert_eq!(
        repr(b"\x80\x02\x8a\x06\x00\x00\x00\x00\x00\xff."),
        "-1099511627776"
    );
    // pickle.dumps(-2**63, protocol=2): fits an i64 again
    let v = load(b"\x80\x02\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.");
    assert_eq!(v.root_node().as_i64(), Some(i64::MIN));
    // Hand-written: LONG1 of one byte 0xff is -1; of no bytes is 0.
    assert_eq!(repr(b"\x8a\x01\xff."), "-1");
    assert_eq!(repr(b"\x8a\x00."), "0");
}

#[test]
fn long4_reads_big_negatives_and_refuses_negative_lengths() {
    // pickle.dumps(-2**2400, protocol=2): LONG4 of 301 bytes, 300 zeros then 0xff.
    let mut data = b"\x80\x02\x8b\x2d\x01\x00\x00".to_vec();
    data.extend([0u8; 300]);
    data.extend(b"\xff.");
    let v = load(&data);
    assert_eq!(
        v.root_node().as_bigint(),
        Some(-(BigInt::from(1u32) << 2400usize))
    );
    assert_fails(
        b"\x8b\xff\xff\xff\xff.",
        ErrorKind::InvalidArgument,
        0,
        Some(Opcode::Long4),
    );
}

#[test]
fn int_text_is_decimal_with_00_and_01_as_bools() {
    // pickle.dumps([0, 1, -1, 2**63, True, False], protocol=0)
    assert_eq!(
        repr(b"(lp0\nI0\naI1\naI-1\naL9223372036854775808L\naI01\naI00\na."),
        "[0, 1, -1, 9223372036854775808, True, False]"
    );
    // As CPython 3.14 reads INT and LONG: base 10 only.
    assert_eq!(repr(b"I010\n."), "10");
    assert_eq!(repr(b"L010L\n."), "10");
    assert_eq!(repr(b"I99999999999999999999\n."), "99999999999999999999");
    assert_fails(
        b"I0x10\n.",
        ErrorKind::InvalidArgument,
        0,
        Some(Opcode::Int),
    );
    assert_fails(
        b"N(L0x10L\n.",
        ErrorKind::InvalidArgument,
        2,
        Some(Opcode::Long),
    );
    assert_fails(b"I\n.", ErrorKind::InvalidArgument, 0, Some(Opcode::Int));
}

#[test]
fn binfloat_is_big_endian() {
    // pickle.dumps([1.5, -0.0, 1e300, float('inf')], protocol=1)
    let data = b"]q\x00(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00G~7\xe4<\x88\x00u\x9cG\x7f\xf0\x00\x00\x00\x00\x00\x00e.";
    assert_eq!(repr(data), "[1.5, -0.0, 1e+300, inf]");
}

#[test]
fn float_text_reads_repr_output() {
    // pickle.dumps([1.5, -0.0, 1e-05, float('inf'), float('nan')], protocol=0)
    assert_eq!(
        repr(b"(lp0\nF1.5\naF-0.0\naF1e-05\naFinf\naFnan\na."),
        "[1.5, -0.0, 1e-05, inf, nan]"
    );
    assert_fails(
        b"F1e500\n.",
        ErrorKind::InvalidArgument,
        0,
        Some(Opcode::Float),
    );
}

#[test]
fn complex_from_its_reducer() {
    // pickle.dumps([1+2j, complex(-0.0, 1.5)], protocol=3)
    let data = b"\x80\x03]q\x00(cbuiltins\ncomplex\nq\x01G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q\x02Rq\x03h\x01G\x80\x00\x00\x00\x00\x00\x00\x00G?\xf8\x00\x00\x00\x00\x00\x00\x86q\x04Rq\x05e.";
    let v = load(data);
    let c = items(&v, v.root());
    assert!(matches!(v.get(c[0]), Object::Complex(Complex { re, im }) if *re == 1.0 && *im == 2.0));
    assert!(
        matches!(v.get(c[1]), Object::Complex(Complex { re, im }) if re.is_sign_negative() && *im == 1.5)
    );
}

// -- Strings and bytes --------------------------------------------------

#[test]
fn utf8_strs_at_every_width_borrow_from_the_input() {
    // pickle.dumps(['', 'a', 'é', 'ab', '€', '\U0001f600'], protocol=4)
    let data = b"\x80\x04\x95#\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x00\x94\x8c\x01a\x94\x8c\x02\xc3\xa9\x94\x8c\x02ab\x94\x8c\x03\xe2\x82\xac\x94\x8c\x04\xf0\x9f\x98\x80\x94e.";
    let v = load(data);
    assert_eq!(format!("{v:?}"), "['', 'a', 'é', 'ab', '€', '😀']");
    let last = *items(&v, v.root()).last().unwrap();
    assert!(matches!(v.get(last), Object::Str(Cow::Borrowed(_))));
    // pickle.dumps(['ab', 'é'], protocol=1): BINUNICODE
    assert_eq!(
        repr(b"]q\x00(X\x02\x00\x00\x00abq\x01X\x02\x00\x00\x00\xc3\xa9q\x02e."),
        "['ab', 'é']"
    );
    // Hand-written BINUNICODE8; CPython writes it only past 4 GiB.
    assert_eq!(repr(b"\x8d\x02\x00\x00\x00\x00\x00\x00\x00ab."), "'ab'");
}

#[test]
fn invalid_utf8_and_lone_surrogates_are_invalid_text() {
    assert_fails(
        b"X\x01\x00\x00\x00\xff.",
        ErrorKind::InvalidText,
        0,
        Some(Opcode::BinUnicode),
    );
    // CPython accepts an encoded surrogate (surrogatepass); a Rust str cannot hold one.
    assert_fails(
        b"N\x8c\x03\xed\xa0\x80.",
        ErrorKind::InvalidText,
        1,
        Some(Opcode::ShortBinUnicode),
    );
    assert_fails(
        b"V\\ud800\n.",
        ErrorKind::InvalidText,
        0,
        Some(Opcode::Unicode),
    );
}

#[test]
fn unicode_text_is_raw_unicode_escape() {
    // pickle.dumps(['', 'a', 'é', 'ab', '€', '\U0001f600', 'a\\b\nc'], protocol=0)
    let data = b"(lp0\nV\np1\naVa\np2\naV\xe9\np3\naVab\np4\naV\\u20ac\np5\naV\\U0001f600\np6\naVa\\u005cb\\u000ac\np7\na.";
    assert_eq!(repr(data), r"['', 'a', 'é', 'ab', '€', '😀', 'a\\b\nc']");
}

#[test]
fn bytes_at_every_width() {
    // pickle.dumps([b'', b'a', b'ab', b'\xff' * 256], protocol=3)
    let mut data = b"\x80\x03]q\x00(C\x00q\x01C\x01aq\x02C\x02abq\x03B\x00\x01\x00\x00".to_vec();
    data.extend([0xff; 256]);
    data.extend(b"q\x04e.");
    let v = load(&data);
    let ids = items(&v, v.root());
    assert_eq!(v.node(ids[3]).as_bytes(), Some(&[0xff; 256][..]));
    assert_eq!(format!("{:?}", v.node(ids[2])), "b'ab'");
    assert!(matches!(v.get(ids[2]), Object::Bytes(Cow::Borrowed(_))));
    // Hand-written BINBYTES8.
    assert_eq!(repr(b"\x8e\x02\x00\x00\x00\x00\x00\x00\x00ab."), "b'ab'");
}

#[test]
fn bytes_written_through_codecs_encode_load_as_bytes() {
    // pickle.dumps([b'a', b'a'], protocol=0)
    let v = load(b"(lp0\nc_codecs\nencode\np1\n(Va\np2\nVlatin1\np3\ntp4\nRp5\nag5\na.");
    assert_eq!(format!("{v:?}"), "[b'a', b'a']");
    // A character past U+00FF cannot be Latin-1: the call stays as written.
    assert_eq!(
        repr(b"c_codecs\nencode\n(V\\u20ac\nVlatin1\ntR."),
        "_codecs.encode('€', 'latin1')"
    );
}

#[test]
fn python_2_strs_follow_the_encoding_option() {
    // Python 2.7: pickle.dumps(['ab', 'caf\xe9', 'q\'"\n\\'], 0)
    let text = b"(lp0\nS'ab'\np1\naS'caf\\xe9'\np2\naS'q\\'\"\\n\\\\'\np3\na.";
    // Python 2.7: pickle.dumps(['ab', 'x' * 256, 'caf\xe9'], 1)
    let mut binary = b"]q\x00(U\x02abq\x01T\x00\x01\x00\x00".to_vec();
    binary.extend([b'x'; 256]);
    binary.extend(b"q\x02U\x04caf\xe9q\x03e.");

    assert_fails(text, ErrorKind::InvalidText, 15, Some(Opcode::String));
    assert_fails(
        &binary,
        ErrorKind::InvalidText,
        273,
        Some(Opcode::ShortBinString),
    );
    let latin1 = |data| {
        let v = Unpickler::new()
            .encoding(StringEncoding::Latin1)
            .loads::<Value>(data)
            .unwrap();
        format!("{v:?}")
    };
    assert_eq!(latin1(text), r#"['ab', 'café', 'q\'"\n\\']"#);
    assert!(latin1(&binary).ends_with("xx', 'café']"));
    let v = Unpickler::new()
        .encoding(StringEncoding::Bytes)
        .loads::<Value>(text)
        .unwrap();
    assert_eq!(format!("{v:?}"), r#"[b'ab', b'caf\xe9', b'q\'"\n\\']"#);
    let e = Unpickler::new()
        .encoding(StringEncoding::Utf8)
        .loads::<Value>(&binary)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidText);
    let v = Unpickler::new()
        .encoding(StringEncoding::Utf8)
        .loads::<Value>(b"U\x02\xc3\xa9.")
        .unwrap();
    assert_eq!(v.root_node().as_str(), Some("é"));
}

#[test]
fn badly_quoted_strings_are_refused() {
    // CPython's test_badly_quoted_string.
    let bad: [&[u8]; 12] = [
        b"S'\n.",
        b"S\"\n.",
        b"S' \n.",
        b"S\" \n.",
        b"S'\"\n.",
        b"S\"'\n.",
        b"S' ' \n.",
        b"S\" \" \n.",
        b"S ''\n.",
        b"S \"\"\n.",
        b"S \n.",
        b"S\n.",
    ];
    for data in bad {
        assert_fails(data, ErrorKind::InvalidArgument, 0, Some(Opcode::String));
    }
    assert_fails(b"S.", ErrorKind::Truncated, 0, Some(Opcode::String));
}

#[test]
fn bytearrays_in_band_and_from_their_reducers() {
    // pickle.dumps(bytearray(b'ab'), protocol=5)
    assert_eq!(
        repr(b"\x80\x05\x95\x0d\x00\x00\x00\x00\x00\x00\x00\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94."),
        "bytearray(b'ab')"
    );
    // pickle.dumps(bytearray(b'ab'), protocol=3)
    assert_eq!(
        repr(b"\x80\x03cbuiltins\nbytearray\nq\x00C\x02abq\x01\x85q\x02Rq\x03."),
        "bytearray(b'ab')"
    );
    // Hand-written: bytearray(), and bytearray('ab', 'latin-1') as Python 2 writes it.
    assert_eq!(repr(b"\x80\x03cbuiltins\nbytearray\n)R."), "bytearray(b'')");
    assert_eq!(
        repr(b"\x80\x03cbuiltins\nbytearray\nX\x02\x00\x00\x00abU\x07latin-1\x86R."),
        "bytearray(b'ab')"
    );
}

#[test]
fn out_of_band_buffers_come_from_the_buffers_option() {
    // pickle.dumps(pickle.PickleBuffer(b'abc'), protocol=5, buffer_callback=lambda b: False)
    let readonly = b"\x80\x05\x97\x98.";
    // pickle.dumps(pickle.PickleBuffer(bytearray(b'abc')), protocol=5, buffer_callback=lambda b: False)
    let writable = b"\x80\x05\x97.";
    let buffer = || Buffer {
        data: Cow::Borrowed(&b"abc"[..]),
        readonly: false,
    };
    let v = Unpickler::new()
        .buffers([buffer()])
        .loads::<Value>(readonly)
        .unwrap();
    assert_eq!(format!("{v:?}"), "PickleBuffer(readonly b'abc')");
    let v = Unpickler::new()
        .buffers([buffer()])
        .loads::<Value>(writable)
        .unwrap();
    assert_eq!(format!("{v:?}"), "PickleBuffer(b'abc')");
    assert_fails(
        writable,
        ErrorKind::OutOfBandBuffer,
        2,
        Some(Opcode::NextBuffer),
    );
    let e = Unpickler::new()
        .buffers([])
        .loads::<Value>(writable)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfBandBuffer);
    assert_eq!(e.message(), "not enough out-of-band buffers");
}

#[test]
fn readonly_buffer_leaves_bytes_views_bytearrays_and_refuses_ints() {
    assert_eq!(repr(b"C\x01a\x98."), "b'a'");
    let v = load(b"\x96\x01\x00\x00\x00\x00\x00\x00\x00a\x94\x98h\x00\x86.");
    assert_eq!(
        format!("{v:?}"),
        "(PickleBuffer(readonly b'a'), bytearray(b'a'))"
    );
    assert_fails(
        b"K\x01\x98.",
        ErrorKind::TypeMismatch,
        2,
        Some(Opcode::ReadonlyBuffer),
    );
}

// -- Containers ---------------------------------------------------------

#[test]
fn lists_dicts_and_tuples_from_every_opcode() {
    // pickle.dumps([1], protocol=1): APPEND
    assert_eq!(repr(b"]q\x00K\x01a."), "[1]");
    // pickle.dumps({1: 2}, protocol=1): SETITEM
    assert_eq!(repr(b"}q\x00K\x01K\x02s."), "{1: 2}");
    // pickle.dumps({'b': 1, 'a': [2, 3]}, protocol=0): DICT order is the order written
    assert_eq!(
        repr(b"(dp0\nVb\np1\nI1\nsVa\np2\n(lp3\nI2\naI3\nas."),
        "{'b': 1, 'a': [2, 3]}"
    );
    // pickle.dumps({'b': 1, 'a': 2}, protocol=2): SETITEMS
    assert_eq!(
        repr(b"\x80\x02}q\x00(X\x01\x00\x00\x00bq\x01K\x01X\x01\x00\x00\x00aq\x02K\x02u."),
        "{'b': 1, 'a': 2}"
    );
    // pickle.dumps([(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)], protocol=2)
    assert_eq!(
        repr(b"\x80\x02]q\x00()K\x01\x85q\x01K\x01K\x02\x86q\x02K\x01K\x02K\x03\x87q\x03(K\x01K\x02K\x03K\x04tq\x04e."),
        "[(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)]"
    );
    // pickle.dumps([(), (1, 2)], protocol=0): LIST, TUPLE
    assert_eq!(repr(b"(lp0\n(ta(I1\nI2\ntp1\na."), "[(), (1, 2)]");
    // Hand-written DICT of pairs.
    assert_eq!(repr(b"(K\x01K\x02K\x03K\x04d."), "{1: 2, 3: 4}");
}

#[test]
fn sets_from_opcodes_and_from_their_reducers() {
    // pickle.dumps([{1, 2}, frozenset([3]), set(), frozenset()], protocol=4)
    assert_eq!(
        repr(b"\x80\x04\x95\x17\x00\x00\x00\x00\x00\x00\x00]\x94(\x8f\x94(K\x01K\x02\x90(K\x03\x91\x94\x8f\x94(\x91\x94e."),
        "[{1, 2}, frozenset({3}), set(), frozenset()]"
    );
    // pickle.dumps([{1, 2}, frozenset([3]), set(), b'', b'ab', 1+2j], protocol=2, fix_imports=False)
    let data = b"\x80\x02]q\x00(cbuiltins\nset\nq\x01]q\x02(K\x01K\x02e\x85q\x03Rq\x04cbuiltins\nfrozenset\nq\x05]q\x06K\x03a\x85q\x07Rq\x08h\x01]q\x09\x85q\nRq\x0bcbuiltins\nbytes\nq\x0c)Rq\x0dc_codecs\nencode\nq\x0eX\x02\x00\x00\x00abq\x0fX\x06\x00\x00\x00latin1q\x10\x86q\x11Rq\x12cbuiltins\ncomplex\nq\x13G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q\x14Rq\x15e.";
    assert_eq!(
        repr(data),
        "[{1, 2}, frozenset({3}), set(), b'', b'ab', (1.0+2.0j)]"
    );
}

#[test]
fn unhashable_keys_and_set_items_are_refused() {
    assert_fails(b"(]K\x01d.", ErrorKind::Unhashable, 4, Some(Opcode::Dict));
    assert_fails(b"}]]s.", ErrorKind::Unhashable, 3, Some(Opcode::SetItem));
    assert_fails(
        b"\x8f(]\x90.",
        ErrorKind::Unhashable,
        3,
        Some(Opcode::AddItems),
    );
    assert_fails(
        b"(}\x91.",
        ErrorKind::Unhashable,
        2,
        Some(Opcode::FrozenSet),
    );
    assert_fails(
        b"cbuiltins\nset\n]]a\x85R.",
        ErrorKind::Unhashable,
        18,
        Some(Opcode::Reduce),
    );
}

#[test]
fn odd_items_are_refused() {
    assert_fails(b"(K\x01d.", ErrorKind::OddItems, 3, Some(Opcode::Dict));
    assert_fails(b"}(K\x01u.", ErrorKind::OddItems, 4, Some(Opcode::SetItems));
}

#[test]
fn items_go_only_where_python_could_put_them() {
    assert_fails(
        b"}K\x01a.",
        ErrorKind::TypeMismatch,
        3,
        Some(Opcode::Append),
    );
    assert_fails(
        b"]K\x01K\x02s.",
        ErrorKind::TypeMismatch,
        5,
        Some(Opcode::SetItem),
    );
    assert_fails(
        b"](K\x01\x90.",
        ErrorKind::TypeMismatch,
        4,
        Some(Opcode::AddItems),
    );
    // Nothing to add: CPython does nothing, whatever the target.
    assert_eq!(repr(b"](u."), "[]");
    assert_eq!(repr(b"](K\x01(e."), "1");
}

// -- The stack ----------------------------------------------------------

#[test]
fn pop_takes_a_mark_when_nothing_lies_above_it() {
    assert_eq!(repr(b"N(0."), "None");
    assert_eq!(repr(b"(0N."), "None");
    assert_eq!(repr(b"N(N1."), "None");
    // Hand-written DUP: (1, 1) with both items one node.
    let v = load(b"K\x012\x86.");
    let t = items(&v, v.root());
    assert_eq!(t[0], t[1]);
}

#[test]
fn the_fence_keeps_pops_above_the_topmost_mark() {
    assert_fails(b"(.", ErrorKind::StackUnderflow, 1, Some(Opcode::Stop));
    assert_fails(b"K\x01(.", ErrorKind::StackUnderflow, 3, Some(Opcode::Stop));
    assert_fails(
        b"]((e.",
        ErrorKind::StackUnderflow,
        3,
        Some(Opcode::Appends),
    );
    assert_fails(
        b"}(K\x01K\x02s.",
        ErrorKind::StackUnderflow,
        6,
        Some(Opcode::SetItem),
    );
    assert_fails(
        b"K\x01R.",
        ErrorKind::StackUnderflow,
        2,
        Some(Opcode::Reduce),
    );
    assert_fails(b"(o.", ErrorKind::StackUnderflow, 1, Some(Opcode::Obj));
    assert_fails(
        b"K\x01(\x85.",
        ErrorKind::StackUnderflow,
        3,
        Some(Opcode::Tuple1),
    );
    let e = fail(b".");
    assert_eq!(
        (e.kind(), e.message()),
        (ErrorKind::StackUnderflow, "unpickling stack underflow")
    );
    let e = fail(b"(.");
    assert_eq!(e.message(), "unexpected MARK found");
}

#[test]
fn missing_marks_are_reported() {
    for (data, op) in [
        (&b"l."[..], Opcode::List),
        (b"t.", Opcode::Tuple),
        (b"d.", Opcode::Dict),
        (b"]e.", Opcode::Appends),
        (b"}u.", Opcode::SetItems),
        (b"1.", Opcode::PopMark),
        (b"\x91.", Opcode::FrozenSet),
        (b"o.", Opcode::Obj),
        (b"ia\nb\n.", Opcode::Inst),
    ] {
        let at = u64::from(op == Opcode::Appends || op == Opcode::SetItems);
        assert_fails(data, ErrorKind::MissingMark, at, Some(op));
    }
}

#[test]
fn deep_nesting_of_100000_lists_loads_without_recursion() {
    const N: usize = 100_000;
    let mut data = vec![b'('; N];
    data.push(b']');
    data.extend(std::iter::repeat_n(b'l', N));
    data.push(b'.');
    let v = load(&data);
    let mut depth = 0;
    let mut id = v.root();
    while let Some(&inner) = items(&v, id).first() {
        id = inner;
        depth += 1;
    }
    assert_eq!(depth, N);

    let mut data = vec![b']'];
    for _ in 0..N {
        data.extend(b"(]");
    }
    data.extend(std::iter::repeat_n(b'e', N));
    data.push(b'.');
    let v = load(&data);
    assert!(format!("{v:?}").starts_with("[[[[[["));
}

#[test]
fn a_hundred_thousand_marks_cost_a_word_each() {
    let data = vec![b'('; 100_000];
    let mut options = Unpickler::new();
    let mut vm = Vm::new(SliceRead::new(&data), &mut options, false);
    for _ in 0..100_000 {
        vm.step(Opcode::Mark).unwrap();
    }
    assert_eq!(vm.stack.capacity(), 0);
    assert!(vm.marks.capacity() * size_of::<usize>() <= 2 * 100_000 * size_of::<usize>());
    // And through the front door: 100 KB of MARKs then NONE, STOP.
    let mut data = vec![b'('; 100_000];
    data.extend(b"N.");
    assert_eq!(repr(&data), "None");
}

// -- The memo -----------------------------------------------------------

#[test]
fn every_memo_opcode_stores_and_fetches_the_live_node() {
    // Hand-written: PUT/GET text, BINPUT/BINGET, LONG_BINPUT/LONG_BINGET, MEMOIZE.
    let v = load(b"(]p7\n]q\x09]r\x00\x01\x00\x00]\x94g7\nh\x09j\x00\x01\x00\x00h\x03l.");
    let ids = items(&v, v.root());
    assert_eq!(ids[0..4], ids[4..8]);
}

#[test]
fn memoize_uses_the_memo_length() {
    // Hand-written: PUT 5 then MEMOIZE stores at 1 (one entry so far), not 6.
    let v = load(b"\x80\x04(Np5\nK\x07\x94h\x01l.");
    assert_eq!(format!("{v:?}"), "[None, 7, 7]");
}

#[test]
fn long_binput_at_the_top_index_allocates_nothing_big() {
    let v = load(b"N\x88r\xff\xff\xff\xffj\xff\xff\xff\xff\x87.");
    assert_eq!(format!("{v:?}"), "(None, True, True)");
}

#[test]
fn memo_misses_and_bad_indices_are_refused() {
    assert_fails(
        b"\x80\x02]q\x00h\x05.",
        ErrorKind::MissingMemo,
        5,
        Some(Opcode::BinGet),
    );
    assert_fails(
        b"j\x05\x00\x00\x00.",
        ErrorKind::MissingMemo,
        0,
        Some(Opcode::LongBinGet),
    );
    assert_fails(b"g-1\n.", ErrorKind::MissingMemo, 0, Some(Opcode::Get));
    assert_fails(
        b"N2p-1\n.",
        ErrorKind::InvalidArgument,
        2,
        Some(Opcode::Put),
    );
    assert_fails(
        b"Np99999999999999999999999\n.",
        ErrorKind::InvalidArgument,
        1,
        Some(Opcode::Put),
    );
    assert_fails(
        b"q\x00.",
        ErrorKind::StackUnderflow,
        0,
        Some(Opcode::BinPut),
    );
    assert_fails(
        b"N(\x94.",
        ErrorKind::StackUnderflow,
        2,
        Some(Opcode::Memoize),
    );
}

// -- Globals, calls, instances ------------------------------------------

#[test]
fn stack_global_pops_the_name_first() {
    // pickle.dumps(collections.OrderedDict, protocol=4)
    let v = load(b"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94.");
    let g = global(&v, v.root());
    assert_eq!((&*g.module, &*g.name), ("collections", "OrderedDict"));
    // pickle.dumps(Outer.Inner, protocol=4): a nested qualname is just a name.
    let v = load(b"\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x0bOuter.Inner\x94\x93\x94.");
    assert_eq!(global(&v, v.root()).name, "Outer.Inner");
    assert_fails(
        b"K\x01K\x02\x93.",
        ErrorKind::TypeMismatch,
        4,
        Some(Opcode::StackGlobal),
    );
}

#[test]
fn plain_instances_at_every_protocol() {
    // c = C(); c.x = 1; c.y = 'a'; pickle.dumps(c, protocol=N), N = 2..5, and
    // pickle.dumps(c, protocol=0, fix_imports=False) for copyreg._reconstructor.
    let pickles: [&[u8]; 5] = [
        b"ccopyreg\n_reconstructor\np0\n(c__main__\nC\np1\ncbuiltins\nobject\np2\nNtp3\nRp4\n(dp5\nVx\np6\nI1\nsVy\np7\nVa\np8\nsb.",
        b"\x80\x02c__main__\nC\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04X\x01\x00\x00\x00aq\x05ub.",
        b"\x80\x03c__main__\nC\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04X\x01\x00\x00\x00aq\x05ub.",
        b"\x80\x04\x95(\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x01C\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94\x8c\x01a\x94ub.",
        b"\x80\x05\x95(\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x01C\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94\x8c\x01a\x94ub.",
    ];
    for data in pickles {
        let v = load(data);
        assert_eq!(
            format!("{v:?}"),
            "__main__.C.__new__() with state {'x': 1, 'y': 'a'}"
        );
        let inst = instance(&v, v.root());
        assert_eq!(inst.construct, Construct::NewObj);
        assert_eq!(format!("{:?}", v.node(inst.args)), "()");
    }
}

#[test]
fn newobj_ex_slots_and_list_subclasses() {
    // pickle.dumps(KW(1), protocol=4)  # __getnewargs_ex__ -> ((1,), {'b': 2})
    assert_eq!(
        repr(b"\x80\x04\x95,\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x02KW\x94\x93\x94K\x01\x85\x94}\x94\x8c\x01b\x94K\x02s\x92\x94}\x94\x8c\x01a\x94K\x01sb."),
        "__main__.KW.__new__(1,) **{'b': 2} with state {'a': 1}"
    );
    // s = S(); s.a = 5  # __slots__ = ('a',); pickle.dumps(s, protocol=2)
    assert_eq!(
        repr(
            b"\x80\x02c__main__\nS\nq\x00)\x81q\x01N}q\x02X\x01\x00\x00\x00aq\x03K\x05s\x86q\x04b."
        ),
        "__main__.S.__new__() with state (None, {'a': 5})"
    );
    // pickle.dumps(L([1, 2]), protocol=2)  # class L(list)
    assert_eq!(
        repr(b"\x80\x02c__main__\nL\nq\x00)\x81q\x01(K\x01K\x02e."),
        "__main__.L.__new__() + [1, 2]"
    );
    // pickle.dumps(collections.OrderedDict(a=1), protocol=4)
    assert_eq!(
        repr(b"\x80\x04\x95)\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94\x8c\x01a\x94K\x01s."),
        "collections.OrderedDict() + {'a': 1}"
    );
}

#[test]
fn inst_and_obj_from_python_2_old_style_classes() {
    // Python 2.7: class Old: pass; o = Old(); o.x = 1; pickle.dumps(o, 0)
    let v = load(b"(i__main__\nOld\np0\n(dp1\nS'x'\np2\nI1\nsb.");
    assert_eq!(format!("{v:?}"), "__main__.Old() with state {'x': 1}");
    assert_eq!(instance(&v, v.root()).construct, Construct::Inst);
    // Python 2.7: pickle.dumps(o, 1)
    let v = load(b"(c__main__\nOld\nq\x00oq\x01}q\x02U\x01xq\x03K\x01sb.");
    assert_eq!(format!("{v:?}"), "__main__.Old() with state {'x': 1}");
    assert_eq!(instance(&v, v.root()).construct, Construct::Obj);
    // Python 2.7: class OldArgs: __getinitargs__ -> (1, 2); pickle.dumps(OldArgs(1, 2), 0) and 1
    assert_eq!(
        repr(b"(I1\nI2\ni__main__\nOldArgs\np1\n(dp2\nb."),
        "__main__.OldArgs(1, 2) with state {}"
    );
    assert_eq!(
        repr(b"(c__main__\nOldArgs\nq\x01K\x01K\x02oq\x02}q\x03b."),
        "__main__.OldArgs(1, 2) with state {}"
    );
}

#[test]
fn calls_need_a_callable_and_an_argument_tuple() {
    assert_fails(
        b"K\x01)R.",
        ErrorKind::TypeMismatch,
        3,
        Some(Opcode::Reduce),
    );
    assert_fails(
        b"cbuiltins\nlist\nK\x01R.",
        ErrorKind::TypeMismatch,
        17,
        Some(Opcode::Reduce),
    );
    assert_fails(
        b"K\x01)\x81.",
        ErrorKind::TypeMismatch,
        3,
        Some(Opcode::NewObj),
    );
    assert_fails(
        b"ca\nb\nK\x01\x81.",
        ErrorKind::TypeMismatch,
        7,
        Some(Opcode::NewObj),
    );
    assert_fails(
        b"ca\nb\n)K\x01\x92.",
        ErrorKind::TypeMismatch,
        8,
        Some(Opcode::NewObjEx),
    );
    assert_fails(b"(K\x01o.", ErrorKind::TypeMismatch, 3, Some(Opcode::Obj));
    // Calls are never made: an unknown REDUCE is kept as written.
    assert_eq!(
        repr(b"cos\nsystem\n(Vecho hi\ntR."),
        "os.system('echo hi',)"
    );
}

#[test]
fn build_applies_state_once_and_only_to_instances() {
    assert_fails(
        b"ca\nb\n)\x81}b}b.",
        ErrorKind::TypeMismatch,
        10,
        Some(Opcode::Build),
    );
    assert_fails(b"N}b.", ErrorKind::TypeMismatch, 2, Some(Opcode::Build));
    assert_fails(b"}b.", ErrorKind::StackUnderflow, 1, Some(Opcode::Build));
}

#[test]
fn python_2_names_are_mapped_below_protocol_3_only() {
    if crate::compat::from_python2("__builtin__", "set").is_none() {
        eprintln!("skipped: the compat tables are not generated yet");
        return;
    }
    // Python 2.7: pickle.dumps(set([1, 2]), 2)
    let set = b"\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.";
    assert_eq!(repr(set), "{1, 2}");
    let v = Unpickler::new()
        .fix_imports(false)
        .loads::<Value>(set)
        .unwrap();
    assert_eq!(format!("{v:?}"), "__builtin__.set([1, 2],)");
    // The same global at protocol 3 is not renamed.
    assert_eq!(repr(b"\x80\x03c__builtin__\nset\n)R."), "__builtin__.set()");
    // pickle.dumps([range, collections.OrderedDict, range], protocol=2)
    assert_eq!(
        repr(b"\x80\x02]q\x00(c__builtin__\nxrange\nq\x01ccollections\nOrderedDict\nq\x02h\x01e."),
        "[builtins.range, collections.OrderedDict, builtins.range]"
    );
    // pickle.dumps([b'', b'a', b'ab', b'\xe9'], protocol=2)
    assert_eq!(
        repr(b"\x80\x02]q\x00(c__builtin__\nbytes\nq\x01)Rq\x02c_codecs\nencode\nq\x03X\x01\x00\x00\x00aq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07h\x03X\x02\x00\x00\x00abq\x08h\x05\x86q\x09Rq\nh\x03X\x02\x00\x00\x00\xc3\xa9q\x0bh\x05\x86q\x0cRq\x0de."),
        r"[b'', b'a', b'ab', b'\xe9']"
    );
    // pickle.dumps(bytearray(b'ab'), protocol=2)
    assert_eq!(
        repr(b"\x80\x02c__builtin__\nbytearray\nq\x00c_codecs\nencode\nq\x01X\x02\x00\x00\x00abq\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05\x85q\x06Rq\x07."),
        "bytearray(b'ab')"
    );
    // Python 2.7: pickle.dumps(bytearray('ab'), 2)
    assert_eq!(
        repr(b"\x80\x02c__builtin__\nbytearray\nq\x00X\x02\x00\x00\x00abq\x01U\x07latin-1q\x02\x86q\x03Rq\x04."),
        "bytearray(b'ab')"
    );
    // c = C(); c.x = 1; c.y = 'a'; pickle.dumps(c, protocol=0)
    assert_eq!(
        repr(b"ccopy_reg\n_reconstructor\np0\n(c__main__\nC\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVx\np6\nI1\nsVy\np7\nVa\np8\nsb."),
        "__main__.C.__new__() with state {'x': 1, 'y': 'a'}"
    );
}

// -- Persistent ids and extensions --------------------------------------

#[test]
fn persistent_ids_are_kept_or_resolved_by_the_hook() {
    // P.persistent_id maps 'ext:k1' to 'k1'; P(f, protocol=0).dump(['ext:k1', 1])
    let text = b"(lp0\nPk1\naI1\na.";
    // P.persistent_id maps 'ext:k1' to 'k1'; P(f, protocol=2).dump(['ext:k1', 1])
    let binary = b"\x80\x02]q\x00(X\x02\x00\x00\x00k1q\x01QK\x01e.";
    for data in [&text[..], binary] {
        assert_eq!(repr(data), "[persistent_id('k1'), 1]");
        let v = Unpickler::new()
            .persistent_load(|graph: &mut Value<'_>, pid| {
                let name = graph.node(pid).as_str().unwrap().to_uppercase();
                Ok(graph.add(Object::Str(name.into())))
            })
            .loads::<Value>(data)
            .unwrap();
        assert_eq!(format!("{v:?}"), "['K1', 1]");
    }
    let e = Unpickler::new()
        .persistent_load(|_: &mut Value<'_>, _| Err(Error::custom("no such object")))
        .loads::<Value>(binary)
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.offset(), e.opcode()),
        (ErrorKind::Custom, Some(15), Some(Opcode::BinPersId))
    );
    assert_fails(b"P\xe9\n.", ErrorKind::InvalidText, 0, Some(Opcode::PersId));
}

#[test]
fn extension_codes_name_registered_globals() {
    // copyreg.add_extension('collections', 'OrderedDict', 1), ('collections', 'deque', 300),
    // ('collections', 'Counter', 70000); pickle.dumps([collections.OrderedDict,
    // collections.deque, collections.Counter, collections.OrderedDict], protocol=2)
    let data = b"\x80\x02]q\x00(\x82\x01\x83,\x01\x84p\x11\x01\x00\x82\x01e.";
    let v = Unpickler::new()
        .extension(1, "collections", "OrderedDict")
        .extension(300, "collections", "deque")
        .extension(70000, "collections", "Counter")
        .loads::<Value>(data)
        .unwrap();
    assert_eq!(
        format!("{v:?}"),
        "[collections.OrderedDict, collections.deque, collections.Counter, collections.OrderedDict]"
    );
    let ids = items(&v, v.root());
    assert_eq!(ids[0], ids[3]);
    assert_fails(data, ErrorKind::UnknownExtension, 6, Some(Opcode::Ext1));
    assert_fails(
        b"\x82\x00.",
        ErrorKind::InvalidArgument,
        0,
        Some(Opcode::Ext1),
    );
    assert_fails(
        b"\x84\xff\xff\xff\xff.",
        ErrorKind::InvalidArgument,
        0,
        Some(Opcode::Ext4),
    );
}

// -- Framing, protocol, end of input ------------------------------------

#[test]
fn proto_above_5_is_unsupported() {
    assert_fails(
        b"\x80\x06.",
        ErrorKind::UnsupportedProtocol,
        0,
        Some(Opcode::Proto),
    );
    // CPython accepts PROTO anywhere.
    assert_eq!(repr(b"N\x80\x02\x80\x05."), "None");
}

#[test]
fn unknown_opcodes_are_named_as_cpython_names_them() {
    let e = fail(b"N\xff.");
    assert_eq!(
        (e.kind(), e.offset(), e.opcode()),
        (ErrorKind::UnknownOpcode, Some(1), None)
    );
    assert_eq!(e.message(), r"invalid load key, '\xff'.");
    assert_eq!(fail(b"z").message(), "invalid load key, 'z'.");
}

#[test]
fn input_ending_before_stop_is_truncated() {
    let e = fail(b"");
    assert_eq!(
        (e.kind(), e.offset(), e.message()),
        (ErrorKind::Truncated, Some(0), "Ran out of input")
    );
    assert_fails(b"K\x01", ErrorKind::Truncated, 2, None);
    assert_fails(b"N\x8a", ErrorKind::Truncated, 1, Some(Opcode::Long1));
    assert_fails(
        b"N\x8c\x05abc",
        ErrorKind::Truncated,
        1,
        Some(Opcode::ShortBinUnicode),
    );
    assert_fails(b"cfoo\nbar", ErrorKind::Truncated, 0, Some(Opcode::Global));
    // Bytes after STOP are never read.
    assert_eq!(repr(b"N.\xff\xff"), "None");
}

#[test]
fn declared_4_gib_length_in_11_bytes_is_truncated_without_allocating() {
    let data = b"\x80\x03B\xff\xff\xff\xffabcd";
    assert_eq!(data.len(), 11);
    let e = Unpickler::new().loads::<Value>(data).unwrap_err();
    assert_eq!(
        (e.kind(), e.offset(), e.opcode()),
        (ErrorKind::Truncated, Some(2), Some(Opcode::BinBytes))
    );
    // A stream cannot know its end: past the input limit it is refused up front...
    let e = Unpickler::new().load::<Value>(&data[..]).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InputTooLarge, Some(2)));
    // ...and without limits it reads what arrives, then finds the end.
    let e = Unpickler::new()
        .limits(Limits::none())
        .load::<Value>(&data[..])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated);
    let e = Unpickler::new()
        .loads::<Value>(b"\x8d\xff\xff\xff\xff\xff\xff\xff\xffab.")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated);
}

#[test]
fn frames_bound_their_reads() {
    // A frame longer than the rest of the input. (A stream cannot tell
    // until it runs dry; CPython reads the whole frame up front.)
    let e = Unpickler::new()
        .loads::<Value>(b"\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N.")
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.offset(), e.opcode()),
        (ErrorKind::Truncated, Some(2), Some(Opcode::Frame))
    );
    // A read straddling the frame's end.
    assert_fails(
        b"\x95\x03\x00\x00\x00\x00\x00\x00\x00\x8c\x02ab.",
        ErrorKind::Frame,
        9,
        Some(Opcode::ShortBinUnicode),
    );
}

#[test]
fn a_stream_fails_like_a_slice_on_a_frame_longer_than_the_input() {
    // Hand-written: a 9-byte frame holding only NONE, STOP.
    let data = b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00N.";
    assert_fails(data, ErrorKind::Truncated, 2, Some(Opcode::Frame));
    // As CPython, a stream is read to the end of the frame STOP is in.
    let data = b"\x80\x04\x95\x04\x00\x00\x00\x00\x00\x00\x00N.xyK\x01.";
    let mut reader = io::Cursor::new(&data[..]);
    let first = Unpickler::new()
        .load_buffered::<Value>(&mut reader)
        .unwrap();
    let second = Unpickler::new()
        .load_buffered::<Value>(&mut reader)
        .unwrap();
    assert_eq!(format!("{first:?} {second:?}"), "None 1");
}

// -- Limits ---------------------------------------------------------------

fn limited(limits: Limits, data: &[u8]) -> Error {
    Unpickler::new()
        .limits(limits)
        .loads::<Value>(data)
        .unwrap_err()
}

#[test]
fn container_length_has_its_own_limit() {
    let two = Limits {
        max_container_len: 2,
        ..Limits::default()
    };
    let at = |data: &[u8]| {
        let e = limited(two.clone(), data);
        (e.kind(), e.offset(), e.opcode())
    };
    // Built at once from the items above a mark.
    assert_eq!(
        at(b"(NNNl."),
        (ErrorKind::ContainerLimit, Some(4), Some(Opcode::List))
    );
    assert_eq!(
        at(b"(NNNt."),
        (ErrorKind::ContainerLimit, Some(4), Some(Opcode::Tuple))
    );
    assert_eq!(
        at(b"(NNNNNNd."),
        (ErrorKind::ContainerLimit, Some(7), Some(Opcode::Dict))
    );
    // Grown one item at a time: DUP makes an item per input byte, so
    // neither the stack nor the object count bounds a list.
    assert_eq!(
        at(b"]Na2a2a."),
        (ErrorKind::ContainerLimit, Some(6), Some(Opcode::Append))
    );
    assert_eq!(
        at(b"](NNe(Ne."),
        (ErrorKind::ContainerLimit, Some(7), Some(Opcode::Appends))
    );
    assert_eq!(
        at(b"}(K\x01NK\x02Nu(K\x03Nu."),
        (ErrorKind::ContainerLimit, Some(13), Some(Opcode::SetItems))
    );
    assert_eq!(
        at(b"\x80\x04\x8f(K\x01K\x02K\x03\x90."),
        (ErrorKind::ContainerLimit, Some(10), Some(Opcode::AddItems))
    );
    // At the limit is fine.
    assert!(Unpickler::new()
        .limits(two)
        .loads::<Value>(b"]Na2a.")
        .is_ok());
}

#[test]
fn each_limit_reports_its_own_kind() {
    let memo = Limits {
        max_memo_entries: 1,
        ..Limits::default()
    };
    let e = limited(memo, b"Nq\x00q\x01.");
    assert_eq!((e.kind(), e.offset()), (ErrorKind::MemoLimit, Some(3)));

    let stack = Limits {
        max_stack_depth: 3,
        ..Limits::default()
    };
    assert_eq!(
        limited(stack.clone(), b"NNNN.").kind(),
        ErrorKind::StackLimit
    );
    let e = limited(stack, b"N((N.");
    assert_eq!(
        (e.kind(), e.offset(), e.opcode()),
        (ErrorKind::StackLimit, Some(3), Some(Opcode::None))
    );

    let objects = Limits {
        max_objects: 2,
        ..Limits::default()
    };
    let e = limited(objects, b"]]].");
    assert_eq!(
        (e.kind(), e.offset(), e.opcode()),
        (ErrorKind::ObjectLimit, Some(2), Some(Opcode::EmptyList))
    );

    let alloc = Limits {
        max_alloc_bytes: 4,
        ..Limits::default()
    };
    // A bytearray borrows from a slice, as bytes do; from a stream it is a copy.
    let bytearray = b"\x96\x05\x00\x00\x00\x00\x00\x00\x00abcde.";
    let v: Value = Unpickler::new()
        .limits(alloc.clone())
        .loads(bytearray)
        .unwrap();
    assert!(matches!(
        v.get(v.root()),
        Object::ByteArray(Cow::Borrowed(b"abcde"))
    ));
    let e = Unpickler::new()
        .limits(alloc.clone())
        .load::<Value>(&bytearray[..])
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.opcode()),
        (ErrorKind::AllocLimit, Some(Opcode::ByteArray8))
    );
    // Borrowed strs cost nothing; copied ones count.
    let data = b"X\x05\x00\x00\x00abcde.";
    assert!(Unpickler::new()
        .limits(alloc.clone())
        .loads::<Value>(data)
        .is_ok());
    let e = Unpickler::new()
        .limits(alloc)
        .load::<Value>(&data[..])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AllocLimit);

    let input = Limits {
        max_input_bytes: 4,
        ..Limits::default()
    };
    assert_eq!(
        limited(input.clone(), b"NNNN.").kind(),
        ErrorKind::InputTooLarge
    );
    let e = Unpickler::new()
        .limits(input)
        .load::<Value>(&b"NNNNNNNN."[..])
        .unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InputTooLarge, Some(5)));
}

// -- Streams --------------------------------------------------------------

#[test]
fn streams_copy_what_slices_borrow() {
    let data = b"\x8c\x05hello.";
    let v = Unpickler::new().load::<Value>(&data[..]).unwrap();
    assert!(matches!(v.get(v.root()), Object::Str(Cow::Owned(s)) if s == "hello"));
    let v = Unpickler::new().loads::<Value>(data).unwrap();
    assert!(matches!(
        v.get(v.root()),
        Object::Str(Cow::Borrowed("hello"))
    ));
}

#[test]
fn load_buffered_stops_right_after_stop() {
    // pickle.dumps([1], protocol=1) + pickle.dumps({1: 2}, protocol=1) + b'tail'
    let data = b"]q\x00K\x01a.}q\x00K\x01K\x02s.tail";
    let mut reader = io::BufReader::with_capacity(3, &data[..]);
    let first = Unpickler::new()
        .load_buffered::<Value>(&mut reader)
        .unwrap();
    let second = Unpickler::new()
        .load_buffered::<Value>(&mut reader)
        .unwrap();
    assert_eq!(format!("{first:?} {second:?}"), "[1] {1: 2}");
    let mut rest = Vec::new();
    io::Read::read_to_end(&mut reader, &mut rest).unwrap();
    assert_eq!(rest, b"tail");
}
