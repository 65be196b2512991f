//! Known reducers: the REDUCE calls CPython's own pickler writes for
//! builtin kinds that have no opcode of their own at some protocol (bytes
//! and sets below protocol 3 or 4, bytearray and complex everywhere, plain
//! instances at protocols 0 and 1). They become those kinds in the graph;
//! every other call stays an opaque [`Instance`](crate::value::Instance).
//!
//! Globals are matched after `fix_imports`, so `__builtin__.set` from a
//! protocol-2 pickle is recognized as `builtins.set`.

use std::borrow::Cow;
use std::mem::size_of;

use super::text;
use super::vm::Vm;
use crate::error::Result;
use crate::read::Read;
use crate::value::{Complex, Construct, Id, Instance, Object};

#[derive(Clone, Copy)]
enum Known {
    /// `_codecs.encode(str, 'latin1')`: how protocols 0–2 write bytes.
    Encode,
    /// `builtins.bytes()`: how protocols 0–2 write `b''`.
    Bytes,
    /// `builtins.bytearray([bytes | str, 'latin-1'])`.
    ByteArray,
    /// `builtins.set([list | tuple])`.
    Set,
    /// `builtins.frozenset([list | tuple])`.
    FrozenSet,
    /// `builtins.complex(re, im)`.
    Complex,
    /// `copyreg._reconstructor(cls, builtins.object, None)`: `object.__new__(cls)`.
    Reconstructor,
}

fn known(module: &str, name: &str) -> Option<Known> {
    Some(match (module, name) {
        ("_codecs", "encode") => Known::Encode,
        ("builtins", "bytes") => Known::Bytes,
        ("builtins", "bytearray") => Known::ByteArray,
        ("builtins", "set") => Known::Set,
        ("builtins", "frozenset") => Known::FrozenSet,
        ("builtins", "complex") => Known::Complex,
        ("copyreg", "_reconstructor") => Known::Reconstructor,
        _ => return None,
    })
}

