//! Build script: picks the SQLite backend and compiles the vendored
//! amalgamation (feature `bundled`, the default) with `cc`.
//!
//! With feature `libsqlite3-sys`, nothing is compiled here: our own `extern
//! "C"` declarations resolve against whatever library that crate links.

use std::env;
use std::path::{Path, PathBuf};

/// Compile-time options for the vendored SQLite, one reason each.
const SQLITE_OPTIONS: &[(&str, Option<&str>)] = &[
    // Connections are used from several threads (one at a time, and
    // `sqlite3_interrupt` from any); we open with SQLITE_OPEN_NOMUTEX, which
    // drops the per-connection mutex but keeps the global ones.
    ("SQLITE_THREADSAFE", Some("1")),
    // Double-quoted strings are identifiers, never string literals.
    ("SQLITE_DQS", Some("0")),
    // Memory statistics cost a mutex per malloc; nobody reads them by default.
    ("SQLITE_DEFAULT_MEMSTATUS", Some("0")),
    // In WAL mode, synchronous=NORMAL is durable across application crashes
    // and much faster than FULL.
    ("SQLITE_DEFAULT_WAL_SYNCHRONOUS", Some("1")),
    // `blob LIKE pattern` never matches, so LIKE can use indexes more often.
    ("SQLITE_LIKE_DOESNT_MATCH_BLOBS", None),
    // Small per-statement scratch space on the stack instead of the heap.
    ("SQLITE_USE_ALLOCA", None),
    // Deprecated interfaces are neither declared by us nor compiled.
    ("SQLITE_OMIT_DEPRECATED", None),
    // Foreign keys are enforced by default, as rusqlite's bundled build does.
    ("SQLITE_DEFAULT_FOREIGN_KEYS", Some("1")),
    // Extra argument checks on the public API: a misuse is an error, not UB.
    ("SQLITE_ENABLE_API_ARMOR", None),
    // sqlite3_sleep() with sub-second resolution (busy_timeout relies on it).
    ("HAVE_USLEEP", Some("1")),
    // Thread-safe localtime for date functions with 'localtime'.
    ("HAVE_LOCALTIME_R", Some("1")),
    // isnan() from the C library instead of SQLite's own fallback.
    ("HAVE_ISNAN", Some("1")),
    // Full-text search, version 5.
    ("SQLITE_ENABLE_FTS5", None),
    // R*Tree spatial indexes.
    ("SQLITE_ENABLE_RTREE", None),
    // sin(), ln(), pow(), ... in SQL.
    ("SQLITE_ENABLE_MATH_FUNCTIONS", None),
    // The dbstat virtual table, for space analysis.
    ("SQLITE_ENABLE_DBSTAT_VTAB", None),
    // Better query plans from sampled index statistics (ANALYZE).
    ("SQLITE_ENABLE_STAT4", None),
    // sqlite3_column_{database,table,origin}_name for result metadata.
    ("SQLITE_ENABLE_COLUMN_METADATA", None),
    // sqlite3_preupdate_hook (and the session extension, which needs it).
    ("SQLITE_ENABLE_PREUPDATE_HOOK", None),
    // The session extension: changesets and patchsets.
    ("SQLITE_ENABLE_SESSION", None),
    // The carray() table-valued function and sqlite3_carray_bind.
    ("SQLITE_ENABLE_CARRAY", None),
    // sqlite3_snapshot_get/open/cmp/recover: read a past state of a WAL
    // database (ferrolite::Snapshot).
    ("SQLITE_ENABLE_SNAPSHOT", None),
    // Release builds of SQLite: no internal assert()s.
    ("NDEBUG", None),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=FERROLITE_SQLITE_FLAGS");

    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let vendored = manifest.join("sqlite3-vendored");
    let use_sys = env::var_os("CARGO_FEATURE_LIBSQLITE3_SYS").is_some();
    let bundled = env::var_os("CARGO_FEATURE_BUNDLED").is_some();

    let include = if use_sys {
        // libsqlite3-sys (links = "sqlite3") exports its include dir when it
        // compiles its own copy; a system SQLite may give none.
        env::var_os("DEP_SQLITE3_INCLUDE").map(PathBuf::from)
    } else if bundled {
        compile_amalgamation(&vendored);
        Some(vendored.clone())
    } else {
        // Neither backend: link a system libsqlite3.
        println!("cargo:rustc-link-lib=sqlite3");
        None
    };

    if let Some(include) = include {
        // For dependants that want to compile C against the same header.
        println!("cargo:include={}", include.display());
        compile_abi_shim(&manifest, &include);
    }
}

