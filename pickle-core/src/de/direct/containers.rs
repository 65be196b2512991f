//! Containers: lists, dicts, and instances and structs read from their dict of fields.

use std::borrow::Cow;

use super::{ends_items, Direct, Memo, Reference, Source};
use crate::opcode::Opcode;

/// A str read from the input, kept: borrowed if the input lends it, else owned.
fn kept<'de>(text: Reference<'de, '_, str>) -> Cow<'de, str> {
    match text {
        Reference::Borrowed(text) => Cow::Borrowed(text),
        Reference::Copied(text) => Cow::Owned(text.to_owned()),
    }
}

impl<'de, S: Source<'de>> Direct<'de, S> {
    /// A list read by runs of items: `run(r, max)` reads and keeps at
    /// least one and at most `max` items, and says how many (or `None`,
    /// keeping none: see [`Direct::items`]). Returns the
    /// number of items: the caller drops any it kept beyond that (items
    /// whose reading did not end well, which were not this list's).
    pub fn list_runs(
        &mut self,
        mut run: impl FnMut(&mut Self, usize) -> Option<usize>,
    ) -> Option<usize> {
        if !self.eat(Opcode::EmptyList)? {
            return None;
        }
        self.push()?;
        self.memoize(Memo::OTHER)?;
        self.items(&LIST, &mut |r, _, max| run(r, max))
    }

    /// A dict: `entry(r, i)` reads entry `i`, a key and its value, and
    /// keeps them (or neither). Returns the number of entries, as
    /// [`Direct::list_runs`].
    pub fn dict(&mut self, mut entry: impl FnMut(&mut Self, usize) -> Option<()>) -> Option<usize> {
        if !self.eat(Opcode::EmptyDict)? {
            return None;
        }
        self.push()?;
        self.memoize(Memo::OTHER)?;
        self.items(&DICT, &mut |r, i, _| {
            entry(r, i)?;
            Some(1)
        })
    }

    /// A set or a frozenset, as CPython writes one: EMPTY_SET, then batches
    /// of MARK, items, ADDITEMS (protocol 4 and up); MARK, items, FROZENSET
    /// (protocol 4 and up); or `builtins.set(list)` or
    /// `builtins.frozenset(list)` (protocol 3). `item(r)` reads an item and
    /// keeps it (or nothing). Returns the number of items, as
    /// [`Direct::list_runs`].
    pub fn set(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<usize> {
        let op = self.peek()?;
        if op == Opcode::EmptySet.byte() {
            self.advance();
            self.push()?;
            self.memoize(Memo::OTHER)?;
            return self.items(&SET, &mut |r, _, _| {
                item(r)?;
                Some(1)
            });
        }
        if op == Opcode::Mark.byte() {
            self.advance();
            self.height += 1;
            let len = self.nested(|r| {
                let mut len = 0;
                while !r.eat(Opcode::FrozenSet)? {
                    item(r)?;
                    len += 1;
                    r.grow(len, 1)?;
                }
                Some(len)
            })?;
            self.pop(len + 1);
            self.push()?;
            self.memoize(Memo::OTHER)?;
            return Some(len);
        }
        let index = self.global()?;
        let (module, name) = self.globals.get(index as usize)?;
        if module != "builtins" || (name != "set" && name != "frozenset") {
            return None;
        }
        let len = self.tuple(1, |r| {
            r.list_runs(|r, _| {
                item(r)?;
                Some(1)
            })
        })?;
        self.reduce()?;
        Some(len)
    }

    /// Whether the next object is one Python cannot hash (a list, a dict,
    /// a set, a bytearray), which the unpickler refuses as a dict's key or
    /// a set's item, while a Rust type (`Vec`, a `Bytes`) may take it: the
    /// readers of keys and items of a type that can (see
    /// [`FromPickle::UNHASHABLE`]) ask first.
    ///
    /// [`FromPickle::UNHASHABLE`]: crate::de::FromPickle::UNHASHABLE
    #[inline(always)]
    pub fn unhashable_next(&mut self) -> Option<bool> {
        const UNHASHABLE: [bool; 256] = {
            let mut table = [false; 256];
            table[Opcode::EmptyList.byte() as usize] = true;
            table[Opcode::EmptyDict.byte() as usize] = true;
            table[Opcode::EmptySet.byte() as usize] = true;
            table[Opcode::ByteArray8.byte() as usize] = true;
            table
        };
        Some(UNHASHABLE[usize::from(self.peek()?)])
    }

    /// The items applied to the container just read, as `applied` says:
    /// batches of MARK, items and its `many`; or one item and its `one`.
    /// Stops where the next opcodes are not this container's.
    /// `run(r, i, max)` reads items from item `i` on, at least one and at
    /// most `max`, and says how many; or `None`, keeping none of them, as a
    /// MARK that starts one item (a tuple), not a batch, is read again as
    /// that item.
    fn items(
        &mut self,
        applied: &Applied,
        run: &mut impl FnMut(&mut Self, usize, usize) -> Option<usize>,
    ) -> Option<usize> {
        self.enter()?;
        let mut len = 0;
        loop {
            let next = self.peek()?;
            if ends_items(next) {
                self.leave();
                return Some(len);
            }
            let at = self.checkpoint();
            let kept = len;
            let mut batch = None;
            if next == Opcode::Mark.byte() {
                self.advance();
                self.height += 1;
                batch = Some(loop {
                    if self.eat(applied.many)? {
                        // The batch's items are bounded meanwhile by the
                        // stack limit each one counts against.
                        self.grow(len, len - kept)?;
                        self.pop(applied.per_item * (len - kept) + 1);
                        break true;
                    }
                    match run(self, len, usize::MAX) {
                        Some(n) => len += n,
                        None => break false,
                    }
                });
                if batch == Some(false) && len == kept {
                    // Not a batch from its first item: the MARK may start
                    // one item instead (a tuple of 4 or more, then `one`).
                    self.rewind(at)?;
                    batch = None;
                }
            }
            let ok = match (batch, applied.one) {
                (Some(ok), _) => ok,
                (None, None) => false,
                (None, Some(one)) => match run(self, len, 1) {
                    Some(1) if self.eat(one)? => {
                        len += 1;
                        self.grow(len, 1)?;
                        self.pop(applied.per_item);
                        true
                    }
                    _ => false,
                },
            };
            if !ok {
                // Not this container's: it is complete.
                self.rewind(at)?;
                self.leave();
                return Some(kept);
            }
        }
    }

    /// An instance of one of `classes`, created by NEWOBJ with no arguments
    /// (as CPython writes a plain class's instance), with its `__dict__`, or
    /// its slots, applied by BUILD, whose keys name `fields`.
    pub fn instance(
        &mut self,
        classes: &[(&str, &str)],
        fields: &mut Fields<'_, impl FnMut(&mut Self, usize, bool) -> Option<()>>,
    ) -> Option<()> {
        self.class_among(classes)?;
        if !self.eat(Opcode::EmptyTuple)? {
            return None;
        }
        self.push()?;
        self.memoize(Memo::OTHER)?;
        if !self.eat(Opcode::NewObj)? {
            return None;
        }
        self.pop(2);
        self.push()?;
        self.memoize(Memo::OTHER)?;
        // The state, if BUILD applies one: the `__dict__` (CPython writes
        // none for an empty one), or `(None, slots)` for a class with
        // `__slots__` (a dataclass with `slots=True`).
        let at = self.checkpoint();
        let state = match self.peek()? {
            op if op == Opcode::EmptyDict.byte() => self.fields(fields),
            op if op == Opcode::None.byte() => self.tuple(2, |r| {
                r.none()?.then_some(())?;
                r.fields(fields)
            }),
            _ => return Some(()),
        };
        match state {
            Some(()) if self.eat(Opcode::Build)? => self.pop(1),
            _ => {
                fields.reset_from(self, 0);
                self.rewind(at)?;
            }
        }
        Some(())
    }

    /// An instance of one of `classes` created by NEWOBJ with `len`
    /// arguments, which `args` reads (as CPython writes a namedtuple), and
    /// no state.
    pub fn newobj_args<T>(
        &mut self,
        classes: &[(&str, &str)],
        len: usize,
        args: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        self.class_among(classes)?;
        let value = self.nested(|r| r.tuple(len, args))?;
        if !self.eat(Opcode::NewObj)? {
            return None;
        }
        self.pop(2);
        self.push()?;
        self.memoize(Memo::OTHER)?;
        Some(value)
    }

    /// A global that is one of `classes`, whose instances NEWOBJ makes (not
    /// a class the unpickler folds into another object).
    fn class_among(&mut self, classes: &[(&str, &str)]) -> Option<()> {
        let index = self.global()?;
        // The class of the last instance read is usually this one's.
        let class = (index, classes.as_ptr() as usize);
        if self.instance_of != Some(class) {
            let (module, name) = self.globals.get(index as usize)?;
            if crate::unpickler::folds_newobj(module, name)
                || !classes.iter().any(|&(m, q)| m == module && q == name)
            {
                return None;
            }
            self.instance_of = Some(class);
        }
        Some(())
    }

    /// A plain dict whose keys name fields. See [`Fields`].
    pub fn fields(
        &mut self,
        fields: &mut Fields<'_, impl FnMut(&mut Self, usize, bool) -> Option<()>>,
    ) -> Option<()> {
        let names = fields.names;
        let kept = self.dict(|r, n| {
            // A key equal to a name is UTF-8; any other key is not a field's.
            let key = r.str_bytes()?;
            // Keys come in field order when a struct like this one wrote them.
            let i = match names.get(n) {
                Some(name) if name.as_bytes() == &*key => n,
                _ => names.iter().position(|name| name.as_bytes() == &*key)?,
            };
            fields.set(r, i, n)
        });
        match kept {
            Some(kept) => {
                fields.reset_from(self, kept);
                Some(())
            }
            None => {
                fields.reset_from(self, 0);
                None
            }
        }
    }

    /// A line of GLOBAL's argument: a module or a name, in UTF-8, not empty.
    fn name_line(&mut self) -> Option<Cow<'de, str>> {
        let line = self.source.line(self.input.pos, self.input.limit)?;
        let len = line.len();
        if len == 0 {
            return None;
        }
        let name = kept(match line {
            Reference::Borrowed(line) => Reference::Borrowed(std::str::from_utf8(line).ok()?),
            Reference::Copied(line) => Reference::Copied(std::str::from_utf8(line).ok()?),
        });
        self.input.pos += len + 1;
        Some(name)
    }

    /// A global pushed by GLOBAL or STACK_GLOBAL (protocol 4 and up), or fetched from the memo.
    /// Returns the global's index in [`Direct::globals`], which holds its module and its name.
    pub(super) fn global(&mut self) -> Option<u32> {
        let op = self.peek()?;
        if op == Opcode::BinGet.byte() || op == Opcode::LongBinGet.byte() {
            let at = self.checkpoint();
            self.advance();
            let entry = self.fetch(op)?;
            if let Some(index) = entry.as_global() {
                self.globals.get(index as usize)?;
                self.height += 1;
                self.memoize(entry)?;
                return Some(index);
            }
            // A str: the module of a STACK_GLOBAL, written before.
            self.rewind(at)?;
        }
        let (module, name) = if op == Opcode::Global.byte() {
            // GLOBAL, as protocols 0 to 3 write: the module and the name
            // on lines of their own.
            self.advance();
            let (module, name) = (self.name_line()?, self.name_line()?);
            // A Python 2 name, which the graph path renames (`fix_imports`).
            if self.proto < 3 && crate::compat::from_python2(&module, &name).is_some() {
                return self.give_up();
            }
            (module, name)
        } else {
            if self.proto < 4 {
                return None;
            }
            let module = kept(self.str()?);
            let name = kept(self.str()?);
            if !self.eat(Opcode::StackGlobal)? {
                return None;
            }
            self.pop(2);
            (module, name)
        };
        self.push()?;
        let index = u32::try_from(self.globals.len()).ok()?;
        self.globals.push((module, name));
        self.memoize(Memo::global(index)?)?;
        Some(index)
    }
}

