//! The unpickling cases of CPython's own test suite (`test/pickletester.py`),
//! extracted by `tests/fixtures/extract_pickletester.py`: we accept what
//! CPython accepts, reject what it rejects, and re-dump what we accept as
//! CPython re-dumps it. Deliberate deviations are listed, with reasons, and a
//! listed deviation that no longer deviates fails the test too.

mod common;

use common::{fixtures_dir, hex, report};
use pickle::{Pickler, StringEncoding, Unpickler};
use serde_json::Value as Json;

/// Where we deliberately differ from CPython 3.11 on an input.
enum Deviation {
    /// We accept what CPython rejects, or the other way round.
    Verdict(&'static str),
    /// We both accept it, but our re-dump differs from CPython's at every protocol.
    Redump(&'static str),
}

/// Inputs where we deliberately differ from CPython 3.11, and why.
const DEVIATIONS: &[(&str, Deviation)] = &[
    (
        "test_negative_32b_binput#0",
        Deviation::Verdict(
            "LONG_BINPUT 0xffffffff: CPython grows its memo array to 2**32 entries and fails \
             with MemoryError; our memo is sparse past a density threshold, so the input loads",
        ),
    ),
    (
        "test_unpickle_from_2x#2",
        Deviation::Redump(
            "Cookie.SimpleCookie/Morsel: CPython re-dumps through the classes' own \
             __reduce__/__setstate__, which reorder and intern the state; we keep the state as written",
        ),
    ),
];

fn encoding(case: &Json) -> StringEncoding {
    match case["load_options"]["encoding"].as_str() {
        None | Some("ASCII") => StringEncoding::Ascii,
        Some("bytes") => StringEncoding::Bytes,
        Some("latin1") => StringEncoding::Latin1,
        // Only an empty STRING is read with koi8-r; any single-byte codec gives ''.
        Some("koi8-r") => StringEncoding::Latin1,
        Some(other) => panic!("unexpected encoding {other}"),
    }
}

#[test]
fn we_accept_and_reject_what_cpython_does() {
    let path = fixtures_dir().join("pickletester.json");
    let text = std::fs::read_to_string(&path).expect("tests/fixtures/pickletester.json");
    let cases: Vec<Json> = serde_json::from_str(&text).expect("JSON");
    assert!(cases.len() > 250, "only {} cases", cases.len());

    let mut checked = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let test = case["test"].as_str().expect("test name");
        let data = hex(case["pickle"].as_str().expect("pickle hex"));
        let cpython_accepts = case["accepted"].as_bool().expect("accepted");
        let deviation = DEVIATIONS.iter().find(|(t, _)| *t == test).map(|(_, d)| d);
        let ours: pickle::Result<pickle::Value> =
            Unpickler::new().encoding(encoding(case)).loads(&data);
        checked += 1;
        let agree = ours.is_ok() == cpython_accepts;
        match (agree, deviation) {
            (true, Some(Deviation::Verdict(why))) => failures.push(format!(
                "{test}: listed as a deviation ({why}) but now agrees"
            )),
            (false, Some(Deviation::Verdict(_))) => {}
            (false, _) => failures.push(format!(
                "{test}: CPython {} ({}), we {}",
                if cpython_accepts {
                    "accepts"
                } else {
                    "rejects"
                },
                case["error"].as_str().unwrap_or("-"),
                match &ours {
                    Ok(v) => format!("accept it as {v:?}"),
                    Err(e) => format!("reject it: {e}"),
                }
            )),
            (true, _) => {}
        }
        let Ok(value) = ours else { continue };
        if matches!(deviation, Some(Deviation::Verdict(_))) {
            continue;
        }
        let mut redump_differs = false;
        for protocol in 0..=5u8 {
            let expected = case["redump"][protocol.to_string()].as_str().map(hex);
            let dumped = Pickler::new().protocol(protocol).dumps(&value);
            checked += 1;
            match (dumped, expected) {
                (Ok(a), Some(b)) if a == b => {}
                (Err(_), None) => {}
                _ if matches!(deviation, Some(Deviation::Redump(_))) => redump_differs = true,
                (a, b) => failures.push(format!(
                    "{test} -> protocol {protocol}: ours {:?}, CPython {:?}",
                    a.map_err(|e| e.to_string()),
                    b
                )),
            }
        }
        if let (Some(Deviation::Redump(why)), false) = (deviation, redump_differs) {
            failures.push(format!(
                "{test}: listed as a re-dump deviation ({why}) but now matches"
            ));
        }
    }
    report("pickletester parity", checked, failures);
}
