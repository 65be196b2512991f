//! The opcode table against CPython's `pickletools`: every opcode's argument
//! kind, and how its argument is laid out in the stream ([`ArgKind::layout`]).

use pickle::opcode::{ArgKind, ArgLayout, OPCODES};
use serde_json::Value as Json;

mod common;

/// A length of `width` bytes, then that many bytes.
fn counted(width: usize, signed: bool) -> ArgLayout {
    ArgLayout::Counted { width, signed }
}

/// The layout pickletools' `n` says: a size, or one of its markers.
fn layout_of(arg: &str, n: i64) -> ArgLayout {
    match n {
        n if n >= 0 => ArgLayout::Fixed(n as usize),
        // UP_TO_NEWLINE; stringnl_noescape_pair reads two such lines.
        -1 if arg == "stringnl_noescape_pair" => ArgLayout::Lines(2),
        -1 => ArgLayout::Lines(1),
        // TAKEN_FROM_ARGUMENT1, 4, 4U, 8U.
        -2 => counted(1, false),
        -3 => counted(4, true),
        -4 => counted(4, false),
        -5 => counted(8, false),
        n => panic!("pickletools marker {n} is new"),
    }
}

#[test]
fn every_argument_is_laid_out_as_pickletools_says() {
    let out = common::python_stdout("opcode_args.py", b"");
    let theirs: serde_json::Map<String, Json> = serde_json::from_slice(&out).unwrap();
    assert_eq!(theirs.len(), OPCODES.len());
    for op in OPCODES {
        let (arg, n) = match &theirs[op.name] {
            Json::Array(pair) => (pair[0].as_str(), pair[1].as_i64().unwrap()),
            other => panic!("{other}"),
        };
        match arg {
            None => assert_eq!(op.arg, ArgKind::None, "{}", op.name),
            Some(arg) => {
                assert_eq!(op.arg.name(), arg, "{}", op.name);
                assert_eq!(op.arg.layout(), layout_of(arg, n), "{}", op.name);
            }
        }
    }
    assert_eq!(ArgKind::None.layout(), ArgLayout::Fixed(0));
}
