"""Writes the hand-made malicious pickles of malicious/ (bytes only; NEVER load them).

    python3 pickle-cli/tests/data/make_malicious.py

Every one calls or reaches something dangerous if loaded by CPython's
pickle; `pickle scan` must not exit 0 on any of them.
"""
import os

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "malicious")
OS_SYSTEM_P0 = b"cos\nsystem\n(S'ls'\ntR."
cases = {
    # GLOBAL os.system; MARK; STRING 'ls'; TUPLE; REDUCE
    "os_system_p0": OS_SYSTEM_P0,
    # len and os.system memoized and popped; BINGET 1 brings os.system back
    "memo_binget": b"\x80\x02cbuiltins\nlen\nq\x000cos\nsystem\nq\x010h\x01X\x02\x00\x00\x00ls\x85R.",
    # STACK_GLOBAL os.system memoized with MEMOIZE, popped, fetched again
    "memoize_stack_global": b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x940h\x02\x8c\x02ls\x85R.",
    # the STACK_GLOBAL operands come only from the memo
    "stack_global_memo_operands": b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x860h\x00h\x01\x93)R.",
    # a decoy global popped before REDUCE
    "reduce_after_pop": b"cos\nsystem\ncbuiltins\nlen\n0(S'ls'\ntR.",
    # a harmless pickle, STOP, then os.system('ls')
    "second_pickle_after_stop": b"K\x01." + OS_SYSTEM_P0,
    # __builtin__.eval at protocol 2 (mapped) and 3 (not mapped)
    "builtin_eval_p2": b"\x80\x02c__builtin__\neval\nX\x01\x00\x00\x001\x85R.",
    "builtin_eval_p3": b"\x80\x03c__builtin__\neval\nX\x01\x00\x00\x001\x85R.",
    "posix_system": b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00ls\x85R.",
    # MARK; STRING 'ls'; INST os system
    "inst_os_system": b"(S'ls'\nios\nsystem\n.",
    # MARK; GLOBAL os.system; STRING 'ls'; OBJ
    "obj_os_system": b"(cos\nsystem\nS'ls'\no.",
    # STACK_GLOBAL posix.system; (); {}; NEWOBJ_EX
    "newobj_ex_posix": b"\x80\x04\x8c\x05posix\x8c\x06system\x93)}\x92.",
    # EXT2 0x1234, a code the loading process might have registered
    "ext_unregistered": b"\x80\x02\x83\x34\x12)R.",
    # functools.partial(os.system)('ls')
    "partial_os_system": b"\x80\x02cfunctools\npartial\ncos\nsystem\n\x85RX\x02\x00\x00\x00ls\x85R.",
    # BUILD on the global os.system (CPython sets its __dict__)
    "build_on_global": b"\x80\x02cos\nsystem\n}b.",
    # BUILD on a harmless global, then os.system('ls'): a refused opcode first
    "build_on_global_then_call": b"\x80\x02cbuiltins\nlen\n}b0cos\nsystem\nX\x02\x00\x00\x00ls\x85R.",
    # getattr(posixpath, 'os')... as a protocol-4 dotted qualname: posixpath.os.system
    "qualname_chain": b"\x80\x04\x8c\tposixpath\x8c\tos.system\x93\x8c\x02ls\x85R.",
    # STACK_GLOBAL with Python 2 str operands (SHORT_BINSTRING)
    "stack_global_binstring": b"\x80\x04U\nsubprocessU\x05Popen\x93U\x02ls\x85R.",
    "builtin_apply_p2": b"\x80\x02c__builtin__\napply\ncos\nsystem\nX\x02\x00\x00\x00ls\x85\x86R.",
    "operator_attrgetter": b"\x80\x02coperator\nattrgetter\nX\x06\x00\x00\x00system\x85R.",
    "runpy_run_code": b"\x80\x02crunpy\n_run_code\nX\x01\x00\x00\x001}\x86R.",
    # getattr(builtins.__import__('os'), 'system')('ls'): the getattr is not foldable
    "getattr_of_import": b"\x80\x02cbuiltins\ngetattr\ncbuiltins\n__import__\nX\x02\x00\x00\x00os\x85RX\x06\x00\x00\x00system\x86RX\x02\x00\x00\x00ls\x85R.",
    # invalid opcode 0xff after a harmless pickle, then os.system('ls')
    "garbage_between_pickles": b"K\x01.\xff" + OS_SYSTEM_P0,
}
os.makedirs(here, exist_ok=True)
for name, data in cases.items():
    with open(os.path.join(here, name + ".pkl"), "wb") as f:
        f.write(data)
