//! Calls and instances: REDUCE, NEWOBJ, INST, OBJ and BUILD, kept as inert nodes.

use super::*;

impl<'o, 'a, 'de, R: Read<'de>> Vm<'o, 'a, 'de, R> {
    // -- Calls and instances ------------------------------------------------

    pub(super) fn check_callable(&self, id: Id) -> Result<()> {
        match self.graph.try_get(id) {
            Some(o) if may_be_callable(o) => Ok(()),
            _ => Err(type_mismatch(format!(
                "'{}' object is not callable",
                self.type_name(id)
            ))),
        }
    }

    pub(super) fn push_instance(&mut self, instance: Instance) -> Result<()> {
        self.push_new(Object::Instance(Box::new(instance)))
    }

    pub(super) fn load_reduce(&mut self) -> Result<()> {
        let args = self.pop()?;
        let callable = self.pop()?;
        self.observe_use(callable, Use::Reduce, Some(args));
        if !matches!(self.graph.try_get(args), Some(Object::Tuple(_))) {
            return Err(type_mismatch("argument list must be a tuple"));
        }
        self.check_callable(callable)?;
        if let Some(id) = self.known_reduce(callable, args)? {
            return self.push(id);
        }
        self.push_instance(Instance::new(callable, Construct::Reduce, args))
    }

    pub(super) fn load_newobj(&mut self, with_kwargs: bool) -> Result<()> {
        let op = if with_kwargs { "NEWOBJ_EX" } else { "NEWOBJ" };
        let kwargs = if with_kwargs { Some(self.pop()?) } else { None };
        let args = self.pop()?;
        let class = self.pop()?;
        let how = if with_kwargs {
            Use::NewObjEx
        } else {
            Use::NewObj
        };
        self.observe_use(class, how, Some(args));
        let builtin_function = match self.graph.try_get(class) {
            Some(Object::Global(g)) => g.module == "builtins" && builtins::is_function(&g.name),
            _ => false,
        };
        if builtin_function {
            return Err(type_mismatch(format!(
                "{op} class argument must be a type, not builtin_function_or_method"
            )));
        }
        if !self.graph.try_get(class).is_some_and(may_be_callable) {
            return Err(type_mismatch(format!(
                "{op} class argument must be a type, not {}",
                self.type_name(class)
            )));
        }
        if !matches!(self.graph.try_get(args), Some(Object::Tuple(_))) {
            return Err(type_mismatch(format!(
                "{op} args argument must be a tuple, not {}",
                self.type_name(args)
            )));
        }
        if let Some(kwargs) = kwargs {
            if !matches!(self.graph.try_get(kwargs), Some(Object::Dict(_))) {
                return Err(type_mismatch(format!(
                    "{op} kwargs argument must be a dict, not {}",
                    self.type_name(kwargs)
                )));
            }
        }
        let no_kwargs = kwargs
            .is_none_or(|k| matches!(self.graph.try_get(k), Some(Object::Dict(d)) if d.is_empty()));
        if no_kwargs {
            if let Some(id) = self.known_newobj(class, args)? {
                return self.push(id);
            }
        }
        let construct = if with_kwargs {
            Construct::NewObjEx
        } else {
            Construct::NewObj
        };
        let mut instance = Instance::new(class, construct, args);
        instance.kwargs = kwargs;
        self.push_instance(instance)
    }

    /// INST: the class is named inline; the arguments are the items above the mark.
    pub(super) fn load_inst(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        // CPython decodes INST names as ASCII (GLOBAL's as UTF-8).
        let module = self.read_name(true)?;
        let name = self.read_name(true)?;
        let class = self.find_class(module, name)?;
        let items = self.take_from(mark)?;
        let args = self.new_tuple(items)?;
        self.observe_use(class, Use::Inst, Some(args));
        self.push_instance(Instance::new(class, Construct::Inst, args))
    }

    /// OBJ: the class is the first item above the mark; the arguments follow it.
    pub(super) fn load_obj(&mut self) -> Result<()> {
        let mark = self.pop_mark()?;
        if self.stack.len() <= mark {
            return Err(self.underflow());
        }
        let items = self.take_from(mark + 1)?;
        let class = self.pop()?;
        let args = self.new_tuple(items)?;
        self.observe_use(class, Use::Obj, Some(args));
        self.check_callable(class)?;
        self.push_instance(Instance::new(class, Construct::Obj, args))
    }

    /// BUILD: records the state on the instance below it, which stays on the stack.
    pub(super) fn load_build(&mut self) -> Result<()> {
        if self.stack.len() < self.fence() + 2 {
            return Err(self.underflow());
        }
        let state = self.pop()?;
        let target = self.top()?;
        self.observe_use(target, Use::Build, None);
        match self.graph.objects_mut().get_mut(target.index()) {
            Some(Object::Instance(inst)) if inst.state.is_none() => inst.state = Some(state),
            Some(Object::Instance(_)) => {
                return Err(type_mismatch("BUILD applied twice to the same instance"))
            }
            // CPython applies state to a function or class too. The loader
            // refuses, but the scanner keeps going as CPython would, so a
            // call after such a BUILD is still seen.
            Some(Object::Global(_)) if self.observer.is_some() => return Ok(()),
            other => {
                return Err(type_mismatch(format!(
                    "BUILD needs an instance, not '{}'",
                    other.map_or("?", |o| o.type_name())
                )))
            }
        }
        self.intern_attribute_names(state);
        Ok(())
    }

    /// CPython interns the str keys a default `__setstate__` puts in an
    /// instance `__dict__` (and, through `setattr`, slot names): one object
    /// per distinct name, across the whole load. Rewrites the state dicts'
    /// keys to the first node seen with each name.
    pub(super) fn intern_attribute_names(&mut self, state: Id) {
        let dicts = match self.graph.try_get(state) {
            Some(Object::Dict(_)) => [Some(state), None],
            Some(Object::Tuple(t)) if t.len() == 2 => [t.first().copied(), t.get(1).copied()],
            _ => return,
        };
        for dict in dicts.into_iter().flatten() {
            let Some(Object::Dict(pairs)) = self.graph.try_get(dict) else {
                continue;
            };
            let mut renames = Vec::new();
            let interned = &mut self.interned;
            for (i, &(key, _)) in pairs.iter().enumerate() {
                if interned.recent_attr_names.contains(&Some(key)) {
                    continue;
                }
                let Some(Object::Str(text)) = self.graph.try_get(key) else {
                    continue;
                };
                let hash = interned.hasher.hash_one(&**text);
                let bucket = interned.attr_names.entry(hash).or_default();
                let canonical = bucket.iter().copied().find(|&c| {
                    c == key || matches!(self.graph.try_get(c), Some(Object::Str(t)) if t == text)
                });
                match canonical {
                    Some(c) if c != key => renames.push((i, c)),
                    Some(_) => {}
                    None => bucket.push(key),
                }
                let canonical = canonical.unwrap_or(key);
                if canonical == key {
                    let slot = interned.recent_attr_next % interned.recent_attr_names.len();
                    if let Some(cell) = interned.recent_attr_names.get_mut(slot) {
                        *cell = Some(key);
                    }
                    interned.recent_attr_next = slot + 1;
                }
            }
            if renames.is_empty() {
                continue;
            }
            if let Some(Object::Dict(pairs)) = self.graph.objects_mut().get_mut(dict.index()) {
                for (i, canonical) in renames {
                    if let Some(pair) = pairs.get_mut(i) {
                        pair.0 = canonical;
                    }
                }
            }
        }
    }
}
