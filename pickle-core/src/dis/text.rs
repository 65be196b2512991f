//! Python's readings of argument text: `int()` and `float()` of bytes,
//! `codecs.escape_decode`, `raw-unicode-escape`, and UTF-8 with
//! `surrogatepass`. `pickletools` decodes arguments with exactly these, so the
//! disassembler accepts and rejects the same texts.

use std::borrow::Cow;

use num_bigint::BigInt;

use super::Arg;
use crate::error::{Error, ErrorKind, Result};
use crate::pyrepr;

/// CPython's default `sys.get_int_max_str_digits()`: `int()` of a longer
/// decimal text, and `repr()` of an int with more digits, raise ValueError.
pub(super) const INT_MAX_STR_DIGITS: usize = 4300;

/// The whitespace `int()` and `float()` strip from bytes (`Py_ISSPACE`).
fn is_py_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn strip_py_space(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_py_space(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_py_space(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// Whether every `_` in `s` sits between two ASCII digits, as Python requires.
fn underscores_between_digits(s: &[u8]) -> bool {
    s.iter().enumerate().all(|(i, &b)| {
        b != b'_'
            || (i > 0
                && s[i - 1].is_ascii_digit()
                && s.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
    })
}

fn digits_limit_error(digits: usize) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "Exceeds the limit ({INT_MAX_STR_DIGITS} digits) for integer string conversion: \
             value has {digits} digits; use sys.set_int_max_str_digits() to increase the limit"
        ),
    )
}

/// An int as [`Arg::Int`] when it fits in an `i64`, else [`Arg::BigInt`].
pub(super) fn int_arg(n: BigInt) -> Arg<'static> {
    match i64::try_from(&n) {
        Ok(small) => Arg::Int(small),
        Err(_) => Arg::BigInt(n),
    }
}

/// `int(text)` for bytes, base 10.
pub(super) fn parse_int(text: &[u8]) -> Result<Arg<'static>> {
    let invalid = || {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "invalid literal for int() with base 10: {}",
                pyrepr::bytes_repr(text)
            ),
        )
    };
    let s = strip_py_space(text);
    let (negative, body) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if body.is_empty()
        || !body.iter().all(|&b| b.is_ascii_digit() || b == b'_')
        || !underscores_between_digits(body)
    {
        return Err(invalid());
    }
    let digits: Vec<u8> = body.iter().copied().filter(|&b| b != b'_').collect();
    if digits.len() > INT_MAX_STR_DIGITS {
        return Err(digits_limit_error(digits.len()));
    }
    if digits.len() <= 18 {
        let magnitude = digits
            .iter()
            .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
        return Ok(Arg::Int(if negative { -magnitude } else { magnitude }));
    }
    let magnitude = BigInt::parse_bytes(&digits, 10).ok_or_else(invalid)?;
    Ok(int_arg(if negative { -magnitude } else { magnitude }))
}

/// `float(text)` for bytes.
pub(super) fn parse_float(text: &[u8]) -> Result<f64> {
    let invalid = || {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "could not convert string to float: {}",
                pyrepr::bytes_repr(text)
            ),
        )
    };
    let s = strip_py_space(text);
    if !s.is_ascii() || !underscores_between_digits(s) {
        return Err(invalid());
    }
    let cleaned: String = s
        .iter()
        .filter(|&&b| b != b'_')
        .map(|&b| b as char)
        .collect();
    // Rust's grammar is Python's (sign, digits with an optional point and
    // exponent, or inf/infinity/nan in any case), both correctly rounded.
    cleaned.parse::<f64>().map_err(|_| invalid())
}

/// Whether the decimal text of `n` is too long for Python's `repr`.
pub(super) fn int_repr_too_long(n: &BigInt) -> bool {
    // 2**14300 has more than 4300 digits; below that, count them.
    n.bits() > 14_300 || n.magnitude().to_string().len() > INT_MAX_STR_DIGITS
}

/// The error `repr()` raises for an int with too many digits.
pub(super) fn int_repr_error() -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "Exceeds the limit ({INT_MAX_STR_DIGITS} digits) for integer string conversion; \
             use sys.set_int_max_str_digits() to increase the limit"
        ),
    )
}

