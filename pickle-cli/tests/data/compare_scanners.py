"""Compares `pickle scan` with picklescan and fickling on malicious/ and benign/.

Not a test: needs `python3 -m venv /tmp/venv-scan && /tmp/venv-scan/bin/pip install picklescan fickling typing_extensions`
and a built `pickle` binary (CARGO_TARGET_DIR=/tmp/target-scan). Run from this directory.
Prints: file | our exit code | our dangerous globals | picklescan exit code | picklescan dangerous/suspicious | fickling severity.
"""
import glob, json, os, subprocess, sys
PICKLE = "/tmp/target-scan/debug/pickle"
rows = []
for path in sorted(glob.glob("malicious/*.pkl")) + sorted(glob.glob("benign/*.pkl")):
    ours = subprocess.run([PICKLE, "scan", "--json", path], capture_output=True, text=True)
    doc = json.loads(ours.stdout)["files"][0]
    od = ",".join(sorted({g["module"] + "." + g["name"] for g in doc["globals"] if g["level"] == "dangerous"}))
    ps = subprocess.run(["/tmp/venv-scan/bin/picklescan", "-p", path], capture_output=True, text=True)
    psd = [l for l in ps.stdout.splitlines() if "dangerous import" in l or "Dangerous" in l.split(":")[0]]
    psum = "err" if "ERROR" in ps.stdout + ps.stderr or "parsing" in ps.stdout else ""
    import re
    m = re.search(r"Dangerous globals: (\d+)", ps.stdout); s = re.search(r"Suspicious globals: (\d+)", ps.stdout); ndang = (m.group(1) if m else "?") + "/" + (s.group(1) if s else "?") + ("!" if "could not parse" in ps.stdout + ps.stderr else "")

    fk = subprocess.run(["/tmp/venv-scan/bin/python", "-c",
        "import sys, fickling\nfrom fickling.analysis import check_safety\nfrom fickling.fickle import Pickled\n"
        "d=open(sys.argv[1],'rb').read()\n"
        "try:\n p=Pickled.load(d)\n r=check_safety(p)\n print(r.severity.name)\nexcept Exception as e:\n print('ERROR', type(e).__name__)\n", path],
        capture_output=True, text=True)
    rows.append((os.path.basename(path), ours.returncode, od, ps.returncode, ndang, fk.stdout.strip() or fk.stderr.strip()[-80:]))
for r in rows:
    print("|".join(map(str, r)))
