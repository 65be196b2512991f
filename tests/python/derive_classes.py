"""The Python side of the `#[derive(Pickle)]` tests (tests/derive.rs).

Defines, in `__main__` and in a few made-up modules, the Python classes the
Rust test types stand for, and answers a batch of requests read as JSON
from stdin, one JSON list of answers on stdout:

  {"op": "dumps", "case": NAME, "protocol": N}
      -> hex of pickle.dumps(CASES[NAME](), N), or {"error": "..."} if CPython raises
  {"op": "describe", "pickle": HEX}
      -> what Python sees when it loads the pickle (see `describe`)
  {"op": "describe_case", "case": NAME}
      -> the same for the object CASES[NAME]() itself
  {"op": "raw", "name": NAME}
      -> hex of a pickle in one of the state forms CPython reads (RAW), checked
         here to load as an instance with x == 1 and y == 2

Every value in a case is a distinct object, as the Rust side writes it: a
case never holds one str or tuple twice, so the memo is the same on both sides.
"""
import collections
import dataclasses
import enum
import json
import pickle
import sys

from made_up import module, place




def new(cls, **attrs):
    """An instance with `attrs` set in order, without calling __init__."""
    obj = object.__new__(cls)
    for name, value in attrs.items():
        setattr(obj, name, value)
    return obj


# ---------------------------------------------------------------------------
# The classes. Rust types name them by module and qualname.

class Point:
    pass


class Mixed:
    pass


class Marker:
    pass


class Request:
    pass


class Token:
    pass


class Config:
    pass


class Blob:
    pass


class Nest:
    pass


class Circle:
    pass


class Square:
    pass


class Slotted:
    __slots__ = ("x", "y")


class SlottedDict:
    __slots__ = ("x", "__dict__")


# Frozen with slots: `__getstate__` returns the field values as a list.
@dataclasses.dataclass(frozen=True, slots=True)
class FrozenPoint:
    x: int
    y: int


@dataclasses.dataclass(frozen=True, slots=True)
class FrozenEmpty:
    pass


# Slots but not frozen: the `(None, {slots})` state of any class with __slots__.
@dataclasses.dataclass(slots=True)
class SlotsPoint:
    x: int
    y: int


class Temperature:
    def __getstate__(self):
        return self.celsius

    def __setstate__(self, state):
        self.celsius = state


Pair = collections.namedtuple("Pair", "left right")


