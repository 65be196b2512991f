//! Every pickle in the CPython fixture corpus loads, and re-dumps at every
//! protocol byte-for-byte as CPython re-dumps it. (`dis` parity is checked in
//! pickle-core's `dis` tests.)

mod common;

use std::collections::HashSet;

use common::{corpus, deviation, pickler, report, Source, DEVIATIONS};
use pickle::Value;

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

/// How our re-dump at `protocol` differs from CPython's, if it does.
fn redump_difference(
    source: &Source,
    loaded: &Result<Value<'_>, pickle::Error>,
    protocol: usize,
) -> Option<String> {
    let value = match loaded {
        Ok(value) => value,
        Err(e) => return Some(format!("load failed: {e}")),
    };
    match (
        pickler(source, protocol).dumps(value),
        &source.redump[protocol],
    ) {
        (Ok(ours), Some(expected)) if &ours == expected => None,
        (Ok(ours), Some(expected)) => Some(hex_diff(&ours, expected)),
        (Err(_), None) => None,
        (Ok(_), None) => Some("CPython refuses to pickle this but we wrote it".into()),
        (Err(e), Some(_)) => Some(format!("dump failed: {e}")),
    }
}

#[test]
fn redumps_are_byte_identical_to_cpython_at_every_protocol() {
    let mut checked = 0;
    let mut deviated = 0;
    let mut failures = Vec::new();
    let mut sources = HashSet::new();
    for source in corpus() {
        sources.insert((source.case.clone(), source.label.clone()));
        let loaded = source.unpickler().loads(&source.pickle);
        for protocol in 0..source.redump.len() {
            let difference = redump_difference(&source, &loaded, protocol);
            let name = source.name();
            match (deviation(&source.case, &source.label, protocol), difference) {
                (None, None) => checked += 1,
                (None, Some(difference)) => {
                    checked += 1;
                    failures.push(format!("{name} -> protocol {protocol}: {difference}"));
                }
                (Some(_), Some(_)) => deviated += 1,
                (Some(d), None) => failures.push(format!(
                    "{name} -> protocol {protocol}: matches CPython, but is listed as a \
                     deviation ({}): remove it from DEVIATIONS",
                    d.reason
                )),
            }
        }
    }
    for d in DEVIATIONS {
        for label in d.sources {
            if !sources.contains(&(d.case.to_string(), label.to_string())) {
                failures.push(format!(
                    "DEVIATIONS lists {}[{label}], which the corpus does not hold",
                    d.case
                ));
            }
        }
    }
    eprintln!("re-dump parity: {deviated} re-dumps deviate as listed in DEVIATIONS");
    report("re-dump parity", checked, failures);
}

#[test]
fn stream_load_equals_slice_load_for_every_fixture() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for source in corpus() {
        checked += 1;
        let from_slice: pickle::Result<Value> = source.unpickler().loads(&source.pickle);
        let from_stream: pickle::Result<Value> = source.unpickler().load(&source.pickle[..]);
        match (from_slice, from_stream) {
            (Ok(a), Ok(b)) if a == b => {}
            (Err(a), Err(b)) if a.kind() == b.kind() && a.offset() == b.offset() => {}
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

/// The 3.14 rule for INT text, on the inputs of the `int_text_leading_zeros`
/// case. Expected values follow CPython 3.14's `_pickle.c` (base-10 parsing,
/// with `int()`'s leniency for spaces, signs and underscores).
#[test]
fn int_text_is_decimal_as_in_cpython_3_14() {
    use pickle::value::Object;
    let int = |text: &[u8]| -> Result<String, pickle::ErrorKind> {
        let v: Value = pickle::loads(text).map_err(|e| e.kind())?;
        Ok(match v.get(v.root()) {
            Object::Bool(b) => format!("bool {b}"),
            Object::Int(i) => format!("int {i}"),
            Object::BigInt(i) => format!("int {i}"),
            other => format!("{other:?}"),
        })
    };
    assert_eq!(int(b"I010\n."), Ok("int 10".into()));
    assert_eq!(int(b"I-010\n."), Ok("int -10".into()));
    assert_eq!(int(b"I001\n."), Ok("int 1".into()));
    assert_eq!(int(b"I02\n."), Ok("int 2".into()));
    assert_eq!(int(b"I00\n."), Ok("bool false".into()));
    assert_eq!(int(b"I01\n."), Ok("bool true".into()));
    assert_eq!(int(b"I-0\n."), Ok("int 0".into()));
    assert_eq!(int(b"I+1\n."), Ok("int 1".into()));
    assert_eq!(int(b"I+5\n."), Ok("int 5".into()));
    assert_eq!(int(b"I 5\n."), Ok("int 5".into()));
    assert_eq!(int(b"I1_0\n."), Ok("int 10".into()));
    assert_eq!(
        int(b"I99999999999999999999\n."),
        Ok("int 99999999999999999999".into())
    );
    assert_eq!(int(b"I0x10\n."), Err(pickle::ErrorKind::InvalidArgument));
    assert_eq!(int(b"L010L\n."), Ok("int 10".into()));
    assert_eq!(int(b"L0x10L\n."), Err(pickle::ErrorKind::InvalidArgument));
}
