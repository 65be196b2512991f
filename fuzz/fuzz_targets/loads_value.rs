//! `pickle::loads::<Value>` from a slice and `Unpickler::load` from a stream
//! must agree: both succeed with equal graphs, or both fail with the same
//! kind. `Unpickler::load_seekable` from a seekable stream, which scans a
//! pickle of 32 KiB or more before it reads it (a memo of the entries GETs
//! fetch, an arena sized to the nodes counted), must give what `load` gives.
#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use pickle::{ErrorKind, Unpickler, Value};

/// A stream that hands out at most 3 bytes per read, so that every refill
/// boundary of the buffered reader is exercised.
struct Trickle<'a>(&'a [u8]);

impl io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(3);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let from_slice = pickle::loads::<Value>(data);
    let from_stream: pickle::Result<Value> = Unpickler::new().load(Trickle(data));
    let from_seekable: pickle::Result<Value> =
        Unpickler::new().load_seekable(io::Cursor::new(data));
    match (&from_stream, &from_seekable) {
        (Ok(a), Ok(b)) => assert!(a == b, "stream and seekable stream graphs differ"),
        (Err(a), Err(b)) => assert_eq!(
            (a.kind(), a.offset()),
            (b.kind(), b.offset()),
            "stream: {a}, seekable: {b}"
        ),
        _ => panic!(
            "stream and seekable stream disagree: {:?}, {:?}",
            from_stream.as_ref().map(|_| ()).map_err(|e| e.to_string()),
            from_seekable.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        ),
    }
    match (&from_slice, &from_stream) {
        (Ok(a), Ok(b)) => assert!(a == b, "slice and stream graphs differ"),
        // A stream refuses a declared length past its input limit before
        // reading it (it never allocates from a declared length); a slice
        // knows its length and reports truncation instead.
        (Err(a), Err(b))
            if a.kind() == ErrorKind::Truncated && b.kind() == ErrorKind::InputTooLarge =>
        {
            return;
        }
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind(), "slice: {a}, stream: {b}"),
        _ => panic!(
            "slice and stream disagree: slice {:?}, stream {:?}",
            from_slice.as_ref().map(|_| ()).map_err(|e| e.to_string()),
            from_stream.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        ),
    }
});
