//! `fractions.Fraction` ↔ [`num_rational::Ratio<i64>`] and
//! [`Ratio<BigInt>`](num_rational::BigRational) (feature `fraction`).
//!
//! CPython 3.11 writes `REDUCE(fractions.Fraction, (numerator,
//! denominator))`, in lowest terms with a positive denominator, as `Ratio`
//! keeps it. Loading also accepts the `('3/4',)` form older Pythons wrote.
//! A numerator or denominator outside `i64` is an
//! [`OutOfRange`](crate::ErrorKind::OutOfRange) error for `Ratio<i64>`.
//!
//! ```
//! use num_rational::Ratio;
//!
//! // pickle.dumps(fractions.Fraction(3, 4), protocol=2)
//! let data = pickle_core::ser::to_vec(&Ratio::new(3i64, 4), 2)?;
//! assert_eq!(data, b"\x80\x02cfractions\nFraction\nq\x00K\x03K\x04\x86q\x01Rq\x02.");
//! assert_eq!(pickle_core::loads::<Ratio<i64>>(&data)?, Ratio::new(3, 4));
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::io;

use num_bigint::BigInt;
use num_rational::Ratio;
use num_traits::Zero;

use super::call_args;
use crate::de::{FromPickle, Node};
use crate::error::{Error, ErrorKind, Result};
use crate::ser::{ToPickle, Writer};

const CLASS: &[(&str, &str)] = &[("fractions", "Fraction")];

fn write_fraction<W: io::Write, T: ToPickle>(w: &mut Writer<'_, W>, r: &Ratio<T>) -> Result<()> {
    w.write_reduce("fractions", "Fraction", 2, |w, i| match i {
        0 => r.numer().to_pickle(w),
        _ => r.denom().to_pickle(w),
    })
}

/// The numerator and denominator of a Fraction, as written.
fn read_fraction(node: Node<'_, '_>) -> Result<(BigInt, BigInt)> {
    let (obj, args) = call_args(node, CLASS, 1..=2)?;
    let (n, d) = match args.as_slice() {
        [n, d] => (n.extract::<BigInt>()?, d.extract::<BigInt>()?),
        [s] => match s.as_str() {
            Some(s) => parse(s).ok_or_else(|| {
                Error::new(
                    ErrorKind::TypeMismatch,
                    format!("{} from {s:?}: expected 'n/d' or an int", obj.class_name()),
                )
            })?,
            None => (s.extract::<BigInt>()?, BigInt::from(1)),
        },
        _ => unreachable!("call_args checked the count"),
    };
    if d.is_zero() {
        return Err(Error::new(
            ErrorKind::TypeMismatch,
            format!("Fraction({n}, 0): a zero denominator"),
        ));
    }
    Ok((n, d))
}

/// `'n/d'` or `'n'`, as `str(Fraction)` gives.
fn parse(s: &str) -> Option<(BigInt, BigInt)> {
    let (n, d) = s.split_once('/').unwrap_or((s, "1"));
    Some((n.trim().parse().ok()?, d.trim().parse().ok()?))
}

impl ToPickle for Ratio<i64> {
    /// A `fractions.Fraction`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_fraction(w, self)
    }
}

impl ToPickle for Ratio<BigInt> {
    /// A `fractions.Fraction`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_fraction(w, self)
    }
}

impl<'de> FromPickle<'de> for Ratio<BigInt> {
    /// A `fractions.Fraction`, reduced to lowest terms.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let (n, d) = read_fraction(node)?;
        Ok(Ratio::new(n, d))
    }
}

impl<'de> FromPickle<'de> for Ratio<i64> {
    /// A `fractions.Fraction` whose lowest terms fit in `i64`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let (n, d) = read_fraction(node)?;
        let r = Ratio::new(n, d);
        let fit = |x: &BigInt| {
            i64::try_from(x).map_err(|_| Error::out_of_range(format!("Fraction {r}"), "Ratio<i64>"))
        };
        Ok(Ratio::new_raw(fit(r.numer())?, fit(r.denom())?))
    }
}
