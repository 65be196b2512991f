#!/usr/bin/env python3
"""Run the pickle benchmark and write BENCHMARKS.md and an SVG chart.

    scripts/bench.sh [--runs N] [--rounds N] [--quick] [--data DIR] [--out FILE] [--svg FILE]

(scripts/bench.sh builds the Rust runner and calls this script with the
python from scripts/python-env.sh.)  Steps:

1. Generate the workloads with generate.py unless DIR/meta.json exists and is
   newer than generate.py and bench_classes.py.
2. Run every (side, workload, op) measurement in a fresh process, so that the
   peak RSS it reports is its own, and read the one JSON line it prints:
     - Rust: target/release/pickle-bench --side S --workload W --op OP
       --data DIR --runs N, S in typed / value / serde-pickle (plus
       "--side memcpy --workload e_inband --op copy", the bandwidth baseline);
       side typed-mimalloc is target/release/pickle-bench-mimalloc (the
       runner built with mimalloc as its allocator) with --side typed;
     - CPython: bench/py/cpython.py with the same arguments, S in cpython
       (GC on) / cpython-nogc (GC off).
   Timings (dumps, loads) run in --rounds rounds (default 3) over every side,
   a fresh process each time, and their runs are pooled: a process's memory
   layout and the machine's drift then weigh on every side alike.
   A runner that fails (or is not built) becomes an "error" cell.
3. Take medians; throughput is size / median (MB/s) and objects / median.
4. Print the tables and the speed-ups to stdout.
5. Check the performance targets and print them as PASS / FAIL lines.
6. Write the same to the Markdown file, with a "Machine" section.
7. Write the speed-up chart as hand-written SVG.

JSON contract of every runner (one line on stdout):
  {"side", "workload", "op", "times": [seconds...], "size": bytes of the
   pickle (output for dumps, input otherwise; never the .buf), "objects":
   from meta.json, "peak_rss": bytes}
  plus "peak_heap" and "final_heap" (bytes) for op "stream", and
  "live_bytes" for op "memory".
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Optional
from xml.sax.saxutils import escape

PY_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(PY_DIR))

WORKLOADS = ("a", "b", "c", "d", "e_inband", "e_oob", "e_oob_small", "f")
SERDE_WORKLOADS = ("a", "c", "d", "f")  # what serde-pickle can express
OOB_WORKLOADS = ("e_oob", "e_oob_small")
OURS = ("typed", "value")
PY_SIDES = ("cpython-nogc", "cpython")
# "typed-mimalloc" is the typed side again, in a runner built with mimalloc
# as its global allocator (the `mimalloc` feature of bench/): the allocator
# is the program's choice, and the typed loads spend most of their time in it.
MIMALLOC = "typed-mimalloc"
SIDES = ("typed", MIMALLOC, "value", "serde-pickle", "cpython-nogc", "cpython")
OPS = ("dumps", "loads", "stream", "memory")
LABEL = {
    "typed": "ours typed",
    MIMALLOC: "ours typed, mimalloc",
    "value": "ours Value",
    "serde-pickle": "serde-pickle",
    "cpython-nogc": "CPython GC off",
    "cpython": "CPython GC on",
    "memcpy": "memcpy",
}
# The CPython measurement each op is compared against (in the targets, the
# chart and the "CPython / ..." ratios): dumps does not depend on the
# collector, and loads is compared with the collector off, its best case.
REFERENCE = {"dumps": "cpython", "loads": "cpython-nogc"}
MIB = 1024 * 1024
MEMCPY_BYTES = 100 * MIB


# --------------------------------------------------------------------------
# Measurements


@dataclass
class Cell:
    """One measurement: a runner's JSON, or why there is none."""

    side: str
    workload: str
    op: str
    data: Optional[dict] = None  # the runner's JSON
    error: Optional[str] = None  # why there is no data

    @property
    def ok(self):
        return self.data is not None

    @property
    def median(self):
        return statistics.median(self.data["times"]) if self.ok and self.data["times"] else None

    @property
    def mb_per_s(self):
        m = self.median
        return self.data["size"] / 1e6 / m if m else None

    @property
    def mobj_per_s(self):
        m = self.median
        return self.data["objects"] / 1e6 / m if m else None


