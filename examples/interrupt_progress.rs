//! Interrupts from a progress handler: the handler checks a flag every 1000
//! virtual-machine instructions and aborts the query once the flag is set
//! (the Python `Connection.interrupt` tutorial's "Interrupt With Progress
//! Callback").
//!
//! The flag is an `Arc<AtomicBool>` shared by the handler (which runs on
//! the worker thread, inside SQLite) and the main thread. A panic in the
//! handler would be caught and reported as `Error::UnwindingPanic`.
//!
//! Run with `cargo run --example interrupt_progress`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ferrolite::{Connection, Result};

/// The tutorial's `QueryMonitor`: owns the connection and the flag.
pub struct QueryMonitor {
    conn: Connection,
    should_interrupt: Arc<AtomicBool>,
    calls: Arc<AtomicU64>,
}

impl QueryMonitor {
    /// Installs the progress handler on `conn`.
    pub fn new(mut conn: Connection) -> Result<QueryMonitor> {
        let should_interrupt = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicU64::new(0));
        let (flag, count) = (Arc::clone(&should_interrupt), Arc::clone(&calls));
        conn.progress_handler(
            1000,
            Some(move || {
                count.fetch_add(1, Ordering::Relaxed);
                flag.load(Ordering::Relaxed) // true aborts the query
            }),
        )?;
        Ok(QueryMonitor {
            conn,
            should_interrupt,
            calls,
        })
    }

    /// The flag to set from another thread.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.should_interrupt)
    }

    /// How many times the handler ran.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Reads every row of `query`; calls `started` once it runs.
    pub fn execute_query(&self, query: &str, started: impl FnOnce()) -> Result<u64> {
        let mut stmt = self.conn.prepare(query)?;
        let mut rows = stmt.query([])?;
        started();
        let mut n = 0;
        while rows.next()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    /// The connection.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Runs `query` on a worker thread and sets the flag `delay` after it started.
pub fn run(
    conn: Connection,
    query: &'static str,
    delay: Duration,
) -> Result<(QueryMonitor, Result<u64>)> {
    let monitor = QueryMonitor::new(conn)?;
    let flag = monitor.flag();
    let (started, wait_start) = mpsc::channel();
    let worker = thread::spawn(move || {
        let result = monitor.execute_query(query, || started.send(()).unwrap());
        (monitor, result)
    });
    let _ = wait_start.recv();
    thread::sleep(delay);
    flag.store(true, Ordering::Relaxed);
    Ok(worker.join().expect("worker panicked"))
}

/// Creates the tutorial's table `data` with `rows` rows.
pub fn setup(rows: i64) -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute(
        "CREATE TABLE data AS SELECT 1 a FROM generate_series(1, ?1)",
        [rows],
    )?;
    Ok(conn)
}

#[allow(dead_code)]
fn main() -> Result<()> {
    let conn = setup(1_000_000)?;
    let (monitor, result) = run(
        conn,
        "SELECT * FROM data, data AS d2",
        Duration::from_millis(100),
    )?;
    match result {
        Ok(n) => println!("Query completed ({n} rows)"),
        Err(e) if e.is_interrupted() => println!("Query interrupted ({e})"),
        Err(e) => return Err(e),
    }
    println!("The progress handler ran {} times", monitor.calls());
    monitor.flag().store(false, Ordering::Relaxed);
    let n: i64 = monitor
        .conn()
        .query_row("SELECT count(*) FROM data", [], |r| r.get(0))?;
    println!("The connection is usable afterwards: data has {n} rows");
    Ok(())
}
