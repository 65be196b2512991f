//! The VM's stack, its marks, the graph it adds to, and the memo.

use super::*;

impl<'o, 'a, 'de, R: Read<'de>> Vm<'o, 'a, 'de, R> {
    // -- The stack ----------------------------------------------------------

    /// The position below which pops may not reach: the topmost mark.
    #[inline]
    pub(super) fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    #[cold]
    pub(super) fn underflow(&self) -> Error {
        if self.marks.is_empty() {
            Error::new(ErrorKind::StackUnderflow, "unpickling stack underflow")
        } else {
            Error::new(ErrorKind::StackUnderflow, "unexpected MARK found")
        }
    }

    #[cold]
    pub(super) fn stack_limit(&self) -> Error {
        Error::new(
            ErrorKind::StackLimit,
            format!(
                "the stack grew past the limit of {} items and marks",
                self.max_stack
            ),
        )
    }

    #[inline]
    pub(super) fn push(&mut self, id: Id) -> Result<()> {
        if self.stack.len() + self.marks.len() >= self.max_stack {
            return Err(self.stack_limit());
        }
        self.stack.push(id);
        Ok(())
    }

    #[inline]
    pub(super) fn pop(&mut self) -> Result<Id> {
        if self.stack.len() <= self.fence() {
            return Err(self.underflow());
        }
        self.stack.pop().ok_or_else(|| self.underflow())
    }

    #[inline]
    pub(super) fn top(&self) -> Result<Id> {
        if self.stack.len() <= self.fence() {
            return Err(self.underflow());
        }
        self.stack.last().copied().ok_or_else(|| self.underflow())
    }

    #[inline]
    pub(super) fn pop_mark(&mut self) -> Result<usize> {
        self.marks
            .pop()
            .ok_or_else(|| Error::new(ErrorKind::MissingMark, "could not find MARK"))
    }

    /// Removes and returns the items from `start` up, which must not reach below the fence.
    #[inline]
    pub(super) fn take_from(&mut self, start: usize) -> Result<Vec<Id>> {
        if start < self.fence() || start > self.stack.len() {
            return Err(self.underflow());
        }
        self.check_container_len(self.stack.len() - start)?;
        let items = self.stack.split_off(start);
        self.budget.charge(size_of_val(items.as_slice()))?;
        Ok(items)
    }

    /// Refuses a container that would hold more than `max_container_len` items.
    pub(super) fn check_container_len(&self, len: usize) -> Result<()> {
        if len > self.max_container_len {
            return Err(Error::new(
                ErrorKind::ContainerLimit,
                format!(
                    "a container would hold {len} items, more than the limit of {}",
                    self.max_container_len
                ),
            ));
        }
        Ok(())
    }

    /// The stack item just below position `x`, checked as CPython's
    /// `do_append` checks it: it must lie at or above the fence.
    #[inline]
    pub(super) fn target_below(&self, x: usize) -> Result<Id> {
        if x > self.stack.len() || x <= self.fence() {
            return Err(self.underflow());
        }
        x.checked_sub(1)
            .and_then(|i| self.stack.get(i).copied())
            .ok_or_else(|| self.underflow())
    }

    // -- The graph ----------------------------------------------------------

    #[inline]
    pub(in crate::unpickler) fn add(&mut self, object: Object<'de>) -> Result<Id> {
        if self.graph.len() >= self.max_objects {
            return Err(Error::new(
                ErrorKind::ObjectLimit,
                format!(
                    "the graph grew past the limit of {} objects",
                    self.max_objects
                ),
            ));
        }
        let registered = match &object {
            Object::Instance(i) if !self.registered.is_empty() => {
                self.registered.get(&i.class).map(|&entry| (i.class, entry))
            }
            _ => None,
        };
        let id = self.graph.add(object);
        if let Some((class, entry)) = registered {
            let (offset, opcode) = self.current;
            self.natives.push(Pending {
                id,
                class,
                offset,
                opcode,
                entry,
            });
        }
        Ok(id)
    }

    #[inline]
    pub(super) fn push_new(&mut self, object: Object<'de>) -> Result<()> {
        let id = self.add(object)?;
        self.push(id)
    }

    /// The one node for `slot`, created by `make` on first use.
    #[inline]
    pub(super) fn singleton(
        &mut self,
        slot: Slot,
        make: impl FnOnce() -> Object<'de>,
    ) -> Result<Id> {
        if let Some(&mut Some(id)) = self.interned.slot(slot) {
            return Ok(id);
        }
        let id = self.add(make())?;
        if let Some(cell) = self.interned.slot(slot) {
            *cell = Some(id);
        }
        Ok(id)
    }

    #[inline]
    pub(super) fn push_singleton(
        &mut self,
        slot: Slot,
        make: impl FnOnce() -> Object<'de>,
    ) -> Result<()> {
        let id = self.singleton(slot, make)?;
        self.push(id)
    }

    #[inline]
    pub(super) fn push_bool(&mut self, b: bool) -> Result<()> {
        self.push_singleton(Slot::Bool(b), || Object::Bool(b))
    }

    #[inline]
    pub(super) fn push_int(&mut self, n: i64) -> Result<()> {
        if (SMALL_INT_MIN..=SMALL_INT_MAX).contains(&n) {
            let slot = Slot::SmallInt((n - SMALL_INT_MIN) as usize);
            return self.push_singleton(slot, || Object::Int(n));
        }
        self.push_new(Object::Int(n))
    }

    pub(super) fn push_bigint(&mut self, n: BigInt) -> Result<()> {
        match i64::try_from(&n) {
            Ok(small) => self.push_int(small),
            Err(_) => {
                self.budget.charge(n.bits().div_ceil(8) as usize)?;
                self.push_new(Object::BigInt(Box::new(n)))
            }
        }
    }

    pub(super) fn push_parsed_int(&mut self, n: Int) -> Result<()> {
        match n {
            Int::Small(n) => self.push_int(n),
            Int::Big(n) => self.push_bigint(n),
        }
    }

    #[inline]
    pub(in crate::unpickler) fn new_str(&mut self, s: Cow<'de, str>) -> Result<Id> {
        match str_slot(&s) {
            Some(slot) => self.singleton(Slot::Str(slot), || Object::Str(s)),
            None => self.add(Object::Str(s)),
        }
    }

    #[inline]
    pub(in crate::unpickler) fn new_bytes(&mut self, b: Cow<'de, [u8]>) -> Result<Id> {
        match bytes_slot(&b) {
            Some(slot) => self.singleton(Slot::Bytes(slot), || Object::Bytes(b)),
            None => self.add(Object::Bytes(b)),
        }
    }

    /// A tuple node; the empty tuple is one node, as CPython's `()` is one object.
    #[inline]
    pub(in crate::unpickler) fn new_tuple(&mut self, items: Vec<Id>) -> Result<Id> {
        if items.is_empty() {
            return self.singleton(Slot::EmptyTuple, || Object::Tuple(items));
        }
        self.add(Object::Tuple(items))
    }

    #[inline]
    pub(super) fn push_tuple(&mut self, items: Vec<Id>) -> Result<()> {
        let id = self.new_tuple(items)?;
        self.push(id)
    }

    pub(in crate::unpickler) fn check_hashable(&self, id: Id) -> Result<()> {
        match self.graph.try_get(id) {
            Some(
                o @ (Object::List(_) | Object::Dict(_) | Object::Set(_) | Object::ByteArray(_)),
            ) => Err(Error::new(
                ErrorKind::Unhashable,
                format!("unhashable type: '{}'", o.type_name()),
            )),
            _ => Ok(()),
        }
    }

    pub(super) fn type_name(&self, id: Id) -> &'static str {
        self.graph.try_get(id).map_or("?", Object::type_name)
    }

    // -- Stack manipulation -------------------------------------------------

    /// POP: discards the top item, or the topmost mark if nothing lies above it (as `_pickle.c`).
    pub(super) fn load_pop(&mut self) -> Result<()> {
        let len = self.stack.len();
        if self.marks.last() == Some(&len) {
            self.marks.pop();
        } else if len <= self.fence() {
            return Err(self.underflow());
        } else {
            self.stack.pop();
        }
        Ok(())
    }

    pub(super) fn load_pop_mark(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        if mark > self.stack.len() {
            return Err(self.underflow());
        }
        self.stack.truncate(mark);
        Ok(())
    }

    pub(super) fn load_dup(&mut self) -> Result<()> {
        let top = self.top()?;
        self.push(top)
    }

    pub(super) fn load_mark(&mut self) -> Result<()> {
        if self.stack.len() + self.marks.len() >= self.max_stack {
            return Err(self.stack_limit());
        }
        self.marks.push(self.stack.len());
        Ok(())
    }

    // -- The memo -----------------------------------------------------------

    #[inline]
    pub(super) fn memo_get(&mut self, index: u64) -> Result<()> {
        let id = self.memo.get(index).ok_or_else(|| {
            Error::new(
                ErrorKind::MissingMemo,
                format!("Memo value not found at index {index}"),
            )
        })?;
        self.push(id)
    }

    #[inline]
    pub(super) fn memo_put(&mut self, index: u64) -> Result<()> {
        let top = self.top()?;
        self.memo.put(index, top)
    }

    pub(super) fn load_get(&mut self) -> Result<()> {
        let index = pytext::parse_int(&self.reader.read_line()?)?;
        match index {
            Int::Small(i) => match u64::try_from(i) {
                Ok(i) => self.memo_get(i),
                Err(_) => Err(Error::new(
                    ErrorKind::MissingMemo,
                    format!("Memo value not found at index {i}"),
                )),
            },
            Int::Big(_) => Err(invalid("Python int too large to convert to C ssize_t")),
        }
    }

    pub(super) fn load_put(&mut self) -> Result<()> {
        let index = pytext::parse_int(&self.reader.read_line()?)?;
        self.top()?;
        match index {
            Int::Small(i) => match u64::try_from(i) {
                Ok(i) => self.memo_put(i),
                Err(_) => Err(invalid("negative PUT argument")),
            },
            Int::Big(_) => Err(invalid("Python int too large to convert to C ssize_t")),
        }
    }
}
