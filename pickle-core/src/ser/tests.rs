//! Typed writes against CPython 3.11: every expected pickle below is the
//! output of `pickle.dumps(OBJ, protocol=N)` for N = 0..=5 and the
//! expression in the comment, with
//!
//! ```python
//! # geometry.py
//! import enum
//! class Point: pass
//! class Color(enum.Enum): RED = 1; GREEN = 2
//! def P(x, y): p = Point(); p.x = x; p.y = y; return p
//! ```
//!
//! Rust values stand for Python objects made at run time: each `String`
//! is a new str (`''.join('ab')`), and 1-character strs are CPython's cached
//! ones (`chr(120)`).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::io;
use std::rc::Rc;
use std::sync::Arc;

use num_bigint::BigInt;

use super::{to_vec, ToPickle, Writer};
use crate::de::FromPickle;
use crate::error::{ErrorKind, Result};
use crate::value::{Id, Object, Value};
use crate::Pickler;

/// (1, chr(97), 2.5, None, True)
const TUPLE_OF_ATOMS: [&[u8]; 6] = [
    b"(I1\nVa\np0\nF2.5\nNI01\ntp1\n.",
    b"(K\x01X\x01\x00\x00\x00aq\x00G@\x04\x00\x00\x00\x00\x00\x00NI01\ntq\x01.",
    b"\x80\x02(K\x01X\x01\x00\x00\x00aq\x00G@\x04\x00\x00\x00\x00\x00\x00N\x88tq\x01.",
    b"\x80\x03(K\x01X\x01\x00\x00\x00aq\x00G@\x04\x00\x00\x00\x00\x00\x00N\x88tq\x01.",
    b"\x80\x04\x95\x15\x00\x00\x00\x00\x00\x00\x00(K\x01\x8c\x01a\x94G@\x04\x00\x00\x00\x00\x00\x00N\x88t\x94.",
    b"\x80\x05\x95\x15\x00\x00\x00\x00\x00\x00\x00(K\x01\x8c\x01a\x94G@\x04\x00\x00\x00\x00\x00\x00N\x88t\x94.",
];

/// [''.join('ab'), ''.join('ab'), chr(120), chr(120), '', '']: new strs, then singletons
const STRS: [&[u8]; 6] = [
    b"(lp0\nVab\np1\naVab\np2\naVx\np3\nag3\naV\np4\nag4\na.",
    b"]q\x00(X\x02\x00\x00\x00abq\x01X\x02\x00\x00\x00abq\x02X\x01\x00\x00\x00xq\x03h\x03X\x00\x00\x00\x00q\x04h\x04e.",
    b"\x80\x02]q\x00(X\x02\x00\x00\x00abq\x01X\x02\x00\x00\x00abq\x02X\x01\x00\x00\x00xq\x03h\x03X\x00\x00\x00\x00q\x04h\x04e.",
    b"\x80\x03]q\x00(X\x02\x00\x00\x00abq\x01X\x02\x00\x00\x00abq\x02X\x01\x00\x00\x00xq\x03h\x03X\x00\x00\x00\x00q\x04h\x04e.",
    b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x02ab\x94\x8c\x02ab\x94\x8c\x01x\x94h\x03\x8c\x00\x94h\x04e.",
    b"\x80\x05\x95\x1a\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x02ab\x94\x8c\x02ab\x94\x8c\x01x\x94h\x03\x8c\x00\x94h\x04e.",
];

/// {'k': [(1, 'xy'), (2, 'zw')]}
const NESTED: [&[u8]; 6] = [
    b"(dp0\nVk\np1\n(lp2\n(I1\nVxy\np3\ntp4\na(I2\nVzw\np5\ntp6\nas.",
    b"}q\x00X\x01\x00\x00\x00kq\x01]q\x02((K\x01X\x02\x00\x00\x00xyq\x03tq\x04(K\x02X\x02\x00\x00\x00zwq\x05tq\x06es.",
    b"\x80\x02}q\x00X\x01\x00\x00\x00kq\x01]q\x02(K\x01X\x02\x00\x00\x00xyq\x03\x86q\x04K\x02X\x02\x00\x00\x00zwq\x05\x86q\x06es.",
    b"\x80\x03}q\x00X\x01\x00\x00\x00kq\x01]q\x02(K\x01X\x02\x00\x00\x00xyq\x03\x86q\x04K\x02X\x02\x00\x00\x00zwq\x05\x86q\x06es.",
    b"\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01k\x94]\x94(K\x01\x8c\x02xy\x94\x86\x94K\x02\x8c\x02zw\x94\x86\x94es.",
    b"\x80\x05\x95\x1e\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01k\x94]\x94(K\x01\x8c\x02xy\x94\x86\x94K\x02\x8c\x02zw\x94\x86\x94es.",
];

/// [P(1, 2), P(3, 4), P(5, 6)]
const THREE_POINTS: [&[u8]; 6] = [
    b"(lp0\nccopy_reg\n_reconstructor\np1\n(cgeometry\nPoint\np2\nc__builtin__\nobject\np3\nNtp4\nRp5\n(dp6\nVx\np7\nI1\nsVy\np8\nI2\nsbag1\n(g2\ng3\nNtp9\nRp10\n(dp11\ng7\nI3\nsg8\nI4\nsbag1\n(g2\ng3\nNtp12\nRp13\n(dp14\ng7\nI5\nsg8\nI6\nsba.",
    b"]q\x00(ccopy_reg\n_reconstructor\nq\x01(cgeometry\nPoint\nq\x02c__builtin__\nobject\nq\x03Ntq\x04Rq\x05}q\x06(X\x01\x00\x00\x00xq\x07K\x01X\x01\x00\x00\x00yq\x08K\x02ubh\x01(h\x02h\x03Ntq\x09Rq\n}q\x0b(h\x07K\x03h\x08K\x04ubh\x01(h\x02h\x03Ntq\x0cRq\x0d}q\x0e(h\x07K\x05h\x08K\x06ube.",
    b"\x80\x02]q\x00(cgeometry\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ubh\x01)\x81q\x06}q\x07(h\x04K\x03h\x05K\x04ubh\x01)\x81q\x08}q\x09(h\x04K\x05h\x05K\x06ube.",
    b"\x80\x03]q\x00(cgeometry\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ubh\x01)\x81q\x06}q\x07(h\x04K\x03h\x05K\x04ubh\x01)\x81q\x08}q\x09(h\x04K\x05h\x05K\x06ube.",
    b"\x80\x04\x95R\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ubh\x03)\x81\x94}\x94(h\x06K\x03h\x07K\x04ubh\x03)\x81\x94}\x94(h\x06K\x05h\x07K\x06ube.",
    b"\x80\x05\x95R\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ubh\x03)\x81\x94}\x94(h\x06K\x03h\x07K\x04ubh\x03)\x81\x94}\x94(h\x06K\x05h\x07K\x06ube.",
];

/// P(1, 2)
const POINT: [&[u8]; 6] = [
    b"ccopy_reg\n_reconstructor\np0\n(cgeometry\nPoint\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVx\np6\nI1\nsVy\np7\nI2\nsb.",
    b"ccopy_reg\n_reconstructor\nq\x00(cgeometry\nPoint\nq\x01c__builtin__\nobject\nq\x02Ntq\x03Rq\x04}q\x05(X\x01\x00\x00\x00xq\x06K\x01X\x01\x00\x00\x00yq\x07K\x02ub.",
    b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.",
    b"\x80\x03cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub.",
    b"\x80\x04\x95*\x00\x00\x00\x00\x00\x00\x00\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ub.",
    b"\x80\x05\x95*\x00\x00\x00\x00\x00\x00\x00\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ub.",
];

