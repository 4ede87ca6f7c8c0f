//! Shared-cache lock waits. With feature `unlock_notify` (as in rusqlite),
//! a statement blocked by another connection's lock on a shared cache
//! waits for that connection's commit; without it (the default, which
//! spares every autocommit statement a global mutex), it fails at once with
//! `SQLITE_LOCKED_SHAREDCACHE`.

#[cfg(feature = "unlock_notify")]
use std::sync::mpsc;
#[cfg(feature = "unlock_notify")]
use std::thread;
use std::time::{Duration, Instant};

use ferrolite::{Connection, ErrorCode, OpenFlags};

/// Two connections to one shared-cache in-memory database, unique per test.
fn shared_pair(name: &str) -> (Connection, Connection) {
    let uri = format!("file:{name}?mode=memory&cache=shared");
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let a = Connection::open_with_flags(&uri, flags).unwrap();
    let b = Connection::open_with_flags(&uri, flags).unwrap();
    (a, b)
}

#[cfg(feature = "unlock_notify")]
/// Runs `hold` on `writer` in another thread (leaving its transaction
/// open), signals, waits `delay`, then commits. Returns the thread.
fn hold_then_commit(
    writer: Connection,
    hold: &'static str,
    delay: Duration,
) -> (mpsc::Receiver<()>, thread::JoinHandle<Connection>) {
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        writer.execute_batch(hold).unwrap();
        tx.send(()).unwrap();
        thread::sleep(delay);
        writer.execute_batch("COMMIT").unwrap();
        writer
    });
    (rx, handle)
}

#[cfg(feature = "unlock_notify")]
#[test]
fn a_read_blocked_by_a_shared_cache_writer_waits_for_its_commit() {
    let (reader, writer) = shared_pair("un_step");
    reader.execute_batch("CREATE TABLE foo (x)").unwrap();
    let delay = Duration::from_millis(150);
    let (ready, holder) = hold_then_commit(
        writer,
        "BEGIN IMMEDIATE; INSERT INTO foo VALUES (42)",
        delay,
    );
    ready.recv().unwrap();
    let start = Instant::now();
    // Blocked by the writer's table lock until it commits: then sees the row.
    let x: i64 = reader
        .query_row("SELECT x FROM foo", [], |r| r.get(0))
        .unwrap();
    assert_eq!(x, 42);
    assert!(start.elapsed() >= delay / 2, "{:?}", start.elapsed());
    holder.join().unwrap();
    // A prepared statement with bindings keeps them across the retry.
    let (ready, holder) = hold_then_commit(
        reader,
        "BEGIN IMMEDIATE; INSERT INTO foo VALUES (43)",
        delay,
    );
    ready.recv().unwrap();
    let (_, other) = shared_pair("un_step");
    let n: i64 = other
        .query_row("SELECT count(*) FROM foo WHERE x >= ?1", [42], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    holder.join().unwrap();
}

#[cfg(feature = "unlock_notify")]
#[test]
fn a_prepare_blocked_by_a_schema_change_waits_for_its_commit() {
    let (reader, writer) = shared_pair("un_prepare");
    reader.execute_batch("CREATE TABLE a (x)").unwrap();
    let (ready, holder) = hold_then_commit(
        writer,
        "BEGIN IMMEDIATE; CREATE TABLE b (y); INSERT INTO b VALUES (7)",
        Duration::from_millis(150),
    );
    ready.recv().unwrap();
    // Preparing needs the schema, which the writer has locked.
    let y: i64 = reader
        .query_row("SELECT y FROM b", [], |r| r.get(0))
        .unwrap();
    assert_eq!(y, 7);
    holder.join().unwrap();
}

#[cfg(feature = "unlock_notify")]
#[test]
fn an_interrupt_ends_the_wait_with_the_lock_error() {
    let (reader, writer) = shared_pair("un_interrupt");
    reader.execute_batch("CREATE TABLE foo (x)").unwrap();
    let (ready, holder) = hold_then_commit(
        writer,
        "BEGIN IMMEDIATE; INSERT INTO foo VALUES (1)",
        Duration::from_secs(2),
    );
    ready.recv().unwrap();
    let interrupt = reader.get_interrupt_handle();
    let interrupter = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        interrupt.interrupt();
    });
    let start = Instant::now();
    let err = reader
        .query_row("SELECT x FROM foo", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
    let sqlite = err
        .sqlite_error()
        .copied()
        .unwrap_or_else(|| panic!("{err:?}"));
    assert!(
        sqlite.code == ErrorCode::DatabaseLocked || sqlite.code == ErrorCode::OperationInterrupted,
        "{err:?}"
    );
    interrupter.join().unwrap();
    holder.join().unwrap();
    // Usable afterwards, and the committed row is there.
    let n: i64 = reader
        .query_row("SELECT count(*) FROM foo", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[cfg(not(feature = "unlock_notify"))]
#[test]
fn without_the_feature_a_shared_cache_lock_fails_at_once() {
    let (reader, writer) = shared_pair("un_off");
    reader.execute_batch("CREATE TABLE foo (x)").unwrap();
    writer
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO foo VALUES (1)")
        .unwrap();
    let start = Instant::now();
    let err = reader
        .query_row("SELECT x FROM foo", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseLocked));
    assert_eq!(
        err.sqlite_error().unwrap().extended_code,
        ferrolite::ffi::SQLITE_LOCKED_SHAREDCACHE
    );
    writer.execute_batch("COMMIT").unwrap();
    let n: i64 = reader
        .query_row("SELECT count(*) FROM foo", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}
