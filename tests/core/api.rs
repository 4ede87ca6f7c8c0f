//! The core API: `Connection`, `Statement`, `Rows`, `Row`, the statement
//! cache and the pragma helpers, happy paths and failures alike.

use std::time::{Duration, Instant};

use ferrolite::fallible_iterator::FallibleIterator;
use ferrolite::fallible_streaming_iterator::FallibleStreamingIterator;
use ferrolite::types::{Type, ValueRef};
use ferrolite::{
    Connection, Error, ErrorCode, MAIN_DB, OpenFlags, OptionalExtension, PrepFlags, Result,
    StatementStatus, TEMP_DB, TransactionState, ffi, params,
};

use crate::common::memory_db as mem;

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn code(err: &Error) -> Option<ErrorCode> {
    err.sqlite_error_code()
}

// ---------------------------------------------------------------- opening

#[test]
fn open_creates_a_file_that_a_second_connection_sees() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    assert!(!path.exists());
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (42)")
        .unwrap();
    assert!(path.exists());
    assert_eq!(conn.path(), Some(path.to_str().unwrap()));

    let other = Connection::open(&path).unwrap();
    let x: i64 = other
        .query_row("SELECT x FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(x, 42);
}

#[test]
fn open_in_a_missing_directory_fails_with_cannot_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/a.db");
    let err = Connection::open(&path).unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::CannotOpen));
    assert!(matches!(err, Error::SqliteFailure(_, Some(_))), "{err:?}");
    // The message names the path and the operating system's reason.
    let os = std::io::Error::from_raw_os_error(libc_enoent());
    let reason = os.to_string();
    let reason = reason.split(" (os error").next().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "unable to open database file: {} ({reason}, os error {})",
            path.display(),
            libc_enoent()
        )
    );
    // Every open entry point that takes a path says the same.
    for err in [
        Connection::open_with_flags(&path, OpenFlags::default()).unwrap_err(),
        Connection::open_with_flags_and_vfs(&path, OpenFlags::default(), "unix").unwrap_err(),
    ] {
        assert_eq!(code(&err), Some(ErrorCode::CannotOpen));
        assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    }
}

/// `ENOENT`, the same on every Unix and on Windows.
fn libc_enoent() -> i32 {
    2
}

#[test]
fn open_read_only_of_a_missing_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.db");
    let err = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::CannotOpen));
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("unable to open database file: {}", path.display())),
        "{msg}"
    );
    assert!(msg.ends_with(", os error 2)"), "{msg}");
}

#[test]
fn open_errors_that_are_not_about_the_file_keep_sqlites_message() {
    // An unknown VFS is not a file problem: no path, no OS reason.
    let err = Connection::open_with_flags_and_vfs("x.db", OpenFlags::default(), "no-such-vfs")
        .unwrap_err();
    assert_eq!(err.to_string(), "no such vfs: no-such-vfs");
}

#[test]
fn open_rejects_paths_sqlite_cannot_take() {
    let err = Connection::open("bad\0name.db").unwrap_err();
    assert!(matches!(err, Error::NulError(_)), "{err:?}");
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_open_on_unix() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xff.db");
    let path = dir.path().join(name);
    assert!(path.to_str().is_none());
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (7)")
        .unwrap();
    // SQLite created the file under exactly these bytes.
    assert!(path.exists());
    // As in rusqlite, `path()` is `None` when the name is not UTF-8.
    assert_eq!(conn.path(), None);
    drop(conn);
    let again = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let x: i64 = again
        .query_row("SELECT x FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(x, 7);
    // A failure names the path, lossily.
    let missing = dir.path().join(std::ffi::OsStr::from_bytes(b"\xfe/x.db"));
    let err = Connection::open(&missing).unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::CannotOpen));
    assert!(err.to_string().contains("\u{fffd}/x.db"), "{err}");
}

#[test]
fn open_read_only_needs_an_existing_file_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.db");
    let err = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::CannotOpen));
    assert!(!path.exists());

    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")
        .unwrap();
    let ro = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    assert!(ro.is_readonly(MAIN_DB).unwrap());
    assert_eq!(count(&ro, "t"), 1);
    let err = ro.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::ReadOnly));
    // Still usable after the failure.
    assert_eq!(count(&ro, "t"), 1);
}

#[test]
fn uri_filenames_are_understood_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("uri.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let uri = format!("file:{}?mode=ro", path.display());
    let conn = Connection::open(&uri).unwrap();
    assert!(conn.is_readonly("main").unwrap());
    let err = conn.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::ReadOnly));

    // Shared-cache in-memory databases by URI: two connections, one database.
    let name = "file:ferrolite_core_shared?mode=memory&cache=shared";
    let a = Connection::open(name).unwrap();
    let b = Connection::open(name).unwrap();
    a.execute_batch("CREATE TABLE s (x); INSERT INTO s VALUES (7)")
        .unwrap();
    assert_eq!(count(&b, "s"), 1);
    assert_eq!(b.path(), Some(""));
}

#[test]
fn open_flags_default_and_explicit() {
    assert_eq!(
        OpenFlags::default(),
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    );
    // Neither READ_ONLY nor READ_WRITE: SQLite refuses.
    let err = Connection::open_in_memory_with_flags(OpenFlags::SQLITE_OPEN_CREATE).unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::ApiMisuse));

    let conn = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_FULL_MUTEX,
    )
    .unwrap();
    assert_eq!(
        conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)),
        Ok(1)
    );

    // A file opened with SQLITE_OPEN_MEMORY lives only in memory.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mem.db");
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_MEMORY,
    )
    .unwrap();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    assert!(!path.exists());
}

#[test]
fn open_with_a_named_vfs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vfs.db");
    let err = Connection::open_with_flags_and_vfs(&path, OpenFlags::default(), "no-such-vfs")
        .unwrap_err();
    assert!(err.sqlite_error().is_some(), "{err:?}");
    assert!(!path.exists());
    let err = Connection::open_in_memory_with_flags_and_vfs(OpenFlags::default(), "no-such-vfs")
        .unwrap_err();
    assert!(err.sqlite_error().is_some(), "{err:?}");
    let err =
        Connection::open_in_memory_with_flags_and_vfs(OpenFlags::default(), "a\0b").unwrap_err();
    assert!(matches!(err, Error::NulError(_)), "{err:?}");

    #[cfg(unix)]
    {
        let conn =
            Connection::open_with_flags_and_vfs(&path, OpenFlags::default(), "unix").unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
        assert!(path.exists());
        let conn =
            Connection::open_in_memory_with_flags_and_vfs(OpenFlags::default(), c"unix-none")
                .unwrap();
        assert_eq!(
            conn.query_row("SELECT 2", [], |r| r.get::<_, i64>(0)),
            Ok(2)
        );
    }
}

#[test]
fn a_non_database_file_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let conn = Connection::open(&path).unwrap(); // SQLite reads lazily
    let err = conn
        .execute_batch("SELECT * FROM sqlite_master")
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::NotADatabase));
}

#[test]
fn new_connections_wait_five_seconds_for_locks() {
    let conn = mem();
    assert_eq!(ferrolite::DEFAULT_BUSY_TIMEOUT, Duration::from_secs(5));
    assert_eq!(conn.get_busy_timeout(), Some(Duration::from_secs(5)));
    conn.busy_timeout(Duration::from_millis(250)).unwrap();
    assert_eq!(conn.get_busy_timeout(), Some(Duration::from_millis(250)));
    conn.busy_timeout(Duration::ZERO).unwrap();
    assert_eq!(conn.get_busy_timeout(), None);
}

#[test]
fn busy_timeout_bounds_the_wait_for_a_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    let mut holder = Connection::open(&path).unwrap();
    holder.execute_batch("CREATE TABLE t (x)").unwrap();
    let waiter = Connection::open(&path).unwrap();
    waiter.busy_timeout(Duration::from_millis(100)).unwrap();

    let tx = holder
        .transaction_with_behavior(ferrolite::TransactionBehavior::Exclusive)
        .unwrap();
    let start = Instant::now();
    let err = waiter.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
    let waited = start.elapsed();
    assert_eq!(code(&err), Some(ErrorCode::DatabaseBusy));
    assert!(err.is_busy());
    assert!(
        waited >= Duration::from_millis(90),
        "gave up after {waited:?}"
    );
    // Upper bounds: far above the timeout, stretched under valgrind (one
    // thread at a time, ~50x slower), where the statement itself is slow.
    let slack = if std::env::var_os("FERROLITE_UNDER_VALGRIND").is_some() {
        20
    } else {
        1
    };
    assert!(waited < Duration::from_secs(4) * slack, "waited {waited:?}");

    // Zero: fail at once (well before the 100 ms wait above).
    waiter.busy_timeout(Duration::ZERO).unwrap();
    let start = Instant::now();
    let err = waiter.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
    assert!(err.is_busy());
    if slack == 1 {
        assert!(start.elapsed() < Duration::from_millis(90));
    }

    tx.commit().unwrap();
    waiter.execute("INSERT INTO t VALUES (1)", []).unwrap();
}

// ---------------------------------------------------------------- closing

#[test]
fn close_succeeds_and_drops_cached_statements() {
    let conn = mem();
    conn.prepare_cached("SELECT 1").unwrap();
    let handle = conn.get_interrupt_handle();
    assert!(!handle.is_closed());
    conn.close().unwrap();
    assert!(handle.is_closed());
    handle.interrupt(); // a no-op, never a use-after-free
}

