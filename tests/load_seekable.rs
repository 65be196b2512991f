//! `load_seekable`: a typed load straight from a stream that can seek, with
//! the graph path as its fallback. Whatever it reads, it gives what `loads`
//! gives on the same bytes, errors included, and leaves the stream just
//! past the pickle's STOP. (tests/direct.rs checks the direct read from a
//! stream against the one from a slice at every edge of the window.)

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use indexmap::IndexMap;
use pickle::de::direct;
use pickle::{ErrorKind, Limits, Unpickler, Value};

// pickle.dumps(['ab', 'cd'], protocol=4)
const STRS: &[u8] =
    b"\x80\x04\x95\x0f\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x02ab\x94\x8c\x02cd\x94e.";

// x = [1]; pickle.dumps([x, x], protocol=4): the second item is a GET of the
// first list, which the direct read leaves to the graph path.
const SHARED: &[u8] = b"\x80\x04\x95\x0c\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94K\x01ah\x01e.";

// pickle.dumps(['a' * 100, 'b' * 100, 'c' * 100], protocol=4)
fn long_strs() -> Vec<u8> {
    let mut data = b"\x80\x04\x95:\x01\x00\x00\x00\x00\x00\x00]\x94(".to_vec();
    for c in [b'a', b'b', b'c'] {
        data.extend_from_slice(b"\x8cd");
        data.extend_from_slice(&[c; 100]);
        data.push(0x94);
    }
    data.extend_from_slice(b"e.");
    data
}

/// `data`, then `rest`, in a stream that starts with `before`.
fn stream(before: &[u8], data: &[u8], rest: &[u8]) -> Cursor<Vec<u8>> {
    let mut cursor = Cursor::new([before, data, rest].concat());
    cursor.set_position(before.len() as u64);
    cursor
}

fn rest(mut reader: impl Read) -> Vec<u8> {
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    rest
}

#[test]
fn a_typed_load_reads_from_where_the_stream_is_and_stops_after_stop() {
    let mut file = stream(b"header", STRS, b"\x80\x04K\x07.tail");
    let strs: Vec<String> = pickle::load_seekable(&mut file).unwrap();
    assert_eq!(strs, ["ab", "cd"]);
    assert_eq!(file.position(), (b"header".len() + STRS.len()) as u64);
    // The next pickle in the stream reads as well.
    let n: u8 = pickle::load_seekable(&mut file).unwrap();
    assert_eq!(n, 7);
    assert_eq!(rest(file), b"tail");
}

#[test]
fn the_direct_read_from_a_stream_reads_what_the_direct_read_from_bytes_reads() {
    let limits = Limits::default();
    assert_eq!(
        direct::read_seekable::<Vec<String>>(stream(b"xx", STRS, b"yy"), &limits, 3, 1),
        Some(vec!["ab".to_owned(), "cd".to_owned()])
    );
    // A GET of a container: the direct read gives up on either.
    assert_eq!(direct::read::<Vec<Vec<i64>>>(SHARED, &limits), None);
    assert_eq!(
        direct::read_seekable::<Vec<Vec<i64>>>(Cursor::new(SHARED), &limits, 1 << 16, 1),
        None
    );
}

#[test]
fn where_the_direct_read_gives_up_the_graph_reads_the_stream_again() {
    let mut file = stream(b"", SHARED, b"tail");
    let lists: Vec<Vec<i64>> = pickle::load_seekable(&mut file).unwrap();
    assert_eq!(lists, [[1], [1]]);
    assert_eq!(rest(file), b"tail");
}

#[test]
fn a_value_is_read_through_the_graph_and_stops_after_stop() {
    let mut file = stream(b"", SHARED, b"tail");
    let v: Value = pickle::load_seekable(&mut file).unwrap();
    assert_eq!(format!("{v:?}"), "[[1], [1]]");
    assert_eq!(rest(file), b"tail");
}

/// The kind and offset of the error `loads` reports on `data`, and of the
/// one `load_seekable` reports, with `limits`.
fn both_errors<T: for<'de> pickle::de::FromPickle<'de> + std::fmt::Debug>(
    data: &[u8],
    limits: Limits,
) -> [(ErrorKind, Option<u64>); 2] {
    let from_bytes = Unpickler::new()
        .limits(limits.clone())
        .loads::<T>(data)
        .unwrap_err();
    let from_stream = Unpickler::new()
        .limits(limits)
        .load_seekable::<T>(Cursor::new(data))
        .unwrap_err();
    [from_bytes, from_stream].map(|e| (e.kind(), e.offset()))
}

