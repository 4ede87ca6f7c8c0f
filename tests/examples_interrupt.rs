//! The Python interrupt tutorial's examples (`examples/interrupt_*.rs`),
//! run with smaller tables and their outcomes asserted: the interrupt error,
//! rows committed or not, the connection usable afterwards.

mod common;
use crate::common::{assert_interrupted, prompt, temp_path};

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ferrolite::{Connection, Result};

#[path = "../examples/interrupt_basic.rs"]
#[allow(dead_code)]
mod basic;
#[path = "../examples/interrupt_graceful.rs"]
#[allow(dead_code)]
mod graceful;
#[path = "../examples/interrupt_multiple.rs"]
#[allow(dead_code)]
mod multiple;
#[path = "../examples/interrupt_pool.rs"]
#[allow(dead_code)]
mod pool;
#[path = "../examples/interrupt_progress.rs"]
#[allow(dead_code)]
mod progress;
#[path = "../examples/interrupt_timeout.rs"]
#[allow(dead_code)]
mod timeout;
#[path = "../examples/interrupt_transaction.rs"]
#[allow(dead_code)]
mod transaction;

const DELAY: Duration = Duration::from_millis(30);
fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn basic_interrupt_stops_the_worker_query() -> Result<()> {
    let conn = basic::setup(20_000)?;
    let start = Instant::now();
    let (conn, result) = basic::run(conn, "SELECT * FROM large_table, large_table AS t2", DELAY);
    assert_interrupted(result.as_ref().unwrap_err(), "");
    assert!(start.elapsed() < prompt());
    assert_eq!(count(&conn, "SELECT count(*) FROM large_table"), 20_000);
    Ok(())
}

#[test]
fn basic_interrupt_after_the_query_finished_changes_nothing() -> Result<()> {
    let conn = basic::setup(1_000)?;
    let (conn, result) = basic::run(conn, "SELECT * FROM large_table", DELAY);
    assert_eq!(result?, 1_000);
    assert_eq!(count(&conn, "SELECT count(*) FROM large_table"), 1_000);
    Ok(())
}

#[test]
fn timer_thread_times_out_a_slow_query_and_spares_a_fast_one() -> Result<()> {
    let conn = timeout::setup(10_000)?;
    let slow = "SELECT * FROM test JOIN test t2";
    let start = Instant::now();
    let (result, fired) = timeout::with_timer(&conn, slow, Duration::from_millis(100));
    assert_interrupted(result.as_ref().unwrap_err(), "");
    assert!(fired);
    assert!(start.elapsed() >= Duration::from_millis(100) && start.elapsed() < prompt());

    let (result, fired) = timeout::with_timer(&conn, "SELECT * FROM test", Duration::from_secs(30));
    assert_eq!(result?, 10_000);
    assert!(!fired, "the cancelled timer never interrupts");
    // Later work is unaffected by the cancelled timer.
    assert_eq!(timeout::read_all(&conn, "SELECT * FROM test")?, 10_000);
    Ok(())
}

#[test]
fn built_in_timeouts_replace_the_timer_thread() -> Result<()> {
    let conn = timeout::setup(10_000)?;
    let slow = "SELECT * FROM test JOIN test t2";
    conn.set_statement_timeout(Some(Duration::from_millis(100)));
    let result = timeout::read_all(&conn, slow);
    assert_interrupted(result.as_ref().unwrap_err(), "");
    assert!(
        result
            .unwrap_err()
            .to_string()
            .contains("statement timeout")
    );
    conn.set_statement_timeout(None);

    let result = conn.with_timeout(Duration::from_millis(100), |c| timeout::read_all(c, slow));
    assert_interrupted(result.as_ref().unwrap_err(), "");
    assert!(result.unwrap_err().to_string().contains("deadline"));
    assert_eq!(timeout::read_all(&conn, "SELECT * FROM test")?, 10_000);
    Ok(())
}

#[test]
fn one_interrupt_stops_every_statement_of_the_connection() -> Result<()> {
    let conn = multiple::setup(20_000)?;
    let outcome = multiple::run(
        conn,
        [
            "SELECT * FROM data, data AS d2",
            "SELECT COUNT(*) FROM data, data AS d2",
        ],
        DELAY,
    );
    assert_eq!(outcome.queries.len(), 2);
    for (query, _, result) in &outcome.queries {
        assert!(
            result.as_ref().is_err_and(|e| e.is_interrupted()),
            "{query}: {result:?}"
        );
    }
    assert_eq!(count(&outcome.conn, "SELECT count(*) FROM data"), 20_000);
    Ok(())
}

