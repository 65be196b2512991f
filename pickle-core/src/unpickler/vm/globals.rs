//! Globals, by GLOBAL, STACK_GLOBAL and the extension registry, with Python 2's names.

use super::*;

impl<'o, 'a, 'de, R: Read<'de>> Vm<'o, 'a, 'de, R> {
    // -- Globals ------------------------------------------------------------

    /// A module or qualname line of GLOBAL or INST.
    pub(super) fn read_name(&mut self, ascii: bool) -> Result<Cow<'de, str>> {
        let line = self.read_line_cow()?;
        if line.is_empty() {
            return Err(invalid("empty module or name; pickle data was truncated"));
        }
        if ascii {
            pytext::check_ascii(&line)?;
        }
        cow_utf8(line)
    }

    pub(super) fn load_global(&mut self) -> Result<()> {
        let module = self.read_name(false)?;
        let name = self.read_name(false)?;
        let id = self.find_class(module, name)?;
        self.push(id)
    }

    /// STACK_GLOBAL pops the name first, then the module.
    pub(super) fn load_stack_global(&mut self) -> Result<()> {
        let name = self.pop()?;
        let module = self.pop()?;
        let (Some(Object::Str(module)), Some(Object::Str(name))) =
            (self.graph.try_get(module), self.graph.try_get(name))
        else {
            return Err(type_mismatch("STACK_GLOBAL requires str"));
        };
        let (module, name) = (module.clone(), name.clone());
        let id = self.find_class(module, name)?;
        self.push(id)
    }

    pub(super) fn load_extension(&mut self, code: i64) -> Result<()> {
        let code = i32::try_from(code)
            .ok()
            .filter(|&c| c > 0)
            .ok_or_else(|| invalid("EXT specifies code <= 0"))?;
        if let Some(&id) = self.interned.extensions.get(&code) {
            self.observe_use(id, Use::Ext(code), None);
            return self.push(id);
        }
        if !self.opts.extensions.contains_key(&code) {
            if let Some(observer) = self.observer.as_deref_mut() {
                observer.unknown_extension(i64::from(code), self.current.0);
            }
        }
        let (module, name) = self.opts.extensions.get(&code).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownExtension,
                format!("unregistered extension code {code}"),
            )
        })?;
        let (module, name) = (Cow::Owned(module.clone()), Cow::Owned(name.clone()));
        let id = self.find_class(module, name)?;
        self.observe_use(id, Use::Ext(code), None);
        self.interned.extensions.insert(code, id);
        self.push(id)
    }

    /// The one door for globals, as `Unpickler.find_class`. Every global the
    /// pickle names (GLOBAL, STACK_GLOBAL, INST, EXT) comes through here:
    ///
    /// 1. **compat**: below protocol 3, with `fix_imports`, a Python 2 name
    ///    is mapped to its Python 3 name;
    /// 2. **interning** ([`Vm::intern_global`]): one node per global;
    /// 3. **registry** (also in [`Vm::intern_global`]): a new global whose
    ///    class is in the unpickler's [`Registry`](crate::registry::Registry)
    ///    is noted, and its instances become natives at STOP.
    ///
    /// `getattr(Outer, 'Inner')` folds to the global `Outer.Inner` at step 2,
    /// its parent having come through step 1. A safety policy (deny lists)
    /// goes before step 2, where it sees every global in its Python 3 form.
    pub(super) fn find_class(
        &mut self,
        mut module: Cow<'de, str>,
        mut name: Cow<'de, str>,
    ) -> Result<Id> {
        let written = self
            .observer
            .is_some()
            .then(|| (module.clone(), name.clone()));
        if self.proto < 3 && self.opts.fix_imports {
            let renamed = crate::compat::from_python2(&module, &name).map(|(m, n)| {
                (
                    (m != module).then(|| m.to_owned()),
                    (n != name).then(|| n.to_owned()),
                )
            });
            if let Some((m, n)) = renamed {
                if let Some(m) = m {
                    module = Cow::Owned(m);
                }
                if let Some(n) = n {
                    name = Cow::Owned(n);
                }
            }
        }
        let Some((written_module, written_name)) = written else {
            return self.intern_global(module, name);
        };
        let id = self.intern_global(module.clone(), name.clone())?;
        self.observe_global(id, &module, &name, (&written_module, &written_name));
        Ok(id)
    }

    /// Tells the observer, if any, that the global `id` was named.
    pub(in crate::unpickler) fn observe_global(
        &mut self,
        id: Id,
        module: &str,
        name: &str,
        written: (&str, &str),
    ) {
        if let Some(observer) = self.observer.as_deref_mut() {
            observer.global(id, module, name, written, self.current);
        }
    }

    /// Tells the observer, if any, that the running opcode uses `target`.
    pub(super) fn observe_use(&mut self, target: Id, how: Use, args: Option<Id>) {
        if let Some(observer) = self.observer.as_deref_mut() {
            observer.used(&self.graph, target, how, args, self.current.0);
        }
    }

    /// Steps 2 and 3 of the door ([`Vm::find_class`]) for a name already
    /// in its Python 3 form: the one node for the global `module.name`, and,
    /// when that node is new, the registry lookup for it.
    pub(in crate::unpickler) fn intern_global(
        &mut self,
        module: Cow<'de, str>,
        name: Cow<'de, str>,
    ) -> Result<Id> {
        let hash = self.interned.hasher.hash_one((&*module, &*name));
        if let Some(bucket) = self.interned.globals.get(&hash) {
            for &id in bucket {
                if let Some(Object::Global(g)) = self.graph.try_get(id) {
                    if g.module == module && g.name == name {
                        return Ok(id);
                    }
                }
            }
        }
        let entry = self
            .opts
            .registry
            .and_then(|registry| registry.lookup(&module, &name));
        let id = self.add(Object::global(module, name))?;
        self.interned.globals.entry(hash).or_default().push(id);
        if let Some(entry) = entry {
            self.registered.insert(id, entry);
        }
        Ok(id)
    }
}
