//! The CPython fixture corpus, as the integration tests read it.
//!
//! `tests/fixtures/generate.py` writes one JSON file per case; every byte in
//! it was produced by CPython (see tests/fixtures/README.md).

#![allow(dead_code)]

pub mod direct;

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use pickle::value::Buffer;
use pickle::{Pickler, StringEncoding, Unpickler};
use serde_json::Value as Json;

/// One pickle as CPython wrote it, with what CPython does with it.
pub struct Source {
    pub case: String,
    pub label: String,
    pub pickle: Vec<u8>,
    pub encoding: StringEncoding,
    /// `python3 -m pickletools` output, and the error it ended with, if any.
    pub dis: String,
    pub dis_error: Option<String>,
    /// `pickle.dumps(pickle.loads(pickle), protocol=M)` for M in 0..=5; `None` where CPython raised.
    pub redump: Vec<Option<Vec<u8>>>,
    pub buffers: Vec<(Vec<u8>, bool)>,
    pub extensions: Vec<(i32, String, String)>,
    pub persistent: bool,
}

impl Source {
    pub fn name(&self) -> String {
        format!("{}[{}]", self.case, self.label)
    }

    /// An unpickler configured as CPython was when it loaded this source.
    pub fn unpickler(&self) -> Unpickler<'static, '_> {
        let mut u = Unpickler::new().encoding(self.encoding);
        if !self.buffers.is_empty() {
            u = u.buffers(self.buffers.iter().map(|(data, readonly)| Buffer {
                data: data.as_slice().into(),
                readonly: *readonly,
            }));
        }
        for (code, module, name) in &self.extensions {
            u = u.extension(*code, module.clone(), name.clone());
        }
        u
    }
}

pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn encoding(options: &Json) -> StringEncoding {
    match options
        .get("encoding")
        .and_then(Json::as_str)
        .unwrap_or("ASCII")
    {
        "ASCII" | "ascii" => StringEncoding::Ascii,
        "bytes" => StringEncoding::Bytes,
        "latin1" | "latin-1" => StringEncoding::Latin1,
        "utf-8" | "utf8" => StringEncoding::Utf8,
        other => panic!("fixture asks for encoding {other:?}"),
    }
}

fn redumps(source: &Json) -> Vec<Option<Vec<u8>>> {
    (0..=5)
        .map(|m| source["redump"][m.to_string()].as_str().map(hex))
        .collect()
}

/// Every source of every case in `tests/fixtures/corpus`. Fails if the corpus is missing.
pub fn corpus() -> Vec<Source> {
    let dir = fixtures_dir().join("corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "fixture corpus {} is missing ({e}); run tests/fixtures/generate.py",
                dir.display()
            )
        })
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 100,
        "the corpus has only {} cases",
        files.len()
    );
    let mut sources = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read fixture");
        let case: Json = serde_json::from_str(&text).expect("fixture is JSON");
        let name = case["case"].as_str().expect("case name").to_string();
        for s in case["sources"].as_array().expect("sources") {
            let buffers = s["buffers"].as_array().map_or_else(Vec::new, |b| {
                b.iter()
                    .enumerate()
                    .map(|(i, h)| {
                        let readonly = s["buffers_readonly"][i].as_bool().unwrap_or(false);
                        (hex(h.as_str().expect("buffer hex")), readonly)
                    })
                    .collect()
            });
            let extensions = s["extensions"].as_object().map_or_else(Vec::new, |m| {
                m.iter()
                    .map(|(code, pair)| {
                        (
                            code.parse().expect("extension code"),
                            pair[0].as_str().expect("module").to_string(),
                            pair[1].as_str().expect("name").to_string(),
                        )
                    })
                    .collect()
            });
            sources.push(Source {
                case: name.clone(),
                label: s["label"].as_str().expect("label").to_string(),
                pickle: hex(s["pickle"].as_str().expect("pickle hex")),
                encoding: encoding(&s["load_options"]),
                dis: s["dis"].as_str().expect("dis text").to_string(),
                dis_error: s["dis_error"].as_str().map(str::to_string),
                redump: redumps(s),
                buffers,
                extensions,
                persistent: s["persistent"].as_bool().unwrap_or(false),
            });
        }
    }
    sources
}

