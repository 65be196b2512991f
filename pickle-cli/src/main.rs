//! The `pickle` command: disassemble and recode Python pickles.
//!
//! ```text
//! pickle dis FILE                      # as `python3 -m pickletools FILE`
//! pickle recode --protocol N IN OUT    # as pickle.dumps(pickle.loads(IN), protocol=N)
//! ```
//!
//! `-` stands for standard input or output. On failure, one line
//! `error: <message> at byte N (opcode X)` goes to standard error and the
//! exit code is 1.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use pickle_core::dis::genops;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
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