#[test]
fn errors_are_the_ones_loads_reports() {
    // Cut short inside the frame: the FRAME at offset 2 is refused.
    let cut = &STRS[..STRS.len() - 4];
    assert_eq!(
        both_errors::<Vec<String>>(cut, Limits::default()),
        [(ErrorKind::Truncated, Some(2)); 2]
    );
    // pickle.dumps(['ab', 'cd'], protocol=2) without its STOP: CPython's
    // "Ran out of input" where the STOP belongs.
    let cut = b"\x80\x02]q\x00(X\x02\x00\x00\x00abq\x01X\x02\x00\x00\x00cdq\x02e";
    assert_eq!(
        both_errors::<Vec<String>>(cut, Limits::default()),
        [(ErrorKind::Truncated, Some(25)); 2]
    );
    // An int where a str belongs.
    let e = pickle::load_seekable::<Vec<String>>(Cursor::new(b"\x80\x04]\x94K\x01a.")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
}

#[test]
fn nothing_borrows_from_a_stream() {
    let e = pickle::load_seekable::<Vec<&'static str>>(Cursor::new(STRS)).unwrap_err();
    let from_read = pickle::load::<Vec<&'static str>>(STRS).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TypeMismatch);
    assert_eq!(e.to_string(), from_read.to_string());
}

#[test]
fn limits_hold_on_the_direct_read_as_on_the_graph() {
    let data = long_strs();
    let mut limits = Limits::default();
    limits.max_input_bytes = 100;
    assert_eq!(
        both_errors::<Vec<String>>(&data, limits.clone()),
        // Bytes are refused before they are read; a stream, at the FRAME
        // that runs past the limit.
        [
            (ErrorKind::InputTooLarge, None),
            (ErrorKind::InputTooLarge, Some(2))
        ]
    );
    assert_eq!(
        direct::read_seekable::<Vec<String>>(Cursor::new(&data), &limits, 64, 1),
        None
    );

    // The strs of a stream are copies, which count against the allocation limit.
    let mut limits = Limits::default();
    limits.max_alloc_bytes = 250;
    assert_eq!(
        direct::read_seekable::<Vec<String>>(Cursor::new(&data), &limits, 64, 1),
        None
    );
    let e = Unpickler::new()
        .limits(limits.clone())
        .load_seekable::<Vec<String>>(Cursor::new(&data))
        .unwrap_err();
    let from_read = Unpickler::new()
        .limits(limits)
        .load::<Vec<String>>(&data[..])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AllocLimit);
    assert_eq!(
        (e.kind(), e.offset()),
        (from_read.kind(), from_read.offset())
    );
}

/// A stream that hands out at most one byte a read, is interrupted before
/// every other read, and counts its seeks; it fails for good after `fail_at`.
struct Awkward {
    inner: Cursor<Vec<u8>>,
    interrupt: bool,
    seeks: usize,
    fail_at: u64,
}

impl Awkward {
    fn new(data: &[u8]) -> Self {
        Awkward {
            inner: Cursor::new(data.to_vec()),
            interrupt: false,
            seeks: 0,
            fail_at: u64::MAX,
        }
    }
}

impl Read for Awkward {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inner.position() >= self.fail_at {
            return Err(io::Error::other("the disk is gone"));
        }
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(1);
        self.inner.read(&mut buf[..n])
    }
}

impl Seek for Awkward {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.seeks += 1;
        self.inner.seek(to)
    }
}

#[test]
fn short_and_interrupted_reads_read_the_same() {
    let mut file = Awkward::new(&[STRS, b"tail"].concat());
    let strs: Vec<String> = pickle::load_seekable(&mut file).unwrap();
    assert_eq!(strs, ["ab", "cd"]);
    assert_eq!(file.inner.position(), STRS.len() as u64);
}

#[test]
fn a_read_error_is_reported() {
    let mut file = Awkward::new(&long_strs());
    file.fail_at = 150;
    let e = pickle::load_seekable::<Vec<String>>(&mut file).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.to_string().contains("the disk is gone"), "{e}");
}

#[test]
fn a_str_fetched_again_is_read_from_the_stream_once() {
    // 2000 dicts with the same two keys: every key after the first two is a
    // GET of one of them (our pickler writes CPython's bytes for this shape).
    let maps: Vec<IndexMap<String, i64>> = (0..2000)
        .map(|i| IndexMap::from([("x".to_owned(), i), ("y".to_owned(), -i)]))
        .collect();
    let data = pickle::dumps(&maps).unwrap();
    let mut file = Awkward::new(&data);
    let read: Vec<IndexMap<String, i64>> = pickle::load_seekable(&mut file).unwrap();
    assert_eq!(read, maps);
    // One seek to learn where the pickle starts, one to each of the two
    // keys and back, and one to leave the stream after STOP.
    assert_eq!(file.seeks, 1 + 2 * 2 + 1);
}

/// Appends `n` strs `s0`, `s1`, ... as CPython writes them at protocol 4
/// (SHORT_BINUNICODE, MEMOIZE), and returns them.
fn push_strs(data: &mut Vec<u8>, n: usize) -> Vec<String> {
    let strs: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
    for text in &strs {
        data.push(0x8c);
        data.push(text.len() as u8);
        data.extend_from_slice(text.as_bytes());
        data.push(0x94);
    }
    strs
}

