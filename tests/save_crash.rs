//! Crash safety of `pickle::save`: a writer killed at any moment leaves the
//! target complete, holding either the old or the new value.
//!
//! The writer is this test binary run again with `PICKLE_SAVE_TARGET` set
//! (see [`writer_child`]): it saves two large distinct values in turn to one
//! path, forever. The parent kills it with SIGKILL (`Child::kill`) after a
//! random delay, many times, and after each kill reads the target.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const N: i64 = 50_000;
const ITERATIONS: usize = 200;

fn value_a() -> Vec<i64> {
    (0..N).collect()
}

fn value_b() -> Vec<i64> {
    (0..N).map(|x| x * 3 + 1_000_000_007).collect()
}

/// The child: does nothing unless run by the tests below.
#[test]
fn writer_child() {
    let Ok(target) = std::env::var("PICKLE_SAVE_TARGET") else {
        return;
    };
    let naive = std::env::var_os("PICKLE_SAVE_NAIVE").is_some();
    let values = [value_a(), value_b()];
    let mut out = std::io::stdout();
    for i in 0.. {
        let value = &values[(i + 1) % 2];
        if naive {
            // What `save` exists to avoid: truncate and write in place.
            std::fs::write(&target, pickle::dumps(value).unwrap()).unwrap();
        } else {
            pickle::save(&target, value).unwrap();
        }
        use std::io::Write as _;
        writeln!(out, "saved {i}").unwrap();
        out.flush().unwrap();
    }
}

/// A small xorshift: delays that differ from run to run.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn spawn_writer(target: &Path, naive: bool) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "writer_child", "--nocapture", "--test-threads=1"])
        .env("PICKLE_SAVE_TARGET", target)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if naive {
        cmd.env("PICKLE_SAVE_NAIVE", "1");
    }
    cmd.spawn().unwrap()
}

fn fresh_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pickle-save-crash-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What the target holds after a kill.
#[derive(Debug, PartialEq)]
enum Found {
    A,
    B,
    Torn(String),
}

fn inspect(target: &Path, a: &[i64], b: &[i64]) -> Found {
    let data = match std::fs::read(target) {
        Ok(data) => data,
        Err(e) => return Found::Torn(format!("unreadable: {e}")),
    };
    match pickle::loads::<Vec<i64>>(&data) {
        Ok(v) if v == a => Found::A,
        Ok(v) if v == b => Found::B,
        Ok(v) => Found::Torn(format!(
            "a complete pickle of another value ({} items)",
            v.len()
        )),
        Err(e) => Found::Torn(format!("{} bytes: {e}", data.len())),
    }
}

/// Kills a writer `iterations` times; stops at the first torn target if `stop_when_torn`.
/// Returns (saves completed, temp files left, torn targets, both values seen).
fn run(
    dir: &Path,
    naive: bool,
    iterations: usize,
    stop_when_torn: bool,
) -> (u64, usize, Vec<String>, [bool; 2]) {
    let target = dir.join("state.pkl");
    let (a, b) = (value_a(), value_b());
    pickle::save(&target, &a).unwrap();
    let mut rng = Rng::new();
    let (mut saves, mut torn, mut seen) = (0u64, Vec::new(), [false; 2]);
    for i in 0..iterations {
        let mut child = spawn_writer(&target, naive);
        std::thread::sleep(Duration::from_micros(rng.below(50_000)));
        child.kill().unwrap();
        child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        saves += out.lines().filter(|l| l.contains("saved ")).count() as u64;
        match inspect(&target, &a, &b) {
            Found::A => seen[0] = true,
            Found::B => seen[1] = true,
            Found::Torn(why) => {
                torn.push(format!("after kill {i}: {why}"));
                if stop_when_torn {
                    break;
                }
                // Start the next round from a whole file.
                pickle::save(&target, &a).unwrap();
            }
        }
    }
    let temps = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name() != "state.pkl")
        .count();
    (saves, temps, torn, seen)
}

#[test]
fn a_killed_save_leaves_the_old_or_the_new_file() {
    let dir = fresh_dir("atomic");
    let start = Instant::now();
    let (saves, temps, torn, seen) = run(&dir, false, ITERATIONS, false);
    eprintln!(
        "{ITERATIONS} kills in {:?}: {saves} saves completed, {temps} temp files left, \
         old/new seen: {seen:?}",
        start.elapsed()
    );
    assert!(torn.is_empty(), "torn targets:\n{}", torn.join("\n"));
    // The kills did land between saves and inside them.
    assert!(
        saves > 0 && seen == [true, true],
        "saves {saves}, seen {seen:?}"
    );
    // Stray temp files are cleaned up by remove_temp_files; nothing else is left.
    let target = dir.join("state.pkl");
    assert_eq!(pickle::file::remove_temp_files(&target).unwrap(), temps);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The check above can fail: a writer that truncates and rewrites in place
/// is caught leaving a torn file.
#[test]
fn a_killed_naive_write_is_caught_torn() {
    let dir = fresh_dir("naive");
    let (_, _, torn, _) = run(&dir, true, 400, true);
    assert!(
        !torn.is_empty(),
        "400 kills of a naive writer never tore the file"
    );
    eprintln!("naive writer: {}", torn[0]);
    std::fs::remove_dir_all(&dir).unwrap();
}
