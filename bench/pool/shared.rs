//! What both pool-benchmark binaries share (included with `#[path]`): the
//! workloads' parameters, the key sequence, SQLite's busy-wait schedule
//! (counted), latency statistics and the output line.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Rows in the table `kv (id INTEGER PRIMARY KEY, v INTEGER, s TEXT)`.
pub const ROWS: i64 = 10_000;
/// Point selects per `read_R` workload, split among its R threads.
pub const READ_OPS: usize = 20_000;
/// Threads (tasks) of the mixed workload, and operations each runs.
pub const MIXED_THREADS: usize = 4;
pub const MIXED_OPS: usize = 5_000;
/// One operation in this many of the mixed workload is a write.
pub const WRITE_EVERY: usize = 5;

pub const CREATE: &str = "PRAGMA journal_mode = WAL;
    CREATE TABLE kv (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT NOT NULL);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
    INSERT INTO kv SELECT i, i * 3, printf('row %d', i) FROM n;";
/// What every connection of every contender runs when opened.
pub const PER_CONNECTION: &str = "PRAGMA synchronous = NORMAL";
pub const READ: &str = "SELECT v FROM kv WHERE id = ?1";
pub const WRITE: &str = "UPDATE kv SET v = v + 1 WHERE id = ?1";

/// The key operation `i` of thread `t` touches (the same in every contender).
pub fn key(t: usize, i: usize) -> i64 {
    ((t as i64) * 7919 + (i as i64) * 104_729) % ROWS + 1
}

/// The workloads: `read_1`, `read_2`, `read_4`, `mixed_4`.
#[derive(Clone, Copy, Debug)]
pub enum Workload {
    Read(usize),
    Mixed,
}

impl Workload {
    pub fn parse(s: &str) -> Workload {
        match s {
            "read_1" => Workload::Read(1),
            "read_2" => Workload::Read(2),
            "read_4" => Workload::Read(4),
            "mixed_4" => Workload::Mixed,
            _ => panic!("unknown workload {s} (read_1, read_2, read_4, mixed_4)"),
        }
    }
    pub fn threads(self) -> usize {
        match self {
            Workload::Read(r) => r,
            Workload::Mixed => MIXED_THREADS,
        }
    }
    pub fn ops_per_thread(self) -> usize {
        match self {
            Workload::Read(r) => READ_OPS / r,
            Workload::Mixed => MIXED_OPS,
        }
    }
    /// True if operation `i` (of any thread) writes.
    pub fn writes(self, i: usize) -> bool {
        matches!(self, Workload::Mixed) && i.is_multiple_of(WRITE_EVERY)
    }
}

/// Busy-handler calls plus operations retried after an SQLITE_BUSY error.
pub static BUSY_RETRIES: AtomicU64 = AtomicU64::new(0);

/// SQLite's own busy wait (`sqliteDefaultBusyCallback`, what
/// `busy_timeout(5 s)` installs in every contender by default), counted:
/// sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100, 100, ... ms.
pub fn busy_wait(count: i32) -> bool {
    BUSY_RETRIES.fetch_add(1, Ordering::Relaxed);
    const DELAYS: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];
    const TOTALS: [u64; 12] = [0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228];
    const TIMEOUT: u64 = 5000;
    let count = count.max(0) as usize;
    let (mut delay, prior) = if count < 12 {
        (DELAYS[count], TOTALS[count])
    } else {
        (100, TOTALS[11] + 100 * (count as u64 - 11))
    };
    if prior + delay > TIMEOUT {
        if prior >= TIMEOUT {
            return false;
        }
        delay = TIMEOUT - prior;
    }
    std::thread::sleep(Duration::from_millis(delay));
    true
}

/// Per-thread results: latencies (ns) of every operation and a checksum.
#[derive(Default)]
pub struct Tally {
    pub latencies: Vec<u64>,
    pub checksum: i64,
}

impl Tally {
    pub fn record(&mut self, start: Instant, value: i64) {
        self.latencies.push(start.elapsed().as_nanos() as u64);
        self.checksum = self.checksum.wrapping_add(value);
    }
}

/// Prints `workload contender ops elapsed_ns p50_ns p99_ns p999_ns
/// busy_retries checksum` (percentiles of every operation's latency).
/// For the mixed workload (whose reads see writes in whatever order they
/// ran), `final_sum` is the table's `sum(v)` afterwards: every contender
/// must reach the same.
pub fn report(
    workload: &str,
    contender: &str,
    elapsed: Duration,
    tallies: Vec<Tally>,
    final_sum: Option<i64>,
) {
    let mut all: Vec<u64> = tallies
        .iter()
        .flat_map(|t| t.latencies.iter().copied())
        .collect();
    let checksum =
        final_sum.unwrap_or_else(|| tallies.iter().fold(0i64, |a, t| a.wrapping_add(t.checksum)));
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{workload}\t{contender}\t{}\t{}\t{}\t{}\t{}\t{}\t{checksum}",
        all.len(),
        elapsed.as_nanos(),
        pct(0.50),
        pct(0.99),
        pct(0.999),
        BUSY_RETRIES.load(Ordering::Relaxed),
    );
}
