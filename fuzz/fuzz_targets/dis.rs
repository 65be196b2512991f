//! The disassembler must never panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pickle::dis::dis(data, &mut std::io::sink());
});