/// geometry.Point(): no __dict__ entries, no BUILD
const EMPTY_POINT: [&[u8]; 6] = [
    b"ccopy_reg\n_reconstructor\np0\n(cgeometry\nPoint\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n.",
    b"ccopy_reg\n_reconstructor\nq\x00(cgeometry\nPoint\nq\x01c__builtin__\nobject\nq\x02Ntq\x03Rq\x04.",
    b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01.",
    b"\x80\x03cgeometry\nPoint\nq\x00)\x81q\x01.",
    b"\x80\x04\x95\x19\x00\x00\x00\x00\x00\x00\x00\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94.",
    b"\x80\x05\x95\x19\x00\x00\x00\x00\x00\x00\x00\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94.",
];

/// a = [1, 2]; [a, a]
const SHARED_LIST: [&[u8]; 6] = [
    b"(lp0\n(lp1\nI1\naI2\naag1\na.",
    b"]q\x00(]q\x01(K\x01K\x02eh\x01e.",
    b"\x80\x02]q\x00(]q\x01(K\x01K\x02eh\x01e.",
    b"\x80\x03]q\x00(]q\x01(K\x01K\x02eh\x01e.",
    b"\x80\x04\x95\x0f\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94(K\x01K\x02eh\x01e.",
    b"\x80\x05\x95\x0f\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94(K\x01K\x02eh\x01e.",
];

/// c = []; c.append(c); c
const SELF_LIST: [&[u8]; 6] = [
    b"(lp0\ng0\na.",
    b"]q\x00h\x00a.",
    b"\x80\x02]q\x00h\x00a.",
    b"\x80\x03]q\x00h\x00a.",
    b"\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00]\x94h\x00a.",
    b"\x80\x05\x95\x06\x00\x00\x00\x00\x00\x00\x00]\x94h\x00a.",
];

/// l = []; t = (l,); l.append(t); t
const SELF_TUPLE: [&[u8]; 6] = [
    b"((lp0\n(g0\ntp1\na00g1\n.",
    b"(]q\x00(h\x00tq\x01a1h\x01.",
    b"\x80\x02]q\x00h\x00\x85q\x01a0h\x01.",
    b"\x80\x03]q\x00h\x00\x85q\x01a0h\x01.",
    b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94h\x00\x85\x94a0h\x01.",
    b"\x80\x05\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94h\x00\x85\x94a0h\x01.",
];

/// [b'', bytes([97]), b'ab']
const BYTES: [&[u8]; 6] = [
    b"(lp0\nc__builtin__\nbytes\np1\n(tRp2\nac_codecs\nencode\np3\n(Va\np4\nVlatin1\np5\ntp6\nRp7\nag3\n(Vab\np8\ng5\ntp9\nRp10\na.",
    b"]q\x00(c__builtin__\nbytes\nq\x01)Rq\x02c_codecs\nencode\nq\x03(X\x01\x00\x00\x00aq\x04X\x06\x00\x00\x00latin1q\x05tq\x06Rq\x07h\x03(X\x02\x00\x00\x00abq\x08h\x05tq\x09Rq\ne.",
    b"\x80\x02]q\x00(c__builtin__\nbytes\nq\x01)Rq\x02c_codecs\nencode\nq\x03X\x01\x00\x00\x00aq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07h\x03X\x02\x00\x00\x00abq\x08h\x05\x86q\x09Rq\ne.",
    b"\x80\x03]q\x00(C\x00q\x01C\x01aq\x02C\x02abq\x03e.",
    b"\x80\x04\x95\x11\x00\x00\x00\x00\x00\x00\x00]\x94(C\x00\x94C\x01a\x94C\x02ab\x94e.",
    b"\x80\x05\x95\x11\x00\x00\x00\x00\x00\x00\x00]\x94(C\x00\x94C\x01a\x94C\x02ab\x94e.",
];

/// [bytearray(b'ab'), bytearray()]
const BYTEARRAYS: [&[u8]; 6] = [
    b"(lp0\nc__builtin__\nbytearray\np1\n(c_codecs\nencode\np2\n(Vab\np3\nVlatin1\np4\ntp5\nRp6\ntp7\nRp8\nag1\n(tRp9\na.",
    b"]q\x00(c__builtin__\nbytearray\nq\x01(c_codecs\nencode\nq\x02(X\x02\x00\x00\x00abq\x03X\x06\x00\x00\x00latin1q\x04tq\x05Rq\x06tq\x07Rq\x08h\x01)Rq\x09e.",
    b"\x80\x02]q\x00(c__builtin__\nbytearray\nq\x01c_codecs\nencode\nq\x02X\x02\x00\x00\x00abq\x03X\x06\x00\x00\x00latin1q\x04\x86q\x05Rq\x06\x85q\x07Rq\x08h\x01)Rq\x09e.",
    b"\x80\x03]q\x00(cbuiltins\nbytearray\nq\x01C\x02abq\x02\x85q\x03Rq\x04h\x01)Rq\x05e.",
    b"\x80\x04\x95,\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08builtins\x94\x8c\x09bytearray\x94\x93\x94C\x02ab\x94\x85\x94R\x94h\x03)R\x94e.",
    b"\x80\x05\x95\x1b\x00\x00\x00\x00\x00\x00\x00]\x94(\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94\x96\x00\x00\x00\x00\x00\x00\x00\x00\x94e.",
];

/// ({1, 2}, frozenset({3}), set(), frozenset())
const SETS: [&[u8]; 6] = [
    b"(c__builtin__\nset\np0\n((lp1\nI1\naI2\natp2\nRp3\nc__builtin__\nfrozenset\np4\n((lp5\nI3\natp6\nRp7\ng0\n((lp8\ntp9\nRp10\ng4\n((lp11\ntp12\nRp13\ntp14\n.",
    b"(c__builtin__\nset\nq\x00(]q\x01(K\x01K\x02etq\x02Rq\x03c__builtin__\nfrozenset\nq\x04(]q\x05K\x03atq\x06Rq\x07h\x00(]q\x08tq\x09Rq\nh\x04(]q\x0btq\x0cRq\x0dtq\x0e.",
    b"\x80\x02(c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03c__builtin__\nfrozenset\nq\x04]q\x05K\x03a\x85q\x06Rq\x07h\x00]q\x08\x85q\x09Rq\nh\x04]q\x0b\x85q\x0cRq\x0dtq\x0e.",
    b"\x80\x03(cbuiltins\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03cbuiltins\nfrozenset\nq\x04]q\x05K\x03a\x85q\x06Rq\x07h\x00]q\x08\x85q\x09Rq\nh\x04]q\x0b\x85q\x0cRq\x0dtq\x0e.",
    b"\x80\x04\x95\x16\x00\x00\x00\x00\x00\x00\x00(\x8f\x94(K\x01K\x02\x90(K\x03\x91\x94\x8f\x94(\x91\x94t\x94.",
    b"\x80\x05\x95\x16\x00\x00\x00\x00\x00\x00\x00(\x8f\x94(K\x01K\x02\x90(K\x03\x91\x94\x8f\x94(\x91\x94t\x94.",
];

