//! Interrupts, transactions under interrupt, the progress handler,
//! statement timeouts, deadline scopes, cancel tokens, and their
//! composition.

mod common;
use crate::common::{assert_interrupted, memory_db, prompt};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ferrolite::{CancelToken, Connection, Error, InterruptHandle, Result};

/// A query that runs for a minute or more unless stopped: bounded, so a
/// broken interrupt fails the test's time assertion instead of hanging.
const LONG: &str = "SELECT count(*) FROM generate_series(1, 2000000000)";
/// A write that runs for a minute or more unless stopped.
const LONG_WRITE: &str = "INSERT INTO t SELECT value FROM generate_series(1, 2000000000)";
fn count(conn: &Connection, sql: &str) -> Result<i64> {
    conn.query_row(sql, [], |r| r.get(0))
}

/// Runs `f` while another thread interrupts the connection every 10 ms,
/// starting after 30 ms, until `f` returns (an interrupt that lands before
/// the statement starts is dropped by SQLite, so one is not enough).
fn interrupting<T>(handle: InterruptHandle, f: impl FnOnce() -> T) -> T {
    let done = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&done);
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        while !stop.load(Ordering::Relaxed) {
            handle.interrupt();
            thread::sleep(Duration::from_millis(10));
        }
    });
    let out = f();
    done.store(true, Ordering::Relaxed);
    t.join().unwrap();
    out
}

// ---- InterruptHandle ----

#[test]
fn interrupt_handle_is_send_sync_clone_static() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<InterruptHandle>();
    check::<CancelToken>();
}

#[test]
fn interrupt_stops_a_running_query_from_another_thread() -> Result<()> {
    let conn = memory_db();
    let start = Instant::now();
    let err = interrupting(conn.get_interrupt_handle(), || count(&conn, LONG)).unwrap_err();
    assert_interrupted(&err, "interrupted");
    assert!(start.elapsed() < prompt());
    assert_eq!(
        count(&conn, "SELECT 41 + 1")?,
        42,
        "connection usable after"
    );
    Ok(())
}

#[test]
fn interrupt_while_stepping_rows() -> Result<()> {
    let conn = memory_db();
    let mut stmt = conn.prepare("SELECT value FROM generate_series(1, 2000000000)")?;
    let mut rows = stmt.query([])?;
    let mut seen = 0u64;
    let err = interrupting(conn.get_interrupt_handle(), || {
        loop {
            match rows.next() {
                Ok(Some(_)) => seen += 1,
                Ok(None) => panic!("finished without interrupt"),
                Err(e) => break e,
            }
        }
    });
    assert_interrupted(&err, "interrupted");
    assert!(seen > 0);
    drop(rows);
    // The statement can run again.
    let mut rows = stmt.query([])?;
    assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 1);
    Ok(())
}

#[test]
fn pending_interrupt_is_dropped_when_nothing_runs() -> Result<()> {
    let conn = memory_db();
    let handle = conn.get_interrupt_handle();
    handle.interrupt();
    assert!(handle.is_interrupted());
    assert!(conn.is_interrupted());
    // SQLite clears it when the next statement starts with none running.
    assert_eq!(count(&conn, "SELECT 7")?, 7);
    assert!(!handle.is_interrupted());
    Ok(())
}

#[test]
fn interrupt_after_drop_or_close_is_a_noop() {
    let conn = memory_db();
    let h1 = conn.get_interrupt_handle();
    let h2 = h1.clone();
    assert!(!h1.is_closed());
    drop(conn);
    assert!(h1.is_closed());
    h1.interrupt();
    h2.interrupt();
    assert!(!h1.is_interrupted());

    let conn = memory_db();
    let h = conn.get_interrupt_handle();
    conn.close().map_err(|(_, e)| e).unwrap();
    h.interrupt();
    assert!(h.is_closed() && !h.is_interrupted());
}

#[test]
fn interrupt_from_many_threads_while_connection_closes() {
    for _ in 0..50 {
        let conn = memory_db();
        let h = conn.get_interrupt_handle();
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let h = h.clone();
                thread::spawn(move || {
                    for _ in 0..200 {
                        h.interrupt();
                        let _ = h.is_interrupted();
                    }
                })
            })
            .collect();
        let _ = count(&conn, "SELECT count(*) FROM generate_series(1, 2000)");
        drop(conn);
        for t in threads {
            t.join().unwrap();
        }
        assert!(h.is_closed());
    }
}

// ---- transactions ----

fn table(conn: &Connection) {
    conn.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
}

