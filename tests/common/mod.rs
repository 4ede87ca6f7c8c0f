//! Helpers shared by the integration tests. A test crate includes them with
//! `mod common;` at its root (`#[path = "../common/mod.rs"] mod common;`
//! from a folder's `main.rs`); each uses only some of them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use ferrolite::{Connection, Error, ErrorCode};
use tempfile::TempDir;

/// A fresh private in-memory database.
pub fn memory_db() -> Connection {
    Connection::open_in_memory().unwrap()
}

/// A fresh temporary directory and the path of a file `name` in it (not
/// created). Keep the directory alive while the file is used: dropping it
/// deletes the directory and everything in it.
pub fn temp_path(name: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

/// A new, empty database file `name` in a fresh temporary directory: the
/// directory (keep it alive, as for [`temp_path`]), the file's path and a
/// connection to it.
pub fn temp_db(name: &str) -> (TempDir, PathBuf, Connection) {
    let (dir, path) = temp_path(name);
    let conn = Connection::open(&path).unwrap();
    (dir, path, conn)
}

/// A generous bound for "stopped promptly" on a loaded 2-core machine: 3 s,
/// or a minute under valgrind (`FERROLITE_UNDER_VALGRIND`, set by
/// .ci/valgrind.sh; one thread at a time and ~50x slower, where the point is
/// memory safety, not speed).
pub fn prompt() -> Duration {
    if std::env::var_os("FERROLITE_UNDER_VALGRIND").is_some() {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(3)
    }
}

/// Asserts that `err` is an interrupt (`SQLITE_INTERRUPT`) whose message
/// contains `why` (`""` to check the code only).
pub fn assert_interrupted(err: &Error, why: &str) {
    assert!(err.is_interrupted(), "not an interrupt: {err:?}");
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::OperationInterrupted)
    );
    assert!(err.to_string().contains(why), "{err} does not say {why:?}");
}
