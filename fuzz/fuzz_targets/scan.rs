//! `pickle_core::scan` on arbitrary bytes: it never panics, and it sees every
//! global the loader sees (it runs the loader's own VM, so they must agree).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pickle::value::Object;
use pickle::Value;

fuzz_target!(|data: &[u8]| {
    let report = pickle::scan::scan(data);
    let _ = report.level();
    let _ = report.error_offset();
    if let Ok(value) = pickle::loads::<Value>(data) {
        assert!(
            report.pickles >= 1,
            "the loader read a pickle the scan did not"
        );
        for (_, object) in value.iter() {
            if let Object::Global(g) = object {
                assert!(
                    report
                        .globals
                        .iter()
                        .any(|r| r.module == g.module && r.name == g.name),
                    "the loader resolved {}.{} but the scan did not report it",
                    g.module,
                    g.name
                );
            }
        }
    }
});
