//! A global allocator that can count: live and peak heap bytes.
//!
//! Counting is off while timing (one relaxed load per allocation) and on for
//! the memory measurements, which need exact figures rather than RSS. The
//! allocator underneath is the system's (glibc malloc), or mimalloc with the
//! `mimalloc` feature.

use std::alloc::{GlobalAlloc, Layout};

#[cfg(feature = "mimalloc")]
static INNER: mimalloc::MiMalloc = mimalloc::MiMalloc;
#[cfg(not(feature = "mimalloc"))]
static INNER: std::alloc::System = std::alloc::System;

/// The allocator underneath, as the JSON line names it.
pub const NAME: &str = if cfg!(feature = "mimalloc") {
    "mimalloc"
} else {
    "system"
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

/// [`INNER`], with optional byte counting.
pub struct Counting;

static ON: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(n: usize) {
    let live = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(live, Relaxed);
}

fn shrink(n: usize) {
    // Blocks allocated before counting started may be freed while it runs.
    let _ = LIVE.fetch_update(Relaxed, Relaxed, |live| Some(live.saturating_sub(n)));
}

// SAFETY: every call is forwarded unchanged to `INNER`; the counters are
// bookkeeping only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { INNER.alloc(layout) };
        if ON.load(Relaxed) && !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { INNER.alloc_zeroed(layout) };
        if ON.load(Relaxed) && !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { INNER.dealloc(ptr, layout) };
        if ON.load(Relaxed) {
            shrink(layout.size());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { INNER.realloc(ptr, layout, new_size) };
        // A block that grows or shrinks in place (or by remapping its
        // pages, as glibc does for large blocks) never holds both sizes.
        if ON.load(Relaxed) && !p.is_null() {
            match new_size.checked_sub(layout.size()) {
                Some(more) => grow(more),
                None => shrink(layout.size() - new_size),
            }
        }
        p
    }
}

/// Starts counting from zero.
pub fn start() {
    LIVE.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    ON.store(true, Relaxed);
}

/// Bytes allocated since [`start`] and not yet freed.
pub fn live() -> usize {
    LIVE.load(Relaxed)
}

/// The most bytes live at once since [`start`].
pub fn peak() -> usize {
    PEAK.load(Relaxed)
}

/// Peak resident set size of this process, in bytes.
pub fn peak_rss() -> u64 {
    // VmHWM in /proc/self/status is the peak RSS, as getrusage's ru_maxrss.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}
