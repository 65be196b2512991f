//! The text arguments of protocol 0: decimal ints, floats, quoted strings and
//! raw-unicode-escape, decoded as CPython's C unpickler decodes them.
//!
//! Each function takes the line without its `\n` and returns either the
//! decoded value or an error naming what is wrong. Decoders that usually
//! change nothing return `None` for "use the input as it is", so the caller
//! can keep borrowing it.

use num_bigint::BigInt;

use crate::error::{Error, ErrorKind, Result};

/// CPython's default `sys.get_int_max_str_digits()`: longer decimal ints are
/// refused, which also keeps the quadratic decimal conversion bounded.
const MAX_STR_DIGITS: usize = 4300;

/// An int parsed from text.
#[derive(Debug, PartialEq)]
pub(super) enum Int {
    Small(i64),
    Big(BigInt),
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

/// Python's `str.isspace` for ASCII bytes, as `int()` strips them.
#[inline]
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn show(text: &[u8]) -> String {
    String::from_utf8_lossy(text).into_owned()
}

/// Parses `int(text, 10)`: surrounding whitespace, an optional sign, and
/// digits with single underscores between them.
pub(super) fn parse_int(text: &[u8]) -> Result<Int> {
    let bad = || {
        invalid(format!(
            "invalid literal for int() with base 10: {:?}",
            show(text)
        ))
    };
    let start = text
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |i| i + 1);
    let body = text.get(start..end).unwrap_or_default();
    let (negative, digits) = match body.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, body),
    };
    // Digits with single underscores between them, as Python's grammar has it.
    let mut count = 0usize;
    let mut previous_underscore = true; // no leading underscore
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                count += 1;
                previous_underscore = false;
            }
            b'_' if !previous_underscore => previous_underscore = true,
            _ => return Err(bad()),
        }
    }
    if count == 0 || previous_underscore {
        return Err(bad());
    }
    if count > MAX_STR_DIGITS {
        return Err(invalid(format!(
            "exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion: value has {count} digits"
        )));
    }
    if count <= 18 {
        let mut n: i64 = 0;
        for &b in digits.iter().filter(|b| b.is_ascii_digit()) {
            // At most 18 digits: cannot overflow an i64.
            n = n * 10 + i64::from(b - b'0');
        }
        return Ok(Int::Small(if negative { -n } else { n }));
    }
    let clean: Vec<u8> = digits.iter().copied().filter(|&b| b != b'_').collect();
    let n = BigInt::parse_bytes(&clean, 10).ok_or_else(bad)?;
    let n = if negative { -n } else { n };
    Ok(match i64::try_from(&n) {
        Ok(small) => Int::Small(small),
        Err(_) => Int::Big(n),
    })
}

/// The argument of INT: an int, or a bool for exactly `00` or `01`.
///
/// This is CPython 3.14's rule (gh-135241); 3.11's C unpickler also took any
/// two characters `strtol` reads as 0 or 1, such as `+1`, as a bool.
pub(super) enum IntOrBool {
    Int(Int),
    Bool(bool),
}

pub(super) fn parse_int_opcode(text: &[u8]) -> Result<IntOrBool> {
    match text {
        b"00" => Ok(IntOrBool::Bool(false)),
        b"01" => Ok(IntOrBool::Bool(true)),
        _ => parse_int(text).map(IntOrBool::Int),
    }
}

/// The argument of LONG: decimal with an optional trailing `L`.
pub(super) fn parse_long(text: &[u8]) -> Result<Int> {
    let text = text.strip_suffix(b"L").unwrap_or(text);
    parse_int(text)
}

