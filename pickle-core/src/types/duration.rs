//! `datetime.timedelta` ↔ [`std::time::Duration`] (and, with the feature
//! `chrono`, `chrono::TimeDelta`).
//!
//! CPython writes a timedelta as `REDUCE(datetime.timedelta, (days,
//! seconds, microseconds))`, normalized so that `0 <= seconds < 86400` and
//! `0 <= microseconds < 10**6`; only `days` is negative for a negative
//! timedelta. A timedelta holds whole microseconds, at most 999999999 days
//! either way:
//!
//! - writing a `Duration` with a part of a microsecond, or longer than
//!   that, is an [`Unpicklable`](crate::ErrorKind::Unpicklable) error
//!   (round it first, as Python would not hold it);
//! - reading a negative timedelta as a `Duration` is an
//!   [`OutOfRange`](crate::ErrorKind::OutOfRange) error.
//!
//! ```
//! use std::time::Duration;
//!
//! // pickle.dumps(datetime.timedelta(seconds=90, microseconds=5), protocol=2)
//! let data = pickle_core::ser::to_vec(&Duration::from_micros(90_000_005), 2)?;
//! assert_eq!(data, b"\x80\x02cdatetime\ntimedelta\nq\x00K\x00KZK\x05\x87q\x01Rq\x02.");
//! assert_eq!(pickle_core::loads::<Duration>(&data)?, Duration::from_micros(90_000_005));
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::io;
use std::time::Duration;

use super::{call_args, out_of_range, unpicklable};
use crate::de::{FromPickle, Node};
use crate::error::Result;
use crate::ser::{ToPickle, Writer};

const MICROS_PER_DAY: i128 = 86_400_000_000;
/// `timedelta.max.days`.
const MAX_DAYS: i128 = 999_999_999;

/// Writes `timedelta(microseconds=micros)` as CPython does.
pub(crate) fn write_timedelta<W: io::Write>(w: &mut Writer<'_, W>, micros: i128) -> Result<()> {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let rest = micros.rem_euclid(MICROS_PER_DAY);
    if days.abs() > MAX_DAYS {
        return Err(unpicklable(format!(
            "a duration of {micros} microseconds is outside datetime.timedelta's \
             range of ±999999999 days"
        )));
    }
    let (seconds, us) = (rest / 1_000_000, rest % 1_000_000);
    w.write_reduce("datetime", "timedelta", 3, |w, i| {
        w.write_int(match i {
            0 => days as i64,
            1 => seconds as i64,
            _ => us as i64,
        })
    })
}

/// Reads a `datetime.timedelta` as a count of microseconds.
pub(crate) fn read_timedelta(node: Node<'_, '_>) -> Result<i128> {
    let (_, args) = call_args(node, &[("datetime", "timedelta")], 0..=3)?;
    let mut micros = 0i128;
    for (arg, scale) in args.iter().zip([MICROS_PER_DAY, 1_000_000, 1]) {
        let part: i64 = arg.extract()?;
        micros += i128::from(part) * scale;
    }
    Ok(micros)
}

/// A `Duration`'s length in microseconds, if it is whole microseconds.
fn duration_micros(d: &Duration) -> Result<i128> {
    if d.subsec_nanos() % 1000 != 0 {
        return Err(unpicklable(format!(
            "{d:?} is not a whole number of microseconds, which is all a \
             datetime.timedelta holds"
        )));
    }
    Ok(i128::from(d.as_secs()) * 1_000_000 + i128::from(d.subsec_micros()))
}

impl ToPickle for Duration {
    /// A `datetime.timedelta`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_timedelta(w, duration_micros(self)?)
    }
}

impl<'de> FromPickle<'de> for Duration {
    /// A `datetime.timedelta` that is not negative.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let micros = read_timedelta(node)?;
        if micros < 0 {
            return Err(out_of_range(
                format!("timedelta of {micros} microseconds"),
                "Duration",
            ));
        }
        // At most 999999999 days: the seconds fit in a u64.
        let secs = (micros / 1_000_000) as u64;
        Ok(Duration::new(secs, (micros % 1_000_000) as u32 * 1000))
    }
}
