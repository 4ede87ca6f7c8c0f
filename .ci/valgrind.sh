#!/usr/bin/env bash
# Runs test binaries under valgrind memcheck: any memory error or definite
# leak fails (exit 99).
#
#   .ci/valgrind.sh [--features "F1 F2"] TEST [TEST...] [-- ARGS...]
#
# TEST is the name of a tests/*.rs file, or `lib` for the unit tests. ARGS
# go to every test binary (e.g. --test-threads=1, or a test name filter).
# Installs valgrind with apt-get when it is missing (CI's one extra tool).
set -euo pipefail
cd "$(dirname "$0")/.."

FEATURES=""
if [ "${1:-}" = "--features" ]; then
    FEATURES=$2
    shift 2
fi
TESTS=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    TESTS+=("$1")
    shift
done
[ "${1:-}" = "--" ] && shift
[ ${#TESTS[@]} -gt 0 ] || { echo "usage: $0 [--features F] TEST... [-- ARGS]" >&2; exit 2; }

if ! command -v valgrind >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind) \
        || { echo "valgrind is required and could not be installed" >&2; exit 1; }
fi

# Builds the named targets and prints "name path" for each executable.
binaries() {
    local args=()
    for t in "${TESTS[@]}"; do
        if [ "$t" = lib ]; then args+=(--lib); else args+=(--test "$t"); fi
    done
    cargo test --no-run --features "$FEATURES" "${args[@]}" --message-format=json 2>/dev/null |
        python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        name = "lib" if "lib" in m["target"]["kind"] else m["target"]["name"]
        print(name, m["executable"])
'
}

# Tests with timing assumptions stretch them when this is set.
export FERROLITE_UNDER_VALGRIND=1

found=0
status=0
while read -r name bin; do
    found=$((found + 1))
    printf '\n--- valgrind memcheck: %s\n' "$name"
    start=$(date +%s)
    # --fair-sched: without it a thread spinning in SQLite can keep
    # valgrind's one-thread-at-a-time lock for seconds, starving the thread
    # that would interrupt it.
    if ! valgrind --quiet --fair-sched=yes --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        "$bin" "$@"; then
        echo "valgrind: errors in $name" >&2
        status=1
    fi
    echo "--- $name: $(( $(date +%s) - start )) s under valgrind"
done < <(binaries)

if [ "$found" -ne "${#TESTS[@]}" ]; then
    echo "valgrind.sh: built $found of ${#TESTS[@]} test binaries (${TESTS[*]})" >&2
    exit 1
fi
exit $status
