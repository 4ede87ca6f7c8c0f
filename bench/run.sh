#!/usr/bin/env bash
# The ferrolite benchmark suite: builds and runs three contenders (C against
# the SQLite C API, rusqlite, ferrolite), each its own binary, and prints one
# markdown table of medians (also written to bench/results.md).
#
#   bench/run.sh [--quick] [--callgrind] [--wall] [--reps R] [--only w1,w2,...]
#
#   --quick      1/10 of the rows and iterations, 3 repetitions (default 5)
#   --callgrind  also count instructions (Ir) of each contender's measured part
#                under valgrind --tool=callgrind, at 1/20 scale
#   --wall       rank every workload by wall-clock time (default: process CPU
#                time for the single-threaded CPU-bound workloads, which other
#                processes on the cores disturb less; wall time for small_txn,
#                concurrent_read and interrupt_latency)
#   --reps R     repetitions per contender and workload
#   --only LIST  run only these workloads (comma-separated)
#
# Exits non-zero if a contender fails, or if the contenders' checksums differ
# for a workload. See BENCHMARKS.md at the top of the repository.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
TARGET=$HERE/target
DATA=$TARGET/data
LOGS=$TARGET/logs

N=1000000
REPS=
QUICK=0
CALLGRIND=0
METRIC=auto
ONLY=
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --callgrind) CALLGRIND=1 ;;
        --wall) METRIC=wall ;;
        --reps) REPS=$2; shift ;;
        --only) ONLY=$2; shift ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then N=$((N / 10)); REPS=${REPS:-3}; fi
REPS=${REPS:-5}
NCG=$((N / 20))

ALL_WORKLOADS=(insert point_select_txn point_select_autocommit point_select_by_name
    scan_borrowed scan_owned cached_prepare_hit cached_prepare_miss query_row_uncached
    udf small_txn concurrent_read interrupt_latency)
NO_CALLGRIND=" concurrent_read small_txn interrupt_latency "
if [ -n "$ONLY" ]; then IFS=, read -r -a WORKLOADS <<<"$ONLY"; else WORKLOADS=("${ALL_WORKLOADS[@]}"); fi

mkdir -p "$TARGET/c" "$DATA" "$LOGS"
say() { echo "run.sh: $*" >&2; }

# ---------------------------------------------------------------- C build
# The compile options are read from ferrolite's build.rs (SQLITE_OPTIONS),
# so the C contender's SQLite can't drift from ferrolite's.
extract_options() {
    sed -n '/^const SQLITE_OPTIONS/,/^];/p' "$ROOT/build.rs" |
        grep -oE '^\s*\("[A-Za-z0-9_]+", *(None|Some\("[^"]*"\))\)' |
        sed -E 's/^\s*\("([A-Za-z0-9_]+)", *None\)/-D\1/; s/^\s*\("([A-Za-z0-9_]+)", *Some\("([^"]*)"\)\)/-D\1=\2/'
}
OPTS=$(extract_options | tr '\n' ' ')
n_opts=$(extract_options | wc -l)
n_lines=$(sed -n '/^const SQLITE_OPTIONS/,/^];/p' "$ROOT/build.rs" | grep -cE '^\s*\("' || true)
if [ "$n_opts" -lt 5 ] || [ "$n_opts" != "$n_lines" ]; then
    say "could not read SQLITE_OPTIONS from build.rs ($n_opts parsed of $n_lines entries)"
    exit 1
fi
# Feature `load_extension` is off in the bench, so build.rs adds this one too.
OPTS="$OPTS -DSQLITE_OMIT_LOAD_EXTENSION"
# The user's additions and removals, as build.rs applies them to ferrolite's
# copy (e.g. FERROLITE_SQLITE_FLAGS=-USQLITE_ENABLE_CARRAY).
for f in ${FERROLITE_SQLITE_FLAGS:-}; do
    case "$f" in
        -U* | -D*) OPTS="$OPTS $f" ;;
        *) OPTS="$OPTS -D$f" ;;
    esac
done
# -O2 and the flags the `cc` crate adds by default on x86_64 Linux, then
# $CFLAGS, which `cc` also appends when it builds ferrolite's copy (so
# `CFLAGS=-O3 bench/run.sh` builds both at -O3).
SQLITE_CFLAGS="-O2 -ffunction-sections -fdata-sections -fPIC -m64 -march=x86-64 $OPTS ${CFLAGS:-}"
VENDORED=$ROOT/sqlite3-vendored
key=$({ gcc --version | head -1; echo "$SQLITE_CFLAGS"; cat "$VENDORED/sqlite3.c"; } | sha256sum | cut -c1-16)
OBJ=$TARGET/c/sqlite3-$key.o
if [ ! -f "$OBJ" ]; then
    say "compiling sqlite3.c (once; cached as $(basename "$OBJ"))"
    # shellcheck disable=SC2086
    gcc $SQLITE_CFLAGS -I"$VENDORED" -c "$VENDORED/sqlite3.c" -o "$OBJ.tmp"
    mv "$OBJ.tmp" "$OBJ"
fi
BIN_C=$TARGET/c/bench-c
# shellcheck disable=SC2086
gcc -O2 -g -Wall -Wextra -DNDEBUG $OPTS -I"$VENDORED" "$HERE/c/bench.c" "$OBJ" \
    -lpthread -lm -o "$BIN_C"

