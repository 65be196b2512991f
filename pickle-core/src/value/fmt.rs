//! `Debug` for graphs: Python-like text, written without recursion.

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use super::{Construct, Id, Object, Value};
use crate::pyrepr;

/// Past this many bytes of output, `Debug` stops and writes `...`, so a
/// small graph whose shared nodes fan out into a huge tree stays printable.
const BUDGET: usize = 1 << 20;

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
        match object {
            Object::None => out.push_str("None"),
            Object::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Object::Int(i) => out.push_str(&i.to_string()),
            Object::BigInt(i) => out.push_str(&i.to_string()),
            Object::Float(x) => pyrepr::write_float_repr(&mut out, *x),
            Object::Complex(c) => {
                out.push('(');
                pyrepr::write_float_repr(&mut out, c.re);
                out.push_str(if c.im.is_sign_negative() { "-" } else { "+" });
                pyrepr::write_float_repr(&mut out, c.im.abs());
                out.push_str("j)");
            }
            Object::Str(s) => pyrepr::write_str_repr(&mut out, s),
            Object::Bytes(b) => pyrepr::write_bytes_repr(&mut out, b),
            Object::ByteArray(b) => {
                out.push_str("bytearray(");
                pyrepr::write_bytes_repr(&mut out, b);
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
                pyrepr::write_bytes_repr(&mut out, &b.data);
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
                pairs_into(&mut seq, pairs);
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
                    for (i, item) in inst.list_items.iter().enumerate() {
                        if i > 0 {
                            seq.push(Step::Text(", "));
                        }
                        seq.push(Step::Object(*item));
                    }
                    seq.push(Step::Text("]"));
                }
                if !inst.dict_items.is_empty() {
                    seq.push(Step::Text(" + {"));
                    pairs_into(&mut seq, &inst.dict_items);
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

fn sequence(out: &mut String, seq: &mut Vec<Step>, open: &str, items: &[Id], close: &'static str) {
    out.push_str(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            seq.push(Step::Text(", "));
        }
        seq.push(Step::Object(*item));
    }
    seq.push(Step::Text(close));
}

fn pairs_into(seq: &mut Vec<Step>, pairs: &[(Id, Id)]) {
    for (i, (k, v)) in pairs.iter().enumerate() {
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
    fn shared_node_prints_in_full_each_time() {
        let mut v = Value::new();
        let one = v.add(Object::Int(1));
        let a = v.add(Object::List(vec![one]));
        let b = v.add(Object::List(vec![a, a]));
        v.set_root(b);
        assert_eq!(format!("{v:?}"), "[[1], [1]]");
    }
}
