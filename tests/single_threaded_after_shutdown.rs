//! As tests/single_threaded.rs, but switching SQLite to single-thread mode
//! after it already ran multi-threaded: `sqlite3_shutdown`, then
//! `sqlite3_config(SQLITE_CONFIG_SINGLETHREAD)`, then a new initialization.
//! SQLite keeps the mutex implementation it picked first, so only the new
//! threading mode (no mutexes used at all) tells; the next open must still
//! be refused. Its own test binary: it reconfigures the whole process.

use ferrolite::{Connection, Error, ffi};

#[test]
fn opening_is_refused_after_a_shutdown_and_singlethread_config() {
    // Multi-threaded first: a connection opens and works.
    let conn = Connection::open_in_memory().unwrap();
    let one: i64 = conn.query_row("SELECT 1", [], |r| r.get(0)).unwrap();
    assert_eq!(one, 1);
    drop(conn);

    // SAFETY: this binary's only test, and no connection is open: nothing
    // else uses SQLite while it is shut down and reconfigured.
    unsafe {
        assert_eq!(ffi::sqlite3_shutdown(), ffi::SQLITE_OK);
        assert_eq!(
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_SINGLETHREAD),
            ffi::SQLITE_OK
        );
        assert_eq!(ffi::sqlite3_initialize(), ffi::SQLITE_OK);
    }
    assert_eq!(
        Connection::open_in_memory().unwrap_err(),
        Error::SqliteSingleThreadedMode
    );
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        Connection::open(dir.path().join("x.db")).unwrap_err(),
        Error::SqliteSingleThreadedMode
    );

    // Back to multi-thread mode: connections open again.
    // SAFETY: as above; no connection is open.
    unsafe {
        assert_eq!(ffi::sqlite3_shutdown(), ffi::SQLITE_OK);
        assert_eq!(
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MULTITHREAD),
            ffi::SQLITE_OK
        );
        assert_eq!(ffi::sqlite3_initialize(), ffi::SQLITE_OK);
    }
    let conn = Connection::open_in_memory().unwrap();
    let two: i64 = conn.query_row("SELECT 2", [], |r| r.get(0)).unwrap();
    assert_eq!(two, 2);
    // And stay open without a new check each time.
    for _ in 0..3 {
        Connection::open_in_memory().unwrap();
    }
}
