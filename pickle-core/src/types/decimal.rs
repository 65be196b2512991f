//! `decimal.Decimal` ↔ [`rust_decimal::Decimal`] (feature `decimal`).
//!
//! CPython writes `REDUCE(decimal.Decimal, (str(d),))`. A `Decimal` is
//! written as Python's `str` would show the same value, exponent and sign
//! (`'1.10'`, `'-0.0'`, `'1E-7'`), so the bytes match CPython's.
//!
//! A Python decimal can hold what `rust_decimal` cannot: `NaN`, `sNaN`,
//! `Infinity`, and values beyond 28–29 significant digits or a scale of
//! 28. Loading one of those is an error ([`TypeMismatch`](crate::ErrorKind::TypeMismatch)
//! for the special values, [`OutOfRange`](crate::ErrorKind::OutOfRange)
//! for the others) rather than a rounded value; read such pickles as a
//! [`Value`](crate::Value) to keep the exact text.
//!
//! ```
//! use std::str::FromStr;
//! use rust_decimal::Decimal;
//!
//! // pickle.dumps(decimal.Decimal('3.14'), protocol=2)
//! let data = pickle_core::ser::to_vec(&Decimal::from_str("3.14").unwrap(), 2)?;
//! assert_eq!(data, b"\x80\x02cdecimal\nDecimal\nq\x00X\x04\x00\x00\x003.14q\x01\x85q\x02Rq\x03.");
//! assert_eq!(pickle_core::loads::<Decimal>(&data)?.to_string(), "3.14");
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::io;

use rust_decimal::Decimal;

use super::call_args;
use crate::de::{FromPickle, Node};
use crate::error::{Error, ErrorKind, Result};
use crate::ser::{ToPickle, Writer};

/// `str(d)` in Python: the to-scientific-string of the General Decimal Arithmetic spec.
pub(crate) fn python_str(d: &Decimal) -> String {
    let digits = d.mantissa().unsigned_abs().to_string();
    let exp = -i64::from(d.scale());
    let adjusted = exp + digits.len() as i64 - 1;
    let mut s = String::new();
    if d.is_sign_negative() {
        s.push('-');
    }
    if exp <= 0 && adjusted >= -6 {
        let scale = d.scale() as usize;
        if scale == 0 {
            s.push_str(&digits);
        } else if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            s.push_str(int);
            s.push('.');
            s.push_str(frac);
        } else {
            s.push_str("0.");
            s.push_str(&"0".repeat(scale - digits.len()));
            s.push_str(&digits);
        }
    } else {
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push_str(&format!("E{adjusted:+}"));
    }
    s
}

/// A Python decimal string as a `Decimal`, exactly.
fn parse(s: &str) -> Result<Decimal> {
    let t = s.trim().replace('_', "");
    let lower = t.to_ascii_lowercase();
    let bare = lower.trim_start_matches(['+', '-']);
    if bare.starts_with("nan") || bare.starts_with("snan") || bare.starts_with("inf") {
        return Err(Error::new(
            ErrorKind::TypeMismatch,
            format!("Decimal('{s}') has no rust_decimal::Decimal value"),
        ));
    }
    let parsed = if lower.contains('e') {
        Decimal::from_scientific(&lower)
    } else {
        Decimal::from_str_exact(&t)
    };
    let mut d = parsed.map_err(|e| {
        Error::out_of_range(format!("Decimal('{s}') ({e})"), "rust_decimal::Decimal")
    })?;
    // Keep the sign of a negative zero, which the parsers drop.
    if t.starts_with('-') {
        d.set_sign_negative(true);
    }
    Ok(d)
}

impl ToPickle for Decimal {
    /// A `decimal.Decimal`, with the same digits, exponent and sign.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let text = python_str(self);
        w.write_reduce("decimal", "Decimal", 1, |w, _| w.write_str(&text))
    }
}

impl<'de> FromPickle<'de> for Decimal {
    /// A finite `decimal.Decimal` that `rust_decimal` holds exactly.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let (_, args) = call_args(node, &[("decimal", "Decimal")], 0..=1)?;
        let Some(arg) = args.first() else {
            return Ok(Decimal::ZERO);
        };
        match (arg.as_str(), arg.as_i64()) {
            (Some(s), _) => parse(s),
            (None, Some(i)) => Ok(Decimal::from(i)),
            _ => Err(arg.type_error("str").in_index(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn decimal_text_is_python_str() {
        for s in [
            "3.14", "1.10", "-0.0", "0", "100", "0.000001", "1E-7", "1.0E-7", "0E-10",
        ] {
            let d = parse(s).unwrap();
            assert_eq!(python_str(&d), s, "{s}");
        }
        assert_eq!(
            python_str(&Decimal::from_str("0.00000012").unwrap()),
            "1.2E-7"
        );
    }
}