/// (2**64 - 1, -2**127, 2**127, 2**100, 2**63 - 1)
const BIG_INTS: [&[u8]; 6] = [
    b"(L18446744073709551615L\nL-170141183460469231731687303715884105728L\nL170141183460469231731687303715884105728L\nL1267650600228229401496703205376L\nL9223372036854775807L\ntp0\n.",
    b"(L18446744073709551615L\nL-170141183460469231731687303715884105728L\nL170141183460469231731687303715884105728L\nL1267650600228229401496703205376L\nL9223372036854775807L\ntq\x00.",
    b"\x80\x02(\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00\x8a\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x11\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7ftq\x00.",
    b"\x80\x03(\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00\x8a\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x11\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7ftq\x00.",
    b"\x80\x04\x95M\x00\x00\x00\x00\x00\x00\x00(\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00\x8a\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x11\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7ft\x94.",
    b"\x80\x05\x95M\x00\x00\x00\x00\x00\x00\x00(\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00\x8a\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x11\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7ft\x94.",
];

/// [geometry.Color.GREEN, geometry.Color.GREEN, geometry.Color.RED]
const MEMBERS: [&[u8]; 6] = [
    b"(lp0\ncgeometry\nColor\np1\n(I2\ntp2\nRp3\nag3\nag1\n(I1\ntp4\nRp5\na.",
    b"]q\x00(cgeometry\nColor\nq\x01(K\x02tq\x02Rq\x03h\x03h\x01(K\x01tq\x04Rq\x05e.",
    b"\x80\x02]q\x00(cgeometry\nColor\nq\x01K\x02\x85q\x02Rq\x03h\x03h\x01K\x01\x85q\x04Rq\x05e.",
    b"\x80\x03]q\x00(cgeometry\nColor\nq\x01K\x02\x85q\x02Rq\x03h\x03h\x01K\x01\x85q\x04Rq\x05e.",
    b"\x80\x04\x95*\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08geometry\x94\x8c\x05Color\x94\x93\x94K\x02\x85\x94R\x94h\x05h\x03K\x01\x85\x94R\x94e.",
    b"\x80\x05\x95*\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08geometry\x94\x8c\x05Color\x94\x93\x94K\x02\x85\x94R\x94h\x05h\x03K\x01\x85\x94R\x94e.",
];

/// (P(1, 2), geometry.Point)
const POINT_AND_CLASS: [&[u8]; 6] = [
    b"(ccopy_reg\n_reconstructor\np0\n(cgeometry\nPoint\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVx\np6\nI1\nsVy\np7\nI2\nsbg1\ntp8\n.",
    b"(ccopy_reg\n_reconstructor\nq\x00(cgeometry\nPoint\nq\x01c__builtin__\nobject\nq\x02Ntq\x03Rq\x04}q\x05(X\x01\x00\x00\x00xq\x06K\x01X\x01\x00\x00\x00yq\x07K\x02ubh\x01tq\x08.",
    b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ubh\x00\x86q\x05.",
    b"\x80\x03cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ubh\x00\x86q\x05.",
    b"\x80\x04\x95.\x00\x00\x00\x00\x00\x00\x00\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ubh\x02\x86\x94.",
    b"\x80\x05\x95.\x00\x00\x00\x00\x00\x00\x00\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ubh\x02\x86\x94.",
];

/// [{''.join('ab'): 1}, {''.join('ab'): 1}]
const TWO_DICTS: [&[u8]; 6] = [
    b"(lp0\n(dp1\nVab\np2\nI1\nsa(dp3\nVab\np4\nI1\nsa.",
    b"]q\x00(}q\x01X\x02\x00\x00\x00abq\x02K\x01s}q\x03X\x02\x00\x00\x00abq\x04K\x01se.",
    b"\x80\x02]q\x00(}q\x01X\x02\x00\x00\x00abq\x02K\x01s}q\x03X\x02\x00\x00\x00abq\x04K\x01se.",
    b"\x80\x03]q\x00(}q\x01X\x02\x00\x00\x00abq\x02K\x01s}q\x03X\x02\x00\x00\x00abq\x04K\x01se.",
    b"\x80\x04\x95\x19\x00\x00\x00\x00\x00\x00\x00]\x94(}\x94\x8c\x02ab\x94K\x01s}\x94\x8c\x02ab\x94K\x01se.",
    b"\x80\x05\x95\x19\x00\x00\x00\x00\x00\x00\x00]\x94(}\x94\x8c\x02ab\x94K\x01s}\x94\x8c\x02ab\x94K\x01se.",
];

/// ([], {}, None, ())
const EMPTIES: [&[u8]; 6] = [
    b"((lp0\n(dp1\nN(ttp2\n.",
    b"(]q\x00}q\x01N)tq\x02.",
    b"\x80\x02(]q\x00}q\x01N)tq\x02.",
    b"\x80\x03(]q\x00}q\x01N)tq\x02.",
    b"\x80\x04\x95\n\x00\x00\x00\x00\x00\x00\x00(]\x94}\x94N)t\x94.",
    b"\x80\x05\x95\n\x00\x00\x00\x00\x00\x00\x00(]\x94}\x94N)t\x94.",
];

/// [1.5, -0.0, 1e100]
const FLOATS: [&[u8]; 6] = [
    b"(lp0\nF1.5\naF-0.0\naF1e+100\na.",
    b"]q\x00(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00GT\xb2I\xad%\x94\xc3}e.",
    b"\x80\x02]q\x00(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00GT\xb2I\xad%\x94\xc3}e.",
    b"\x80\x03]q\x00(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00GT\xb2I\xad%\x94\xc3}e.",
    b"\x80\x04\x95 \x00\x00\x00\x00\x00\x00\x00]\x94(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00GT\xb2I\xad%\x94\xc3}e.",
    b"\x80\x05\x95 \x00\x00\x00\x00\x00\x00\x00]\x94(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00GT\xb2I\xad%\x94\xc3}e.",
];

/// [P(1, 2), P(3, 4)]
const TWO_POINTS: [&[u8]; 6] = [
    b"(lp0\nccopy_reg\n_reconstructor\np1\n(cgeometry\nPoint\np2\nc__builtin__\nobject\np3\nNtp4\nRp5\n(dp6\nVx\np7\nI1\nsVy\np8\nI2\nsbag1\n(g2\ng3\nNtp9\nRp10\n(dp11\ng7\nI3\nsg8\nI4\nsba.",
    b"]q\x00(ccopy_reg\n_reconstructor\nq\x01(cgeometry\nPoint\nq\x02c__builtin__\nobject\nq\x03Ntq\x04Rq\x05}q\x06(X\x01\x00\x00\x00xq\x07K\x01X\x01\x00\x00\x00yq\x08K\x02ubh\x01(h\x02h\x03Ntq\x09Rq\n}q\x0b(h\x07K\x03h\x08K\x04ube.",
    b"\x80\x02]q\x00(cgeometry\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ubh\x01)\x81q\x06}q\x07(h\x04K\x03h\x05K\x04ube.",
    b"\x80\x03]q\x00(cgeometry\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05K\x02ubh\x01)\x81q\x06}q\x07(h\x04K\x03h\x05K\x04ube.",
    b"\x80\x04\x95@\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ubh\x03)\x81\x94}\x94(h\x06K\x03h\x07K\x04ube.",
    b"\x80\x05\x95@\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ubh\x03)\x81\x94}\x94(h\x06K\x03h\x07K\x04ube.",
];

