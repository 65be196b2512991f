//! `datetime` ↔ [`chrono`] (feature `chrono`).
//!
//! | Python | Rust |
//! | --- | --- |
//! | `datetime.date` | [`NaiveDate`] |
//! | `datetime.time` (naive) | [`NaiveTime`] |
//! | `datetime.datetime` (naive) | [`NaiveDateTime`] |
//! | `datetime.datetime` with a `datetime.timezone` | [`DateTime<FixedOffset>`], [`DateTime<Utc>`] |
//! | `datetime.timedelta` | [`TimeDelta`] |
//!
//! CPython writes `REDUCE(cls, (state[, tzinfo]))`, where the state is 4
//! (date), 6 (time) or 10 (datetime) bytes: the year in 2 big-endian bytes,
//! month, day, hour, minute, second, then the microseconds in 3 big-endian
//! bytes. Below protocol 3 the state is written `_codecs.encode(text,
//! 'latin1')`, as all bytes are. A tz-aware datetime's tzinfo is
//! `datetime.timezone(timedelta(…)[, name])`; `timezone.utc` is
//! `timezone(timedelta(0))`.
//!
//! - **Precision:** Python holds whole microseconds in years 1 to 9999.
//!   Writing a value with a part of a microsecond, a leap second, or
//!   another year is an [`Unpicklable`](crate::ErrorKind::Unpicklable) error.
//! - **fold:** chrono has no `fold`; values are written with `fold=0`, and a
//!   `fold=1` read from a pickle (the high bit CPython sets from protocol 4)
//!   is dropped. It only picks between two wall times of a zone with
//!   daylight saving time, which a fixed offset never has.
//! - **Zones:** a `DateTime<FixedOffset>` writes `timezone(offset)` with no
//!   name; reading drops a timezone's name (`timezone(…, 'EST')`). A
//!   `DateTime<Utc>` reads a datetime at any fixed offset, converted to
//!   UTC. Reading a naive datetime as aware, or an aware one as naive, is a
//!   [`TypeMismatch`](crate::ErrorKind::TypeMismatch), as is a tzinfo that
//!   is not a `datetime.timezone` (such as `zoneinfo.ZoneInfo`).
//!
//! ```
//! use chrono::NaiveDate;
//!
//! let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
//! // pickle.dumps(datetime.date(2024, 1, 2), protocol=3)
//! let data = pickle_core::ser::to_vec(&d, 3)?;
//! assert_eq!(data, b"\x80\x03cdatetime\ndate\nq\x00C\x04\x07\xe8\x01\x02q\x01\x85q\x02Rq\x03.");
//! assert_eq!(pickle_core::loads::<NaiveDate>(&data)?, d);
//! # Ok::<(), pickle_core::Error>(())
//! ```

use std::io;

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc,
};

use super::duration::{read_timedelta, write_timedelta};
use super::{call_args, out_of_range, unpicklable};
use crate::de::{FromPickle, Node};
use crate::error::{Error, ErrorKind, Result};
use crate::ser::{ToPickle, Writer};

fn date_state(d: &NaiveDate) -> Result<[u8; 4]> {
    let year = u16::try_from(d.year())
        .ok()
        .filter(|y| (1..=9999).contains(y))
        .ok_or_else(|| unpicklable(format!("{d}: Python's dates run from year 1 to 9999")))?;
    let [hi, lo] = year.to_be_bytes();
    Ok([hi, lo, d.month() as u8, d.day() as u8])
}

fn time_state(t: &NaiveTime) -> Result<[u8; 6]> {
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return Err(unpicklable(format!(
            "{t} is a leap second, which Python's datetime cannot hold"
        )));
    }
    if nanos % 1000 != 0 {
        return Err(unpicklable(format!(
            "{t} is not a whole number of microseconds, which is all Python's datetime holds"
        )));
    }
    let [_, u0, u1, u2] = (nanos / 1000).to_be_bytes();
    Ok([
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
        u0,
        u1,
        u2,
    ])
}

