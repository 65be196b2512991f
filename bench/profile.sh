#!/usr/bin/env bash
# Where one measurement's time goes: `perf record` of the Rust runner, then
# the share of each binary (ours, libc's malloc, the kernel's page faults)
# and the top symbols. Needs `perf` and the workloads (scripts/bench.sh
# makes them).
#
#   bench/profile.sh SIDE WORKLOAD OP [RUNS]     e.g. bench/profile.sh typed b loads
#
# The profile covers the whole process: the setup (reading the input, and
# for dumps loading it first) and the untimed drop of each result too.
set -euo pipefail
cd "$(dirname "$0")/.."
side=$1 workload=$2 op=$3 runs=${4:-10}
data=target/bench-data
cargo build --release -p pickle-bench >&2
out=$(mktemp)
perf record -q -o "$out" -- target/release/pickle-bench \
    --side "$side" --workload "$workload" --op "$op" --data "$data" --runs "$runs" >/dev/null
echo "== $side $workload $op: share by binary"
perf report -i "$out" --no-children --stdio --sort dso 2>/dev/null | grep -E '^ +[0-9]'
echo "== top symbols"
perf report -i "$out" --no-children --stdio 2>/dev/null | grep -E '^ +[0-9]+\.[0-9]+%' | head -"${TOP:-15}"
rm -f "$out"