#[test]
fn failed_close_hands_the_connection_back_usable() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    // A statement ferrolite does not know about keeps the connection busy.
    let mut raw = std::ptr::null_mut();
    // SAFETY: live handle; we finalize the statement below.
    let rc = unsafe {
        ffi::sqlite3_prepare_v2(
            conn.handle(),
            c"SELECT 1".as_ptr(),
            -1,
            &mut raw,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, ffi::SQLITE_OK);
    let handle = conn.get_interrupt_handle();

    let (conn, err) = conn.close().unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::DatabaseBusy));
    assert!(!handle.is_closed(), "the handle must work again");
    conn.execute("INSERT INTO t VALUES (1)", []).unwrap();
    assert_eq!(count(&conn, "t"), 1);

    // SAFETY: prepared above on this live connection, finalized once.
    assert_eq!(unsafe { ffi::sqlite3_finalize(raw) }, ffi::SQLITE_OK);
    conn.close().unwrap();
    assert!(handle.is_closed());
}

#[test]
fn borrowed_handles_are_not_closed_by_the_wrapper() {
    let owner = mem();
    owner.execute_batch("CREATE TABLE t (x)").unwrap();
    {
        // SAFETY: `owner` outlives the wrapper and is not used meanwhile.
        let view = unsafe { Connection::from_handle(owner.handle()) }.unwrap();
        view.execute("INSERT INTO t VALUES (1)", []).unwrap();
        view.close().unwrap();
    }
    assert_eq!(count(&owner, "t"), 1);

    // from_handle_owned takes over closing.
    let mut db = std::ptr::null_mut();
    // SAFETY: valid C string and out-pointer.
    let rc = unsafe {
        ffi::sqlite3_open_v2(
            c":memory:".as_ptr(),
            &mut db,
            ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE,
            std::ptr::null(),
        )
    };
    assert_eq!(rc, ffi::SQLITE_OK);
    // SAFETY: a live handle nobody else uses or closes.
    let conn = unsafe { Connection::from_handle_owned(db) }.unwrap();
    assert_eq!(
        conn.query_row("SELECT 3", [], |r| r.get::<_, i64>(0)),
        Ok(3)
    );
    conn.close().unwrap();
}

// ---------------------------------------------------------------- executing

#[test]
fn execute_returns_rows_changed_and_updates_counters() {
    let conn = mem();
    assert_eq!(conn.total_changes(), 0);
    assert_eq!(conn.execute("CREATE TABLE t (x)", []).unwrap(), 0);
    assert_eq!(
        conn.execute("INSERT INTO t VALUES (1), (2), (3)", [])
            .unwrap(),
        3
    );
    assert_eq!(conn.changes(), 3);
    assert_eq!(conn.last_insert_rowid(), 3);
    assert_eq!(
        conn.execute("UPDATE t SET x = x + 1 WHERE x >= ?1", [2])
            .unwrap(),
        2
    );
    assert_eq!(conn.changes(), 2);
    assert_eq!(conn.execute("DELETE FROM t WHERE x > 100", []).unwrap(), 0);
    assert_eq!(conn.changes(), 0);
    assert_eq!(conn.total_changes(), 5);
    // A trailing semicolon, whitespace and comments are one statement.
    assert_eq!(
        conn.execute("DELETE FROM t WHERE x = 1; -- done\n  ", [])
            .unwrap(),
        1
    );
    // Statements that change no rows report 0, not the count of the last
    // INSERT/UPDATE/DELETE (which sqlite3_changes keeps).
    conn.execute("INSERT INTO t VALUES (9)", []).unwrap();
    assert_eq!(conn.execute("", []).unwrap(), 0);
    assert_eq!(conn.execute(" -- nothing\n", []).unwrap(), 0);
    assert_eq!(conn.execute("CREATE TABLE u (y)", []).unwrap(), 0);
    assert_eq!(conn.execute("PRAGMA user_version = 3", []).unwrap(), 0);
    assert_eq!(conn.execute("DROP TABLE u", []).unwrap(), 0);
    // Trigger changes are not the statement's own.
    conn.execute_batch(
        "CREATE TABLE log (x); CREATE TRIGGER tr AFTER INSERT ON t BEGIN
           INSERT INTO log VALUES (new.x); INSERT INTO log VALUES (new.x); END;",
    )
    .unwrap();
    assert_eq!(conn.execute("INSERT INTO t VALUES (10)", []).unwrap(), 1);
    assert_eq!(count(&conn, "log"), 2);
}

#[test]
fn execute_refuses_queries_and_several_statements() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    assert_eq!(
        conn.execute("SELECT 1", []),
        Err(Error::ExecuteReturnedResults)
    );
    assert_eq!(
        conn.execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)", []),
        Err(Error::MultipleStatement)
    );
    assert_eq!(count(&conn, "t"), 0, "nothing ran");
    // An incomplete second statement is an error too, and nothing runs.
    let err = conn
        .execute("INSERT INTO t VALUES (1); INSERT INTO", [])
        .unwrap_err();
    assert_eq!(err.to_string(), "incomplete input");
    let err = conn
        .execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (", [])
        .unwrap_err();
    assert!(err.sqlite_error().is_some(), "{err:?}");
    assert_eq!(count(&conn, "t"), 0);
}

#[test]
fn execute_batch_runs_everything_and_stops_at_the_first_error() {
    let conn = mem();
    conn.execute_batch(
        "CREATE TABLE t (x);
         INSERT INTO t VALUES (1);
         SELECT * FROM t;  -- rows are discarded
         INSERT INTO t VALUES (2);",
    )
    .unwrap();
    assert_eq!(count(&conn, "t"), 2);
    conn.execute_batch("").unwrap();
    conn.execute_batch("  ;; -- only a comment\n").unwrap();

    let err = conn
        .execute_batch(
            "INSERT INTO t VALUES (3); INSERT INTO nope VALUES (4); INSERT INTO t VALUES (5)",
        )
        .unwrap_err();
    assert!(err.to_string().contains("no such table: nope"), "{err}");
    assert_eq!(
        count(&conn, "t"),
        3,
        "statements before the error ran, none after"
    );

    let err = conn
        .execute_batch("INSERT INTO t VALUES (6); SELEKT 1")
        .unwrap_err();
    assert!(matches!(err, Error::SqlInputError { .. }), "{err:?}");
    assert_eq!(count(&conn, "t"), 4);

    // Runtime errors of a statement that returns rows are reported too.
    let err = conn
        .execute_batch("SELECT abs(-9223372036854775807 - 1)")
        .unwrap_err();
    assert!(err.to_string().contains("integer overflow"), "{err}");
    let err = conn.execute_batch("SELECT 1\0").unwrap_err();
    assert!(matches!(err, Error::NulError(_)), "{err:?}");
}

#[test]
fn prepare_reports_syntax_errors_with_the_offset() {
    let conn = mem();
    let sql = "SELECT 1 FROM WHERE x";
    match conn.prepare(sql).unwrap_err() {
        Error::SqlInputError {
            error,
            msg,
            sql: s,
            offset,
        } => {
            assert_eq!(error.code, ErrorCode::Unknown);
            assert_eq!(error.extended_code, ffi::SQLITE_ERROR);
            assert_eq!(msg, "near \"WHERE\": syntax error");
            assert_eq!(s, sql);
            assert_eq!(offset, 14);
            assert_eq!(&sql[offset as usize..offset as usize + 5], "WHERE");
        }
        other => panic!("{other:?}"),
    }
    // Errors SQLite can't place at a token carry no offset.
    let err = conn.prepare("SELECT * FROM nope").unwrap_err();
    assert_eq!(
        err,
        Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_ERROR),
            Some("no such table: nope".into())
        )
    );
    let err = conn.prepare("SELECT nope FROM sqlite_master").unwrap_err();
    assert!(
        matches!(&err, Error::SqlInputError { msg, offset: 7, .. } if msg == "no such column: nope"),
        "{err:?}"
    );
    assert!(conn.prepare("SELECT 1; SELECT 2").is_err());
    assert!(matches!(
        conn.prepare("SELECT '\0'").unwrap_err(),
        Error::NulError(_)
    ));
    // The connection is fine afterwards.
    assert_eq!(
        conn.query_row("SELECT 5", [], |r| r.get::<_, i64>(0)),
        Ok(5)
    );
}

#[test]
fn prepare_with_flags() {
    let conn = mem();
    let stmt = conn
        .prepare_with_flags("SELECT 1", PrepFlags::SQLITE_PREPARE_PERSISTENT)
        .unwrap();
    assert_eq!(stmt.column_count(), 1);
    drop(stmt);
    // NO_VTAB refuses virtual tables (generate_series is one).
    conn.execute_batch("CREATE VIRTUAL TABLE f USING fts5(body)")
        .unwrap();
    assert!(conn.prepare("SELECT * FROM f").is_ok());
    let err = conn
        .prepare_with_flags("SELECT * FROM f", PrepFlags::SQLITE_PREPARE_NO_VTAB)
        .unwrap_err();
    assert!(err.sqlite_error().is_some(), "{err:?}");
}

// ---------------------------------------------------------------- query_row & co

