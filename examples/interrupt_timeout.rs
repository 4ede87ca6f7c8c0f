//! Query timeouts: a timer thread interrupts a query that runs too long, and
//! is cancelled if the query finishes first (the Python
//! `Connection.interrupt` tutorial's "Timeout Implementation").
//!
//! Shown three ways: the tutorial's timer thread (with an `InterruptHandle`
//! and a timer that can be cancelled), then ferrolite's built-in
//! `set_statement_timeout` (a timeout for every statement) and
//! `with_timeout` (a budget for a block of work), which need no thread.
//!
//! Run with `cargo run --example interrupt_timeout`.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ferrolite::{Connection, InterruptHandle, Result};

/// A timer that interrupts a connection after `after`, unless cancelled
/// first (the tutorial's `threading.Timer`).
pub struct Timer {
    cancel: mpsc::Sender<()>,
    thread: thread::JoinHandle<bool>,
}

impl Timer {
    /// Starts the timer.
    pub fn start(handle: InterruptHandle, after: Duration) -> Timer {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            // Interrupt only if nobody cancelled the timer in time.
            if cancelled.recv_timeout(after).is_err() {
                handle.interrupt();
                true
            } else {
                false
            }
        });
        Timer { cancel, thread }
    }

    /// Cancels the timer; returns whether it had already fired.
    pub fn cancel(self) -> bool {
        let _ = self.cancel.send(());
        self.thread.join().expect("timer panicked")
    }
}

/// Reads every row of `query`.
pub fn read_all(conn: &Connection, query: &str) -> Result<u64> {
    let mut stmt = conn.prepare(query)?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while rows.next()?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// The tutorial's pattern: runs `query` under a timer of `timeout`; returns
/// the query's result and whether the timer fired.
pub fn with_timer(conn: &Connection, query: &str, timeout: Duration) -> (Result<u64>, bool) {
    let timer = Timer::start(conn.get_interrupt_handle(), timeout);
    let result = read_all(conn, query);
    let fired = timer.cancel(); // the tutorial's `finally: timer.cancel()`
    (result, fired)
}

/// Creates the tutorial's table `test` with `rows` rows.
pub fn setup(rows: i64) -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute(
        "CREATE TABLE test AS SELECT 1 a FROM generate_series(1, ?1)",
        [rows],
    )?;
    Ok(conn)
}

fn report(what: &str, result: Result<u64>, start: Instant) -> Result<()> {
    match result {
        Ok(n) => println!("{what}: query completed before timeout ({n} rows)"),
        Err(e) if e.is_interrupted() => {
            println!("{what}: query timed out after {:?} ({e})", start.elapsed())
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> Result<()> {
    let conn = setup(100_000)?;
    let slow = "SELECT * FROM test JOIN test t2";

    let start = Instant::now();
    let (result, _) = with_timer(&conn, slow, Duration::from_secs(1));
    report("timer thread", result, start)?;

    let start = Instant::now();
    let (result, fired) = with_timer(&conn, "SELECT * FROM test", Duration::from_secs(1));
    report("timer thread, fast query", result, start)?;
    println!("  (the timer was cancelled before firing: {})", !fired);

    conn.set_statement_timeout(Some(Duration::from_secs(1)));
    let start = Instant::now();
    report("set_statement_timeout", read_all(&conn, slow), start)?;
    conn.set_statement_timeout(None);

    let start = Instant::now();
    let result = conn.with_timeout(Duration::from_secs(1), |conn| read_all(conn, slow));
    report("with_timeout", result, start)?;
    Ok(())
}
