//! Basic interrupt usage: a query runs in another thread and the main
//! thread interrupts it (the Python `Connection.interrupt` tutorial's
//! "Basic Interrupt Usage").
//!
//! The Rust way: a `Connection` is `Send` but not `Sync`, so it moves into
//! the worker thread; the main thread keeps only an `InterruptHandle`
//! (`Send + Sync + Clone`), which stays safe to use even after the worker
//! has dropped the connection. The tutorial's `SELECT * FROM large_table` scans
//! a million rows in a few tens of milliseconds in Rust, before the 100 ms
//! interrupt; a self-join gives the interrupt something to stop.
//!
//! Run with `cargo run --example interrupt_basic`.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ferrolite::{Connection, Result};

/// Runs `query` on `conn` in a worker thread, interrupts it `delay` after
/// it started, and returns the connection with the number of rows read
/// (or the error that stopped the query).
pub fn run(conn: Connection, query: &'static str, delay: Duration) -> (Connection, Result<u64>) {
    let handle = conn.get_interrupt_handle();
    let (started, wait_start) = mpsc::channel();
    let worker = thread::spawn(move || {
        let result = (|| {
            let mut stmt = conn.prepare(query)?;
            let mut rows = stmt.query([])?;
            started.send(()).unwrap();
            let mut n = 0;
            while rows.next()?.is_some() {
                n += 1;
            }
            Ok(n)
        })();
        (conn, result)
    });
    // Wait until the query runs, then a little longer, then interrupt.
    let _ = wait_start.recv();
    thread::sleep(delay);
    handle.interrupt();
    worker.join().expect("worker panicked")
}

/// Creates the tutorial's table with `rows` rows.
pub fn setup(rows: i64) -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute(
        "CREATE TABLE large_table AS SELECT 1 a FROM generate_series(1, ?1)",
        [rows],
    )?;
    Ok(conn)
}

#[allow(dead_code)]
fn main() -> Result<()> {
    let conn = setup(1_000_000)?;
    let (conn, result) = run(
        conn,
        "SELECT * FROM large_table, large_table AS t2",
        Duration::from_millis(100),
    );
    match result {
        Ok(n) => println!("Query completed successfully ({n} rows)"),
        Err(e) if e.is_interrupted() => println!("Query was interrupted: {e}"),
        Err(e) => return Err(e),
    }
    let n: i64 = conn.query_row("SELECT count(*) FROM large_table", [], |r| r.get(0))?;
    println!("The connection is usable afterwards: large_table has {n} rows");
    Ok(())
}