class Color(enum.Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 10


class Mode(enum.Enum):
    READ = "read"
    READ_WRITE = "read-write"


class GeoPoint:
    pass


class Outer:
    pass


class Inner:
    pass


class OldPoint:
    pass


place(GeoPoint, "geometry", "Point")
place(Outer, "shapes")
place(Inner, "shapes", "Outer.Inner")
place(type("Shapes", (), {}), "legacy")
place(OldPoint, "legacy", "Shapes.Point")


# ---------------------------------------------------------------------------
# The cases: each makes a fresh object.

def mixed(i=0):
    return new(
        Mixed,
        i=-5 - i,
        f=1.5 + i,
        s="h\u00e9llo w\u00f6rld \u2603 %d" % i,
        b=i % 2 == 0,
        n=None,
        o=7 + i,
        items=[1, 2, 3 + i],
        d={"k1": 1, "k2": 2 + i},
        t=(i, "tuple text %d" % i),
        nested=new(Point, x=3, y=4 + i),
        data=bytes([0, 255, i % 256]),
    )


CASES = {
    "point": lambda: new(Point, x=1, y=2),
    "point_str": lambda: new(Point, x="one", y=2),
    "point_extra": lambda: new(Point, x=1, y=2, z=3),
    "mixed": mixed,
    "mixed_list": lambda: [mixed(i) for i in range(5)],
    "points_10k": lambda: [new(Point, x=i, y=-i) for i in range(10_000)],
    "marker": lambda: new(Marker),
    "request": lambda: new(Request, userId=7, isAdmin=True),
    "token": lambda: new(Token, type="word"),
    "config_v1": lambda: new(Config, name="x"),
    "config_empty": lambda: new(Config),
    "blob": lambda: new(Blob, data=b"\x00\x01\xfe"),
    "geo_point": lambda: new(GeoPoint, x=1, y=2),
    "inner": lambda: new(Inner, r=1),
    "old_point": lambda: new(OldPoint, x=1, y=2),
    "slotted": lambda: new(Slotted, x=1, y=2),
    "frozen_point": lambda: FrozenPoint(1, 2),
    "frozen_empty": lambda: FrozenEmpty(),
    "slots_point": lambda: SlotsPoint(1, 2),
    "pair": lambda: Pair(1, "a"),
    "temperature": lambda: new(Temperature, celsius=21.5),
    "color_green": lambda: Color.GREEN,
    "colors": lambda: [Color.RED, Color.BLUE, Color.GREEN],
    # A member is a singleton: written once, then fetched from the memo.
    "green_twice": lambda: [Color.GREEN, Color.GREEN],
    "modes_repeated": lambda: [Mode.READ_WRITE, Mode.READ, Mode.READ_WRITE, Mode.READ],
    "level_high": lambda: Level.HIGH,
    "mode_read_write": lambda: Mode.READ_WRITE,
    "shapes": lambda: [new(Circle, r=1.0), new(Square, side=2.0), new(Circle, r=3.5)],
    # `#[pickle(dict)]` structs: plain dicts, no class. The keys are names
    # (the same str objects in every dict a case makes), as field names are.
    "point_dict": lambda: {"x": 1, "y": 2},
    "point_dicts": lambda: [{"x": i, "y": -i} for i in range(3)],
    "point_dict_extra": lambda: {"x": 1, "y": 2, "z": 3},
    "point_dict_x": lambda: {"x": 1},
    "point_dict_str": lambda: {"x": "one", "y": 2},
    "point_dict_reversed": lambda: {"y": 2, "x": 1},
    "point_ordered_dict": lambda: collections.OrderedDict([("x", 1), ("y", 2)]),
    "point_defaultdict": lambda: collections.defaultdict(int, {"x": 1, "y": 2}),
    "point_counter": lambda: collections.Counter({"x": 1, "y": 2}),
    "empty_dict": lambda: {},
    "config_dict_v1": lambda: {"name": "x"},
    "record_dict": lambda: {
        "userId": 7,
        "type": "word",
        "payload": b"\x00\x01\xfe",
        "tags": ["red", "green"],
        "origin": new(Point, x=1, y=2),
        "timeout": 1.5,
        "note": None,
    },
    "nest": lambda: new(
        Nest,
        first={"x": 1, "y": 2},
        rest=[{"x": 3, "y": 4}, {"x": 5, "y": 6}],
    ),
    "generic_dict": lambda: {"first": 1, "second": 2},
    "generic_dicts": lambda: [{"first": i, "second": -i} for i in range(3)],
    "token_dict": lambda: {"type": "word"},
}


# Pickles in every state form CPython reads for an instance with x=1, y=2.
def raw_pickles():
    slotted_dict = object.__new__(SlottedDict)
    slotted_dict.x = 1
    slotted_dict.y = 2
    forms = {}
    for p in range(6):
        forms["dict_p%d" % p] = pickle.dumps(CASES["point"](), p)
    for p in (2, 4, 5):
        forms["slots_p%d" % p] = pickle.dumps(CASES["slotted"](), p)
        forms["dict_and_slots_p%d" % p] = pickle.dumps(slotted_dict, p)
        forms["dataclass_slots_p%d" % p] = pickle.dumps(SlotsPoint(1, 2), p)
    for p in range(6):
        forms["frozen_dataclass_slots_p%d" % p] = pickle.dumps(FrozenPoint(1, 2), p)
    # Python 2 wrote these; Python 3 still reads them.
    forms["inst_p0"] = b"(i__main__\nPoint\n(dp0\nVx\np1\nI1\nsVy\np2\nI2\nsb."
    forms["obj_p1"] = (
        b"(c__main__\nPoint\no}q\x00(X\x01\x00\x00\x00xK\x01X\x01\x00\x00\x00yK\x02ub."
    )
    return forms


RAW = raw_pickles()


# ---------------------------------------------------------------------------
# What Python sees.

def qualified(cls):
    return "%s:%s" % (cls.__module__, cls.__qualname__)


def describe(obj):
    """A JSON image of `obj`: exact types, `vars()` in order, slot values."""
    if obj is None or type(obj) in (bool, str):
        return obj
    if isinstance(obj, enum.Enum):
        return {"enum": qualified(type(obj)), "value": describe(obj.value)}
    if type(obj) is int:
        return obj
    if type(obj) is float:
        return {"float": repr(obj)}
    if type(obj) is bytes:
        return {"bytes": obj.hex()}
    if type(obj) is list:
        return [describe(x) for x in obj]
    if type(obj) is tuple:
        return {"tuple": [describe(x) for x in obj]}
    if type(obj) is dict:
        return {"dict": [[describe(k), describe(v)] for k, v in obj.items()]}
    cls = type(obj)
    out = {"class": qualified(cls)}
    if isinstance(obj, tuple):
        out["tuple"] = [describe(x) for x in obj]
    if hasattr(obj, "__dict__"):
        out["vars"] = [[k, describe(v)] for k, v in vars(obj).items()]
    slots = [s for c in cls.__mro__ for s in c.__dict__.get("__slots__", ()) if s != "__dict__"]
    if slots:
        out["slots"] = [[s, describe(getattr(obj, s))] for s in slots if hasattr(obj, s)]
    return out


def answer(request):
    op = request["op"]
    if op == "dumps":
        try:
            return pickle.dumps(CASES[request["case"]](), request["protocol"]).hex()
        except Exception as e:  # CPython refuses: the Rust side must refuse too
            return {"error": "%s: %s" % (type(e).__name__, e)}
    if op == "describe":
        return describe(pickle.loads(bytes.fromhex(request["pickle"])))
    if op == "describe_case":
        return describe(CASES[request["case"]]())
    if op == "raw":
        data = RAW[request["name"]]
        obj = pickle.loads(data)
        assert (obj.x, obj.y) == (1, 2), request
        return data.hex()
    raise ValueError("unknown op %r" % op)


if __name__ == "__main__":
    sys.setrecursionlimit(100_000)
    print(json.dumps([answer(r) for r in json.load(sys.stdin)]))
