#!/usr/bin/env bash
# The pool benchmark: ferrolite::pool::Pool against deadpool-sqlite and
# r2d2_sqlite, measured in one run, interleaved, and printed as one markdown
# table of medians (also written to bench/pool/results.md).
#
#   bench/pool/run.sh [--reps R] [--only w1,w2,...]
#
# Workloads (a 10,000-row table in a WAL database, synchronous=NORMAL):
#   read_1, read_2, read_4  20,000 point selects by R threads (tasks for
#                           deadpool) through a pool of R connections
#                           (ferrolite: R readers), one checkout per select;
#   mixed_4                 4 threads x 5,000 operations, one in five an
#                           UPDATE, the others point selects.
# Every contender's connections wait for locks with SQLite's own busy-wait
# schedule (what busy_timeout installs), counted: "busy retries" is the
# number of those waits plus operations retried after an SQLITE_BUSY error.
# Exits non-zero if a contender fails or the checksums differ.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TARGET=$HERE/target
DATA=$TARGET/data
REPS=3
ONLY=
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) REPS=$2; shift ;;
        --only) ONLY=$2; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
WORKLOADS=(read_1 read_2 read_4 mixed_4)
if [ -n "$ONLY" ]; then IFS=, read -r -a WORKLOADS <<<"$ONLY"; fi
mkdir -p "$DATA"

cd "$HERE"
export CARGO_TARGET_DIR=$TARGET
echo "run.sh: building (release)" >&2
cargo build --release --quiet
FERRO=$TARGET/release/bench-pool-ferrolite
PEERS=$TARGET/release/bench-pool-peers

RAW=$TARGET/raw.tsv
: >"$RAW"
for w in "${WORKLOADS[@]}"; do
    echo "run.sh: $w: $REPS x (ferrolite, deadpool-sqlite, r2d2_sqlite)" >&2
    for ((rep = 1; rep <= REPS; rep++)); do
        "$FERRO" "$w" "$DATA" >>"$RAW"
        "$PEERS" deadpool "$w" "$DATA" >>"$RAW"
        "$PEERS" r2d2 "$w" "$DATA" >>"$RAW"
    done
done
rm -f "$DATA"/pool-*.db*

python3 - "$RAW" "$HERE/results.md" "$REPS" <<'PY'
import statistics, sys
from collections import defaultdict
raw, out, reps = sys.argv[1], sys.argv[2], sys.argv[3]
rows = defaultdict(list)
order = []
for line in open(raw):
    w, c, ops, ns, p50, p99, p999, busy, chk = line.split()
    if (w, c) not in rows:
        order.append((w, c))
    rows[(w, c)].append(dict(ops=int(ops), ns=int(ns), p50=int(p50), p99=int(p99),
                             p999=int(p999), busy=int(busy), chk=chk))
bad = False
med = {}
for key, runs in rows.items():
    chks = {r["chk"] for r in runs}
    med[key] = {k: statistics.median(r[k] for r in runs) for k in ("ns", "p50", "p99", "p999", "busy")}
    med[key]["ops"] = runs[0]["ops"]
    med[key]["chk"] = chks
def us(ns): return f"{ns / 1000:.1f}"
lines = [f"Medians of {reps} runs; ops/s = operations / wall time; latency = one checkout plus one statement.", "",
         "| workload | contender | ops/s | vs ferrolite | p50 µs | p99 µs | p99.9 µs | busy retries |",
         "|---|---|---:|---:|---:|---:|---:|---:|"]
for w in dict.fromkeys(k[0] for k in order):
    base = med.get((w, "ferrolite"))
    chk = set().union(*(med[k]["chk"] for k in med if k[0] == w))
    if len(chk) != 1:
        print(f"checksum mismatch in {w}: {chk}", file=sys.stderr); bad = True
    for (w2, c) in order:
        if w2 != w: continue
        m = med[(w, c)]
        tput = m["ops"] / (m["ns"] / 1e9)
        ratio = "1.00" if c == "ferrolite" or not base else f"{(base['ns'] / m['ns']):.2f}"
        lines.append(f"| {w} | {c} | {tput:,.0f} | {ratio} | {us(m['p50'])} | {us(m['p99'])} | {us(m['p999'])} | {m['busy']:.0f} |")
lines.append("")
lines.append("`vs ferrolite`: the contender's throughput divided by ferrolite's (below 1: slower than ferrolite).")
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print(text)
sys.exit(1 if bad else 0)
PY
