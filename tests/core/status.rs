//! Run-time counters: `Connection::db_status`, `ferrolite::status` and the
//! statement counters (`get_status` / `reset_status`).

use ferrolite::{Connection, DbStatus, Statement, StatementStatus, Status};

fn file_db() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("status.db")).unwrap();
    (dir, conn)
}

fn count(conn: &Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn cache_hits_increase_after_reads_and_reset_zeroes_them() {
    let (_dir, conn) = file_db();
    conn.execute_batch(
        "CREATE TABLE t(x); INSERT INTO t SELECT value FROM generate_series(1, 2000);",
    )
    .unwrap();
    let (before, hw) = conn.db_status(DbStatus::CacheHit, false).unwrap();
    assert_eq!(hw, 0, "CacheHit has no highwater");
    assert_eq!(count(&conn), 2000);
    let (after, _) = conn.db_status(DbStatus::CacheHit, false).unwrap();
    assert!(after > before, "reads hit the cache: {before} -> {after}");

    // reset: returns the value before, then counts from 0.
    let (at_reset, _) = conn.db_status(DbStatus::CacheHit, true).unwrap();
    assert_eq!(at_reset, after);
    assert_eq!(conn.db_status(DbStatus::CacheHit, false).unwrap(), (0, 0));
    count(&conn);
    assert!(conn.db_status(DbStatus::CacheHit, false).unwrap().0 > 0);
}

#[test]
fn cache_writes_and_misses_on_a_file_database() {
    let (dir, conn) = file_db();
    conn.execute_batch(
        "CREATE TABLE t(x); INSERT INTO t SELECT randomblob(500) FROM generate_series(1, 500);",
    )
    .unwrap();
    let (writes, _) = conn.db_status(DbStatus::CacheWrite, false).unwrap();
    assert!(writes > 0, "committed pages were written: {writes}");
    assert!(conn.db_status(DbStatus::CacheUsed, false).unwrap().0 > 0);
    assert!(conn.db_status(DbStatus::CacheUsedShared, false).unwrap().0 > 0);

    // A fresh connection has an empty cache: its first read misses.
    let other = Connection::open(dir.path().join("status.db")).unwrap();
    assert_eq!(other.db_status(DbStatus::CacheMiss, false).unwrap().0, 0);
    assert_eq!(count(&other), 500);
    assert!(other.db_status(DbStatus::CacheMiss, false).unwrap().0 > 0);
}

#[test]
fn statement_and_schema_memory() {
    let conn = Connection::open_in_memory().unwrap();
    let (schema0, _) = conn.db_status(DbStatus::SchemaUsed, false).unwrap();
    conn.execute_batch("CREATE TABLE t(a, b, c); CREATE INDEX ta ON t(a);")
        .unwrap();
    let (schema1, _) = conn.db_status(DbStatus::SchemaUsed, false).unwrap();
    assert!(schema1 > schema0, "schema grew: {schema0} -> {schema1}");

    conn.flush_prepared_statement_cache();
    let (none, _) = conn.db_status(DbStatus::StmtUsed, false).unwrap();
    let stmt: Statement<'_> = conn.prepare("SELECT a, b, c FROM t WHERE a > ?1").unwrap();
    let (with, _) = conn.db_status(DbStatus::StmtUsed, false).unwrap();
    assert!(
        with > none,
        "a prepared statement uses memory: {none} -> {with}"
    );
    assert!(stmt.get_status(StatementStatus::MemUsed) > 0);
    drop(stmt);
    let (after, _) = conn.db_status(DbStatus::StmtUsed, false).unwrap();
    assert!(after < with, "finalized: {with} -> {after}");
}

#[test]
fn lookaside_highwater_resets_to_current() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);")
        .unwrap();
    {
        // Many live statements: lookaside slots in use.
        let stmts: Vec<_> = (0..20)
            .map(|i| conn.prepare(&format!("SELECT x + {i} FROM t")).unwrap())
            .collect();
        let (cur, hw) = conn.db_status(DbStatus::LookasideUsed, false).unwrap();
        assert!(cur > 0 && hw >= cur, "cur {cur} hw {hw}");
        drop(stmts);
    }
    let (cur, hw) = conn.db_status(DbStatus::LookasideUsed, true).unwrap();
    assert!(
        hw > cur,
        "the highwater outlives the statements: cur {cur} hw {hw}"
    );
    let (cur2, hw2) = conn.db_status(DbStatus::LookasideUsed, false).unwrap();
    assert_eq!(
        hw2, cur2,
        "reset brings the highwater down to the current value"
    );
    assert!(conn.db_status(DbStatus::LookasideHit, false).unwrap().1 > 0);
}

