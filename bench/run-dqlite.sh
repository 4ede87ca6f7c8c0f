#!/usr/bin/env bash
# dqlite benchmark (issue 17): ferrolite's dqlite client (bench/dqlite) on a
# local three-node cluster of go-dqlite's dqlite-demo, against go-dqlite's
# own client in `dqlite-benchmark` (Debian package go-dqlite, same libdqlite
# on the server side), measured in the same run; plus the requests each
# operation sends (write syscalls on the client's socket, counted by strace
# at two operation counts: the difference divided by the extra operations).
#
#   bench/run-dqlite.sh [--n N] [--seconds S] [--reps R]
#
#   --n N        operations per ferrolite write workload (default 2000;
#                point selects and batched inserts do 10x)
#   --seconds S  duration of each dqlite-benchmark workload (default 10)
#   --reps R     ferrolite runs per workload, the median reported (default 3)
#
# Needs go-dqlite (.ci/dqlite/install.sh installs it) and strace (for the
# request counts; skipped without it). See BENCHMARKS.md, "dqlite".
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
N=2000
SECS=10
REPS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --n) N=$2; shift ;;
        --seconds) SECS=$2; shift ;;
        --reps) REPS=$2; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "run-dqlite.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
say() { echo "run-dqlite.sh: $*" >&2; }
command -v dqlite-demo >/dev/null && command -v dqlite-benchmark >/dev/null ||
    { say "go-dqlite is not installed (run .ci/dqlite/install.sh)"; exit 1; }

export CARGO_TARGET_DIR=$HERE/target
say "building bench-dqlite"
(cd "$HERE" && cargo build --quiet --release -p bench-dqlite)
BIN=$CARGO_TARGET_DIR/release/bench-dqlite
WORK=$(mktemp -d)
trap '"$ROOT/.ci/dqlite/cluster.sh" stop "$WORK/nodes" 2>/dev/null || true; pkill -KILL -g "${BENCH_PGID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# ------------------------------------------------- ferrolite (dqlite-demo nodes)
ADDRS=$("$ROOT/.ci/dqlite/cluster.sh" start "$WORK/nodes" 9300)
say "cluster $ADDRS, leader $("$ROOT/.ci/dqlite/cluster.sh" leader "$WORK/nodes")"
# The leader first: ferrolite asks it directly, as dqlite-benchmark's
# driver (which runs on the leader node) does.
echo "| workload (ferrolite, 1 connection) | ops | ops/s | avg ms | p50 ms | p99 ms | requests/op |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for w in insert_unprepared insert_prepared kvwrite insert_batched point_select point_select_unprepared kvread; do
    n=$N
    case "$w" in insert_batched | point_select* | kvread) n=$((N * 10)) ;; esac
    # The median of REPS runs by ops/s (the machine is shared).
    runs=$(for ((r = 0; r < REPS; r++)); do "$BIN" "$ADDRS" "$w" "$n"; done | sort -t$'\t' -k4,4g)
    IFS=$'\t' read -r _ ops _ rate avg p50 p99 <<<"$(sed -n "$(((REPS + 1) / 2))p" <<<"$runs")"
    rt="n/a"
    if command -v strace >/dev/null; then
        count() {
            strace -f -qq -e trace=write,writev,sendto,sendmsg -o "$WORK/st" "$BIN" "$ADDRS" "$w" "$1" >/dev/null
            grep -cE '(write|writev|sendto|sendmsg)\(' "$WORK/st"
        }
        lo=100 hi=300
        [ "$w" = insert_batched ] && lo=1000 hi=3000
        a=$(count $lo)
        b=$(count $hi)
        rt=$(python3 -c "print(f'{($b - $a) / ($hi - $lo):.2f}')")
    fi
    printf '| `%s` | %s | %s | %s | %s | %s | %s |\n' "$w" "$ops" "$rate" "$avg" "$p50" "$p99" "$rt"
done
"$ROOT/.ci/dqlite/cluster.sh" stop "$WORK/nodes"

# ------------------------------------ go-dqlite's client: dqlite-benchmark
# Three dqlite-benchmark nodes; the driver (first node, the leader) runs the
# workload for S seconds with one worker and writes per-query latencies.
gobench() {
    local wl=$1 d=$WORK/gob-$1
    mkdir -p "$d"/{1,2,3}
    local c=127.0.0.1:9401,127.0.0.1:9402,127.0.0.1:9403
    setsid dqlite-benchmark --db 127.0.0.1:9401 -D "$d/1" --driver --cluster "$c" \
        --duration "$SECS" --workload "$wl" >"$d/1.log" 2>&1 &
    local drv=$!
    sleep 0.5
    setsid dqlite-benchmark --db 127.0.0.1:9402 -D "$d/2" --join 127.0.0.1:9401 >"$d/2.log" 2>&1 &
    local j2=$!
    setsid dqlite-benchmark --db 127.0.0.1:9403 -D "$d/3" --join 127.0.0.1:9401 >"$d/3.log" 2>&1 &
    local j3=$!
    wait "$drv" || { say "dqlite-benchmark $wl failed: $(tail -3 "$d/1.log")"; }
    kill -KILL -- "-$j2" "-$j3" 2>/dev/null || true
    wait "$j2" "$j3" 2>/dev/null || true
    for f in "$d"/1/*/results/*; do
        [ -f "$f" ] || continue
        local q n avg p50 p99
        q=$(basename "$f" | cut -d- -f2)
        n=$(awk '$1 == "n" {print $2}' "$f")
        avg=$(awk '$1 == "avg" {print $3}' "$f")
        read -r p50 p99 < <(awk 'NR > 6 {print $2}' "$f" | sort -g | awk '{a[NR] = $1} END {printf "%.3f %.3f\n", a[int((NR - 1) * 0.5) + 1], a[int((NR - 1) * 0.99) + 1]}')
        # ops/s = 1000 / avg ms: kvreadwrite's one worker alternates
        # the two kinds, so each kind's rate is what it would do alone.
        printf '| `%s` %s (go-dqlite, 1 worker) | %s | %.0f | %.3f | %s | %s | |\n' \
            "$wl" "$q" "$n" "$(python3 -c "print(1000 / $avg)")" "$avg" "$p50" "$p99"
    done
}
say "dqlite-benchmark kvwrite, kvreadwrite (${SECS} s each)"
gobench kvwrite
gobench kvreadwrite
