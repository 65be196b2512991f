//! How many nodes each opcode adds to the graph: what a scan of a stream
//! counts before the graph reads it, so that the arena is sized once rather
//! than grown, and a big graph holds no growth room at its peak.
//!
//! The count follows the VM's rules for the opcodes CPython's pickler
//! writes. Where a rule depends on more than the opcode and the argument
//! (a call the VM folds, what `persistent_load` returns, the natives made at
//! STOP) it counts one node, so the count is a reservation, not a promise:
//! a graph that needs more grows as it would have without one.

use super::{SMALL_INTS, SMALL_INT_MAX, SMALL_INT_MIN};
use crate::opcode::Opcode;

/// Nodes the VM makes once per graph at most: `None`, the bools, the small
/// ints, the 1-character strs and bytes, `()`. The count leaves room for them
/// all rather than tell which a pickle uses.
pub(crate) const SHARED_NODES: usize = 1 + 2 + SMALL_INTS + 257 + 257 + 1;

/// How many nodes running `op` adds to the graph. `arg` is what the count
/// depends on: the int of BININT1, BININT2, BININT, INT and LONG (`i64::MAX`
/// for one that is not plain decimal digits; INT's `00` and `01`, which are
/// bools, are 0 and 1), and the length of the str or bytes of the counted
/// forms (SHORT_BINUNICODE, BINUNICODE, BINUNICODE8, SHORT_BINBYTES,
/// BINBYTES, BINBYTES8); 0 for the others.
///
/// Shared nodes ([`SHARED_NODES`]) count 0. Globals count 1 though the VM
/// makes one node per name, since CPython memoizes each global once anyway.
pub(crate) fn added(op: Opcode, arg: i64) -> usize {
    use Opcode::*;
    match op {
        BinInt1 | BinInt2 | BinInt | Int | Long => {
            usize::from(!(SMALL_INT_MIN..=SMALL_INT_MAX).contains(&arg))
        }
        // An empty str, or one of a single byte (an ASCII character), is shared.
        ShortBinUnicode | BinUnicode | BinUnicode8 | ShortBinBytes | BinBytes | BinBytes8 => {
            usize::from(arg > 1)
        }
        Long1 | Long4 | String | BinString | ShortBinString | Unicode | Float | BinFloat
        | ByteArray8 | NextBuffer | ReadonlyBuffer => 1,
        EmptyList | List | EmptyDict | Dict | EmptySet | FrozenSet | Tuple | Tuple1 | Tuple2
        | Tuple3 => 1,
        Global | StackGlobal | Ext1 | Ext2 | Ext4 | PersId | BinPersId => 1,
        Reduce | NewObj | NewObjEx | Obj | Inst => 1,
        None | NewTrue | NewFalse | EmptyTuple => 0,
        Append | Appends | SetItem | SetItems | AddItems | Build => 0,
        Pop | Dup | Mark | PopMark | Get | BinGet | LongBinGet | Put | BinPut | LongBinPut
        | Memoize | Proto | Stop | Frame => 0,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::super::{bytes_slot, str_slot, SMALL_INT_MAX, SMALL_INT_MIN};
    use crate::de::direct::Stream;
    use crate::value::Object;
    use crate::Unpickler;

    /// Every pickle of the CPython fixture corpus, by case and label.
    fn corpus() -> Vec<(String, Vec<u8>)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/corpus");
        let mut pickles = Vec::new();
        for entry in std::fs::read_dir(dir).expect("the fixture corpus") {
            let text = std::fs::read_to_string(entry.expect("an entry").path()).expect("a fixture");
            let case: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            for source in case["sources"].as_array().expect("sources") {
                let hex = source["pickle"].as_str().expect("a pickle");
                let bytes = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                    .collect();
                let name = format!("{} {}", case["case"], source["label"]);
                pickles.push((name, bytes));
            }
        }
        pickles
    }

    /// Whether `object` is one the VM makes once per graph.
    fn is_shared(object: &Object<'_>) -> bool {
        match object {
            Object::None | Object::Bool(_) => true,
            Object::Int(n) => (SMALL_INT_MIN..=SMALL_INT_MAX).contains(n),
            Object::Str(s) => str_slot(s).is_some(),
            Object::Bytes(b) => bytes_slot(b).is_some(),
            Object::Tuple(items) => items.is_empty(),
            _ => false,
        }
    }

    /// At the protocols Python 3 writes by default (3 to 5), the scan counts
    /// each graph's own nodes exactly, but for the two kinds of node it
    /// cannot tell from the opcode and its length.
    #[test]
    fn the_scan_counts_the_nodes_of_the_graph() {
        let mut checked = 0;
        for (name, pickle) in corpus() {
            let Some(protocol) = ["\"p3\"", "\"p4\"", "\"p5\""]
                .iter()
                .find(|p| name.ends_with(**p))
            else {
                continue;
            };
            // Those that need load options (extensions, buffers) are left out.
            let Ok(graph) = Unpickler::new().loads::<crate::Value>(&pickle) else {
                continue;
            };
            let mut stream = Stream::new(Cursor::new(&pickle), u64::MAX).expect("a stream");
            let scan = stream.scan().unwrap_or_else(|| panic!("{name}: no scan"));
            let shared = graph.iter().filter(|(_, o)| is_shared(o)).count();
            let nodes = graph.len() - shared;
            let expected = match name.split(' ').next() {
                // A 2-byte UTF-8 character below U+0100 is shared; the
                // scan reads only the length.
                Some("\"cache_str_latin1_1\"") => nodes + 1,
                // copyreg.__newobj_ex__, which the VM folds into an
                // instance and its keyword arguments' dict.
                Some("\"instance_getnewargs_ex\"") if *protocol == "\"p3\"" => nodes - 1,
                _ => nodes,
            };
            assert_eq!(scan.nodes, expected, "{name}");
            checked += 1;
        }
        assert!(checked > 300, "only {checked} pickles");
    }
}