#[test]
fn query_row_returns_the_first_row_or_no_rows() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)")
        .unwrap();
    let x: i64 = conn
        .query_row("SELECT x FROM t ORDER BY x", [], |r| r.get(0))
        .unwrap();
    assert_eq!(x, 1);
    assert_eq!(
        conn.query_row("SELECT x FROM t WHERE x > 5", [], |r| r.get::<_, i64>(0)),
        Err(Error::QueryReturnedNoRows)
    );
    assert_eq!(
        conn.query_row("SELECT x FROM t WHERE x > 5", [], |r| r.get::<_, i64>(0))
            .optional(),
        Ok(None)
    );
    assert_eq!(
        conn.query_row("SELECT x FROM t WHERE x = 2", [], |r| r.get::<_, i64>(0))
            .optional(),
        Ok(Some(2))
    );
    // Other errors pass through optional().
    assert!(
        conn.query_row("SELECT nope FROM t", [], |r| r.get::<_, i64>(0))
            .optional()
            .is_err()
    );
    // The closure's error is returned as is.
    assert_eq!(
        conn.query_row("SELECT 1", [], |_| -> Result<()> {
            Err(Error::InvalidQuery)
        }),
        Err(Error::InvalidQuery)
    );
}

#[test]
fn query_one_wants_exactly_one_row() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)")
        .unwrap();
    assert_eq!(
        conn.query_one("SELECT x FROM t WHERE x = ?1", [2], |r| r.get::<_, i64>(0)),
        Ok(2)
    );
    assert_eq!(
        conn.query_one("SELECT x FROM t", [], |r| r.get::<_, i64>(0)),
        Err(Error::QueryReturnedMoreThanOneRow)
    );
    assert_eq!(
        conn.query_one("SELECT x FROM t WHERE 0", [], |r| r.get::<_, i64>(0)),
        Err(Error::QueryReturnedNoRows)
    );
    let mut stmt = conn.prepare("SELECT x FROM t WHERE x >= ?1").unwrap();
    assert_eq!(stmt.query_one([2], |r| r.get::<_, i64>(0)), Ok(2));
    assert_eq!(
        stmt.query_one([1], |r| r.get::<_, i64>(0)),
        Err(Error::QueryReturnedMoreThanOneRow)
    );
    assert_eq!(
        stmt.query_one([9], |r| r.get::<_, i64>(0)),
        Err(Error::QueryReturnedNoRows)
    );
    // The statement is reusable after each outcome.
    assert_eq!(stmt.query_one([2], |r| r.get::<_, i64>(0)), Ok(2));
}

#[derive(Debug, PartialEq)]
enum MyError {
    Sqlite(Error),
    Negative(i64),
}

impl From<Error> for MyError {
    fn from(e: Error) -> MyError {
        MyError::Sqlite(e)
    }
}

#[test]
fn query_row_and_then_uses_the_callers_error_type() {
    let conn = mem();
    let check = |sql: &str| -> Result<i64, MyError> {
        conn.query_row_and_then(sql, [], |r| {
            let v: i64 = r.get(0)?;
            if v < 0 {
                Err(MyError::Negative(v))
            } else {
                Ok(v)
            }
        })
    };
    assert_eq!(check("SELECT 4"), Ok(4));
    assert_eq!(check("SELECT -4"), Err(MyError::Negative(-4)));
    assert_eq!(
        check("SELECT 1 WHERE 0"),
        Err(MyError::Sqlite(Error::QueryReturnedNoRows))
    );
    assert!(matches!(
        check("SELEKT"),
        Err(MyError::Sqlite(Error::SqlInputError { .. }))
    ));
    assert!(matches!(
        check("SELECT 'x'"),
        Err(MyError::Sqlite(Error::InvalidColumnType(0, _, Type::Text)))
    ));
}

// ---------------------------------------------------------------- connection state

#[test]
fn autocommit_and_transaction_state() {
    let mut conn = mem();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    assert!(conn.is_autocommit());
    assert_eq!(
        conn.transaction_state(None::<&str>).unwrap(),
        TransactionState::None
    );
    let tx = conn.transaction().unwrap();
    assert!(!tx.is_autocommit());
    assert_eq!(
        tx.transaction_state(Some(MAIN_DB)).unwrap(),
        TransactionState::None,
        "BEGIN DEFERRED takes no lock yet"
    );
    count(&tx, "t");
    assert_eq!(
        tx.transaction_state(Some("main")).unwrap(),
        TransactionState::Read
    );
    tx.execute("INSERT INTO t VALUES (1)", []).unwrap();
    assert_eq!(
        tx.transaction_state(None::<&str>).unwrap(),
        TransactionState::Write
    );
    assert_eq!(
        tx.transaction_state(Some(TEMP_DB)).unwrap(),
        TransactionState::None
    );
    assert_eq!(
        tx.transaction_state(Some("nope")).unwrap_err().to_string(),
        "\"nope\" is not the name of an attached database"
    );
    tx.commit().unwrap();
    assert!(conn.is_autocommit());
}

#[test]
fn database_names_and_read_only_state() {
    let dir = tempfile::tempdir().unwrap();
    let conn = mem();
    assert_eq!(conn.db_name(0).unwrap(), "main");
    assert_eq!(conn.db_name(1).unwrap(), "temp");
    assert_eq!(conn.db_name(2), Err(Error::InvalidDatabaseIndex(2)));
    assert_eq!(
        conn.db_name(usize::MAX),
        Err(Error::InvalidDatabaseIndex(usize::MAX))
    );
    let other = dir.path().join("other.db");
    conn.execute("ATTACH ?1 AS \"o'ther\"", [other.to_str().unwrap()])
        .unwrap();
    assert_eq!(conn.db_name(2).unwrap(), "o'ther");
    assert!(!conn.is_readonly("o'ther").unwrap());
    assert!(!conn.is_readonly(MAIN_DB).unwrap());
    let err = conn.is_readonly("nope").unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::ApiMisuse));
    assert!(matches!(conn.is_readonly("a\0b"), Err(Error::NulError(_))));
}

#[test]
fn path_of_file_memory_and_temporary_databases() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let conn = Connection::open(&path).unwrap();
    assert_eq!(conn.path(), Some(path.to_str().unwrap()));
    assert_eq!(mem().path(), Some(""));
    assert_eq!(Connection::open("").unwrap().path(), Some(""));
}

#[test]
fn misc_connection_methods() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (randomblob(10000))")
        .unwrap();
    conn.release_memory().unwrap();
    conn.cache_flush().unwrap();
    assert!(!conn.is_busy());
    {
        let mut stmt = conn.prepare("SELECT 1 UNION ALL SELECT 2").unwrap();
        let mut rows = stmt.query([]).unwrap();
        rows.next().unwrap();
        assert!(conn.is_busy(), "a statement is mid-way");
    }
    assert!(!conn.is_busy(), "dropping Rows resets the statement");
    assert!(!conn.is_interrupted());
    let h = conn.get_interrupt_handle();
    assert!(!h.is_interrupted());
    assert!(ferrolite::version_number() >= 3_044_000);
    assert!(ferrolite::version().starts_with("3."));
}

// ---------------------------------------------------------------- statement cache

#[test]
fn prepare_cached_reuses_statements() {
    let conn = mem();
    let first = {
        let stmt = conn.prepare_cached("SELECT ?1").unwrap();
        // SAFETY: only compared, never dereferenced.
        unsafe { stmt.raw_handle() }
    };
    for i in 0..5 {
        let mut stmt = conn.prepare_cached("SELECT ?1").unwrap();
        // SAFETY: only compared.
        assert_eq!(unsafe { stmt.raw_handle() }, first, "reused");
        assert_eq!(stmt.query_row([i], |r| r.get::<_, i64>(0)), Ok(i));
    }
    // Two checked out at once: distinct statements.
    let a = conn.prepare_cached("SELECT ?1").unwrap();
    let b = conn.prepare_cached("SELECT ?1").unwrap();
    // SAFETY: only compared.
    assert_ne!(unsafe { a.raw_handle() }, unsafe { b.raw_handle() });
    drop((a, b));
    // Errors are not cached.
    assert!(matches!(
        conn.prepare_cached("SELEKT").unwrap_err(),
        Error::SqlInputError { .. }
    ));
    assert_eq!(
        conn.prepare_cached("SELECT 1; SELECT 2").err(),
        Some(Error::MultipleStatement)
    );
}

#[test]
fn cached_statements_come_back_reset_with_bindings_cleared() {
    let conn = mem();
    {
        let mut stmt = conn.prepare_cached("SELECT ?1").unwrap();
        stmt.raw_bind_parameter(1, 99).unwrap();
        let mut rows = stmt.raw_query();
        assert_eq!(rows.next().unwrap().unwrap().get::<_, i64>(0), Ok(99));
        // Dropped mid-query.
    }
    let mut stmt = conn.prepare_cached("SELECT ?1").unwrap();
    let mut rows = stmt.raw_query();
    let v: Option<i64> = rows.next().unwrap().unwrap().get(0).unwrap();
    assert_eq!(v, None, "bindings were cleared");
}

/// Runs the cached statement for `sql` once; returns how many times it had
/// run before (0 for a freshly prepared statement, more for a reused one).
fn runs_before(conn: &Connection, sql: &str) -> i32 {
    let mut stmt = conn.prepare_cached(sql).unwrap();
    let before = stmt.get_status(StatementStatus::Run);
    stmt.query_row([], |r| r.get::<_, String>(0)).unwrap();
    before
}