/// (n, protocol, len(pickle.dumps(OBJ, protocol)), its last 16 bytes) for OBJ =
/// list(range(n))
const BATCHES_LIST: [(usize, u8, usize, &[u8]); 18] = [
    (999, 0, 5890, b"6\naI997\naI998\na."),
    (
        999,
        1,
        2747,
        b"\xe2\x03M\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03e.",
    ),
    (
        999,
        2,
        2749,
        b"\xe2\x03M\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03e.",
    ),
    (
        999,
        3,
        2749,
        b"\xe2\x03M\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03e.",
    ),
    (
        999,
        4,
        2757,
        b"\xe2\x03M\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03e.",
    ),
    (
        999,
        5,
        2757,
        b"\xe2\x03M\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03e.",
    ),
    (1000, 0, 5896, b"7\naI998\naI999\na."),
    (
        1000,
        1,
        2750,
        b"\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03M\xe7\x03e.",
    ),
    (
        1000,
        2,
        2752,
        b"\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03M\xe7\x03e.",
    ),
    (
        1000,
        3,
        2752,
        b"\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03M\xe7\x03e.",
    ),
    (
        1000,
        4,
        2760,
        b"\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03M\xe7\x03e.",
    ),
    (
        1000,
        5,
        2760,
        b"\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03M\xe7\x03e.",
    ),
    (1001, 0, 5903, b"\naI999\naI1000\na."),
    (1001, 1, 2755, b"M\xe5\x03M\xe6\x03M\xe7\x03e(M\xe8\x03e."),
    (1001, 2, 2757, b"M\xe5\x03M\xe6\x03M\xe7\x03e(M\xe8\x03e."),
    (1001, 3, 2757, b"M\xe5\x03M\xe6\x03M\xe7\x03e(M\xe8\x03e."),
    (1001, 4, 2765, b"M\xe5\x03M\xe6\x03M\xe7\x03e(M\xe8\x03e."),
    (1001, 5, 2765, b"M\xe5\x03M\xe6\x03M\xe7\x03e(M\xe8\x03e."),
];

/// dict.fromkeys(range(n))
const BATCHES_DICT: [(usize, u8, usize, &[u8]); 18] = [
    (999, 0, 6889, b"sI997\nNsI998\nNs."),
    (999, 1, 3746, b"\x03NM\xe4\x03NM\xe5\x03NM\xe6\x03Nu."),
    (999, 2, 3748, b"\x03NM\xe4\x03NM\xe5\x03NM\xe6\x03Nu."),
    (999, 3, 3748, b"\x03NM\xe4\x03NM\xe5\x03NM\xe6\x03Nu."),
    (999, 4, 3756, b"\x03NM\xe4\x03NM\xe5\x03NM\xe6\x03Nu."),
    (999, 5, 3756, b"\x03NM\xe4\x03NM\xe5\x03NM\xe6\x03Nu."),
    (1000, 0, 6896, b"sI998\nNsI999\nNs."),
    (1000, 1, 3752, b"M\xe5\x03NM\xe6\x03NM\xe7\x03Nu(u."),
    (1000, 2, 3754, b"M\xe5\x03NM\xe6\x03NM\xe7\x03Nu(u."),
    (1000, 3, 3754, b"M\xe5\x03NM\xe6\x03NM\xe7\x03Nu(u."),
    (1000, 4, 3762, b"M\xe5\x03NM\xe6\x03NM\xe7\x03Nu(u."),
    (1000, 5, 3762, b"M\xe5\x03NM\xe6\x03NM\xe7\x03Nu(u."),
    (1001, 0, 6904, b"I999\nNsI1000\nNs."),
    (1001, 1, 3756, b"M\xe6\x03NM\xe7\x03Nu(M\xe8\x03Nu."),
    (1001, 2, 3758, b"M\xe6\x03NM\xe7\x03Nu(M\xe8\x03Nu."),
    (1001, 3, 3758, b"M\xe6\x03NM\xe7\x03Nu(M\xe8\x03Nu."),
    (1001, 4, 3766, b"M\xe6\x03NM\xe7\x03Nu(M\xe8\x03Nu."),
    (1001, 5, 3766, b"M\xe6\x03NM\xe7\x03Nu(M\xe8\x03Nu."),
];

/// set(range(n))
const BATCHES_SET: [(usize, u8, usize, &[u8]); 18] = [
    (999, 0, 5919, b"aI998\natp2\nRp3\n."),
    (999, 1, 2773, b"\xe4\x03M\xe5\x03M\xe6\x03etq\x02Rq\x03."),
    (999, 2, 2774, b"\xe4\x03M\xe5\x03M\xe6\x03e\x85q\x02Rq\x03."),
    (999, 3, 2771, b"\xe4\x03M\xe5\x03M\xe6\x03e\x85q\x02Rq\x03."),
    (
        999,
        4,
        2757,
        b"\xe2\x03M\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03\x90.",
    ),
    (
        999,
        5,
        2757,
        b"\xe2\x03M\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03\x90.",
    ),
    (1000, 0, 5925, b"aI999\natp2\nRp3\n."),
    (1000, 1, 2776, b"\xe5\x03M\xe6\x03M\xe7\x03etq\x02Rq\x03."),
    (
        1000,
        2,
        2777,
        b"\xe5\x03M\xe6\x03M\xe7\x03e\x85q\x02Rq\x03.",
    ),
    (
        1000,
        3,
        2774,
        b"\xe5\x03M\xe6\x03M\xe7\x03e\x85q\x02Rq\x03.",
    ),
    (
        1000,
        4,
        2762,
        b"M\xe4\x03M\xe5\x03M\xe6\x03M\xe7\x03\x90(\x90.",
    ),
    (
        1000,
        5,
        2762,
        b"M\xe4\x03M\xe5\x03M\xe6\x03M\xe7\x03\x90(\x90.",
    ),
    (1001, 0, 5932, b"I1000\natp2\nRp3\n."),
    (1001, 1, 2781, b"M\xe7\x03e(M\xe8\x03etq\x02Rq\x03."),
    (1001, 2, 2782, b"M\xe7\x03e(M\xe8\x03e\x85q\x02Rq\x03."),
    (1001, 3, 2779, b"M\xe7\x03e(M\xe8\x03e\x85q\x02Rq\x03."),
    (
        1001,
        4,
        2765,
        b"M\xe5\x03M\xe6\x03M\xe7\x03\x90(M\xe8\x03\x90.",
    ),
    (
        1001,
        5,
        2765,
        b"M\xe5\x03M\xe6\x03M\xe7\x03\x90(M\xe8\x03\x90.",
    ),
];

