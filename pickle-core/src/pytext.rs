//! Python's readings of text, as the pickle readers need them: `int()` and
//! `float()` of bytes, the escapes of a bytes literal
//! (`codecs.escape_decode`), `raw-unicode-escape`, UTF-8 with
//! `surrogatepass`, ASCII and Latin-1, and the decimal arguments of INT and
//! LONG.
//!
//! The disassembler reads arguments as `pickletools` does and the unpickler
//! as `_pickle.c` does. Both call the same codecs, so the codecs live here,
//! once; where the two readers differ (FLOAT's grammar, STRING's quotes,
//! what becomes of a lone surrogate), the difference is kept, explained, in
//! `dis/text.rs` or `unpickler/text.rs`.

use std::borrow::Cow;

use num_bigint::BigInt;

use crate::error::{Error, ErrorKind, Result};
use crate::pyrepr;

/// CPython's default `sys.get_int_max_str_digits()`: `int()` of a longer
/// decimal text, and `repr()` of an int with more digits, raise ValueError.
/// It also keeps the quadratic decimal conversion bounded.
pub(crate) const INT_MAX_STR_DIGITS: usize = 4300;

/// The whitespace `int()` and `float()` strip from bytes (`Py_ISSPACE`).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `s` without the whitespace `int()` and `float()` ignore around a number.
pub(crate) fn strip_space(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_space(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_space(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// Whether every `_` in `s` sits between two ASCII digits, as Python requires.
pub(crate) fn underscores_between_digits(s: &[u8]) -> bool {
    s.iter().enumerate().all(|(i, &b)| {
        b != b'_'
            || (i > 0
                && s[i - 1].is_ascii_digit()
                && s.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
    })
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

// -- Ints -------------------------------------------------------------------

/// A Python int read from text.
#[derive(Debug, PartialEq)]
pub(crate) enum Int {
    /// Every int that fits in an `i64`.
    Small(i64),
    /// Only ints outside the `i64` range.
    Big(BigInt),
}

impl From<BigInt> for Int {
    fn from(n: BigInt) -> Self {
        match i64::try_from(&n) {
            Ok(small) => Int::Small(small),
            Err(_) => Int::Big(n),
        }
    }
}

/// `int(text)` for bytes, base 10: surrounding whitespace, an optional sign,
/// and digits with single underscores between them.
pub(crate) fn parse_int(text: &[u8]) -> Result<Int> {
    let bad = || {
        invalid(format!(
            "invalid literal for int() with base 10: {}",
            pyrepr::bytes_repr(text)
        ))
    };
    let s = strip_space(text);
    let (negative, body) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if body.is_empty()
        || !body.iter().all(|&b| b.is_ascii_digit() || b == b'_')
        || !underscores_between_digits(body)
    {
        return Err(bad());
    }
    let digits: Vec<u8> = body.iter().copied().filter(|&b| b != b'_').collect();
    if digits.len() > INT_MAX_STR_DIGITS {
        return Err(invalid(format!(
            "Exceeds the limit ({INT_MAX_STR_DIGITS} digits) for integer string conversion: \
             value has {} digits; use sys.set_int_max_str_digits() to increase the limit",
            digits.len()
        )));
    }
    if digits.len() <= 18 {
        // At most 18 digits: cannot overflow an i64.
        let magnitude = digits
            .iter()
            .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
        return Ok(Int::Small(if negative { -magnitude } else { magnitude }));
    }
    let magnitude = BigInt::parse_bytes(&digits, 10).ok_or_else(bad)?;
    Ok(Int::from(if negative { -magnitude } else { magnitude }))
}

/// The argument of INT (`decimalnl_short`): an int, or a bool.
pub(crate) enum IntOrBool {
    Int(Int),
    Bool(bool),
}

/// The argument of INT, as `pickletools.read_decimalnl_short` and CPython
/// 3.14's `load_int` both read it: exactly `00` or `01` is a bool, anything
/// else is `int(text)` in base 10.
///
/// CPython 3.11's C unpickler differed (gh-126992, gh-135241): it read the
/// text with `strtol(base=0)`, so `010` was octal 8 and any two characters
/// read as 0 or 1, such as `+1` or `-0`, were a bool. Our corpus lists those
/// re-dumps as deviations.
pub(crate) fn decimalnl_short(text: &[u8]) -> Result<IntOrBool> {
    match text {
        b"00" => Ok(IntOrBool::Bool(false)),
        b"01" => Ok(IntOrBool::Bool(true)),
        _ => parse_int(text).map(IntOrBool::Int),
    }
}

/// The argument of LONG (`decimalnl_long`): `int(text)` after one optional
/// trailing `L`, as `pickletools.read_decimalnl_long` and `load_long` read it.
pub(crate) fn decimalnl_long(text: &[u8]) -> Result<Int> {
    parse_int(text.strip_suffix(b"L").unwrap_or(text))
}

// -- Floats -----------------------------------------------------------------

/// A float literal with no whitespace and no underscores: a sign, then
/// digits with an optional point and exponent, or `inf`, `infinity` or `nan`
/// in any case. That is the grammar of both `float()` (once it has dealt
/// with whitespace and underscores) and `PyOS_string_to_double`; it is also
/// exactly Rust's, and both round correctly.
pub(crate) fn float_literal(s: &[u8]) -> Option<f64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// The error for a text that is not a float.
pub(crate) fn float_error(text: &[u8]) -> Error {
    invalid(format!(
        "could not convert string to float: {}",
        pyrepr::bytes_repr(text)
    ))
}

// -- Escapes ----------------------------------------------------------------

/// `codecs.escape_decode`, which is `PyBytes_DecodeEscape`, what `_pickle.c`
/// calls for STRING: undoes the escapes of a Python bytes literal. Borrows
/// when there is no backslash.
///
/// Unknown escapes such as `\q` are kept as written, as CPython does (with a warning).
pub(crate) fn escape_decode(s: &[u8]) -> Result<Cow<'_, [u8]>> {
    if !s.contains(&b'\\') {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let start = i;
        let Some(&c) = s.get(i + 1) else {
            return Err(invalid("Trailing \\ in string".into()));
        };
        i += 2;
        match c {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(c),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0b),
            b'a' => out.push(0x07),
            b'0'..=b'7' => {
                let mut value = u32::from(c - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                // CPython keeps the low byte of `\400`..`\777`.
                out.push(value as u8);
            }
            b'x' => match s.get(i..i + 2).and_then(hex_value) {
                Some(v) => {
                    out.push(v as u8);
                    i += 2;
                }
                None => return Err(invalid(format!("invalid \\x escape at position {start}"))),
            },
            _ => {
                out.push(b'\\');
                out.push(c);
            }
        }
    }
    Ok(Cow::Owned(out))
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |v, &d| {
        let d = (d as char).to_digit(16)?;
        Some(v * 16 + d)
    })
}

/// `str(bytes, "raw-unicode-escape")`, the argument of UNICODE: hands each
/// code point to `push`, with the byte position it was read from.
///
/// Only `\uXXXX` and `\UXXXXXXXX` are escapes, and only after an odd number
/// of backslashes; every other byte is the Latin-1 character of that value.
/// A surrogate escape is one code point, which Python keeps as it is; `push`
/// decides what becomes of it.
pub(crate) fn raw_unicode_escape(
    s: &[u8],
    mut push: impl FnMut(usize, u32) -> Result<()>,
) -> Result<()> {
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            push(i, u32::from(s[i]))?;
            i += 1;
            continue;
        }
        let run_start = i;
        while s.get(i + 1) == Some(&b'\\') {
            push(i, u32::from(b'\\'))?;
            i += 1;
        }
        // `i` is the run's last backslash; it starts an escape if the run is odd.
        let width = match s.get(i + 1) {
            Some(b'u') if (i - run_start) % 2 == 0 => 4,
            Some(b'U') if (i - run_start) % 2 == 0 => 8,
            _ => {
                push(i, u32::from(b'\\'))?;
                i += 1;
                continue;
            }
        };
        let escape_start = i;
        let digits_start = i + 2;
        let Some(value) = s
            .get(digits_start..digits_start + width)
            .and_then(hex_value)
        else {
            let valid = s[digits_start..]
                .iter()
                .take(width)
                .take_while(|d| d.is_ascii_hexdigit())
                .count();
            return Err(Error::new(
                ErrorKind::InvalidText,
                format!(
                    "'rawunicodeescape' codec can't decode bytes in position {escape_start}-{}: \
                     truncated \\{}XXXX{} escape",
                    i + 1 + valid,
                    s[i + 1] as char,
                    if width == 8 { "XXXX" } else { "" }
                ),
            ));
        };
        if value > 0x10_ffff {
            return Err(Error::new(
                ErrorKind::InvalidText,
                format!(
                    "'rawunicodeescape' codec can't decode bytes in position {escape_start}-{}: \
                     \\Uxxxxxxxx out of range",
                    i + 1 + width
                ),
            ));
        }
        push(escape_start, value)?;
        i = digits_start + width;
    }
    Ok(())
}

// -- Codecs -----------------------------------------------------------------

/// `str(bytes, "utf-8", "surrogatepass")`, as CPython decodes the UNICODE
/// family: UTF-8 that may also encode lone surrogates. Hands each code point
/// to `push`, with the byte position of its sequence.
pub(crate) fn utf8_surrogatepass(
    s: &[u8],
    mut push: impl FnMut(usize, u32) -> Result<()>,
) -> Result<()> {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        let (len, min, initial) = match b {
            0x00..=0x7f => (1, 0, u32::from(b)),
            0xc2..=0xdf => (2, 0x80, u32::from(b & 0x1f)),
            0xe0..=0xef => (3, 0x800, u32::from(b & 0x0f)),
            0xf0..=0xf4 => (4, 0x1_0000, u32::from(b & 0x07)),
            _ => return Err(utf8_error(b, i, "invalid start byte")),
        };
        let mut cp = initial;
        for k in 1..len {
            match s.get(i + k) {
                Some(&c) if c & 0xc0 == 0x80 => cp = (cp << 6) | u32::from(c & 0x3f),
                Some(_) => return Err(utf8_error(b, i, "invalid continuation byte")),
                None => return Err(utf8_error(b, i, "unexpected end of data")),
            }
        }
        if cp < min || cp > 0x10_ffff {
            return Err(utf8_error(b, i, "invalid continuation byte"));
        }
        push(i, cp)?;
        i += len;
    }
    Ok(())
}

