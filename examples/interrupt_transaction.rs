//! An interrupt during a transaction (the Python `Connection.interrupt`
//! tutorial's "Interrupt During Transaction").
//!
//! What SQLite actually does: an interrupt stops the statement *running*
//! when it arrives. If it lands while a write runs inside an explicit
//! transaction, SQLite rolls the whole transaction back; if it lands while
//! nothing runs (the tutorial's worker is sleeping between its inserts), it is
//! dropped when the next statement starts, and the transaction commits.
//! The tutorial's script is the second case, so despite its text it commits
//! both rows; this example shows both cases.
//!
//! `Transaction` handles the rollback: `commit()` reports that SQLite
//! already rolled back (an error for which `is_interrupted()` is true), and
//! `rollback()` or dropping it are quiet.
//!
//! Run with `cargo run --example interrupt_transaction`.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ferrolite::{Connection, Result};

/// How the worker's transaction ended.
#[derive(Debug)]
pub enum Ended {
    /// Committed.
    Committed,
    /// Interrupted, and rolled back (by SQLite, confirmed by `commit`'s error).
    Interrupted(ferrolite::Error),
}

/// The tutorial's worker: BEGIN, insert 1, pause, `second` (SQL), COMMIT.
/// The main thread interrupts `delay` after the first insert. Returns the
/// connection and how the transaction ended.
pub fn run(
    mut conn: Connection,
    pause: Duration,
    second: &'static str,
    delay: Duration,
) -> (Connection, Result<Ended>) {
    let handle = conn.get_interrupt_handle();
    let (started, wait_start) = mpsc::channel();
    let worker = thread::spawn(move || {
        let result = (|| {
            let tx = conn.transaction()?;
            tx.execute("INSERT INTO test VALUES (1)", [])?;
            started.send(()).unwrap();
            thread::sleep(pause); // simulate a long operation
            if let Err(e) = tx.execute(second, []) {
                if !e.is_interrupted() {
                    return Err(e);
                }
                // SQLite rolled the transaction back: commit says so.
                let err = tx.commit().expect_err("nothing left to commit");
                return Ok(Ended::Interrupted(err));
            }
            tx.commit()?;
            Ok(Ended::Committed)
        })();
        (conn, result)
    });
    let _ = wait_start.recv();
    thread::sleep(delay);
    handle.interrupt();
    worker.join().expect("worker panicked")
}

/// Creates the tutorial's table `test`.
pub fn setup() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE test (id INTEGER)")?;
    Ok(conn)
}

fn report(conn: &Connection, result: Result<Ended>) -> Result<()> {
    match result? {
        Ended::Committed => println!("Transaction committed"),
        Ended::Interrupted(e) => println!("Transaction interrupted: {e}"),
    }
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM test", [], |r| r.get(0))?;
    println!("Rows in table: {n}");
    Ok(())
}

#[allow(dead_code)]
fn main() -> Result<()> {
    println!("1. The tutorial's script: the interrupt arrives while the worker sleeps");
    let (_conn, result) = run(
        setup()?,
        Duration::from_secs(1),
        "INSERT INTO test VALUES (2)",
        Duration::from_millis(500),
    );
    report(&_conn, result)?;

    println!("2. The interrupt arrives during a long write");
    let (conn, result) = run(
        setup()?,
        Duration::ZERO,
        "INSERT INTO test SELECT value FROM generate_series(2, 1000000000)",
        Duration::from_millis(200),
    );
    report(&conn, result)?;
    Ok(())
}
