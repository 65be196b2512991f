//! `datetime` ↔ [`chrono`] (feature `chrono`).
//!
//! | Python | Rust |
//! | --- | --- |
//! | `datetime.date` | [`NaiveDate`] |
//! | `datetime.time` (naive) | [`NaiveTime`] |
//! | `datetime.datetime` (naive) | [`NaiveDateTime`] |
//! | `datetime.datetime` with a `datetime.timezone` | [`DateTime<FixedOffset>`], [`DateTime<Utc>`] |
//! | `datetime.timedelta` | [`TimeDelta`] |
//! | a `time` or `datetime` with its `fold` | [`WithFold<T>`] of the above |
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
//! - **fold:** `fold` (PEP 495) picks the earlier (0) or later (1) of two
//!   wall times that repeat when a zone's clocks go back. chrono has no
//!   `fold`, so keep it with [`WithFold<T>`], for [`NaiveTime`],
//!   [`NaiveDateTime`], [`DateTime<FixedOffset>`] and [`DateTime<Utc>`].
//!   The plain types write `fold=0` and read a `fold=1` value with its fold
//!   dropped, rather than failing: Python's own `==` and `hash` ignore
//!   `fold` here, CPython itself drops it below protocol 4, and
//!   `datetime.fromtimestamp()` sets it on ordinary values in the repeated
//!   hour, so a pickle of these must still load as a plain chrono type.
//!   With a fixed offset fold never changes the instant. CPython keeps the
//!   bit in the high bit of the state's month byte (`datetime`) or hour
//!   byte (`time`), and only from protocol 4; below that it writes the
//!   value as if `fold=0`, which Pythons before 3.6 can read. Reading
//!   accepts the bit at every protocol, as CPython does. A `datetime.date`
//!   has no fold, and a date state with that bit set is an error, as it is
//!   in CPython.
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
use crate::de::direct::{Direct, Source};
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

/// The high bit of a state's month (`datetime`) or hour (`time`) byte: `fold`.
const FOLD: u8 = 0x80;

/// Sets `byte`'s fold bit as CPython does: only from protocol 4.
fn put_fold<W: io::Write>(w: &Writer<'_, W>, byte: &mut u8, fold: bool) {
    if fold && w.protocol() >= 4 {
        *byte |= FOLD;
    }
}

/// `state` with the fold bit of byte `i` cleared, and that bit.
fn unfold(state: &[u8], i: usize) -> (Vec<u8>, bool) {
    let mut s = state.to_vec();
    let fold = s[i] & FOLD != 0;
    s[i] &= !FOLD;
    (s, fold)
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
    fold: bool,
) -> Result<()> {
    let mut state = datetime_state(local)?;
    put_fold(w, &mut state[2], fold);
    let nargs = 1 + usize::from(offset.is_some());
    w.write_reduce("datetime", "datetime", nargs, |w, i| match (i, offset) {
        (0, _) => w.write_bytes(&state),
        (_, Some(offset)) => write_timezone(w, offset),
        (_, None) => unreachable!("write_reduce asks for nargs arguments"),
    })
}

