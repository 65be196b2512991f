//! A load from a stream (`load_seekable`) peaks at most 1 MiB above the
//! value it returns, typed or a `Value` graph: no whole-file buffer, no
//! memo of entries nothing fetches, no growth room in the graph.
//!
//! The heap is counted by this binary's global allocator, for the whole
//! process, so the binary holds one test, which measures one load at a time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use indexmap::IndexMap;
use pickle::de::FromPickle;
use pickle::numpy::ndarray::Array1;
use pickle::types::bytes::Bytes;
use pickle::Value;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes live and their peak.
struct Counting;

// SAFETY: every call goes unchanged to `System`; the counters are bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        // Counted by the change in size: a big block grows in place (glibc
        // remaps it), as the benchmarks count it.
        if !p.is_null() {
            match new_size.checked_sub(layout.size()) {
                Some(more) => grew(more),
                None => _ = LIVE.fetch_sub(layout.size() - new_size, Relaxed),
            }
        }
        p
    }
}

fn grew(n: usize) {
    let live = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(live, Relaxed);
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: usize = 1 << 20;

/// Loads `pickle` from a stream as a `T`; returns the heap the value holds
/// and how far above it the load peaked.
fn load<T: FromPickle<'static>>(pickle: &[u8]) -> (usize, usize) {
    let mut file = Cursor::new(pickle.to_vec());
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let value: T = pickle::load_seekable(&mut file).expect("the pickle loads");
    let held = LIVE.load(Relaxed) - before;
    let peak = PEAK.load(Relaxed) - before;
    drop(value);
    (held, peak - held)
}

#[test]
fn stream_loads_peak_at_most_a_mib_above_the_value() {
    // Each size is just past a step the graph's arena grew by before it was
    // sized by the scan, so the step's room would show.
    let ints: Vec<i64> = (0..256_000).map(|i| 1000 + i).collect();
    let strs: Vec<String> = (0..204_800).map(|i| format!("{i:032}")).collect();
    // 200 KB of memoized empty lists: a memo of 100,000 entries.
    let lists: Vec<Vec<i64>> = vec![Vec::new(); 100_000];
    // One str of 4 MiB: far more than a stream's window.
    let long = vec!["€".repeat((4 << 20) / 3)];
    // And 4 MiB of bytes, which a typed load copies straight into its `Vec`.
    let blob = vec![Bytes((0..4 << 20).map(|i| i as u8).collect())];
    // A model's weights: arrays of one dtype, each after the first
    // fetching it from the memo, as numpy writes them.
    let weights: IndexMap<String, Array1<f64>> = (0..4)
        .map(|i| (format!("w{i}"), Array1::from_elem(1 << 17, f64::from(i))))
        .collect();
    let cases: [(&str, Vec<u8>); 6] = [
        ("ints", pickle::dumps(&ints).unwrap()),
        ("strs", pickle::dumps(&strs).unwrap()),
        ("empty lists", pickle::dumps(&lists).unwrap()),
        ("a long str", pickle::dumps(&long).unwrap()),
        ("long bytes", pickle::dumps(&blob).unwrap()),
        ("weights", pickle::dumps(&weights).unwrap()),
    ];
    let mut report = Vec::new();
    let mut over = Vec::new();
    for (name, pickle) in &cases {
        let measured = [
            ("Value", load::<Value<'static>>(pickle)),
            (
                "typed",
                match *name {
                    "ints" => load::<Vec<i64>>(pickle),
                    "strs" | "a long str" => load::<Vec<String>>(pickle),
                    "long bytes" => load::<Vec<Bytes>>(pickle),
                    "weights" => load::<IndexMap<String, Array1<f64>>>(pickle),
                    _ => load::<Vec<Vec<i64>>>(pickle),
                },
            ),
        ];
        for (side, (held, above)) in measured {
            let line = format!("{name} as {side}: holds {held} bytes, peaked {above} above");
            // Every value is big enough for growth room to show.
            assert!(held >= 2 * MIB, "{line}");
            if above > MIB {
                over.push(line.clone());
            }
            report.push(line);
        }
    }
    assert!(
        over.is_empty(),
        "over by more than 1 MiB: {over:#?}\nall: {report:#?}"
    );
}
