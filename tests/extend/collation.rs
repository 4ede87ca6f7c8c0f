//! Collations and the collation-needed callback.

use crate::common::memory_db;

use std::cmp::Ordering;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

use ferrolite::functions::FunctionFlags;
use ferrolite::{CancelToken, Connection, Error, ErrorCode, Result, ffi};

fn column(conn: &Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, AtomicOrdering::SeqCst);
    }
}

#[test]
fn python_docs_reverse_collation() -> Result<()> {
    // The Python documentation's example, line for line.
    fn collate_reverse(string1: &str, string2: &str) -> Ordering {
        if string1 == string2 {
            Ordering::Equal
        } else if string1 < string2 {
            Ordering::Greater
        } else {
            Ordering::Less
        }
    }
    let conn = memory_db();
    conn.create_collation("reverse", collate_reverse)?;
    conn.execute_batch("create table test(x)")?;
    let mut insert = conn.prepare("insert into test(x) values (?)")?;
    for x in ["a", "b"] {
        insert.execute([x])?;
    }
    assert_eq!(
        column(&conn, "select x from test order by x collate reverse")?,
        ["b", "a"]
    );
    assert_eq!(column(&conn, "select x from test order by x")?, ["a", "b"]);
    Ok(())
}

#[test]
fn collation_drives_distinct_grouping_and_indexes() -> Result<()> {
    let conn = memory_db();
    conn.create_collation("ci", |a: &str, b: &str| {
        a.to_lowercase().cmp(&b.to_lowercase())
    })?;
    conn.execute_batch(
        "CREATE TABLE t(name TEXT COLLATE ci);
         INSERT INTO t VALUES ('Bob'), ('alice'), ('ALICE'), ('bob'), ('Carol');
         CREATE INDEX t_name ON t(name);",
    )?;
    let n: i64 = conn.query_row("SELECT count(DISTINCT name) FROM t", [], |r| r.get(0))?;
    assert_eq!(n, 3);
    let n: i64 = conn.query_row("SELECT count(*) FROM t WHERE name = 'BOB'", [], |r| {
        r.get(0)
    })?;
    assert_eq!(n, 2);
    let sorted = column(&conn, "SELECT lower(name) FROM t ORDER BY name")?;
    assert_eq!(sorted, ["alice", "alice", "bob", "bob", "carol"]);
    Ok(())
}

#[test]
fn remove_collation_makes_it_unknown() {
    let conn = memory_db();
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropCount(drops.clone());
    conn.create_collation("gone", move |a: &str, b: &str| {
        let _ = &guard;
        a.cmp(b)
    })
    .unwrap();
    assert!(conn.prepare("SELECT 'x' < 'y' COLLATE gone").is_ok());
    conn.remove_collation("gone").unwrap();
    assert_eq!(drops.load(AtomicOrdering::SeqCst), 1);
    let err = conn.prepare("SELECT 'x' < 'y' COLLATE gone").unwrap_err();
    assert!(
        err.to_string().contains("no such collation sequence"),
        "{err}"
    );
    // Removing again, or something never registered, is fine.
    conn.remove_collation("gone").unwrap();
    assert!(matches!(
        conn.create_collation("a\0b", |a: &str, b: &str| a.cmp(b)),
        Err(Error::NulError(_))
    ));
}

#[test]
fn collations_are_dropped_once_when_replaced_or_closed() {
    let drops = Arc::new(AtomicUsize::new(0));
    let conn = memory_db();
    for _ in 0..3 {
        let guard = DropCount(drops.clone());
        conn.create_collation("c", move |a: &str, b: &str| {
            let _ = &guard;
            a.cmp(b)
        })
        .unwrap();
    }
    assert_eq!(drops.load(AtomicOrdering::SeqCst), 2);
    drop(conn);
    assert_eq!(drops.load(AtomicOrdering::SeqCst), 3);
}

#[test]
fn replacing_a_collation_while_a_statement_runs_is_refused() -> Result<()> {
    let conn = memory_db();
    let drops = Arc::new(AtomicUsize::new(0));
    conn.create_collation("c", |a: &str, b: &str| a.cmp(b))?;
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES ('b'), ('a'), ('c');")?;
    let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x COLLATE c")?;
    let mut rows = stmt.query([])?;
    assert_eq!(rows.next()?.unwrap().get::<_, String>(0)?, "a");
    let guard = DropCount(drops.clone());
    let err = conn
        .create_collation("c", move |a: &str, b: &str| {
            let _ = &guard;
            b.cmp(a)
        })
        .unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseBusy));
    // The rejected closure was freed (once), the running one kept.
    assert_eq!(drops.load(AtomicOrdering::SeqCst), 1);
    assert_eq!(rows.next()?.unwrap().get::<_, String>(0)?, "b");
    let err = conn.remove_collation("c").unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseBusy));
    Ok(())
}