#[test]
fn graceful_cancel_stops_between_rows_or_mid_step() -> Result<()> {
    let conn = graceful::setup(20_000)?;
    let start = Instant::now();
    let (executor, result) = graceful::run(conn, "SELECT * FROM data, data AS d2", DELAY);
    let (ended, rows) = result?;
    assert!(
        matches!(
            ended,
            graceful::Ended::CanceledGracefully | graceful::Ended::Interrupted
        ),
        "{ended:?}"
    );
    assert!(rows < 400_000_000);
    assert!(start.elapsed() < prompt());
    assert!(executor.token().is_cancelled());
    assert_eq!(count(executor.conn(), "SELECT count(*) FROM data"), 20_000);
    Ok(())
}

#[test]
fn interrupt_while_the_worker_sleeps_lets_the_transaction_commit() -> Result<()> {
    let (conn, result) = transaction::run(
        transaction::setup()?,
        Duration::from_millis(300),
        "INSERT INTO test VALUES (2)",
        Duration::from_millis(100),
    );
    assert!(matches!(result?, transaction::Ended::Committed));
    assert_eq!(count(&conn, "SELECT count(*) FROM test"), 2);
    Ok(())
}

#[test]
fn interrupt_during_a_write_rolls_the_transaction_back() -> Result<()> {
    let (conn, result) = transaction::run(
        transaction::setup()?,
        Duration::ZERO,
        "INSERT INTO test SELECT value FROM generate_series(2, 2000000000)",
        DELAY,
    );
    match result? {
        transaction::Ended::Interrupted(e) => {
            assert!(e.is_interrupted());
            assert!(e.to_string().contains("rolled back"), "{e}");
        }
        other => panic!("expected an interrupted transaction, got {other:?}"),
    }
    assert_eq!(count(&conn, "SELECT count(*) FROM test"), 0);
    assert!(conn.is_autocommit());
    conn.execute("INSERT INTO test VALUES (3)", [])?;
    assert_eq!(count(&conn, "SELECT count(*) FROM test"), 1);
    Ok(())
}

#[test]
fn pool_interrupts_every_connection_in_use() -> Result<()> {
    let (_dir, path) = temp_path("pool.db");
    pool::setup(&path, 20_000)?;
    let p = Arc::new(pool::ConnectionPool::new(&path, 5)?);
    let start = Instant::now();
    let results = pool::run(Arc::clone(&p), 3, "SELECT * FROM data, data d2", DELAY);
    assert_eq!(results.len(), 3);
    for r in &results {
        assert_interrupted(r.as_ref().unwrap_err(), "");
    }
    assert!(start.elapsed() < prompt());
    assert_eq!(p.idle_count(), 5, "every connection went back to the pool");
    // Each pooled connection works afterwards.
    let conns: Vec<_> = (0..5).map(|_| p.get_connection()).collect();
    for c in &conns {
        assert_eq!(count(c, "SELECT count(*) FROM data"), 20_000);
    }
    for c in conns {
        p.return_connection(c);
    }
    Ok(())
}

#[test]
fn progress_handler_flag_aborts_the_query() -> Result<()> {
    let conn = progress::setup(20_000)?;
    let start = Instant::now();
    let (monitor, result) = progress::run(conn, "SELECT * FROM data, data AS d2", DELAY)?;
    assert_interrupted(result.as_ref().unwrap_err(), "");
    assert!(start.elapsed() < prompt());
    assert!(monitor.calls() > 0);
    monitor.flag().store(false, Ordering::Relaxed);
    assert_eq!(count(monitor.conn(), "SELECT count(*) FROM data"), 20_000);
    // With the flag set, every query that runs long enough is aborted.
    monitor.flag().store(true, Ordering::Relaxed);
    let result = monitor.execute_query("SELECT * FROM data, data AS d2", || {});
    assert_interrupted(result.as_ref().unwrap_err(), "");
    Ok(())
}
