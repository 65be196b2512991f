#!/usr/bin/env python3
"""Differential check of `pickle dis` against `pickletools.dis` (CPython is the truth).

    python3 pickle-cli/tests/dis_differential.py PICKLE_BINARY [SEED] [COUNT]

Pickles many objects at every protocol, adds handwritten edge cases, then
mutates them (truncation, flipped, inserted and deleted bytes) up to COUNT
inputs. For each, the stdout of `PICKLE_BINARY dis -` must equal what
pickletools.dis printed (before raising, if it raised), and the exit code
must be non-zero exactly when pickletools raised. Exits 1 on any difference.
Not run by `cargo test`: a tool for changes to the disassembler or pyrepr.
"""
import collections, datetime, decimal, difflib, io, pickle, pickletools, random, subprocess, sys, warnings
BIN = sys.argv[1]
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
N = int(sys.argv[3]) if len(sys.argv) > 3 else 3000

# Classes with __dict__, __slots__ and a full __reduce__ (state, list and dict items).
class C:
    def __init__(self): self.a = 1; self.b = [self]
class S:
    __slots__ = ('x',)
    def __init__(self): self.x = 5
class R:
    def __reduce__(self): return (R, (), {'s': 1}, iter([1, 2]), iter([(3, 4)]))
    def append(self, x): pass
    def extend(self, x): pass
    def __setitem__(self, k, v): pass

def objs():
    l = [1, 2]; l.append(l)
    d = {}; d['self'] = d
    t = ([],); t[0].append(t)
    yield from [None, True, False, 0, 1, -1, 255, 256, 65535, 65536, 2**31-1, -2**31, 2**31, 2**63, -2**63-1, 2**64, 2**1000, -2**2000,
        0.0, -0.0, 1.5, float('inf'), float('-inf'), float('nan'), 1e300, 5e-324, 1e16, 0.1,
        '', 'a', "it's", 'a"b', '\'"', '\n\t\\', '\x00\x7f\x85\xa0', 'é', '中文', '🐍', '\ud800', '\udc00x\ud83d', 'a\u2028b', '\u200b', 'x' * 300, 'y' * 70000,
        b'', b'a', b"'", b'"\'', bytes(range(256)), b'z' * 70000, bytearray(b'ab'), bytearray(), bytearray(b'q' * 70000),
        [], (), {}, set(), frozenset(), [1, [2, [3]]], (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), {'a': 1, 'b': [2]}, {1, 2, 3}, frozenset({'a'}),
        l, d, t, list(range(2500)), {i: None for i in range(1001)}, set(range(1001)),
        C(), S(), R(), complex(1, 2), datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2, 3, 4, 5, 6), decimal.Decimal('1.5'),
        collections.OrderedDict(a=1), collections.defaultdict(list), len, pickle.Pickler, range(5), slice(1, 2), Ellipsis, NotImplemented,
        type(None), [[[[[[[[[[]]]]]]]]]], pickle.PickleBuffer(b'abc'), pickle.PickleBuffer(bytearray(b'xyz'))]

base = []
for o in objs():
    for p in range(6):
        try:
            base.append(pickle.dumps(o, protocol=p))
        except Exception:
            pass
        try:
            if p == 5:
                base.append(pickle.dumps(o, protocol=5, buffer_callback=lambda b: False))
        except Exception:
            pass
# persistent ids
class PP(pickle.Pickler):
    def persistent_id(self, o):
        return 'pid' + str(o) if isinstance(o, int) and o > 100 else None
for p in range(6):
    f = io.BytesIO(); PP(f, protocol=p).dump([1, 200, 'x']); base.append(f.getvalue())
