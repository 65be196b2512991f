#!/usr/bin/env python3
"""Writes the malicious pickle corpus: tests/malicious/*.pkl and manifest.json.

Every file is hand-crafted from opcode bytes. This script never unpickles
anything (no pickle.loads, no pickle.load, no Unpickler): most of these files
would run a shell command, import a module or exhaust memory if CPython
loaded them.

The manifest says, for each file, what it is and what the Rust unpickler must
do with it, as `tests/malicious.rs` checks in a child process:

  "outcome": "loads inertly"         -- loads::<Value> succeeds; every global
                                        is kept as an inert opaque object and
                                        nothing is called or imported;
  "outcome": "refused: <ErrorKind>"  -- loads::<Value> fails with that kind.
  "typed":   the same for a typed read of the whole graph as a tree
             (absent: anything but a crash or a timeout).

Run it from anywhere: python3 tests/malicious/generate.py
The output is deterministic; the files are committed.
"""

import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# -- Opcodes (pickletools names) ----------------------------------------------
MARK = b"("
STOP = b"."
POP = b"0"
NONE = b"N"
REDUCE = b"R"
BUILD = b"b"
TUPLE = b"t"
TUPLE1 = b"\x85"
TUPLE2 = b"\x86"
EMPTY_TUPLE = b")"
EMPTY_LIST = b"]"
EMPTY_DICT = b"}"
LIST = b"l"
APPEND = b"a"
APPENDS = b"e"
NEWOBJ = b"\x81"
MEMOIZE = b"\x94"
STACK_GLOBAL = b"\x93"


def proto(n):
    return b"\x80" + bytes([n])