/// frozenset(range(n))
const BATCHES_FROZENSET: [(usize, u8, usize, &[u8]); 18] = [
    (999, 0, 5925, b"aI998\natp2\nRp3\n."),
    (999, 1, 2779, b"\xe4\x03M\xe5\x03M\xe6\x03etq\x02Rq\x03."),
    (999, 2, 2780, b"\xe4\x03M\xe5\x03M\xe6\x03e\x85q\x02Rq\x03."),
    (999, 3, 2777, b"\xe4\x03M\xe5\x03M\xe6\x03e\x85q\x02Rq\x03."),
    (
        999,
        4,
        2756,
        b"\x03M\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03\x91\x94.",
    ),
    (
        999,
        5,
        2756,
        b"\x03M\xe3\x03M\xe4\x03M\xe5\x03M\xe6\x03\x91\x94.",
    ),
    (1000, 0, 5931, b"aI999\natp2\nRp3\n."),
    (1000, 1, 2782, b"\xe5\x03M\xe6\x03M\xe7\x03etq\x02Rq\x03."),
    (
        1000,
        2,
        2783,
        b"\xe5\x03M\xe6\x03M\xe7\x03e\x85q\x02Rq\x03.",
    ),
    (
        1000,
        3,
        2780,
        b"\xe5\x03M\xe6\x03M\xe7\x03e\x85q\x02Rq\x03.",
    ),
    (
        1000,
        4,
        2759,
        b"\x03M\xe4\x03M\xe5\x03M\xe6\x03M\xe7\x03\x91\x94.",
    ),
    (
        1000,
        5,
        2759,
        b"\x03M\xe4\x03M\xe5\x03M\xe6\x03M\xe7\x03\x91\x94.",
    ),
    (1001, 0, 5938, b"I1000\natp2\nRp3\n."),
    (1001, 1, 2787, b"M\xe7\x03e(M\xe8\x03etq\x02Rq\x03."),
    (1001, 2, 2788, b"M\xe7\x03e(M\xe8\x03e\x85q\x02Rq\x03."),
    (1001, 3, 2785, b"M\xe7\x03e(M\xe8\x03e\x85q\x02Rq\x03."),
    (
        1001,
        4,
        2762,
        b"\x03M\xe5\x03M\xe6\x03M\xe7\x03M\xe8\x03\x91\x94.",
    ),
    (
        1001,
        5,
        2762,
        b"\x03M\xe5\x03M\xe6\x03M\xe7\x03M\xe8\x03\x91\x94.",
    ),
];

/// [str(i) * 50 for i in range(3000)]: (protocol, len, first 24 bytes, last 16 bytes)
const MANY_FRAMES: [(u8, usize, &[u8], &[u8]); 6] = [
    (
        0,
        570399,
        b"(lp0\nV000000000000000000",
        b"9992999\np3000\na.",
    ),
    (
        1,
        573745,
        b"]q\x00(X2\x00\x00\x00000000000000000",
        b"929992999r\xb8\x0b\x00\x00e.",
    ),
    (
        2,
        573747,
        b"\x80\x02]q\x00(X2\x00\x00\x000000000000000",
        b"929992999r\xb8\x0b\x00\x00e.",
    ),
    (
        3,
        573747,
        b"\x80\x03]q\x00(X2\x00\x00\x000000000000000",
        b"929992999r\xb8\x0b\x00\x00e.",
    ),
    (
        4,
        553592,
        b"\x80\x04\x95p\x00\x01\x00\x00\x00\x00\x00]\x94(\x8c200000000",
        b"9299929992999\x94e.",
    ),
    (
        5,
        553592,
        b"\x80\x05\x95p\x00\x01\x00\x00\x00\x00\x00]\x94(\x8c200000000",
        b"9299929992999\x94e.",
    ),
];
/// ['x' * 70000, 'y' * 10]: (protocol, len, first 24 bytes, last 32 bytes)
const BIG_PAYLOAD: [(u8, usize, &[u8], &[u8]); 2] = [
    (
        4,
        70035,
        b"\x80\x04]\x94(Xp\x11\x01\x00xxxxxxxxxxxxxx",
        b"xxxxxxx\x95\x10\x00\x00\x00\x00\x00\x00\x00\x94\x8c\nyyyyyyyyyy\x94e.",
    ),
    (
        5,
        70035,
        b"\x80\x05]\x94(Xp\x11\x01\x00xxxxxxxxxxxxxx",
        b"xxxxxxx\x95\x10\x00\x00\x00\x00\x00\x00\x00\x94\x8c\nyyyyyyyyyy\x94e.",
    ),
];

fn check<T: ToPickle + ?Sized>(value: &T, expected: &[&[u8]; 6]) {
    for (protocol, expected) in expected.iter().enumerate() {
        let ours = to_vec(value, protocol as u8).unwrap();
        assert_eq!(
            ours,
            *expected,
            "protocol {protocol}\n ours: {}\n cpython: {}",
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(expected)
        );
    }
}

// ---- hand-written impls, as #[derive(Pickle)] writes them ----------------

/// `geometry.Point` with `x` and `y` attributes.
#[derive(Debug, PartialEq)]
struct Point {
    x: i64,
    y: i64,
}

impl ToPickle for Point {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_newobj("geometry", "Point", 0, |_, _| Ok(()))?;
        w.write_dict(2, |w, i| match i {
            0 => {
                w.write_attr_name("x")?;
                self.x.to_pickle(w)
            }
            _ => {
                w.write_attr_name("y")?;
                self.y.to_pickle(w)
            }
        })?;
        w.write_build()
    }
}

impl<'de> FromPickle<'de> for Point {
    fn from_pickle(node: crate::de::Node<'_, 'de>) -> Result<Self> {
        let obj = node.expect_instance(&[("geometry", "Point")])?;
        Ok(Point {
            x: obj.attr("x")?.extract()?,
            y: obj.attr("y")?.extract()?,
        })
    }
}

/// A `geometry.Point` with an empty `__dict__`: no state, no BUILD.
struct EmptyPoint;

impl ToPickle for EmptyPoint {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_newobj("geometry", "Point", 0, |_, _| Ok(()))
    }
}

struct Bytes(&'static [u8]);

impl ToPickle for Bytes {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_bytes(self.0)
    }
}

struct ByteArray(&'static [u8]);

impl ToPickle for ByteArray {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_bytearray(self.0)
    }
}

struct FrozenSet(Vec<i64>);

impl ToPickle for FrozenSet {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_frozenset(self.0.len(), |w, i| self.0[i].to_pickle(w))
    }
}

/// `()`, the empty tuple (Rust's `()` is `None`).
struct EmptyTuple;

impl ToPickle for EmptyTuple {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_tuple(0, |_, _| Ok(()))
    }
}

/// A member of `geometry.Color`.
enum Color {
    Red,
    Green,
}

impl ToPickle for Color {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let (name, value) = match self {
            Color::Red => ("RED", 1),
            Color::Green => ("GREEN", 2),
        };
        w.write_member("geometry", "Color", name, |w| w.write_int(value))
    }
}

/// A list or a tuple that may contain itself, as Python objects can.
enum Cyclic {
    List(Rc<RefCell<Vec<Cyclic>>>),
    Tuple(Rc<(Cyclic,)>),
}

impl ToPickle for Cyclic {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        match self {
            Cyclic::List(list) => list.to_pickle(w),
            Cyclic::Tuple(tuple) => tuple.to_pickle(w),
        }
    }
}

fn global(module: &str, name: &str) -> Value<'static> {
    Value::from_object(Object::global(module.to_owned(), name.to_owned()))
}

// ---- byte parity with CPython ---------------------------------------------

#[test]
fn atoms_in_a_tuple_match_cpython() {
    check(&(1i64, "a", 2.5f64, (), true), &TUPLE_OF_ATOMS);
}

