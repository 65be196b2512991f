//! Tuples, lists, dicts, sets and frozensets.

use super::*;

impl<'o, 'a, 'de, R: Read<'de>> Vm<'o, 'a, 'de, R> {
    // -- Containers ---------------------------------------------------------

    pub(super) fn load_list(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        let items = self.take_from(mark)?;
        self.push_new(Object::List(items))
    }

    pub(super) fn load_tuple(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        let items = self.take_from(mark)?;
        self.push_tuple(items)
    }

    pub(super) fn load_counted_tuple(&mut self, n: usize) -> Result<()> {
        let start = self
            .stack
            .len()
            .checked_sub(n)
            .ok_or_else(|| self.underflow())?;
        let items = self.take_from(start)?;
        self.push_tuple(items)
    }

    pub(super) fn load_dict(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        let items = self.stack.get(mark..).ok_or_else(|| self.underflow())?;
        if items.len() % 2 != 0 {
            return Err(Error::new(
                ErrorKind::OddItems,
                "odd number of items for DICT",
            ));
        }
        self.check_container_len(items.len() / 2)?;
        for key in items.iter().step_by(2) {
            self.check_hashable(*key)?;
        }
        self.budget
            .charge(items.len() / 2 * size_of::<(Id, Id)>())?;
        let pairs = pairs_of(items);
        self.stack.truncate(mark);
        self.push_new(Object::Dict(pairs))
    }

    pub(super) fn load_frozenset(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        let items = self.take_from(mark)?;
        for &item in &items {
            self.check_hashable(item)?;
        }
        self.push_new(Object::FrozenSet(items))
    }

    pub(super) fn load_append(&mut self) -> Result<()> {
        let x = self.stack.len().saturating_sub(1);
        if x <= self.fence() {
            return Err(self.underflow());
        }
        self.append_from(x)
    }

    pub(super) fn load_appends(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        self.append_from(mark)
    }

    /// Appends the items from `x` up to the list (or list-like instance) just below `x`.
    pub(super) fn append_from(&mut self, x: usize) -> Result<()> {
        let target = self.target_below(x)?;
        let Some(items) = self.stack.get(x..) else {
            return Err(self.underflow());
        };
        if items.is_empty() {
            return Ok(());
        }
        let len = match self.graph.try_get(target) {
            Some(Object::List(list)) => list.len(),
            Some(Object::Instance(inst)) => inst.list_items.len(),
            _ => 0,
        };
        self.check_container_len(len.saturating_add(items.len()))?;
        self.budget.charge(size_of_val(items))?;
        match self.graph.objects_mut().get_mut(target.index()) {
            Some(Object::List(list)) => list.extend_from_slice(items),
            Some(Object::Instance(inst)) => inst.list_items.extend_from_slice(items),
            other => {
                return Err(type_mismatch(format!(
                    "'{}' object has no attribute 'append'",
                    other.map_or("?", |o| o.type_name())
                )))
            }
        }
        self.stack.truncate(x);
        Ok(())
    }

    pub(super) fn load_setitem(&mut self) -> Result<()> {
        let x = self.stack.len().saturating_sub(2);
        self.set_items_from(x)
    }

    pub(super) fn load_setitems(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        self.set_items_from(mark)
    }

    /// Sets the key/value pairs from `x` up in the dict (or dict-like instance) just below `x`.
    pub(super) fn set_items_from(&mut self, x: usize) -> Result<()> {
        let target = self.target_below(x)?;
        let Some(items) = self.stack.get(x..) else {
            return Err(self.underflow());
        };
        if items.is_empty() {
            return Ok(());
        }
        if items.len() % 2 != 0 {
            return Err(Error::new(
                ErrorKind::OddItems,
                "odd number of items for SETITEMS",
            ));
        }
        if matches!(self.graph.try_get(target), Some(Object::Dict(_))) {
            for key in items.iter().step_by(2) {
                self.check_hashable(*key)?;
            }
        }
        let len = match self.graph.try_get(target) {
            Some(Object::Dict(dict)) => dict.len(),
            Some(Object::Instance(inst)) => inst.dict_items.len(),
            _ => 0,
        };
        self.check_container_len(len.saturating_add(items.len() / 2))?;
        self.budget
            .charge(items.len() / 2 * size_of::<(Id, Id)>())?;
        let pairs = pairs_of(items);
        match self.graph.objects_mut().get_mut(target.index()) {
            Some(Object::Dict(dict)) => dict.extend(pairs),
            Some(Object::Instance(inst)) => inst.dict_items.extend(pairs),
            other => {
                return Err(type_mismatch(format!(
                    "'{}' object does not support item assignment",
                    other.map_or("?", |o| o.type_name())
                )))
            }
        }
        self.stack.truncate(x);
        Ok(())
    }

    pub(super) fn load_additems(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        let target = self.target_below(mark)?;
        let Some(items) = self.stack.get(mark..) else {
            return Err(self.underflow());
        };
        if items.is_empty() {
            return Ok(());
        }
        if !matches!(self.graph.try_get(target), Some(Object::Set(_))) {
            return Err(type_mismatch(format!(
                "'{}' object has no attribute 'add'",
                self.type_name(target)
            )));
        }
        if let Some(Object::Set(set)) = self.graph.try_get(target) {
            self.check_container_len(set.len().saturating_add(items.len()))?;
        }
        for &item in items {
            self.check_hashable(item)?;
        }
        self.budget.charge(size_of_val(items))?;
        if let Some(Object::Set(set)) = self.graph.objects_mut().get_mut(target.index()) {
            set.extend_from_slice(items);
        }
        self.stack.truncate(mark);
        Ok(())
    }
}