#[test]
fn interrupted_write_rolls_back_the_transaction_and_commit_reports_it() -> Result<()> {
    let mut conn = memory_db();
    table(&conn);
    let handle = conn.get_interrupt_handle();
    let tx = conn.transaction()?;
    tx.execute("INSERT INTO t VALUES (1)", [])?;
    let err = interrupting(handle, || tx.execute(LONG_WRITE, [])).unwrap_err();
    assert_interrupted(&err, "interrupted");
    assert!(tx.is_autocommit(), "SQLite rolled the transaction back");
    let err = tx.commit().unwrap_err();
    assert!(err.is_interrupted(), "{err:?}");
    assert!(err.to_string().contains("rolled back"), "{err}");
    assert_eq!(count(&conn, "SELECT count(*) FROM t")?, 0);
    // Usable afterwards, including new transactions.
    let tx = conn.transaction()?;
    tx.execute("INSERT INTO t VALUES (2)", [])?;
    tx.commit()?;
    assert_eq!(count(&conn, "SELECT count(*) FROM t")?, 1);
    Ok(())
}

#[test]
fn rollback_and_drop_are_quiet_after_an_interrupted_write() -> Result<()> {
    let mut conn = memory_db();
    table(&conn);
    let handle = conn.get_interrupt_handle();
    {
        let tx = conn.transaction()?;
        tx.execute("INSERT INTO t VALUES (1)", [])?;
        assert!(interrupting(handle.clone(), || tx.execute(LONG_WRITE, [])).is_err());
        tx.rollback()?; // no "cannot rollback - no transaction is active"
    }
    {
        let tx = conn.transaction()?;
        tx.execute("INSERT INTO t VALUES (1)", [])?;
        assert!(interrupting(handle, || tx.execute(LONG_WRITE, [])).is_err());
        // dropped: no panic, no second ROLLBACK error
    }
    assert!(conn.is_autocommit());
    assert_eq!(count(&conn, "SELECT count(*) FROM t")?, 0);
    Ok(())
}

#[test]
fn interrupted_read_keeps_the_transaction() -> Result<()> {
    let mut conn = memory_db();
    table(&conn);
    let handle = conn.get_interrupt_handle();
    let tx = conn.transaction()?;
    tx.execute("INSERT INTO t VALUES (1)", [])?;
    let err = interrupting(handle, || count(&tx, LONG)).unwrap_err();
    assert!(err.is_interrupted());
    // A read-only statement's interrupt does not end the transaction.
    assert!(!tx.is_autocommit());
    tx.commit()?;
    assert_eq!(count(&conn, "SELECT count(*) FROM t")?, 1);
    Ok(())
}

#[test]
fn statement_timeout_on_a_write_rolls_back_the_transaction() -> Result<()> {
    let mut conn = memory_db();
    table(&conn);
    conn.set_statement_timeout(Some(Duration::from_millis(50)));
    let tx = conn.transaction()?;
    tx.execute("INSERT INTO t VALUES (1)", [])?;
    let err = tx.execute(LONG_WRITE, []).unwrap_err();
    assert_interrupted(&err, "statement timeout");
    let err = tx.commit().unwrap_err();
    assert!(err.is_interrupted() && err.to_string().contains("rolled back"));
    assert_eq!(count(&conn, "SELECT count(*) FROM t")?, 0);
    Ok(())
}

// ---- progress handler ----

fn calls_for(conn: &mut Connection, n: i32, sql: &str) -> usize {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    conn.progress_handler(
        n,
        Some(move || {
            c.fetch_add(1, Ordering::Relaxed);
            false
        }),
    )
    .unwrap();
    count(conn, sql).unwrap();
    conn.progress_handler(0, None::<fn() -> bool>).unwrap();
    calls.load(Ordering::Relaxed)
}

#[test]
fn progress_handler_is_called_at_the_requested_rate() {
    let mut conn = memory_db();
    let sql = "SELECT count(*) FROM generate_series(1, 200000)";
    let fine = calls_for(&mut conn, 100, sql);
    let coarse = calls_for(&mut conn, 10_000, sql);
    assert!(coarse > 0);
    assert!(fine > 50 * coarse, "fine {fine}, coarse {coarse}");
}

#[test]
fn progress_handler_returning_true_aborts() -> Result<()> {
    let mut conn = memory_db();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    conn.progress_handler(100, Some(move || c.fetch_add(1, Ordering::Relaxed) >= 5))?;
    let err = count(&conn, LONG).unwrap_err();
    assert_interrupted(&err, "interrupted");
    assert_eq!(calls.load(Ordering::Relaxed), 6);
    Ok(())
}