#[test]
fn each_string_is_a_new_str_and_short_ones_are_cpython_singletons() {
    let strs: Vec<String> = ["ab", "ab", "x", "x", "", ""].map(String::from).to_vec();
    check(&strs, &STRS);
    let strs: Vec<&str> = vec!["ab", "ab", "x", "x", "", ""];
    check(&strs, &STRS);
}

#[test]
fn nested_maps_lists_and_tuples_match_cpython() {
    let nested = BTreeMap::from([("k", vec![(1u8, "xy".to_owned()), (2, "zw".to_owned())])]);
    check(&nested, &NESTED);
    let nested = HashMap::from([("k".to_owned(), VecDeque::from([(1i32, "xy"), (2, "zw")]))]);
    check(&nested, &NESTED);
}

#[test]
fn empty_containers_and_none_match_cpython() {
    let empties = (
        Vec::<i64>::new(),
        BTreeMap::<i64, i64>::new(),
        None::<i64>,
        EmptyTuple,
    );
    check(&empties, &EMPTIES);
}

#[test]
fn floats_match_cpython() {
    check(&vec![1.5f64, -0.0, 1e100], &FLOATS);
    check(&vec![1.5f32, -0.0, 1.0], &[
        // [1.5, -0.0, 1.0]: f32 widens exactly
        b"(lp0\nF1.5\naF-0.0\naF1.0\na.",
        b"]q\x00(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00e.",
        b"\x80\x02]q\x00(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00e.",
        b"\x80\x03]q\x00(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00e.",
        b"\x80\x04\x95 \x00\x00\x00\x00\x00\x00\x00]\x94(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00e.",
        b"\x80\x05\x95 \x00\x00\x00\x00\x00\x00\x00]\x94(G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00e.",
    ]);
}

#[test]
fn wide_integers_become_longs_as_in_cpython() {
    let big = (
        u64::MAX,
        i128::MIN,
        1u128 << 127,
        BigInt::from(1u128 << 100),
        i64::MAX as u64,
    );
    check(&big, &BIG_INTS);
}

#[test]
fn plain_class_instance_matches_cpython_at_every_protocol() {
    check(&Point { x: 1, y: 2 }, &POINT);
}

#[test]
fn instances_in_a_list_write_class_and_attribute_names_once() {
    let points = vec![
        Point { x: 1, y: 2 },
        Point { x: 3, y: 4 },
        Point { x: 5, y: 6 },
    ];
    check(&points, &THREE_POINTS);
}

#[test]
fn an_instance_with_no_state_has_no_build() {
    check(&EmptyPoint, &EMPTY_POINT);
}

#[test]
fn bytes_and_bytearrays_match_cpython_reductions() {
    check(&vec![Bytes(b""), Bytes(b"a"), Bytes(b"ab")], &BYTES);
    check(&vec![ByteArray(b"ab"), ByteArray(b"")], &BYTEARRAYS);
}

#[test]
fn sets_and_frozensets_match_cpython_reductions_and_opcodes() {
    let sets = (
        BTreeSet::from([1i64, 2]),
        FrozenSet(vec![3]),
        BTreeSet::<i64>::new(),
        FrozenSet(vec![]),
    );
    check(&sets, &SETS);
    let sets = (
        HashSet::from([1i64]),
        FrozenSet(vec![3]),
        HashSet::<i64>::new(),
        FrozenSet(vec![]),
    );
    // {1} written where CPython wrote {1, 2}: only the first set differs.
    let ours = to_vec(&sets, 4).unwrap();
    assert!(ours.ends_with(b"(K\x01\x90(K\x03\x91\x94\x8f\x94(\x91\x94t\x94."));
}

#[test]
fn enum_members_are_singletons_written_once() {
    check(&vec![Color::Green, Color::Green, Color::Red], &MEMBERS);
}

#[test]
fn one_arc_written_twice_is_one_object_and_a_memo_get() {
    let a = Arc::new(vec![1i64, 2]);
    check(&vec![a.clone(), a.clone()], &SHARED_LIST);
    let a = Rc::new(vec![1u8, 2]);
    check(&vec![a.clone(), a], &SHARED_LIST);
    // Two equal allocations are two objects.
    let ours = to_vec(&vec![Arc::new(vec![1i64, 2]), Arc::new(vec![1, 2])], 2).unwrap();
    assert_eq!(
        ours,
        b"\x80\x02]q\x00(]q\x01(K\x01K\x02e]q\x02(K\x01K\x02ee."
    );
}

#[test]
fn a_list_that_contains_itself_is_written_as_cpython_writes_it() {
    let list = Rc::new(RefCell::new(Vec::new()));
    list.borrow_mut().push(Cyclic::List(list.clone()));
    check(&Cyclic::List(list.clone()), &SELF_LIST);
    list.borrow_mut().clear(); // break the cycle
}

#[test]
fn a_tuple_reached_again_through_its_items_is_popped_for_the_memo_copy() {
    let list = Rc::new(RefCell::new(Vec::new()));
    let tuple = Rc::new((Cyclic::List(list.clone()),));
    list.borrow_mut().push(Cyclic::Tuple(tuple.clone()));
    check(&Cyclic::Tuple(tuple), &SELF_TUPLE);
    list.borrow_mut().clear();
}

// ---- graphs inside typed values ---------------------------------------------

#[test]
fn an_embedded_graph_shares_the_memo_with_the_typed_value() {
    // The class global written by the typed Point is fetched by the graph.
    check(
        &(Point { x: 1, y: 2 }, global("geometry", "Point")),
        &POINT_AND_CLASS,
    );
}

#[test]
fn each_embedded_graph_is_new_objects_with_memo_indexes_that_continue() {
    // {''.join('ab'): 1}, twice
    let dict: Value = crate::loads(b"\x80\x02}q\x00X\x02\x00\x00\x00abq\x01K\x01s.").unwrap();
    check(&vec![dict.clone(), dict], &TWO_DICTS);
}

#[test]
fn a_loaded_instance_and_a_typed_one_share_class_and_attribute_names() {
    // pickle.dumps(P(3, 4), 2), loaded as a graph
    let loaded: Value = crate::loads(
        b"\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x03X\x01\x00\x00\x00yq\x04K\x04ub.",
    )
    .unwrap();
    struct Mixed(Point, Value<'static>);
    impl ToPickle for Mixed {
        fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
            w.write_list(2, |w, i| match i {
                0 => self.0.to_pickle(w),
                _ => self.1.to_pickle(w),
            })
        }
    }
    check(&Mixed(Point { x: 1, y: 2 }, loaded), &TWO_POINTS);
}

#[test]
fn an_rc_of_a_graph_is_written_once() {
    let a: Value = crate::loads(b"\x80\x02]q\x00(K\x01K\x02e.").unwrap();
    let a = Rc::new(a);
    check(&vec![a.clone(), a], &SHARED_LIST);
}

// ---- batching and frames ----------------------------------------------------

/// `list(range(n))`, `dict.fromkeys(range(n))`, `set(range(n))` or `frozenset(range(n))` as a graph.
fn range_graph(n: usize, kind: &str) -> Value<'static> {
    let mut v = Value::new();
    let items: Vec<Id> = (0..n).map(|i| v.add(Object::Int(i as i64))).collect();
    let root = match kind {
        "list" => v.add(Object::List(items)),
        "dict" => {
            let none = v.add(Object::None);
            v.add(Object::Dict(items.iter().map(|&k| (k, none)).collect()))
        }
        "set" => v.add(Object::Set(items)),
        _ => v.add(Object::FrozenSet(items)),
    };
    v.set_root(root);
    v
}

