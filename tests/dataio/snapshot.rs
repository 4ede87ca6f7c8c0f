//! Snapshots of WAL databases: read a past state on another connection,
//! stale snapshots, non-WAL databases, ordering, recovery.
#![cfg(not(feature = "libsqlite3-sys"))]

use ferrolite::config::DbConfig;
use ferrolite::{Connection, ErrorCode, FileControl, MAIN_DB, Snapshot, TEMP_DB, ffi};
use std::path::{Path, PathBuf};

fn wal_db() -> (tempfile::TempDir, PathBuf, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.db");
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    (dir, path, conn)
}

fn count(conn: &Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap()
}

fn open(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

fn extended(e: &ferrolite::Error) -> Option<i32> {
    e.sqlite_extended_error_code()
}

#[test]
fn another_connection_reads_the_old_state() {
    let (_dir, path, writer) = wal_db();
    let snap = writer.snapshot(MAIN_DB).unwrap();
    writer.execute("INSERT INTO t VALUES (2)", []).unwrap();
    writer.execute("INSERT INTO t VALUES (3)", []).unwrap();

    let mut reader = open(&path);
    assert_eq!(count(&reader), 3);
    {
        let tx = reader.transaction_at_snapshot(MAIN_DB, &snap).unwrap();
        assert_eq!(count(&tx), 1);
        // Stays there while the writer goes on.
        writer.execute("INSERT INTO t VALUES (4)", []).unwrap();
        assert_eq!(count(&tx), 1);
        // Writing from the past is refused.
        let err = tx.execute("INSERT INTO t VALUES (9)", []).unwrap_err();
        assert_eq!(extended(&err), Some(ffi::SQLITE_BUSY_SNAPSHOT), "{err}");
    }
    assert_eq!(
        count(&reader),
        4,
        "back to the present after the transaction"
    );
    // The writer itself can go back too, and again.
    let tx = writer.unchecked_transaction().unwrap();
    tx.open_snapshot(MAIN_DB, &snap).unwrap();
    assert_eq!(count(&tx), 1);
}

#[test]
fn snapshot_inside_a_transaction_is_the_state_it_reads() {
    let (_dir, path, writer) = wal_db();
    let mut reader = open(&path);
    let snap = {
        let tx = reader.transaction().unwrap();
        assert_eq!(count(&tx), 1);
        writer.execute("INSERT INTO t VALUES (2)", []).unwrap();
        // The transaction still reads 1 row; its snapshot records that.
        assert_eq!(count(&tx), 1);
        tx.snapshot(MAIN_DB).unwrap()
    };
    let now = writer.snapshot(MAIN_DB).unwrap();
    assert!(snap < now);
    let other = open(&path);
    let mut other = other;
    let tx = other.transaction_at_snapshot(MAIN_DB, &snap).unwrap();
    assert_eq!(count(&tx), 1);
}

#[test]
fn ordering_of_snapshots() {
    let (_dir, _path, conn) = wal_db();
    let a = conn.snapshot(MAIN_DB).unwrap();
    let a2 = conn.snapshot(MAIN_DB).unwrap();
    assert!(a == a2, "no write in between: the same state");
    assert_eq!(a.partial_cmp(&a2), Some(std::cmp::Ordering::Equal));
    conn.execute("INSERT INTO t VALUES (2)", []).unwrap();
    let b = conn.snapshot(MAIN_DB).unwrap();
    assert!(a < b);
    assert_eq!(b.partial_cmp(&a), Some(std::cmp::Ordering::Greater));
    assert!(a != b);
    assert_eq!(format!("{a:?}"), "Snapshot { .. }");
}

#[test]
fn a_checkpointed_snapshot_is_a_clear_error() {
    let (_dir, path, writer) = wal_db();
    let snap = writer.snapshot(MAIN_DB).unwrap();
    writer.execute("INSERT INTO t VALUES (2)", []).unwrap();
    // Copy the whole WAL into the database: the snapshot's pages are gone.
    writer
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    writer.execute("INSERT INTO t VALUES (3)", []).unwrap();

    let mut reader = open(&path);
    let err = reader.transaction_at_snapshot(MAIN_DB, &snap).unwrap_err();
    assert_eq!(extended(&err), Some(ffi::SQLITE_ERROR_SNAPSHOT), "{err:?}");
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::Unknown));
    let msg = err.to_string();
    assert!(msg.contains("no longer available"), "{msg}");
    // The failed attempt left no transaction open.
    assert!(reader.is_autocommit());
    assert_eq!(count(&reader), 3);
}

