//! Interrupts with a connection pool: worker threads take connections from
//! a pool and run queries; the main thread interrupts them all (the Python
//! `Connection.interrupt` tutorial's "Interrupt With Connection Pool").
//!
//! The tutorial interrupts by taking connections out of the pool, which only
//! reaches the idle ones (and blocks once the pool is empty). Here the pool
//! keeps an `InterruptHandle` for each connection it lends, so
//! `interrupt_all` reaches exactly the connections in use, from any thread.
//! (A `CancelToken` shared by the workers, with `with_cancel`, does the same
//! without the pool's help.)
//!
//! Run with `cargo run --example interrupt_pool`.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use ferrolite::{Connection, InterruptHandle, Result};

/// A fixed-size pool of connections to one database file.
pub struct ConnectionPool {
    idle: Mutex<Vec<Connection>>,
    available: Condvar,
    handles: Vec<InterruptHandle>,
}

impl ConnectionPool {
    /// Opens `size` connections to `path`.
    pub fn new(path: &Path, size: usize) -> Result<ConnectionPool> {
        let conns = (0..size)
            .map(|_| Connection::open(path))
            .collect::<Result<Vec<_>>>()?;
        let handles = conns.iter().map(Connection::get_interrupt_handle).collect();
        Ok(ConnectionPool {
            idle: Mutex::new(conns),
            available: Condvar::new(),
            handles,
        })
    }

    /// Takes a connection, waiting for one to be returned if none is idle.
    pub fn get_connection(&self) -> Connection {
        let mut idle = self.idle.lock().unwrap();
        loop {
            if let Some(conn) = idle.pop() {
                return conn;
            }
            idle = self.available.wait(idle).unwrap();
        }
    }

    /// Gives a connection back.
    pub fn return_connection(&self, conn: Connection) {
        self.idle.lock().unwrap().push(conn);
        self.available.notify_one();
    }

    /// Interrupts whatever runs on every connection of the pool (idle ones
    /// have nothing running, so it does nothing to them).
    pub fn interrupt_all(&self) {
        for h in &self.handles {
            h.interrupt();
        }
    }

    /// Connections idle now.
    pub fn idle_count(&self) -> usize {
        self.idle.lock().unwrap().len()
    }
}

/// The tutorial's worker: runs `query` on a pooled connection, reads its rows,
/// and returns the connection to the pool.
pub fn worker(pool: &ConnectionPool, query: &str, started: impl FnOnce()) -> Result<u64> {
    let conn = pool.get_connection();
    let result = (|| {
        let mut stmt = conn.prepare(query)?;
        let mut rows = stmt.query([])?;
        started();
        let mut n = 0;
        while rows.next()?.is_some() {
            n += 1;
        }
        Ok(n)
    })();
    pool.return_connection(conn);
    result
}

/// Creates the tutorial's table in `path` with `rows` rows.
pub fn setup(path: &Path, rows: i64) -> Result<()> {
    let conn = Connection::open(path)?;
    conn.execute_batch("CREATE TABLE IF NOT EXISTS data (id INTEGER)")?;
    conn.execute(
        "INSERT INTO data SELECT value FROM generate_series(1, ?1)",
        [rows],
    )?;
    Ok(())
}

/// Runs `workers` threads of `query` on a pool of `size`, and interrupts
/// them all `delay` after they all started.
pub fn run(
    pool: Arc<ConnectionPool>,
    workers: usize,
    query: &'static str,
    delay: Duration,
) -> Vec<Result<u64>> {
    let started = Arc::new((Mutex::new(0usize), Condvar::new()));
    let threads: Vec<_> = (0..workers)
        .map(|_| {
            let pool = Arc::clone(&pool);
            let started = Arc::clone(&started);
            thread::spawn(move || {
                worker(&pool, query, || {
                    *started.0.lock().unwrap() += 1;
                    started.1.notify_all();
                })
            })
        })
        .collect();
    let mut n = started.0.lock().unwrap();
    while *n < workers {
        n = started.1.wait(n).unwrap();
    }
    drop(n);
    thread::sleep(delay);
    pool.interrupt_all();
    threads
        .into_iter()
        .map(|t| t.join().expect("worker panicked"))
        .collect()
}

#[allow(dead_code)]
fn main() -> Result<()> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("pool.db");
    // The tutorial inserts one row; its cross join then ends at once.
    setup(&path, 100_000)?;
    let pool = Arc::new(ConnectionPool::new(&path, 5)?);
    let results = run(
        Arc::clone(&pool),
        3,
        "SELECT * FROM data, data d2",
        Duration::from_millis(100),
    );
    for (i, r) in results.iter().enumerate() {
        match r {
            Ok(n) => println!("Worker {i}: query completed ({n} rows)"),
            Err(e) if e.is_interrupted() => println!("Worker {i}: query interrupted"),
            Err(e) => println!("Worker {i}: query failed: {e}"),
        }
    }
    let conn = pool.get_connection();
    let n: i64 = conn.query_row("SELECT count(*) FROM data", [], |r| r.get(0))?;
    println!(
        "Pooled connections are usable afterwards: data has {n} rows ({} idle)",
        pool.idle_count() + 1
    );
    pool.return_connection(conn);
    Ok(())
}
