//! Hostile input: the malicious corpus of `tests/malicious/` and the
//! expansion ("billion laughs") bounds.
//!
//! Each corpus file is loaded in a child process (this test binary run again
//! with `PICKLE_PROBE_FILE` set, see [`probe_child`]) that loads it as a
//! `Value`, formats it with `Debug`, reads it as a typed tree, and prints its
//! own peak memory (`VmHWM`). The parent asserts that the child exited
//! normally (no panic, no abort, no stack overflow), within
//! [`TIMEOUT`], under [`memory_bound`], and that the outcome is the one
//! `tests/malicious/manifest.json` names. `tests/malicious/generate.py`
//! writes the files and the manifest; it never unpickles them.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pickle::de::{FromPickle, Node};
use pickle::{ErrorKind, Value};
use serde_json::Value as Json;

const TIMEOUT: Duration = Duration::from_secs(10);

/// The peak resident memory a child may reach for an input of `len` bytes.
fn memory_bound(len: u64) -> u64 {
    (256 << 20).max(20 * len + (64 << 20))
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malicious")
}

/// Any object, read as a tree: what a typed read of a nested Rust type does.
#[derive(Debug)]
#[allow(dead_code)] // built to be dropped
enum Tree {
    Leaf,
    Seq(Vec<Tree>),
    Map(Vec<(Tree, Tree)>),
}

impl<'de> FromPickle<'de> for Tree {
    fn from_pickle(node: Node<'_, 'de>) -> pickle::Result<Self> {
        if let Some(items) = node.items() {
            return Ok(Tree::Seq(
                items.map(|n| n.extract()).collect::<pickle::Result<_>>()?,
            ));
        }
        if let Some(pairs) = node.pairs() {
            return Ok(Tree::Map(
                pairs
                    .map(|(k, v)| Ok((k.extract()?, v.extract()?)))
                    .collect::<pickle::Result<_>>()?,
            ));
        }
        Ok(Tree::Leaf)
    }
}

fn outcome<T>(r: &pickle::Result<T>) -> String {
    match r {
        Ok(_) => "loads inertly".to_owned(),
        Err(e) => format!("refused: {:?}", e.kind()),
    }
}

/// This process's peak resident set, in KiB, from /proc/self/status.
fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The child: does nothing unless run by [`malicious_corpus_is_inert_or_refused`].
#[test]
fn probe_child() {
    let Ok(path) = std::env::var("PICKLE_PROBE_FILE") else {
        return;
    };
    let data = std::fs::read(path).unwrap();
    let value = pickle::loads::<Value>(&data);
    println!("PROBE value {}", outcome(&value));
    if let Ok(v) = &value {
        println!("PROBE debug_len {}", format!("{v:?}").len());
        let typed = pickle::loads::<Tree>(&data);
        println!("PROBE typed {}", outcome(&typed));
        drop(typed);
    }
    if let Err(e) = &value {
        println!("PROBE message {e}");
    }
    drop(value);
    // From a stream: nothing borrowed, every byte copied and counted.
    let streamed = pickle::load::<Value>(&data[..]);
    println!("PROBE stream {}", outcome(&streamed));
    drop(streamed);
    println!("PROBE hwm_kib {}", vm_hwm_kib());
}

struct Report {
    value: String,
    typed: Option<String>,
    debug_len: Option<usize>,
    hwm_kib: u64,
    elapsed: Duration,
    message: Option<String>,
    stream: String,
}

fn probe(path: &Path) -> Report {
    let start = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "probe_child", "--nocapture", "--test-threads=1"])
        .env("PICKLE_PROBE_FILE", path)
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{}: still running after {TIMEOUT:?}", path.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let out = reader.join().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        status.success(),
        "{}: the child failed ({status}): {out}\n{err}",
        path.display()
    );
    let field = |name: &str| {
        out.lines()
            .find_map(|l| Some(l.split_once(&format!("PROBE {name} "))?.1))
            .map(str::to_owned)
    };
    Report {
        value: field("value").unwrap_or_else(|| panic!("{}: no outcome: {out}", path.display())),
        typed: field("typed"),
        debug_len: field("debug_len").map(|s| s.parse().unwrap()),
        hwm_kib: field("hwm_kib").unwrap().parse().unwrap(),
        elapsed,
        message: field("message"),
        stream: field("stream").unwrap(),
    }
}

