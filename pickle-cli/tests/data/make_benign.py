"""Writes the benign pickles of benign/ (run once; the files are checked in).

    /work/main/.venv/bin/python pickle-cli/tests/data/make_benign.py

`pickle scan` must exit 0 on every one of them, and 1 with --strict on
those holding user classes (mymodule.*), which are unknown to the policy.
"""
import collections, dataclasses, datetime, decimal, os, pickle, sys, types

import numpy as np

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "benign")

# A stand-in user module, so that classes pickle as mymodule.Example.
mymodule = types.ModuleType("mymodule")
sys.modules["mymodule"] = mymodule
exec(
    "import dataclasses\n"
    "class Example:\n"
    "    def __init__(self): self.a = 1; self.b = [1, 2]\n"
    "@dataclasses.dataclass\n"
    "class Point:\n"
    "    x: int\n"
    "    y: float\n",
    mymodule.__dict__,
)

standard = {
    "datetime": [datetime.datetime(2020, 1, 2, 3, 4, 5), datetime.date(2021, 5, 6),
                 datetime.timedelta(days=3)],
    "decimal": decimal.Decimal("3.14"),
    "ordered_dict": collections.OrderedDict(a=1, b=[2]),
    "numpy_array": np.arange(6, dtype=np.float64).reshape(2, 3),
    "numpy_scalar_dtype": [np.float32(1.5), np.dtype("int16"), np.array(["a", "bc"])],
}
user = {
    "user_class": mymodule.Example(),
    "dataclass": mymodule.Point(1, 2.5),
}
for group, strict_ok in ((standard, True), (user, False)):
    for name, obj in group.items():
        for protocol in (0, 2, 4, 5):
            with open(os.path.join(here, f"{name}_p{protocol}.pkl"), "wb") as f:
                pickle.dump(obj, f, protocol=protocol)