fn check_batches(
    cases: &[(usize, u8, usize, &[u8])],
    kind: &str,
    write: impl Fn(usize, u8) -> Vec<u8>,
) {
    for &(n, protocol, len, tail) in cases {
        let ours = write(n, protocol);
        assert_eq!(ours.len(), len, "{kind} of {n} at protocol {protocol}");
        assert!(ours.ends_with(tail), "{kind} of {n} at protocol {protocol}");
        let graph = Pickler::new()
            .protocol(protocol)
            .dumps(&range_graph(n, kind))
            .unwrap();
        assert_eq!(
            ours, graph,
            "{kind} of {n} at protocol {protocol}: typed and graph differ"
        );
    }
}

#[test]
fn list_items_are_batched_by_1000_as_cpython_does() {
    check_batches(&BATCHES_LIST, "list", |n, p| {
        to_vec(&(0..n as i64).collect::<Vec<_>>(), p).unwrap()
    });
}

#[test]
fn dict_items_are_batched_by_1000_with_an_empty_batch_after_a_full_one() {
    check_batches(&BATCHES_DICT, "dict", |n, p| {
        to_vec(
            &(0..n as i64).map(|i| (i, ())).collect::<BTreeMap<_, _>>(),
            p,
        )
        .unwrap()
    });
}

#[test]
fn set_items_are_batched_by_1000_with_an_empty_batch_after_a_full_one() {
    check_batches(&BATCHES_SET, "set", |n, p| {
        to_vec(&(0..n as i64).collect::<BTreeSet<_>>(), p).unwrap()
    });
}

#[test]
fn frozenset_items_are_one_mark_at_any_size() {
    check_batches(&BATCHES_FROZENSET, "frozenset", |n, p| {
        to_vec(&FrozenSet((0..n as i64).collect()), p).unwrap()
    });
}

#[test]
fn frames_are_cut_where_cpython_cuts_them() {
    let strs: Vec<String> = (0..3000).map(|i| i.to_string().repeat(50)).collect();
    let mut graph = Value::new();
    let items = strs
        .iter()
        .map(|s| graph.add(Object::Str(s.clone().into())))
        .collect();
    let root = graph.add(Object::List(items));
    graph.set_root(root);
    for (protocol, len, head, tail) in MANY_FRAMES {
        let ours = to_vec(&strs, protocol).unwrap();
        assert_eq!(ours.len(), len, "protocol {protocol}");
        assert!(
            ours.starts_with(head) && ours.ends_with(tail),
            "protocol {protocol}"
        );
        assert_eq!(
            ours,
            to_vec(&graph, protocol).unwrap(),
            "protocol {protocol}"
        );
    }
    let big = vec!["x".repeat(70000), "y".repeat(10)];
    for (protocol, len, head, tail) in BIG_PAYLOAD {
        let ours = to_vec(&big, protocol).unwrap();
        assert_eq!(ours.len(), len, "protocol {protocol}");
        assert!(
            ours.starts_with(head) && ours.ends_with(tail),
            "protocol {protocol}"
        );
    }
}

#[test]
fn dump_streams_the_same_bytes_as_dumps() {
    let strs: Vec<String> = (0..3000).map(|i| i.to_string().repeat(50)).collect();
    let mut out = Vec::new();
    crate::dump(&strs, &mut out).unwrap();
    assert_eq!(out, crate::dumps(&strs).unwrap());
    assert_eq!(out, to_vec(&strs, 5).unwrap());
}

// ---- round trips --------------------------------------------------------------

fn round_trip<T>(value: T)
where
    T: ToPickle + for<'de> FromPickle<'de> + PartialEq + Debug,
{
    for protocol in 0..=5 {
        let bytes = to_vec(&value, protocol).unwrap();
        let back: T = crate::loads(&bytes).unwrap_or_else(|e| panic!("protocol {protocol}: {e}"));
        assert_eq!(back, value, "protocol {protocol}");
    }
}

#[test]
fn every_standard_impl_round_trips_at_every_protocol() {
    round_trip(true);
    round_trip((i8::MIN, i16::MIN, i32::MIN, i64::MIN, isize::MIN, i128::MIN));
    round_trip((u8::MAX, u16::MAX, u32::MAX, u64::MAX, usize::MAX, u128::MAX));
    round_trip(BigInt::from(-7) * BigInt::from(u128::MAX));
    round_trip((0.1f64, f64::INFINITY, -0.0f64, 0.5f32, f32::MIN_POSITIVE));
    round_trip((
        "héllo\n\\".to_owned(),
        'é',
        '\u{1F40D}',
        Box::<str>::from("boxed"),
    ));
    // (Some(None) would read back as None: both are Python's None.)
    round_trip(((), Some(3u8), None::<u8>));
    round_trip((
        vec![1u8, 2],
        VecDeque::from([3u16]),
        [4u32, 5],
        Box::<[i8]>::from([6i8]),
    ));
    round_trip((
        1u8,
        2u16,
        3u32,
        4u64,
        5i8,
        6i16,
        7i32,
        8i64,
        9u128,
        10i128,
        "11".to_owned(),
        '2',
    ));
    round_trip(HashMap::from([
        ("a".to_owned(), vec![1i64]),
        ("b".to_owned(), vec![]),
    ]));
    round_trip(BTreeMap::from([
        (1i64, "x".to_owned()),
        (-1, "y".to_owned()),
    ]));
    round_trip(BTreeMap::from([((1i64, 2i64), BTreeSet::from(['a']))]));
    round_trip(HashSet::from([1i64, 2, 3]));
    round_trip(BTreeSet::from(["z".to_owned(), "a".to_owned()]));
    round_trip(Box::new(Point { x: 1, y: -1 }));
    round_trip(vec![Rc::new(Point { x: 1, y: 2 })]);
    round_trip(Rc::new(RefCell::new(vec![1i64])));
    round_trip(Arc::new(vec![1i64]));
    round_trip(Rc::<str>::from("shared"));
    round_trip(
        (0..2500)
            .map(|i| (i, i.to_string()))
            .collect::<BTreeMap<i64, String>>(),
    );
}

#[test]
fn borrowed_strs_round_trip_from_a_slice() {
    for protocol in 1..=5 {
        let bytes = to_vec(&vec!["abc", "d"], protocol).unwrap();
        let back: Vec<&str> = crate::loads(&bytes).unwrap();
        assert_eq!(back, ["abc", "d"]);
    }
}

#[test]
fn graphs_round_trip_through_loads_of_value() {
    // a = [1]; [a, a]: the graph's sharing survives.
    let data: &[u8] = b"\x80\x02]q\x00(]q\x01K\x01ah\x01e.";
    let v: Value = crate::loads(data).unwrap();
    assert_eq!(crate::ser::to_vec(&v, 2).unwrap(), data);
    assert_eq!(crate::Pickler::new().protocol(2).dumps(&v).unwrap(), data);
}

