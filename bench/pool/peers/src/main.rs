//! The peers of the pool benchmark (bench/pool/run.sh), on rusqlite 0.40:
//! `bench-pool-peers CONTENDER WORKLOAD DATA_DIR` with CONTENDER
//! `deadpool` (deadpool-sqlite: tokio tasks, `pool.get().await` then
//! `interact`, as its documentation shows) or `r2d2` (r2d2_sqlite from OS
//! threads). Pool size = the workload's threads; every connection reads
//! and writes (that is how these pools work).

#[path = "../../shared.rs"]
mod shared;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::Instant;

use rusqlite::{Connection, ErrorCode};
use shared::*;

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn setup_connection(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch(PER_CONNECTION)?;
    // SQLite's own schedule, counted (replaces the 5 s busy_timeout both
    // crates' connections start with: the same waits).
    c.busy_handler(Some(busy_wait))
}

/// One operation on `c`; `Err` only for SQLITE_BUSY (counted and retried by
/// the caller), any other error panics.
fn op(c: &Connection, workload: Workload, i: usize, k: i64) -> Result<i64, ()> {
    let res = if workload.writes(i) {
        c.prepare_cached(WRITE)
            .and_then(|mut s| s.execute([k]))
            .map(|n| n as i64)
    } else {
        c.prepare_cached(READ)
            .and_then(|mut s| s.query_row([k], |r| r.get::<_, i64>(0)))
    };
    match res {
        Ok(v) => Ok(v),
        Err(e) if is_busy(&e) => {
            BUSY_RETRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err(())
        }
        Err(e) => panic!("{e}"),
    }
}

fn final_sum(path: &Path, workload: Workload) -> Option<i64> {
    matches!(workload, Workload::Mixed).then(|| {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT sum(v) FROM kv", [], |r| r.get(0))
            .unwrap()
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (contender, name, dir) = (&args[1], &args[2], PathBuf::from(&args[3]));
    let workload = Workload::parse(name);
    let path = dir.join(format!("pool-{contender}-{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Connection::open(&path)
        .unwrap()
        .execute_batch(CREATE)
        .unwrap();
    match contender.as_str() {
        "r2d2" => run_r2d2(&path, name, workload),
        "deadpool" => run_deadpool(&path, name, workload),
        _ => panic!("unknown contender {contender} (deadpool, r2d2)"),
    }
}

fn run_r2d2(path: &Path, name: &str, workload: Workload) {
    let manager =
        r2d2_sqlite::SqliteConnectionManager::file(path).with_init(|c| setup_connection(c));
    let threads = workload.threads();
    let pool = r2d2::Pool::builder()
        .max_size(threads as u32)
        .build(manager)
        .unwrap();
    let barrier = Barrier::new(threads + 1);
    let mut start = Instant::now();
    let tallies = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (pool, barrier) = (&pool, &barrier);
                s.spawn(move || {
                    let mut tally = Tally::default();
                    tally.latencies.reserve(workload.ops_per_thread());
                    barrier.wait();
                    for i in 0..workload.ops_per_thread() {
                        let k = key(t, i);
                        let op_start = Instant::now();
                        let value = loop {
                            let c = pool.get().unwrap();
                            if let Ok(v) = op(&c, workload, i, k) {
                                break v;
                            }
                        };
                        tally.record(op_start, value);
                    }
                    tally
                })
            })
            .collect();
        barrier.wait();
        start = Instant::now();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let elapsed = start.elapsed();
    drop(pool);
    report(
        name,
        "r2d2_sqlite",
        elapsed,
        tallies,
        final_sum(path, workload),
    );
}

fn run_deadpool(path: &Path, name: &str, workload: Workload) {
    let threads = workload.threads();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    let (elapsed, tallies) = rt.block_on(async {
        let pool = deadpool_sqlite::Config::new(path)
            .builder(deadpool_sqlite::Runtime::Tokio1)
            .unwrap()
            .max_size(threads)
            .post_create(deadpool_sqlite::Hook::async_fn(|obj, _| {
                Box::pin(async move {
                    obj.interact(|c| setup_connection(c))
                        .await
                        .expect("interact")
                        .map_err(deadpool_sqlite::HookError::Backend)
                })
            }))
            .build()
            .unwrap();
        // Open every connection before timing (as the other pools do).
        let warm: Vec<_> = futures_all(&pool, threads).await;
        drop(warm);
        let barrier = Arc::new(tokio::sync::Barrier::new(threads + 1));
        let tasks: Vec<_> = (0..threads)
            .map(|t| {
                let (pool, barrier) = (pool.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    let mut tally = Tally::default();
                    tally.latencies.reserve(workload.ops_per_thread());
                    barrier.wait().await;
                    for i in 0..workload.ops_per_thread() {
                        let k = key(t, i);
                        let op_start = Instant::now();
                        let value = loop {
                            let c = pool.get().await.unwrap();
                            let res = c
                                .interact(move |c| op(c, workload, i, k))
                                .await
                                .expect("interact");
                            if let Ok(v) = res {
                                break v;
                            }
                        };
                        tally.record(op_start, value);
                    }
                    tally
                })
            })
            .collect();
        barrier.wait().await;
        let start = Instant::now();
        let mut tallies = Vec::new();
        for t in tasks {
            tallies.push(t.await.unwrap());
        }
        (start.elapsed(), tallies)
    });
    report(
        name,
        "deadpool-sqlite",
        elapsed,
        tallies,
        final_sum(path, workload),
    );
}

/// Checks out `n` connections at once (so the pool opens all of them).
async fn futures_all(pool: &deadpool_sqlite::Pool, n: usize) -> Vec<deadpool_sqlite::Object> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(pool.get().await.unwrap());
    }
    out
}