/// How the opcodes of a kind of container apply its items to it.
struct Applied {
    /// After a MARK and items: APPENDS, SETITEMS, ADDITEMS.
    many: Opcode,
    /// After one item: APPEND, SETITEM; a set has none.
    one: Option<Opcode>,
    /// The objects on the stack an item is: 2 for a key and its value.
    per_item: usize,
}

const LIST: Applied = Applied {
    many: Opcode::Appends,
    one: Some(Opcode::Append),
    per_item: 1,
};

const DICT: Applied = Applied {
    many: Opcode::SetItems,
    one: Some(Opcode::SetItem),
    per_item: 2,
};

const SET: Applied = Applied {
    many: Opcode::AddItems,
    one: None,
    per_item: 1,
};

/// The fields of a struct read from a dict (an instance's `__dict__`, or a
/// plain dict) by [`Direct::instance`] and [`Direct::fields`].
///
/// `access(r, i, true)` reads the value of field `i` (named `names[i]`)
/// and keeps it; `access(r, i, false)` forgets it again, when the entry that
/// set it turns out not to be this dict's. A key set twice gives up.
#[doc(hidden)]
pub struct Fields<'n, F> {
    names: &'n [&'n str],
    access: F,
    /// The entry that set each field, `UNSET` for none. Each entry sets
    /// another field (a key set twice gives up), so entries number below 64.
    set_at: [u8; MAX_FIELDS],
}