/// The argument of FLOAT, as `PyOS_string_to_double`: no surrounding space,
/// no underscores, `inf`/`infinity`/`nan` in any case, and an error (not
/// infinity) when a finite literal overflows.
pub(super) fn parse_float(text: &[u8]) -> Result<f64> {
    let bad = || {
        invalid(format!(
            "could not convert string to float: {:?}",
            show(text)
        ))
    };
    let body = match text.first() {
        Some(b'+' | b'-') => text.get(1..).unwrap_or_default(),
        _ => text,
    };
    let special = body.eq_ignore_ascii_case(b"inf")
        || body.eq_ignore_ascii_case(b"infinity")
        || body.eq_ignore_ascii_case(b"nan");
    if !special && !is_decimal_float(body) {
        return Err(bad());
    }
    // Validated ASCII, in a grammar Rust's parser accepts.
    let s = std::str::from_utf8(text).map_err(|_| bad())?;
    let x: f64 = s.parse().map_err(|_| bad())?;
    if x.is_infinite() && !special {
        return Err(invalid(format!(
            "value too large to convert to float: {:?}",
            show(text)
        )));
    }
    Ok(x)
}

/// `digits [. digits?] | . digits`, then an optional exponent.
fn is_decimal_float(s: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let int_len = digits(s);
    let mut i = int_len;
    let mut frac_len = 0;
    if s.get(i) == Some(&b'.') {
        i += 1;
        frac_len = digits(s.get(i..).unwrap_or_default());
        i += frac_len;
    }
    if int_len == 0 && frac_len == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_len = digits(s.get(i..).unwrap_or_default());
        if exp_len == 0 {
            return false;
        }
        i += exp_len;
    }
    i == s.len()
}

/// The argument of STRING: a quoted literal, `'...'` or `"..."`, with the
/// quotes removed. Anything else is an error, as in CPython.
pub(super) fn unquote(text: &[u8]) -> Result<&[u8]> {
    match text {
        [q @ (b'\'' | b'"'), inner @ .., last] if q == last => Ok(inner),
        _ => Err(Error::new(
            ErrorKind::InvalidArgument,
            "the STRING opcode argument must be quoted",
        )),
    }
}

#[inline]
fn hex_value(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// Decodes the escapes of a Python 2 `str` literal, as `PyBytes_DecodeEscape`
/// does. `None` when there is no backslash and the bytes stand as they are.
pub(super) fn decode_escapes(s: &[u8]) -> Result<Option<Vec<u8>>> {
    if !s.contains(&b'\\') {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = s.get(i) else {
            return Err(invalid("Trailing \\ in string"));
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0b),
            b'a' => out.push(0x07),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = (v << 3) + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                // Values past \377 keep their low byte, as CPython does.
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let pair = (s.get(i).copied().and_then(hex_value))
                    .zip(s.get(i + 1).copied().and_then(hex_value));
                match pair {
                    Some((hi, lo)) => {
                        out.push((hi * 16 + lo) as u8);
                        i += 2;
                    }
                    None => {
                        return Err(invalid(format!("invalid \\x escape at position {}", i - 2)))
                    }
                }
            }
            // Unknown escapes keep their backslash; the character is read again as itself.
            _ => {
                out.push(b'\\');
                i -= 1;
            }
        }
    }
    Ok(Some(out))
}

/// Decodes raw-unicode-escape, the argument of UNICODE: `\uXXXX` and
/// `\UXXXXXXXX` are escapes, every other byte is the Latin-1 character of
/// that value. `None` when the text is ASCII without escapes, so it can be
/// borrowed as it is.
///
/// A lone surrogate (`\ud800`) is a valid Python str but cannot be a Rust
/// `str`: it is [`ErrorKind::InvalidText`].
pub(super) fn decode_raw_unicode_escape(s: &[u8]) -> Result<Option<String>> {
    if s.is_ascii() && !s.contains(&b'\\') {
        return Ok(None);
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        i += 1;
        if c != b'\\' {
            out.push(char::from(c));
            continue;
        }
        let count = match s.get(i) {
            Some(b'u') => 4,
            Some(b'U') => 8,
            Some(&other) => {
                out.push('\\');
                out.push(char::from(other));
                i += 1;
                continue;
            }
            None => {
                out.push('\\');
                break;
            }
        };
        let position = i - 1;
        i += 1;
        let truncated = || {
            invalid(format!(
                "can't decode bytes in position {position}: truncated \\{}XXXX escape",
                if count == 4 { "u" } else { "U" }
            ))
        };
        let mut code: u32 = 0;
        for _ in 0..count {
            let d = s
                .get(i)
                .copied()
                .and_then(hex_value)
                .ok_or_else(truncated)?;
            code = (code << 4) | d;
            i += 1;
        }
        match char::from_u32(code) {
            Some(ch) => out.push(ch),
            None if (0xd800..0xe000).contains(&code) => {
                return Err(Error::new(
                    ErrorKind::InvalidText,
                    format!(
                        "lone surrogate \\u{code:04x} at position {position} cannot be held in a Rust str"
                    ),
                ))
            }
            None => {
                return Err(invalid(format!(
                    "can't decode bytes in position {position}: \\Uxxxxxxxx out of range"
                )))
            }
        }
    }
    Ok(Some(out))
}