def plan():
    """Every (side, workload, op) to measure, in report order."""
    out = []
    for w in WORKLOADS:
        for op in ("dumps", "loads"):
            out += [("typed", w, op), (MIMALLOC, w, op), ("value", w, op)]
            if w in SERDE_WORKLOADS:
                out.append(("serde-pickle", w, op))
            out += [(s, w, op) for s in PY_SIDES]
        if w not in OOB_WORKLOADS:
            out += [(s, w, "stream") for s in OURS]
        if w == "b":
            # The collector does not change what the object holds: one CPython run.
            out += [("value", w, "memory"), ("cpython", w, "memory")]
    out.append(("memcpy", "e_inband", "copy"))
    return out


def merge(pooled, cell):
    """One measurement's runs from several processes: the times pooled, the peak RSS the highest."""
    if pooled is None or not pooled.ok:
        return cell
    if not cell.ok:
        return pooled
    pooled.data["times"] = pooled.data["times"] + cell.data["times"]
    pooled.data["peak_rss"] = max(pooled.data["peak_rss"], cell.data["peak_rss"])
    return pooled


def shown_path(path):
    """path relative to the repository root when it is inside it."""
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def run_cell(side, workload, op, args):
    """Run one measurement in a fresh process and parse its JSON line."""
    cell = Cell(side, workload, op)
    common = ["--side", side, "--workload", workload, "--op", op,
              "--data", args.data, "--runs", str(args.runs)]
    # The side the runner itself reports.
    answers = "typed" if side == MIMALLOC else side
    if side.startswith("cpython"):
        cmd = [sys.executable, os.path.join(PY_DIR, "cpython.py")] + common
    else:
        binary = args.rust_mimalloc_bin if side == MIMALLOC else args.rust_bin
        if not os.path.isfile(binary):
            cell.error = f"not built: {shown_path(binary)}"
            return cell
        common[1] = answers
        cmd = [binary] + common
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        cell.error = f"timed out after {args.timeout} s"
        return cell
    except OSError as e:
        cell.error = str(e)
        return cell
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        cell.error = lines[-1].strip() if lines else f"exit status {proc.returncode}"
        return cell
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    try:
        data = json.loads(lines[-1])
    except (IndexError, ValueError):
        cell.error = "no JSON line on stdout"
        return cell
    need = ["times", "size", "objects", "peak_rss"]
    need += {"stream": ["peak_heap", "final_heap"], "memory": ["live_bytes"]}.get(op, [])
    missing = [k for k in need if k not in data]
    if missing:
        cell.error = "JSON lacks " + ", ".join(missing)
    elif (data.get("side"), data.get("workload"), data.get("op")) != (answers, workload, op):
        cell.error = f"runner answered for {data.get('side')} {data.get('workload')} {data.get('op')}"
    elif op != "memory" and not data["times"]:
        cell.error = "no times"
    else:
        cell.data = data
    return cell


def ensure_data(data_dir):
    """Run generate.py unless meta.json is newer than the generator."""
    meta = os.path.join(data_dir, "meta.json")
    sources = [os.path.join(PY_DIR, f) for f in ("generate.py", "bench_classes.py")]
    if os.path.exists(meta) and all(os.path.getmtime(meta) > os.path.getmtime(s) for s in sources):
        return
    print(f"generating workloads in {data_dir} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, sources[0], data_dir], check=True)


# --------------------------------------------------------------------------
# Formatting


def sig(v, unit=""):
    """v to about three significant digits, thousands grouped, then unit."""
    if v is None:
        return "—"
    if v >= 100:
        return f"{v:,.0f}{unit}"
    if v >= 10:
        return f"{v:.1f}{unit}"
    if v >= 1:
        return f"{v:.2f}{unit}"
    return f"{v:.3g}{unit}"


def fmt_ms(seconds):
    return sig(None if seconds is None else seconds * 1e3)


def fmt_rate(v):
    return sig(v)


def fmt_ratio(r):
    return sig(r, "×")


def fmt_mib(b):
    return "—" if b is None else f"{b / MIB:,.1f}"


def fmt_us(seconds):
    return f"{seconds * 1e6:,.1f} µs"


def text_table(headers, rows, left=(0,)):
    """Plain-text table: the `left` columns left-aligned, the others right."""
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]

    def line(r):
        cells = [str(c).ljust(w) if i in left else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(r, widths))]
        return "  ".join(cells).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def md_table(headers, rows, left=(0,)):
    def line(r):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |"

    align = ["---" if i in left else "---:" for i in range(len(headers))]
    return [line(headers), "|" + "|".join(align) + "|"] + [line(r) for r in rows]


