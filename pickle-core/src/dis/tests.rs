//! The disassembler against `pickletools`: expected listings are CPython
//! 3.11's `python3 -m pickletools FILE` output for the same bytes.

use std::path::Path;

use super::*;

fn listing(data: &[u8]) -> (String, Result<usize>) {
    let mut out = Vec::new();
    let result = dis(data, &mut out);
    (String::from_utf8(out).expect("listing is UTF-8"), result)
}

fn unhex(hex: &str) -> Vec<u8> {
    assert!(hex.len() % 2 == 0, "odd hex length");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Every source of every case in `tests/fixtures/corpus`: the listing must
/// equal the stored `python3 -m pickletools` stdout byte for byte, and dis
/// must fail exactly where pickletools failed (`dis_error`).
#[test]
fn listing_matches_pickletools_for_every_corpus_source() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/corpus");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus {} must exist: {e}", dir.display()));
    let mut files: Vec<_> = entries
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the corpus {} is empty", dir.display());

    let mut checked = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("corpus file is readable");
        let case: serde_json::Value = serde_json::from_str(&text).expect("corpus file is JSON");
        let sources = case["sources"].as_array().expect("sources is a list");
        for source in sources {
            let label = format!(
                "{} {}",
                file.file_name().unwrap_or_default().to_string_lossy(),
                source["label"]
            );
            let data = unhex(source["pickle"].as_str().expect("pickle is hex"));
            let expected = source["dis"].as_str().expect("dis is text");
            let pickletools_failed = source.get("dis_error").is_some();
            let (actual, result) = listing(&data);
            checked += 1;
            if actual != expected {
                failures.push(format!(
                    "{label}: listing differs\n--- pickletools\n{expected}\n--- ours\n{actual}"
                ));
            } else if result.is_err() != pickletools_failed {
                failures.push(format!(
                    "{label}: pickletools error {:?}, ours {:?}",
                    source.get("dis_error"),
                    result.err()
                ));
            }
        }
    }
    assert!(checked > 0, "the corpus has no sources");
    assert!(
        failures.is_empty(),
        "{} of {checked} sources differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn memoize_lines_show_the_memo_index() {
    // pickle.dumps([], protocol=4)
    let (text, result) = listing(b"\x80\x04]\x94.");
    assert_eq!(
        text,
        "    0: \\x80 PROTO      4\n    2: ]    EMPTY_LIST\n    3: \\x94 MEMOIZE    (as 0)\n    4: .    STOP\nhighest protocol among opcodes = 4\n"
    );
    assert_eq!(result.unwrap(), 5);
}

#[test]
fn pop_of_a_mark_closes_it() {
    let (text, result) = listing(b"(0K\x01.");
    assert_eq!(
        text,
        "    0: (    MARK\n    1: 0        POP        (MARK at 0)\n    2: K    BININT1    1\n    4: .    STOP\nhighest protocol among opcodes = 1\n"
    );
    assert!(result.is_ok());
}

#[test]
fn leftover_stack_is_reported_after_the_protocol_line() {
    let (text, result) = listing(b"(K\x01\x85(t.");
    assert!(text.ends_with("highest protocol among opcodes = 2\n"));
    let err = result.unwrap_err();
    assert_eq!(err.message(), "stack not empty after STOP: [mark, tuple]");
    assert_eq!(err.offset(), Some(6));
    assert_eq!(err.opcode(), Some(Opcode::Stop));
}

#[test]
fn bad_memo_use_prints_the_line_then_fails() {
    let (text, result) = listing(b"K\x01p0\np0\n.");
    assert_eq!(
        text,
        "    0: K    BININT1    1\n    2: p    PUT        0\n    5: p    PUT        0\n"
    );
    assert_eq!(result.unwrap_err().message(), "memo key 0 already defined");

    let (text, result) = listing(b"h\x05.");
    assert_eq!(text, "    0: h    BINGET     5\n");
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingMemo);
    assert_eq!(
        err.to_string(),
        "memo key 5 has never been stored into at byte 0 (opcode BINGET)"
    );
}

#[test]
fn missing_mark_and_underflow_are_errors_after_the_line() {
    let (text, result) = listing(b"e.");
    assert_eq!(text, "    0: e    APPENDS    no MARK exists on stack\n");
    assert_eq!(result.unwrap_err().kind(), ErrorKind::MissingMark);

    let (text, result) = listing(b"a.");
    assert_eq!(text, "    0: a    APPEND\n");
    assert_eq!(
        result.unwrap_err().message(),
        "tries to pop 2 items from stack with only 0 items"
    );
}