/// A naive `datetime.time`.
fn write_time<W: io::Write>(w: &mut Writer<'_, W>, t: &NaiveTime, fold: bool) -> Result<()> {
    let mut state = time_state(t)?;
    put_fold(w, &mut state[0], fold);
    w.write_reduce("datetime", "time", 1, |w, _| w.write_bytes(&state))
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

/// A date state, or a datetime's first 4 bytes with the fold bit cleared.
fn date_of(s: &[u8]) -> Option<NaiveDate> {
    let year = i32::from(u16::from_be_bytes([s[0], s[1]]));
    NaiveDate::from_ymd_opt(year, u32::from(s[2]), u32::from(s[3]))
}

/// A time state, or a datetime's last 6 bytes, with the fold bit cleared.
fn time_of(s: &[u8]) -> Option<NaiveTime> {
    let micros = u32::from_be_bytes([0, s[3], s[4], s[5]]);
    NaiveTime::from_hms_micro_opt(u32::from(s[0]), u32::from(s[1]), u32::from(s[2]), micros)
        .filter(|_| micros < 1_000_000)
}

/// A naive `datetime.time` and its fold.
fn read_time(node: Node<'_, '_>) -> Result<(NaiveTime, bool)> {
    let (s, tz) = read_state(node, "time", 6)?;
    if tz.is_some() {
        return Err(naive_expected("time"));
    }
    let (bare, fold) = unfold(&s, 0);
    let time = time_of(&bare).ok_or_else(|| invalid("time", &s))?;
    Ok((time, fold))
}

/// A `datetime.datetime`'s local date and time, its fold, and its tzinfo.
fn read_datetime<'v, 'de>(
    node: Node<'v, 'de>,
) -> Result<(NaiveDateTime, bool, Option<Node<'v, 'de>>)> {
    let (s, tz) = read_state(node, "datetime", 10)?;
    let (bare, fold) = unfold(&s, 2);
    let date = date_of(&bare[..4]).ok_or_else(|| invalid("datetime", &s))?;
    let time = time_of(&bare[4..]).ok_or_else(|| invalid("datetime", &s))?;
    Ok((NaiveDateTime::new(date, time), fold, tz))
}

/// A naive `datetime.datetime` and its fold.
fn read_naive(node: Node<'_, '_>) -> Result<(NaiveDateTime, bool)> {
    match read_datetime(node)? {
        (dt, fold, None) => Ok((dt, fold)),
        (_, _, Some(_)) => Err(naive_expected("datetime")),
    }
}

/// A `datetime.datetime` with a `datetime.timezone`, and its fold.
fn read_aware(node: Node<'_, '_>) -> Result<(DateTime<FixedOffset>, bool)> {
    let (local, fold, tz) = read_datetime(node)?;
    let tz = tz.ok_or_else(|| {
        Error::type_mismatch("a tz-aware datetime.datetime", "a naive datetime.datetime")
    })?;
    let offset = read_offset(tz)?;
    let dt = local
        .and_local_timezone(offset)
        .single()
        .ok_or_else(|| out_of_range(format!("{local} at {offset}"), "DateTime<FixedOffset>"))?;
    Ok((dt, fold))
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

    const DIRECT: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        date_of(&direct_state::<4, S>(r, "date")?)
    }
}

impl ToPickle for NaiveTime {
    /// A naive `datetime.time`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_time(w, self, false)
    }
}

impl<'de> FromPickle<'de> for NaiveTime {
    /// A naive `datetime.time`, its fold dropped.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        read_time(node).map(|(t, _)| t)
    }

    const DIRECT: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        let (bare, _) = unfold(&direct_state::<6, S>(r, "time")?, 0);
        time_of(&bare)
    }
}

impl ToPickle for NaiveDateTime {
    /// A naive `datetime.datetime`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_datetime(w, self, None, false)
    }
}

impl<'de> FromPickle<'de> for NaiveDateTime {
    /// A naive `datetime.datetime`, its fold dropped.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        read_naive(node).map(|(dt, _)| dt)
    }

    const DIRECT: bool = true;

    fn read_direct<S: Source<'de>>(r: &mut Direct<'de, S>) -> Option<Self> {
        let (bare, _) = unfold(&direct_state::<10, S>(r, "datetime")?, 2);
        Some(NaiveDateTime::new(
            date_of(&bare[..4])?,
            time_of(&bare[4..])?,
        ))
    }
}

/// The state of a naive instance of the `datetime` class `class`, read
/// directly: `REDUCE(datetime.<class>, (state,))`, its state `N` bytes. A
/// tzinfo (even `None`), or a Python 2 str state, is the graph path's.
fn direct_state<'de, const N: usize, S: Source<'de>>(
    r: &mut Direct<'de, S>,
    class: &str,
) -> Option<[u8; N]> {
    r.global_is(&["datetime"], class)?;
    let state = r.tuple(1, |r| r.bytes_as(|b| <[u8; N]>::try_from(b).ok()))??;
    r.reduce()?;
    Some(state)
}

impl ToPickle for DateTime<FixedOffset> {
    /// A `datetime.datetime` with a `datetime.timezone` of its offset.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_datetime(
            w,
            &self.naive_local(),
            Some(self.offset().local_minus_utc()),
            false,
        )
    }
}

impl<'de> FromPickle<'de> for DateTime<FixedOffset> {
    /// A `datetime.datetime` with a `datetime.timezone`, its fold dropped.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        read_aware(node).map(|(dt, _)| dt)
    }
}

impl ToPickle for DateTime<Utc> {
    /// A `datetime.datetime` with `datetime.timezone.utc`.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_datetime(w, &self.naive_utc(), Some(0), false)
    }
}

impl<'de> FromPickle<'de> for DateTime<Utc> {
    /// A `datetime.datetime` with any `datetime.timezone`, converted to UTC,
    /// its fold dropped.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        read_aware(node).map(|(dt, _)| dt.with_timezone(&Utc))
    }
}