# Handwritten edge cases: quoting and escapes, Python's int()/float() rules,
# surrogates, memo and mark misuse, huge lengths, ints past repr's 4300 digits.
hand = [b"S'abc'\n.", b'S"abc"\n.', b"S'a\\x41\\n\\\\'\n.", b"S'\\q'\n.", b"S'\n.", b'S"\n.', b"Sabc\n.", b"S'abc\"\n.", b"S'\\xe9'\n.", b"S'\\400'\n.",
        b'I00\n.', b'I01\n.', b'I 5 \n.', b'I1_0\n.', b'I-0\n.', b'L5L\n.', b'L5\n.', b'LL\n.', b'F1.5\n.', b'Fnan\n.', b'F-inf\n.', b'F1_0.5\n.', b'F1e\n.',
        b'V\\u00e9\n.', b'V\\\\u00e9\n.', b'V\\U0001f40d\n.', b'V\\ud83d\\udc0d\n.', b'V\xe9\n.', b'Va\\\n.', b'V\\u12\n.',
        b'cos\nsystem\n.', b'c\n\n.', b'cmod\\x41\nname\n.', b'Pabc\n.', b'P\n.', b'(i__main__\nC\n.', b'(c__main__\nC\no.',
        b'\x82\x01.', b'\x83\x01\x02.', b'\x84\xff\xff\xff\xff.', b'N2.', b'N20.', b'(1N.', b'(N1.', b'(((lll.',
        b'I1\np00\ng0\n.', b'I1\np01\ng1\n.', b'I1\np99999999999999999999999\ng99999999999999999999999\n0.', b'I1\np-1\ng-1\n.',
        b'\x80\x05\x97\x98.', b'\x80\x05\x97.', b'\x98.', b'\x95\x00\x00\x00\x00\x00\x00\x00\x00N.', b'\x95\xff\xff\xff\xff\xff\xff\xff\xffN.',
        b'\x8a\x00.', b'\x8a\x01\xff.', b'\x8b\x00\x00\x00\x00.', b'\x8b\xff\xff\xff\xff.', b'U\x02\xe9\xff.', b'T\x01\x00\x00\x00\xff.', b'T\xff\xff\xff\xff.',
        b'\x8c\x03\xed\xa0\x80.', b'\x8c\x01\xff.', b'X\x02\x00\x00\x00\xc3\xa9.', b'\x8d\x01\x00\x00\x00\x00\x00\x00\x00a.',
        b'\x8e\x00\x00\x00\x00\x00\x00\x00\x80.', b'\x96\x00\x00\x00\x00\x00\x00\x00\x80.', b'.', b'', b'(.', b'0.', b'(0.', b'(t0.',
        b'(\x85t.', b']\x94\x94.', b'(\x94.', b'\x94.', b'p0\n.', b'(p0\n.', b'h\x00.', b'j\x00\x00\x00\x00.', b'N\x94h\x00h\x00.', b'Nq\x00q\x00.',
        b'NNN\x93.', b'N\x93.', b'NN\x81.', b'NNN\x92.', b'(NNo.', b'(o.', b'NNR.', b'NNb.', b'NQ.', b'Q.', b'}NNs.', b'}(NNu.', b'}(Nu.', b'\x8f(N\x90.', b'(\x91.',
        b'N\x00.', b'N\xff', b'I\n.', b'I12', b'Ia\n.', b'G\x00\x00', b'G\x7f\xf8\x00\x00\x00\x00\x00\x00.', b'G\x80\x00\x00\x00\x00\x00\x00\x00.',
        b'\x8b' + (2000).to_bytes(4, 'little') + b'\x01' * 2000 + b'.', b'\x8b' + (1786).to_bytes(4, 'little') + b'\x01' * 1786 + b'.', b'\x8b' + (1787).to_bytes(4, 'little') + b'\xff' * 1786 + b'\x7f.',
        b'L' + b'1' * 4300 + b'\n.', b'L' + b'1' * 4301 + b'\n.', b'I' + b'1_' * 3000 + b'1\n.',
        b'\x80\x06N.', b'\x80\xffN.', b'(K\x01K\x02.', b'K\x01K\x02.', b'(K\x010.',
        ]
base += hand
def mutate(b):
    b = bytearray(b)
    r = random.random()
    if not b: return bytes([random.randrange(256)])
    if r < 0.3:
        return bytes(b[:random.randrange(len(b) + 1)])
    n = random.randint(1, 3)
    for _ in range(n):
        k = random.random()
        if not b: break
        i = random.randrange(len(b))
        if k < 0.4: b[i] = random.randrange(256)
        elif k < 0.6: b[i] = random.choice(b'()0123.NKJMqhjpgaetsdul\x85\x86\x87\x94\x93\x81\x92Rbio')
        elif k < 0.8: del b[i]
        else: b.insert(i, random.choice(b'()0.12\x94Nt\n'))
    return bytes(b)

cases = [x for x in base if len(x) < 200000]
small = [x for x in base if len(x) < 3000]
while len(cases) < N:
    cases.append(mutate(random.choice(small)))

def py_dis(data):
    out = io.StringIO()
    try:
        pickletools.dis(data, out)
        err = None
    except Exception as e:
        err = type(e).__name__ + ': ' + str(e)
    return out.getvalue(), err

warnings.simplefilter('ignore')  # escape_decode warns about unknown escapes
bad = 0
stats = collections.Counter()
for i, data in enumerate(cases):
    exp, err = py_dis(data)
    r = subprocess.run([BIN, 'dis', '-'], input=data, capture_output=True)
    got = r.stdout.decode('utf-8', 'replace')
    ok = got == exp and ((r.returncode != 0) == (err is not None))
    stats['err' if err else 'ok'] += 1
    if not ok:
        bad += 1
        if bad <= 10:
            print('MISMATCH', data[:120], 'py err:', err, 'rc:', r.returncode, r.stderr.decode()[:200])
            print(''.join(list(difflib.unified_diff(exp.splitlines(1), got.splitlines(1)))[:20]))
    if b'panicked' in r.stderr:
        bad += 1
        print('PANIC', data[:120])
print('cases', len(cases), 'bad', bad, dict(stats))
sys.exit(1 if bad else 0)
