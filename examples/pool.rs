//! Threads sharing a `ferrolite::pool::Pool`: eight workers that each write
//! and read, one writer at a time (the others queue for it, first come
//! first served), readers in parallel; then the pool's counters, a
//! checkout that times out, and `close()`.
//!
//! `cargo run --example pool`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ferrolite::pool::Pool;
use ferrolite::{Error, Result};

const WORKERS: i64 = 8;
const ORDERS_PER_WORKER: i64 = 500;

fn main() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("ferrolite-pool-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let result = run(&dir.join("shop.db"));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(path: &std::path::Path) -> Result<()> {
    let pool = Pool::builder(path)
        .readers(4)
        .checkout_timeout(Duration::from_secs(5))
        // WAL with synchronous=NORMAL: commits don't wait for fsync.
        .on_open(|conn| conn.execute_batch("PRAGMA synchronous = NORMAL"))
        .build()?;
    pool.write()?.execute_batch(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, worker INTEGER, amount INTEGER);",
    )?;

    let reads = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (pool, reads) = (pool.clone(), Arc::clone(&reads));
            thread::spawn(move || -> Result<()> {
                for i in 0..ORDERS_PER_WORKER {
                    // The writer: threads queue for it in FIFO order, so
                    // none of them ever sees SQLITE_BUSY.
                    pool.write()?.execute(
                        "INSERT INTO orders (worker, amount) VALUES (?1, ?2)",
                        [worker, i % 10 + 1],
                    )?;
                    // Readers run in parallel with the writer and each other.
                    for _ in 0..3 {
                        let total: i64 = pool.read()?.query_row(
                            "SELECT coalesce(sum(amount), 0) FROM orders WHERE worker = ?1",
                            [worker],
                            |r| r.get(0),
                        )?;
                        assert!(total > 0);
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(())
            })
        })
        .collect();

    // Meanwhile: what the pool is doing.
    thread::sleep(Duration::from_millis(20));
    println!("while running: {:?}", pool.status());

    for w in workers {
        w.join().expect("a worker panicked")?;
    }
    let elapsed = start.elapsed();
    let (orders, total): (i64, i64) =
        pool.read()?
            .query_row("SELECT count(*), sum(amount) FROM orders", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
    println!(
        "{WORKERS} threads: {orders} orders written (total amount {total}), {} reads, in {elapsed:.2?}",
        reads.load(Ordering::Relaxed)
    );
    assert_eq!(orders, WORKERS * ORDERS_PER_WORKER);

    // A checkout that waits too long fails with Error::PoolTimeout.
    let held = pool.write()?;
    match pool.write_timeout(Duration::from_millis(50)) {
        Err(e @ Error::PoolTimeout(_)) => println!("second writer: {e}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    drop(held);

    println!("idle: {:?}", pool.status());
    // close(): refuse new checkouts, interrupt what runs, wait (bounded).
    let still_out = pool.close();
    println!(
        "closed ({still_out} connections still in use); read() now says: {}",
        pool.read().unwrap_err()
    );
    Ok(())
}