/// An int or float argument as a float, as `complex()` takes it.
fn as_float(o: Option<&Object<'_>>) -> Option<f64> {
    match o? {
        Object::Float(x) => Some(*x),
        // i64 → f64 rounds to nearest, ties to even, as Python's int → float.
        Object::Int(n) => Some(*n as f64),
        Object::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

impl<'de, R: Read<'de>> Vm<'_, '_, 'de, R> {
    /// The node a known reducer makes from `callable(*args)`, or `None` to
    /// keep the call opaque. `args` is a tuple.
    pub(super) fn known_reduce(&mut self, callable: Id, args: Id) -> Result<Option<Id>> {
        let Some(Object::Global(g)) = self.graph.try_get(callable) else {
            return Ok(None);
        };
        let Some(which) = known(&g.module, &g.name) else {
            return Ok(None);
        };
        let Some(Object::Tuple(items)) = self.graph.try_get(args) else {
            return Ok(None);
        };
        // Every known form takes at most three arguments; copy them out of the graph.
        let mut arg = [None; 3];
        if items.len() > arg.len() {
            return Ok(None);
        }
        for (slot, &id) in arg.iter_mut().zip(items.iter()) {
            *slot = Some(id);
        }
        let count = items.len();
        match (which, count) {
            (Known::Encode, 2) => self.encode_latin1(arg[0], arg[1]),
            (Known::Bytes, 0) => self.new_bytes(Cow::Borrowed(&[])).map(Some),
            (Known::ByteArray, 0) => self.add(Object::ByteArray(Vec::new())).map(Some),
            (Known::ByteArray, 1) => self.bytearray_from_bytes(arg[0]),
            (Known::ByteArray, 2) => self.bytearray_from_str(arg[0], arg[1]),
            (Known::Set, 0) => self.add(Object::Set(Vec::new())).map(Some),
            (Known::FrozenSet, 0) => self.add(Object::FrozenSet(Vec::new())).map(Some),
            (Known::Set | Known::FrozenSet, 1) => self.set_from(which, arg[0]),
            (Known::Complex, 2) => {
                let re = as_float(arg[0].and_then(|id| self.graph.try_get(id)));
                let im = as_float(arg[1].and_then(|id| self.graph.try_get(id)));
                match re.zip(im) {
                    Some((re, im)) => self.add(Object::Complex(Complex { re, im })).map(Some),
                    None => Ok(None),
                }
            }
            (Known::Reconstructor, 3) => self.reconstructor(arg[0], arg[1], arg[2]),
            _ => Ok(None),
        }
    }

    /// The text of a str node, as a `Cow` that still borrows the input if it did.
    fn str_arg(&self, id: Option<Id>) -> Option<Cow<'de, str>> {
        match self.graph.try_get(id?)? {
            Object::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn is_latin1_name(&self, id: Option<Id>) -> bool {
        matches!(
            id.and_then(|id| self.graph.try_get(id)),
            Some(Object::Str(name)) if text::is_latin1_codec(name)
        )
    }

    /// The Latin-1 bytes of a str node, borrowing when the text is ASCII.
    fn latin1_of(&mut self, id: Option<Id>) -> Result<Option<Cow<'de, [u8]>>> {
        let Some(s) = self.str_arg(id) else {
            return Ok(None);
        };
        Ok(match s {
            Cow::Borrowed(s) if s.is_ascii() => Some(Cow::Borrowed(s.as_bytes())),
            s => match text::string_to_latin1(&s) {
                Some(bytes) => {
                    self.budget.charge(bytes.len())?;
                    Some(Cow::Owned(bytes))
                }
                // A character past U+00FF: CPython would raise; keep the call as written.
                None => None,
            },
        })
    }

    fn encode_latin1(&mut self, text: Option<Id>, codec: Option<Id>) -> Result<Option<Id>> {
        if !self.is_latin1_name(codec) {
            return Ok(None);
        }
        match self.latin1_of(text)? {
            Some(bytes) => self.new_bytes(bytes).map(Some),
            None => Ok(None),
        }
    }

    fn bytearray_from_bytes(&mut self, bytes: Option<Id>) -> Result<Option<Id>> {
        let data = match bytes.and_then(|id| self.graph.try_get(id)) {
            Some(Object::Bytes(b)) => b.to_vec(),
            _ => return Ok(None),
        };
        self.budget.charge(data.len())?;
        self.add(Object::ByteArray(data)).map(Some)
    }

    fn bytearray_from_str(&mut self, text: Option<Id>, codec: Option<Id>) -> Result<Option<Id>> {
        if !self.is_latin1_name(codec) {
            return Ok(None);
        }
        match self.latin1_of(text)? {
            Some(bytes) => {
                if let Cow::Borrowed(b) = bytes {
                    self.budget.charge(b.len())?;
                }
                self.add(Object::ByteArray(bytes.into_owned())).map(Some)
            }
            None => Ok(None),
        }
    }

    fn set_from(&mut self, which: Known, iterable: Option<Id>) -> Result<Option<Id>> {
        let items = match iterable.and_then(|id| self.graph.try_get(id)) {
            Some(Object::List(items) | Object::Tuple(items)) => items.clone(),
            _ => return Ok(None),
        };
        for &item in &items {
            self.check_hashable(item)?;
        }
        self.budget.charge(items.len() * size_of::<Id>())?;
        let object = match which {
            Known::FrozenSet => Object::FrozenSet(items),
            _ => Object::Set(items),
        };
        self.add(object).map(Some)
    }

    /// `copyreg._reconstructor(cls, object, None)` is `object.__new__(cls)`,
    /// which protocol 2 and above write as `NEWOBJ(cls, ())`.
    fn reconstructor(
        &mut self,
        class: Option<Id>,
        base: Option<Id>,
        state: Option<Id>,
    ) -> Result<Option<Id>> {
        let base_is_object = matches!(
            base.and_then(|id| self.graph.try_get(id)),
            Some(Object::Global(g)) if g.module == "builtins" && g.name == "object"
        );
        let state_is_none = matches!(
            state.and_then(|id| self.graph.try_get(id)),
            Some(Object::None)
        );
        let Some(class) = class.filter(|_| base_is_object && state_is_none) else {
            return Ok(None);
        };
        let args = self.new_tuple(Vec::new())?;
        let instance = Instance::new(class, Construct::NewObj, args);
        self.add(Object::Instance(Box::new(instance))).map(Some)
    }
}
