//! Soundness under concurrency: threads call `interrupt()` (and cancel
//! tokens) in a tight loop while another thread opens connections, runs
//! queries on them and closes or drops them, thousands of times. Nothing
//! may crash or hang, and `.ci/run` runs this binary under valgrind
//! memcheck, which must report no error.
//!
//! `FERROLITE_STRESS_ITERS` sets the number of connections (default 2000;
//! CI uses fewer under valgrind). A watchdog aborts the process if the test
//! runs longer than `FERROLITE_STRESS_LIMIT_SECS` (default 300): a hang is
//! a failure, not a stuck CI job.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use ferrolite::{CancelToken, Connection, InterruptHandle, Result};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Aborts the process if the test outlives `limit`.
fn watchdog(limit: Duration, done: Arc<AtomicBool>) {
    thread::spawn(move || {
        let step = Duration::from_millis(100);
        let mut waited = Duration::ZERO;
        while !done.load(Ordering::Relaxed) {
            if waited >= limit {
                eprintln!("interrupt_stress: still running after {limit:?}: hang");
                std::process::abort();
            }
            thread::sleep(step);
            waited += step;
        }
    });
}

static COMPLETED: AtomicU64 = AtomicU64::new(0);
static STOPPED: AtomicU64 = AtomicU64::new(0);

/// The outcome of one query: it finished or was stopped, nothing else.
fn check(r: Result<i64>, expected: i64) {
    match r {
        Ok(n) => {
            assert_eq!(n, expected);
            COMPLETED.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => {
            assert!(e.is_interrupted(), "unexpected error: {e:?}");
            STOPPED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[test]
fn interrupts_race_with_open_query_close() {
    let iters = env_num("FERROLITE_STRESS_ITERS", 2000);
    let limit = Duration::from_secs(env_num("FERROLITE_STRESS_LIMIT_SECS", 300));
    let done = Arc::new(AtomicBool::new(false));
    watchdog(limit, Arc::clone(&done));

    // Handles of the most recent connections, live and dead alike.
    let handles: Arc<Mutex<Vec<InterruptHandle>>> = Arc::new(Mutex::new(Vec::new()));
    // The token the worker runs under; the canceller replaces it.
    let token: Arc<Mutex<CancelToken>> = Arc::new(Mutex::new(CancelToken::new()));
    let interrupts = Arc::new(AtomicU64::new(0));

    let mut helpers = Vec::new();
    for _ in 0..2 {
        let (handles, done, interrupts) = (
            Arc::clone(&handles),
            Arc::clone(&done),
            Arc::clone(&interrupts),
        );
        helpers.push(thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let snapshot: Vec<InterruptHandle> = handles.lock().unwrap().clone();
                for h in &snapshot {
                    // Calls land before, during and after close/drop.
                    h.interrupt();
                    let _ = h.is_interrupted();
                    let _ = h.is_closed();
                    interrupts.fetch_add(1, Ordering::Relaxed);
                }
                thread::yield_now();
            }
        }));
    }
    {
        let (token, done) = (Arc::clone(&token), Arc::clone(&done));
        helpers.push(thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let old = std::mem::take(&mut *token.lock().unwrap());
                old.cancel();
                thread::sleep(Duration::from_micros(200));
            }
        }));
    }

    for i in 0..iters {
        let conn = Connection::open_in_memory().unwrap();
        {
            let mut hs = handles.lock().unwrap();
            hs.push(conn.get_interrupt_handle());
            if hs.len() > 8 {
                hs.remove(0);
            }
        }
        match i % 4 {
            0 => check(
                conn.query_row("SELECT count(*) FROM generate_series(1, 3000)", [], |r| {
                    r.get(0)
                }),
                3000,
            ),
            1 => {
                conn.set_statement_timeout(Some(Duration::from_millis(1)));
                check(
                    conn.query_row("SELECT sum(value) FROM generate_series(1, 2000)", [], |r| {
                        r.get(0)
                    }),
                    2_001_000,
                );
            }
            2 => {
                let t = token.lock().unwrap().clone();
                check(
                    conn.with_cancel(&t, |c| {
                        c.query_row("SELECT count(*) FROM generate_series(1, 2000)", [], |r| {
                            r.get(0)
                        })
                    }),
                    2000,
                );
            }
            _ => {
                // A write in a transaction, and rows left mid-way.
                let r = conn.execute_batch(
                    "BEGIN; CREATE TABLE t AS SELECT value FROM generate_series(1, 500); COMMIT;",
                );
                if let Err(e) = r {
                    assert!(e.is_interrupted(), "{e:?}");
                }
                if let Ok(mut stmt) = conn.prepare("SELECT value FROM generate_series(1, 100)") {
                    if let Ok(mut rows) = stmt.query([]) {
                        let _ = rows.next();
                    }
                }
            }
        }
        // Half the connections are closed explicitly, half dropped.
        if i % 2 == 0 {
            drop(conn);
        } else if let Err((conn, e)) = conn.close() {
            panic!("close failed: {e:?} ({conn:?})");
        }
    }

    done.store(true, Ordering::Relaxed);
    for h in helpers {
        h.join().unwrap();
    }
    let (completed, stopped) = (
        COMPLETED.load(Ordering::Relaxed),
        STOPPED.load(Ordering::Relaxed),
    );
    eprintln!(
        "{iters} connections, {} interrupt calls, {completed} queries completed, {stopped} stopped",
        interrupts.load(Ordering::Relaxed)
    );
    assert!(interrupts.load(Ordering::Relaxed) > 0);
    assert_eq!(
        completed + stopped,
        iters - iters / 4,
        "every query was checked"
    );
    // Every handle outlived its connection and is now inert.
    for h in handles.lock().unwrap().iter() {
        assert!(h.is_closed());
        h.interrupt();
        assert!(!h.is_interrupted());
    }
}
