//! Opcode choice and argument encoding for the pickler's scalars, as `_pickle.c` writes them.
//!
//! Each function appends complete opcodes to a buffer; none of them knows
//! about frames or the memo.

use std::io::Write as _;

use num_bigint::BigInt;

use crate::error::{Error, ErrorKind, Result};
use crate::opcode::Opcode;
use crate::pyrepr;

/// An opcode with its length argument: at most 9 bytes.
pub(super) struct Header {
    buf: [u8; 9],
    len: usize,
}

impl Header {
    #[inline]
    fn new(op: Opcode, arg: &[u8]) -> Header {
        let mut buf = [0; 9];
        buf[0] = op.byte();
        buf[1..=arg.len()].copy_from_slice(arg);
        Header {
            buf,
            len: 1 + arg.len(),
        }
    }

    #[inline]
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// `True`/`False`: NEWTRUE/NEWFALSE from protocol 2, else the INT spellings `I01`/`I00`.
pub(super) fn bool(out: &mut Vec<u8>, proto: u8, b: bool) {
    match (proto >= 2, b) {
        (true, true) => out.push(Opcode::NewTrue.byte()),
        (true, false) => out.push(Opcode::NewFalse.byte()),
        (false, true) => out.extend_from_slice(b"I01\n"),
        (false, false) => out.extend_from_slice(b"I00\n"),
    }
}

/// An int: BININT1/BININT2/BININT when it fits in 32 signed bits (INT text
/// at protocol 0), else LONG1/LONG4 from protocol 2 and LONG text below.
#[inline(always)]
pub(super) fn int(out: &mut Vec<u8>, proto: u8, v: i64) -> Result<()> {
    if let Ok(small) = i32::try_from(v) {
        if proto == 0 {
            let _ = writeln!(out, "I{small}");
        } else {
            // One fixed-size copy of the opcode and its widest argument,
            // then the length cut back to the argument's own.
            let (whole, len) = small_int(small);
            out.extend_from_slice(&whole);
            out.truncate(out.len() - (SMALL_INT_MAX - len));
        }
        return Ok(());
    }
    if proto >= 2 {
        long_binary(out, &v.to_le_bytes())
    } else {
        let _ = writeln!(out, "L{v}L");
        Ok(())
    }
}

/// The most bytes [`small_int`] writes: BININT and its 4-byte argument.
pub(super) const SMALL_INT_MAX: usize = 5;

/// BININT1 (0 to 255), BININT2 (256 to 65535) or BININT (any other 32-bit
/// int), as the pickler chooses: the opcode and the widest argument, and
/// how many of those bytes are the opcode's. No branch on the value, whose
/// size is a coin toss in a list of random ints.
#[inline(always)]
pub(super) fn small_int(v: i32) -> ([u8; SMALL_INT_MAX], usize) {
    const OPS: [Opcode; 3] = [Opcode::BinInt1, Opcode::BinInt2, Opcode::BinInt];
    const LENS: [usize; 3] = [2, 3, 5];
    // Negative ints are past 0xffff as unsigned: BININT.
    let u = v as u32;
    let size = usize::from(u > 0xff) + usize::from(u > 0xffff);
    let [b0, b1, b2, b3] = u.to_le_bytes();
    ([OPS[size].byte(), b0, b1, b2, b3], LENS[size])
}

/// An int of any size, as [`int`].
pub(super) fn bigint(out: &mut Vec<u8>, proto: u8, v: &BigInt) -> Result<()> {
    if let Ok(small) = i64::try_from(v) {
        return int(out, proto, small);
    }
    if proto >= 2 {
        long_binary(out, &v.to_signed_bytes_le())
    } else {
        let _ = writeln!(out, "L{v}L");
        Ok(())
    }
}

/// LONG1/LONG4 with the shortest two's-complement little-endian bytes.
fn long_binary(out: &mut Vec<u8>, le: &[u8]) -> Result<()> {
    let mut n = le.len();
    // Drop top bytes that only repeat the sign of the byte below them.
    while n > 1 {
        let (top, below) = (le[n - 1], le[n - 2] & 0x80);
        if (top == 0 && below == 0) || (top == 0xff && below != 0) {
            n -= 1;
        } else {
            break;
        }
    }
    if n < 256 {
        out.extend_from_slice(&[Opcode::Long1.byte(), n as u8]);
    } else {
        let len = i32::try_from(n)
            .map_err(|_| Error::new(ErrorKind::Unpicklable, "int too large to pickle"))?;
        out.push(Opcode::Long4.byte());
        out.extend_from_slice(&len.to_le_bytes());
    }
    out.extend_from_slice(&le[..n]);
    Ok(())
}

/// A float: BINFLOAT (big-endian) from protocol 1, FLOAT with `repr(x)` at protocol 0.
#[inline]
pub(super) fn float(out: &mut Vec<u8>, proto: u8, x: f64) {
    if proto >= 1 {
        let [b0, b1, b2, b3, b4, b5, b6, b7] = x.to_be_bytes();
        out.extend_from_slice(&[Opcode::BinFloat.byte(), b0, b1, b2, b3, b4, b5, b6, b7]);
    } else {
        float_text(out, x);
    }
}

/// FLOAT with `repr(x)`, as protocol 0 writes a float.
#[cold]
fn float_text(out: &mut Vec<u8>, x: f64) {
    out.push(Opcode::Float.byte());
    out.extend_from_slice(pyrepr::float_repr(x).as_bytes());
    out.push(b'\n');
}

/// The header of a str of `len` UTF-8 bytes at protocol 1 or more.
#[inline]
pub(super) fn str_header(proto: u8, len: usize) -> Result<Header> {
    if len <= 0xff && proto >= 4 {
        Ok(Header::new(Opcode::ShortBinUnicode, &[len as u8]))
    } else if let Ok(len) = u32::try_from(len) {
        Ok(Header::new(Opcode::BinUnicode, &len.to_le_bytes()))
    } else if proto >= 4 {
        Ok(Header::new(
            Opcode::BinUnicode8,
            &(len as u64).to_le_bytes(),
        ))
    } else {
        Err(Error::new(
            ErrorKind::Unpicklable,
            "serializing a string larger than 4 GiB requires pickle protocol 4 or higher",
        ))
    }
}

/// The header of a bytes of `len` bytes at protocol 3 or more.
pub(super) fn bytes_header(proto: u8, len: usize) -> Result<Header> {
    if len <= 0xff {
        Ok(Header::new(Opcode::ShortBinBytes, &[len as u8]))
    } else if let Ok(len) = u32::try_from(len) {
        Ok(Header::new(Opcode::BinBytes, &len.to_le_bytes()))
    } else if proto >= 4 {
        Ok(Header::new(Opcode::BinBytes8, &(len as u64).to_le_bytes()))
    } else {
        Err(Error::new(
            ErrorKind::Unpicklable,
            "serializing a bytes object larger than 4 GiB requires pickle protocol 4 or higher",
        ))
    }
}

/// The header of a BYTEARRAY8 of `len` bytes.
pub(super) fn bytearray_header(len: usize) -> Header {
    Header::new(Opcode::ByteArray8, &(len as u64).to_le_bytes())
}

/// The argument of UNICODE: `raw-unicode-escape`, plus `\uXXXX` for the
/// characters that would break the line-based argument or Python 2's reader
/// (backslash, NUL, LF, CR and `\x1a`). Other characters below U+0100 are
/// written as one raw byte.
pub(super) fn raw_unicode_escape(out: &mut Vec<u8>, text: impl Iterator<Item = char>) {
    for c in text {
        let code = c as u32;
        if code >= 0x10000 {
            let _ = write!(out, "\\U{code:08x}");
        } else if code >= 0x100 || matches!(c, '\\' | '\0' | '\n' | '\r' | '\x1a') {
            let _ = write!(out, "\\u{code:04x}");
        } else {
            out.push(code as u8);
        }
    }
}

/// GET, BINGET or LONG_BINGET for memo entry `index`.
#[inline]
pub(super) fn memo_get(out: &mut Vec<u8>, proto: u8, index: u32) {
    if proto == 0 {
        let _ = writeln!(out, "g{index}");
    } else if let Ok(small) = u8::try_from(index) {
        out.extend_from_slice(&[Opcode::BinGet.byte(), small]);
    } else {
        out.push(Opcode::LongBinGet.byte());
        out.extend_from_slice(&index.to_le_bytes());
    }
}

/// EXT1, EXT2 or EXT4 for a positive extension `code`, by its size, as `save_global`.
pub(super) fn ext(out: &mut Vec<u8>, code: u32) {
    if let Ok(small) = u8::try_from(code) {
        out.extend_from_slice(&[Opcode::Ext1.byte(), small]);
    } else if let Ok(medium) = u16::try_from(code) {
        out.push(Opcode::Ext2.byte());
        out.extend_from_slice(&medium.to_le_bytes());
    } else {
        out.push(Opcode::Ext4.byte());
        out.extend_from_slice(&code.to_le_bytes());
    }
}

/// MEMOIZE from protocol 4, else PUT, BINPUT or LONG_BINPUT for memo entry `index`.
#[inline]
pub(super) fn memo_put(out: &mut Vec<u8>, proto: u8, index: u32) {
    if proto >= 4 {
        out.push(Opcode::Memoize.byte());
    } else {
        memo_put_indexed(out, proto, index);
    }
}

/// The longest str [`short_str_memoized`] writes.
pub(super) const SHORT_STR: usize = 16;

/// SHORT_BINUNICODE then MEMOIZE, for `text` of 3 to [`SHORT_STR`] bytes, as
/// most keys and names are: the record is built in a fixed-size array, by
/// copies of fixed sizes that overlap, and appended whole, then cut to its
/// length, so that nothing depends on the length but where the next record
/// starts.
#[inline]
pub(super) fn short_str_memoized(out: &mut Vec<u8>, text: &[u8]) {
    let len = text.len();
    debug_assert!((3..=SHORT_STR).contains(&len));
    let mut record = [0; SHORT_STR + 3];
    record[0] = Opcode::ShortBinUnicode.byte();
    record[1] = len as u8;
    let body = &mut record[2..];
    if len >= 8 {
        body[..8].copy_from_slice(&text[..8]);
        body[len - 8..len].copy_from_slice(&text[len - 8..]);
    } else if len >= 4 {
        body[..4].copy_from_slice(&text[..4]);
        body[len - 4..len].copy_from_slice(&text[len - 4..]);
    } else {
        body[..3].copy_from_slice(&text[..3]);
    }
    body[len] = Opcode::Memoize.byte();
    out.extend_from_slice(&record);
    out.truncate(out.len() - (SHORT_STR - len));
}

/// PUT, BINPUT or LONG_BINPUT: [`memo_put`] below protocol 4.
#[cold]
fn memo_put_indexed(out: &mut Vec<u8>, proto: u8, index: u32) {
    if proto == 0 {
        let _ = writeln!(out, "p{index}");
    } else if let Ok(small) = u8::try_from(index) {
        out.extend_from_slice(&[Opcode::BinPut.byte(), small]);
    } else {
        out.push(Opcode::LongBinPut.byte());
        out.extend_from_slice(&index.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_str_is_its_opcode_length_bytes_and_memoize_at_every_length() {
        let text: Vec<u8> = (b'a'..=b'z').collect();
        for len in 3..=SHORT_STR {
            let mut out = b"before".to_vec();
            short_str_memoized(&mut out, &text[..len]);
            let mut expected = b"before\x8c".to_vec();
            expected.push(len as u8);
            expected.extend_from_slice(&text[..len]);
            expected.push(0x94);
            assert_eq!(out, expected, "length {len}");
        }
    }

    #[test]
    fn extension_codes_take_the_smallest_ext_opcode() {
        let ext_of = |code| {
            let mut out = Vec::new();
            ext(&mut out, code);
            out
        };
        assert_eq!(ext_of(1), b"\x82\x01");
        assert_eq!(ext_of(255), b"\x82\xff");
        assert_eq!(ext_of(256), b"\x83\x00\x01");
        assert_eq!(ext_of(65535), b"\x83\xff\xff");
        assert_eq!(ext_of(65536), b"\x84\x00\x00\x01\x00");
        assert_eq!(ext_of(0x7fff_ffff), b"\x84\xff\xff\xff\x7f");
    }

    fn enc(proto: u8, v: i64) -> Vec<u8> {
        let mut out = Vec::new();
        int(&mut out, proto, v).unwrap();
        out
    }

    fn enc_big(proto: u8, v: BigInt) -> Vec<u8> {
        let mut out = Vec::new();
        bigint(&mut out, proto, &v).unwrap();
        out
    }

    #[test]
    fn small_ints_pick_the_shortest_binint() {
        // pickle.dumps(N, protocol=2)[2:-1] for each N
        assert_eq!(enc(2, 0), b"K\x00");
        assert_eq!(enc(2, 255), b"K\xff");
        assert_eq!(enc(2, 256), b"M\x00\x01");
        assert_eq!(enc(2, 65535), b"M\xff\xff");
        assert_eq!(enc(2, 65536), b"J\x00\x00\x01\x00");
        assert_eq!(enc(2, -1), b"J\xff\xff\xff\xff");
        assert_eq!(enc(2, 2_i64.pow(31) - 1), b"J\xff\xff\xff\x7f");
        assert_eq!(enc(2, -(2_i64.pow(31))), b"J\x00\x00\x00\x80");
    }

    #[test]
    fn ints_beyond_32_bits_are_long1_from_protocol_2_and_text_below() {
        // pickle.dumps(2**31, protocol=2) == b'\x80\x02\x8a\x05\x00\x00\x00\x80\x00.'
        assert_eq!(enc(2, 2_i64.pow(31)), b"\x8a\x05\x00\x00\x00\x80\x00");
        // pickle.dumps(-2**31-1, protocol=2)
        assert_eq!(
            enc(2, -(2_i64.pow(31)) - 1),
            b"\x8a\x05\xff\xff\xff\x7f\xff"
        );
        // pickle.dumps(-2**63, protocol=2) == b'\x80\x02\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.'
        assert_eq!(
            enc(2, i64::MIN),
            b"\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80"
        );
        // pickle.dumps(2**31, protocol=1) == b'L2147483648L\n.'
        assert_eq!(enc(1, 2_i64.pow(31)), b"L2147483648L\n");
        assert_eq!(enc(0, -(2_i64.pow(31)) - 1), b"L-2147483649L\n");
        // pickle.dumps(-1, protocol=0) == b'I-1\n.'
        assert_eq!(enc(0, -1), b"I-1\n");
    }

    #[test]
    fn big_ints_use_long1_then_long4_past_255_bytes() {
        // pickle.dumps(2**63, protocol=2) == b'\x80\x02\x8a\t\x00\x00\x00\x00\x00\x00\x00\x80\x00.'
        let two = BigInt::from(2);
        assert_eq!(
            enc_big(2, two.pow(63)),
            b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00"
        );
        // pickle.dumps(2**64, protocol=1) == b'L18446744073709551616L\n.'
        assert_eq!(enc_big(1, two.pow(64)), b"L18446744073709551616L\n");
        // pickle.dumps(-2**64, protocol=2)[2:-1]
        assert_eq!(
            enc_big(2, -two.pow(64)),
            b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff"
        );
        // pickle.dumps(-(2**2047), protocol=2)[:8] == b'\x80\x02\x8b\x00\x01\x00\x00\x00', 264 bytes
        let out = enc_big(2, -two.pow(2047));
        assert_eq!(&out[..5], b"\x8b\x00\x01\x00\x00");
        assert_eq!(out.len(), 5 + 256);
        // pickle.dumps(2**2031, protocol=2)[2:5] == b'\x8a\xff\x00' (255 bytes: still LONG1)
        let out = enc_big(2, two.pow(2031));
        assert_eq!(&out[..3], b"\x8a\xff\x00");
        assert_eq!(out.len(), 2 + 255);
        // pickle.dumps(2**2039, protocol=2)[2:7] == b'\x8b\x00\x01\x00\x00'
        assert_eq!(&enc_big(2, two.pow(2039))[..5], b"\x8b\x00\x01\x00\x00");
        // A BigInt holding a small value is written like an Int.
        assert_eq!(enc_big(2, BigInt::from(300)), b"M\x2c\x01");
    }

    #[test]
    fn floats_are_big_endian_binfloat_or_repr_text() {
        let mut out = Vec::new();
        float(&mut out, 1, 1.0);
        assert_eq!(out, b"G?\xf0\x00\x00\x00\x00\x00\x00");
        // pickle.dumps([0.1, 1e16, -0.0, nan, inf, 1e-05, 5e-324], protocol=0) items
        for (x, text) in [
            (0.1, "F0.1\n"),
            (1e16, "F1e+16\n"),
            (-0.0, "F-0.0\n"),
            (f64::NAN, "Fnan\n"),
            (f64::INFINITY, "Finf\n"),
            (f64::NEG_INFINITY, "F-inf\n"),
            (1e-5, "F1e-05\n"),
            (5e-324, "F5e-324\n"),
            (123456789012345678.0, "F1.2345678901234568e+17\n"),
            (100.0, "F100.0\n"),
        ] {
            let mut out = Vec::new();
            float(&mut out, 0, x);
            assert_eq!(String::from_utf8(out).unwrap(), text);
        }
    }

    #[test]
    fn raw_unicode_escape_escapes_backslash_nul_newlines_and_ctrl_z() {
        // pickle.dumps('a\\b\nc\rd\x00e\x1af\x7f\xe9\u1234\U0001f40d', 0)
        let mut out = Vec::new();
        raw_unicode_escape(
            &mut out,
            "a\\b\nc\rd\0e\x1af\x7f\u{e9}\u{1234}\u{1f40d}".chars(),
        );
        assert_eq!(
            out,
            b"a\\u005cb\\u000ac\\u000dd\\u0000e\\u001af\x7f\xe9\\u1234\\U0001f40d"
        );
    }

    #[test]
    fn str_and_bytes_headers_follow_size_and_protocol() {
        assert_eq!(str_header(4, 255).unwrap().as_bytes(), b"\x8c\xff");
        assert_eq!(str_header(4, 256).unwrap().as_bytes(), b"X\x00\x01\x00\x00");
        assert_eq!(str_header(3, 5).unwrap().as_bytes(), b"X\x05\x00\x00\x00");
        assert_eq!(bytes_header(3, 255).unwrap().as_bytes(), b"C\xff");
        assert_eq!(
            bytes_header(3, 256).unwrap().as_bytes(),
            b"B\x00\x01\x00\x00"
        );
        assert_eq!(
            bytearray_header(2).as_bytes(),
            b"\x96\x02\x00\x00\x00\x00\x00\x00\x00"
        );
    }

    #[test]
    fn memo_opcodes_follow_index_and_protocol() {
        let mut out = Vec::new();
        memo_put(&mut out, 0, 7);
        memo_get(&mut out, 0, 7);
        memo_put(&mut out, 1, 255);
        memo_put(&mut out, 1, 256);
        memo_get(&mut out, 2, 255);
        memo_get(&mut out, 2, 256);
        memo_put(&mut out, 4, 99999);
        assert_eq!(
            out,
            b"p7\ng7\nq\xffr\x00\x01\x00\x00h\xffj\x00\x01\x00\x00\x94"
        );
    }
}
