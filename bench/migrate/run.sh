#!/usr/bin/env bash
# The migration benchmark: ferrolite::migrate against rusqlite_migration
# (on rusqlite), a 100-step list. Builds both programs (release, LTO), runs
# them alternately ROUNDS times per workload, and prints a markdown table
# of the medians and the ratio. Exits non-zero if a program fails or if the
# two disagree on the resulting database (checksum: user_version and
# schema size).
#
#   bench/migrate/run.sh [ROUNDS]      (default 7)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROUNDS=${1:-7}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HERE/../target/migrate}
DATA=$CARGO_TARGET_DIR/data
mkdir -p "$DATA"
cd "$HERE"
echo "run.sh: building (release)" >&2
cargo build --release -q -p bench-migrate-ferrolite -p bench-migrate-rusqlite >&2
F=$CARGO_TARGET_DIR/release/bench-migrate-ferrolite
R=$CARGO_TARGET_DIR/release/bench-migrate-rusqlite

# workload and repetitions inside one process
WORKLOADS=("memory 50" "memory_fk 50" "file 10" "noop 20" "down 50")
RAW=$CARGO_TARGET_DIR/raw.tsv
: >"$RAW"
for w in "${WORKLOADS[@]}"; do
    set -- $w
    echo "run.sh: $1: $ROUNDS x (rusqlite_migration, ferrolite)" >&2
    for ((i = 0; i < ROUNDS; i++)); do
        printf 'rusqlite_migration\t%s\n' "$("$R" "$1" "$2" "$DATA")" >>"$RAW"
        printf 'ferrolite\t%s\n' "$("$F" "$1" "$2" "$DATA")" >>"$RAW"
    done
done
python3 - "$RAW" <<'PY'
import sys, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
order, times, cks = [], {}, {}
for c, w, ns, ck in rows:
    if w not in order:
        order.append(w)
    times.setdefault((w, c), []).append(int(ns))
    cks.setdefault(w, set()).add(ck)
bad = [w for w in order if len(cks[w]) != 1]
print("| workload (100 steps) | rusqlite_migration | ferrolite | ferrolite / rusqlite_migration |")
print("|---|---:|---:|---:|")
def fmt(ns):
    if ns >= 1e6:
        return f"{ns/1e6:.2f} ms"
    return f"{ns/1e3:.1f} µs" if ns >= 1e3 else f"{ns:.0f} ns"
for w in order:
    r = statistics.median(times[(w, "rusqlite_migration")])
    f = statistics.median(times[(w, "ferrolite")])
    print(f"| `{w}` | {fmt(r)} | {fmt(f)} | {f/r:.2f}× |")
if bad:
    print(f"checksum mismatch: {bad}", file=sys.stderr)
    sys.exit(1)
PY