#[test]
fn panicking_collation_fails_the_step_and_stops_calling() {
    let conn = memory_db();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    conn.create_collation("bomb", move |a: &str, b: &str| {
        c.fetch_add(1, AtomicOrdering::SeqCst);
        if a.len() + b.len() > 0 {
            panic!("collation panicked");
        }
        Ordering::Equal
    })
    .unwrap();
    conn.execute_batch(
        "CREATE TABLE t(x);
         WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT 2000)
         INSERT INTO t SELECT 'v' || i FROM c;",
    )
    .unwrap();
    let err = column(&conn, "SELECT x FROM t ORDER BY x COLLATE bomb").unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    assert_eq!(
        calls.load(AtomicOrdering::SeqCst),
        1,
        "after the first panic the closure is not called again in that step"
    );
    // Building an index with it fails the same way and creates nothing.
    let err = conn
        .execute_batch("CREATE INDEX t_x ON t(x COLLATE bomb)")
        .unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    // Unaffected statements still run.
    let n: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2000);
}

#[test]
fn panicking_collation_in_a_single_step_query() {
    // The step that ran the collation succeeded as far as SQLite knows
    // (it returned a row): the panic still fails it.
    let conn = memory_db();
    conn.create_collation("bomb", |_: &str, _: &str| panic!("no"))
        .unwrap();
    let err = conn
        .query_row("SELECT 'a' < 'b' COLLATE bomb", [], |r| r.get::<_, bool>(0))
        .unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    let err = conn
        .execute("CREATE TABLE t AS SELECT 'a' = 'b' COLLATE bomb AS v", [])
        .unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    // A panic does not leak into the next, unrelated statement.
    let v: i64 = conn.query_row("SELECT 41 + 1", [], |r| r.get(0)).unwrap();
    assert_eq!(v, 42);
}

#[test]
fn invalid_utf8_is_compared_lossily() -> Result<()> {
    let conn = memory_db();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = seen.clone();
    conn.create_collation("lossy", move |a: &str, b: &str| {
        s.lock().unwrap().push((a.to_owned(), b.to_owned()));
        a.cmp(b)
    })?;
    let less: bool = conn.query_row(
        "SELECT CAST(X'FF41' AS TEXT) < CAST(X'FF42' AS TEXT) COLLATE lossy",
        [],
        |r| r.get(0),
    )?;
    assert!(less);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0], ("\u{FFFD}A".to_owned(), "\u{FFFD}B".to_owned()));
    Ok(())
}

#[test]
fn closure_drop_that_panics_does_not_abort() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("drop panicked");
        }
    }
    let conn = memory_db();
    let p = PanicOnDrop;
    conn.create_collation("c", move |a: &str, b: &str| {
        let _ = &p;
        a.cmp(b)
    })
    .unwrap();
    let p = PanicOnDrop;
    conn.create_scalar_function("f", 0, FunctionFlags::default(), move |_| {
        let _ = &p;
        Ok(1)
    })
    .unwrap();
    // Replaced (SQLite runs the destructor) and removed: no abort.
    conn.create_collation("c", |a: &str, b: &str| a.cmp(b))
        .unwrap();
    conn.remove_function("f", 0).unwrap();
    let p = PanicOnDrop;
    conn.create_scalar_function("g", 0, FunctionFlags::default(), move |_| {
        let _ = &p;
        Ok(1)
    })
    .unwrap();
    // Closed with a panicking destructor pending: no abort either.
    drop(conn);
}

fn needed(conn: &Connection, name: &str) -> Result<()> {
    match name {
        "rev" => conn.create_collation(name, |a: &str, b: &str| b.cmp(a)),
        "explode" => panic!("collation_needed panicked"),
        "refuse" => Err(Error::UserFunctionError("no such thing here".into())),
        _ => Ok(()),
    }
}