#[test]
fn not_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("rollback.db")).unwrap();
    conn.execute_batch("CREATE TABLE t(x)").unwrap();
    let err = conn.snapshot(MAIN_DB).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::Unknown));
    assert!(err.to_string().contains("not in WAL mode"), "{err}");
    assert!(conn.is_autocommit(), "the transaction it opened is closed");

    let mem = Connection::open_in_memory().unwrap();
    let err = mem.snapshot(MAIN_DB).unwrap_err();
    assert!(err.to_string().contains("not in WAL mode"), "{err}");
}

#[test]
fn bad_schemas_and_misuse() {
    let (_dir, _path, conn) = wal_db();
    let err = conn.snapshot(TEMP_DB).unwrap_err();
    assert!(
        err.to_string().contains("temp database has no WAL"),
        "{err}"
    );
    let err = conn.snapshot("nosuch").unwrap_err();
    assert!(err.to_string().contains("no open database"), "{err}");
    assert!(matches!(
        conn.snapshot("a\0b"),
        Err(ferrolite::Error::NulError(_))
    ));

    // A write transaction has no committed state to record.
    let tx = conn.unchecked_transaction().unwrap();
    tx.execute("INSERT INTO t VALUES (2)", []).unwrap();
    let err = tx.snapshot(MAIN_DB).unwrap_err();
    assert!(err.to_string().contains("write transaction"), "{err}");
    drop(tx);

    // open_snapshot needs a transaction.
    let snap = conn.snapshot(MAIN_DB).unwrap();
    let err = conn.open_snapshot(MAIN_DB, &snap).unwrap_err();
    assert!(err.to_string().contains("no transaction is open"), "{err}");

    // transaction_at_snapshot inside a transaction: refused by BEGIN.
    let mut conn = conn;
    conn.execute_batch("BEGIN").unwrap();
    assert!(conn.transaction_at_snapshot(MAIN_DB, &snap).is_err());
    conn.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn snapshots_move_between_threads() {
    let (_dir, path, writer) = wal_db();
    let snap = writer.snapshot(MAIN_DB).unwrap();
    writer.execute("INSERT INTO t VALUES (2)", []).unwrap();
    let shared = std::sync::Arc::new(snap);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let snap = std::sync::Arc::clone(&shared);
            let path = path.clone();
            std::thread::spawn(move || {
                let mut c = Connection::open(path).unwrap();
                let tx = c.transaction_at_snapshot(MAIN_DB, &snap).unwrap();
                count(&tx)
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 1);
    }
    // Sent by value, dropped (freed) on another thread.
    let snap = std::sync::Arc::try_unwrap(shared).unwrap();
    std::thread::spawn(move || drop::<Snapshot>(snap))
        .join()
        .unwrap();
}

#[test]
fn recover_old_snapshots_from_a_persisted_wal() {
    let (_dir, path, conn) = wal_db();
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .unwrap();
    let mut persist = 1;
    conn.file_control(Some(MAIN_DB), FileControl::PersistWal(&mut persist))
        .unwrap();
    let old = conn.snapshot(MAIN_DB).unwrap();
    conn.execute("INSERT INTO t VALUES (2)", []).unwrap();
    drop(conn);
    assert!(path.with_extension("db-wal").exists());

    let mut conn = open(&path);
    assert_eq!(count(&conn), 2);
    // In a read transaction: refused.
    {
        let tx = conn.transaction().unwrap();
        assert_eq!(count(&tx), 2);
        let err = tx.snapshot_recover(MAIN_DB).unwrap_err();
        assert!(err.to_string().contains("read transaction"), "{err}");
    }
    conn.snapshot_recover(MAIN_DB).unwrap();
    let tx = conn.transaction_at_snapshot(MAIN_DB, &old).unwrap();
    assert_eq!(count(&tx), 1);
    drop(tx);
    let mem = Connection::open_in_memory().unwrap();
    assert!(mem.snapshot_recover(MAIN_DB).is_err());
}

#[test]
fn open_snapshot_restarts_a_read_but_not_under_a_running_statement() {
    let (_dir, path, writer) = wal_db();
    let snap = writer.snapshot(MAIN_DB).unwrap();
    writer.execute("INSERT INTO t VALUES (2)", []).unwrap();

    let reader = open(&path);
    let tx = reader.unchecked_transaction().unwrap();
    assert_eq!(count(&tx), 2, "reads the present first");
    {
        // A statement still reading: refused, and the read goes on.
        let mut stmt = tx.prepare("SELECT x FROM t").unwrap();
        let mut rows = stmt.query([]).unwrap();
        assert!(rows.next().unwrap().is_some());
        let err = tx.open_snapshot(MAIN_DB, &snap).unwrap_err();
        assert!(err.to_string().contains("still reading"), "{err}");
        assert!(rows.next().unwrap().is_some());
    }
    // No statement running: the read restarts at the snapshot.
    tx.open_snapshot(MAIN_DB, &snap).unwrap();
    assert_eq!(count(&tx), 1);
}