# --------------------------------------------------------------------------
# Report


class Report:
    def __init__(self, cells, meta, runs, rounds):
        self.cells = {(c.side, c.workload, c.op): c for c in cells}
        self.meta = meta
        self.runs = runs
        self.rounds = rounds

    def get(self, side, workload, op):
        return self.cells.get((side, workload, op))

    def speedup(self, ref_side, side, workload, op):
        """ref median / side median: how many times faster `side` is."""
        ref, ours = self.get(ref_side, workload, op), self.get(side, workload, op)
        if not (ref and ours and ref.median and ours.median):
            return None
        return ref.median / ours.median

    # ---- tables -----------------------------------------------------------

    RESULT_HEADERS = ["op / side", "median ms", "MB/s", "Mobj/s", "peak RSS MiB", "size bytes", "notes"]
    RATIO_HEADERS = ["op", "CPython GC off / typed", "CPython GC on / typed",
                     "serde-pickle / typed", "CPython / typed, mimalloc", "CPython / Value"]

    def result_rows(self, workload):
        rows = []
        for op in OPS:
            for side in SIDES:
                c = self.get(side, workload, op)
                if c is None:
                    continue
                name = f"{op} {LABEL[side]}"
                if not c.ok:
                    rows.append([name, "—", "—", "—", "—", "—", f"error: {c.error}"])
                    continue
                d = c.data
                notes = ""
                if op == "stream":
                    notes = f"peak heap {fmt_mib(d['peak_heap'])} MiB, final {fmt_mib(d['final_heap'])} MiB"
                timed = op != "memory"  # a traced load's time means nothing
                if op == "memory":
                    notes = f"live {d['live_bytes']:,} bytes ({fmt_mib(d['live_bytes'])} MiB)"
                rows.append([
                    name,
                    fmt_ms(c.median) if timed else "—",
                    fmt_rate(c.mb_per_s) if timed else "—",
                    fmt_rate(c.mobj_per_s) if timed else "—",
                    fmt_mib(d["peak_rss"]),
                    f"{d['size']:,}",
                    notes,
                ])
        return rows

    def ratio_rows(self, workload):
        rows = []
        for op in ("dumps", "loads"):
            rows.append([
                op,
                fmt_ratio(self.speedup("cpython-nogc", "typed", workload, op)),
                fmt_ratio(self.speedup("cpython", "typed", workload, op)),
                fmt_ratio(self.speedup("serde-pickle", "typed", workload, op))
                if workload in SERDE_WORKLOADS else "n/a",
                fmt_ratio(self.speedup(REFERENCE[op], MIMALLOC, workload, op)),
                fmt_ratio(self.speedup(REFERENCE[op], "value", workload, op)),
            ])
        return rows

    def workload_title(self, w):
        m = self.meta.get(w, {})
        extra = f", + {m['buffer_bytes']:,}-byte buffer" if "buffer_bytes" in m else ""
        return (f"{w}: {m.get('description', '?')} "
                f"({m.get('bytes', 0):,} bytes{extra}; {m.get('objects', 0):,} objects)")

    def memcpy_line(self):
        c = self.get("memcpy", "e_inband", "copy")
        if c is None or not c.ok:
            return f"memcpy of 100 MiB: error: {c.error if c else 'not run'}"
        fresh = statistics.median(c.data["times_fresh"]) if c.data.get("times_fresh") else None
        line = (f"memcpy of 100 MiB: median {fmt_ms(c.median)} ms = "
                f"{MEMCPY_BYTES / 1e6 / c.median:,.0f} MB/s into memory already mapped")
        if fresh:
            line += (f"; {fmt_ms(fresh)} ms = {MEMCPY_BYTES / 1e6 / fresh:,.0f} MB/s into a "
                     f"fresh allocation (`to_vec`: the page faults any new 100 MiB value pays)")
        return line

    # ---- targets ------------------------------------------------------------

    def missing(self, *keys):
        """Why some of these measurements are missing, or None."""
        bad = []
        for k in keys:
            c = self.get(*k)
            if c is None or not c.ok:
                bad.append(f"{' '.join(k)}: {c.error if c else 'not run'}")
        return "no measurement (" + "; ".join(bad) + ")" if bad else None

    def speed_targets(self, out, side):
        """The speed-up targets of `side` (typed, or typed with mimalloc), appended to `out`."""
        name = LABEL[side].removeprefix("ours ")

        def faster(workload, op, ref_side, factor, ref_label):
            label = f"{workload} {op}: {name} >= {factor}x {ref_label}"
            why = self.missing((side, workload, op), (ref_side, workload, op))
            if why:
                return out.append((False, f"{label}: {why}"))
            r = self.speedup(ref_side, side, workload, op)
            ref_ms = fmt_ms(self.get(ref_side, workload, op).median)
            ms = fmt_ms(self.get(side, workload, op).median)
            out.append((r >= factor, f"{label}: {fmt_ratio(r)} ({ref_label} {ref_ms} ms, {name} {ms} ms)"))

        faster("b", "dumps", "cpython", 5, "CPython")
        faster("b", "loads", "cpython-nogc", 5, "CPython GC off")
        for w in ("a", "c", "d"):
            faster(w, "dumps", "cpython", 3, "CPython")
            faster(w, "loads", "cpython-nogc", 3, "CPython GC off")
        for w in SERDE_WORKLOADS:
            for op in ("dumps", "loads"):
                faster(w, op, "serde-pickle", 2, "serde-pickle")

    def targets_mimalloc(self):
        """The speed-up targets again for the typed side built with mimalloc."""
        out = []
        self.speed_targets(out, MIMALLOC)
        return out

    def targets(self):
        """[(passed, text)] for every performance target."""
        out = []
        self.speed_targets(out, "typed")

        missing = self.missing



        # (e) in-band: at least half of memcpy bandwidth.
        for op in ("dumps", "loads"):
            label = f"e_inband {op}: typed throughput >= 50% of memcpy"
            why = missing(("typed", "e_inband", op), ("memcpy", "e_inband", "copy"))
            if why:
                out.append((False, f"{label}: {why}"))
                continue
            ours = self.get("typed", "e_inband", op).mb_per_s
            copy = self.get("memcpy", "e_inband", "copy")
            bw = MEMCPY_BYTES / 1e6 / copy.median
            out.append((ours >= 0.5 * bw,
                        f"{label}: {ours:,.0f} MB/s = {100 * ours / bw:.0f}% of {bw:,.0f} MB/s"))
            # The same against a copy that, like a load or a dumps, makes new memory.
            if copy.data.get("times_fresh"):
                fresh = MEMCPY_BYTES / 1e6 / statistics.median(copy.data["times_fresh"])
                out.append((ours >= 0.5 * fresh,
                            f"e_inband {op}: typed throughput >= 50% of memcpy into fresh memory: "
                            f"{ours:,.0f} MB/s = {100 * ours / fresh:.0f}% of {fresh:,.0f} MB/s"))

        # (e) out-of-band: the cost does not grow with the buffer.
        for op in ("dumps", "loads"):
            label = f"e_oob {op}: typed median <= 2 x e_oob_small + 50 µs"
            why = missing(("typed", "e_oob", op), ("typed", "e_oob_small", op))
            if why:
                out.append((False, f"{label}: {why}"))
                continue
            big = self.get("typed", "e_oob", op).median
            small = self.get("typed", "e_oob_small", op).median
            limit = 2 * small + 50e-6
            out.append((big <= limit, f"{label}: {fmt_us(big)} vs limit {fmt_us(limit)} "
                                      f"(e_oob_small {fmt_us(small)})"))

        # Streaming: the peak heap is the data plus at most 1 MiB.
        for w in WORKLOADS:
            for side in OURS:
                if (side, w, "stream") not in self.cells:
                    continue
                label = f"{w} stream {side}: peak heap <= final + 1 MiB"
                why = missing((side, w, "stream"))
                if why:
                    out.append((False, f"{label}: {why}"))
                    continue
                d = self.get(side, w, "stream").data
                margin = d["final_heap"] + MIB - d["peak_heap"]
                out.append((margin >= 0, f"{label}: peak {d['peak_heap']:,}, final {d['final_heap']:,}, "
                                         f"margin {margin / MIB:+,.3f} MiB"))

        # Memory: the Value graph of b is no bigger than CPython's objects.
        label = "b memory: Value live bytes <= CPython live bytes"
        why = missing(("value", "b", "memory"), ("cpython", "b", "memory"))
        if why:
            out.append((False, f"{label}: {why}"))
        else:
            ours = self.get("value", "b", "memory").data["live_bytes"]
            py = self.get("cpython", "b", "memory").data["live_bytes"]
            out.append((ours <= py, f"{label}: {ours:,} vs {py:,} ({ours / py:.2f}x)"))
        return out

    # ---- output -------------------------------------------------------------

    def text(self):
        lines = []
        for w in WORKLOADS:
            lines += ["", "== " + self.workload_title(w)]
            lines += text_table(self.RESULT_HEADERS, self.result_rows(w), left=(0, 6))
            lines += ["", "speed-ups (time ratio; > 1 means the second side is faster; "
                          "CPython = GC on for dumps, GC off for loads):"]
            lines += text_table(self.RATIO_HEADERS, self.ratio_rows(w))
        lines += ["", "== " + self.memcpy_line(), "", "== targets"]
        lines += [f"{'PASS' if ok else 'FAIL'}  {t}" for ok, t in self.targets()]
        lines += ["", "== the same speed-ups, typed side built with mimalloc (for reference)"]
        lines += [f"{'PASS' if ok else 'FAIL'}  {t}" for ok, t in self.targets_mimalloc()]
        return "\n".join(lines) + "\n"

    def markdown(self, machine, svg_rel, argv):
        md = [
            "# Benchmarks",
            "",
            "<!-- Generated by scripts/bench.sh; do not edit by hand. -->",
            f"Generated by `scripts/bench.sh{(' ' + ' '.join(argv)) if argv else ''}` "
            "— do not edit by hand; rerun the script instead.",
            "",
            f"![Speed-up over CPython]({svg_rel})",
            "",
            "## Machine",
            "",
        ]
        md += [f"- **{k}:** {v}" for k, v in machine.items()]
        md += [
            "",
            "## Method",
            "",
            "Sides: **ours typed** (`#[derive(Pickle)]` structs), **ours Value** (the dynamic "
            "`pickle::value::Value` graph), **serde-pickle** (the serde crate; only the workloads it "
            "can express), and CPython 3.11's C `_pickle` with the garbage collector on (**CPython GC "
            "on**, the default) and off (**CPython GC off**, `gc.disable()`). `dumps` writes "
            "protocol 5; `loads` reads from bytes in memory; `stream` reads the file with "
            "`pickle::load_seekable` (through a window, never the whole file; typed values straight "
            "from it, a `Value` through the graph) and reports the peak heap against the heap the "
            "result holds; `memory` is the "
            "memory the loaded object holds (Rust: heap in use; CPython: `tracemalloc`).",
            "",
            f"Every measurement runs in fresh processes (so peak RSS is its own): {self.rounds} "
            f"processes per `dumps`/`loads` measurement, run in rounds over all the sides so the "
            f"machine's drift falls on every side alike, each timing {self.runs} runs after the data "
            f"is in memory and untimed warm-up runs (at least 3, and for at least 0.5 s, on every "
            f"side: the allocator settles, as in a program that loads again and again); the table "
            f"reports the median of all {self.rounds * self.runs} runs "
            "(one process for `stream`, `memory` and memcpy). MB/s is pickle bytes "
            "(the `.pkl`, not the out-of-band `.buf`) / 10⁶ / median; Mobj/s is the workload's "
            "object count (elements for arrays; every container and scalar for f) / median. "
            "Speed-ups are CPython median / our median; \"CPython\" alone means GC on for `dumps` and "
            "GC off for `loads`. Data: `bench/py/generate.py` (deterministic).",
            "",
            "The Rust types (bench/src/workloads.rs, bench/src/sides.rs): a `Vec<i64>`; b "
            "`Vec<Record>`, a `#[derive(Pickle)]` struct with an `IndexMap<String, i64>`; c "
            "`IndexMap<String, f64>` (a Python dict keeps its order; std's SipHash hasher); d "
            "`Vec<String>`; e `ndarray::Array1<f64>` written as numpy 2 writes it (`Numpy2`), and "
            "`ArrayView1<f64>` borrowing the out-of-band buffer; f `#[pickle(dict)]` structs. "
            "serde-pickle reads and writes the same types through serde (it writes protocol 3). "
            "The Rust runner uses the system allocator (glibc malloc); **ours typed, mimalloc** "
            "is the typed side again in the runner built with mimalloc as its global allocator "
            "(`--features mimalloc`), which a Rust program may choose as CPython has its own "
            "small-object allocator. The targets are judged on the system allocator.",
            "",
            "## Workloads",
            "",
        ]
        wrows = []
        for w in WORKLOADS:
            m = self.meta.get(w, {})
            wrows.append([w, m.get("description", "?"), f"{m.get('bytes', 0):,}", f"{m.get('objects', 0):,}"])
        md += md_table(["workload", "description", "pickle bytes", "objects"], wrows, left=(0, 1))
        md += ["", "## Results", ""]
        for w in WORKLOADS:
            md += [f"### {self.workload_title(w)}", ""]
            md += md_table(self.RESULT_HEADERS, self.result_rows(w), left=(0, 6))
            md += [""]
            md += md_table(self.RATIO_HEADERS, self.ratio_rows(w))
            md += [""]
        md += ["## Baseline", "", self.memcpy_line() + ".", "", "## Targets", ""]
        md += [f"- **{'PASS' if ok else 'FAIL'}** {t}" for ok, t in self.targets()]
        md += ["", "### The same speed-ups, typed side built with mimalloc", "",
               "For reference: the targets are judged on the runner with the system "
               "allocator, above.", ""]
        md += [f"- **{'PASS' if ok else 'FAIL'}** {t}" for ok, t in self.targets_mimalloc()]
        return "\n".join(md) + "\n"

    # ---- chart --------------------------------------------------------------

    def svg(self, machine_short):
        bars = [("typed", "ours typed", "#2b6cb0"),
                ("value", "ours Value", "#ed8936"),
                ("serde-pickle", "serde-pickle", "#48a14d")]
        groups = []  # (workload, op, [(side, ratio or None, why)])
        for w in WORKLOADS:
            for op in ("dumps", "loads"):
                row = []
                for side, _, _ in bars:
                    if side == "serde-pickle" and w not in SERDE_WORKLOADS:
                        row.append((side, None, "n/a"))
                        continue
                    r = self.speedup(REFERENCE[op], side, w, op)
                    row.append((side, r, None if r else "error"))
                groups.append((w, op, row))

        ratios = [r for _, _, row in groups for _, r, _ in row if r]
        lo, hi = min(ratios + [0.5]) / 1.3, max(ratios + [10]) * 1.3
        steps = [m * 10 ** e for e in range(-4, 7) for m in (1, 2, 5)]
        lo = max(s for s in steps if s <= lo)
        hi = min(s for s in steps if s >= hi)
        decades = math.log10(hi / lo)
        # 1-2-5 ticks, or only the powers of ten when the range is wide.
        ticks = [s for s in steps if lo <= s <= hi and (decades <= 4 or s in steps[::3])]

        width, x0, x1 = 800, 150, 735
        bar_h, bar_gap, group_gap = 11, 2, 10
        group_h = len(bars) * bar_h + (len(bars) - 1) * bar_gap + group_gap
        top = 92
        height = top + len(groups) * group_h + 40

        def x(r):
            return x0 + (math.log(r) - math.log(lo)) / (math.log(hi) - math.log(lo)) * (x1 - x0)

        def tick_label(s):
            return (f"{s:g}" if s < 1000 else f"{s / 1000:g}k") + "×"

        title = f"Pickle speed-up over CPython 3.11 _pickle — {machine_short}"
        sub = (f"median of {self.rounds * self.runs} runs ({self.rounds} processes × {self.runs}); bars right of 1× are faster than CPython "
               "(dumps: GC on, loads: GC off); log scale")
        o = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
            f"<title>{escape(title)}</title>",
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
            f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>',
            f'<text x="{width / 2}" y="42" text-anchor="middle" font-size="11" fill="#555">{escape(sub)}</text>',
        ]
        lx = x0
        for _, name, colour in bars:
            o.append(f'<rect x="{lx}" y="54" width="12" height="12" fill="{colour}"/>')
            o.append(f'<text x="{lx + 17}" y="64">{escape(name)}</text>')
            lx += 130
        # Alternate a light band per workload so its two groups read together.
        for i, (w, op, _) in enumerate(groups):
            y = top + i * group_h
            if op == "dumps" and WORKLOADS.index(w) % 2 == 0:
                o.append(f'<rect x="0" y="{y - group_gap / 2}" width="{width}" height="{2 * group_h}" fill="#f3f4f6"/>')
        plot_bottom = top + len(groups) * group_h - group_gap / 2
        for t in ticks:
            tx = x(t)
            colour, w_ = ("#333", 1.5) if t == 1 else ("#d0d0d0", 1)
            o.append(f'<line x1="{tx:.1f}" y1="{top - 12}" x2="{tx:.1f}" y2="{plot_bottom}" stroke="{colour}" stroke-width="{w_}"/>')
            o.append(f'<text x="{tx:.1f}" y="{plot_bottom + 16}" text-anchor="middle" font-size="11" fill="#333">{tick_label(t)}</text>')
            o.append(f'<text x="{tx:.1f}" y="{top - 16}" text-anchor="middle" font-size="10" fill="#777">{tick_label(t)}</text>')
        o.append(f'<text x="{(x0 + x1) / 2}" y="{plot_bottom + 32}" text-anchor="middle" font-size="11" fill="#555">'
                 "speed-up over CPython (CPython median / our median)</text>")
        for i, (w, op, row) in enumerate(groups):
            y = top + i * group_h
            inner = group_h - group_gap
            o.append(f'<text x="{x0 - 10}" y="{y + inner / 2 + 4}" text-anchor="end" font-weight="bold">{escape(w)} {op}</text>')
            for j, (side, r, why) in enumerate(row):
                by = y + j * (bar_h + bar_gap)
                colour = bars[j][2]
                one = x(1)
                if r is None:
                    o.append(f'<text x="{one + 4:.1f}" y="{by + bar_h - 2}" font-size="10" '
                             f'fill="{"#999" if why == "n/a" else "#c53030"}">{why}</text>')
                    continue
                xr = x(min(max(r, lo), hi))
                left, right = min(one, xr), max(one, xr)
                o.append(f'<rect x="{left:.1f}" y="{by}" width="{max(right - left, 1):.1f}" height="{bar_h}" fill="{colour}">'
                         f"<title>{escape(LABEL[side])} {w} {op}: {fmt_ratio(r)}</title></rect>")
                if r >= 1:
                    o.append(f'<text x="{right + 4:.1f}" y="{by + bar_h - 2}" font-size="10">{fmt_ratio(r)}</text>')
                else:
                    o.append(f'<text x="{left - 4:.1f}" y="{by + bar_h - 2}" font-size="10" text-anchor="end">{fmt_ratio(r)}</text>')
        o.append("</svg>")
        return "\n".join(o) + "\n"