#[test]
fn collation_needed_registers_on_demand() -> Result<()> {
    let conn = memory_db();
    conn.collation_needed(needed)?;
    assert_eq!(
        column(
            &conn,
            "SELECT x FROM (SELECT 'a' AS x UNION ALL SELECT 'c' UNION ALL SELECT 'b') ORDER BY x COLLATE rev"
        )?,
        ["c", "b", "a"]
    );
    // Registered for good: no second call needed.
    assert_eq!(
        column(
            &conn,
            "SELECT x FROM (SELECT 'a' AS x UNION ALL SELECT 'b') ORDER BY x COLLATE rev"
        )?,
        ["b", "a"]
    );
    Ok(())
}

#[test]
fn collation_needed_failures() {
    let conn = memory_db();
    conn.collation_needed(needed).unwrap();
    for name in ["refuse", "whatever"] {
        let err = conn
            .prepare(&format!("SELECT 'a' < 'b' COLLATE {name}"))
            .unwrap_err();
        assert_eq!(
            err.sqlite_extended_error_code(),
            Some(ffi::SQLITE_ERROR_MISSING_COLLSEQ),
            "{err:?}"
        );
    }
    let err = conn
        .prepare("SELECT 'a' < 'b' COLLATE explode")
        .unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    // The connection is fine afterwards.
    assert!(conn.prepare("SELECT 'a' < 'b' COLLATE rev").is_ok());
}

thread_local! {
    static TL_CONN: Connection = Connection::open_in_memory().unwrap();
}

#[test]
fn collation_replacing_itself_while_running_is_refused() {
    // Reaching its own connection through a thread-local, the collation
    // tries to replace itself mid-sort: SQLite refuses (BUSY), the running
    // closure stays alive, and the sort completes.
    static REFUSED: AtomicUsize = AtomicUsize::new(0);
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    std::thread::spawn(move || {
        TL_CONN.with(|conn| {
            let guard = DropCount(d.clone());
            conn.create_collation("selfrep", move |a: &str, b: &str| {
                let _ = &guard;
                let r = TL_CONN.with(|c| c.create_collation("selfrep", |a: &str, b: &str| b.cmp(a)));
                if r.is_err_and(|e| e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)) {
                    REFUSED.fetch_add(1, AtomicOrdering::SeqCst);
                }
                a.cmp(b)
            })
            .unwrap();
            let sorted = column(
                conn,
                "SELECT x FROM (SELECT 'b' AS x UNION ALL SELECT 'a' UNION ALL SELECT 'c') ORDER BY x COLLATE selfrep",
            )
            .unwrap();
            assert_eq!(sorted, ["a", "b", "c"]);
            assert!(REFUSED.load(AtomicOrdering::SeqCst) >= 1);
            // The refused replacements never took its place: still alive.
            assert_eq!(
                d.load(AtomicOrdering::SeqCst),
                0,
                "the running closure must not be freed"
            );
            conn.remove_collation("selfrep").unwrap();
            assert_eq!(d.load(AtomicOrdering::SeqCst), 1);
        });
    })
    .join()
    .unwrap();
    assert_eq!(drops.load(AtomicOrdering::SeqCst), 1);
}

#[test]
fn collation_needed_wrapper_leaves_the_owners_statement_timeout_armed() -> Result<()> {
    fn on_demand(conn: &Connection, name: &str) -> Result<()> {
        // Everything a callback can arm on the connection it is given.
        conn.set_statement_timeout(conn.statement_timeout());
        conn.busy_timeout(Duration::from_millis(300))?;
        let token = CancelToken::new();
        conn.with_cancel(&token, |c| {
            c.create_collation(name, |a: &str, b: &str| a.cmp(b))
        })
    }
    let conn = memory_db();
    conn.set_statement_timeout(Some(Duration::from_millis(100)));
    conn.collation_needed(on_demand)?;
    let v = column(
        &conn,
        "SELECT x FROM (SELECT 'b' AS x UNION ALL SELECT 'a') ORDER BY x COLLATE mine",
    )?;
    assert_eq!(v, ["a", "b"]);
    // The callback's wrapper is the same connection: it saw the owner's
    // statement timeout, and the owner sees the busy timeout it set.
    assert_eq!(conn.statement_timeout(), Some(Duration::from_millis(100)));
    assert_eq!(conn.get_busy_timeout(), Some(Duration::from_millis(300)));
    // The owner's statement timeout still fires.
    let start = Instant::now();
    let err = conn
        .query_row(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) \
             SELECT count(*) FROM c",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap_err();
    assert!(err.is_interrupted(), "{err:?}");
    assert!(err.to_string().contains("statement timeout"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    Ok(())
}