def glob(module, name):
    """GLOBAL: module and name as text lines."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def inst(module, name):
    return b"i" + module.encode() + b"\n" + name.encode() + b"\n"


def string(s):
    """STRING (protocol 0): a quoted Python 2 str."""
    return b"S" + repr(s).encode() + b"\n"


def short_unicode(s):
    b = s.encode()
    assert len(b) < 256
    return b"\x8c" + bytes([len(b)]) + b


def binunicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def short_bytes(b):
    return b"C" + bytes([len(b)]) + b


def binput(i):
    return b"q" + bytes([i])


def binget(i):
    return b"h" + bytes([i])


def call(callable_, *args):
    """callable(*args) through MARK ... TUPLE REDUCE."""
    return callable_ + MARK + b"".join(args) + TUPLE + REDUCE


FILES = []


def add(name, data, what, outcome, typed=None):
    FILES.append((name, data, what, outcome, typed))


INERT = "loads inertly"


def refused(kind):
    return "refused: " + kind


# -- Code execution through REDUCE ----------------------------------------------

CMD = "echo PWNED > /tmp/pickle-malicious-pwned"

add("os_system.pkl", call(glob("os", "system"), string(CMD)) + STOP,
    "os.system(cmd) via GLOBAL + REDUCE (protocol 0)", INERT)
add("posix_system.pkl", proto(2) + call(glob("posix", "system"), binunicode(CMD)) + STOP,
    "posix.system(cmd) via REDUCE (protocol 2)", INERT)
add("nt_system.pkl", proto(2) + call(glob("nt", "system"), binunicode(CMD)) + STOP,
    "nt.system(cmd) via REDUCE", INERT)
add("subprocess_popen.pkl",
    proto(2) + glob("subprocess", "Popen") + MARK
    + EMPTY_LIST + MARK + binunicode("sh") + binunicode("-c") + binunicode(CMD) + APPENDS
    + TUPLE + REDUCE + STOP,
    "subprocess.Popen(['sh', '-c', cmd]) via REDUCE", INERT)
add("subprocess_check_output_kwargs.pkl",
    proto(4) + short_unicode("subprocess") + short_unicode("check_output") + STACK_GLOBAL
    + MARK + short_unicode(CMD) + TUPLE
    + EMPTY_DICT + short_unicode("shell") + b"\x88" + b"s"
    + b"\x92" + STOP,
    "subprocess.check_output(cmd, shell=True) via NEWOBJ_EX with kwargs", INERT)

# -- builtins -----------------------------------------------------------------

add("builtins_eval.pkl",
    proto(2) + call(glob("builtins", "eval"), binunicode("__import__('os').system('id')")) + STOP,
    "builtins.eval(source) via REDUCE", INERT)
add("builtins_exec.pkl",
    proto(2) + call(glob("builtins", "exec"), binunicode("import os; os.system('id')")) + STOP,
    "builtins.exec(source) via REDUCE", INERT)
add("py2_builtin_eval.pkl",
    call(glob("__builtin__", "eval"), string("__import__('os').system('id')")) + STOP,
    "__builtin__.eval (Python 2 name, mapped by fix_imports) via REDUCE", INERT)
add("builtins_getattr_chain.pkl",
    proto(2)
    + glob("builtins", "getattr") + MARK
    + call(glob("builtins", "__import__"), binunicode("os"))
    + binunicode("system") + TUPLE + REDUCE
    + MARK + binunicode(CMD) + TUPLE + REDUCE + STOP,
    "getattr(__import__('os'), 'system')(cmd): REDUCE on the result of REDUCE", INERT)
add("builtins_getattr_on_global.pkl",
    proto(2)
    + call(glob("builtins", "getattr"), glob("os", "system"), binunicode("__call__"))
    + MARK + binunicode(CMD) + TUPLE + REDUCE + STOP,
    "getattr(os.system, '__call__')(cmd)", INERT)
add("builtins_import.pkl",
    proto(2) + call(glob("builtins", "__import__"), binunicode("os")) + STOP,
    "builtins.__import__('os')", INERT)
add("builtins_open.pkl",
    proto(2) + call(glob("builtins", "open"), binunicode("/etc/passwd"), binunicode("w")) + STOP,
    "builtins.open('/etc/passwd', 'w')", INERT)
add("builtins_compile_exec.pkl",
    proto(2)
    + glob("builtins", "exec") + MARK
    + call(glob("builtins", "compile"), binunicode("import os"), binunicode("<x>"), binunicode("exec"))
    + TUPLE + REDUCE + STOP,
    "exec(compile(src, '<x>', 'exec'))", INERT)
add("builtins_newobj_eval.pkl",
    proto(2) + glob("builtins", "eval") + MARK + binunicode("1+1") + TUPLE + NEWOBJ + STOP,
    "NEWOBJ with builtins.eval as the class", refused("TypeMismatch"))

# -- Importers and code objects -----------------------------------------------

add("importlib_import_module.pkl",
    proto(2) + call(glob("importlib", "import_module"), binunicode("os")) + STOP,
    "importlib.import_module('os')", INERT)
add("runpy_run_path.pkl",
    proto(2) + call(glob("runpy", "run_path"), binunicode("/tmp/evil.py")) + STOP,
    "runpy.run_path('/tmp/evil.py')", INERT)
add("marshal_function.pkl",
    proto(2)
    + glob("types", "FunctionType") + MARK
    + call(glob("marshal", "loads"), short_bytes(b"\xe3" + b"\x00" * 40))
    + EMPTY_DICT + TUPLE + REDUCE
    + EMPTY_TUPLE + REDUCE + STOP,
    "types.FunctionType(marshal.loads(code), {})() -- the function is called", INERT)

# -- INST and OBJ -------------------------------------------------------------

add("inst_os_system.pkl", MARK + string(CMD) + inst("os", "system") + STOP,
    "os.system(cmd) via INST (protocol 0)", INERT)
add("obj_os_system.pkl", MARK + glob("os", "system") + string(CMD) + b"o" + STOP,
    "os.system(cmd) via OBJ (protocol 1)", INERT)
add("inst_subprocess_call.pkl",
    MARK + EMPTY_LIST + MARK + string("sh") + string("-c") + string(CMD) + APPENDS
    + inst("subprocess", "call") + STOP,
    "subprocess.call([...]) via INST", INERT)

# -- Hiding -------------------------------------------------------------------

add("reduce_after_pop.pkl",
    proto(2) + call(glob("os", "system"), binunicode(CMD)) + POP + NONE + STOP,
    "os.system(cmd) via REDUCE whose result is POPped: the pickle returns None", INERT)
add("reduce_hidden_in_pop_mark.pkl",
    proto(2) + MARK + call(glob("os", "system"), binunicode(CMD)) + b"1" + NONE + STOP,
    "a REDUCE inside a MARK that POP_MARK throws away", INERT)
add("build_setstate_global.pkl",
    proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    + EMPTY_DICT + short_unicode("__setstate__") + glob("os", "system") + b"s"
    + BUILD + STOP,
    "BUILD with a state dict naming os.system as __setstate__", INERT)
add("stack_global_os_path.pkl",
    proto(4) + short_unicode("os.path") + short_unicode("join") + STACK_GLOBAL
    + short_unicode("a") + TUPLE1 + REDUCE + STOP,
    "STACK_GLOBAL of module 'os.path'", INERT)
add("stack_global_dotted_name.pkl",
    proto(4) + short_unicode("builtins") + short_unicode("__dict__.get") + STACK_GLOBAL
    + short_unicode("eval") + TUPLE1 + REDUCE
    + short_unicode("1") + TUPLE1 + REDUCE + STOP,
    "STACK_GLOBAL builtins.__dict__.get('eval')('1'): a dotted qualname", INERT)
add("stack_global_dunder_class.pkl",
    proto(4) + short_unicode("builtins") + short_unicode("str.__class__.__subclasses__")
    + STACK_GLOBAL + EMPTY_TUPLE + REDUCE + STOP,
    "STACK_GLOBAL of a dunder attribute path", INERT)
add("stack_global_not_str.pkl",
    proto(4) + b"K\x01" + short_unicode("system") + STACK_GLOBAL + STOP,
    "STACK_GLOBAL whose module is an int", refused("TypeMismatch"))
add("memo_hidden_global.pkl",
    proto(2) + glob("os", "system") + binput(7) + POP
    + EMPTY_LIST + binput(1) + POP
    + binget(7) + MARK + binunicode(CMD) + TUPLE + REDUCE + STOP,
    "os.system stored in the memo, popped, and fetched back with BINGET for the REDUCE", INERT)
add("memoize_overwrite_global.pkl",
    proto(4) + b"\x95" + struct.pack("<Q", 0)
    + short_unicode("harmless") + b"p0\n" + POP
    + short_unicode("os") + short_unicode("system") + STACK_GLOBAL + b"p0\n" + POP
    + b"g0\n" + short_unicode(CMD) + TUPLE1 + REDUCE + STOP,
    "text PUT 0 of a str, overwritten by PUT 0 of os.system, GET 0 called", INERT)
add("memo_get_missing.pkl",
    proto(2) + binget(9) + EMPTY_TUPLE + REDUCE + STOP,
    "BINGET of a memo key never PUT", refused("MissingMemo"))
add("ext1_unregistered.pkl", proto(2) + b"\x82\x01" + EMPTY_TUPLE + REDUCE + STOP,
    "EXT1 code 1 (copyreg extension registry) with nothing registered", refused("UnknownExtension"))
add("ext2_unregistered.pkl", proto(2) + b"\x83\xff\x7f" + STOP,
    "EXT2 code 0x7fff", refused("UnknownExtension"))
add("ext4_unregistered.pkl", proto(2) + b"\x84\xff\xff\xff\x7f" + STOP,
    "EXT4 code 0x7fffffff", refused("UnknownExtension"))
add("persid_os_system.pkl", b"P" + b"os.system\n" + STOP,
    "PERSID without a persistent_load hook: kept as a persistent id", INERT)

# -- Huge declared lengths ----------------------------------------------------
# Each declares far more bytes than the file holds; nothing may be allocated
# from the declared length.

HUGE32 = struct.pack("<I", 0xFFFFFFF0)
HUGE64 = struct.pack("<Q", 1 << 62)
TAIL = b"xxxx"
add("len_binstring.pkl", b"T" + HUGE32 + TAIL, "BINSTRING declaring 4 GiB", refused("Truncated"))
add("len_short_binstring.pkl", b"U\xff" + TAIL, "SHORT_BINSTRING declaring 255 bytes", refused("Truncated"))
add("len_binunicode.pkl", proto(2) + b"X" + HUGE32 + TAIL, "BINUNICODE declaring 4 GiB", refused("Truncated"))
add("len_short_binunicode.pkl", proto(4) + b"\x8c\xff" + TAIL, "SHORT_BINUNICODE declaring 255 bytes", refused("Truncated"))
add("len_binunicode8.pkl", proto(4) + b"\x8d" + HUGE64 + TAIL, "BINUNICODE8 declaring 2**62 bytes", refused("Truncated"))
add("len_binbytes.pkl", proto(3) + b"B" + HUGE32 + TAIL, "BINBYTES declaring 4 GiB", refused("Truncated"))
add("len_short_binbytes.pkl", proto(3) + b"C\xff" + TAIL, "SHORT_BINBYTES declaring 255 bytes", refused("Truncated"))
add("len_binbytes8.pkl", proto(4) + b"\x8e" + HUGE64 + TAIL, "BINBYTES8 declaring 2**62 bytes", refused("Truncated"))
add("len_bytearray8.pkl", proto(5) + b"\x96" + HUGE64 + TAIL, "BYTEARRAY8 declaring 2**62 bytes", refused("Truncated"))
add("len_long1.pkl", proto(2) + b"\x8a\xff" + TAIL, "LONG1 declaring 255 bytes", refused("Truncated"))
add("len_long4.pkl", proto(2) + b"\x8b" + struct.pack("<i", 2**31 - 1) + TAIL, "LONG4 declaring 2**31-1 bytes", refused("Truncated"))
add("len_long4_2gib.pkl", proto(2) + b"\x8b" + struct.pack("<I", 2**31) + TAIL, "LONG4 of 2**31 bytes (a negative i32 length)", refused("InvalidArgument"))
add("len_frame.pkl", proto(4) + b"\x95" + HUGE64 + NONE + STOP, "FRAME declaring 2**62 bytes", refused("Truncated"))
add("len_frame_4gib.pkl", proto(4) + b"\x95" + struct.pack("<Q", 1 << 32) + NONE + STOP, "FRAME declaring 4 GiB", refused("Truncated"))

# -- Resource exhaustion ------------------------------------------------------

N = 10**6
add("long_binput_max.pkl", proto(2) + NONE + b"r\xff\xff\xff\xff" + STOP,
    "LONG_BINPUT 0xFFFFFFFF: a memo index of 4 Gi (a sparse memo: nothing big is allocated)", INERT)
add("long_binget_max.pkl", proto(2) + b"j\xff\xff\xff\xff" + STOP,
    "LONG_BINGET 0xFFFFFFFF", refused("MissingMemo"))
add("marks_1e6.pkl", MARK * N + STOP, "10**6 MARKs, then STOP", refused("StackUnderflow"))
add("marks_2e6.pkl", MARK * (2 * N) + STOP, "2*10**6 MARKs: past the stack limit", refused("StackLimit"))
add("nested_lists_1e6.pkl", MARK * N + EMPTY_LIST + LIST * N + STOP,
    "a list nested 10**6 deep: (((...](...lll", INERT, typed=refused("StackLimit"))
add("empty_lists_1e6.pkl", EMPTY_LIST * N + STOP, "10**6 `]` left on the stack", INERT)
add("nested_append_1e6.pkl", proto(2) + EMPTY_LIST + EMPTY_LIST * N + APPEND * N + STOP,
    "10**6 `]` then 10**6 APPEND: a list nested 10**6 deep", INERT, typed=refused("StackLimit"))
add("nested_tuples_1e6.pkl", proto(2) + EMPTY_TUPLE + TUPLE1 * N + STOP,
    "a 1-tuple nested 10**6 deep via TUPLE1", INERT, typed=refused("StackLimit"))

laughs = proto(2) + NONE
for _ in range(30):
    laughs += binput(0) + POP + EMPTY_LIST + MARK + binget(0) * 10 + APPENDS
laughs += STOP
add("billion_laughs.pkl", laughs,
    "memo fan-out: x = None; a = [x]*10; b = [a]*10; ... 30 levels: 10**30 leaves in %d bytes" % len(laughs),
    INERT, typed=refused("ExpansionLimit"))

laughs_dict = proto(2) + NONE
for i in range(40):
    laughs_dict += binput(0) + POP + EMPTY_DICT + MARK
    for k in range(4):
        laughs_dict += b"K" + bytes([k]) + binget(0)
    laughs_dict += b"u"
laughs_dict += STOP
add("billion_laughs_dict.pkl", laughs_dict,
    "memo fan-out through dicts: 40 levels of {0: a, 1: a, 2: a, 3: a}",
    INERT, typed=refused("ExpansionLimit"))

add("memo_1e6.pkl", proto(4) + NONE + MEMOIZE * N + STOP, "10**6 memo entries by MEMOIZE", INERT)
add("memo_sparse_binput.pkl",
    proto(2) + NONE + b"".join(b"r" + struct.pack("<I", i * 4099) for i in range(4096)) + STOP,
    "4096 LONG_BINPUTs at indices spread over 16 Mi", INERT)
add("int_text_1e6_digits.pkl", b"I" + b"7" * N + b"\n" + STOP, "INT of 10**6 decimal digits (CPython's 4300-digit limit)", refused("InvalidArgument"))
add("long_text_1e6_digits.pkl", b"L" + b"7" * N + b"L\n" + STOP, "LONG of 10**6 decimal digits", refused("InvalidArgument"))
add("dup_list_1e6.pkl", proto(2) + EMPTY_LIST + NONE + APPEND + (b"2" + APPEND) * (N // 2) + STOP,
    "a list appended to itself 5*10**5 times via DUP", INERT)
add("long4_1mib.pkl", proto(2) + b"\x8b" + struct.pack("<i", 1 << 20) + b"\x7f" * (1 << 20) + STOP,
    "LONG4 of 1 MiB: an int of 8 Mi bits (Debug must not convert it to decimal)", INERT)
add("dup_items_1e6.pkl", proto(2) + EMPTY_LIST + MARK + NONE + b"2" * N + APPENDS + STOP,
    "a list of 10**6+1 references to one None via DUP", INERT)
add("str_4mib_debug.pkl", proto(4) + b"\x8d" + struct.pack("<Q", 4 << 20) + b"\xc3\xa9" * (2 << 20) + STOP,
    "a 4 MiB str: Debug stops at its 1 MiB budget", INERT)
add("bytes_4mib_borrowed.pkl", proto(4) + b"\x8e" + struct.pack("<Q", 4 << 20) + b"\x00" * (4 << 20) + STOP,
    "4 MiB BINBYTES8 (real bytes: borrowed, not copied)", INERT)


def main():
    manifest = []
    names = set()
    for name, data, what, outcome, typed in FILES:
        assert name not in names, name
        names.add(name)
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        entry = {"file": name, "what": what, "bytes": len(data)}
        if outcome is not None:
            entry["outcome"] = outcome
        if typed is not None:
            entry["typed"] = typed
        manifest.append(entry)
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