# --------------------------------------------------------------------------
# Machine


def machine_info():
    """The facts the Markdown "Machine" section lists, and a short name."""

    def sh(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "unknown"

    def proc_field(path, key):
        try:
            with open(path) as f:
                for line in f:
                    if line.split(":")[0].strip() == key:
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return None

    cpu = proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown CPU"
    mem_kb = proc_field("/proc/meminfo", "MemTotal")
    mem = f"{int(mem_kb.split()[0]) / 1024 / 1024:.1f} GiB" if mem_kb else "unknown"
    nproc = sh("nproc")
    try:
        import numpy
        numpy_version = numpy.__version__
    except ImportError:
        numpy_version = "not installed"
    info = {
        "CPU": cpu,
        "nproc": nproc,
        "Memory": mem,
        "OS": sh("uname", "-sr"),
        "Rust": sh("rustc", "--version"),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": numpy_version,
        "Date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    # A short CPU name for the chart title: "Intel(R) Xeon(R) CPU @ 2.20GHz"
    # becomes "Intel Xeon".
    short_cpu = re.sub(r"\((R|TM|tm)\)|\bCPU\b|\bProcessor\b|@.*", "", cpu)
    short_cpu = " ".join(short_cpu.split())[:40] or "unknown CPU"
    short = f"{short_cpu}, {nproc} CPUs"
    return info, short


# --------------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=7, help="timed runs per measurement (>= 5, default 7)")
    p.add_argument("--quick", action="store_true", help="5 runs")
    p.add_argument("--data", default=os.path.join(ROOT, "target", "bench-data"),
                   help="workload directory (default target/bench-data)")
    p.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"), help="Markdown report")
    p.add_argument("--svg", default=os.path.join(ROOT, "docs", "benchmarks.svg"), help="SVG chart")
    target_dir = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    p.add_argument("--rust-bin", default=os.path.join(target_dir, "release", "pickle-bench"),
                   help="the Rust runner (default target/release/pickle-bench)")
    p.add_argument("--rust-mimalloc-bin",
                   default=os.path.join(target_dir, "release", "pickle-bench-mimalloc"),
                   help="the Rust runner built with --features mimalloc")
    p.add_argument("--timeout", type=int, default=1800, help="seconds per measurement process")
    p.add_argument("--rounds", type=int, default=3,
                   help="fresh processes per timed measurement, run in rounds over every side "
                        "so the machine's drift falls on all alike; their runs are pooled (default 3)")
    args = p.parse_args()
    if args.quick:
        args.runs = 5
    if args.runs < 5:
        p.error("--runs must be at least 5")
    args.data = os.path.abspath(args.data)
    args.rust_bin = os.path.abspath(args.rust_bin)
    args.rust_mimalloc_bin = os.path.abspath(args.rust_mimalloc_bin)

    ensure_data(args.data)
    with open(os.path.join(args.data, "meta.json")) as f:
        meta = json.load(f)

    todo = plan()
    cells = {}
    rounds = max(1, args.rounds)
    for r in range(rounds):
        # Memory and bandwidth measurements run once; timings once per round.
        batch = [t for t in todo if r == 0 or t[2] in ("dumps", "loads")]
        for i, (side, w, op) in enumerate(batch, 1):
            print(f"[{r + 1}/{rounds} {i:>2}/{len(batch)}] {side:<13} {w:<12} {op:<7}",
                  end=" ", file=sys.stderr, flush=True)
            c = run_cell(side, w, op, args)
            cells[(side, w, op)] = merge(cells.get((side, w, op)), c)
            if not c.ok:
                status = f"error: {c.error}"
            elif op == "memory":
                status = f"live {c.data['live_bytes']:,} bytes"
            else:
                status = f"{fmt_ms(c.median)} ms"
            print(status, file=sys.stderr, flush=True)
    cells = [cells[t] for t in todo]

    report = Report(cells, meta, args.runs, rounds)
    machine, machine_short = machine_info()
    sys.stdout.write(report.text())

    for path in (args.out, args.svg):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    svg_rel = os.path.relpath(os.path.abspath(args.svg), os.path.dirname(os.path.abspath(args.out)))
    argv = sys.argv[1:]
    with open(args.out, "w") as f:
        f.write(report.markdown(machine, svg_rel.replace(os.sep, "/"), argv))
    with open(args.svg, "w") as f:
        f.write(report.svg(machine_short))
    print(f"\nwrote {args.out} and {args.svg}", file=sys.stderr)


if __name__ == "__main__":
    main()
