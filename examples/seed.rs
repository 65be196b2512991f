//! A `#[derive(Pickle)]` struct holding a numpy array, both directions.
//!
//! ```text
//! cargo run --example seed --features numpy -- write test.pkl   # python3 examples/seed.py read test.pkl
//! cargo run --example seed --features numpy -- read test.pkl    # after python3 examples/seed.py write test.pkl
//! ```
//! `scripts/seed.sh` runs both against a Python with numpy.

use std::process::ExitCode;

use pickle::numpy::ndarray::{array, Array2};
use pickle::Pickle;

/// `class Example` in `__main__`, as examples/seed.py defines it.
#[derive(Pickle, Debug, PartialEq)]
struct Example {
    a: i64,
    b: f64,
    c: Array2<f64>,
}

fn run(args: &[String]) -> pickle::Result<()> {
    match args {
        [cmd, path] if cmd == "write" => {
            let example = Example {
                a: 1,
                b: 2.0,
                c: array![[3.0, 4.0]],
            };
            let file = std::fs::File::create(path)?;
            pickle::dump(&example, std::io::BufWriter::new(file))?;
            println!("wrote {example:?} to {path}");
        }
        [cmd, path] if cmd == "read" => {
            // A file can seek: the struct is read straight from it, with no
            // object graph in between (`pickle::load` takes any reader).
            let file = std::fs::File::open(path)?;
            let example: Example = pickle::load_seekable(file)?;
            println!("{}", example.a);
            println!("{:?}", example.b);
            println!("{}", numpy_style(&example.c));
        }
        _ => {
            eprintln!("usage: seed write|read FILE");
            std::process::exit(2);
        }
    }
    Ok(())
}

/// A 2-d float array as numpy prints one with `print(c)`, for whole and short
/// values: `[[3. 4.]]`.
fn numpy_style(c: &Array2<f64>) -> String {
    let rows: Vec<String> = c
        .rows()
        .into_iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .map(|x| {
                    let text = format!("{x:?}");
                    text.strip_suffix('0')
                        .filter(|t| t.ends_with('.'))
                        .map_or(text.clone(), str::to_string)
                })
                .collect();
            format!("[{}]", cells.join(" "))
        })
        .collect();
    format!("[{}]", rows.join("\n "))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