#[test]
fn progress_handler_none_and_zero_ops_remove_it() -> Result<()> {
    let mut conn = memory_db();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    conn.progress_handler(
        10,
        Some(move || {
            c.fetch_add(1, Ordering::Relaxed);
            true
        }),
    )?;
    assert!(count(&conn, "SELECT count(*) FROM generate_series(1, 1000)").is_err());
    conn.progress_handler(10, None::<fn() -> bool>)?;
    let before = calls.load(Ordering::Relaxed);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM generate_series(1, 1000)")?,
        1000
    );
    assert_eq!(calls.load(Ordering::Relaxed), before);

    let c = Arc::clone(&calls);
    conn.progress_handler(
        0,
        Some(move || {
            c.fetch_add(1, Ordering::Relaxed);
            true
        }),
    )?;
    assert_eq!(
        count(&conn, "SELECT count(*) FROM generate_series(1, 1000)")?,
        1000
    );
    assert_eq!(calls.load(Ordering::Relaxed), before);
    Ok(())
}

#[test]
fn progress_handler_panic_is_caught_and_reported() -> Result<()> {
    let mut conn = memory_db();
    conn.progress_handler(100, Some(|| panic!("boom in progress handler")))?;
    let err = count(&conn, "SELECT count(*) FROM generate_series(1, 100000)").unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    conn.progress_handler(100, None::<fn() -> bool>)?;
    assert_eq!(count(&conn, "SELECT 5")?, 5);
    Ok(())
}

#[test]
fn progress_handler_panic_during_a_write_rolls_back() -> Result<()> {
    let mut conn = memory_db();
    table(&conn);
    conn.progress_handler(1000, Some(|| panic!("boom")))?;
    conn.execute_batch("BEGIN")?;
    let err = conn.execute(LONG_WRITE, []).unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    assert!(conn.is_autocommit());
    conn.progress_handler(0, None::<fn() -> bool>)?;
    assert_eq!(count(&conn, "SELECT count(*) FROM t")?, 0);
    Ok(())
}

// ---- statement timeout ----

#[test]
fn statement_timeout_interrupts_a_long_statement() -> Result<()> {
    let conn = memory_db();
    assert_eq!(conn.statement_timeout(), None);
    conn.set_statement_timeout(Some(Duration::from_millis(50)));
    assert_eq!(conn.statement_timeout(), Some(Duration::from_millis(50)));
    let start = Instant::now();
    let err = count(&conn, LONG).unwrap_err();
    let took = start.elapsed();
    assert_interrupted(&err, "statement timeout (50ms) expired");
    assert!(
        took >= Duration::from_millis(50) && took < prompt(),
        "{took:?}"
    );
    // Short statements still run, each with its own clock.
    for _ in 0..3 {
        assert_eq!(
            count(&conn, "SELECT count(*) FROM generate_series(1, 1000)")?,
            1000
        );
    }
    conn.set_statement_timeout(None);
    assert_eq!(conn.statement_timeout(), None);
    Ok(())
}

#[test]
fn statement_timeout_counts_time_between_steps_per_statement() -> Result<()> {
    let conn = memory_db();
    conn.set_statement_timeout(Some(Duration::from_millis(100)));
    let mut slow = conn.prepare("SELECT value FROM generate_series(1, 10000000)")?;
    let mut rows = slow.query([])?;
    assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 1);
    thread::sleep(Duration::from_millis(150));
    // Another statement has its own clock and runs fine meanwhile.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM generate_series(1, 1000)")?,
        1000
    );
    // The paused one is over its time: it stops at its next check.
    let err = loop {
        match rows.next() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("finished despite the timeout"),
            Err(e) => break e,
        }
    };
    assert_interrupted(&err, "statement timeout");
    drop(rows);
    // Re-running the statement restarts its clock.
    let mut rows = slow.query([])?;
    assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 1);
    Ok(())
}

/// Reads `rows` sleeping `pause` before each `next` after the first, as a
/// slow consumer does. Returns how many rows were read, and the error that
/// stopped the reading (with the time it came, from the query's start).
fn read_slowly(
    conn: &Connection,
    sql: &str,
    pause: Duration,
) -> Result<(usize, Option<(Error, Duration)>)> {
    let mut stmt = conn.prepare(sql)?;
    let start = Instant::now();
    let mut rows = stmt.query([])?;
    let mut n = 0;
    loop {
        match rows.next() {
            Ok(Some(_)) => n += 1,
            Ok(None) => return Ok((n, None)),
            Err(e) => return Ok((n, Some((e, start.elapsed())))),
        }
        thread::sleep(pause);
    }
}

/// 100 cheap rows: far fewer instructions than one progress check (4000).
const HUNDRED_ROWS: &str = "SELECT value FROM generate_series(1, 100)";