/// Latin-1 bytes as a str: every byte is the character of that value.
pub(super) fn latin1_to_string(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

/// A str as Latin-1 bytes, or `None` if it has a character past U+00FF.
pub(super) fn string_to_latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// Whether `name` is one of the spellings Python's codec registry maps to Latin-1.
pub(super) fn is_latin1_codec(name: &str) -> bool {
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

/// The error for bytes that are not ASCII, worded as Python's codec error.
pub(super) fn check_ascii(b: &[u8]) -> Result<()> {
    match b.iter().position(|&c| !c.is_ascii()) {
        None => Ok(()),
        Some(i) => Err(Error::new(
            ErrorKind::InvalidText,
            format!(
                "'ascii' codec can't decode byte 0x{:02x} in position {i}: ordinal not in range(128)",
                b.get(i).copied().unwrap_or_default()
            ),
        )),
    }
}

/// Strict UTF-8, with Python's wording on failure.
pub(super) fn utf8(b: &[u8]) -> Result<&str> {
    std::str::from_utf8(b).map_err(|e| {
        let at = e.valid_up_to();
        Error::new(
            ErrorKind::InvalidText,
            format!(
                "'utf-8' codec can't decode byte 0x{:02x} in position {at} (lone surrogates, which CPython accepts here, cannot be held in a Rust str)",
                b.get(at).copied().unwrap_or_default()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(text: &str) -> i64 {
        match parse_int(text.as_bytes()).unwrap() {
            Int::Small(n) => n,
            Int::Big(n) => panic!("{n} is big"),
        }
    }

    #[test]
    fn int_text_is_decimal_with_python_spacing_signs_and_underscores() {
        assert_eq!(small("010"), 10);
        assert_eq!(small("-7"), -7);
        assert_eq!(small("+7"), 7);
        assert_eq!(small(" 12 "), 12);
        assert_eq!(small("1_000"), 1000);
        assert_eq!(small("-9223372036854775808"), i64::MIN);
        for bad in [
            "0x10", "", " ", "1__0", "_1", "1_", "--1", "1.0", "0o7", "1\0",
        ] {
            let err = parse_int(bad.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
    }

    #[test]
    fn int_text_past_i64_is_big_and_past_4300_digits_is_refused() {
        assert_eq!(
            parse_int(b"9223372036854775808").unwrap(),
            Int::Big(BigInt::from(1u64 << 63))
        );
        assert!(parse_int("9".repeat(4300).as_bytes()).is_ok());
        let err = parse_int("9".repeat(4301).as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn int_opcode_reads_00_and_01_as_bools() {
        let is_bool = |t: &str| match parse_int_opcode(t.as_bytes()).unwrap() {
            IntOrBool::Bool(b) => Some(b),
            IntOrBool::Int(_) => None,
        };
        assert_eq!(is_bool("00"), Some(false));
        assert_eq!(is_bool("01"), Some(true));
        assert_eq!(is_bool("+1"), None); // CPython 3.14: only `00` and `01`
        assert_eq!(is_bool("-0"), None);
        assert_eq!(is_bool("0"), None);
        assert_eq!(is_bool("1 "), None);
        assert_eq!(is_bool("001"), None);
    }

    #[test]
    fn long_text_drops_one_trailing_l() {
        assert_eq!(parse_long(b"12L").unwrap(), Int::Small(12));
        assert_eq!(parse_long(b"12").unwrap(), Int::Small(12));
        assert!(parse_long(b"12LL").is_err());
        assert!(parse_long(b"L").is_err());
        assert!(parse_long(b"0x10L").is_err());
    }

    #[test]
    fn float_text_follows_pyos_string_to_double() {
        assert_eq!(parse_float(b"1.5").unwrap(), 1.5);
        assert_eq!(parse_float(b"-0.0").unwrap().to_bits(), (-0.0f64).to_bits());
        assert_eq!(parse_float(b"1e-05").unwrap(), 1e-5);
        assert_eq!(parse_float(b"1.").unwrap(), 1.0);
        assert_eq!(parse_float(b".5").unwrap(), 0.5);
        assert_eq!(parse_float(b"5e-324").unwrap(), 5e-324);
        assert_eq!(parse_float(b"inf").unwrap(), f64::INFINITY);
        assert_eq!(parse_float(b"-Infinity").unwrap(), f64::NEG_INFINITY);
        assert!(parse_float(b"nan").unwrap().is_nan());
        for bad in [
            " 1.5", "1.5 ", "1_0", "", ".", "e5", "1e", "0x1p3", "infinit", "1e500",
        ] {
            let err = parse_float(bad.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
    }

    #[test]
    fn string_literal_needs_matching_quotes() {
        // CPython's test_badly_quoted_string, without the STRING opcode and newline.
        for bad in [
            &b"'"[..],
            b"\"",
            b"' ",
            b"\" ",
            b"'\"",
            b"\"'",
            b"' ' ",
            b"\" \" ",
            b" ''",
            b" \"\"",
            b" ",
            b"",
        ] {
            assert!(unquote(bad).is_err(), "{bad:?}");
        }
        assert_eq!(unquote(b"'a'b'").unwrap(), b"a'b");
        assert_eq!(unquote(b"\"\"").unwrap(), b"");
    }

    #[test]
    fn string_escapes_decode_as_python_2_literals() {
        let d = |s: &[u8]| decode_escapes(s).unwrap();
        assert_eq!(d(b"plain"), None);
        assert_eq!(
            d(br#"\x41\n\t\\\'\"\a\b\f\v\r"#).unwrap(),
            b"A\n\t\\'\"\x07\x08\x0c\x0b\r"
        );
        assert_eq!(d(br"\0\12\101\1012").unwrap(), b"\0\nAA2");
        assert_eq!(d(br"\400").unwrap(), b"\0"); // low byte of 0o400
        assert_eq!(d(br"\q\8").unwrap(), br"\q\8");
        assert!(decode_escapes(br"\x4").is_err());
        assert!(decode_escapes(br"\xzz").is_err());
        assert!(decode_escapes(b"ab\\").is_err());
    }

    #[test]
    fn raw_unicode_escape_decodes_only_u_escapes() {
        let d = |s: &[u8]| decode_raw_unicode_escape(s).unwrap();
        assert_eq!(d(b"plain"), None);
        assert_eq!(d(br"\u00e9\x41").unwrap(), "é\\x41");
        assert_eq!(d(br"\U0001f600").unwrap(), "\u{1f600}");
        assert_eq!(d(b"\xe9").unwrap(), "é");
        assert_eq!(d(br"\\u0041").unwrap(), r"\\u0041");
        assert_eq!(d(b"a\\").unwrap(), "a\\");
        assert_eq!(
            decode_raw_unicode_escape(br"\u00").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            decode_raw_unicode_escape(br"\U00110000")
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            decode_raw_unicode_escape(br"\ud800").unwrap_err().kind(),
            ErrorKind::InvalidText
        );
    }

    #[test]
    fn latin1_helpers_round_trip_and_refuse_wide_characters() {
        assert_eq!(latin1_to_string(b"\xe9a"), "éa");
        assert_eq!(string_to_latin1("éa").unwrap(), b"\xe9a");
        assert_eq!(string_to_latin1("€"), None);
        assert!(is_latin1_codec("latin1"));
        assert!(is_latin1_codec("Latin-1"));
        assert!(is_latin1_codec("ISO-8859-1"));
        assert!(!is_latin1_codec("utf-8"));
    }
}
