//! `Debug` for graphs: Python-like text, written without recursion.

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use super::{Construct, Id, Object, Value};
use crate::pyrepr;

/// Past this many bytes of output, `Debug` stops and writes `...`, so a
/// small graph whose shared nodes fan out into a huge tree stays printable.
/// One big str or bytes object is cut at the budget too, and a container
/// only queues as many items as could fit in it.
const BUDGET: usize = 1 << 20;

/// Ints with more bits than this (about 4300 decimal digits, where Python's
/// `repr` refuses to go) print in hex: decimal conversion is quadratic.
const DECIMAL_BITS: u64 = 14_000;

/// How much of the budget is left.
fn room(out: &str) -> usize {
    BUDGET.saturating_sub(out.len())
}

/// The longest prefix of `s` of at most `n` bytes, on a char boundary.
fn str_prefix(s: &str, mut n: usize) -> &str {
    if n >= s.len() {
        return s;
    }
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

enum Step {
    Object(Id),
    Text(&'static str),
    /// Leaves a container: it may be printed again elsewhere, just not inside itself.
    Leave(Id),
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_root() {
            Some(root) => f.write_str(&repr(self, root)),
            None => f.write_str("<empty graph>"),
        }
    }
}

/// Python-like text for the object at `id`: `[1, 'a', {b'k': None}]`.
///
/// A container met again inside itself prints as `[...]`, as Python does.
/// Opaque instances print as `module.Name(args)` followed by what was
/// applied to them. A native prints as its Rust value's `Debug`. Output
/// stops at about 1 MiB with `...`.
pub fn repr(value: &Value<'_>, id: Id) -> String {
    let mut out = String::new();
    let mut open: HashSet<Id> = HashSet::new();
    let mut steps = vec![Step::Object(id)];
    while let Some(step) = steps.pop() {
        if out.len() > BUDGET {
            out.truncate(str_prefix(&out, BUDGET).len());
            out.push_str("...");
            break;
        }
        let id = match step {
            Step::Text(t) => {
                out.push_str(t);
                continue;
            }
            Step::Leave(id) => {
                open.remove(&id);
                continue;
            }
            Step::Object(id) => id,
        };
        let Some(object) = value.try_get(id) else {
            out.push_str("<dangling>");
            continue;
        };
        if object_is_container(object) && !open.insert(id) {
            out.push_str(match object {
                Object::Dict(_) => "{...}",
                Object::Tuple(_) => "(...)",
                _ => "[...]",
            });
            continue;
        }
        // Steps are pushed in reverse: the last pushed prints first.
        let mut seq = Vec::new();
        // Past the budget, strs and bytes print one byte more than fits, so that `...` follows.
        let left = room(&out) + 1;
        match object {
            Object::None => out.push_str("None"),
            Object::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Object::Int(i) => out.push_str(&i.to_string()),
            Object::BigInt(i) if i.bits() > DECIMAL_BITS => {
                let _ = write!(
                    out,
                    "{}0x{:x}",
                    if i.sign() == num_bigint::Sign::Minus {
                        "-"
                    } else {
                        ""
                    },
                    i.magnitude()
                );
            }
            Object::BigInt(i) => out.push_str(&i.to_string()),
            Object::Float(x) => pyrepr::write_float_repr(&mut out, *x),
            Object::Complex(c) => {
                out.push('(');
                pyrepr::write_float_repr(&mut out, c.re);
                out.push_str(if c.im.is_sign_negative() { "-" } else { "+" });
                pyrepr::write_float_repr(&mut out, c.im.abs());
                out.push_str("j)");
            }
            Object::Str(s) => pyrepr::write_str_repr(&mut out, str_prefix(s, left)),
            Object::Bytes(b) => pyrepr::write_bytes_repr(&mut out, &b[..b.len().min(left)]),
            Object::ByteArray(b) => {
                out.push_str("bytearray(");
                pyrepr::write_bytes_repr(&mut out, &b[..b.len().min(left)]);
                out.push(')');
            }
            Object::Global(g) => {
                out.push_str(&g.module);
                out.push('.');
                out.push_str(&g.name);
            }
            Object::Buffer(b) => {
                out.push_str(if b.readonly {
                    "PickleBuffer(readonly "
                } else {
                    "PickleBuffer("
                });
                pyrepr::write_bytes_repr(&mut out, &b.data[..b.data.len().min(left)]);
                out.push(')');
            }
            Object::Native(native) => {
                let _ = write!(out, "{native:?}");
            }
            Object::PersistentId(pid) => {
                out.push_str("persistent_id(");
                seq.push(Step::Object(*pid));
                seq.push(Step::Text(")"));
            }
            Object::List(items) => sequence(&mut out, &mut seq, "[", items, "]"),
            Object::Tuple(items) if items.len() == 1 => {
                sequence(&mut out, &mut seq, "(", items, ",)")
            }
            Object::Tuple(items) => sequence(&mut out, &mut seq, "(", items, ")"),
            Object::Set(items) if items.is_empty() => out.push_str("set()"),
            Object::Set(items) => sequence(&mut out, &mut seq, "{", items, "}"),
            Object::FrozenSet(items) if items.is_empty() => out.push_str("frozenset()"),
            Object::FrozenSet(items) => sequence(&mut out, &mut seq, "frozenset({", items, "})"),
            Object::Dict(pairs) => {
                out.push('{');
                pairs_into(&out, &mut seq, pairs);
                seq.push(Step::Text("}"));
            }
            Object::Instance(inst) => {
                let (open_call, close_call) = match inst.construct {
                    Construct::NewObj | Construct::NewObjEx => (".__new__", ""),
                    Construct::Reduce | Construct::Inst | Construct::Obj => ("", ""),
                };
                seq.push(Step::Object(inst.class));
                seq.push(Step::Text(open_call));
                seq.push(Step::Object(inst.args));
                if let Some(kwargs) = inst.kwargs {
                    seq.push(Step::Text(" **"));
                    seq.push(Step::Object(kwargs));
                }
                seq.push(Step::Text(close_call));
                if !inst.list_items.is_empty() {
                    seq.push(Step::Text(" + ["));
                    for (i, item) in inst.list_items.iter().take(fits(&out)).enumerate() {
                        if i > 0 {
                            seq.push(Step::Text(", "));
                        }
                        seq.push(Step::Object(*item));
                    }
                    seq.push(Step::Text("]"));
                }
                if !inst.dict_items.is_empty() {
                    seq.push(Step::Text(" + {"));
                    pairs_into(&out, &mut seq, &inst.dict_items);
                    seq.push(Step::Text("}"));
                }
                if let Some(state) = inst.state {
                    seq.push(Step::Text(" with state "));
                    seq.push(Step::Object(state));
                }
            }
        }
        if object_is_container(object) {
            seq.push(Step::Leave(id));
        }
        steps.extend(seq.into_iter().rev());
    }
    if out.len() > BUDGET {
        out.truncate(str_prefix(&out, BUDGET).len());
        out.push_str("...");
    }
    out
}

fn object_is_container(object: &Object<'_>) -> bool {
    matches!(
        object,
        Object::List(_)
            | Object::Tuple(_)
            | Object::Dict(_)
            | Object::Set(_)
            | Object::FrozenSet(_)
            | Object::Instance(_)
            | Object::PersistentId(_)
    )
}

/// How many items of a container to queue: each prints at least one byte
/// and a separator of two, so more than this would pass the budget anyway.
fn fits(out: &str) -> usize {
    room(out) / 3 + 2
}

fn sequence(out: &mut String, seq: &mut Vec<Step>, open: &str, items: &[Id], close: &'static str) {
    out.push_str(open);
    for (i, item) in items.iter().take(fits(out)).enumerate() {
        if i > 0 {
            seq.push(Step::Text(", "));
        }
        seq.push(Step::Object(*item));
    }
    seq.push(Step::Text(close));
}

fn pairs_into(out: &str, seq: &mut Vec<Step>, pairs: &[(Id, Id)]) {
    for (i, (k, v)) in pairs.iter().take(fits(out)).enumerate() {
        if i > 0 {
            seq.push(Step::Text(", "));
        }
        seq.push(Step::Object(*k));
        seq.push(Step::Text(": "));
        seq.push(Step::Object(*v));
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn reads_like_python() {
        let mut v = Value::new();
        let one = v.add(Object::Int(1));
        let s = v.add(Object::Str("it's".into()));
        let b = v.add(Object::Bytes((&b"\x00a"[..]).into()));
        let none = v.add(Object::None);
        let t1 = v.add(Object::Tuple(vec![one]));
        let d = v.add(Object::Dict(vec![(s, b), (t1, none)]));
        let l = v.add(Object::List(vec![one, d]));
        v.set_root(l);
        assert_eq!(format!("{v:?}"), r#"[1, {"it's": b'\x00a', (1,): None}]"#);
    }

    #[test]
    fn a_list_inside_itself_prints_as_python_does() {
        let mut v = Value::new();
        let l = v.add(Object::List(vec![]));
        let one = v.add(Object::Int(1));
        *v.get_mut(l) = Object::List(vec![one, l]);
        v.set_root(l);
        assert_eq!(format!("{v:?}"), "[1, [...]]");
    }

    #[test]
    fn one_big_object_or_container_stays_within_the_budget() {
        let mut v = Value::new();
        let big = v.add(Object::Bytes(vec![0u8; 4 << 20].into()));
        v.set_root(big);
        let text = format!("{v:?}");
        assert!(text.len() < super::BUDGET + 16, "{}", text.len());
        assert!(text.starts_with("b'\\x00") && text.ends_with("..."));

        let s = v.add(Object::Str("é".repeat(1 << 20).into()));
        v.set_root(s);
        let text = format!("{v:?}");
        assert!(
            text.len() < super::BUDGET + 16 && text.ends_with("..."),
            "{}",
            text.len()
        );

        let one = v.add(Object::Int(1));
        let list = v.add(Object::List(vec![one; 10 << 20]));
        v.set_root(list);
        let text = format!("{v:?}");
        assert!(
            text.len() < super::BUDGET + 16 && text.ends_with("..."),
            "{}",
            text.len()
        );
        assert!(!text.contains(']'));

        // 2**20000: hex, not a quadratic decimal conversion.
        let huge = v.add(Object::BigInt(Box::new(
            num_bigint::BigInt::from(1) << 20_000u32,
        )));
        v.set_root(huge);
        assert!(format!("{v:?}").starts_with("0x1000"));
    }

    #[test]
    fn shared_node_prints_in_full_each_time() {
        let mut v = Value::new();
        let one = v.add(Object::Int(1));
        let a = v.add(Object::List(vec![one]));
        let b = v.add(Object::List(vec![a, a]));
        v.set_root(b);
        assert_eq!(format!("{v:?}"), "[[1], [1]]");
    }
}
