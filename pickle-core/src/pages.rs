//! Huge pages for big buffers, as numpy asks for them for its arrays.
//!
//! A buffer of many megabytes new from the allocator is mapped in by the
//! kernel a page at a time, as it is first written: 25,600 page faults for
//! 100 MiB of 4 KiB pages, which take longer than the copy into them. Where
//! Linux backs memory with transparent huge pages on request (its `madvise`
//! mode, the default of many distributions), asking for them makes those
//! faults 50, of 2 MiB each. numpy asks for every array of 4 MiB or more;
//! the unpickler and the pickler ask for the buffers of that size they are
//! about to fill whole. Elsewhere, and where the kernel says no, nothing
//! changes.
//!
//! As with numpy's `NUMPY_MADVISE_HUGEPAGE`, the environment variable
//! `PICKLE_MADVISE_HUGEPAGE=0`, set when the process starts, turns the
//! advice off: for a system where huge pages are known to hurt (memory
//! tight enough that a 2 MiB page's rounding counts, or so fragmented that
//! finding one stalls).

#![allow(unsafe_code)]

use std::sync::OnceLock;

/// The size from which a buffer is worth huge pages: numpy's 4 MiB.
const HUGE_FROM: usize = 4 << 20;

/// Asks the kernel to back the allocation of `v` with huge pages, if it
/// spans [`HUGE_FROM`] bytes or more: for a buffer about to be filled whole.
///
/// The advice covers the pages the allocation touches, whole: the
/// allocator's own mapping of a big block, which then stays one mapping
/// that a later `realloc` can still grow in place (advice on part of a
/// mapping would split it, and glibc would copy the block to grow it).
#[inline]
pub(crate) fn advise<T>(v: &mut Vec<T>) {
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes >= HUGE_FROM && enabled() {
        advise_range(v.as_mut_ptr() as usize, bytes);
    }
}

/// Whether to advise at all: `PICKLE_MADVISE_HUGEPAGE` as it was first
/// asked, read once.
#[cold]
fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| enabled_by(std::env::var_os("PICKLE_MADVISE_HUGEPAGE").as_deref()))
}

/// The advice is off only for a variable set to `0`, as numpy reads its own.
fn enabled_by(setting: Option<&std::ffi::OsStr>) -> bool {
    setting.is_none_or(|value| value != "0")
}

/// [`advise`] for a `Vec` filled by pushes, after the pushes that grew it:
/// `capacity` is the capacity it was last advised at.
#[inline]
pub(crate) fn advise_grown<T>(v: &mut Vec<T>, capacity: &mut usize) {
    if v.capacity() != *capacity {
        *capacity = v.capacity();
        advise(v);
    }
}

/// `madvise(MADV_HUGEPAGE)` on the pages of `start..start + len`: the
/// crate's only `unsafe` code, with `sysconf` for the page size.
#[cfg(target_os = "linux")]
#[cold]
fn advise_range(start: usize, len: usize) {
    // SAFETY: sysconf only reads a constant of the system.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        page if page > 0 => page as usize,
        _ => return,
    };
    let from = start / page * page;
    let to = (start + len).next_multiple_of(page);
    // SAFETY: `from..to` are the pages the caller's allocation lies in
    // (`start..start + len`, a `Vec`'s), memory the process has mapped (with, at its edges, the allocator's bookkeeping).
    // MADV_HUGEPAGE changes only how the kernel backs those pages, never
    // what they hold or whether they may be accessed. Its result is
    // ignored: a kernel without transparent huge pages, or a mapping that
    // cannot have them, leaves the memory as it was.
    unsafe {
        libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_start: usize, _len: usize) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The mapping of /proc/self/smaps that holds `addr`: its range and flags.
    fn mapping_of(addr: usize) -> (usize, usize, String) {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut found = None;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if let Some((from, to)) = first.split_once('-') {
                if let (Ok(from), Ok(to)) = (
                    usize::from_str_radix(from, 16),
                    usize::from_str_radix(to, 16),
                ) {
                    found = (from..to).contains(&addr).then_some((from, to));
                    continue;
                }
            }
            if let (Some((from, to)), Some(flags)) = (found, line.strip_prefix("VmFlags:")) {
                return (from, to, flags.trim().to_string());
            }
        }
        panic!("no mapping holds {addr:#x}");
    }

    #[test]
    fn the_environment_turns_the_advice_off_with_0_only() {
        use std::ffi::OsStr;
        assert!(enabled_by(None));
        assert!(enabled_by(Some(OsStr::new("1"))));
        assert!(enabled_by(Some(OsStr::new(""))));
        assert!(!enabled_by(Some(OsStr::new("0"))));
    }

    #[test]
    fn a_big_buffer_is_one_mapping_advised_for_huge_pages() {
        let mut v: Vec<u64> = Vec::with_capacity(HUGE_FROM);
        advise(&mut v);
        let start = v.as_ptr() as usize;
        let end = start + v.capacity() * 8;
        let (from, to, flags) = mapping_of(start);
        // The whole allocation is still one mapping, which can grow in place.
        assert!(
            from <= start && end <= to,
            "{from:#x}..{to:#x} splits {start:#x}..{end:#x}"
        );
        let huge = flags.split(' ').any(|flag| flag == "hg");
        // A kernel built without transparent huge pages refuses the advice;
        // PICKLE_MADVISE_HUGEPAGE=0 turns it off.
        let thp = std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists();
        assert_eq!(huge, thp && enabled(), "flags {flags}");
    }
}