#[test]
fn a_big_memo_keeps_what_a_get_fetches_and_reads_the_same() {
    // 70,000 strs (more memo entries than the stream keeps unfiltered),
    // then GETs of every 7,000th: LONG_BINGET of the str's memo index.
    let mut data = b"\x80\x04]\x94(".to_vec();
    let mut expected = push_strs(&mut data, 70_000);
    for i in (0..70_000).step_by(7_000) {
        data.push(b'j');
        data.extend_from_slice(&(i as u32 + 1).to_le_bytes());
        expected.push(format!("s{i}"));
    }
    data.extend_from_slice(b"e.");
    assert_eq!(pickle::loads::<Vec<String>>(&data).unwrap(), expected);
    let mut file = stream(b"", &data, b"tail");
    let read: Vec<String> = pickle::load_seekable(&mut file).unwrap();
    assert_eq!(read, expected);
    assert_eq!(rest(file), b"tail");
    // Seeks: one to learn where the pickle starts; one back to its start to
    // scan it for GETs when the memo is full, and one to where the read
    // was; one to each str fetched again and one back; one after STOP.
    let mut file = Awkward::new(&data);
    let read: Vec<String> = pickle::load_seekable(&mut file).unwrap();
    assert_eq!(read, expected);
    assert_eq!(file.seeks, 1 + 2 + 10 * 2 + 1);
    // Through the graph: the stream is scanned first (it is over 32 KiB),
    // and the memo keeps the ten strs fetched again.
    let v: Value = pickle::load_seekable(Cursor::new(&data)).unwrap();
    assert_eq!(v, pickle::loads::<Value>(&data).unwrap());
    let v: Value = pickle::Unpickler::new()
        .load_seekable(Awkward::new(&data))
        .unwrap();
    assert_eq!(v.root_node().items().unwrap().count(), 70_010);
    // The direct read itself, filtering from the default size (no fallback).
    let read = direct::read_seekable::<Vec<String>>(
        Cursor::new(&data),
        &Limits::default(),
        1 << 16,
        1 << 16,
    );
    assert_eq!(read, Some(expected));
}

/// A stream that counts the bytes read from it.
struct Counting {
    inner: Cursor<Vec<u8>>,
    read: usize,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n;
        Ok(n)
    }
}

impl Seek for Counting {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.seek(to)
    }
}

#[test]
fn a_stream_is_scanned_for_gets_once_though_both_paths_read_it() {
    // x = [70,000 strs]; [x, x] at protocol 4: the direct read's memo fills
    // and the stream is scanned; then the GET of x makes it give up, and
    // the graph path, which would scan the stream too, reads it again.
    let mut data = b"\x80\x04]\x94(]\x94(".to_vec();
    let strs = push_strs(&mut data, 70_000);
    data.extend_from_slice(b"eh\x01e.");
    let mut file = Counting {
        inner: Cursor::new(data.clone()),
        read: 0,
    };
    let read: Vec<Vec<String>> = pickle::load_seekable(&mut file).unwrap();
    assert_eq!(read, [strs.clone(), strs]);
    // Read forward by the direct reader, scanned, read by the graph path:
    // three times, and a window or two more (3.5×); scanned twice, it is 4×.
    assert!(
        file.read * 2 <= 7 * data.len(),
        "{} bytes read of {}",
        file.read,
        data.len()
    );
}

#[test]
fn a_str_longer_than_the_window_is_read_in_pieces_as_from_bytes() {
    // Characters of 3 bytes, so that the window's edges (64 KiB) fall
    // inside them; the second item is a GET of the first.
    let long = "€".repeat(40_000) + "end";
    let expected = vec![long.clone(), long.clone(), "x".to_string()];
    let data = pickle::dumps(&expected).unwrap();
    assert!(pickle::loads::<Vec<String>>(&data).unwrap() == expected);
    let mut file = Awkward::new(&data);
    assert!(
        Unpickler::new()
            .load_seekable::<Vec<String>>(&mut file)
            .unwrap()
            == expected
    );
    for chunk in [1, 7, 4096, 65536] {
        let read =
            direct::read_seekable::<Vec<String>>(Cursor::new(&data), &Limits::default(), chunk, 1);
        assert!(
            read.as_ref() == Some(&expected),
            "chunk {chunk}: {:?}",
            read.map(|v| v.len())
        );
    }

    // Its bytes count against the allocation limit, as the graph's copy would.
    let mut limits = Limits::default();
    limits.max_alloc_bytes = long.len() as u64 - 1;
    assert_eq!(
        direct::read_seekable::<Vec<String>>(Cursor::new(&data), &limits, 65536, 1),
        None
    );

    // Not UTF-8 at the very end: the error loads reports, at the
    // BINUNICODE (offset 4, by pickletools.genops).
    let mut bad = pickle::dumps(&vec![long.clone()]).unwrap();
    let end = bad.iter().rposition(|&b| b == b'd').unwrap();
    bad[end] = 0xff;
    assert_eq!(
        both_errors::<Vec<String>>(&bad, Limits::default()),
        [(ErrorKind::InvalidText, Some(4)); 2]
    );
}