#[test]
fn cache_capacity_evicts_least_recently_used() {
    let conn = mem();
    conn.set_prepared_statement_cache_capacity(2);
    assert_eq!(runs_before(&conn, "SELECT 'a'"), 0);
    assert_eq!(runs_before(&conn, "SELECT 'b'"), 0);
    assert_eq!(runs_before(&conn, "SELECT 'a'"), 1); // reused; now most recent
    assert_eq!(runs_before(&conn, "SELECT 'c'"), 0); // evicts b, the least recent
    assert_eq!(runs_before(&conn, "SELECT 'a'"), 2);
    assert_eq!(runs_before(&conn, "SELECT 'b'"), 0, "b was evicted"); // evicts c
    assert_eq!(runs_before(&conn, "SELECT 'a'"), 3);
    assert_eq!(runs_before(&conn, "SELECT 'c'"), 0, "c was evicted");

    // Shrinking finalizes the least recently used beyond the new capacity.
    conn.set_prepared_statement_cache_capacity(1); // keeps c
    assert_eq!(runs_before(&conn, "SELECT 'c'"), 1);
    assert_eq!(runs_before(&conn, "SELECT 'a'"), 0);

    // Capacity 0 disables caching; the statements still work.
    conn.set_prepared_statement_cache_capacity(0);
    for _ in 0..3 {
        assert_eq!(runs_before(&conn, "SELECT 'z'"), 0, "never reused");
    }
    conn.set_prepared_statement_cache_capacity(16);
    assert_eq!(runs_before(&conn, "SELECT 'y'"), 0);
    assert_eq!(runs_before(&conn, "SELECT 'y'"), 1);
    conn.flush_prepared_statement_cache();
    assert_eq!(runs_before(&conn, "SELECT 'y'"), 0, "flushed");
}

#[test]
fn cached_statement_discard_and_schema_changes() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (a)").unwrap();
    {
        let mut stmt = conn.prepare_cached("SELECT * FROM t").unwrap();
        assert_eq!(stmt.column_count(), 1);
        stmt.query([]).unwrap().next().unwrap();
    }
    // The cached statement is re-prepared by SQLite after a schema change.
    conn.execute_batch("ALTER TABLE t ADD COLUMN b").unwrap();
    {
        let mut stmt = conn.prepare_cached("SELECT * FROM t").unwrap();
        let mut rows = stmt.query([]).unwrap();
        assert!(rows.next().unwrap().is_none());
        drop(rows);
        assert_eq!(stmt.column_count(), 2);
        stmt.discard();
    }
    let stmt = conn.prepare_cached("SELECT * FROM t").unwrap();
    assert_eq!(stmt.get_status(StatementStatus::Run), 0, "discarded");
}

// ---------------------------------------------------------------- Statement

#[test]
fn statement_insert_wants_exactly_one_row() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, x)")
        .unwrap();
    let mut ins = conn.prepare("INSERT INTO t (x) VALUES (?1)").unwrap();
    assert_eq!(ins.insert([10]), Ok(1));
    assert_eq!(ins.insert([20]), Ok(2));
    let mut upd = conn.prepare("UPDATE t SET x = x + 1 WHERE x > ?1").unwrap();
    assert_eq!(upd.insert([0]), Err(Error::StatementChangedRows(2)));
    assert_eq!(upd.insert([100]), Err(Error::StatementChangedRows(0)));
    let mut ins2 = conn.prepare("INSERT INTO t (x) SELECT x FROM t").unwrap();
    assert_eq!(ins2.insert([]), Err(Error::StatementChangedRows(2)));
    // A failing insert is the SQLite error.
    let mut dup = conn.prepare("INSERT INTO t (id) VALUES (1)").unwrap();
    let err = dup.insert([]).unwrap_err();
    assert!(err.is_constraint_violation(), "{err:?}");
    assert_eq!(
        err.sqlite_extended_error_code(),
        Some(ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    );
}

#[test]
fn statement_execute_runs_again_with_new_parameters() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    let mut stmt = conn.prepare("INSERT INTO t VALUES (?1)").unwrap();
    for i in 0..10 {
        assert_eq!(stmt.execute([i]), Ok(1));
    }
    assert_eq!(count(&conn, "t"), 10);
    let mut sel = conn.prepare("SELECT x FROM t").unwrap();
    assert_eq!(sel.execute([]), Err(Error::ExecuteReturnedResults));
    // RETURNING makes a row too.
    let mut ret = conn
        .prepare("INSERT INTO t VALUES (?1) RETURNING x")
        .unwrap();
    assert_eq!(ret.execute([1]), Err(Error::ExecuteReturnedResults));
    let x: i64 = ret.query_row([5], |r| r.get(0)).unwrap();
    assert_eq!(x, 5);
}

#[test]
fn statement_queries() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES ('a'), ('b'), ('c')")
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT id, name FROM t WHERE id >= ?1 ORDER BY id")
        .unwrap();

    let names: Vec<String> = stmt
        .query_map([2], |r| r.get(1))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(names, ["b", "c"]);

    let ids: Vec<i64> = stmt
        .query_and_then([1], |r| r.get::<_, i64>(0))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(ids, [1, 2, 3]);

    let r: Vec<Result<i64, MyError>> = stmt
        .query_and_then([1], |r| match r.get::<_, i64>(0)? {
            2 => Err(MyError::Negative(2)),
            v => Ok(v),
        })
        .unwrap()
        .collect();
    assert_eq!(r, [Ok(1), Err(MyError::Negative(2)), Ok(3)]);

    assert!(stmt.exists([3]).unwrap());
    assert!(!stmt.exists([4]).unwrap());
    assert_eq!(stmt.query_row([3], |r| r.get::<_, String>(1)).unwrap(), "c");
    assert_eq!(
        stmt.query_row([4], |r| r.get::<_, String>(1)),
        Err(Error::QueryReturnedNoRows)
    );
    // A mapping error surfaces as an item.
    let mut it = stmt.query_map([1], |r| r.get::<_, i64>(1)).unwrap();
    assert!(matches!(
        it.next(),
        Some(Err(Error::InvalidColumnType(1, _, Type::Text)))
    ));
}

#[test]
fn column_metadata() {
    let conn = mem();
    conn.execute_batch(
        "CREATE TABLE person (id INTEGER PRIMARY KEY, Name VARCHAR(10) NOT NULL, born DATE, photo)",
    )
    .unwrap();
    let stmt = conn
        .prepare("SELECT id, Name, born, photo, 1 + 1 AS two, Name AS alias FROM person")
        .unwrap();
    assert_eq!(stmt.column_count(), 6);
    assert_eq!(
        stmt.column_names().collect::<Vec<_>>(),
        ["id", "Name", "born", "photo", "two", "alias"]
    );
    assert_eq!(stmt.column_names().len(), 6);
    assert_eq!(stmt.column_names().next_back(), Some("alias"));
    assert_eq!(stmt.column_name(1), Ok("Name"));
    assert_eq!(stmt.column_name(6), Err(Error::InvalidColumnIndex(6)));
    assert_eq!(stmt.column_index("name"), Ok(1));
    assert_eq!(stmt.column_index("NAME"), Ok(1));
    assert_eq!(stmt.column_index("TWO"), Ok(4));
    assert_eq!(
        stmt.column_index("nope"),
        Err(Error::InvalidColumnName("nope".into()))
    );
    let cols: Vec<(String, Option<String>)> = stmt
        .columns()
        .map(|c| (c.name().to_owned(), c.decl_type().map(str::to_owned)))
        .collect();
    let s = |x: &str| Some(x.to_owned());
    assert_eq!(
        cols,
        [
            ("id".into(), s("INTEGER")),
            ("Name".into(), s("VARCHAR(10)")),
            ("born".into(), s("DATE")),
            ("photo".into(), None),
            ("two".into(), None),
            ("alias".into(), s("VARCHAR(10)")),
        ]
    );
    assert_eq!(stmt.columns().len(), 6);
    // Statements without results have no columns.
    let stmt = conn.prepare("DELETE FROM person").unwrap();
    assert_eq!(stmt.column_count(), 0);
    assert_eq!(stmt.column_names().count(), 0);
    assert_eq!(stmt.column_name(0), Err(Error::InvalidColumnIndex(0)));
}