#[test]
fn statement_timeout_stops_a_slow_consumer_between_rows() -> Result<()> {
    // The documented promise: time between `next` calls counts. 300 ms at
    // 10 ms a row: the first step past the deadline fails. Robust under
    // valgrind and load: sleeps only make the deadline come at an earlier
    // row, and the row bound follows from the sleeps alone (30 sleeps of
    // at least 10 ms reach the deadline).
    let conn = memory_db();
    conn.set_statement_timeout(Some(Duration::from_millis(300)));
    let (n, err) = read_slowly(&conn, HUNDRED_ROWS, Duration::from_millis(10))?;
    let (err, at) = err.expect("read all 100 rows despite the timeout");
    assert_interrupted(&err, "interrupted: the statement timeout (300ms) expired");
    assert!((1..=30).contains(&n), "stopped after {n} rows");
    assert!(at >= Duration::from_millis(300), "stopped early: {at:?}");
    // The statement was reset: the connection and the statement run again.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM generate_series(1, 10)")?,
        10
    );
    Ok(())
}

#[test]
fn a_consumer_stalling_after_fast_rows_is_stopped_at_its_next_step() -> Result<()> {
    // Fast steps first (while the deadline is far, they skip the precise
    // clock), then a stall past the deadline: the very next step fails.
    let conn = memory_db();
    // Under valgrind (about 50x slower) the fast rows must still fit well
    // within the timeout: stretch the clock.
    let scale = if std::env::var_os("FERROLITE_UNDER_VALGRIND").is_some() {
        10
    } else {
        1
    };
    let timeout = Duration::from_millis(200 * scale);
    conn.set_statement_timeout(Some(timeout));
    let mut stmt = conn.prepare("SELECT value FROM generate_series(1, 1000000)")?;
    let mut rows = stmt.query([])?;
    for i in 1..=100 {
        assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, i);
    }
    thread::sleep(timeout + Duration::from_millis(50));
    let err = rows.next().unwrap_err();
    assert_interrupted(
        &err,
        &format!("interrupted: the statement timeout ({timeout:?}) expired"),
    );
    // Stopped and reset: the next call starts a new run with a new clock.
    drop(rows);
    let mut rows = stmt.query([])?;
    assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 1);
    Ok(())
}

#[test]
fn deadline_scope_stops_a_slow_consumer_between_rows() -> Result<()> {
    let conn = memory_db();
    let deadline = Instant::now() + Duration::from_millis(300);
    let (n, err) = conn.with_deadline(deadline, |c| {
        read_slowly(c, HUNDRED_ROWS, Duration::from_millis(10))
    })?;
    let (err, _) = err.expect("read all 100 rows despite the deadline");
    assert_interrupted(&err, "interrupted: the deadline passed");
    assert!(Instant::now() >= deadline);
    assert!((1..=30).contains(&n), "stopped after {n} rows");
    // with_timeout too.
    let (n, err) = conn.with_timeout(Duration::from_millis(300), |c| {
        read_slowly(c, HUNDRED_ROWS, Duration::from_millis(10))
    })?;
    let (err, at) = err.expect("read all 100 rows despite the timeout");
    assert_interrupted(&err, "interrupted: the deadline passed");
    assert!((1..=30).contains(&n), "stopped after {n} rows");
    assert!(at >= Duration::from_millis(300), "stopped early: {at:?}");
    Ok(())
}

#[test]
fn a_token_cancelled_between_rows_stops_the_next_step() -> Result<()> {
    let conn = memory_db();
    let token = CancelToken::new();
    let mut stmt = conn.prepare(HUNDRED_ROWS)?;
    let err = conn.with_cancel(&token, |_| -> Result<()> {
        let mut rows = stmt.query([])?;
        assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 1);
        token.cancel();
        match rows.next() {
            Err(e) => Err(e),
            Ok(row) => panic!("stepped on after the cancel: {:?}", row.is_some()),
        }
    });
    assert_interrupted(&err.unwrap_err(), "interrupted: cancelled");
    // Outside the scope the statement runs again.
    assert_eq!(stmt.query_map([], |r| r.get::<_, i64>(0))?.count(), 100);
    Ok(())
}

#[test]
fn a_write_stopped_between_rows_is_rolled_back_as_when_interrupted() -> Result<()> {
    // `INSERT … RETURNING` makes its changes at its first step and then
    // hands out rows: stopped between them, it fails as an interrupted
    // write does (rolled back), not as a write stopped early (committed).
    let conn = memory_db();
    table(&conn);
    conn.set_statement_timeout(Some(Duration::from_millis(100)));
    let (n, err) = read_slowly(
        &conn,
        "INSERT INTO t SELECT value FROM generate_series(1, 100) RETURNING x",
        Duration::from_millis(10),
    )?;
    let (err, _) = err.expect("read all 100 rows despite the timeout");
    assert_interrupted(&err, "statement timeout (100ms) expired");
    // (0 rows if the first step itself outlived the timeout, as under valgrind)
    assert!(n <= 10, "stopped after {n} rows");
    conn.set_statement_timeout(None);
    assert_eq!(count(&conn, "SELECT count(*) FROM t")?, 0, "rolled back");
    Ok(())
}

