//! The VM's observer hook: what the scanner ([`crate::scan`]) watches.
//!
//! The scanner runs the very VM that loads, so the two can never disagree
//! about what a pickle names or calls. The VM reports two things: every
//! global that comes through its one door ([`Vm::find_class`](super::vm)),
//! and every opcode that uses an object as a callable, a class or a target of
//! BUILD. It reports them before it checks them, so an opcode the loader
//! then refuses (BUILD on a global) is still seen.

use crate::opcode::Opcode;
use crate::scan::Use;
use crate::value::{Id, Value};

/// Watches one run of the VM. Offsets are from the start of that run.
pub(crate) trait Observer {
    /// A global came through the door. `module`/`name` are what it resolved
    /// to (Python 3 names after `fix_imports`), `written` what the pickle
    /// spelled; `id` is its node, which memo games cannot change.
    fn global(
        &mut self,
        id: Id,
        module: &str,
        name: &str,
        written: (&str, &str),
        at: (u64, Opcode),
    );
    /// `opcode` uses `target` (a callable, a class, or what BUILD sets state
    /// on), with `args` when it has an argument tuple. `graph` is the graph so far.
    fn used(&mut self, graph: &Value<'_>, target: Id, how: Use, args: Option<Id>, at: u64);
    /// EXT named a code nobody registered.
    fn unknown_extension(&mut self, code: i64, at: u64);
    /// STOP was reached at `at`; the next pickle, if any, starts after it.
    fn stop(&mut self, at: u64);
}
