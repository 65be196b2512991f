//! The `pickle` command: disassemble and recode Python pickles.
//!
//! ```text
//! pickle dis FILE                      # as `python3 -m pickletools FILE`
//! pickle recode --protocol N IN OUT    # as pickle.dumps(pickle.loads(IN), protocol=N)
//! pickle scan [--strict] [--json] FILE...  # list the globals, flag dangerous ones
//! ```
//!
//! `-` stands for standard input or output. On failure, one line
//! `error: <message> at byte N (opcode X)` goes to standard error and the
//! exit code is 1.
//!
//! `pickle scan` has exit codes of its own, worst first:
//! 1 when any file references a dangerous global (even if reading it
//! failed later: dangerous beats unreadable); 2 when any file could not be
//! read to its end as pickles (a missing file, an empty or truncated one, an
//! opcode the loader refuses): what it saw is still listed; 1 with
//! `--strict` when any global is unknown; 0 otherwise.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use pickle_core::dis::genops;
use pickle_core::scan::{self, Level, Report};
use pickle_core::{Error, ErrorKind, Opcode, Pickler, StringEncoding, Unpickler, Value};

#[derive(Parser)]
#[command(
    name = "pickle",
    version,
    about = "Disassemble and recode Python pickles"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the opcodes of a pickle, exactly as `python3 -m pickletools FILE` does.
    Dis {
        /// The pickle file, or `-` for standard input.
        file: PathBuf,
    },
    /// Read a pickle and write the same objects at another protocol.
    ///
    /// Nothing in the pickle is executed: classes stay opaque and are written
    /// back as they were named. Persistent ids are kept.
    Recode {
        /// The protocol to write.
        #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=5))]
        protocol: u8,
        /// How to read Python 2 `str` objects (STRING, BINSTRING, SHORT_BINSTRING).
        #[arg(long, value_enum, default_value_t = Encoding::Ascii)]
        encoding: Encoding,
        /// Fail on a persistent id instead of keeping it.
        #[arg(long)]
        reject_persistent_ids: bool,
        /// The pickle to read, or `-` for standard input.
        input: PathBuf,
        /// Where to write the new pickle, or `-` for standard output.
        output: PathBuf,
    },
    /// List the globals each file references, how each is used, and how
    /// dangerous it is, without running anything.
    ///
    /// Every pickle in a file is scanned, one after another, to the end.
    /// Exit code: 1 if any global is dangerous; else 2 if any file could not
    /// be read to its end as pickles; else 1 with --strict if any global is
    /// unknown; else 0.
    Scan {
        /// Also fail (exit 1) on globals the policy does not know.
        #[arg(long)]
        strict: bool,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// The pickle files, or `-` for standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// The `encoding=` of Python's `pickle.loads`.
#[derive(Clone, Copy, ValueEnum)]
enum Encoding {
    /// ASCII only, as CPython's default.
    Ascii,
    /// Latin-1: what numpy and datetime pickles from Python 2 need.
    Latin1,
    /// UTF-8.
    Utf8,
    /// Keep them as bytes.
    Bytes,
}

impl From<Encoding> for StringEncoding {
    fn from(e: Encoding) -> StringEncoding {
        match e {
            Encoding::Ascii => StringEncoding::Ascii,
            Encoding::Latin1 => StringEncoding::Latin1,
            Encoding::Utf8 => StringEncoding::Utf8,
            Encoding::Bytes => StringEncoding::Bytes,
        }
    }
}

/// A failure, already worded for the one line on standard error.
struct Failure(String);

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure(e.to_string())
    }
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn read_input(path: &PathBuf) -> Result<Vec<u8>, Failure> {
    let mut data = Vec::new();
    let result = if is_stdio(path) {
        io::stdin().lock().read_to_end(&mut data).map(|_| ())
    } else {
        fs::read(path).map(|d| data = d)
    };
    result.map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    Ok(data)
}

fn run_dis(file: &PathBuf) -> Result<(), Failure> {
    let data = read_input(file)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = pickle_core::dis::dis(&data, &mut out);
    // The partial listing comes before the error, as with pickletools.
    out.flush()
        .map_err(|e| Failure(format!("cannot write the listing: {e}")))?;
    result?;
    Ok(())
}

/// What `pickle recode` was asked to do.
struct Recode<'a> {
    protocol: u8,
    encoding: Encoding,
    reject_persistent_ids: bool,
    input: &'a PathBuf,
    output: &'a PathBuf,
}

fn run_recode(job: Recode<'_>) -> Result<(), Failure> {
    let Recode {
        protocol,
        encoding,
        reject_persistent_ids,
        input,
        output,
    } = job;
    let data = read_input(input)?;
    // Out-of-band buffers live outside the pickle, so a file cannot bring them.
    if let Some(op) = genops(&data)
        .map_while(Result::ok)
        .find(|op| op.info.opcode == Opcode::NextBuffer)
    {
        return Err(Failure(format!(
            "the pickle uses an out-of-band buffer, which recode cannot supply \
             at byte {} (opcode NEXT_BUFFER)",
            op.offset
        )));
    }
    let mut unpickler = Unpickler::new().encoding(encoding.into());
    if reject_persistent_ids {
        unpickler = unpickler.persistent_load(|_, _| {
            Err(Error::new(
                ErrorKind::PersistentId,
                "the pickle has a persistent id (--reject-persistent-ids)",
            ))
        });
    }
    let value: Value = unpickler.loads(&data)?;
    let bytes = Pickler::new().protocol(protocol).dumps(&value)?;
    let written = if is_stdio(output) {
        let mut out = io::stdout().lock();
        out.write_all(&bytes).and_then(|()| out.flush())
    } else {
        fs::write(output, &bytes)
    };
    written.map_err(|e| Failure(format!("cannot write {}: {e}", output.display())))
}

