//! Structural equality of graphs, without recursion.

use std::collections::HashSet;

use super::{Id, Object, Value};

impl PartialEq for Value<'_> {
    /// Two graphs are equal when their roots are structurally equal: the same
    /// kinds holding the same values, item by item, in the same order.
    ///
    /// This is stricter than Python's `==`: `1` does not equal `1.0` or
    /// `True`, `0.0` does not equal `-0.0`, and dict and set items compare in
    /// the order written. A NaN equals a NaN, so every graph equals itself.
    /// Sharing is not compared: `[a, a]` equals `[a, copy(a)]`. Cycles compare
    /// equal when they unfold the same way.
    ///
    /// A [`Native`](Object::Native) compares as the instance it was read
    /// from: the graph, not the Rust value, is what equality compares.
    fn eq(&self, other: &Value<'_>) -> bool {
        match (self.try_root(), other.try_root()) {
            (None, None) => true,
            (Some(a), Some(b)) => structurally_equal(self, a, other, b),
            _ => false,
        }
    }
}

/// Whether the object at `a` in `x` is structurally equal to the object at `b` in `y`.
///
/// See [`Value`'s `PartialEq`](Value#impl-PartialEq-for-Value<'_>) for the rules.
pub fn structurally_equal(x: &Value<'_>, a: Id, y: &Value<'_>, b: Id) -> bool {
    // Pairs already assumed equal: revisiting one means a cycle (or shared
    // node) that is consistent so far, so it need not be checked again.
    let mut assumed: HashSet<(Id, Id)> = HashSet::new();
    let mut pending = vec![(a, b)];
    while let Some((a, b)) = pending.pop() {
        if !assumed.insert((a, b)) {
            continue;
        }
        let (Some(oa), Some(ob)) = (x.try_get(a), y.try_get(b)) else {
            return false;
        };
        if !shallow_equal(oa.as_pickled(), ob.as_pickled(), &mut pending) {
            return false;
        }
    }
    true
}

fn float_equal(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn push_all(pending: &mut Vec<(Id, Id)>, a: &[Id], b: &[Id]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    pending.extend(a.iter().copied().zip(b.iter().copied()));
    true
}

fn push_pairs(pending: &mut Vec<(Id, Id)>, a: &[(Id, Id)], b: &[(Id, Id)]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    for (&(ka, va), &(kb, vb)) in a.iter().zip(b) {
        pending.push((ka, kb));
        pending.push((va, vb));
    }
    true
}

/// Compares one pair of objects and queues their children for comparison.
fn shallow_equal(a: &Object<'_>, b: &Object<'_>, pending: &mut Vec<(Id, Id)>) -> bool {
    use Object as O;
    match (a, b) {
        (O::None, O::None) => true,
        (O::Bool(x), O::Bool(y)) => x == y,
        (O::Int(x), O::Int(y)) => x == y,
        (O::BigInt(x), O::BigInt(y)) => x == y,
        (O::Float(x), O::Float(y)) => float_equal(*x, *y),
        (O::Complex(x), O::Complex(y)) => float_equal(x.re, y.re) && float_equal(x.im, y.im),
        (O::Str(x), O::Str(y)) => x == y,
        (O::Bytes(x), O::Bytes(y)) => x == y,
        (O::ByteArray(x), O::ByteArray(y)) => x == y,
        (O::Global(x), O::Global(y)) => x == y,
        (O::Buffer(x), O::Buffer(y)) => x == y,
        (O::List(x), O::List(y))
        | (O::Tuple(x), O::Tuple(y))
        | (O::Set(x), O::Set(y))
        | (O::FrozenSet(x), O::FrozenSet(y)) => push_all(pending, x, y),
        (O::Dict(x), O::Dict(y)) => push_pairs(pending, x, y),
        (O::PersistentId(x), O::PersistentId(y)) => {
            pending.push((*x, *y));
            true
        }
        (O::Instance(x), O::Instance(y)) => {
            if x.construct != y.construct
                || x.kwargs.is_some() != y.kwargs.is_some()
                || x.state.is_some() != y.state.is_some()
            {
                return false;
            }
            pending.push((x.class, y.class));
            pending.push((x.args, y.args));
            pending.extend(x.kwargs.zip(y.kwargs));
            pending.extend(x.state.zip(y.state));
            push_all(pending, &x.list_items, &y.list_items)
                && push_pairs(pending, &x.dict_items, &y.dict_items)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    fn self_list() -> Value<'static> {
        let mut v = Value::new();
        let l = v.add(Object::List(vec![]));
        if let Object::List(items) = v.get_mut(l) {
            items.push(l);
        }
        v.set_root(l);
        v
    }

    #[test]
    fn cycles_compare_equal_without_looping() {
        assert_eq!(self_list(), self_list());
    }

    #[test]
    fn kinds_are_strict() {
        assert_ne!(
            Value::from_object(Object::Int(1)),
            Value::from_object(Object::Bool(true))
        );
        assert_ne!(
            Value::from_object(Object::Float(0.0)),
            Value::from_object(Object::Float(-0.0))
        );
        assert_eq!(
            Value::from_object(Object::Float(f64::NAN)),
            Value::from_object(Object::Float(f64::NAN))
        );
    }

    #[test]
    fn differing_leaf_deep_inside_is_found() {
        let build = |leaf: i64| {
            let mut v = Value::new();
            let mut id = v.add(Object::Int(leaf));
            for _ in 0..1000 {
                id = v.add(Object::Tuple(vec![id]));
            }
            v.set_root(id);
            v
        };
        assert_eq!(build(1), build(1));
        assert_ne!(build(1), build(2));
    }
}