#[test]
fn unarmed_statements_are_not_stopped_between_rows() -> Result<()> {
    // No timeout: a consumer may take its time.
    let conn = memory_db();
    let (n, err) = read_slowly(
        &conn,
        "SELECT value FROM generate_series(1, 40)",
        Duration::from_millis(10),
    )?;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(n, 40);
    // A run started in a scope that has ended is not watched any more.
    let mut stmt = conn.prepare("SELECT value FROM generate_series(1, 40)")?;
    let mut rows = conn.with_timeout(Duration::from_millis(50), |_| -> Result<_> {
        let mut rows = stmt.query([])?;
        rows.next()?;
        Ok(rows)
    })?;
    let mut n = 1;
    while rows.next()?.is_some() {
        n += 1;
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(n, 40);
    // A timeout far away does not stop a slow consumer either.
    conn.set_statement_timeout(Some(Duration::from_secs(3600)));
    let (n, err) = read_slowly(
        &conn,
        "SELECT value FROM generate_series(1, 20)",
        Duration::from_millis(10),
    )?;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(n, 20);
    Ok(())
}

#[test]
fn statement_timeout_applies_to_each_statement_of_a_batch() -> Result<()> {
    let conn = memory_db();
    // Calibrate one statement (median of 5), then run batches whose total
    // is over the timeout while each statement stays far under it.
    let one = "SELECT count(*) FROM generate_series(1, 20000);";
    let mut runs: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            conn.execute_batch(one).unwrap();
            start.elapsed()
        })
        .collect();
    runs.sort();
    let single = runs[2].max(Duration::from_micros(50));
    let timeout = (single * 50).max(Duration::from_millis(250));
    conn.set_statement_timeout(Some(timeout));
    let mut n = (timeout.as_micros() / single.as_micros()) as usize + 1;
    loop {
        let start = Instant::now();
        conn.execute_batch(&one.repeat(n))?;
        if start.elapsed() > timeout {
            return Ok(());
        }
        n *= 2;
        assert!(
            n < 1_000_000,
            "could not build a batch longer than {timeout:?}"
        );
    }
}

#[test]
fn removing_the_statement_timeout_disarms_it() -> Result<()> {
    let conn = memory_db();
    conn.set_statement_timeout(Some(Duration::from_millis(20)));
    conn.set_statement_timeout(None);
    let mut stmt = conn.prepare("SELECT value FROM generate_series(1, 100000)")?;
    let mut rows = stmt.query([])?;
    rows.next()?;
    thread::sleep(Duration::from_millis(40));
    let mut n = 1;
    while rows.next()?.is_some() {
        n += 1;
    }
    assert_eq!(n, 100000);
    Ok(())
}

// ---- deadline scopes and cancel tokens ----

#[test]
fn with_timeout_interrupts_and_then_ends() -> Result<()> {
    let conn = memory_db();
    let start = Instant::now();
    let err = conn
        .with_timeout(Duration::from_millis(50), |c| count(c, LONG))
        .unwrap_err();
    // The message names the duration, as the statement timeout's does.
    assert_eq!(
        err.to_string(),
        "interrupted: the deadline passed (a timeout of 50ms)"
    );
    assert_interrupted(&err, "the deadline passed");
    assert!(start.elapsed() < prompt());
    // Outside the scope nothing is armed any more.
    let mut stmt = conn.prepare("SELECT value FROM generate_series(1, 50000)")?;
    let mut rows = stmt.query([])?;
    rows.next()?;
    thread::sleep(Duration::from_millis(60));
    let mut n = 1;
    while rows.next()?.is_some() {
        n += 1;
    }
    assert_eq!(n, 50000);
    Ok(())
}

