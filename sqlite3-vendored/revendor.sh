#!/usr/bin/env bash
# Re-vendor the SQLite amalgamation from the crates.io package libsqlite3-sys,
# which ships the official sqlite3.c / sqlite3.h / sqlite3ext.h unmodified.
#
# Writes VERSION, SHA256SUMS and SHA3-256SUMS.
#
# usage: sqlite3-vendored/revendor.sh LIBSQLITE3_SYS_VERSION [EXPECTED_SQLITE_VERSION]
#   e.g. sqlite3-vendored/revendor.sh 0.39.1 3.54.1
#
# It fetches the package with `cargo fetch` (crates.io is the only network
# this needs), copies the three files here, and rewrites VERSION and
# SHA256SUMS. Review the diff, then run the test suite: tests/abi.rs checks
# the header against our FFI declarations.
set -euo pipefail
sys_version=${1:?usage: revendor.sh LIBSQLITE3_SYS_VERSION [EXPECTED_SQLITE_VERSION]}
expected=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "revendor-probe"
version = "0.0.0"
edition = "2021"
[dependencies]
libsqlite3-sys = { version = "=$sys_version", default-features = false }
TOML
echo 'fn main() {}' > "$work/src/main.rs"
(cd "$work" && cargo fetch --quiet)
src=$(cd "$work" && cargo metadata --format-version 1 --quiet \
  | python3 -c 'import json,sys; m=json.load(sys.stdin); print([p["manifest_path"] for p in m["packages"] if p["name"]=="libsqlite3-sys"][0])')
src=$(dirname "$src")/sqlite3

version=$(sed -n 's/^#define SQLITE_VERSION *"\(.*\)"/\1/p' "$src/sqlite3.h")
source_id=$(sed -n 's/^#define SQLITE_SOURCE_ID *"\(.*\)"/\1/p' "$src/sqlite3.h")
if [ -n "$expected" ] && [ "$version" != "$expected" ]; then
  echo "libsqlite3-sys $sys_version ships SQLite $version, not $expected" >&2
  exit 1
fi
for f in sqlite3.c sqlite3.h sqlite3ext.h; do cp "$src/$f" "$here/$f"; done
(cd "$here" && sha256sum sqlite3.c sqlite3.h sqlite3ext.h > SHA256SUMS)
(cd "$here" && python3 -c 'import hashlib,sys
for n in sys.argv[1:]: print(hashlib.sha3_256(open(n,"rb").read()).hexdigest()+"  "+n)' \
  sqlite3.c sqlite3.h sqlite3ext.h > SHA3-256SUMS)
cat > "$here/VERSION" <<V
sqlite_version=$version
sqlite_source_id=$source_id
taken_from=crates.io libsqlite3-sys $sys_version (sqlite3/ directory, unmodified)
V
echo "vendored SQLite $version from libsqlite3-sys $sys_version"
cat "$here/SHA256SUMS"