/// `codecs.escape_decode`: undoes the escapes of a Python bytes literal.
///
/// Unknown escapes such as `\q` are kept as written, as CPython does (with a warning).
pub(super) fn escape_decode(s: &[u8]) -> Result<Cow<'_, [u8]>> {
    if !s.contains(&b'\\') {
        return Ok(Cow::Borrowed(s));
    }
    let invalid = |message: String| Error::new(ErrorKind::InvalidArgument, message);
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
                // CPython 3.11 keeps the low byte of `\400`..`\777`.
                out.push(value as u8);
            }
            b'x' => {
                let hex = s.get(i..i + 2).and_then(|h| {
                    let h = std::str::from_utf8(h).ok()?;
                    if h.bytes().all(|d| d.is_ascii_hexdigit()) {
                        u8::from_str_radix(h, 16).ok()
                    } else {
                        None
                    }
                });
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => return Err(invalid(format!("invalid \\x escape at position {start}"))),
                }
            }
            _ => {
                out.push(b'\\');
                out.push(c);
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// `bytes.decode("ascii")`.
pub(super) fn ascii(bytes: Cow<'_, [u8]>) -> Result<Cow<'_, str>> {
    if let Some(pos) = bytes.iter().position(|b| !b.is_ascii()) {
        return Err(Error::new(
            ErrorKind::InvalidText,
            format!(
                "'ascii' codec can't decode byte 0x{:02x} in position {pos}: ordinal not in range(128)",
                bytes[pos]
            ),
        ));
    }
    Ok(match bytes {
        // ASCII is UTF-8, so neither conversion can fail.
        Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).unwrap_or_default()),
        Cow::Owned(b) => Cow::Owned(String::from_utf8(b).unwrap_or_default()),
    })
}

/// `bytes.decode("latin-1")`: every byte is one character.
pub(super) fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if bytes.is_ascii() => Cow::Borrowed(s),
        _ => Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
    }
}

/// A str from code points, which may include lone surrogates.
fn str_arg(code_points: Vec<u32>) -> Arg<'static> {
    match code_points
        .iter()
        .map(|&cp| char::from_u32(cp))
        .collect::<Option<String>>()
    {
        Some(s) => Arg::Str(Cow::Owned(s)),
        None => Arg::SurrogateStr(code_points),
    }
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |v, &d| {
        let d = (d as char).to_digit(16)?;
        Some(v * 16 + d)
    })
}

/// `str(bytes, "raw-unicode-escape")`.
///
/// Only `\uXXXX` and `\UXXXXXXXX` are escapes, and only after an odd number
/// of backslashes; every other byte is the Latin-1 character of that value.
/// Surrogates stay single code points, as in Python.
pub(super) fn raw_unicode_escape(s: &[u8]) -> Result<Arg<'_>> {
    if !s.contains(&b'\\') {
        return Ok(Arg::Str(latin1(s)));
    }
    let mut out: Vec<u32> = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(u32::from(s[i]));
            i += 1;
            continue;
        }
        let run_start = i;
        while s.get(i) == Some(&b'\\') {
            out.push(u32::from(b'\\'));
            i += 1;
        }
        let width = match s.get(i) {
            Some(b'u') => 4,
            Some(b'U') => 8,
            _ => continue,
        };
        if (i - run_start) % 2 == 0 {
            continue;
        }
        // The last backslash starts the escape.
        out.pop();
        let escape_start = i - 1;
        let digits = s.get(i + 1..i + 1 + width);
        let value = digits.filter(|d| d.len() == width).and_then(hex_value);
        let Some(value) = value else {
            let valid = s[i + 1..]
                .iter()
                .take(width)
                .take_while(|d| d.is_ascii_hexdigit())
                .count();
            let end = i + valid;
            return Err(Error::new(
                ErrorKind::InvalidText,
                format!(
                    "'rawunicodeescape' codec can't decode bytes in position {escape_start}-{end}: \
                     truncated \\{}XXXX{} escape",
                    s[i] as char,
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
                    i + width
                ),
            ));
        }
        out.push(value);
        i += 1 + width;
    }
    Ok(str_arg(out))
}

/// `str(bytes, "utf-8", "surrogatepass")`: UTF-8 that may also encode lone surrogates.
pub(super) fn utf8_surrogatepass(s: &[u8]) -> Result<Arg<'_>> {
    if let Ok(text) = std::str::from_utf8(s) {
        return Ok(Arg::Str(Cow::Borrowed(text)));
    }
    let mut out: Vec<u32> = Vec::with_capacity(s.len());
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
        out.push(cp);
        i += len;
    }
    Ok(str_arg(out))
}

fn utf8_error(byte: u8, pos: usize, reason: &str) -> Error {
    Error::new(
        ErrorKind::InvalidText,
        format!("'utf-8' codec can't decode byte 0x{byte:02x} in position {pos}: {reason}"),
    )
}