fn datetime_state(dt: &NaiveDateTime) -> Result<[u8; 10]> {
    let [y0, y1, mo, d] = date_state(&dt.date())?;
    let [h, mi, s, u0, u1, u2] = time_state(&dt.time())?;
    Ok([y0, y1, mo, d, h, mi, s, u0, u1, u2])
}

/// `datetime.timezone(timedelta(seconds=offset))`.
fn write_timezone<W: io::Write>(w: &mut Writer<'_, W>, offset: i32) -> Result<()> {
    w.write_reduce("datetime", "timezone", 1, |w, _| {
        write_timedelta(w, i128::from(offset) * 1_000_000)
    })
}

fn write_datetime<W: io::Write>(
    w: &mut Writer<'_, W>,
    local: &NaiveDateTime,
    offset: Option<i32>,
) -> Result<()> {
    let state = datetime_state(local)?;
    let nargs = 1 + usize::from(offset.is_some());
    w.write_reduce("datetime", "datetime", nargs, |w, i| match (i, offset) {
        (0, _) => w.write_bytes(&state),
        (_, Some(offset)) => write_timezone(w, offset),
        (_, None) => unreachable!("write_reduce asks for nargs arguments"),
    })
}

/// The state bytes and the tzinfo of a `datetime` class's instance.
fn read_state<'v, 'de>(
    node: Node<'v, 'de>,
    class: &str,
    len: usize,
) -> Result<(Vec<u8>, Option<Node<'v, 'de>>)> {
    let (obj, args) = call_args(node, &[("datetime", class)], 1..=2)?;
    let state = match (args[0].as_bytes(), args[0].as_str()) {
        (Some(b), _) => b.to_vec(),
        // A Python 2 str state, one byte a character.
        (None, Some(s)) => s
            .chars()
            .map(|c| u8::try_from(c).ok())
            .collect::<Option<Vec<u8>>>()
            .unwrap_or_default(),
        _ => return Err(args[0].type_error("bytes").in_index(0)),
    };
    if state.len() != len {
        return Err(Error::new(
            ErrorKind::TypeMismatch,
            format!(
                "{} state of {} bytes, expected {len}",
                obj.class_name(),
                state.len()
            ),
        ));
    }
    let tz = args.get(1).copied().filter(|tz| !tz.is_none());
    Ok((state, tz))
}

fn invalid(what: &str, state: &[u8]) -> Error {
    Error::new(
        ErrorKind::TypeMismatch,
        format!("datetime.{what} state {state:?} is not a valid {what}"),
    )
}

fn date_of(s: &[u8]) -> Option<NaiveDate> {
    let year = i32::from(u16::from_be_bytes([s[0], s[1]]));
    // The high bit of the month is datetime's fold.
    NaiveDate::from_ymd_opt(year, u32::from(s[2] & 0x7f), u32::from(s[3]))
}

fn time_of(s: &[u8]) -> Option<NaiveTime> {
    let micros = u32::from_be_bytes([0, s[3], s[4], s[5]]);
    // The high bit of the hour is time's fold.
    NaiveTime::from_hms_micro_opt(
        u32::from(s[0] & 0x7f),
        u32::from(s[1]),
        u32::from(s[2]),
        micros,
    )
    .filter(|_| micros < 1_000_000)
}

fn read_datetime<'v, 'de>(node: Node<'v, 'de>) -> Result<(NaiveDateTime, Option<Node<'v, 'de>>)> {
    let (s, tz) = read_state(node, "datetime", 10)?;
    let date = date_of(&s[..4]).ok_or_else(|| invalid("datetime", &s))?;
    let time = time_of(&s[4..]).ok_or_else(|| invalid("datetime", &s))?;
    Ok((NaiveDateTime::new(date, time), tz))
}

/// The offset of a `datetime.timezone`.
fn read_offset(tz: Node<'_, '_>) -> Result<FixedOffset> {
    let (_, args) = call_args(tz, &[("datetime", "timezone")], 1..=2)?;
    let micros = read_timedelta(args[0])?;
    i32::try_from(micros / 1_000_000)
        .ok()
        .filter(|_| micros % 1_000_000 == 0)
        .and_then(FixedOffset::east_opt)
        .ok_or_else(|| out_of_range(format!("timezone offset of {micros} µs"), "FixedOffset"))
}