#[test]
fn mark_taken_as_an_item_fails_before_its_line() {
    // TUPLE1 takes the mark as its item; TUPLE then finds no mark on the stack.
    let (text, result) = listing(b"(\x85t.");
    assert_eq!(text, "    0: (    MARK\n    1: \\x85     TUPLE1\n    2: ");
    assert_eq!(result.unwrap_err().kind(), ErrorKind::MissingMark);
}

#[test]
fn truncation_prints_nothing_for_the_cut_opcode() {
    let (text, result) = listing(b"\x80\x02K");
    assert_eq!(text, "    0: \\x80 PROTO      2\n");
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated);
    assert_eq!(err.offset(), Some(2));
    assert_eq!(err.opcode(), Some(Opcode::BinInt1));

    let (_, result) = listing(b"K\x01");
    let err = result.unwrap_err();
    assert_eq!(err.message(), "pickle exhausted before seeing STOP");
    assert_eq!(err.offset(), Some(2));
}

#[test]
fn unknown_opcode_names_its_byte() {
    let (text, result) = listing(b"N\xff.");
    assert_eq!(text, "    0: N    NONE\n");
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownOpcode);
    assert_eq!(err.to_string(), "opcode b'\\xff' unknown at byte 1");
}

#[test]
fn declared_lengths_beyond_the_input_are_not_trusted() {
    for data in [
        &b"\x8e\xff\xff\xff\xff\xff\xff\xff\x7f"[..],
        b"\x96\x00\x00\x00\x00\x00\x00\x01\x00",
        b"\x8b\xff\xff\xff\x7f",
        b"B\xff\xff\xff\xff",
        b"\x8d\x00\x00\x00\x00\x01\x00\x00\x00",
    ] {
        let err = genops(data).last().unwrap().unwrap_err();
        assert_eq!(err.offset(), Some(0), "{data:?}");
    }
    let err = genops(b"T\xff\xff\xff\xff").last().unwrap().unwrap_err();
    assert_eq!(err.message(), "string4 byte count < 0: -1");
}

#[test]
fn huge_long_fails_like_repr_after_the_offset() {
    let mut data = b"\x8b\xd0\x07\x00\x00".to_vec();
    data.extend(std::iter::repeat_n(1u8, 2000));
    data.push(b'.');
    let (text, result) = listing(&data);
    assert_eq!(text, "    0: ");
    assert!(result
        .unwrap_err()
        .message()
        .starts_with("Exceeds the limit (4300 digits)"));
}

#[test]
fn arguments_print_as_python_reprs() {
    let arg = |data: &[u8]| genops(data).next().unwrap().unwrap().arg.to_string();
    assert_eq!(arg(b"I00\n"), "False");
    assert_eq!(arg(b"L-12345678901234567890L\n"), "-12345678901234567890");
    assert_eq!(arg(b"\x8a\x02\x00\xff"), "-256");
    assert_eq!(arg(b"\x8a\x00"), "0");
    assert_eq!(arg(b"G\xbf\xf4\x00\x00\x00\x00\x00\x00"), "-1.25");
    assert_eq!(arg(b"F-0.0\n"), "-0.0");
    assert_eq!(arg(b"S'a\\n\\x00\\'b'\n"), r#""a\n\x00'b""#);
    assert_eq!(arg(b"U\x02\xe9'"), "\"\u{e9}'\"");
    assert_eq!(arg(b"cos\nsystem\n"), "'os system'");
    assert_eq!(arg(b"C\x03a'\""), r#"b'a\'"'"#);
    assert_eq!(
        arg(b"\x96\x01\x00\x00\x00\x00\x00\x00\x00\x00"),
        r"bytearray(b'\x00')"
    );
    assert_eq!(arg(b"V\\ud800\n"), r"'\ud800'");
    assert_eq!(
        arg(b"\x95\xff\xff\xff\xff\xff\xff\xff\xff"),
        "18446744073709551615"
    );
}

#[test]
fn stops_after_stop_and_ignores_what_follows() {
    let (text, result) = listing(b"N.\xff\xff");
    assert_eq!(result.unwrap(), 2);
    assert!(text.ends_with("highest protocol among opcodes = 0\n"));
    assert_eq!(genops(b"N.N.").count(), 2);
}