fn utf8_error(byte: u8, pos: usize, reason: &str) -> Error {
    Error::new(
        ErrorKind::InvalidText,
        format!("'utf-8' codec can't decode byte 0x{byte:02x} in position {pos}: {reason}"),
    )
}

/// The error `bytes.decode("ascii")` raises for `b`, if any.
pub(crate) fn check_ascii(b: &[u8]) -> Result<()> {
    match b.iter().position(|c| !c.is_ascii()) {
        None => Ok(()),
        Some(pos) => Err(Error::new(
            ErrorKind::InvalidText,
            format!(
                "'ascii' codec can't decode byte 0x{:02x} in position {pos}: ordinal not in range(128)",
                b[pos]
            ),
        )),
    }
}

/// `bytes.decode("ascii")`, keeping a borrow a borrow.
pub(crate) fn ascii(bytes: Cow<'_, [u8]>) -> Result<Cow<'_, str>> {
    check_ascii(&bytes)?;
    Ok(match bytes {
        // ASCII is UTF-8, so neither conversion can fail.
        Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).unwrap_or_default()),
        Cow::Owned(b) => Cow::Owned(String::from_utf8(b).unwrap_or_default()),
    })
}

/// `bytes.decode("latin-1")`: every byte is one character. Borrows ASCII.
pub(crate) fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if bytes.is_ascii() => Cow::Borrowed(s),
        _ => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// `str.encode("latin-1")`, or `None` if `s` has a character past U+00FF.
