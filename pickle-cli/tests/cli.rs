//! The `pickle` binary, run as a user would run it.
//!
//! Expected listings are the stdout of CPython 3.11's
//! `python3 -m pickletools FILE`; expected recodings are
//! `pickle.dumps(pickle.loads(data), protocol=N)`. The Python that made each
//! literal is quoted above it.

mod common;

use std::path::PathBuf;

use common::{pickle, Run};

/// A file under the target directory that holds `data`.
fn temp_file(name: &str, data: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pickle-cli-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, data).expect("temp file");
    path
}

fn path_str(path: &std::path::Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

// pickle.dumps([1, 'a', (2,), {'x': []}], protocol=0)
const LIST_P0: &[u8] = b"(lp0\nI1\naVa\np1\na(I2\ntp2\na(dp3\nVx\np4\n(lp5\nsa.";

// python3 -m pickletools list_p0.pkl
const LIST_P0_DIS: &str = r"    0: (    MARK
    1: l        LIST       (MARK at 0)
    2: p    PUT        0
    5: I    INT        1
    8: a    APPEND
    9: V    UNICODE    'a'
   12: p    PUT        1
   15: a    APPEND
   16: (    MARK
   17: I        INT        2
   20: t        TUPLE      (MARK at 16)
   21: p    PUT        2
   24: a    APPEND
   25: (    MARK
   26: d        DICT       (MARK at 25)
   27: p    PUT        3
   30: V    UNICODE    'x'
   33: p    PUT        4
   36: (    MARK
   37: l        LIST       (MARK at 36)
   38: p    PUT        5
   41: s    SETITEM
   42: a    APPEND
   43: .    STOP
highest protocol among opcodes = 0
";

// pickle.dumps({'b': b"q'\"", 'f': -0.0, 'n': float('nan'), 'i': 2**100, 's': {1},
//               'ba': bytearray(b'\x00')}, protocol=5)
const DICT_P5: &[u8] = b"\x80\x05\x95V\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01b\x94C\x03q'\x22\x94\x8c\x01f\x94G\x80\x00\x00\x00\x00\x00\x00\x00\x8c\x01n\x94G\x7f\xf8\x00\x00\x00\x00\x00\x00\x8c\x01i\x94\x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x8c\x01s\x94\x8f\x94(K\x01\x90\x8c\x02ba\x94\x96\x01\x00\x00\x00\x00\x00\x00\x00\x00\x94u.";

// python3 -m pickletools dict_p5.pkl
const DICT_P5_DIS: &str = r#"    0: \x80 PROTO      5
    2: \x95 FRAME      86
   11: }    EMPTY_DICT
   12: \x94 MEMOIZE    (as 0)
   13: (    MARK
   14: \x8c     SHORT_BINUNICODE 'b'
   17: \x94     MEMOIZE    (as 1)
   18: C        SHORT_BINBYTES b'q\'"'
   23: \x94     MEMOIZE    (as 2)
   24: \x8c     SHORT_BINUNICODE 'f'
   27: \x94     MEMOIZE    (as 3)
   28: G        BINFLOAT   -0.0
   37: \x8c     SHORT_BINUNICODE 'n'
   40: \x94     MEMOIZE    (as 4)
   41: G        BINFLOAT   nan
   50: \x8c     SHORT_BINUNICODE 'i'
   53: \x94     MEMOIZE    (as 5)
   54: \x8a     LONG1      1267650600228229401496703205376
   69: \x8c     SHORT_BINUNICODE 's'
   72: \x94     MEMOIZE    (as 6)
   73: \x8f     EMPTY_SET
   74: \x94     MEMOIZE    (as 7)
   75: (        MARK
   76: K            BININT1    1
   78: \x90         ADDITEMS   (MARK at 75)
   79: \x8c     SHORT_BINUNICODE 'ba'
   83: \x94     MEMOIZE    (as 8)
   84: \x96     BYTEARRAY8 bytearray(b'\x00')
   94: \x94     MEMOIZE    (as 9)
   95: u        SETITEMS   (MARK at 13)
   96: .    STOP
highest protocol among opcodes = 5
"#;

// pickle.dumps([pickle.PickleBuffer(b'abc')], protocol=5, buffer_callback=lambda b: False)
const OUT_OF_BAND_P5: &[u8] = b"\x80\x05\x95\x06\x00\x00\x00\x00\x00\x00\x00]\x94\x97\x98a.";

// python3 -m pickletools out_of_band_p5.pkl
const OUT_OF_BAND_P5_DIS: &str = r"    0: \x80 PROTO      5
    2: \x95 FRAME      6
   11: ]    EMPTY_LIST
   12: \x94 MEMOIZE    (as 0)
   13: \x97 NEXT_BUFFER
   14: \x98 READONLY_BUFFER
   15: a    APPEND
   16: .    STOP
highest protocol among opcodes = 5
";

#[test]
fn dis_of_a_protocol_0_file_matches_pickletools() {
    let file = temp_file("list_p0.pkl", LIST_P0);
    let run = pickle(&["dis", path_str(&file)], b"");
    assert_eq!(run.stdout_text(), LIST_P0_DIS);
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, Some(0));
}

#[test]
fn dis_of_a_framed_protocol_5_file_matches_pickletools() {
    let file = temp_file("dict_p5.pkl", DICT_P5);
    let run = pickle(&["dis", path_str(&file)], b"");
    assert_eq!(run.stdout_text(), DICT_P5_DIS);
    assert_eq!(run.code, Some(0));
}

#[test]
fn dis_shows_out_of_band_buffers() {
    let run = pickle(&["dis", "-"], OUT_OF_BAND_P5);
    assert_eq!(run.stdout_text(), OUT_OF_BAND_P5_DIS);
    assert_eq!(run.code, Some(0));
}

#[test]
fn dis_reads_standard_input_for_dash() {
    let run = pickle(&["dis", "-"], LIST_P0);
    assert_eq!(run.stdout_text(), LIST_P0_DIS);
    assert_eq!(run.code, Some(0));
}

#[test]
fn dis_of_a_truncated_pickle_prints_the_partial_listing_then_fails() {
    // The first 40 bytes of DICT_P5: the BINFLOAT at 41 is cut after 1 byte.
    // python3 -m pickletools prints the lines below, then raises
    // "ValueError: not enough data in stream to read float8".
    let run = pickle(&["dis", "-"], &DICT_P5[..42]);
    let expected: String = DICT_P5_DIS
        .lines()
        .take(14)
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(run.stdout_text(), expected);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "error: not enough data in stream to read float8 at byte 41 (opcode BINFLOAT)\n"
    );
}

#[test]
fn dis_of_a_pickle_without_stop_names_the_end() {
    let run = pickle(&["dis", "-"], &LIST_P0[..LIST_P0.len() - 1]);
    assert!(run.stdout_text().ends_with("   42: a    APPEND\n"));
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "error: pickle exhausted before seeing STOP at byte 43\n"
    );
}

#[test]
fn dis_prints_the_offending_line_before_a_memo_error() {
    // python3 -m pickletools: "    0: h    BINGET     5", then
    // "ValueError: memo key 5 has never been stored into".
    let run = pickle(&["dis", "-"], b"h\x05.");
    assert_eq!(run.stdout_text(), "    0: h    BINGET     5\n");
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "error: memo key 5 has never been stored into at byte 0 (opcode BINGET)\n"
    );
}