/// A chrono value with Python's `fold`: pickles as the `datetime.time` or
/// `datetime.datetime` that `T` does, with `fold=1` when [`fold`](Self::fold)
/// is set.
///
/// `fold` (PEP 495) tells apart the two occurrences of a wall time that
/// repeats when clocks go back: `fold=0` is the first, `fold=1` the second.
/// chrono keeps no such bit, so the plain types lose it (see the
/// [module docs](self)); this wrapper carries it for [`NaiveTime`],
/// [`NaiveDateTime`], [`DateTime<FixedOffset>`] and [`DateTime<Utc>`].
/// (It is `WithFold` rather than `Fold` because the value is the point and
/// the fold rides along: a `WithFold<NaiveDateTime>` is a datetime with its
/// fold, and `fold` stays the field's name, as in Python.)
///
/// Reading keeps the bit from a pickle of any protocol. Writing sets it as
/// CPython does, from protocol 4 only: below that CPython writes a
/// `fold=1` value as if `fold=0`, which Pythons before 3.6 can read, and so
/// does this type, to stay byte-identical; use protocol 4 or 5 to keep the
/// fold.
///
/// ```
/// use chrono::NaiveDate;
/// use pickle_core::types::chrono::WithFold;
///
/// // The second 01:30 of 2021-11-07 in New York, once clocks went back.
/// let local = NaiveDate::from_ymd_opt(2021, 11, 7).unwrap().and_hms_opt(1, 30, 0).unwrap();
/// let second = WithFold::new(local, true);
/// // pickle.dumps(datetime.datetime(2021, 11, 7, 1, 30, fold=1), protocol=4):
/// // the month byte 11 (0x0b) carries the fold as 0x8b.
/// let data = pickle_core::ser::to_vec(&second, 4)?;
/// assert_eq!(
///     data,
///     b"\x80\x04\x95*\x00\x00\x00\x00\x00\x00\x00\x8c\x08datetime\x94\x8c\x08datetime\x94\x93\x94\
///       C\n\x07\xe5\x8b\x07\x01\x1e\x00\x00\x00\x00\x94\x85\x94R\x94."
/// );
/// assert_eq!(pickle_core::loads::<WithFold<_>>(&data)?, second);
/// // At protocol 3 CPython, and so this, leaves the fold out.
/// let data = pickle_core::ser::to_vec(&second, 3)?;
/// assert_eq!(pickle_core::loads::<WithFold<_>>(&data)?, WithFold::new(local, false));
/// # Ok::<(), pickle_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct WithFold<T> {
    /// The date and time, as chrono holds it.
    pub value: T,
    /// Python's `fold`: `false` for 0, `true` for 1.
    pub fold: bool,
}

impl<T> WithFold<T> {
    /// `value` with `fold`.
    pub const fn new(value: T, fold: bool) -> Self {
        Self { value, fold }
    }
}

impl<T> From<T> for WithFold<T> {
    /// `value` with `fold=0`.
    fn from(value: T) -> Self {
        Self::new(value, false)
    }
}

impl ToPickle for WithFold<NaiveTime> {
    /// A naive `datetime.time` with its fold.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_time(w, &self.value, self.fold)
    }
}

impl<'de> FromPickle<'de> for WithFold<NaiveTime> {
    /// A naive `datetime.time` and its fold.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        read_time(node).map(|(value, fold)| Self { value, fold })
    }
}

impl ToPickle for WithFold<NaiveDateTime> {
    /// A naive `datetime.datetime` with its fold.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_datetime(w, &self.value, None, self.fold)
    }
}

impl<'de> FromPickle<'de> for WithFold<NaiveDateTime> {
    /// A naive `datetime.datetime` and its fold.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        read_naive(node).map(|(value, fold)| Self { value, fold })
    }
}

impl ToPickle for WithFold<DateTime<FixedOffset>> {
    /// A `datetime.datetime` with a `datetime.timezone` of its offset, and its fold.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        let offset = self.value.offset().local_minus_utc();
        write_datetime(w, &self.value.naive_local(), Some(offset), self.fold)
    }
}

impl<'de> FromPickle<'de> for WithFold<DateTime<FixedOffset>> {
    /// A `datetime.datetime` with a `datetime.timezone`, and its fold.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        read_aware(node).map(|(value, fold)| Self { value, fold })
    }
}

impl ToPickle for WithFold<DateTime<Utc>> {
    /// A `datetime.datetime` with `datetime.timezone.utc`, and its fold.
    fn to_pickle<W: io::Write>(&self, w: &mut Writer<'_, W>) -> Result<()> {
        write_datetime(w, &self.value.naive_utc(), Some(0), self.fold)
    }
}

impl<'de> FromPickle<'de> for WithFold<DateTime<Utc>> {
    /// A `datetime.datetime` with any `datetime.timezone`, converted to UTC, and its fold.
    fn from_pickle(node: Node<'_, 'de>) -> Result<Self> {
        read_aware(node).map(|(value, fold)| Self {
            value: value.with_timezone(&Utc),
            fold,
        })
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
