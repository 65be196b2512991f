#!/bin/sh
# Seeds the fuzz corpora: every "pickle" hex field of the fixture corpus
# (tests/fixtures/corpus/*.json), decoded, plus the committed seeds in
# fuzz/seeds/<target>/, into fuzz/corpus/<target>/ (which is not committed).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
for target in loads_value loads_typed dis scan roundtrip direct; do
    mkdir -p "corpus/$target"
    if [ -d "seeds/$target" ]; then
        cp seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
    fi
done
python3 - "$here" <<'PY'
import glob, hashlib, json, os, sys

here = sys.argv[1]
targets = ["loads_value", "loads_typed", "dis", "scan", "roundtrip", "direct"]
pickles = []

def walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pickle" and isinstance(value, str):
                try:
                    pickles.append(bytes.fromhex(value))
                except ValueError:
                    pass
            else:
                walk(value)
    elif isinstance(node, list):
        for item in node:
            walk(item)

for path in sorted(glob.glob(os.path.join(here, "..", "tests", "fixtures", "corpus", "*.json"))):
    with open(path) as f:
        walk(json.load(f))
for data in pickles:
    name = hashlib.sha1(data).hexdigest()
    for target in targets:
        with open(os.path.join(here, "corpus", target, name), "wb") as f:
            f.write(data)
# Two pickles back to back for the consecutive-pickle target.
small = sorted(pickles, key=len)[:40]
for a, b in zip(small, small[1:]):
    data = a + b
    with open(os.path.join(here, "corpus", "scan", hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)
print(f"seeded {len(pickles)} fixture pickles into {len(targets)} corpora")
PY
