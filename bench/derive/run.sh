#!/usr/bin/env bash
# Rows into structs: 200,000 rows of five columns (INTEGER, TEXT, REAL,
# TEXT or NULL, INTEGER) read into a struct, in memory.
#
#   bench/derive/run.sh [RUNS] [ROUNDS]
#
# Builds bench-derive-ferrolite and bench-derive-rusqlite (separate
# binaries: no process links two copies of SQLite), runs them alternately
# ROUNDS times (default 3), each timing its cases interleaved RUNS times
# (default 11), and prints per case the median over all rounds of the
# per-round medians, in ns/row of process CPU time (as bench/run.sh's
# default clock), and the ratio to the same program's hand-written
# closure. Exits non-zero if the checksums of the cases differ (every case
# must read the same values).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNS=${1:-11}
ROUNDS=${2:-3}
cd "$HERE/.."
cargo build --release -q -p bench-derive-ferrolite -p bench-derive-rusqlite
BIN=${CARGO_TARGET_DIR:-$HERE/../target}/release
OUT=$(mktemp)
for _ in $(seq "$ROUNDS"); do
    "$BIN/bench-derive-ferrolite" "$RUNS" >>"$OUT"
    "$BIN/bench-derive-rusqlite" "$RUNS" >>"$OUT"
done
python3 - "$OUT" <<'PY'
import sys, statistics, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
med = collections.OrderedDict()
sums = set()
for prog, label, m, mn, s in rows:
    med.setdefault((prog, label), []).append(float(m))
    sums.add(s)
base = {p: statistics.median(v) for (p, l), v in med.items() if l.startswith("hand-written")}
print("| program | case | ns/row (median) | vs the same program's closure |")
print("|---|---|---|---|")
for (p, l), v in med.items():
    m = statistics.median(v)
    print(f"| {p} | {l} | {m:.1f} | {m / base[p]:.3f}x |")
if len(sums) != 1:
    print("checksums differ:", sums, file=sys.stderr)
    sys.exit(1)
PY
rm -f "$OUT"
