//! `pickle scan`, run as a user would run it.
//!
//! Malicious pickles are hand-written here, opcode by opcode, and never run
//! in Python. The benign ones under `tests/data/benign/` were written by
//! CPython 3 and numpy 2 (`tests/data/make_benign.py`).

mod common;

use std::path::{Path, PathBuf};

use common::pickle;

fn temp_file(name: &str, data: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pickle-scan-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, data).expect("temp file");
    path
}

fn benign_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/benign");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("benign fixtures")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pkl"))
        .collect();
    files.sort();
    files
}

/// GLOBAL os.system; MARK; STRING 'ls'; TUPLE; REDUCE; STOP
const OS_SYSTEM: &[u8] = b"cos\nsystem\n(S'ls'\ntR.";
/// PROTO 2; GLOBAL mymodule.Example; EMPTY_TUPLE; NEWOBJ; STOP
const USER_CLASS: &[u8] = b"\x80\x02cmymodule\nExample\n)\x81.";
/// PROTO 2; GLOBAL builtins.set; EMPTY_TUPLE; REDUCE; STOP
const SAFE_SET: &[u8] = b"\x80\x02cbuiltins\nset\n)R.";

#[test]
fn benign_pickles_exit_0() {
    let files = benign_files();
    assert!(files.len() >= 20, "{files:?}");
    let args: Vec<&str> = std::iter::once("scan")
        .chain(files.iter().map(|p| p.to_str().expect("UTF-8 path")))
        .collect();
    let run = pickle(&args, b"");
    assert_eq!(run.code, Some(0), "{}", run.stdout_text());
    assert!(
        !run.stdout_text().contains("dangerous"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn strict_fails_on_user_classes_only() {
    for file in benign_files() {
        let path = file.to_str().expect("UTF-8 path");
        let run = pickle(&["scan", "--strict", path], b"");
        let user = path.contains("user_class") || path.contains("dataclass");
        assert_eq!(
            run.code,
            Some(if user { 1 } else { 0 }),
            "{path}: {}",
            run.stdout_text()
        );
    }
}

#[test]
fn a_dangerous_global_exits_1_and_is_named() {
    let path = temp_file("os_system.pkl", OS_SYSTEM);
    let run = pickle(&["scan", path.to_str().unwrap()], b"");
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout_text()
            .contains("  os.system [REDUCE] dangerous: runs commands"),
        "{}",
        run.stdout_text()
    );
    assert!(
        run.stdout_text().contains("  DANGEROUS: os.system\n"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn standard_input_is_scanned_for_dash() {
    let run = pickle(&["scan", "-"], OS_SYSTEM);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout_text().starts_with("-:\n"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn unreadable_input_exits_2() {
    // PROTO 2; then the input ends.
    for data in [&b""[..], b"\x80\x02", b"not a pickle"] {
        let run = pickle(&["scan", "-"], data);
        assert_eq!(run.code, Some(2), "{data:?}: {}", run.stdout_text());
        assert!(
            run.stdout_text().contains("unreadable: "),
            "{}",
            run.stdout_text()
        );
    }
    let run = pickle(&["scan", "/nonexistent/file.pkl"], b"");
    assert_eq!(run.code, Some(2));
}

#[test]
fn dangerous_beats_unreadable() {
    // os.system('ls'), STOP, then a truncated second pickle; and os.system
    // followed by an invalid opcode.
    let mut data = OS_SYSTEM.to_vec();
    data.extend_from_slice(b"\x80\x02c");
    let truncated = temp_file("dangerous_then_truncated.pkl", &data);
    let refused = temp_file("global_then_junk.pkl", b"\x80\x02cos\nsystem\n)R\xff");
    for path in [truncated, refused] {
        let run = pickle(&["scan", path.to_str().unwrap()], b"");
        assert_eq!(run.code, Some(1), "{}", run.stdout_text());
        assert!(
            run.stdout_text().contains("unreadable: "),
            "{}",
            run.stdout_text()
        );
        assert!(
            run.stdout_text().contains("DANGEROUS: os.system"),
            "{}",
            run.stdout_text()
        );
    }
    // Across files too: one dangerous file, one unreadable.
    let a = temp_file("a_dangerous.pkl", OS_SYSTEM);
    let b = temp_file("b_empty.pkl", b"");
    let run = pickle(&["scan", a.to_str().unwrap(), b.to_str().unwrap()], b"");
    assert_eq!(run.code, Some(1));
}

#[test]
fn unknown_globals_pass_unless_strict() {
    let path = temp_file("user_class.pkl", USER_CLASS);
    let path = path.to_str().unwrap();
    let run = pickle(&["scan", path], b"");
    assert_eq!(run.code, Some(0));
    assert!(
        run.stdout_text()
            .contains("  mymodule.Example [NEWOBJ] unknown\n"),
        "{}",
        run.stdout_text()
    );
    assert_eq!(pickle(&["scan", "--strict", path], b"").code, Some(1));
    let safe = temp_file("safe_set.pkl", SAFE_SET);
    assert_eq!(
        pickle(&["scan", "--strict", safe.to_str().unwrap()], b"").code,
        Some(0)
    );
}

#[test]
fn json_output_describes_every_global() {
    let run = pickle(
        &["scan", "--json", "-"],
        b"\x80\x02c__builtin__\neval\nX\x01\x00\x00\x001\x85R.",
    );
    assert_eq!(run.code, Some(1));
    let doc: serde_json::Value = serde_json::from_str(run.stdout_text()).expect("JSON");
    assert_eq!(doc["exit_code"], 1);
    let file = &doc["files"][0];
    assert_eq!(file["path"], "-");
    assert_eq!(file["level"], "dangerous");
    assert_eq!(file["pickles"], 1);
    assert_eq!(file["error"], serde_json::Value::Null);
    let g = &file["globals"][0];
    assert_eq!(g["module"], "builtins");
    assert_eq!(g["name"], "eval");
    assert_eq!(g["written"]["module"], "__builtin__");
    assert_eq!(g["level"], "dangerous");
    assert_eq!(g["uses"], serde_json::json!(["REDUCE"]));
    assert_eq!(g["offsets"], serde_json::json!([2]));
}

#[test]
fn json_output_reports_the_error_with_its_offset_in_the_file() {
    // BININT1 1; STOP; then PROTO 2, GLOBAL os.system, EMPTY_LIST,
    // EMPTY_DICT, BUILD (refused: a list has no state).
    let run = pickle(&["scan", "--json", "-"], b"K\x01.\x80\x02cos\nsystem\n]}b.");
    assert_eq!(run.code, Some(1));
    let doc: serde_json::Value = serde_json::from_str(run.stdout_text()).expect("JSON");
    let file = &doc["files"][0];
    assert_eq!(file["pickles"], 1);
    assert_eq!(file["error"]["offset"], 18);
    assert_eq!(file["error"]["opcode"], "BUILD");
    assert_eq!(file["globals"][0]["uses"], serde_json::json!([]));
}

#[test]
fn every_malicious_fixture_fails() {
    // tests/data/make_malicious.py explains each one. Two cannot be read
    // to their end by the loader, so the scan stops there and exits 2:
    // an unregistered EXT code, and an invalid opcode between two pickles.
    const UNREADABLE: &[&str] = &["ext_unregistered.pkl", "garbage_between_pickles.pkl"];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malicious");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("malicious fixtures") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".pkl") {
            continue;
        }
        seen += 1;
        let run = pickle(&["scan", path.to_str().unwrap()], b"");
        let expected = if UNREADABLE.contains(&name.as_str()) {
            2
        } else {
            1
        };
        assert_eq!(run.code, Some(expected), "{name}: {}", run.stdout_text());
    }
    assert!(seen >= 20);
}

/// The code-execution shapes of the workspace's malicious corpus
/// (`tests/malicious/`, written by `tests/malicious/generate.py`): each must
/// be flagged dangerous. The corpus's other files are resource attacks and
/// malformed input: never dangerous, whatever else they are.
const CODE_EXECUTION: &[&str] = &[
    "build_setstate_global.pkl",
    "builtins_compile_exec.pkl",
    "builtins_eval.pkl",
    "builtins_exec.pkl",
    "builtins_getattr_chain.pkl",
    "builtins_getattr_on_global.pkl",
    "builtins_import.pkl",
    "builtins_newobj_eval.pkl",
    "builtins_open.pkl",
    "importlib_import_module.pkl",
    "inst_os_system.pkl",
    "inst_subprocess_call.pkl",
    "marshal_function.pkl",
    "memo_hidden_global.pkl",
    "memoize_overwrite_global.pkl",
    "nt_system.pkl",
    "obj_os_system.pkl",
    "os_system.pkl",
    "posix_system.pkl",
    "py2_builtin_eval.pkl",
    "reduce_after_pop.pkl",
    "reduce_hidden_in_pop_mark.pkl",
    "runpy_run_path.pkl",
    "stack_global_dotted_name.pkl",
    "stack_global_dunder_class.pkl",
    "stack_global_os_path.pkl",
    "subprocess_check_output_kwargs.pkl",
    "subprocess_popen.pkl",
];

#[test]
fn every_code_execution_file_of_the_malicious_corpus_is_dangerous() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/malicious");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/malicious exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pkl"))
        .collect();
    files.sort();
    assert!(files.len() >= 60, "only {} files", files.len());
    let mut wrong = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap();
        let run = pickle(&["scan", file.to_str().unwrap()], b"");
        let dangerous = run.code == Some(1);
        if dangerous != CODE_EXECUTION.contains(&name) {
            wrong.push(format!(
                "{name}: exit {:?}\n{}",
                run.code,
                run.stdout_text()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