#[test]
fn table_and_column_exist() {
    // rusqlite's table_exists / column_exists scenarios.
    let conn = mem();
    assert!(conn.table_exists(None, c"sqlite_master").unwrap());
    assert!(conn.table_exists(Some(TEMP_DB), c"sqlite_master").unwrap());
    assert!(
        !conn
            .table_exists(Some(MAIN_DB), c"sqlite_temp_master")
            .unwrap()
    );
    assert!(conn.column_exists(None, c"sqlite_master", c"type").unwrap());
    assert!(
        conn.column_exists(Some(TEMP_DB), c"sqlite_master", c"type")
            .unwrap()
    );
    assert!(
        !conn
            .column_exists(Some(MAIN_DB), c"sqlite_temp_master", c"type")
            .unwrap()
    );

    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE plain(a);
         CREATE TABLE wr(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
         CREATE VIEW v AS SELECT * FROM t;
         ATTACH ':memory:' AS aux;
         CREATE TABLE aux.other(z);",
    )
    .unwrap();
    // &str, String and &CStr names alike.
    assert!(conn.table_exists(None, "t").unwrap());
    assert!(conn.table_exists(Some("main"), "T").unwrap());
    assert!(conn.table_exists(None, String::from("plain")).unwrap());
    assert!(!conn.table_exists(None, "missing").unwrap());
    assert!(
        !conn.table_exists(None, "v").unwrap(),
        "a view is not a table"
    );
    // The attached schema: found there and by None, not in main.
    assert!(conn.table_exists(Some("aux"), "other").unwrap());
    assert!(conn.table_exists(None, "other").unwrap());
    assert!(!conn.table_exists(Some("main"), "other").unwrap());
    assert!(!conn.table_exists(Some("nosuchschema"), "t").unwrap());

    assert!(conn.column_exists(None, "t", "name").unwrap());
    assert!(conn.column_exists(None, "t", "NAME").unwrap());
    assert!(!conn.column_exists(None, "t", "nope").unwrap());
    assert!(!conn.column_exists(None, "missing", "name").unwrap());
    assert!(conn.column_exists(Some("aux"), "other", "z").unwrap());
    assert!(!conn.column_exists(Some("main"), "other", "z").unwrap());
    // Rowid aliases count for rowid tables only.
    for alias in ["rowid", "oid", "_rowid_", "ROWID"] {
        assert!(conn.column_exists(None, "plain", alias).unwrap(), "{alias}");
        assert!(conn.column_exists(None, "t", alias).unwrap(), "{alias}");
        assert!(!conn.column_exists(None, "wr", alias).unwrap(), "{alias}");
    }

    // Bad names are errors, not `false`.
    assert!(matches!(
        conn.table_exists(None, "t\0x"),
        Err(Error::NulError(_))
    ));
    assert!(matches!(
        conn.column_exists(Some("ma\0in"), "t", "id"),
        Err(Error::NulError(_))
    ));
}

#[test]
fn table_exists_reports_a_schema_it_cannot_read() {
    // Another connection holds an exclusive lock, so the schema can't be
    // read: that is SQLITE_BUSY, not "the table doesn't exist".
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.db");
    let writer = Connection::open(&path).unwrap();
    writer.execute_batch("CREATE TABLE t(x)").unwrap();
    writer.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let reader = Connection::open(&path).unwrap();
    reader.busy_timeout(Duration::ZERO).unwrap();
    let err = reader.table_exists(None, "t").unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::DatabaseBusy), "{err:?}");
    let err = reader.column_exists(None, "t", "x").unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::DatabaseBusy), "{err:?}");
    let err = reader.column_metadata(None, "t", "x").unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::DatabaseBusy), "{err:?}");
    // A busy handler that panics while the schema is read: the panic is
    // the error, not SQLite's BUSY and not `false`.
    let mut reader = reader;
    reader
        .busy_handler(Some(|_: i32| -> bool { panic!("busy handler panics") }))
        .unwrap();
    assert_eq!(
        reader.table_exists(None, "t").unwrap_err(),
        Error::UnwindingPanic
    );
    // A busy handler that gives up after a few tries: BUSY again.
    reader.busy_handler(Some(|n: i32| n < 3)).unwrap();
    let err = reader.column_exists(None, "t", "x").unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::DatabaseBusy), "{err:?}");
    writer.execute_batch("COMMIT").unwrap();
    assert!(reader.table_exists(None, "t").unwrap());
}

#[test]
fn connection_column_metadata() {
    // rusqlite's column_metadata scenario.
    let conn = mem();
    let (data_type, coll_seq, not_null, primary_key, auto_inc) = conn
        .column_metadata(None, c"sqlite_master", c"type")
        .unwrap();
    assert_eq!(
        data_type.map(|cs| cs.to_str().unwrap().to_ascii_uppercase()),
        Some("TEXT".to_owned())
    );
    assert_eq!(coll_seq, Some(c"BINARY"));
    assert!(!not_null && !primary_key && !auto_inc);
    let err = conn
        .column_metadata(None, c"sqlite_master", c"foo")
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::Unknown));
    assert!(
        err.to_string()
            .contains("no such table column: sqlite_master.foo"),
        "{err}"
    );

    conn.execute_batch(
        "CREATE TABLE person(
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             name VARCHAR(10) NOT NULL COLLATE NOCASE,
             photo
         );
         CREATE TABLE plain(a INT);
         CREATE TABLE wr(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
         CREATE VIEW v AS SELECT * FROM person;",
    )
    .unwrap();
    let md = |t: &str, c: &str| {
        conn.column_metadata(None, t, c).map(|(d, c, n, p, a)| {
            (
                d.map(|s| s.to_str().unwrap().to_owned()),
                c.map(|s| s.to_str().unwrap().to_owned()),
                n,
                p,
                a,
            )
        })
    };
    let s = |x: &str| Some(x.to_owned());
    assert_eq!(
        md("person", "id").unwrap(),
        (s("INTEGER"), s("BINARY"), false, true, true)
    );
    assert_eq!(
        md("person", "name").unwrap(),
        (s("VARCHAR(10)"), s("NOCASE"), true, false, false)
    );
    assert_eq!(
        md("person", "photo").unwrap(),
        (None, s("BINARY"), false, false, false)
    );
    // A rowid alias reads as the INTEGER PRIMARY KEY column, or (without
    // one) as SQLite's implicit rowid.
    assert_eq!(md("person", "rowid").unwrap(), md("person", "id").unwrap());
    assert_eq!(
        md("plain", "_rowid_").unwrap(),
        (s("INTEGER"), s("BINARY"), false, true, false)
    );
    assert_eq!(
        md("wr", "k").unwrap(),
        (s("TEXT"), s("BINARY"), true, true, false)
    );
    for (t, c) in [
        ("wr", "rowid"),
        ("v", "id"),
        ("missing", "id"),
        ("person", "nope"),
    ] {
        let err = md(t, c).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("no such table column: {t}.{c}")),
            "{err}"
        );
    }
    assert!(matches!(md("person", "i\0d"), Err(Error::NulError(_))));
}

#[test]
fn column_metadata_strings_outlive_a_schema_change() {
    // SQLite's strings are freed with the schema; ferrolite's stay valid
    // while the connection is borrowed.
    let conn = mem();
    conn.execute_batch("CREATE TABLE t(x VARCHAR(77) COLLATE RTRIM)")
        .unwrap();
    let (ty, coll, ..) = conn.column_metadata(None, "t", "x").unwrap();
    let (ty2, ..) = conn.column_metadata(None, "t", "x").unwrap();
    conn.execute_batch("DROP TABLE t; CREATE TABLE t(y BLOB); VACUUM")
        .unwrap();
    assert_eq!(ty, Some(c"VARCHAR(77)"));
    assert_eq!(ty2, Some(c"VARCHAR(77)"));
    assert_eq!(coll, Some(c"RTRIM"));
    assert_eq!(
        conn.column_metadata(None, "t", "y").unwrap().0,
        Some(c"BLOB")
    );
}

