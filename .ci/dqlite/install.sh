#!/usr/bin/env bash
# Installs Debian's go-dqlite (dqlite-demo, the `dqlite` shell,
# dqlite-benchmark; pulls in libdqlite0 and libraft) when dqlite-demo is
# missing, like .ci/valgrind.sh installs valgrind. Exits non-zero if the
# binaries are still missing afterwards: CI must not skip the cluster tests.
set -euo pipefail
if ! command -v dqlite-demo >/dev/null 2>&1 || ! command -v dqlite >/dev/null 2>&1; then
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    ($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq go-dqlite) \
        || { echo "go-dqlite is required (apt-get install go-dqlite) and could not be installed" >&2; exit 1; }
fi
for b in dqlite-demo dqlite; do
    command -v "$b" >/dev/null 2>&1 || { echo "$b is missing after installing go-dqlite" >&2; exit 1; }
done
echo "go-dqlite: $(dpkg-query -W -f='${Version}' go-dqlite 2>/dev/null || echo '?'), libdqlite0: $(dpkg-query -W -f='${Version}' libdqlite0 2>/dev/null || echo '?')"