#[test]
fn dis_of_a_missing_file_is_one_error_line() {
    let run = pickle(&["dis", "/nonexistent/file.pkl"], b"");
    assert_eq!(run.code, Some(1));
    assert!(run
        .stderr
        .starts_with("error: cannot read /nonexistent/file.pkl: "));
    assert_eq!(run.stderr.lines().count(), 1);
}

#[test]
fn recode_rejects_protocols_above_5() {
    let run = pickle(&["recode", "--protocol", "6", "-", "-"], LIST_P0);
    assert_ne!(run.code, Some(0));
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("--protocol"), "{}", run.stderr);
    assert!(run.stderr.contains("0..=5"), "{}", run.stderr);
}

#[test]
fn recode_refuses_out_of_band_buffers_by_name() {
    let run = pickle(&["recode", "--protocol", "5", "-", "-"], OUT_OF_BAND_P5);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert_eq!(
        run.stderr,
        "error: the pickle uses an out-of-band buffer, which recode cannot supply \
         at byte 13 (opcode NEXT_BUFFER)\n"
    );
}

#[test]
fn recode_of_a_truncated_pickle_is_one_error_line_with_the_offset() {
    let run = pickle(&["recode", "--protocol", "2", "-", "-"], &DICT_P5[..42]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains(" at byte "), "{}", run.stderr);
}

// The recode tests below need the unpickler VM and the pickler.

fn recode(protocol: u8, data: &[u8]) -> Run {
    let run = pickle(
        &["recode", "--protocol", &protocol.to_string(), "-", "-"],
        data,
    );
    assert_eq!(run.stderr, "", "recode to protocol {protocol} failed");
    assert_eq!(run.code, Some(0));
    run
}