#[cfg(feature = "column_metadata")]
#[test]
fn statement_columns_with_metadata() {
    // rusqlite's test_columns_with_metadata and stmt_column_metadata.
    let conn = mem();
    let query = conn.prepare("SELECT *, 1 FROM sqlite_master").unwrap();
    let cols = query.columns_with_metadata().collect::<Vec<_>>();
    assert_eq!(cols.len(), 6);
    for col in cols.iter().take(5) {
        assert_eq!(col.database_name(), Some("main"));
        assert_eq!(col.table_name(), Some("sqlite_master"));
    }
    assert_eq!(cols[5].name(), "1");
    assert!(cols[5].database_name().is_none());
    assert!(cols[5].table_name().is_none());
    assert!(cols[5].origin_name().is_none());
    assert_eq!(
        cols.iter()
            .take(5)
            .map(|c| c.origin_name())
            .collect::<Vec<_>>(),
        [
            Some("type"),
            Some("name"),
            Some("tbl_name"),
            Some("rootpage"),
            Some("sql")
        ]
    );
    assert_eq!(query.columns_with_metadata().len(), 6);
    assert_eq!(
        query.columns_with_metadata().next_back().unwrap().name(),
        "1"
    );

    let (db, table, col, data_type, coll_seq, not_null, primary_key, auto_inc) =
        query.column_metadata(0).unwrap().unwrap();
    assert_eq!(db, MAIN_DB);
    assert_eq!(table, c"sqlite_master");
    assert_eq!(col, c"type");
    assert_eq!(data_type, Some(c"TEXT"));
    assert_eq!(coll_seq, Some(c"BINARY"));
    assert!(!not_null && !primary_key && !auto_inc);
    assert!(query.column_metadata(5).unwrap().is_none());
    // Past the last column: an error (rusqlite returns Ok(None)).
    assert_eq!(
        query.column_metadata(6).unwrap_err(),
        Error::InvalidColumnIndex(6)
    );

    // An aliased column of an attached table, and a column of a view.
    conn.execute_batch(
        "ATTACH ':memory:' AS aux;
         CREATE TABLE aux.person(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TEMP VIEW names AS SELECT name FROM aux.person;",
    )
    .unwrap();
    let stmt = conn
        .prepare("SELECT p.name AS who, p.id + 1, n.name FROM aux.person p, names n")
        .unwrap();
    let cols = stmt.columns_with_metadata().collect::<Vec<_>>();
    assert_eq!(cols[0].name(), "who");
    assert_eq!(cols[0].database_name(), Some("aux"));
    assert_eq!(cols[0].table_name(), Some("person"));
    assert_eq!(cols[0].origin_name(), Some("name"));
    assert_eq!(cols[1].table_name(), None);
    // Through the view: the underlying table.
    assert_eq!(cols[2].database_name(), Some("aux"));
    assert_eq!(cols[2].table_name(), Some("person"));
    let (db, table, col, data_type, _, not_null, ..) = stmt.column_metadata(0).unwrap().unwrap();
    assert_eq!((db, table, col), (c"aux", c"person", c"name"));
    assert_eq!(data_type, Some(c"TEXT"));
    assert!(not_null);
    assert!(stmt.column_metadata(1).unwrap().is_none());
    // No result columns.
    let stmt = conn.prepare("DELETE FROM aux.person").unwrap();
    assert_eq!(stmt.columns_with_metadata().count(), 0);
    assert_eq!(
        stmt.column_metadata(0).unwrap_err(),
        Error::InvalidColumnIndex(0)
    );
}

#[test]
fn parameter_metadata() {
    let conn = mem();
    let stmt = conn.prepare("SELECT :a, @b, $c, ?, ?7, :a").unwrap();
    assert_eq!(stmt.parameter_count(), 7);
    assert_eq!(stmt.parameter_index(":a"), Ok(Some(1)));
    assert_eq!(stmt.parameter_index("@b"), Ok(Some(2)));
    assert_eq!(stmt.parameter_index("$c"), Ok(Some(3)));
    assert_eq!(stmt.parameter_index("?7"), Ok(Some(7)));
    assert_eq!(
        stmt.parameter_index("a"),
        Ok(None),
        "the prefix is part of the name"
    );
    assert_eq!(stmt.parameter_index(":nope"), Ok(None));
    assert_eq!(
        stmt.parameter_index(":a\0"),
        Ok(None),
        "no parameter has a NUL"
    );
    assert_eq!(stmt.parameter_name(1), Some(":a"));
    assert_eq!(stmt.parameter_name(4), None, "nameless ?");
    assert_eq!(stmt.parameter_name(7), Some("?7"));
    assert_eq!(stmt.parameter_name(0), None);
    assert_eq!(stmt.parameter_name(8), None);
    assert_eq!(conn.prepare("SELECT 1").unwrap().parameter_count(), 0);
}

#[test]
fn expanded_sql_readonly_and_introspection() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    let mut stmt = conn.prepare("SELECT ?1, ?2, ?3, ?4").unwrap();
    assert_eq!(stmt.sql(), Some("SELECT ?1, ?2, ?3, ?4"));
    assert_eq!(
        stmt.expanded_sql().as_deref(),
        Some("SELECT NULL, NULL, NULL, NULL")
    );
    stmt.raw_bind_parameter(1, "it's").unwrap();
    stmt.raw_bind_parameter(2, 7).unwrap();
    stmt.raw_bind_parameter(3, 1.5).unwrap();
    stmt.raw_bind_parameter(4, vec![0xABu8, 0x01]).unwrap();
    assert_eq!(
        stmt.expanded_sql().as_deref(),
        Some("SELECT 'it''s', 7, 1.5, x'ab01'")
    );
    stmt.clear_bindings();
    assert_eq!(
        stmt.expanded_sql().as_deref(),
        Some("SELECT NULL, NULL, NULL, NULL")
    );
    assert!(stmt.readonly());
    assert!(!conn.prepare("INSERT INTO t VALUES (1)").unwrap().readonly());
    assert!(!conn.prepare("CREATE TABLE u (y)").unwrap().readonly());
    assert_eq!(stmt.is_explain(), 0);
    assert_eq!(conn.prepare("EXPLAIN SELECT 1").unwrap().is_explain(), 1);
    assert_eq!(
        conn.prepare("EXPLAIN QUERY PLAN SELECT 1")
            .unwrap()
            .is_explain(),
        2
    );
    // An empty statement.
    let empty = conn.prepare("  -- nothing").unwrap();
    assert_eq!(empty.sql(), None);
    assert_eq!(empty.expanded_sql(), None);
    assert!(empty.readonly());
    assert_eq!(empty.column_count(), 0);
    assert_eq!(empty.parameter_count(), 0);
}

#[test]
fn statement_status_counters() {
    let conn = mem();
    conn.execute_batch(
        "CREATE TABLE t (x); INSERT INTO t SELECT value FROM generate_series(1, 100)",
    )
    .unwrap();
    let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x DESC").unwrap();
    assert_eq!(stmt.get_status(StatementStatus::Run), 0);
    assert_eq!(
        stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().count(),
        100
    );
    assert_eq!(stmt.get_status(StatementStatus::Run), 1);
    assert_eq!(stmt.get_status(StatementStatus::FullscanStep), 99);
    assert_eq!(stmt.get_status(StatementStatus::Sort), 1);
    assert!(stmt.get_status(StatementStatus::VmStep) > 100);
    assert!(stmt.get_status(StatementStatus::MemUsed) > 0);
    assert_eq!(stmt.reset_status(StatementStatus::Sort), 1);
    assert_eq!(stmt.get_status(StatementStatus::Sort), 0);
}

#[test]
fn raw_bind_execute_and_query() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (a, b)").unwrap();
    let mut stmt = conn.prepare("INSERT INTO t VALUES (:a, ?2)").unwrap();
    stmt.raw_bind_parameter(":a", "x").unwrap();
    stmt.raw_bind_parameter(2, 1).unwrap();
    assert_eq!(stmt.raw_execute(), Ok(1));
    // Copied bindings stay for the next run.
    assert_eq!(stmt.raw_execute(), Ok(1));
    stmt.raw_bind_parameter(c":a", "y").unwrap();
    assert_eq!(stmt.raw_execute(), Ok(1));

    assert_eq!(
        stmt.raw_bind_parameter(":nope", 1),
        Err(Error::InvalidParameterName(":nope".into()))
    );
    assert_eq!(
        stmt.raw_bind_parameter(c":nope", 1),
        Err(Error::InvalidParameterName(":nope".into()))
    );
    for bad in [0, 3] {
        let err = stmt.raw_bind_parameter(bad, 1).unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::ParameterOutOfRange), "{bad}");
    }
    let err = stmt.raw_bind_parameter(1, u64::MAX).unwrap_err();
    assert!(matches!(err, Error::ToSqlConversionFailure(_)), "{err:?}");

    let mut q = conn
        .prepare("SELECT a, count(*) FROM t WHERE b = ?1 GROUP BY a ORDER BY a")
        .unwrap();
    q.raw_bind_parameter(1, 1).unwrap();
    let mut rows = q.raw_query();
    let mut got = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        got.push((
            row.get::<_, String>(0).unwrap(),
            row.get::<_, i64>(1).unwrap(),
        ));
    }
    assert_eq!(got, [("x".to_string(), 2), ("y".to_string(), 1)]);
    drop(rows);
    let mut sel = conn.prepare("SELECT 1").unwrap();
    assert_eq!(sel.raw_execute(), Err(Error::ExecuteReturnedResults));
}

#[test]
fn finalize_reports_and_consumes() {
    let conn = mem();
    let stmt = conn.prepare("SELECT 1").unwrap();
    stmt.finalize().unwrap();
    let empty = conn.prepare("").unwrap();
    empty.finalize().unwrap();

    conn.execute_batch("CREATE TABLE t (x UNIQUE); INSERT INTO t VALUES (1)")
        .unwrap();
    let mut stmt = conn.prepare("INSERT INTO t VALUES (1)").unwrap();
    assert!(stmt.execute([]).unwrap_err().is_constraint_violation());
    // The failure was already reported and the statement reset.
    stmt.finalize().unwrap();
}

// ---------------------------------------------------------------- Rows and Row

#[test]
fn rows_are_a_lending_iterator() {
    let conn = mem();
    let mut stmt = conn
        .prepare("SELECT value, value * value FROM generate_series(1, 4)")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    assert!(rows.as_ref().is_some());
    let mut seen = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        seen.push((row.get::<_, i64>(0).unwrap(), row.get::<_, i64>(1).unwrap()));
    }
    assert_eq!(seen, [(1, 1), (2, 4), (3, 9), (4, 16)]);
    // Exhausted rows stay exhausted.
    assert!(rows.next().unwrap().is_none());
    assert!(rows.next().unwrap().is_none());
    assert!(rows.as_ref().is_none());
    drop(rows);
    // The statement runs again from the start.
    let n = stmt.query([]).unwrap().count().unwrap();
    assert_eq!(n, 4);
}

#[test]
fn rows_report_runtime_errors_then_end() {
    let conn = mem();
    let mut stmt = conn
        .prepare("SELECT abs(x) FROM (SELECT 1 AS x UNION ALL SELECT -9223372036854775807 - 1)")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    assert_eq!(rows.next().unwrap().unwrap().get::<_, i64>(0), Ok(1));
    let err = rows.next().unwrap_err();
    assert_eq!(err.to_string(), "integer overflow");
    assert_eq!(code(&err), Some(ErrorCode::Unknown));
    assert!(rows.next().unwrap().is_none(), "ended after the error");
    drop(rows);
    // The mapped forms report it as an item and then end.
    let items: Vec<Result<i64>> = stmt.query_map([], |r| r.get(0)).unwrap().collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok() && items[1].is_err());
}