fn compile_amalgamation(dir: &Path) {
    for f in ["sqlite3.c", "sqlite3.h", "sqlite3ext.h"] {
        println!("cargo:rerun-if-changed={}", dir.join(f).display());
    }
    let mut cfg = cc::Build::new();
    cfg.file(dir.join("sqlite3.c"))
        .include(dir)
        // Always optimised, even in debug builds: tests run SQLite at speed.
        .opt_level(2)
        // No debug info for SQLite itself: a much faster build.
        .debug(false)
        .warnings(false);
    // Removals of our defaults: FERROLITE_SQLITE_FLAGS="-USQLITE_ENABLE_FTS5".
    let extra = env::var("FERROLITE_SQLITE_FLAGS").unwrap_or_default();
    let removed: Vec<&str> = extra
        .split_whitespace()
        .filter_map(|opt| opt.strip_prefix("-U"))
        .collect();
    for (name, value) in SQLITE_OPTIONS {
        if !removed.contains(name) {
            cfg.define(name, *value);
        }
    }
    // `vtab::carray` calls sqlite3_carray_bind_v2 only when it exists.
    if !removed.contains(&"SQLITE_ENABLE_CARRAY") {
        println!("cargo:rustc-cfg=ferrolite_carray");
    }
    // sqlite3_unlock_notify for shared-cache lock waits: only with feature
    // `unlock_notify`, which uses it. It costs a global mutex at the end of
    // every autocommit statement (see BENCHMARKS.md).
    if env::var_os("CARGO_FEATURE_UNLOCK_NOTIFY").is_some() {
        assert!(
            !removed.contains(&"SQLITE_ENABLE_UNLOCK_NOTIFY"),
            "FERROLITE_SQLITE_FLAGS removes SQLITE_ENABLE_UNLOCK_NOTIFY, which \
             feature `unlock_notify` needs: drop one or the other"
        );
        cfg.define("SQLITE_ENABLE_UNLOCK_NOTIFY", None);
    }
    if env::var_os("CARGO_FEATURE_WITH_ASAN").is_some() {
        cfg.flag("-fsanitize=address");
    }
    if env::var_os("CARGO_FEATURE_LOAD_EXTENSION").is_none() {
        // Extension loading is compiled out unless feature `load_extension`.
        cfg.define("SQLITE_OMIT_LOAD_EXTENSION", None);
    }
    // User additions: FERROLITE_SQLITE_FLAGS="SQLITE_MAX_VARIABLE_NUMBER=99999 -DSQLITE_FOO".
    for opt in extra.split_whitespace() {
        if opt.starts_with("-U") {
            continue; // a removal, applied above
        }
        let opt = opt.strip_prefix("-D").unwrap_or(opt);
        match opt.split_once('=') {
            Some((k, v)) => cfg.define(k, v),
            None => cfg.define(opt, None),
        };
    }
    cfg.compile("ferrolite_sqlite3");
}

/// A tiny C file that exports sizes and constants from `sqlite3.h`, so a
/// test can compare them with our Rust declarations.
fn compile_abi_shim(manifest: &Path, include: &Path) {
    let shim = manifest.join("src/ffi/abi_shim.c");
    println!("cargo:rerun-if-changed={}", shim.display());
    cc::Build::new()
        .file(&shim)
        .include(include)
        .opt_level(1)
        .debug(false)
        .compile("ferrolite_abi_shim");
    println!("cargo:rustc-cfg=ferrolite_abi_shim");
}
