//! Both directions of the Python interop, on a graph with sharing and a cycle.
//!
//! ```text
//! cargo run --example interop -- write out.pkl   # Rust writes; python3 -m pickle out.pkl loads it
//! cargo run --example interop -- read in.pkl     # Rust loads what Python wrote
//! ```
//! `scripts/interop.sh` runs both against python3.

use std::process::ExitCode;

use pickle::value::{Object, Value};
use pickle::Pickler;

/// `shared = [1, 2.5, 'three']; doc = {'a': shared, 'b': shared, 'self': <doc>}`
fn document() -> Value<'static> {
    let mut v = Value::new();
    let one = v.add(Object::Int(1));
    let two = v.add(Object::Float(2.5));
    let three = v.add(Object::Str("three".into()));
    let shared = v.add(Object::List(vec![one, two, three]));
    let doc = v.add(Object::Dict(vec![]));
    let (a, b, me) = (
        v.add(Object::Str("a".into())),
        v.add(Object::Str("b".into())),
        v.add(Object::Str("self".into())),
    );
    *v.get_mut(doc) = Object::Dict(vec![(a, shared), (b, shared), (me, doc)]);
    v.set_root(doc);
    v
}

fn run(args: &[String]) -> pickle::Result<()> {
    match args {
        [cmd, path] if cmd == "write" => {
            let file = std::fs::File::create(path)?;
            Pickler::new().dump(&document(), std::io::BufWriter::new(file))?;
            println!("wrote {path}: {:?}", document());
            Ok(())
        }
        [cmd, path] if cmd == "read" => {
            let bytes = std::fs::read(path)?;
            let value: Value = pickle::loads(&bytes)?;
            println!("{value:?}");
            Ok(())
        }
        _ => Err(pickle::Error::custom("usage: interop (write|read) FILE")),
    }
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
