//! How CPython's C unpickler reads the text arguments of protocol 0, where
//! that differs from how `pickletools` reads them, and what a Rust `str`
//! cannot hold. The codecs themselves are [`crate::pytext`]'s.

use crate::error::{Error, ErrorKind, Result};
use crate::{pyrepr, pytext};

/// The argument of FLOAT, as `load_float` reads it with
/// `PyOS_string_to_double`: unlike the `float()` of `pickletools` and
/// `pickle.py`, no surrounding whitespace, no underscores, and a finite
/// literal too large for a double is an error rather than infinity.
pub(super) fn parse_float(text: &[u8]) -> Result<f64> {
    let x = pytext::float_literal(text).ok_or_else(|| pytext::float_error(text))?;
    // `inf` is written without digits; a number with digits overflowed.
    if x.is_infinite() && text.iter().any(u8::is_ascii_digit) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "value too large to convert to float: {}",
                pyrepr::bytes_repr(text)
            ),
        ));
    }
    Ok(x)
}

/// The argument of STRING, as `load_string` reads it: a literal in matching
/// quotes, `'...'` or `"..."`, which are removed. `pickletools` also takes a
/// lone quote as the empty string; CPython refuses it.
pub(super) fn unquote(text: &[u8]) -> Result<&[u8]> {
    match text {
        [q @ (b'\'' | b'"'), inner @ .., last] if q == last => Ok(inner),
        _ => Err(Error::new(
            ErrorKind::InvalidArgument,
            "the STRING opcode argument must be quoted",
        )),
    }
}

/// CPython keeps a lone surrogate in its str; a Rust `str` cannot hold one.
fn lone_surrogate(cp: u32, at: usize) -> Error {
    Error::new(
        ErrorKind::InvalidText,
        format!("lone surrogate \\u{cp:04x} at position {at} cannot be held in a Rust str"),
    )
}

/// The argument of UNICODE: raw-unicode-escape, as a Rust str. `None` when
/// the text is ASCII without escapes, so that it can be borrowed as it is.
pub(super) fn decode_raw_unicode_escape(s: &[u8]) -> Result<Option<String>> {
    if s.is_ascii() && !s.contains(&b'\\') {
        return Ok(None);
    }
    let mut out = String::with_capacity(s.len());
    pytext::raw_unicode_escape(s, |at, cp| {
        out.push(char::from_u32(cp).ok_or_else(|| lone_surrogate(cp, at))?);
        Ok(())
    })?;
    Ok(Some(out))
}

/// Strict UTF-8. On failure, the error CPython's `surrogatepass` decoding
/// raises, or, for a lone surrogate it would have accepted, why we cannot.
pub(super) fn utf8(b: &[u8]) -> Result<&str> {
    std::str::from_utf8(b).map_err(|_| {
        let why = pytext::utf8_surrogatepass(b, |at, cp| match char::from_u32(cp) {
            Some(_) => Ok(()),
            None => Err(lone_surrogate(cp, at)),
        });
        why.err()
            .unwrap_or_else(|| Error::new(ErrorKind::InvalidText, "invalid UTF-8"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_text_follows_pyos_string_to_double() {
        assert_eq!(parse_float(b"1.5").unwrap(), 1.5);
        assert_eq!(parse_float(b"-0.0").unwrap().to_bits(), (-0.0f64).to_bits());
        assert_eq!(parse_float(b"1e-05").unwrap(), 1e-5);
        assert_eq!(parse_float(b"inf").unwrap(), f64::INFINITY);
        assert_eq!(parse_float(b"-Infinity").unwrap(), f64::NEG_INFINITY);
        assert!(parse_float(b"nan").unwrap().is_nan());
        for bad in [
            " 1.5", "1.5 ", "1_0", "", ".", "e5", "1e", "0x1p3", "infinit", "1e500", "-1e500",
        ] {
            let err = parse_float(bad.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
        assert_eq!(
            parse_float(b"1e500").unwrap_err().message(),
            "value too large to convert to float: b'1e500'"
        );
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
    fn raw_unicode_escape_refuses_only_what_a_rust_str_cannot_hold() {
        let d = |s: &[u8]| decode_raw_unicode_escape(s).unwrap();
        assert_eq!(d(b"plain"), None);
        assert_eq!(d(br"\u00e9\x41").unwrap(), "é\\x41");
        assert_eq!(d(br"\U0001f600").unwrap(), "\u{1f600}");
        assert_eq!(d(b"\xe9").unwrap(), "é");
        assert_eq!(d(br"\\u0041").unwrap(), r"\\u0041");
        assert_eq!(d(b"a\\").unwrap(), "a\\");
        let e = decode_raw_unicode_escape(br"ab\ud800").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidText);
        assert_eq!(
            e.message(),
            "lone surrogate \\ud800 at position 2 cannot be held in a Rust str"
        );
        for bad in [&br"\u00"[..], br"\U00110000"] {
            let e = decode_raw_unicode_escape(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidText);
            assert!(e.message().starts_with("'rawunicodeescape' codec"));
        }
    }

    #[test]
    fn utf8_errors_say_what_cpython_would_do() {
        assert_eq!(utf8(b"\xc3\xa9").unwrap(), "é");
        let e = utf8(b"ab\xed\xa0\x80").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidText);
        assert_eq!(
            e.message(),
            "lone surrogate \\ud800 at position 2 cannot be held in a Rust str"
        );
        let e = utf8(b"ab\xff").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidText);
        assert_eq!(
            e.message(),
            "'utf-8' codec can't decode byte 0xff in position 2: invalid start byte"
        );
    }
}