#[test]
fn malicious_corpus_is_inert_or_refused() {
    let dir = corpus_dir();
    let manifest: Vec<Json> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    // Every file is in the manifest and every entry has its file.
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pkl"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = manifest
        .iter()
        .map(|e| e["file"].as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "tests/malicious/ and manifest.json disagree"
    );
    assert!(listed.len() >= 50);

    let pwned = Path::new("/tmp/pickle-malicious-pwned");
    let _ = std::fs::remove_file(pwned);
    let (mut max_hwm, mut max_time) = ((0, String::new()), (Duration::ZERO, String::new()));
    let mut failures = Vec::new();
    for entry in &manifest {
        let name = entry["file"].as_str().unwrap();
        let path = dir.join(name);
        let len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(
            entry["bytes"].as_u64(),
            Some(len),
            "{name}: size differs from the manifest"
        );
        let report = probe(&path);
        eprintln!(
            "{name:40} {:28} stream: {:28} typed: {:28} {:>6} KiB {:>6} ms debug {:?}{}",
            report.value,
            report.stream,
            report.typed.as_deref().unwrap_or("-"),
            report.hwm_kib,
            report.elapsed.as_millis(),
            report.debug_len,
            report
                .message
                .as_deref()
                .map(|m| format!("  ({m})"))
                .unwrap_or_default(),
        );
        let expected = entry["outcome"].as_str().unwrap();
        if report.value != expected {
            failures.push(format!("{name}: expected {expected}, got {}", report.value));
        }
        // A stream cannot tell a length past its end from one past the
        // input limit until it reads there: Truncated either way, or
        // InputTooLarge for a length past `max_input_bytes`.
        let stream_ok = report.stream == report.value
            || (report.value == "refused: Truncated" && report.stream == "refused: InputTooLarge");
        if !stream_ok {
            failures.push(format!(
                "{name}: from a slice {}, from a stream {}",
                report.value, report.stream
            ));
        }
        if let Some(typed) = entry.get("typed").and_then(Json::as_str) {
            if report.typed.as_deref() != Some(typed) {
                failures.push(format!(
                    "{name}: typed read: expected {typed}, got {:?}",
                    report.typed
                ));
            }
        }
        if let Some(n) = report.debug_len {
            // 1 MiB of text, plus the last object written and "...".
            assert!(n < (1 << 20) + (64 << 10), "{name}: Debug wrote {n} bytes");
        }
        let bound = memory_bound(len);
        assert!(
            report.hwm_kib * 1024 < bound,
            "{name}: peak memory {} KiB over the bound of {} KiB",
            report.hwm_kib,
            bound >> 10
        );
        if report.hwm_kib > max_hwm.0 {
            max_hwm = (report.hwm_kib, name.to_owned());
        }
        if report.elapsed > max_time.0 {
            max_time = (report.elapsed, name.to_owned());
        }
    }
    eprintln!(
        "{} files; peak memory at most {} KiB ({}); wall time at most {} ms ({})",
        manifest.len(),
        max_hwm.0,
        max_hwm.1,
        max_time.0.as_millis(),
        max_time.1
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(!pwned.exists(), "something ran a command");
}

// ---------------------------------------------------------------------------
// Expansion, in process.

/// x = None; a = [x] * 10; b = [a] * 10; ... `levels` deep, protocol 2.
fn laughs(levels: usize) -> Vec<u8> {
    let mut data = b"\x80\x02N".to_vec();
    for _ in 0..levels {
        data.extend_from_slice(b"q\x000](");
        data.extend_from_slice(&b"h\x00".repeat(10));
        data.push(b'e');
    }
    data.push(b'.');
    data
}

macro_rules! nested_vec {
    ($t:ty;) => { $t };
    ($t:ty; $_head:tt $($rest:tt)*) => { Vec<nested_vec!($t; $($rest)*)> };
}

/// `Vec<...<Vec<Option<()>>>...>`, 30 levels: the billion laughs' own type.
type Laughs30 =
    nested_vec!(Option<()>; x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x);
type Laughs3 = nested_vec!(Option<()>; x x x);

#[test]
fn billion_laughs_loads_at_once_as_a_shared_graph() {
    let data = laughs(30);
    assert!(data.len() < 1024, "{} bytes", data.len());
    let start = Instant::now();
    let v: Value = pickle::loads(&data).unwrap();
    assert!(start.elapsed() < Duration::from_secs(1));
    // None and 30 lists: sharing stays sharing.
    assert_eq!(v.len(), 31);
    let root = v.root_node();
    let first = root.item(0).unwrap().id();
    assert!(root.items().unwrap().all(|n| n.id() == first));
    // Written back, it is as small as it came: the memo keeps the sharing.
    let again = pickle::Pickler::new().protocol(2).dumps(&v).unwrap();
    assert!(again.len() <= data.len(), "{} bytes", again.len());
}

#[test]
fn billion_laughs_typed_read_hits_the_expansion_limit() {
    let data = laughs(30);
    let start = Instant::now();
    let e = pickle::loads::<Laughs30>(&data).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ExpansionLimit, "{e}");
    let e = pickle::loads::<Tree>(&data).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ExpansionLimit, "{e}");
    // From a node of a loaded graph too.
    let v: Value = pickle::loads(&data).unwrap();
    let e = v.root_node().extract::<Tree>().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ExpansionLimit, "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_small_expansion_reads_in_full() {
    // 10**3 leaves: well under the floor of the budget.
    let v: Laughs3 = pickle::loads(&laughs(3)).unwrap();
    assert_eq!(v.len(), 10);
    assert!(v.iter().flatten().flatten().all(Option::is_none));
    // 10**6 leaves, 1_111_111 nodes: past the 1 Mi floor, and the graph is
    // tiny, so refused; the budget is about the graph, not the input.
    let e = pickle::loads::<Tree>(&laughs(6)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ExpansionLimit);
    // 10**5 leaves: read.
    assert!(pickle::loads::<Tree>(&laughs(5)).is_ok());
}

#[test]
fn a_big_list_without_sharing_is_not_an_expansion() {
    // [None] * 3_000_000 written the way CPython writes it: 3 Mi references
    // to one None, past the floor but within 16 x (objects + references).
    let n = 3_000_000;
    let mut data = b"\x80\x02]q\x00(".to_vec();
    for chunk in 0..n / 1000 {
        if chunk > 0 {
            data.push(b'(');
        }
        data.extend_from_slice(&[b'N'; 1000]);
        data.push(b'e');
    }
    data.push(b'.');
    let v: Vec<Option<()>> = pickle::loads(&data).unwrap();
    assert_eq!(v.len(), n);
}

#[test]
fn debug_of_billion_laughs_is_bounded() {
    let data = laughs(30);
    let v: Value = pickle::loads(&data).unwrap();
    let start = Instant::now();
    let text = format!("{v:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        text.len() > 1 << 20 && text.len() < (1 << 20) + 64,
        "{}",
        text.len()
    );
    assert!(text.starts_with("[[[[[[") && text.ends_with("..."));
}
