#!/usr/bin/env bash
# The async benchmark: ferrolite::tokio::Connection::call against
# tokio-rusqlite's Connection::call, 100,000 small point-select calls each,
# measured in the same run, alternately (ferrolite, tokio-rusqlite,
# ferrolite, ...). Prints one markdown table of medians (wall time per call)
# and writes it to bench/async/results.md. See BENCHMARKS.md, "Async calls".
#
#   bench/async/run.sh [--reps R] [--calls N]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPS=7
CALLS=100000
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) REPS=$2; shift ;;
        --calls) CALLS=$2; shift ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HERE/target}
(cd "$HERE" && cargo build --release --quiet)
BIN=$CARGO_TARGET_DIR/release
python3 - "$BIN" "$CALLS" "$REPS" <<'PY' | tee "$HERE/results.md"
# Runs every workload alternately (ferrolite, tokio-rusqlite, ferrolite,
# ...) and prints medians of wall time per call (from the program) and of
# process CPU time per call (user + system, from getrusage; includes the
# setup, about 1% of a run).
import os, resource, statistics, subprocess, sys
from collections import defaultdict
bin_dir, calls, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
workloads = ["point_select_current", "point_select_multi", "point_select_4tasks"]
contenders = ["ferrolite", "tokio-rusqlite"]
wall = defaultdict(list); cpu = defaultdict(list); sums = defaultdict(set)
for w in workloads:
    for _ in range(reps):
        for c in contenders:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            out = subprocess.run([os.path.join(bin_dir, "bench-async-" + c), w, str(calls)],
                                 check=True, capture_output=True, text=True).stdout.split()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            wall[(w, c)].append(int(out[1]) / calls)
            cpu[(w, c)].append(used * 1e9 / calls)
            sums[w].add(out[2])
load = os.getloadavg()[0]
print(f"{calls} calls per run, medians of {reps} runs (alternating), per call; load average {load:.1f}\n")
print("| workload | ferrolite::tokio wall | tokio-rusqlite wall | ratio | ferrolite::tokio CPU | tokio-rusqlite CPU | ratio |")
print("|---|---:|---:|---:|---:|---:|---:|")
bad = False
for w in workloads:
    fw, rw = statistics.median(wall[(w, "ferrolite")]), statistics.median(wall[(w, "tokio-rusqlite")])
    fc, rc = statistics.median(cpu[(w, "ferrolite")]), statistics.median(cpu[(w, "tokio-rusqlite")])
    print(f"| {w} | {fw/1000:.2f} µs | {rw/1000:.2f} µs | {rw/fw:.2f}x | {fc/1000:.2f} µs | {rc/1000:.2f} µs | {rc/fc:.2f}x |")
    if len(sums[w]) != 1:
        bad = True; print(f"checksums differ for {w}: {sums[w]}", file=sys.stderr)
print("\nratio: tokio-rusqlite / ferrolite (above 1: ferrolite is faster)")
sys.exit(1 if bad else 0)
PY
