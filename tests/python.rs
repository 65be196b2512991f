//! Live interop with CPython: Python loads what we write.
//!
//! These tests need `python3` (or the interpreter named by `PICKLE_PYTHON`)
//! and fail, rather than skip, when it is missing.

mod common;

use common::{corpus, deviation, pickler, run_python};

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `tests/python/check_loads.py` over `entries`, returning its stdout on failure.
fn check_in_python(entries: &[serde_json::Value]) -> Result<(), String> {
    let manifest = serde_json::to_vec(entries).expect("manifest");
    let output = run_python("check_loads.py", &manifest);
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

#[test]
fn cpython_loads_our_redump_of_every_fixture_as_an_equal_graph() {
    let mut entries = Vec::new();
    let mut failures = Vec::new();
    for source in corpus() {
        let value: pickle::Value = match source.unpickler().loads(&source.pickle) {
            Ok(v) => v,
            // A listed deviation may be one we refuse to load (`I0x10`).
            Err(_) if deviation(&source.case, &source.label, 0).is_some() => continue,
            Err(e) => {
                failures.push(format!("{}: load failed: {e}", source.name()));
                continue;
            }
        };
        for (protocol, expected) in source.redump.iter().enumerate() {
            // Compare with CPython's own re-dump at the same protocol: a
            // protocol can lose sharing (PERSID text) for CPython too.
            let Some(expected) = expected else { continue };
            if deviation(&source.case, &source.label, protocol).is_some() {
                continue;
            }
            match pickler(&source, protocol).dumps(&value) {
                Ok(ours) => entries.push(serde_json::json!({
                    "name": format!("{} -> protocol {protocol}", source.name()),
                    "ours": to_hex(&ours),
                    "reference": to_hex(expected),
                    "encoding": match source.encoding {
                        pickle::StringEncoding::Latin1 => "latin1",
                        pickle::StringEncoding::Bytes => "bytes",
                        pickle::StringEncoding::Utf8 => "utf-8",
                        _ => "ASCII",
                    },
                    "buffers": source.buffers.iter().map(|(d, ro)| serde_json::json!([to_hex(d), ro])).collect::<Vec<_>>(),
                    "extensions": source.extensions.iter().map(|(c, m, n)| (c.to_string(), serde_json::json!([m, n]))).collect::<serde_json::Map<_, _>>(),
                    "persistent": source.persistent,
                })),
                Err(e) => failures.push(format!("{} -> protocol {protocol}: dump failed: {e}", source.name())),
            }
        }
    }
    assert!(
        entries.len() > 500,
        "only {} pickles to check",
        entries.len()
    );
    if let Err(out) = check_in_python(&entries) {
        failures.push(out);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