fn naive_expected(what: &str) -> Error {
    Error::type_mismatch(
        format!("a naive datetime.{what}"),
        format!("a tz-aware datetime.{what}"),
    )
}

impl ToPickle for NaiveDate {
    /// A `datetime.date`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let state = date_state(self)?;
        w.write_reduce("datetime", "date", 1, |w, _| w.write_bytes(&state))
    }
}

impl<'de> FromPickle<'de> for NaiveDate {
    /// A `datetime.date`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let (s, _) = read_state(node, "date", 4)?;
        date_of(&s).ok_or_else(|| invalid("date", &s))
    }
}

impl ToPickle for NaiveTime {
    /// A naive `datetime.time`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let state = time_state(self)?;
        w.write_reduce("datetime", "time", 1, |w, _| w.write_bytes(&state))
    }
}

impl<'de> FromPickle<'de> for NaiveTime {
    /// A naive `datetime.time`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let (s, tz) = read_state(node, "time", 6)?;
        if tz.is_some() {
            return Err(naive_expected("time"));
        }
        time_of(&s).ok_or_else(|| invalid("time", &s))
    }
}

impl ToPickle for NaiveDateTime {
    /// A naive `datetime.datetime`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_datetime(w, self, None)
    }
}

impl<'de> FromPickle<'de> for NaiveDateTime {
    /// A naive `datetime.datetime`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        match read_datetime(node)? {
            (dt, None) => Ok(dt),
            (_, Some(_)) => Err(naive_expected("datetime")),
        }
    }
}

impl ToPickle for DateTime<FixedOffset> {
    /// A `datetime.datetime` with a `datetime.timezone` of its offset.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_datetime(
            w,
            &self.naive_local(),
            Some(self.offset().local_minus_utc()),
        )
    }
}

impl<'de> FromPickle<'de> for DateTime<FixedOffset> {
    /// A `datetime.datetime` with a `datetime.timezone`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let (local, tz) = read_datetime(node)?;
        let tz = tz.ok_or_else(|| {
            Error::type_mismatch("a tz-aware datetime.datetime", "a naive datetime.datetime")
        })?;
        let offset = read_offset(tz)?;
        local
            .and_local_timezone(offset)
            .single()
            .ok_or_else(|| out_of_range(format!("{local} at {offset}"), "DateTime<FixedOffset>"))
    }
}

impl ToPickle for DateTime<Utc> {
    /// A `datetime.datetime` with `datetime.timezone.utc`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_datetime(w, &self.naive_utc(), Some(0))
    }
}

impl<'de> FromPickle<'de> for DateTime<Utc> {
    /// A `datetime.datetime` with any `datetime.timezone`, converted to UTC.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        DateTime::<FixedOffset>::from_pickle(node).map(|dt| dt.with_timezone(&Utc))
    }
}

impl ToPickle for TimeDelta {
    /// A `datetime.timedelta`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let nanos = self.subsec_nanos();
        if nanos % 1000 != 0 {
            return Err(unpicklable(format!(
                "{self} is not a whole number of microseconds, which is all a \
                 datetime.timedelta holds"
            )));
        }
        write_timedelta(
            w,
            i128::from(self.num_seconds()) * 1_000_000 + i128::from(nanos / 1000),
        )
    }
}

impl<'de> FromPickle<'de> for TimeDelta {
    /// A `datetime.timedelta`.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        let micros = read_timedelta(node)?;
        let nanos = (micros.rem_euclid(1_000_000) * 1000) as u32;
        i64::try_from(micros.div_euclid(1_000_000))
            .ok()
            .and_then(|secs| TimeDelta::new(secs, nanos))
            .ok_or_else(|| out_of_range(format!("timedelta of {micros} µs"), "TimeDelta"))
    }
}