#[test]
fn deadline_messages_say_what_the_deadline_was() -> Result<()> {
    let conn = memory_db();
    // with_deadline knows an instant: the message gives how far away it was
    // when the scope started (rounded to the millisecond; a loaded machine
    // may start the scope a little late).
    let deadline = Instant::now() + Duration::from_millis(300);
    let err = conn
        .with_deadline(deadline, |c| count(c, LONG))
        .unwrap_err();
    assert_interrupted(&err, "interrupted: the deadline passed (it was ");
    let msg = err.to_string();
    assert!(
        (250..=300).any(|ms| msg
            == format!(
                "interrupted: the deadline passed (it was {:?} away when the scope started)",
                Duration::from_millis(ms)
            )),
        "{msg}"
    );
    // A token made with a timeout names it, in any scope.
    let token = CancelToken::with_timeout(Duration::from_millis(40));
    let err = conn.with_cancel(&token, |c| count(c, LONG)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "interrupted: the deadline passed (a timeout of 40ms)"
    );
    // Nested scopes: the earliest deadline passes and is named.
    let err = conn
        .with_timeout(Duration::from_millis(1500), |c| {
            c.with_timeout(Duration::from_millis(20), |c| count(c, LONG))
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "interrupted: the deadline passed (a timeout of 20ms)"
    );
    // Seconds read as seconds.
    let token = CancelToken::with_deadline(Instant::now() + Duration::from_secs(2));
    let err = conn
        .with_cancel(&token, |c| {
            c.with_timeout(Duration::from_secs(1), |c| count(c, LONG))
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "interrupted: the deadline passed (a timeout of 1s)"
    );
    // The statement timeout's message is unchanged.
    conn.set_statement_timeout(Some(Duration::from_millis(30)));
    let err = count(&conn, LONG).unwrap_err();
    assert_eq!(
        err.to_string(),
        "interrupted: the statement timeout (30ms) expired"
    );
    Ok(())
}

#[test]
fn past_deadline_stops_work_before_it_starts() -> Result<()> {
    let conn = memory_db();
    table(&conn);
    let past = Instant::now() - Duration::from_millis(1);
    let err = conn
        .with_deadline(past, |c| c.execute("INSERT INTO t VALUES (1)", []))
        .unwrap_err();
    assert_interrupted(&err, "deadline");
    assert_eq!(
        err.to_string(),
        "interrupted: the deadline passed (it had passed when the scope started)"
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM t")?,
        0,
        "the insert never ran"
    );
    Ok(())
}

#[test]
fn deadline_covers_every_statement_of_the_scope() -> Result<()> {
    let conn = memory_db();
    table(&conn);
    let r = conn.with_timeout(Duration::from_millis(80), |c| -> Result<usize> {
        let mut done = 0;
        loop {
            c.execute(
                "INSERT INTO t SELECT value FROM generate_series(1, 100)",
                [],
            )?;
            done += 1;
            if done > 1_000_000 {
                return Ok(done);
            }
            thread::sleep(Duration::from_millis(5));
        }
    });
    let err = r.unwrap_err();
    assert_interrupted(&err, "deadline");
    Ok(())
}

#[test]
fn nested_scopes_all_apply_and_unwind() -> Result<()> {
    let conn = memory_db();
    let r = conn.with_timeout(Duration::from_secs(60), |c| {
        let inner = c.with_timeout(Duration::from_millis(30), |c| count(c, LONG));
        // The earliest deadline is the one that passed, and named.
        assert_interrupted(&inner.unwrap_err(), "deadline passed (a timeout of 30ms)");
        // The outer scope is still in force but not over.
        count(c, "SELECT count(*) FROM generate_series(1, 10000)")
    });
    assert_eq!(r?, 10000);
    Ok(())
}

#[test]
fn scope_ends_even_when_the_closure_panics() -> Result<()> {
    let conn = memory_db();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        conn.with_timeout(Duration::from_millis(10), |_| panic!("inside the scope"))
    }));
    assert!(r.is_err());
    thread::sleep(Duration::from_millis(20));
    assert_eq!(
        count(&conn, "SELECT count(*) FROM generate_series(1, 100000)")?,
        100000
    );
    Ok(())
}

#[test]
fn cancel_token_stops_running_work_from_another_thread() -> Result<()> {
    let conn = memory_db();
    let token = CancelToken::new();
    let t = {
        let token = token.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            token.cancel();
        })
    };
    let start = Instant::now();
    let err = conn.with_cancel(&token, |c| count(c, LONG)).unwrap_err();
    t.join().unwrap();
    assert_interrupted(&err, "cancelled");
    assert!(start.elapsed() < prompt());
    assert!(token.is_cancelled());
    // A cancelled token refuses new work; the connection itself is fine.
    let err = conn
        .with_cancel(&token, |c| count(c, "SELECT 1"))
        .unwrap_err();
    assert_interrupted(&err, "cancelled");
    assert_eq!(count(&conn, "SELECT 1")?, 1);
    Ok(())
}

#[test]
fn cancelling_after_the_scope_does_not_touch_later_work() -> Result<()> {
    let conn = memory_db();
    let token = CancelToken::new();
    assert_eq!(conn.with_cancel(&token, |c| count(c, "SELECT 3"))?, 3);
    token.cancel();
    assert_eq!(
        count(&conn, "SELECT count(*) FROM generate_series(1, 100000)")?,
        100000
    );
    Ok(())
}

