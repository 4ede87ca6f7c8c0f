#!/usr/bin/env bash
# Runs examples/dqlite.rs as README describes: three dqlite-demo nodes
# started by hand (here by cluster.sh, on ports 29001-29003), then, when the
# example asks, its leader is SIGKILLed; the example must finish (exit 0).
#
#   .ci/dqlite/example.sh [--features "F1 F2"]
set -euo pipefail
cd "$(dirname "$0")/../.."
FEATURES=dqlite
if [ "${1:-}" = "--features" ]; then FEATURES=$2; fi
cargo build --quiet --features "$FEATURES" --example dqlite
bin=${CARGO_TARGET_DIR:-target}/debug/examples/dqlite
dir=$(mktemp -d)
out=$dir/example.out
trap '.ci/dqlite/cluster.sh stop "$dir/nodes" 2>/dev/null || true; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
addrs=$(.ci/dqlite/cluster.sh start "$dir/nodes" 29000)
"$bin" "$addrs" >"$out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    grep -q '^now stop the leader' "$out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
leader=$(sed -n 's/^now stop the leader (\(.*\)).*/\1/p' "$out")
[ -n "$leader" ] || { cat "$out"; echo "example.sh: the example never asked to stop the leader" >&2; exit 1; }
.ci/dqlite/cluster.sh kill "$dir/nodes" "$leader"
status=0
wait "$pid" || status=$?
pid=
cat "$out"
[ "$status" = 0 ] || { echo "example.sh: examples/dqlite.rs failed (exit $status)" >&2; exit 1; }
grep -q 'the cluster survived losing its leader' "$out"
