//! Every pickle in the CPython fixture corpus loads, and re-dumps at every
//! protocol byte-for-byte as CPython re-dumps it. (`dis` parity is checked in
//! pickle-core's `dis` tests.)

mod common;

use common::{corpus, report};
use pickle::Pickler;

fn hex_diff(ours: &[u8], theirs: &[u8]) -> String {
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    let from = at.saturating_sub(8);
    format!(
        "first difference at byte {at} (ours {} bytes, CPython {} bytes): ours ..{:02x?}.. CPython ..{:02x?}..",
        ours.len(),
        theirs.len(),
        &ours[from..ours.len().min(at + 8)],
        &theirs[from..theirs.len().min(at + 8)]
    )
}

#[test]
fn redumps_are_byte_identical_to_cpython_at_every_protocol() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for source in corpus() {
        let value = match source.unpickler().loads(&source.pickle) {
            Ok(v) => v,
            Err(e) => {
                checked += 1;
                failures.push(format!("{}: load failed: {e}", source.name()));
                continue;
            }
        };
        for (protocol, expected) in source.redump.iter().enumerate() {
            checked += 1;
            let ours = Pickler::new().protocol(protocol as u8).dumps(&value);
            match (ours, expected) {
                (Ok(ours), Some(expected)) if &ours == expected => {}
                (Ok(ours), Some(expected)) => failures.push(format!(
                    "{} -> protocol {protocol}: {}",
                    source.name(),
                    hex_diff(&ours, expected)
                )),
                (Err(_), None) => {}
                (Ok(_), None) => failures.push(format!(
                    "{} -> protocol {protocol}: CPython refuses to pickle this but we wrote it",
                    source.name()
                )),
                (Err(e), Some(_)) => failures.push(format!(
                    "{} -> protocol {protocol}: dump failed: {e}",
                    source.name()
                )),
            }
        }
    }
    report("re-dump parity", checked, failures);
}

#[test]
fn stream_load_equals_slice_load_for_every_fixture() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for source in corpus() {
        checked += 1;
        let from_slice = source.unpickler().loads(&source.pickle);
        let from_stream = source.unpickler().load(&source.pickle[..]);
        match (from_slice, from_stream) {
            (Ok(a), Ok(b)) if a == b => {}
            (a, b) => failures.push(format!(
                "{}: slice {:?} stream {:?}",
                source.name(),
                a.map(|_| ()).map_err(|e| e.to_string()),
                b.map(|_| ()).map_err(|e| e.to_string())
            )),
        }
    }
    report("stream/slice agreement", checked, failures);
}