#[test]
fn one_token_cancels_many_connections() {
    let token = CancelToken::new();
    let started = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let token = token.clone();
            let started = Arc::clone(&started);
            thread::spawn(move || {
                let conn = memory_db();
                conn.with_cancel(&token, |c| {
                    started.fetch_add(1, Ordering::SeqCst);
                    count(c, LONG)
                })
            })
        })
        .collect();
    while started.load(Ordering::SeqCst) < 3 {
        thread::sleep(Duration::from_millis(5));
    }
    thread::sleep(Duration::from_millis(30));
    let start = Instant::now();
    token.cancel();
    for w in workers {
        assert_interrupted(&w.join().unwrap().unwrap_err(), "cancelled");
    }
    assert!(start.elapsed() < prompt());
}

#[test]
fn token_deadlines() {
    let t = CancelToken::with_timeout(Duration::MAX);
    assert!(!t.is_cancelled());
    assert_eq!(t.deadline(), None);
    let t = CancelToken::with_deadline(Instant::now() - Duration::from_millis(1));
    assert!(t.is_cancelled());
    assert!(t.deadline().is_some());
    let t = CancelToken::new();
    assert!(!t.is_cancelled());
    t.clone().cancel();
    assert!(t.is_cancelled());
    assert!(format!("{t:?}").contains("cancelled: true"));
}

// ---- composition ----

#[test]
fn deadline_progress_handler_and_interrupt_handle_compose() -> Result<()> {
    let mut conn = memory_db();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let stop = Arc::new(AtomicBool::new(false));
    let s = Arc::clone(&stop);
    conn.progress_handler(
        5000,
        Some(move || {
            c.fetch_add(1, Ordering::Relaxed);
            s.load(Ordering::Relaxed)
        }),
    )?;
    conn.set_statement_timeout(Some(Duration::from_millis(100)));

    // 1. The statement timeout fires; the user handler kept running.
    let err = conn
        .with_timeout(Duration::from_secs(60), |c| count(c, LONG))
        .unwrap_err();
    assert_interrupted(&err, "statement timeout");
    assert!(calls.load(Ordering::Relaxed) > 0);

    // 2. The interrupt handle works with both armed.
    conn.set_statement_timeout(Some(Duration::from_secs(60)));
    let start = Instant::now();
    let err = interrupting(conn.get_interrupt_handle(), || count(&conn, LONG)).unwrap_err();
    assert_interrupted(&err, "interrupted");
    assert!(start.elapsed() < prompt());

    // 3. The user handler aborts with both armed.
    let before = calls.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let err = conn
        .with_timeout(Duration::from_secs(60), |c| count(c, LONG))
        .unwrap_err();
    assert!(err.is_interrupted());
    assert_eq!(calls.load(Ordering::Relaxed), before + 1);

    // 4. The scope deadline fires with the others armed.
    stop.store(false, Ordering::Relaxed);
    let err = conn
        .with_timeout(Duration::from_millis(50), |c| count(c, LONG))
        .unwrap_err();
    assert_interrupted(&err, "deadline");
    Ok(())
}

#[test]
fn user_progress_rate_is_kept_while_a_deadline_is_armed() {
    let mut conn = memory_db();
    let sql = "SELECT count(*) FROM generate_series(1, 300000)";
    let plain = calls_for(&mut conn, 20_000, sql);
    conn.set_statement_timeout(Some(Duration::from_secs(60)));
    let armed = calls_for(&mut conn, 20_000, sql);
    assert!(plain > 0);
    assert!(
        armed * 2 >= plain && armed <= plain * 2,
        "plain {plain}, armed {armed}"
    );
}

#[test]
fn user_progress_rate_is_kept_after_a_stop_between_rows() -> Result<()> {
    // A stop between rows briefly makes SQLite call the progress handler
    // at every instruction; afterwards the user's rate is back.
    let mut conn = memory_db();
    let sql = "SELECT count(*) FROM generate_series(1, 100000)";
    let plain = calls_for(&mut conn, 5_000, sql);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    conn.progress_handler(
        5_000,
        Some(move || {
            c.fetch_add(1, Ordering::Relaxed);
            false
        }),
    )?;
    let scale = if std::env::var_os("FERROLITE_UNDER_VALGRIND").is_some() {
        30
    } else {
        1
    };
    conn.set_statement_timeout(Some(Duration::from_millis(100 * scale)));
    let (_, err) = read_slowly(&conn, HUNDRED_ROWS, Duration::from_millis(10 * scale))?;
    assert_interrupted(&err.expect("not stopped").0, "statement timeout");
    calls.store(0, Ordering::Relaxed);
    assert_eq!(count(&conn, sql)?, 100000);
    let after = calls.load(Ordering::Relaxed);
    assert!(plain > 0);
    assert!(
        after * 2 >= plain && after <= plain * 2,
        "plain {plain}, after the stop {after}"
    );
    Ok(())
}