/// One file's scan, or why it could not be read at all.
struct Scanned {
    path: String,
    report: Result<Report, String>,
}

impl Scanned {
    fn level(&self) -> Level {
        self.report.as_ref().map_or(Level::Safe, Report::level)
    }

    /// The error that stopped the scan: a file that cannot be read, or a pickle that fails.
    fn error(&self) -> Option<(String, Option<u64>, Option<Opcode>)> {
        match &self.report {
            Err(message) => Some((message.clone(), None, None)),
            Ok(r) => r
                .error
                .as_ref()
                .map(|e| (e.message().to_owned(), r.error_offset(), e.opcode())),
        }
    }
}

/// The exit code of `pickle scan`, by the precedence in the module docs.
fn scan_exit_code(files: &[Scanned], strict: bool) -> u8 {
    if files.iter().any(|f| f.level() == Level::Dangerous) {
        1
    } else if files.iter().any(|f| f.error().is_some()) {
        2
    } else if strict && files.iter().any(|f| f.level() == Level::Unknown) {
        1
    } else {
        0
    }
}

fn scan_text(files: &[Scanned], out: &mut impl Write) -> io::Result<()> {
    for file in files {
        writeln!(out, "{}:", file.path)?;
        if let Ok(report) = &file.report {
            for g in &report.globals {
                write!(out, "  {}", g.qualified())?;
                if let Some((m, n)) = &g.written {
                    write!(out, " (written {m}.{n})")?;
                }
                let uses: Vec<String> = g.uses.iter().map(ToString::to_string).collect();
                if uses.is_empty() {
                    write!(out, " [referenced]")?;
                } else {
                    write!(out, " [{}]", uses.join(", "))?;
                }
                write!(out, " {}", g.level)?;
                if !g.reason.is_empty() && g.level != Level::Safe {
                    write!(out, ": {}", g.reason)?;
                }
                writeln!(out)?;
            }
            for (code, offset) in &report.unknown_extensions {
                writeln!(
                    out,
                    "  EXT code {code} at byte {offset}: unregistered, unknown"
                )?;
            }
            writeln!(out, "  pickles: {}", report.pickles)?;
        }
        if let Some((message, offset, opcode)) = file.error() {
            write!(out, "  unreadable: {message}")?;
            match (offset, opcode) {
                (Some(at), Some(op)) => write!(out, " at byte {at} (opcode {op})")?,
                (Some(at), None) => write!(out, " at byte {at}")?,
                _ => {}
            }
            writeln!(out)?;
        }
        match (file.level(), file.error().is_some()) {
            (Level::Dangerous, _) | (_, false) => writeln!(out, "  verdict: {}", file.level())?,
            (level, true) => writeln!(out, "  verdict: unreadable (what was read is {level})")?,
        }
        if let Ok(report) = &file.report {
            for g in report.dangerous() {
                writeln!(out, "  DANGEROUS: {}", g.qualified())?;
            }
        }
    }
    Ok(())
}

fn scan_json(files: &[Scanned], code: u8, out: &mut impl Write) -> io::Result<()> {
    use serde_json::json;
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|file| {
            let error = file.error().map(|(message, offset, opcode)| {
                json!({
                    "message": message,
                    "offset": offset,
                    "opcode": opcode.map(|op| op.to_string()),
                })
            });
            let (globals, unknown_extensions, pickles) = match &file.report {
                Ok(r) => (
                    r.globals
                        .iter()
                        .map(|g| {
                            json!({
                                "module": g.module,
                                "name": g.name,
                                "written": g.written.as_ref().map(|(m, n)| json!({"module": m, "name": n})),
                                "level": g.level.as_str(),
                                "reason": g.reason,
                                "uses": g.uses.iter().map(ToString::to_string).collect::<Vec<_>>(),
                                "offsets": g.offsets,
                            })
                        })
                        .collect(),
                    r.unknown_extensions
                        .iter()
                        .map(|(code, offset)| json!({"code": code, "offset": offset}))
                        .collect(),
                    r.pickles,
                ),
                Err(_) => (Vec::new(), Vec::new(), 0),
            };
            json!({
                "path": file.path,
                "level": file.level().as_str(),
                "pickles": pickles,
                "globals": globals,
                "unknown_extensions": unknown_extensions,
                "error": error,
            })
        })
        .collect();
    let doc = json!({ "files": files, "exit_code": code });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn run_scan(files: &[PathBuf], strict: bool, json: bool) -> ExitCode {
    let scanned: Vec<Scanned> = files
        .iter()
        .map(|path| Scanned {
            path: path.display().to_string(),
            report: read_input(path)
                .map(|data| scan::scan(&data))
                .map_err(|Failure(message)| message),
        })
        .collect();
    let code = scan_exit_code(&scanned, strict);
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = if json {
        scan_json(&scanned, code, &mut out)
    } else {
        scan_text(&scanned, &mut out)
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        eprintln!("error: cannot write the report: {e}");
        return ExitCode::from(2);
    }
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Scan {
            strict,
            json,
            files,
        } => return run_scan(files, *strict, *json),
        Command::Dis { file } => run_dis(file),
        Command::Recode {
            protocol,
            encoding,
            reject_persistent_ids,
            input,
            output,
        } => run_recode(Recode {
            protocol: *protocol,
            encoding: *encoding,
            reject_persistent_ids: *reject_persistent_ids,
            input,
            output,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
