//! Process-wide heap limits (own test binary: they are global). An
//! out-of-memory inside SQLite is an error for the statement that hit it,
//! never an abort, and everything works again once memory is available.

use ferrolite::{Connection, ErrorCode};

#[test]
fn hard_and_soft_heap_limits() {
    // SAFETY: the only test of this binary, and no thread has touched
    // SQLite yet.
    unsafe { ferrolite::config::set_memory_status(true) }.unwrap();
    assert!(ferrolite::memory_accounting_enabled());

    let conn = Connection::open_in_memory().unwrap();
    let other = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    let used = ferrolite::memory_used();
    assert!(used > 0, "accounting on: SQLite holds some memory ({used})");

    // Too late to change the configuration now.
    // SAFETY: no other thread uses SQLite.
    let err = unsafe { ferrolite::config::set_memory_status(false) }.unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse));

    let limit = used + (4 << 20);
    assert_eq!(ferrolite::hard_heap_limit(limit).unwrap(), 0);
    assert_eq!(ferrolite::current_hard_heap_limit(), limit);

    // A 50 MB allocation inside SQL fails with SQLITE_NOMEM...
    let err = conn
        .query_row("SELECT length(randomblob(50000000))", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::OutOfMemory),
        "{err}"
    );
    // ...and so does binding a value SQLite must copy.
    let big = vec![1u8; 20 << 20];
    let err = conn
        .execute("INSERT INTO t VALUES (?1)", [&big])
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::OutOfMemory),
        "{err}"
    );
    // Small work on both connections goes on.
    conn.execute("INSERT INTO t VALUES (?1)", [1]).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    let v: i64 = other.query_row("SELECT 40 + 2", [], |r| r.get(0)).unwrap();
    assert_eq!(v, 42);

    // The soft limit never exceeds a hard one.
    ferrolite::soft_heap_limit(limit * 2).unwrap();
    assert_eq!(ferrolite::current_soft_heap_limit(), limit);
    assert_eq!(ferrolite::soft_heap_limit(0).unwrap(), limit);

    // Lift the limit: the same statements now succeed.
    assert_eq!(ferrolite::hard_heap_limit(0).unwrap(), limit);
    assert_eq!(ferrolite::current_hard_heap_limit(), 0);
    let n: i64 = conn
        .query_row("SELECT length(randomblob(50000000))", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 50_000_000);
    conn.execute("INSERT INTO t VALUES (?1)", [&big]).unwrap();
    assert!(ferrolite::memory_highwater(false) >= 50_000_000);

    // A soft limit alone does not fail statements: SQLite sheds cache.
    ferrolite::soft_heap_limit(used + (1 << 20)).unwrap();
    let len: i64 = conn
        .query_row("SELECT length(x) FROM t WHERE rowid = 2", [], |r| r.get(0))
        .unwrap();
    assert_eq!(len, 20 << 20);
    ferrolite::soft_heap_limit(0).unwrap();
}
