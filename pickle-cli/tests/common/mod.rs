//! Running the built `pickle` binary, as the CLI tests do.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

/// What one run of the binary did.
pub struct Run {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub code: Option<i32>,
}

impl Run {
    pub fn stdout_text(&self) -> &str {
        std::str::from_utf8(&self.stdout).expect("stdout is UTF-8")
    }
}

/// Runs `pickle ARGS` with `stdin` on its standard input.
pub fn pickle(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pickle"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the pickle binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    // A command that does not read stdin may close it early: that is fine.
    let _ = input.write_all(stdin);
    drop(input);
    let output = child
        .wait_with_output()
        .expect("the pickle binary finishes");
    Run {
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}