pub(crate) fn encode_latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// Whether `name` is one of the spellings Python's codec registry maps to Latin-1.
pub(crate) fn is_latin1_codec(name: &str) -> bool {
    let normalized: String = name
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    matches!(
        normalized.as_str(),
        "latin1"
            | "latin_1"
            | "latin"
            | "l1"
            | "iso8859_1"
            | "iso_8859_1"
            | "8859"
            | "cp819"
            | "iso_ir_100"
            | "csisolatin1"
            | "iso_8859_1:1987"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(text: &[u8]) -> String {
        match parse_int(text) {
            Ok(Int::Small(n)) => n.to_string(),
            Ok(Int::Big(n)) => format!("big {n}"),
            Err(e) => format!("error: {}", e.message()),
        }
    }

    // Expected values are CPython 3.11's `int(b'...')`.
    #[test]
    fn int_of_bytes_follows_python() {
        assert_eq!(int(b" 12 "), "12");
        assert_eq!(int(b"\x0b-1_0\x0c"), "-10");
        assert_eq!(int(b"+007"), "7");
        assert_eq!(int(b"1_000"), "1000");
        assert_eq!(int(b"-9223372036854775808"), "-9223372036854775808");
        assert_eq!(int(b"9223372036854775808"), "big 9223372036854775808");
        assert_eq!(int(b"-9223372036854775809"), "big -9223372036854775809");
        assert_eq!(
            int(b"_1"),
            "error: invalid literal for int() with base 10: b'_1'"
        );
        for bad in [
            &b"1__0"[..],
            b"1_",
            b"- 5",
            b"--1",
            b"1.0",
            b"0x10",
            b"0o7",
            b"1\0",
            b"\xa05",
            b"",
            b" ",
        ] {
            assert!(
                int(bad).starts_with("error: invalid literal"),
                "{}",
                pyrepr::bytes_repr(bad)
            );
            assert_eq!(
                parse_int(bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
        }
    }

    #[test]
    fn int_of_more_than_4300_digits_is_refused() {
        assert_eq!(int(&[b'1'; 4300]).len(), 4 + 4300);
        assert!(int(&[b'0'; 4301]).starts_with(
            "error: Exceeds the limit (4300 digits) for integer string conversion: \
             value has 4301 digits"
        ));
    }

    #[test]
    fn int_argument_reads_00_and_01_as_bools() {
        let is_bool = |t: &[u8]| match decimalnl_short(t).unwrap() {
            IntOrBool::Bool(b) => Some(b),
            IntOrBool::Int(_) => None,
        };
        assert_eq!(is_bool(b"00"), Some(false));
        assert_eq!(is_bool(b"01"), Some(true));
        // CPython 3.14 and pickletools: only `00` and `01`.
        for int in [&b"+1"[..], b"-0", b"0", b"1", b"1 ", b"001", b"010"] {
            assert_eq!(is_bool(int), None, "{}", pyrepr::bytes_repr(int));
        }
        assert!(matches!(
            decimalnl_short(b"010").unwrap(),
            IntOrBool::Int(Int::Small(10))
        ));
    }

    #[test]
    fn long_argument_drops_one_trailing_l() {
        assert_eq!(decimalnl_long(b"12L").unwrap(), Int::Small(12));
        assert_eq!(decimalnl_long(b"12").unwrap(), Int::Small(12));
        assert!(decimalnl_long(b"12LL").is_err());
        assert!(decimalnl_long(b"L").is_err());
        assert!(decimalnl_long(b"0x10L").is_err());
    }

    #[test]
    fn float_literal_is_python_grammar_without_spaces_or_underscores() {
        let f = |t: &[u8]| float_literal(t).map(pyrepr::float_repr);
        assert_eq!(f(b"1.5").as_deref(), Some("1.5"));
        assert_eq!(f(b"-0.0").as_deref(), Some("-0.0"));
        assert_eq!(f(b"1e-05").as_deref(), Some("1e-05"));
        assert_eq!(f(b"1.").as_deref(), Some("1.0"));
        assert_eq!(f(b".5").as_deref(), Some("0.5"));
        assert_eq!(f(b"+.5E+1").as_deref(), Some("5.0"));
        assert_eq!(f(b"5e-324").as_deref(), Some("5e-324"));
        assert_eq!(f(b"-Infinity").as_deref(), Some("-inf"));
        assert_eq!(f(b"iNf").as_deref(), Some("inf"));
        assert_eq!(f(b"-nan").as_deref(), Some("nan"));
        assert_eq!(f(b"1e500").as_deref(), Some("inf"));
        for bad in [
            &b" 1.5"[..],
            b"1.5 ",
            b"1_0",
            b"",
            b".",
            b"e5",
            b"1e",
            b"1e+",
            b"0x1p3",
            b"infinit",
            b"++1",
            b"1.5\x00",
            b"\xef\xbc\x91",
        ] {
            assert_eq!(f(bad), None, "{}", pyrepr::bytes_repr(bad));
        }
    }

    #[test]
    fn escape_decode_follows_codecs_escape_decode() {
        let d = |s: &[u8]| escape_decode(s).map(|c| c.into_owned());
        assert!(matches!(
            escape_decode(b"plain"),
            Ok(Cow::Borrowed(b"plain"))
        ));
        assert_eq!(
            d(br#"\x41\n\t\\\'\"\a\b\f\v\r"#).unwrap(),
            b"A\n\t\\'\"\x07\x08\x0c\x0b\r"
        );
        assert_eq!(d(b"a\\\nb").unwrap(), b"ab");
        assert_eq!(d(br"\0\12\101\1012").unwrap(), b"\0\nAA2");
        assert_eq!(d(br"\08").unwrap(), b"\x008");
        assert_eq!(d(br"\400").unwrap(), b"\x00");
        assert_eq!(d(br"\777").unwrap(), b"\xff");
        assert_eq!(d(br"\q\8").unwrap(), br"\q\8");
        for (bad, message) in [
            (&br"ab\x4g"[..], "invalid \\x escape at position 2"),
            (br"\x4", "invalid \\x escape at position 0"),
            (b"\\x\xc3\xa9", "invalid \\x escape at position 0"),
            (b"a\\", "Trailing \\ in string"),
        ] {
            let e = d(bad).unwrap_err();
            assert_eq!(e.message(), message);
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        }
    }

    fn raw(s: &[u8]) -> Result<Vec<(usize, u32)>> {
        let mut out = Vec::new();
        raw_unicode_escape(s, |at, cp| {
            out.push((at, cp));
            Ok(())
        })?;
        Ok(out)
    }

    fn text(s: &[u8]) -> String {
        match raw(s) {
            Ok(cps) => cps
                .iter()
                .map(|&(_, cp)| char::from_u32(cp).unwrap_or('?'))
                .collect(),
            Err(e) => format!("error: {}", e.message()),
        }
    }

    // Expected values are CPython 3.11's `str(b'...', 'raw-unicode-escape')`.
    #[test]
    fn raw_unicode_escape_follows_python() {
        assert_eq!(text(br"\u1234"), "\u{1234}");
        assert_eq!(text(br"\\u1234"), r"\\u1234");
        assert_eq!(text(br"\\\u1234"), "\\\\\u{1234}");
        assert_eq!(text(br"\U0001F40D"), "🐍");
        assert_eq!(text(b"\xe9\\x41"), r"é\x41");
        assert_eq!(text(b"\\"), r"\");
        assert_eq!(text(b"a\\"), r"a\");
        assert_eq!(
            raw(br"a\ud83d\udc0d").unwrap(),
            [(0, 0x61), (1, 0xd83d), (7, 0xdc0d)]
        );
        assert_eq!(
            text(br"ab\u12g4"),
            "error: 'rawunicodeescape' codec can't decode bytes in position 2-5: \
             truncated \\uXXXX escape"
        );
        assert_eq!(
            text(br"\U0001f40"),
            "error: 'rawunicodeescape' codec can't decode bytes in position 0-8: \
             truncated \\UXXXXXXXX escape"
        );
        assert_eq!(
            text(br"\U00110000"),
            "error: 'rawunicodeescape' codec can't decode bytes in position 0-9: \
             \\Uxxxxxxxx out of range"
        );
        assert_eq!(raw(br"\u00").unwrap_err().kind(), ErrorKind::InvalidText);
    }

    fn utf8(s: &[u8]) -> Result<Vec<(usize, u32)>> {
        let mut out = Vec::new();
        utf8_surrogatepass(s, |at, cp| {
            out.push((at, cp));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn utf8_surrogatepass_passes_lone_surrogates() {
        assert_eq!(
            utf8(b"a\xed\xa0\x80\xc3\xa9").unwrap(),
            [(0, 0x61), (1, 0xd800), (4, 0xe9)]
        );
        assert_eq!(utf8(b"\xf0\x9f\x90\x8d").unwrap(), [(0, 0x1f40d)]);
        for (bad, reason) in [
            (&b"\xff"[..], "byte 0xff in position 0: invalid start byte"),
            (b"\xc0\x80", "byte 0xc0 in position 0: invalid start byte"),
            (
                b"\xe0\x80\x80",
                "byte 0xe0 in position 0: invalid continuation byte",
            ),
            (
                b"\xe2\x82",
                "byte 0xe2 in position 0: unexpected end of data",
            ),
            (
                b"\xf4\x90\x80\x80",
                "byte 0xf4 in position 0: invalid continuation byte",
            ),
        ] {
            let e = utf8(bad).unwrap_err();
            assert_eq!(e.message(), format!("'utf-8' codec can't decode {reason}"));
            assert_eq!(e.kind(), ErrorKind::InvalidText);
        }
    }

    #[test]
    fn ascii_and_latin1_follow_python_codecs() {
        assert_eq!(ascii(Cow::Borrowed(b"ab")).unwrap(), "ab");
        assert_eq!(
            ascii(Cow::Owned(b"a\xe9".to_vec())).unwrap_err().message(),
            "'ascii' codec can't decode byte 0xe9 in position 1: ordinal not in range(128)"
        );
        assert!(matches!(latin1(b"ab"), Cow::Borrowed("ab")));
        assert_eq!(latin1(b"\xe9a"), "éa");
        assert_eq!(encode_latin1("éa").unwrap(), b"\xe9a");
        assert_eq!(encode_latin1("€"), None);
        assert!(is_latin1_codec("latin1"));
        assert!(is_latin1_codec("Latin-1"));
        assert!(is_latin1_codec("ISO-8859-1"));
        assert!(!is_latin1_codec("utf-8"));
    }
}