/// The most fields a struct read directly may have.
const MAX_FIELDS: usize = 64;

/// [`Fields::set_at`] of a field no entry set.
const UNSET: u8 = u8::MAX;

impl<'n, F> Fields<'n, F> {
    /// Fields named `names`, read and forgotten by `access`. `None` for more than 64.
    pub fn new(names: &'n [&'n str], access: F) -> Option<Self> {
        (names.len() <= MAX_FIELDS).then_some(Fields {
            names,
            access,
            set_at: [UNSET; MAX_FIELDS],
        })
    }

    fn set<'de, S: Source<'de>>(
        &mut self,
        r: &mut Direct<'de, S>,
        i: usize,
        entry: usize,
    ) -> Option<()>
    where
        F: FnMut(&mut Direct<'de, S>, usize, bool) -> Option<()>,
    {
        if self.set_at[i] != UNSET {
            return None;
        }
        (self.access)(r, i, true)?;
        self.set_at[i] = u8::try_from(entry).ok().filter(|&e| e != UNSET)?;
        Some(())
    }

    /// Forgets the fields set by entry `kept` and later.
    fn reset_from<'de, S: Source<'de>>(&mut self, r: &mut Direct<'de, S>, kept: usize)
    where
        F: FnMut(&mut Direct<'de, S>, usize, bool) -> Option<()>,
    {
        for i in 0..self.names.len() {
            if self.set_at[i] != UNSET && usize::from(self.set_at[i]) >= kept {
                self.set_at[i] = UNSET;
                let _ = (self.access)(r, i, false);
            }
        }
    }
}