#[test]
fn deferred_foreign_keys() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         CREATE TABLE p(id INTEGER PRIMARY KEY);
         CREATE TABLE c(p REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);",
    )
    .unwrap();
    assert_eq!(conn.db_status(DbStatus::DeferredFks, false).unwrap().0, 0);
    conn.execute_batch("BEGIN; INSERT INTO c VALUES (7);")
        .unwrap();
    assert_eq!(conn.db_status(DbStatus::DeferredFks, false).unwrap().0, 1);
    assert!(
        conn.execute_batch("COMMIT").is_err(),
        "the violation is still there"
    );
    conn.execute_batch("INSERT INTO p VALUES (7); COMMIT;")
        .unwrap();
    assert_eq!(conn.db_status(DbStatus::DeferredFks, false).unwrap().0, 0);
}

#[test]
fn spills() {
    let (_dir, conn) = file_db();
    // A cache of 10 pages and a transaction that dirties many more.
    conn.execute_batch("PRAGMA cache_size = 10; CREATE TABLE t(x);")
        .unwrap();
    assert_eq!(conn.db_status(DbStatus::CacheSpill, false).unwrap().0, 0);
    conn.execute_batch(
        "BEGIN; INSERT INTO t SELECT randomblob(1000) FROM generate_series(1, 300);",
    )
    .unwrap();
    assert!(conn.db_status(DbStatus::CacheSpill, false).unwrap().0 > 0);
    conn.execute_batch("COMMIT").unwrap();
    // Every counter can be read.
    for s in [
        DbStatus::LookasideMissSize,
        DbStatus::LookasideMissFull,
        DbStatus::TempbufSpill,
    ] {
        let (cur, hw) = conn.db_status(s, false).unwrap();
        assert!(cur >= 0 && hw >= 0, "{s:?}");
    }
}

#[test]
fn process_status_page_cache() {
    let (_dir, conn) = file_db();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    // Without a SQLITE_CONFIG_PAGECACHE buffer every page comes from the heap.
    let (overflow, overflow_hw) = ferrolite::status(Status::PagecacheOverflow, false).unwrap();
    assert!(
        overflow > 0 && overflow_hw >= overflow,
        "{overflow} {overflow_hw}"
    );
    let (_, largest) = ferrolite::status(Status::PagecacheSize, false).unwrap();
    assert!(largest >= 4096, "a page: {largest}");
    assert_eq!(
        ferrolite::status(Status::PagecacheUsed, false).unwrap(),
        (0, 0)
    );
    for s in [
        Status::MemoryUsed,
        Status::MallocSize,
        Status::ParserStack,
        Status::MallocCount,
    ] {
        let (cur, hw) = ferrolite::status(s, false).unwrap();
        assert!(cur >= 0 && hw >= 0, "{s:?}");
    }
}

#[test]
fn statement_counters_reset() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (3), (1), (2);")
        .unwrap();
    let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x").unwrap();
    for _ in 0..3 {
        let v: Vec<i64> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(v, [1, 2, 3]);
    }
    assert_eq!(stmt.get_status(StatementStatus::Run), 3);
    assert_eq!(stmt.get_status(StatementStatus::Sort), 3);
    assert_eq!(stmt.get_status(StatementStatus::FullscanStep), 6);
    assert_eq!(stmt.reset_status(StatementStatus::Run), 3);
    assert_eq!(stmt.get_status(StatementStatus::Run), 0);
    assert_eq!(
        stmt.get_status(StatementStatus::Sort),
        3,
        "only Run was reset"
    );
    assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0);
    assert_eq!(stmt.get_status(StatementStatus::AutoIndex), 0);
    assert_eq!(stmt.get_status(StatementStatus::FilterHit), 0);
    assert_eq!(stmt.get_status(StatementStatus::FilterMiss), 0);
    assert!(stmt.get_status(StatementStatus::VmStep) > 0);
}

#[test]
fn lookaside_can_be_resized_or_turned_off() {
    let conn = Connection::open_in_memory().unwrap();
    conn.flush_prepared_statement_cache();
    conn.set_lookaside(0, 0).unwrap();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    let _stmt = conn.prepare("SELECT x FROM t").unwrap();
    assert_eq!(
        conn.db_status(DbStatus::LookasideUsed, false).unwrap(),
        (0, 0)
    );
    assert_eq!(conn.db_status(DbStatus::LookasideHit, false).unwrap().1, 0);

    let conn = Connection::open_in_memory().unwrap();
    conn.flush_prepared_statement_cache();
    conn.set_lookaside(256, 10).unwrap();
    let stmts: Vec<_> = (0..20)
        .map(|i| conn.prepare(&format!("SELECT {i}")).unwrap())
        .collect();
    let (used, hw) = conn.db_status(DbStatus::LookasideUsed, false).unwrap();
    // SQLite cuts the 2560 bytes into big and small (128-byte) slots.
    assert!(
        used > 0 && hw <= 2560 / 128,
        "a few slots only: {used} {hw}"
    );
    assert!(
        conn.db_status(DbStatus::LookasideMissFull, false)
            .unwrap()
            .1
            > 0
    );
    // In use now: refused with a message.
    let err = conn.set_lookaside(128, 100).unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ferrolite::ErrorCode::DatabaseBusy)
    );
    assert!(err.to_string().contains("in use"), "{err}");
    drop(stmts);
    // Out of range values.
    let err = conn.set_lookaside(usize::MAX, 1).unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
}
