#!/usr/bin/env bash
# Run rusqlite 0.41.1's own unit tests (the shared-surface modules) against
# ferrolite.  Nothing of rusqlite is committed: its source is located in (or
# fetched into) cargo's registry at run time and rewritten into a throwaway
# crate under $CARGO_TARGET_DIR/rusqlite-suite/.  See gen.py for the rules,
# the skip list and the auto-prune of tests that do not compile.
#
# Usage: .ci/rusqlite-suite/run.sh [FERROLITE_DIR] [test-name ...]
#   FERROLITE_DIR defaults to this repository; test names are e.g. rq_statement
#   (rq_doc_* are rusqlite's doctests, rq_it_* its tests/*.rs).
#   SUITE_SNAPSHOT=1 tests FERROLITE_DIR's committed HEAD instead of its files.
# Output: a pass/fail/nocompile/skip line per rusqlite file, and
#   $CARGO_TARGET_DIR/rusqlite-suite/results.json with every failure's text.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ferrolite="${1:-$repo}"; shift || true
ferrolite="$(cd "$ferrolite" && pwd)"
# SUITE_SNAPSHOT=1: test the committed HEAD of FERROLITE_DIR (a `git archive`
# copy), so commits landing there during the run do not mix versions.
if [ "${SUITE_SNAPSHOT:-0}" = 1 ]; then
    sha="$(git -C "$ferrolite" rev-parse --short HEAD)"
    snap="${CARGO_TARGET_DIR:-$ferrolite/target}/rusqlite-suite/ferrolite-$sha"
    if [ ! -d "$snap" ]; then
        mkdir -p "$snap" && git -C "$ferrolite" archive HEAD | tar -x -C "$snap"
    fi
    ferrolite="$snap"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ferrolite/target}"
work="$CARGO_TARGET_DIR/rusqlite-suite"
mkdir -p "$work"

version=0.41.1
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
find_src() { ls -d "$cargo_home"/registry/src/*/rusqlite-$version 2>/dev/null | head -1; }
src="$(find_src || true)"
if [ -z "$src" ]; then
    # (a) fetch it: a scratch crate that only depends on rusqlite =0.41.1.
    scratch="$work/fetch"
    mkdir -p "$scratch/src"
    printf '[package]\nname = "rq-fetch"\nversion = "0.0.0"\nedition = "2021"\n[workspace]\n[dependencies]\nrusqlite = "=%s"\n' "$version" > "$scratch/Cargo.toml"
    echo 'fn main() {}' > "$scratch/src/main.rs"
    (cd "$scratch" && cargo fetch)
    src="$(find_src)"
fi
echo "rusqlite source: $src"
echo "ferrolite:       $ferrolite ${sha:-$(git -C "$ferrolite" rev-parse --short HEAD 2>/dev/null || echo '?')}"
exec python3 "$here/gen.py" "$src/src" "$ferrolite" "$work" "$@"
