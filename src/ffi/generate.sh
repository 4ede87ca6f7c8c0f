#!/usr/bin/env bash
# Regenerates src/ffi/bindings.rs from the vendored sqlite3.h.
# Run by hand after re-vendoring; the build never runs bindgen.
# Tool: bindgen 0.60.1 (Debian packages `bindgen` and `libclang1-14`).
set -euo pipefail
cd "$(dirname "$0")/../.."
{
  echo "// Generated from sqlite3-vendored/sqlite3.h by src/ffi/generate.sh; do not edit."
  echo "// bindgen $(bindgen --version | cut -d' ' -f2); SQLite $(sed -n 's/^#define SQLITE_VERSION *"\(.*\)"/\1/p' sqlite3-vendored/sqlite3.h)"
  bindgen sqlite3-vendored/sqlite3.h \
    --allowlist-function 'sqlite3_.*' \
    --allowlist-function 'sqlite3(session|changeset|changegroup|rebaser)_.*' \
    --allowlist-type 'sqlite3.*' \
    --allowlist-type '(fts5|Fts5).*' \
    --allowlist-var 'SQLITE_.*' \
    --blocklist-function 'sqlite3_(vmprintf|vsnprintf|str_vappendf)' \
    --blocklist-type 'va_list|__va_list_tag|__builtin_va_list' \
    --default-macro-constant-type signed \
    --ctypes-prefix ::std::ffi \
    --no-layout-tests \
    --no-doc-comments \
    -- -DSQLITE_ENABLE_SESSION -DSQLITE_ENABLE_PREUPDATE_HOOK -DSQLITE_ENABLE_COLUMN_METADATA \
       -DSQLITE_ENABLE_UNLOCK_NOTIFY -DSQLITE_ENABLE_CARRAY
} | sed -e 's/^extern "C" {/unsafe extern "C" {/' > src/ffi/bindings.rs
echo "wrote src/ffi/bindings.rs ($(wc -l < src/ffi/bindings.rs) lines)"