#[test]
fn rows_as_fallible_streaming_iterator() {
    let conn = mem();
    let mut stmt = conn
        .prepare("SELECT value FROM generate_series(1, 5)")
        .unwrap();
    let doubled: Vec<i64> = stmt
        .query([])
        .unwrap()
        .map(|r| Ok(r.get::<_, i64>(0)? * 2))
        .collect()
        .unwrap();
    assert_eq!(doubled, [2, 4, 6, 8, 10]);

    let mapped: Vec<i64> = stmt
        .query([])
        .unwrap()
        .mapped(|r| r.get(0))
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(mapped, [1, 2, 3, 4, 5]);

    let and_then: Vec<i64> = stmt
        .query([])
        .unwrap()
        .and_then(|r| -> Result<i64, MyError> { Ok(r.get::<_, i64>(0)? + 1) })
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(and_then, [2, 3, 4, 5, 6]);

    // Streaming adapters: filter, count, get after advance.
    let mut rows = stmt.query([]).unwrap();
    rows.advance().unwrap();
    assert_eq!(rows.get().unwrap().get::<_, i64>(0), Ok(1));
    drop(rows);
    let evens = stmt
        .query([])
        .unwrap()
        .filter(|r| r.get::<_, i64>(0).unwrap() % 2 == 0)
        .count()
        .unwrap();
    assert_eq!(evens, 2);

    // An error from the mapping closure stops the FallibleIterator.
    let err = stmt
        .query([])
        .unwrap()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidColumnType(0, _, Type::Integer)),
        "{err:?}"
    );
}

#[test]
fn row_access_by_index_and_name() {
    let conn = mem();
    let mut stmt = conn
        .prepare("SELECT 1 AS One, 'two' AS two, NULL AS nada, 1 AS one")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let row = rows.next().unwrap().unwrap();
    assert_eq!(row.len(), 4);
    assert!(!row.is_empty());
    assert_eq!(row.get::<_, i64>(0), Ok(1));
    assert_eq!(row.get::<_, i64>("one"), Ok(1), "first match, any case");
    assert_eq!(row.get::<_, i64>("ONE"), Ok(1));
    assert_eq!(row.get::<_, String>("Two").unwrap(), "two");
    assert_eq!(row.get::<_, Option<i64>>("nada"), Ok(None));
    assert_eq!(row.get::<_, i64>(4), Err(Error::InvalidColumnIndex(4)));
    assert_eq!(
        row.get::<_, i64>("three"),
        Err(Error::InvalidColumnName("three".into()))
    );
    assert_eq!(
        row.get::<_, i64>("nada"),
        Err(Error::InvalidColumnType(2, "nada".into(), Type::Null))
    );
    assert_eq!(row.get_ref(1).unwrap(), ValueRef::Text(b"two"));
    assert_eq!(row.get_ref("NADA").unwrap(), ValueRef::Null);
    assert_eq!(row.get_ref(9), Err(Error::InvalidColumnIndex(9)));
    assert_eq!(row.get_ref_unwrap(0), ValueRef::Integer(1));
    assert_eq!(row.get_unwrap::<_, String>(1), "two");
    assert_eq!(row.as_ref().column_name(1), Ok("two"));
    // Non-ASCII names compare exactly.
    drop(rows);
    let mut stmt = conn.prepare("SELECT 1 AS \"Été\"").unwrap();
    let mut rows = stmt.query([]).unwrap();
    let row = rows.next().unwrap().unwrap();
    assert_eq!(row.get::<_, i64>("Été"), Ok(1));
    assert_eq!(row.get::<_, i64>("ÉTé"), Ok(1), "ASCII letters fold");
    assert_eq!(
        row.get::<_, i64>("ÉTÉ"),
        Err(Error::InvalidColumnName("ÉTÉ".into()))
    );
}

#[test]
#[should_panic(expected = "row.get_unwrap failed")]
fn get_unwrap_panics_on_error() {
    let conn = mem();
    conn.query_row("SELECT 'x'", [], |r| Ok(r.get_unwrap::<_, i64>(0)))
        .unwrap();
}

#[test]
#[should_panic(expected = "Invalid column index")]
fn get_ref_unwrap_panics_on_error() {
    let conn = mem();
    conn.query_row("SELECT 'x'", [], |r| Ok(r.get_ref_unwrap(3).data_type()))
        .unwrap();
}

#[test]
fn a_panic_in_a_row_closure_leaves_the_statement_usable() {
    let conn = mem();
    let mut stmt = conn.prepare("SELECT ?1").unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        stmt.query_row(["x"], |_| -> Result<()> { panic!("boom") })
    }));
    assert!(r.is_err());
    assert_eq!(
        stmt.query_row(["y"], |r| r.get::<_, String>(0)).unwrap(),
        "y"
    );
    assert!(!conn.is_busy());
}

// ---------------------------------------------------------------- pragmas

#[test]
fn pragma_helpers() {
    let conn = mem();
    conn.pragma_update(None, "user_version", 7).unwrap();
    assert_eq!(conn.pragma_query_one::<i64>(None, "user_version"), Ok(7));
    assert_eq!(
        conn.pragma_query_value(Some("main"), "user_version", |r| r.get::<_, i64>(0)),
        Ok(7)
    );
    conn.pragma_update(None, "application_id", -5i64).unwrap();
    assert_eq!(conn.pragma_query_one::<i64>(None, "application_id"), Ok(-5));

    conn.execute_batch("CREATE TABLE t (a INTEGER, \"b'c\" TEXT)")
        .unwrap();
    let mut cols = Vec::new();
    conn.pragma(None, "table_info", "t", |r| {
        cols.push(r.get::<_, String>("name")?);
        Ok(())
    })
    .unwrap();
    assert_eq!(cols, ["a", "b'c"]);

    let mut opts = Vec::new();
    conn.pragma_query(None, "compile_options", |r| {
        opts.push(r.get::<_, String>(0)?);
        Ok(())
    })
    .unwrap();
    assert!(
        opts.iter().any(|o| o.starts_with("THREADSAFE=")),
        "{opts:?}"
    );

    // journal_mode answers with the new mode.
    let dir = tempfile::tempdir().unwrap();
    let file = Connection::open(dir.path().join("j.db")).unwrap();
    let mode: String = file
        .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A text value with a quote is a literal, not SQL.
    file.pragma_update(None, "journal_mode", "x'; DROP TABLE t; --")
        .unwrap();
    let mode: String = file.pragma_query_one(None, "journal_mode").unwrap();
    assert_eq!(mode, "wal", "an unknown mode is ignored");

    // Errors from the closure stop the iteration.
    let mut calls = 0;
    let r = conn.pragma_query(None, "compile_options", |_| {
        calls += 1;
        Err(Error::InvalidQuery)
    });
    assert_eq!(r, Err(Error::InvalidQuery));
    assert_eq!(calls, 1);
}

#[test]
fn pragma_names_and_values_are_checked() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    for bad in ["", "user_version; DROP TABLE t", "1abc", "a b", "x'y"] {
        let err = conn.pragma_update(None, bad, 1).unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::ApiMisuse), "{bad:?}");
        assert!(conn.pragma_query_one::<i64>(None, bad).is_err(), "{bad:?}");
    }
    assert_eq!(count(&conn, "t"), 0, "the table survived");
    // The schema name is quoted: an odd name is just an unknown schema.
    let err = conn
        .pragma_query_one::<i64>(
            Some("main\".user_version; DROP TABLE t; --"),
            "user_version",
        )
        .unwrap_err();
    assert!(err.to_string().contains("unknown database"), "{err}");
    assert_eq!(count(&conn, "t"), 0);
    // BLOB and NULL values have no literal form here.
    let err = conn
        .pragma_update(None, "user_version", vec![1u8])
        .unwrap_err();
    assert!(matches!(err, Error::ToSqlConversionFailure(_)), "{err:?}");
    let err = conn
        .pragma_update(None, "user_version", None::<i64>)
        .unwrap_err();
    assert!(matches!(err, Error::ToSqlConversionFailure(_)), "{err:?}");
    // A real value is written so SQLite reads it back as a number.
    conn.pragma_update(None, "cache_size", -2000.0).unwrap();
    assert_eq!(conn.pragma_query_one::<i64>(None, "cache_size"), Ok(-2000));
    assert_eq!(
        conn.pragma_query_value(None, "no_such_pragma", |r| r.get::<_, i64>(0)),
        Err(Error::QueryReturnedNoRows)
    );
}

// ---------------------------------------------------------------- Debug

