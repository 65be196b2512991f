//! The Rust side of the side-by-side benchmark (`scripts/bench.sh`).
//!
//! One invocation measures one (side, workload, operation) in a fresh
//! process, so that its peak RSS is its own, and prints one JSON line:
//!
//! ```text
//! pickle-bench --side typed|value|serde-pickle|memcpy --workload W
//!              --op dumps|loads|stream|memory|copy --data DIR --runs N
//! ```
//!
//! Every side starts from the same data: the pickles `bench/py/generate.py`
//! wrote with CPython. A dumps measurement first loads that pickle into the
//! side's own representation, then times writing it.

mod alloc;
mod sides;
mod workloads;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::{json, Map, Value as Json};

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// What to measure.
pub struct Args {
    pub side: String,
    pub workload: String,
    pub op: String,
    pub data: PathBuf,
    pub runs: usize,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut args = std::env::args().skip(1);
        let (mut side, mut workload, mut op, mut data, mut runs) = (None, None, None, None, 7);
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--side" => side = Some(value),
                "--workload" => workload = Some(value),
                "--op" => op = Some(value),
                "--data" => data = Some(PathBuf::from(value)),
                "--runs" => runs = value.parse().map_err(|_| "--runs needs a number")?,
                _ => return Err(format!("unknown flag {flag}")),
            }
        }
        Ok(Args {
            side: side.ok_or("--side is required")?,
            workload: workload.ok_or("--workload is required")?,
            op: op.ok_or("--op is required")?,
            data: data.unwrap_or_else(|| PathBuf::from("target/bench-data")),
            runs: runs.max(1),
        })
    }

    /// The path of a data file of this workload: `DIR/W.ext`.
    pub fn file(&self, ext: &str) -> PathBuf {
        self.data.join(format!("{}.{ext}", self.workload))
    }

    /// Reads a data file of this workload.
    pub fn read(&self, ext: &str) -> Result<Vec<u8>, String> {
        let path = self.file(ext);
        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// What one measurement found: the fields of the JSON line besides the names.
#[derive(Default)]
pub struct Report {
    /// Seconds per run.
    pub times: Vec<f64>,
    /// Bytes of pickle written (dumps) or read (loads).
    pub size: usize,
    /// Extra fields (`live_bytes`, `peak_heap`, `final_heap`).
    pub extra: Map<String, Json>,
}

/// Untimed runs before the timed ones: at least this many, and for at least
/// [`WARMUP`], as on the CPython side (bench/py/cpython.py). The process's
/// allocator settles meanwhile (glibc adapts its thresholds to the sizes
/// freed), so the timed runs see the steady state of a program that loads
/// or dumps again and again.
const WARMUP_RUNS: usize = 3;
const WARMUP: std::time::Duration = std::time::Duration::from_millis(500);

/// Times `f` `runs` times, after the warm-up runs; what `f` returns is
/// dropped outside the timing.
pub fn time<R>(runs: usize, mut f: impl FnMut() -> Result<R, String>) -> Result<Vec<f64>, String> {
    let start = Instant::now();
    let mut warmed = 0;
    while warmed < WARMUP_RUNS || start.elapsed() < WARMUP {
        drop(f()?);
        warmed += 1;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let result = f()?;
        times.push(start.elapsed().as_secs_f64());
        drop(result);
    }
    Ok(times)
}

/// The workload's object count, from the generator's meta.json.
fn objects(args: &Args) -> u64 {
    let meta = std::fs::read(args.data.join("meta.json")).unwrap_or_default();
    let meta: Json = serde_json::from_slice(&meta).unwrap_or(Json::Null);
    meta[&args.workload]["objects"].as_u64().unwrap_or(0)
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("pickle-bench: {e}");
            return ExitCode::from(2);
        }
    };
    match sides::measure(&args) {
        Ok(report) => {
            let mut line = json!({
                "side": args.side,
                "workload": args.workload,
                "op": args.op,
                "times": report.times,
                "size": report.size,
                "objects": objects(&args),
                "peak_rss": alloc::peak_rss(),
                "alloc": alloc::NAME,
            });
            line.as_object_mut().unwrap().extend(report.extra);
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "pickle-bench: {} {} {}: {e}",
                args.side, args.workload, args.op
            );
            ExitCode::FAILURE
        }
    }
}