#[test]
fn arcs_shared_in_rust_load_back_shared() {
    let a = Arc::new(Point { x: 1, y: 2 });
    let b = Arc::new(Point { x: 1, y: 2 });
    for protocol in 0..=5 {
        let bytes = to_vec(&vec![a.clone(), b.clone(), a.clone()], protocol).unwrap();
        let back: Vec<Arc<Point>> = crate::loads(&bytes).unwrap();
        assert!(Arc::ptr_eq(&back[0], &back[2]), "protocol {protocol}");
        assert!(!Arc::ptr_eq(&back[0], &back[1]), "protocol {protocol}");
        assert_eq!(*back[1], Point { x: 1, y: 2 });
    }
}

// ---- errors ---------------------------------------------------------------------

struct Wrong(u8);

impl ToPickle for Wrong {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        match self.0 {
            // Two objects for one list item.
            0 => w.write_list(1, |w, _| {
                w.write_int(1)?;
                w.write_int(2)
            }),
            // A key with no value.
            1 => w.write_dict(1, |w, _| w.write_int(1)),
            // BUILD with nothing to build.
            2 => {
                w.write_int(1)?;
                w.write_build()
            }
            // Two objects at the top.
            3 => {
                w.write_none()?;
                w.write_none()
            }
            // Nothing in a shared value.
            _ => w.write_shared(1, |_| Ok(())),
        }
    }
}

#[test]
fn closures_that_write_the_wrong_number_of_objects_are_errors() {
    let messages = [
        "write_list: the closure for item 0 wrote 2 objects instead of 1",
        "write_dict: the closure for item 0 wrote 1 objects instead of 2",
        "write_build needs an object and its state written before it",
        "to_pickle wrote 2 objects; a pickle holds exactly one",
        "write_shared: the closure wrote 0 objects instead of 1",
    ];
    for (i, message) in messages.into_iter().enumerate() {
        let e = to_vec(&Wrong(i as u8), 2).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unpicklable);
        assert_eq!(e.to_string(), message);
    }
}

#[test]
fn a_mutably_borrowed_refcell_is_an_error() {
    let cell = RefCell::new(1i64);
    let _guard = cell.borrow_mut();
    assert_eq!(to_vec(&cell, 2).unwrap_err().kind(), ErrorKind::Unpicklable);
}

/// A linked list, nested as deep as it is long.
struct Chain(Option<Box<Chain>>);

impl ToPickle for Chain {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_list(1, |w, _| self.0.to_pickle(w))
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        // Iterative, so the test itself does not overflow dropping it.
        let mut next = self.0.take();
        while let Some(mut link) = next {
            next = link.0.take();
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let run = || {
        let mut chain = Chain(None);
        for _ in 0..100_000 {
            chain = Chain(Some(Box::new(chain)));
        }
        let e = to_vec(&chain, 2).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unpicklable);
        assert!(
            e.message().starts_with("typed write nested too deep"),
            "{e}"
        );
        // Shallow enough is fine.
        let mut chain = Chain(None);
        for _ in 0..500 {
            chain = Chain(Some(Box::new(chain)));
        }
        assert!(to_vec(&chain, 2).is_ok());
    };
    // Within the 2 MiB of a test thread, in debug and release builds alike.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

/// `class L(list): pass` and `class D(dict): pass` in module `geometry`.
struct ListSub(Vec<i64>);
struct DictSub(Vec<(&'static str, i64)>);

impl ToPickle for ListSub {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_newobj("geometry", "L", 0, |_, _| Ok(()))?;
        w.write_list_items(self.0.len(), |w, i| w.write_int(self.0[i]))
    }
}

impl ToPickle for DictSub {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_newobj("geometry", "D", 0, |_, _| Ok(()))?;
        w.write_dict_items(self.0.len(), |w, i| {
            w.write_str(self.0[i].0)?;
            w.write_int(self.0[i].1)
        })
    }
}

#[test]
fn list_and_dict_items_of_a_reduce_value_match_cpython() {
    // pickle.dumps(geometry.L([1, 2, 3]), protocol=2)
    assert_eq!(
        to_vec(&ListSub(vec![1, 2, 3]), 2).unwrap(),
        b"\x80\x02cgeometry\nL\nq\x00)\x81q\x01(K\x01K\x02K\x03e."
    );
    // pickle.dumps(geometry.L([7]), protocol=4): a lone item is APPEND.
    assert_eq!(
        to_vec(&ListSub(vec![7]), 4).unwrap(),
        b"\x80\x04\x95\x18\x00\x00\x00\x00\x00\x00\x00\x8c\x08geometry\x94\x8c\x01L\x94\x93\x94)\x81\x94K\x07a."
    );
    // d = geometry.D(); d['a'] = 1; d['b'] = 2; pickle.dumps(d, protocol=4)
    assert_eq!(
        to_vec(&DictSub(vec![("a", 1), ("b", 2)]), 4).unwrap(),
        &b"\x80\x04\x95#\x00\x00\x00\x00\x00\x00\x00\x8c\x08geometry\x94\x8c\x01D\x94\x93\x94)\x81\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94K\x02u."[..]
    );
}

#[test]
fn reduce_list_items_batch_as_cpython_past_1000() {
    // pickle.dumps(geometry.L(range(1000)), protocol=2)[-12:]: one full batch, no empty one.
    let full = to_vec(&ListSub((0..1000).collect()), 2).unwrap();
    assert!(full.ends_with(b"\x03M\xe5\x03M\xe6\x03M\xe7\x03e."));
    // pickle.dumps(geometry.L(range(1001)), protocol=2)[-12:]: the leftover is a lone APPEND.
    let over = to_vec(&ListSub((0..1001).collect()), 2).unwrap();
    assert!(over.ends_with(b"M\xe6\x03M\xe7\x03eM\xe8\x03a."));
}

/// A dict whose keys are names written one way or the other: `true` for
/// [`Writer::write_static_attr_name`].
struct Names(Vec<(String, bool)>);

impl ToPickle for Names {
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        w.write_dict(self.0.len(), |w, i| {
            let (name, is_static) = &self.0[i];
            match (name.as_str(), is_static) {
                ("x", true) => w.write_static_attr_name("x")?,
                ("yy", true) => w.write_static_attr_name("yy")?,
                (name, _) => w.write_attr_name(name)?,
            }
            w.write_int(i as i64)
        })
    }
}

#[test]
fn static_names_are_the_names_they_spell() {
    // Each name written once, then fetched from the memo, whichever way it
    // is written: the same bytes as with `write_attr_name` throughout.
    let spelled = |statics: [bool; 6]| {
        let names = ["x", "yy", "x", "yy", "x", "zz"];
        Names(
            names
                .iter()
                .zip(statics)
                .map(|(n, s)| (n.to_string(), s))
                .collect(),
        )
    };
    let plain = to_vec(&spelled([false; 6]), 4).unwrap();
    for statics in [
        [true; 6],
        [true, false, false, true, true, false],
        [false, true, true, false, false, true],
    ] {
        assert_eq!(to_vec(&spelled(statics), 4).unwrap(), plain, "{statics:?}");
    }
    // pickle.dumps({'x': 0, 'yy': 1, 'x': ...}) with interned keys: each
    // key's text once (memoized), then BINGETs.
    assert_eq!(plain.windows(2).filter(|w| w == b"\x8c\x01").count(), 1);
    assert_eq!(plain.windows(3).filter(|w| w == b"\x8c\x02y").count(), 1);
}
