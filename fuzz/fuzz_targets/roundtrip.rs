//! load → dump at each protocol 0–5 → load again → dump again.
//!
//! The first dump may legitimately change the graph, as CPython's does: an
//! instance built by OBJ or INST is written as REDUCE, protocols 0–1 write
//! instances through `copyreg._reconstructor`, protocols 0–2 write Python 3
//! module names as their Python 2 names, and bytes written through
//! `_codecs.encode` load as CPython's cached 1-byte singletons. So the
//! invariant is a fixed point after one round: the reloaded graphs are equal
//! and dumping again is byte-identical.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pickle::{Pickler, Value};

fn reload(protocol: u8, bytes: &[u8]) -> Value<'_> {
    match pickle::loads(bytes) {
        Ok(v) => v,
        Err(e) => panic!("protocol {protocol}: our own output does not load: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = pickle::loads::<Value>(data) else {
        return;
    };
    for protocol in 0..=5 {
        // Some graphs cannot be written at some protocols (e.g. out-of-band
        // buffers); that is an error, not a bug.
        let Ok(first) = Pickler::new().protocol(protocol).dumps(&value) else {
            continue;
        };
        let once = reload(protocol, &first);
        let second = Pickler::new()
            .protocol(protocol)
            .dumps(&once)
            .expect("a reloaded graph must dump");
        let twice = reload(protocol, &second);
        assert!(once == twice, "protocol {protocol}: the graph changed");
        let third = Pickler::new()
            .protocol(protocol)
            .dumps(&twice)
            .expect("a reloaded graph must dump");
        assert_eq!(
            second, third,
            "protocol {protocol}: dump not byte-identical"
        );
    }
});