/// `repr()` of a str given as code points, some of them lone surrogates.
pub(super) fn write_code_points_repr(out: &mut String, code_points: &[u32]) {
    let has_single = code_points.contains(&u32::from(b'\''));
    let has_double = code_points.contains(&u32::from(b'"'));
    let quote = if has_single && !has_double { '"' } else { '\'' };
    out.push(quote);
    let mut buf = [0u8; 4];
    for &cp in code_points {
        match char::from_u32(cp) {
            // A lone surrogate is never printable.
            None => out.push_str(&format!("\\u{cp:04x}")),
            Some(c) if c == quote || c == '\\' => {
                out.push('\\');
                out.push(c);
            }
            Some(c) => {
                // Every other character is escaped the same alone as in any
                // string: reuse `pyrepr` and drop its one-byte quotes.
                let r = pyrepr::str_repr(c.encode_utf8(&mut buf));
                out.push_str(&r[1..r.len() - 1]);
            }
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(text: &[u8]) -> String {
        match parse_int(text) {
            Ok(Arg::Int(n)) => n.to_string(),
            Ok(Arg::BigInt(n)) => n.to_string(),
            Ok(other) => format!("{other:?}"),
            Err(e) => format!("error: {}", e.message()),
        }
    }

    // Expected values are CPython 3.11's `int(b'...')`.
    #[test]
    fn int_of_bytes_follows_python() {
        assert_eq!(int(b" 12 "), "12");
        assert_eq!(int(b"\x0b-1_0\x0c"), "-10");
        assert_eq!(int(b"+007"), "7");
        assert_eq!(int(b"-9223372036854775809"), "-9223372036854775809");
        assert_eq!(
            int(b"_1"),
            "error: invalid literal for int() with base 10: b'_1'"
        );
        assert!(int(b"1__0").starts_with("error: invalid literal"));
        assert!(int(b"- 5").starts_with("error: invalid literal"));
        assert!(int(b"0x10").starts_with("error: invalid literal"));
        assert!(int(b"\xa05").starts_with("error: invalid literal"));
        assert!(int(b"").starts_with("error: invalid literal"));
        assert_eq!(int(&[b'1'; 4300]).len(), 4300);
        assert!(int(&[b'0'; 4301]).contains("value has 4301 digits"));
    }

    #[test]
    fn float_of_bytes_follows_python() {
        let ok = |t: &[u8]| parse_float(t).map(pyrepr::float_repr).ok();
        assert_eq!(ok(b" 1.5 ").as_deref(), Some("1.5"));
        assert_eq!(ok(b"1_0.5").as_deref(), Some("10.5"));
        assert_eq!(ok(b"1e1_0").as_deref(), Some("10000000000.0"));
        assert_eq!(ok(b"-nan").as_deref(), Some("nan"));
        assert_eq!(ok(b"Infinity").as_deref(), Some("inf"));
        assert_eq!(ok(b"1.").as_deref(), Some("1.0"));
        assert_eq!(ok(b".5").as_deref(), Some("0.5"));
        for bad in [
            &b"1_.5"[..],
            b"1._5",
            b"infinit",
            b".",
            b"1e",
            b"0x1p3",
            b"1.5\x00",
        ] {
            assert_eq!(ok(bad), None, "{}", pyrepr::bytes_repr(bad));
        }
    }

    #[test]
    fn escape_decode_follows_codecs_escape_decode() {
        let d = |s: &[u8]| escape_decode(s).map(|c| c.into_owned());
        assert_eq!(d(br"\q").unwrap(), br"\q");
        assert_eq!(d(br"\400").unwrap(), b"\x00");
        assert_eq!(d(br"\777").unwrap(), b"\xff");
        assert_eq!(d(br"\08").unwrap(), b"\x008");
        assert_eq!(d(br"\a\b\f\v\0").unwrap(), b"\x07\x08\x0c\x0b\x00");
        assert_eq!(d(br"\x41\'").unwrap(), b"A'");
        assert_eq!(
            d(br"ab\x4g").unwrap_err().message(),
            "invalid \\x escape at position 2"
        );
        assert_eq!(d(b"a\\").unwrap_err().message(), "Trailing \\ in string");
    }

    fn raw(s: &[u8]) -> String {
        match raw_unicode_escape(s) {
            Ok(arg) => arg.to_string(),
            Err(e) => format!("error: {}", e.message()),
        }
    }

    // Expected values are CPython 3.11's `repr(str(b'...', 'raw-unicode-escape'))`.
    #[test]
    fn raw_unicode_escape_follows_python() {
        assert_eq!(raw(br"\u1234"), "'\u{1234}'");
        assert_eq!(raw(br"\\u1234"), r"'\\\\u1234'");
        assert_eq!(raw(br"\\\u1234"), "'\\\\\\\\\u{1234}'");
        assert_eq!(raw(br"\U0001F40D"), "'🐍'");
        assert_eq!(raw(br"\ud83d\udc0d"), r"'\ud83d\udc0d'");
        assert_eq!(raw(b"\xe9\\x41"), r"'é\\x41'");
        assert_eq!(raw(b"\\"), r"'\\'");
        assert!(raw(br"ab\u12g4").contains("position 2-5: truncated \\uXXXX escape"));
        assert!(raw(br"\U0001f40").contains("truncated \\UXXXXXXXX escape"));
        assert!(raw(br"\U00110000").contains("out of range"));
    }

    #[test]
    fn utf8_surrogatepass_keeps_lone_surrogates() {
        let s = |b: &[u8]| utf8_surrogatepass(b).map(|a| a.to_string());
        assert_eq!(s(b"a\xed\xa0\x80'").unwrap(), r#""a\ud800'""#);
        assert_eq!(s(b"\xed\xa0\xbd\xed\xb0\x8d").unwrap(), r"'\ud83d\udc0d'");
        assert!(s(b"\xff").is_err());
        assert!(s(b"\xc0\x80").is_err());
        assert!(s(b"\xe2\x82").is_err());
        assert!(s(b"\xf4\x90\x80\x80").is_err());
    }
}