#[test]
fn recode_writes_what_cpython_writes_at_each_protocol() {
    // pickle.dumps(pickle.loads(LIST_P0), protocol=N)
    let expected: [(u8, &[u8]); 5] = [
        (0, LIST_P0),
        (2, b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01K\x02\x85q\x02}q\x03X\x01\x00\x00\x00xq\x04]q\x05se."),
        (3, b"\x80\x03]q\x00(K\x01X\x01\x00\x00\x00aq\x01K\x02\x85q\x02}q\x03X\x01\x00\x00\x00xq\x04]q\x05se."),
        (4, b"\x80\x04\x95\x18\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01\x8c\x01a\x94K\x02\x85\x94}\x94\x8c\x01x\x94]\x94se."),
        (5, b"\x80\x05\x95\x18\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01\x8c\x01a\x94K\x02\x85\x94}\x94\x8c\x01x\x94]\x94se."),
    ];
    for (protocol, bytes) in expected {
        assert_eq!(
            recode(protocol, LIST_P0).stdout,
            bytes,
            "protocol {protocol}"
        );
    }
}

// A module `geometry` with `class Point: def __init__(self, x, y): self.x = x; self.y = y`:
// pickle.dumps([Point(1, 'a'), Point(2.5, None)], protocol=2)
const POINTS_P2: &[u8] = b"\x80\x02]q\x00(cgeometry\nPoint\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05X\x01\x00\x00\x00aq\x06ubh\x01)\x81q\x07}q\x08(h\x04G@\x04\x00\x00\x00\x00\x00\x00h\x05Nube.";

#[test]
fn recode_keeps_unknown_classes_opaque() {
    // pickle.dumps(pickle.loads(POINTS_P2), protocol=4), with geometry importable
    let expected: &[u8] = b"\x80\x04\x95H\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94\x8c\x01a\x94ubh\x03)\x81\x94}\x94(h\x06G@\x04\x00\x00\x00\x00\x00\x00h\x07Nube.";
    assert_eq!(recode(4, POINTS_P2).stdout, expected);
}

// [1, doc] pickled at protocol 0 by a Pickler whose persistent_id(doc) is 'doc-42'.
const PERSISTENT_P0: &[u8] = b"(lp0\nI1\naPdoc-42\na.";

#[test]
fn recode_keeps_persistent_ids() {
    // Loaded with persistent_load = lambda pid: ('pid', pid) and dumped at
    // protocol 3 with persistent_id returning that pid again.
    let expected: &[u8] = b"\x80\x03]q\x00(K\x01X\x06\x00\x00\x00doc-42q\x01Qe.";
    assert_eq!(recode(3, PERSISTENT_P0).stdout, expected);
}

#[test]
fn recode_can_reject_persistent_ids() {
    let run = pickle(
        &[
            "recode",
            "--protocol",
            "3",
            "--reject-persistent-ids",
            "-",
            "-",
        ],
        PERSISTENT_P0,
    );
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("persistent id"), "{}", run.stderr);
    assert!(run.stderr.contains(" at byte 9"), "{}", run.stderr);
}

#[test]
fn recode_reads_and_writes_files() {
    let input = temp_file("recode_in.pkl", LIST_P0);
    let output = temp_file("recode_out.pkl", b"");
    let run = pickle(
        &["recode", "-p", "2", path_str(&input), path_str(&output)],
        b"",
    );
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.is_empty());
    assert_eq!(
        std::fs::read(&output).expect("output written"),
        b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01K\x02\x85q\x02}q\x03X\x01\x00\x00\x00xq\x04]q\x05se."
    );
}

// Python 2's pickle.dumps('caf\xe9'): a STRING, not text, until an encoding says so.
const PY2_STRING_P0: &[u8] = b"S'caf\\xe9'\np0\n.";

#[test]
fn recode_reads_python_2_strings_with_the_chosen_encoding() {
    // pickle.dumps(pickle.loads(PY2_STRING_P0, encoding='latin1'), protocol=3)
    let run = pickle(
        &["recode", "-p", "3", "--encoding", "latin1", "-", "-"],
        PY2_STRING_P0,
    );
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout, b"\x80\x03X\x05\x00\x00\x00caf\xc3\xa9q\x00.");
    // pickle.dumps(pickle.loads(PY2_STRING_P0, encoding='bytes'), protocol=3)
    let run = pickle(
        &["recode", "-p", "3", "--encoding", "bytes", "-", "-"],
        PY2_STRING_P0,
    );
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout, b"\x80\x03C\x04caf\xe9q\x00.");
}

#[test]
fn recode_of_a_python_2_string_fails_as_ascii_by_default() {
    // pickle.loads(PY2_STRING_P0) raises UnicodeDecodeError, as CPython does.
    let run = pickle(&["recode", "-p", "3", "-", "-"], PY2_STRING_P0);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.ends_with(" at byte 0 (opcode STRING)\n"),
        "{}",
        run.stderr
    );
}
