//! The ferrolite side of the pool benchmark (bench/pool/run.sh):
//! `bench-pool-ferrolite WORKLOAD DATA_DIR`, with `ferrolite::pool::Pool`
//! (readers = the workload's threads; one writer) used from OS threads.

#[path = "../../shared.rs"]
mod shared;

use std::path::PathBuf;
use std::sync::Barrier;
use std::time::Instant;

use ferrolite::Connection;
use ferrolite::pool::Pool;
use shared::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (name, dir) = (&args[1], PathBuf::from(&args[2]));
    let workload = Workload::parse(name);
    let path = dir.join(format!("pool-ferrolite-{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Connection::open(&path)
        .unwrap()
        .execute_batch(CREATE)
        .unwrap();

    let pool = Pool::builder(&path)
        .readers(workload.threads())
        .on_open(|c| {
            c.execute_batch(PER_CONNECTION)?;
            // Counted, with SQLite's schedule (as the peers'); the pool
            // keeps a handler set by on_open.
            c.busy_handler(Some(busy_wait))
        })
        .build()
        .unwrap();
    let threads = workload.threads();
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
                            let res = if workload.writes(i) {
                                pool.write().and_then(|c| {
                                    c.prepare_cached(WRITE)?.execute([k]).map(|n| n as i64)
                                })
                            } else {
                                pool.read().and_then(|c| {
                                    c.prepare_cached(READ)?
                                        .query_row([k], |r| r.get::<_, i64>(0))
                                })
                            };
                            match res {
                                Ok(v) => break v,
                                Err(e) if e.is_busy() => {
                                    BUSY_RETRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                }
                                Err(e) => panic!("{e}"),
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
    let final_sum = matches!(workload, Workload::Mixed).then(|| {
        pool.read()
            .unwrap()
            .query_row("SELECT sum(v) FROM kv", [], |r| r.get(0))
            .unwrap()
    });
    report(name, "ferrolite", elapsed, tallies, final_sum);
}
