//! Graceful query cancellation: a cancel flag checked between rows, plus
//! an interrupt for the step in progress (the Python `Connection.interrupt`
//! tutorial's "Graceful Query Cancellation").
//!
//! ferrolite's `CancelToken` is that pair in one object: `cancel()` sets the
//! flag *and* interrupts the statement running under the token, from any
//! thread, and `is_cancelled()` is the flag the row loop checks to stop
//! cleanly between rows.
//!
//! Run with `cargo run --example interrupt_graceful`.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ferrolite::{CancelToken, Connection, Result};

/// How the query ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Read every row.
    Completed,
    /// Saw the flag between rows and stopped.
    CanceledGracefully,
    /// The step in progress was interrupted.
    Interrupted,
}

/// The tutorial's `QueryExecutor`: runs queries on its connection until its
/// token is cancelled.
pub struct QueryExecutor {
    conn: Connection,
    token: CancelToken,
}

impl QueryExecutor {
    /// An executor owning `conn`.
    pub fn new(conn: Connection) -> QueryExecutor {
        QueryExecutor {
            conn,
            token: CancelToken::new(),
        }
    }

    /// A token that cancels this executor's work (clone it into other threads).
    pub fn token(&self) -> CancelToken {
        self.token.clone()
    }

    /// Reads the rows of `query` until done or cancelled; calls `started`
    /// once the query runs. Returns how it ended and the rows read.
    pub fn execute(&self, query: &str, started: impl FnOnce()) -> Result<(Ended, u64)> {
        self.conn.with_cancel(&self.token, |conn| {
            let mut stmt = conn.prepare(query)?;
            let mut rows = stmt.query([])?;
            started();
            let mut n = 0;
            loop {
                if self.token.is_cancelled() {
                    return Ok((Ended::CanceledGracefully, n));
                }
                match rows.next() {
                    Ok(Some(_)) => n += 1,
                    Ok(None) => return Ok((Ended::Completed, n)),
                    Err(e) if e.is_interrupted() => return Ok((Ended::Interrupted, n)),
                    Err(e) => return Err(e),
                }
            }
        })
    }

    /// The connection, for work after a cancel.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Runs `query` on a worker thread and cancels it `delay` after it started.
pub fn run(
    conn: Connection,
    query: &'static str,
    delay: Duration,
) -> (QueryExecutor, Result<(Ended, u64)>) {
    let executor = QueryExecutor::new(conn);
    let token = executor.token();
    let (started, wait_start) = mpsc::channel();
    let worker = thread::spawn(move || {
        let result = executor.execute(query, || started.send(()).unwrap());
        (executor, result)
    });
    let _ = wait_start.recv();
    thread::sleep(delay);
    token.cancel();
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
    let (executor, result) = run(
        conn,
        "SELECT * FROM data, data AS d2",
        Duration::from_millis(100),
    );
    match result? {
        (Ended::Completed, n) => println!("Query completed ({n} rows)"),
        (Ended::CanceledGracefully, n) => println!("Query canceled gracefully after {n} rows"),
        (Ended::Interrupted, n) => println!("Query interrupted after {n} rows"),
    }
    let n: i64 = executor
        .conn()
        .query_row("SELECT count(*) FROM data", [], |r| r.get(0))?;
    println!("The connection is usable afterwards: data has {n} rows");
    Ok(())
}