/// Fails the test with every collected failure listed, or passes if there are none.
pub fn report(what: &str, checked: usize, failures: Vec<String>) {
    assert!(checked > 0, "{what}: nothing was checked");
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(60).collect();
        panic!(
            "{what}: {} of {checked} checks failed:\n{}",
            failures.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    eprintln!("{what}: all {checked} checks passed");
}

/// Re-dumps where we deliberately differ from the CPython 3.11 that wrote
/// the corpus: which sources of a case, at which target protocols, and why.
/// Every other source and protocol of the case is still checked, and every
/// re-dump listed here must still differ: one that matches is stale.
pub struct Deviation {
    pub case: &'static str,
    pub sources: &'static [&'static str],
    pub protocols: RangeInclusive<usize>,
    pub reason: &'static str,
}

pub const DEVIATIONS: &[Deviation] = &[
    Deviation {
        case: "int_text_leading_zeros",
        sources: &[
            "handwritten-I010",
            "handwritten-I-010",
            "handwritten-I-0",
            "handwritten-I0x10",
        ],
        protocols: 0..=5,
        reason: "INT text is decimal and only `00`/`01` are bools, as in CPython 3.14 \
                 (gh-126992, gh-135241); 3.11 reads `I010` as octal 8, `I-0` as False \
                 and `I0x10` as 16. See `int_text_is_decimal_as_in_cpython_3_14`",
    },
    Deviation {
        case: "instance_getnewargs",
        sources: &["p0", "p1"],
        protocols: 2..=5,
        reason: "protocols 0-1 write `_reconstructor(cls, object, None)`, without the \
                 `__getnewargs__()` result that CPython's re-dump takes from the class",
    },
    Deviation {
        case: "instance_getnewargs_ex",
        sources: &["p0", "p1"],
        protocols: 2..=5,
        reason: "protocols 0-1 write `_reconstructor(cls, object, None)`, without the \
                 `__getnewargs_ex__()` result that CPython's re-dump takes from the class",
    },
    Deviation {
        case: "py2_inst",
        sources: &["py2-p0-args"],
        protocols: 0..=5,
        reason: "INST calls `Point(1, 2)`; CPython re-dumps the plain instance that \
                 `Point.__init__` made, as `__dict__` state; we keep the call",
    },
    Deviation {
        case: "py2_obj",
        sources: &["py2-p1-args"],
        protocols: 0..=5,
        reason: "OBJ calls `Point(1, 2)`; CPython re-dumps the plain instance that \
                 `Point.__init__` made, as `__dict__` state; we keep the call",
    },
];

pub fn deviation(case: &str, label: &str, protocol: usize) -> Option<&'static Deviation> {
    DEVIATIONS
        .iter()
        .find(|d| d.case == case && d.sources.contains(&label) && d.protocols.contains(&protocol))
}

/// A pickler configured as CPython was when it re-dumped this source.
pub fn pickler(source: &Source, protocol: usize) -> Pickler<'static> {
    let mut pickler = Pickler::new().protocol(protocol as u8);
    for (code, module, name) in &source.extensions {
        pickler = pickler.extension(*code, module.clone(), name.clone());
    }
    pickler
}

/// The interpreter the interop tests run: `PICKLE_PYTHON`, or `python3`.
pub fn python() -> String {
    std::env::var("PICKLE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs the script `tests/python/<script>` under [`python()`] with `input`
/// on its stdin and returns what it did. A missing interpreter fails the
/// test: these tests never skip.
pub fn run_python(script: &str, input: &[u8]) -> std::process::Output {
    run_python_with(&python(), script, input.to_vec())
}

/// [`run_python`], which must succeed: what the script printed.
pub fn python_stdout(script: &str, input: &[u8]) -> Vec<u8> {
    let output = run_python(script, input);
    assert!(
        output.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// [`run_python`] with another interpreter. The input is fed from a thread,
/// so a script may answer before it has read everything.
pub fn run_python_with(program: &str, script: &str, input: Vec<u8>) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let mut child = Command::new(program)
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} for {script} ({e}); install python3 or set PICKLE_PYTHON")
        });
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("python ran");
    writer
        .join()
        .expect("writer thread")
        .expect("write to python");
    output
}