#[test]
fn savepoint_after_an_interrupted_write_is_quiet_on_drop() -> Result<()> {
    let mut conn = memory_db();
    table(&conn);
    let handle = conn.get_interrupt_handle();
    {
        let sp = conn.savepoint()?;
        sp.execute("INSERT INTO t VALUES (1)", [])?;
        let err = interrupting(handle.clone(), || sp.execute(LONG_WRITE, [])).unwrap_err();
        assert!(err.is_interrupted());
        assert!(sp.is_autocommit(), "SQLite rolled everything back");
        // dropped: no panic, nothing left open
    }
    {
        let sp = conn.savepoint()?;
        sp.execute("INSERT INTO t VALUES (1)", [])?;
        assert!(interrupting(handle, || sp.execute(LONG_WRITE, [])).is_err());
        // Releasing what SQLite already rolled back is an error, not a panic.
        assert!(sp.commit().is_err());
    }
    assert!(conn.is_autocommit());
    assert_eq!(count(&conn, "SELECT count(*) FROM t")?, 0);
    conn.execute("INSERT INTO t VALUES (2)", [])?;
    assert_eq!(count(&conn, "SELECT count(*) FROM t")?, 1);
    Ok(())
}

#[test]
fn reused_statements_get_a_fresh_clock_every_run() -> Result<()> {
    // Regression guard: a run's deadline must not leak into the next run of
    // the same (or a cached) statement, however the previous run ended.
    let conn = memory_db();
    table(&conn);
    // Under valgrind (about 50x slower) a statement itself can take longer
    // than 100 ms: stretch the clock, keeping the sleep past one timeout.
    let scale = if std::env::var_os("FERROLITE_UNDER_VALGRIND").is_some() {
        30
    } else {
        1
    };
    conn.set_statement_timeout(Some(Duration::from_millis(100 * scale)));
    // Each statement runs well past one deadline check (4000 instructions).
    let mut q = conn.prepare("SELECT count(*) FROM generate_series(1, 100000)")?;
    let mut w = conn.prepare("INSERT INTO t SELECT value FROM generate_series(1, 20000)")?;
    for _ in 0..3 {
        assert_eq!(q.query_row([], |r| r.get::<_, i64>(0))?, 100000);
        assert_eq!(w.execute([])?, 20000);
        let s: i64 = conn
            .prepare_cached("SELECT sum(value) FROM generate_series(1, 100000)")?
            .query_row([], |r| r.get(0))?;
        assert_eq!(s, 5_000_050_000);
        {
            // Run to the end, and abandon a run midway.
            let mut rows = q.query([])?;
            while rows.next()?.is_some() {}
            let mut rows = w.raw_query();
            let _ = rows.next();
        }
        conn.execute_batch("SELECT count(*) FROM generate_series(1, 100000);")?;
        thread::sleep(Duration::from_millis(120 * scale));
    }
    Ok(())
}

#[test]
fn a_function_arming_its_borrowed_connection_leaves_the_owners_timeout_armed() -> Result<()> {
    let conn = memory_db();
    conn.set_statement_timeout(Some(Duration::from_millis(100)));
    conn.create_scalar_function(
        "arm_and_disarm",
        1,
        ferrolite::functions::FunctionFlags::default(),
        |ctx| {
            // SAFETY: used on this thread only, within this call.
            let c = unsafe { ctx.get_connection() }?;
            // The same connection: the owner's timeout, kept as it is.
            assert_eq!(c.statement_timeout(), Some(Duration::from_millis(100)));
            c.set_statement_timeout(c.statement_timeout());
            c.busy_timeout(Duration::from_millis(300))?;
            let token = CancelToken::new();
            c.with_cancel(&token, |_| ());
            ctx.get::<i64>(0)
        },
    )?;
    // The function runs (its wrapper dropped) on every row of a statement
    // that then runs for seconds: the statement timeout still stops it.
    let start = Instant::now();
    let err = conn
        .query_row(
            "SELECT count(arm_and_disarm(value)) FROM generate_series(1, 2000000000)",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap_err();
    assert!(err.is_interrupted(), "{err:?}");
    assert!(err.to_string().contains("statement timeout"), "{err}");
    assert!(start.elapsed() < prompt(), "{:?}", start.elapsed());
    assert_eq!(conn.get_busy_timeout(), Some(Duration::from_millis(300)));
    Ok(())
}
