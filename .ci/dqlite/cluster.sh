#!/usr/bin/env bash
# Starts or stops a local three-node dqlite cluster from go-dqlite's
# dqlite-demo (Debian package go-dqlite; .ci/dqlite/install.sh installs it).
#
#   .ci/dqlite/cluster.sh start DIR [BASE]   nodes at 127.0.0.1:BASE+1..3 (db, default
#                                            BASE 9000) and BASE-1000+1..3 (demo HTTP API);
#                                            data and logs in DIR/1..3; waits until all three
#                                            are voters, then prints the db addresses
#   .ci/dqlite/cluster.sh leader DIR         prints the leader's address
#   .ci/dqlite/cluster.sh kill DIR ADDR      SIGKILLs the node serving ADDR
#   .ci/dqlite/cluster.sh stop DIR           SIGKILLs every node started in DIR
#
# The same commands by hand (what README's "Beyond one machine" shows):
#   dqlite-demo --api 127.0.0.1:8001 --db 127.0.0.1:9001 --dir /tmp/dq1 &
#   dqlite-demo --api 127.0.0.1:8002 --db 127.0.0.1:9002 --dir /tmp/dq2 --join 127.0.0.1:9001 &
#   dqlite-demo --api 127.0.0.1:8003 --db 127.0.0.1:9003 --dir /tmp/dq3 --join 127.0.0.1:9001 &
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,17p' "$0" >&2; exit 2; }

addrs() { cat "$dir"/*/addr | paste -sd, -; }
# The dqlite shell retries forever against dead nodes: always bounded.
shell() { timeout 5 dqlite -s "$1" probe "$2" 2>/dev/null; }

case "$cmd" in
start)
    base=${3:-9000}
    command -v dqlite-demo >/dev/null || { echo "dqlite-demo not found: run .ci/dqlite/install.sh" >&2; exit 1; }
    mkdir -p "$dir"
    for i in 1 2 3; do
        d=$dir/$i
        rm -rf "$d" && mkdir -p "$d"
        db=127.0.0.1:$((base + i))
        api=127.0.0.1:$((base - 1000 + i))
        join=()
        [ "$i" = 1 ] || join=(--join 127.0.0.1:$((base + 1)))
        echo "$db" >"$d/addr"
        # setsid: its own process group, so `stop` can't hit anything else.
        setsid dqlite-demo --api "$api" --db "$db" --dir "$d" "${join[@]}" >"$d/log" 2>&1 </dev/null &
        echo $! >"$d/pid"
        [ "$i" = 1 ] && sleep 0.5
    done
    for _ in $(seq 1 120); do
        n=$(shell "$(addrs)" .cluster | grep -c '|voter$' || true)
        if [ "$n" = 3 ]; then addrs; exit 0; fi
        sleep 0.5
    done
    echo "cluster in $dir not ready after 60 s; logs:" >&2
    tail -n 5 "$dir"/*/log >&2
    exit 1
    ;;
leader)
    shell "$(addrs)" .leader
    ;;
kill)
    for d in "$dir"/*/; do
        if [ "$(cat "$d/addr")" = "$3" ]; then kill -KILL -- "-$(cat "$d/pid")" 2>/dev/null || true; fi
    done
    ;;
stop)
    for d in "$dir"/*/; do
        [ -f "$d/pid" ] && { kill -KILL -- "-$(cat "$d/pid")" 2>/dev/null || true; }
    done
    ;;
*)
    sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
