#!/usr/bin/env bash
# Virtual-table benchmarks (issue 13): a 1,000,000-row full scan of a
# virtual table, Rust against C, and an IN list of 10,000 ids against a
# 100,000-row table (carray, rarray, IN (?,…)). Three programs, as in
# run.sh: bench/c/vtab.c (the SQLite C API), bench/vtab/ferrolite and
# bench/vtab/rusqlite (rusqlite 0.41.1 with features vtab, array).
#
#   bench/run-vtab.sh [--reps R] [--callgrind] [--only w1,w2,...]
#
#   --callgrind  also count instructions (valgrind --tool=callgrind
#                --toggle-collect=bench_measured) at N/10 rows; profiles in
#                bench/target/callgrind/vtab-WORKLOAD.CONTENDER.out
#
# Prints one line per workload and contender: median CPU ms over R runs
# (default 5), the checksum, and with --callgrind instructions per row
# (scans) or per query (IN lists). Exits non-zero when the contenders'
# checksums differ. See BENCHMARKS.md, "Virtual tables and IN lists".
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
TARGET=$HERE/target
N=1000000
REPS=5
CALLGRIND=0
ONLY=
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) REPS=$2; shift ;;
        --callgrind) CALLGRIND=1 ;;
        --only) ONLY=$2; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "run-vtab.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
ALL=(scan_cmodule scan_rust_vtab scan_carray scan_carray_copy scan_rarray in_carray in_rarray in_params)
if [ -n "$ONLY" ]; then IFS=, read -r -a WORKLOADS <<<"$ONLY"; else WORKLOADS=("${ALL[@]}"); fi
mkdir -p "$TARGET/c" "$TARGET/callgrind"
say() { echo "run-vtab.sh: $*" >&2; }

# The C contender's SQLite: the object file run.sh caches (same options as
# ferrolite's build.rs), built here if missing.
extract_options() {
    sed -n '/^const SQLITE_OPTIONS/,/^];/p' "$ROOT/build.rs" |
        grep -oE '^\s*\("[A-Za-z0-9_]+", *(None|Some\("[^"]*"\))\)' |
        sed -E 's/^\s*\("([A-Za-z0-9_]+)", *None\)/-D\1/; s/^\s*\("([A-Za-z0-9_]+)", *Some\("([^"]*)"\)\)/-D\1=\2/'
}
OPTS="$(extract_options | tr '\n' ' ') -DSQLITE_OMIT_LOAD_EXTENSION"
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
BIN_C=$TARGET/c/bench-vtab-c
# shellcheck disable=SC2086
gcc -O2 -g -Wall -Wextra -DNDEBUG $OPTS -I"$VENDORED" "$HERE/c/vtab.c" "$OBJ" \
    -lpthread -lm -o "$BIN_C"

cd "$HERE"
export CARGO_TARGET_DIR=$TARGET
say "building the Rust contenders"
cargo build --release -p bench-vtab-ferrolite -p bench-vtab-rusqlite >"$TARGET/build-vtab.log" 2>&1 ||
    { tail -40 "$TARGET/build-vtab.log" >&2; exit 1; }
bin_of() {
    case "$1" in
        c) echo "$BIN_C" ;;
        rusqlite) echo "$TARGET/release/bench-vtab-rusqlite" ;;
        ferrolite) echo "$TARGET/release/bench-vtab-ferrolite" ;;
    esac
}

# per-unit divisor: rows for scans, queries (20) for IN lists
unit_of() { case "$1" in scan_*) echo "$2 row" ;; in_*) echo "20 query" ;; esac; }

FAILED=0
printf '| workload | contender | median CPU ms | min-max | checksum |%s\n' \
    "$([ "$CALLGRIND" = 1 ] && echo ' instructions per unit (N/10) |')"
printf '|---|---|---:|---|---|%s\n' "$([ "$CALLGRIND" = 1 ] && echo '---:|')"
for w in "${WORKLOADS[@]}"; do
    cks=""
    for c in c ferrolite rusqlite; do
        times=()
        ck=
        for ((r = 1; r <= REPS; r++)); do
            out=$("$(bin_of "$c")" "$w" "$N") || { say "$c $w failed"; FAILED=1; continue 2; }
            case "$out" in *SKIP*) continue 2 ;; esac
            ck=$(echo "$out" | cut -f3)
            times+=("$(echo "$out" | sed -E 's/.*cpu_ns=([0-9]+).*/\1/')")
        done
        stats=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f\t%.2f-%.2f", a[int((NR+1)/2)]/1e6, a[1]/1e6, a[NR]/1e6}')
        med=$(echo "$stats" | cut -f1); mm=$(echo "$stats" | cut -f2)
        cg=
        if [ "$CALLGRIND" = 1 ]; then
            ncg=$((N / 10))
            outf=$TARGET/callgrind/vtab-$w.$c.out
            valgrind --tool=callgrind --toggle-collect=bench_measured --callgrind-out-file="$outf" \
                "$(bin_of "$c")" "$w" "$ncg" >/dev/null 2>&1 || { say "callgrind $c $w failed"; FAILED=1; }
            ir=$(grep -E '^(summary|totals):' "$outf" | tail -1 | awk '{print $2}')
            read -r div what <<<"$(unit_of "$w" "$ncg")"
            cg=" $(awk -v ir="$ir" -v d="$div" 'BEGIN {printf "%.1f", ir / d}') ($ir total) |"
        fi
        printf '| %s | %s | %s | %s | %s |%s\n' "$w" "$c" "$med" "$mm" "$ck" "$cg"
        # scans: every contender sums the same array; IN lists the same rows
        cks="$cks $ck"
    done
    if [ "$(echo "$cks" | tr ' ' '\n' | sed '/^$/d' | sort -u | wc -l)" -gt 1 ]; then
        say "$w: checksums differ:$cks"; FAILED=1
    fi
done
exit $FAILED
