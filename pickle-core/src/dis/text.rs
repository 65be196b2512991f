//! How `pickletools` reads argument text, where that differs from how the
//! unpickler reads it. The codecs themselves are [`crate::pytext`]'s.

use std::borrow::Cow;

use num_bigint::BigInt;

use super::Arg;
use crate::error::{Error, ErrorKind, Result};
use crate::pyrepr;
use crate::pytext::{self, Int, IntOrBool, INT_MAX_STR_DIGITS};

impl From<Int> for Arg<'static> {
    fn from(n: Int) -> Self {
        match n {
            Int::Small(n) => Arg::Int(n),
            Int::Big(n) => Arg::BigInt(n),
        }
    }
}

impl From<IntOrBool> for Arg<'static> {
    fn from(n: IntOrBool) -> Self {
        match n {
            IntOrBool::Int(n) => n.into(),
            IntOrBool::Bool(b) => Arg::Bool(b),
        }
    }
}

/// An int as [`Arg::Int`] when it fits in an `i64`, else [`Arg::BigInt`].
pub(super) fn int_arg(n: BigInt) -> Arg<'static> {
    Int::from(n).into()
}

/// The argument of FLOAT, as `pickletools.read_floatnl` reads it: `float()`
/// of the bytes, which strips whitespace, allows underscores between digits
/// and reads a literal too large for a double as infinity. The unpickler
/// reads it as `_pickle.c` does, which allows none of that.
pub(super) fn parse_float(text: &[u8]) -> Result<f64> {
    let s = pytext::strip_space(text);
    if !pytext::underscores_between_digits(s) {
        return Err(pytext::float_error(text));
    }
    let cleaned: Vec<u8> = s.iter().copied().filter(|&b| b != b'_').collect();
    pytext::float_literal(&cleaned).ok_or_else(|| pytext::float_error(text))
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

/// A str from code points, which may include lone surrogates: pickletools
/// holds those in its str, where the unpickler, making Rust strs, refuses them.
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

/// The argument of UNICODE: `str(bytes, "raw-unicode-escape")`.
pub(super) fn raw_unicode_escape(s: &[u8]) -> Result<Arg<'_>> {
    if !s.contains(&b'\\') {
        return Ok(Arg::Str(pytext::latin1(s)));
    }
    let mut out = Vec::with_capacity(s.len());
    pytext::raw_unicode_escape(s, |_, cp| {
        out.push(cp);
        Ok(())
    })?;
    Ok(str_arg(out))
}

/// The argument of the BINUNICODE family: `str(bytes, "utf-8", "surrogatepass")`.
pub(super) fn utf8_surrogatepass(s: &[u8]) -> Result<Arg<'_>> {
    if let Ok(text) = std::str::from_utf8(s) {
        return Ok(Arg::Str(Cow::Borrowed(text)));
    }
    let mut out = Vec::with_capacity(s.len());
    pytext::utf8_surrogatepass(s, |_, cp| {
        out.push(cp);
        Ok(())
    })?;
    Ok(str_arg(out))
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

    // Expected values are CPython 3.11's `float(b'...')`.
    #[test]
    fn float_of_bytes_follows_python() {
        let ok = |t: &[u8]| parse_float(t).map(pyrepr::float_repr).ok();
        assert_eq!(ok(b" 1.5 ").as_deref(), Some("1.5"));
        assert_eq!(ok(b"\t1.5\x0b").as_deref(), Some("1.5"));
        assert_eq!(ok(b"1_0.5").as_deref(), Some("10.5"));
        assert_eq!(ok(b"1e1_0").as_deref(), Some("10000000000.0"));
        assert_eq!(ok(b"1e500").as_deref(), Some("inf"));
        assert_eq!(ok(b"-nan").as_deref(), Some("nan"));
        assert_eq!(ok(b"Infinity").as_deref(), Some("inf"));
        assert_eq!(ok(b"1.").as_deref(), Some("1.0"));
        assert_eq!(ok(b".5").as_deref(), Some("0.5"));
        for bad in [
            &b"1_.5"[..],
            b"1._5",
            b"_1",
            b"infinit",
            b".",
            b"1e",
            b"0x1p3",
            b"1.5\x00",
        ] {
            assert_eq!(ok(bad), None, "{}", pyrepr::bytes_repr(bad));
        }
        assert_eq!(
            parse_float(b"1_.5").unwrap_err().message(),
            "could not convert string to float: b'1_.5'"
        );
    }

    #[test]
    fn unicode_arguments_keep_lone_surrogates() {
        let raw = |s: &[u8]| raw_unicode_escape(s).map(|a| a.to_string());
        assert_eq!(raw(b"ab").unwrap(), "'ab'");
        assert_eq!(raw(b"\xe9").unwrap(), "'é'");
        assert_eq!(raw(br"\\\u1234").unwrap(), "'\\\\\\\\\u{1234}'");
        assert_eq!(raw(br"\ud83d\udc0d").unwrap(), r"'\ud83d\udc0d'");
        assert!(raw(br"\u12").is_err());
        let utf8 = |b: &[u8]| utf8_surrogatepass(b).map(|a| a.to_string());
        assert_eq!(utf8(b"a\xed\xa0\x80'").unwrap(), r#""a\ud800'""#);
        assert_eq!(
            utf8(b"\xed\xa0\xbd\xed\xb0\x8d").unwrap(),
            r"'\ud83d\udc0d'"
        );
        assert!(utf8(b"\xff").is_err());
    }
}
