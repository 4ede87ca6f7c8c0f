//! Interrupting several statements: an interrupt is connection-wide, so it
//! stops every statement running on the connection (the Python
//! `Connection.interrupt` tutorial's "Interrupting Multiple Cursors").
//!
//! The tutorial runs two queries on one connection from two threads. In Rust a
//! `Connection` can't be shared between threads (it is not `Sync`, the
//! compile-time form of `check_same_thread`), so the two "cursors" are two
//! statements stepped in turn by one worker thread; the main thread
//! interrupts the connection, and both statements stop.
//!
//! Run with `cargo run --example interrupt_multiple`.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ferrolite::{Connection, Result};

/// What happened to each of the two queries.
#[derive(Debug)]
pub struct Outcome {
    /// Rows read by, and the result of, each query.
    pub queries: Vec<(String, u64, Result<()>)>,
    /// The connection, handed back by the worker.
    pub conn: Connection,
}

/// Steps `queries` in turn, one row each, on one connection in a worker
/// thread, and interrupts the connection `delay` after they started.
pub fn run(conn: Connection, queries: [&'static str; 2], delay: Duration) -> Outcome {
    let handle = conn.get_interrupt_handle();
    let (started, wait_start) = mpsc::channel();
    let worker = thread::spawn(move || {
        let mut results = Vec::new();
        {
            let mut a = conn.prepare(queries[0]).unwrap();
            let mut b = conn.prepare(queries[1]).unwrap();
            let mut rows_a = a.query([]).unwrap();
            let mut rows_b = b.query([]).unwrap();
            let (mut na, mut nb) = (0, 0);
            let (mut done_a, mut done_b): (Option<Result<()>>, Option<Result<()>>) = (None, None);
            started.send(()).unwrap();
            while done_a.is_none() || done_b.is_none() {
                if done_a.is_none() {
                    match rows_a.next() {
                        Ok(Some(_)) => na += 1,
                        Ok(None) => done_a = Some(Ok(())),
                        Err(e) => done_a = Some(Err(e)),
                    }
                }
                if done_b.is_none() {
                    match rows_b.next() {
                        Ok(Some(_)) => nb += 1,
                        Ok(None) => done_b = Some(Ok(())),
                        Err(e) => done_b = Some(Err(e)),
                    }
                }
            }
            results.push((queries[0].to_owned(), na, done_a.unwrap()));
            results.push((queries[1].to_owned(), nb, done_b.unwrap()));
        }
        Outcome {
            queries: results,
            conn,
        }
    });
    let _ = wait_start.recv();
    thread::sleep(delay);
    handle.interrupt();
    worker.join().expect("worker panicked")
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
    // Self-joins: the tutorial's single scans finish before the interrupt.
    let outcome = run(
        conn,
        [
            "SELECT * FROM data, data AS d2",
            "SELECT COUNT(*) FROM data, data AS d2",
        ],
        Duration::from_millis(100),
    );
    for (query, rows, result) in &outcome.queries {
        match result {
            Ok(()) => println!("Query '{query}' completed ({rows} rows)"),
            Err(e) if e.is_interrupted() => {
                println!("Query '{query}' interrupted after {rows} rows")
            }
            Err(e) => println!("Query '{query}' failed: {e}"),
        }
    }
    let n: i64 = outcome
        .conn
        .query_row("SELECT count(*) FROM data", [], |r| r.get(0))?;
    println!("The connection is usable afterwards: data has {n} rows");
    Ok(())
}
