"""Made-up modules for the test scripts' classes: a class placed in one can
be pickled by reference, as if its module were importable."""
import sys
import types


def module(name):
    """A made-up module, importable by pickle for the rest of this process."""
    m = sys.modules.get(name)
    if m is None:
        m = types.ModuleType(name)
        sys.modules[name] = m
    return m


def place(cls, module_name, qualname=None):
    """Moves `cls` to `module_name`, under `qualname` (dotted for a nested class)."""
    qualname = qualname or cls.__name__
    cls.__module__ = module_name
    cls.__qualname__ = qualname
    owner = module(module_name)
    *outer, last = qualname.split(".")
    for name in outer:
        owner = getattr(owner, name)
    setattr(owner, last, cls)
    return cls