#[test]
fn core_types_implement_debug() {
    let mut conn = mem();
    let d = format!("{conn:?}");
    assert!(d.starts_with("Connection"), "{d}");
    assert!(d.contains("path"), "{d}");
    {
        let mut stmt = conn.prepare("SELECT 1 AS one").unwrap();
        let d = format!("{stmt:?}");
        assert!(
            d.contains("Statement") && d.contains("SELECT 1 AS one"),
            "{d}"
        );
        let mut rows = stmt.query([]).unwrap();
        assert!(format!("{rows:?}").starts_with("Rows"));
        let row = rows.next().unwrap().unwrap();
        assert_eq!(format!("{row:?}"), "{\"one\": (Integer, 1)}");
    }
    {
        let cached = conn.prepare_cached("SELECT 2").unwrap();
        assert!(format!("{cached:?}").contains("SELECT 2"));
    }
    let mut tx = conn.transaction().unwrap();
    assert!(format!("{tx:?}").starts_with("Transaction"));
    let sp = tx.savepoint_with_name("sp1").unwrap();
    assert!(format!("{sp:?}").contains("sp1"));
    drop(sp);
    drop(tx);
    let h = conn.get_interrupt_handle();
    assert!(format!("{h:?}").contains("InterruptHandle"));
    let stmt = conn.prepare("SELECT 1 AS one").unwrap();
    assert_eq!(
        format!("{:?}", stmt.columns().next().unwrap()),
        "Column { name: \"one\", decl_type: None }"
    );
    assert!(format!("{:?}", OpenFlags::default()).contains("SQLITE_OPEN_URI"));
    assert_eq!(format!("{:?}", StatementStatus::Sort), "Sort");
}

#[test]
fn row_debug_prints_type_value_pairs_as_rusqlite_does() {
    let conn = mem();
    let mut stmt = conn
        .prepare(
            "SELECT 'Lisa' AS name, 1 AS id, 3.14 AS pi, X'53514C697465' AS blob, NULL AS void",
        )
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let row = rows.next().unwrap().unwrap();
    assert_eq!(
        format!("{row:?}"),
        r#"{"name": (Text, "Lisa"), "id": (Integer, 1), "pi": (Real, 3.14), "blob": (Blob, 6), "void": (Null, ())}"#
    );
    drop(rows);
    // Invalid UTF-8 text is printed lossily; a large BLOB only by its length.
    let mut stmt = conn
        .prepare("SELECT CAST(X'61FF62' AS TEXT) AS t, zeroblob(1000000) AS z")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let row = rows.next().unwrap().unwrap();
    assert_eq!(
        format!("{row:?}"),
        "{\"t\": (Text, \"a\u{FFFD}b\"), \"z\": (Blob, 1000000)}"
    );
}

#[test]
fn params_macro_in_core_calls() {
    let conn = mem();
    let s: String = conn
        .query_row("SELECT ?1 || ?2 || ?3", params!["a", 1, 2.5], |r| r.get(0))
        .unwrap();
    assert_eq!(s, "a12.5");
}

#[test]
fn names_accept_every_string_form() {
    use std::ffi::CString;
    let conn = mem();
    let owned = String::from("main");
    let c_owned = CString::new("temp").unwrap();
    assert_eq!(conn.is_readonly("main"), Ok(false));
    assert_eq!(conn.is_readonly(owned.clone()), Ok(false));
    assert_eq!(conn.is_readonly(&owned), Ok(false));
    assert_eq!(conn.is_readonly(MAIN_DB), Ok(false));
    assert_eq!(conn.is_readonly(c"main"), Ok(false));
    // The temp schema exists once something is put in it.
    let err = conn.is_readonly(TEMP_DB).unwrap_err();
    assert_eq!(
        err.to_string(),
        "\"temp\" is not the name of an attached database"
    );
    conn.execute_batch("CREATE TEMP TABLE scratch (x)").unwrap();
    assert_eq!(conn.is_readonly(&c_owned), Ok(false));
    assert_eq!(conn.is_readonly(c_owned), Ok(false));
    assert_eq!(conn.is_readonly(TEMP_DB), Ok(false));
    // A long name (past the small on-stack buffer) works the same.
    let long = "x".repeat(100);
    assert!(conn.is_readonly(long.as_str()).is_err());
    conn.execute("ATTACH ':memory:' AS ?1", [&long]).unwrap();
    assert_eq!(conn.is_readonly(long.as_str()), Ok(false));
    assert_eq!(ferrolite::DEFAULT_NAME, None);
    assert_eq!(MAIN_DB.to_str(), Ok("main"));
    assert_eq!(TEMP_DB.to_str(), Ok("temp"));
}

#[test]
fn statements_and_rows_lead_back_to_their_connection() {
    let conn = mem();
    let stmt = conn.prepare("SELECT 1 AS a").unwrap();
    assert!(std::ptr::eq(stmt.conn(), &conn));
    let as_ref: &ferrolite::Statement<'_> = stmt.as_ref();
    assert_eq!(as_ref.column_name(0), Ok("a"));
    let mut stmt = stmt;
    let mut rows = stmt.query([]).unwrap();
    assert_eq!(rows.as_ref().unwrap().column_count(), 1);
    let row = rows.next().unwrap().unwrap();
    assert!(std::ptr::eq(row.as_ref().conn(), &conn));
}

/// `CachedStatement` derefs mutably to `Statement`, so two cached
/// statements of different connections can be swapped; each must still go
/// back to its own connection's cache (and never be finalized through the
/// wrong one).
#[test]
fn swapped_cached_statements_return_to_their_own_connection() {
    let c1 = mem();
    let c2 = mem();
    c1.execute_batch("CREATE TABLE one (x)").unwrap();
    c2.execute_batch("CREATE TABLE two (x)").unwrap();
    {
        let mut a = c1.prepare_cached("SELECT count(*) FROM one").unwrap();
        let mut b = c2.prepare_cached("SELECT count(*) FROM two").unwrap();
        std::mem::swap(&mut *a, &mut *b);
        assert!(std::ptr::eq(a.conn(), &c2));
        assert!(std::ptr::eq(b.conn(), &c1));
        assert_eq!(a.query_row([], |r| r.get::<_, i64>(0)), Ok(0));
        assert_eq!(b.query_row([], |r| r.get::<_, i64>(0)), Ok(0));
    }
    let s1 = c1.prepare_cached("SELECT count(*) FROM one").unwrap();
    assert!(std::ptr::eq(s1.conn(), &c1));
    assert_eq!(
        s1.get_status(StatementStatus::Run),
        1,
        "reused from c1's cache"
    );
    drop(s1);
    drop(c1);
    let s2 = c2.prepare_cached("SELECT count(*) FROM two").unwrap();
    assert_eq!(
        s2.get_status(StatementStatus::Run),
        1,
        "reused from c2's cache"
    );
    // A plain statement swapped into a cached wrapper is not cached by SQL.
    let mut plain = c2.prepare("SELECT 'plain'").unwrap();
    let mut cached = s2;
    std::mem::swap(&mut *cached, &mut plain);
    drop(cached);
    drop(plain);
    let again = c2.prepare_cached("SELECT 'plain'").unwrap();
    assert_eq!(again.get_status(StatementStatus::Run), 0);
}

/// Both backends start connections alike, whatever their compile options:
/// double-quoted strings are identifiers (SQLITE_DQS=0 in ours; turned off
/// at open for libsqlite3-sys's build) and foreign keys are enforced.
#[test]
fn connections_start_alike_in_both_backends() {
    let conn = mem();
    let err = conn
        .query_row("SELECT \"not a string\"", [], |r| r.get::<_, String>(0))
        .unwrap_err();
    assert!(err.to_string().contains("no such column"), "{err}");
    let err = conn
        .execute_batch("CREATE TABLE t (x CHECK (x <> \"nope\"))")
        .unwrap_err();
    assert!(err.sqlite_error().is_some(), "{err}");
    let fk: i64 = conn.pragma_query_one(None, "foreign_keys").unwrap();
    assert_eq!(fk, 1);
    // Extension loading (the C API) is off until enabled.
    let mut on = -1;
    // SAFETY: live handle; the option takes (int, int*): -1 only queries.
    let rc = unsafe {
        ffi::sqlite3_db_config(
            conn.handle(),
            ffi::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
            -1,
            &mut on as *mut std::ffi::c_int,
        )
    };
    assert_eq!(rc, ffi::SQLITE_OK);
    assert_eq!(on, 0);
}

/// Column names are looked up by name from a copy refreshed when SQLite
/// re-prepares the statement; resetting the re-prepare counter must not
/// make a later re-preparation look like the old one.
#[test]
fn column_lookup_by_name_after_reprepare_and_counter_reset() {
    let conn = mem();
    conn.execute_batch("CREATE TABLE t (a, b); INSERT INTO t VALUES ('A', 'B')")
        .unwrap();
    let mut stmt = conn.prepare("SELECT * FROM t").unwrap();
    let by_name = |stmt: &mut ferrolite::Statement<'_>, name: &str| -> Result<String> {
        stmt.query_row([], |r| r.get(name))
    };
    assert_eq!(by_name(&mut stmt, "a").unwrap(), "A");
    conn.execute_batch("ALTER TABLE t ADD COLUMN c DEFAULT 'C'")
        .unwrap();
    assert_eq!(by_name(&mut stmt, "c").unwrap(), "C");
    assert_eq!(stmt.get_status(StatementStatus::RePrepare), 1);
    assert_eq!(stmt.reset_status(StatementStatus::RePrepare), 1);
    conn.execute_batch(
        "DROP TABLE t; CREATE TABLE t (c, b, a); INSERT INTO t VALUES ('C', 'B', 'A')",
    )
    .unwrap();
    assert_eq!(by_name(&mut stmt, "a").unwrap(), "A");
    assert_eq!(stmt.get_status(StatementStatus::RePrepare), 1);
    assert_eq!(by_name(&mut stmt, "c").unwrap(), "C");
}