# ------------------------------------------------------------ cargo build
BIN_RUSQLITE=$TARGET/release/bench-rusqlite
BIN_FERROLITE=$TARGET/release/bench-ferrolite
cd "$HERE"
export CARGO_TARGET_DIR=$TARGET
if [ -f "$ROOT/src/lib.rs" ]; then
    say "building the rusqlite contender"
    if ! cargo build --release -p bench-rusqlite >"$LOGS/build-rusqlite.log" 2>&1; then
        tail -40 "$LOGS/build-rusqlite.log" >&2; exit 1
    fi
else
    # ferrolite has no src/lib.rs yet, so the workspace doesn't load: build
    # the rusqlite contender from a one-member copy of the workspace.
    say "ferrolite has no src/lib.rs yet: building rusqlite alone"
    solo=$TARGET/solo
    rm -rf "$solo" && mkdir -p "$solo"
    cp -r "$HERE/rusqlite" "$HERE/shared" "$solo/"
    if [ -f "$HERE/Cargo.lock" ]; then cp "$HERE/Cargo.lock" "$solo/"; fi
    sed -e 's/^members = .*/members = ["rusqlite"]/' "$HERE/Cargo.toml" >"$solo/Cargo.toml"
    if ! (cd "$solo" && cargo build --release -p bench-rusqlite) >"$LOGS/build-rusqlite.log" 2>&1; then
        tail -40 "$LOGS/build-rusqlite.log" >&2; exit 1
    fi
fi
FERRO_STATE=ok
FERRO_FEATURES=
if grep -rqs create_scalar_function "$ROOT/src"; then FERRO_FEATURES="--features udf"; fi
say "building the ferrolite contender ${FERRO_FEATURES:+($FERRO_FEATURES)}"
[ -f "$ROOT/src/lib.rs" ] || echo "no src/lib.rs in $ROOT" >"$LOGS/build-ferrolite.log"
# shellcheck disable=SC2086
if [ ! -f "$ROOT/src/lib.rs" ] ||
    ! cargo build --release -p bench-ferrolite $FERRO_FEATURES >"$LOGS/build-ferrolite.log" 2>&1; then
    FERRO_STATE=pending
    say "ferrolite did not build (see $LOGS/build-ferrolite.log): its rows are marked pending"
fi

CONTENDERS=(c rusqlite ferrolite)
bin_of() {
    case "$1" in
        c) echo "$BIN_C" ;;
        rusqlite) echo "$BIN_RUSQLITE" ;;
        ferrolite) echo "$BIN_FERROLITE" ;;
    esac
}

# -------------------------------------------------------------------- runs
RAW=$TARGET/raw.tsv
: >"$RAW"
FAILED=0
# run_one LABEL CONTENDER WORKLOAD N [wrapper...]: appends one raw line.
run_one() {
    local label=$1 c=$2 w=$3 n=$4
    shift 4
    if [ "$c" = ferrolite ] && [ "$FERRO_STATE" = pending ]; then
        printf '%s\t%s\t%s\tPENDING\n' "$label" "$c" "$w" >>"$RAW"
        return
    fi
    local out
    if out=$(timeout 300 "$@" "$(bin_of "$c")" "$w" "$n" "$DATA" 2>"$LOGS/last-$c.err"); then
        # WORKLOAD ns checksum [extra]  ->  label contender WORKLOAD ns checksum [extra]
        printf '%s\t%s\t%s\n' "$label" "$c" "$out" >>"$RAW"
    else
        say "$c $w failed: $(tail -3 "$LOGS/last-$c.err")"
        printf '%s\t%s\t%s\tFAIL\n' "$label" "$c" "$w" >>"$RAW"
        FAILED=1
    fi
}

say "preparing the base databases (N=$N)"
"$BIN_C" setup "$N" "$DATA" >/dev/null
for w in "${WORKLOADS[@]}"; do
    say "$w: ${REPS} x (c, rusqlite, ferrolite)"
    for ((rep = 1; rep <= REPS; rep++)); do
        for c in "${CONTENDERS[@]}"; do run_one time "$c" "$w" "$N"; done
    done
done

if [ "$CALLGRIND" = 1 ]; then
    command -v valgrind >/dev/null || { say "valgrind is not installed"; exit 1; }
    "$BIN_C" setup "$NCG" "$DATA" >/dev/null
    mkdir -p "$TARGET/callgrind"
    for w in "${WORKLOADS[@]}"; do
        case "$NO_CALLGRIND" in *" $w "*) continue ;; esac
        for c in "${CONTENDERS[@]}"; do
            say "callgrind: $w $c (N=$NCG)"
            out=$TARGET/callgrind/$w.$c.out
            rm -f "$out"
            run_one callgrind "$c" "$w" "$NCG" valgrind --tool=callgrind \
                --toggle-collect=bench_measured --callgrind-out-file="$out"
            ir=$({ grep -E '^(summary|totals):' "$out" 2>/dev/null || true; } | tail -1 | awk '{print $2}')
            printf 'ir\t%s\t%s\t%s\n' "$c" "$w" "${ir:-}" >>"$RAW"
        done
    done
fi

# ------------------------------------------------------------------ report
MODE=full
[ "$QUICK" = 1 ] && MODE=quick
export MODE N NCG REPS FERRO_STATE ROOT METRIC
set +e
python3 "$HERE/report.py" "$RAW" "$HERE/results.md"
REPORT_RC=$?
set -e
if [ "$REPORT_RC" != 0 ] || [ "$FAILED" != 0 ]; then
    say "FAILED (contender failure or checksum mismatch; see above)"
    exit 1
fi
