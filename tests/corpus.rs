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

/// Cases where we deliberately differ from the CPython 3.11 that wrote the
/// corpus, and why. Each has a test of its own below.
const DEVIATIONS: &[(&str, &str)] = &[(
    "int_text_leading_zeros",
    "INT/LONG text is decimal and only `00`/`01` are bools, as in CPython 3.14 \
     (gh-126992, gh-135241); 3.11 read `I010` as octal 8",
)];

fn deviates(case: &str) -> bool {
    DEVIATIONS.iter().any(|(name, _)| *name == case)
}

#[test]
fn redumps_are_byte_identical_to_cpython_at_every_protocol() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for source in corpus().into_iter().filter(|s| !deviates(&s.case)) {
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
    for source in corpus().into_iter().filter(|s| !deviates(&s.case)) {
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

/// The 3.14 rule for INT text, on the inputs of the `int_text_leading_zeros`
/// case. Expected values follow CPython 3.14's `_pickle.c` (base-10 parsing,
/// with `int()`'s leniency for spaces, signs and underscores).
#[test]
fn int_text_is_decimal_as_in_cpython_3_14() {
    use pickle::value::Object;
    let int = |text: &[u8]| -> Result<String, pickle::ErrorKind> {
        let v = pickle::loads(text).map_err(|e| e.kind())?;
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
