//! Concurrency stress: several threads, each with its own connection,
//! write to one WAL database while readers check that they never see half a
//! transaction. With a busy timeout long enough, no `SQLITE_BUSY` escapes
//! and every committed row is there at the end, exactly once.

mod common;
use crate::common::temp_path;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use ferrolite::{Connection, TransactionBehavior, params};

const WRITERS: i64 = 6;
const TXS_PER_WRITER: i64 = 250;
const ROWS_PER_TX: i64 = 3;

fn open(path: &std::path::Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    conn
}

fn setup(path: &std::path::Path) {
    let conn = open(path);
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch(
        "CREATE TABLE rows (writer INTEGER, seq INTEGER, k INTEGER, payload BLOB,
                            PRIMARY KEY (writer, seq, k));
         CREATE TABLE totals (id INTEGER PRIMARY KEY CHECK (id = 1), txs INTEGER, rows INTEGER);
         INSERT INTO totals VALUES (1, 0, 0);",
    )
    .unwrap();
}

/// A reader's consistency check: the counters are updated in the same
/// transaction as the rows, so any snapshot must agree with itself.
fn check_snapshot(conn: &Connection) -> i64 {
    let tx = conn.unchecked_transaction().unwrap();
    let (txs, rows): (i64, i64) = tx
        .query_row("SELECT txs, rows FROM totals", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let counted: i64 = tx
        .query_row("SELECT count(*) FROM rows", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, counted, "a reader saw a partial transaction");
    assert_eq!(
        rows,
        txs * ROWS_PER_TX,
        "a reader saw a partial transaction"
    );
    tx.commit().unwrap();
    txs
}

#[test]
fn writers_and_readers_on_one_wal_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("stress.db"));
    setup(&path);

    let done = Arc::new(AtomicBool::new(false));
    let snapshots = Arc::new(AtomicU64::new(0));

    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (path, done, snapshots) = (path.clone(), done.clone(), snapshots.clone());
            thread::spawn(move || {
                let conn = open(&path);
                let mut last = 0;
                while !done.load(Ordering::Relaxed) {
                    let txs = check_snapshot(&conn);
                    assert!(txs >= last, "committed data went missing");
                    last = txs;
                    snapshots.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let path = path.clone();
            thread::spawn(move || {
                let mut conn = open(&path);
                let mut committed = Vec::new();
                for seq in 0..TXS_PER_WRITER {
                    // Odd writers use explicit IMMEDIATE transactions, even
                    // ones DEFERRED ones that upgrade to write on the first
                    // INSERT (the busy handler covers both in WAL mode when
                    // the transaction reads nothing first).
                    let behavior = if writer % 2 == 1 {
                        TransactionBehavior::Immediate
                    } else {
                        TransactionBehavior::Deferred
                    };
                    let tx = conn.transaction_with_behavior(behavior).unwrap();
                    for k in 0..ROWS_PER_TX {
                        tx.execute(
                            "INSERT INTO rows VALUES (?1, ?2, ?3, randomblob(?4))",
                            params![writer, seq, k, 16 + (seq * 37 + k) % 500],
                        )
                        .unwrap_or_else(|e| panic!("writer {writer} tx {seq}: {e}"));
                    }
                    tx.execute(
                        "UPDATE totals SET txs = txs + 1, rows = rows + ?1",
                        [ROWS_PER_TX],
                    )
                    .unwrap();
                    tx.commit()
                        .unwrap_or_else(|e| panic!("writer {writer} commit {seq}: {e}"));
                    committed.push(seq);
                }
                committed
            })
        })
        .collect();

    let mut committed = 0;
    for (writer, handle) in writers.into_iter().enumerate() {
        let seqs = handle.join().expect("a writer failed");
        assert_eq!(seqs.len() as i64, TXS_PER_WRITER, "writer {writer}");
        committed += seqs.len() as i64;
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().expect("a reader saw an inconsistent snapshot");
    }
    assert!(snapshots.load(Ordering::Relaxed) > 0);

    // Every committed row is present exactly once, in a fresh connection.
    let conn = open(&path);
    assert_eq!(check_snapshot(&conn), committed);
    for writer in 0..WRITERS {
        let (n, distinct, lo, hi): (i64, i64, i64, i64) = conn
            .query_row(
                "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM rows WHERE writer = ?1",
                [writer],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            (n, distinct, lo, hi),
            (
                TXS_PER_WRITER * ROWS_PER_TX,
                TXS_PER_WRITER,
                0,
                TXS_PER_WRITER - 1
            )
        );
    }
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn autocommit_inserts_from_many_threads() {
    // Single-statement writes with no explicit transaction: each waits for
    // the lock on its own.
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("auto.db"));
    {
        let conn = open(&path);
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (writer, seq)")
            .unwrap();
    }
    let threads: Vec<_> = (0..4_i64)
        .map(|writer| {
            let path = path.clone();
            thread::spawn(move || {
                let conn = open(&path);
                let mut stmt = conn
                    .prepare_cached("INSERT INTO t VALUES (?1, ?2)")
                    .unwrap();
                for seq in 0..200_i64 {
                    stmt.execute([writer, seq])
                        .unwrap_or_else(|e| panic!("writer {writer} row {seq}: {e}"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let conn = open(&path);
    let (n, distinct): (i64, i64) = conn
        .query_row(
            "SELECT count(*), count(DISTINCT writer * 1000 + seq) FROM t",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((n, distinct), (800, 800));
}

#[test]
fn a_short_timeout_gives_a_clean_busy_error() {
    // The other side of the contract: when the lock is held longer than the
    // timeout, the error is SQLITE_BUSY (and nothing is half-written).
    let (_dir, path) = temp_path("busy.db");
    let mut holder = open(&path);
    holder
        .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x)")
        .unwrap();
    let tx = holder
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();
    tx.execute("INSERT INTO t VALUES (1)", []).unwrap();

    let other = open(&path);
    other.busy_timeout(Duration::from_millis(50)).unwrap();
    let err = other.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
    assert!(err.is_busy(), "{err}");
    // Readers are not blocked by the writer in WAL mode.
    let n: i64 = other
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    tx.commit().unwrap();
    other.execute("INSERT INTO t VALUES (2)", []).unwrap();
    let n: i64 = other
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
}
