//! Benchmarks for interrupts and deadlines (not a test: run it with
//! `cargo run --release -p ferrolite-micro --bin interrupt` in `bench/`).
//!
//! 1. Interrupt latency: the time from `InterruptHandle::interrupt()` on one
//!    thread to the query call returning on another, median and max over
//!    20 runs, for a scan and for a sort-heavy query; and the same from the
//!    moment a statement timeout expires.
//! 2. Deadline overhead: a long scan (one step) and a row-by-row loop, with
//!    and without an armed statement timeout (and the loop inside a
//!    `with_timeout` scope), runs interleaved, best runs compared. While
//!    armed, every step after a statement's first checks the deadlines
//!    (time spent between `Rows::next` calls counts), with a coarse clock
//!    read on Linux far from a deadline.
//!
//! `BENCH_ROWS` sets the table size (default 2,000,000);
//! `BENCH_ONLY_OVERHEAD=1` skips the latency part.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ferrolite::{Connection, Result};

const RUNS: usize = 20;

fn rows() -> i64 {
    std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000)
}

fn setup(n: i64) -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute(
        "CREATE TABLE t AS SELECT value AS a, random() AS r FROM generate_series(1, ?1)",
        [n],
    )?;
    Ok(conn)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Runs `sql` `RUNS` times on a worker thread; the main thread interrupts
/// each run after a delay varying over `spread`. Returns the latencies.
fn interrupt_latency(n: i64, sql: &'static str, spread: Duration) -> Result<Vec<Duration>> {
    let conn = setup(n)?;
    let handle = conn.get_interrupt_handle();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<(Instant, bool)>();
    let worker = thread::spawn(move || -> Result<()> {
        let mut stmt = conn.prepare(sql)?;
        for _ in 0..RUNS {
            started_tx.send(()).unwrap();
            let r = stmt.query_row([], |r| r.get::<_, i64>(0));
            let returned = Instant::now();
            done_tx
                .send((returned, r.as_ref().is_err_and(|e| e.is_interrupted())))
                .unwrap();
        }
        Ok(())
    });
    let mut latencies = Vec::new();
    for i in 0..RUNS {
        started_rx.recv().unwrap();
        // Land at different points of the query (for the sort: while rows
        // are loaded, and while the sorter sorts).
        let delay = Duration::from_millis(10) + spread.mul_f64(i as f64 / RUNS as f64);
        thread::sleep(delay);
        let sent = Instant::now();
        handle.interrupt();
        let (returned, interrupted) = done_rx.recv().unwrap();
        if interrupted {
            latencies.push(returned.saturating_duration_since(sent));
        } else {
            eprintln!("  (run {i}: the query finished before the interrupt; not counted)");
        }
    }
    worker.join().unwrap()?;
    Ok(latencies)
}

/// The time from a statement timeout expiring to the query returning.
fn timeout_latency(conn: &Connection, sql: &str, timeout: Duration) -> Result<Vec<Duration>> {
    conn.set_statement_timeout(Some(timeout));
    let mut stmt = conn.prepare(sql)?;
    let mut out = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let r = stmt.query_row([], |r| r.get::<_, i64>(0));
        let took = start.elapsed();
        if r.is_err_and(|e| e.is_interrupted()) {
            out.push(took.saturating_sub(timeout));
        }
    }
    conn.set_statement_timeout(None);
    Ok(out)
}

fn report(what: &str, mut v: Vec<Duration>) {
    if v.is_empty() {
        println!("{what:<44} no interrupted run");
        return;
    }
    let max = *v.iter().max().unwrap();
    let med = median(&mut v);
    println!(
        "{what:<44} median {:>10}  max {:>10}  ({} runs)",
        ms(med),
        ms(max),
        v.len()
    );
}

/// CPU time of the calling thread (SQLite runs on it), so that other
/// processes on a busy machine don't count; wall time elsewhere.
#[cfg(target_os = "linux")]
fn thread_cpu() -> Duration {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: a valid out-pointer; the clock id is Linux's.
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.sec as u64, ts.nsec as u32)
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu() -> Duration {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// Best CPU time of `f` over `runs` runs with and without `arm`ed
/// watching, interleaved so that machine noise hits both alike.
fn compare(
    conn: &mut Connection,
    runs: usize,
    arm: fn(&mut Connection, bool),
    mut f: impl FnMut(&Connection) -> Result<i64>,
) -> Result<(Duration, Duration)> {
    let (mut plain, mut armed) = (Vec::new(), Vec::new());
    f(conn)?; // warm up
    for _ in 0..runs {
        arm(conn, false);
        let start = thread_cpu();
        std::hint::black_box(f(conn)?);
        plain.push(thread_cpu() - start);
        arm(conn, true);
        let start = thread_cpu();
        std::hint::black_box(f(conn)?);
        armed.push(thread_cpu() - start);
    }
    arm(conn, false);
    // The fastest run of each: the one least disturbed by other processes.
    Ok((*plain.iter().min().unwrap(), *armed.iter().min().unwrap()))
}

/// As [`compare`], `f` run plainly against `f` inside a `with_timeout`
/// scope (an hour: never reached).
fn compare_scope(
    conn: &Connection,
    runs: usize,
    mut f: impl FnMut(&Connection) -> Result<i64>,
) -> Result<(Duration, Duration)> {
    let (mut plain, mut armed) = (Vec::new(), Vec::new());
    f(conn)?; // warm up
    for _ in 0..runs {
        let start = thread_cpu();
        std::hint::black_box(f(conn)?);
        plain.push(thread_cpu() - start);
        let start = thread_cpu();
        std::hint::black_box(conn.with_timeout(Duration::from_secs(3600), &mut f)?);
        armed.push(thread_cpu() - start);
    }
    Ok((*plain.iter().min().unwrap(), *armed.iter().min().unwrap()))
}

fn statement_timeout(conn: &mut Connection, on: bool) {
    conn.set_statement_timeout(on.then_some(Duration::from_secs(3600)));
}

fn progress_only(conn: &mut Connection, on: bool) {
    let handler = on.then_some(|| false);
    conn.progress_handler(4000, handler).unwrap();
}

fn print_overhead(what: &str, (plain, armed): (Duration, Duration)) {
    println!(
        "{what:<44} plain {:>10}  armed {:>10}  overhead {:+.2}%",
        ms(plain),
        ms(armed),
        (armed.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0
    );
}

fn long_scan(c: &Connection) -> Result<i64> {
    c.query_row("SELECT sum(a) FROM t WHERE r > 0", [], |r| r.get(0))
}

fn row_loop(c: &Connection) -> Result<i64> {
    let mut stmt = c.prepare_cached("SELECT a FROM t")?;
    let mut rows = stmt.query([])?;
    let mut sum = 0i64;
    while let Some(row) = rows.next()? {
        sum = sum.wrapping_add(row.get::<_, i64>(0)?);
    }
    Ok(sum)
}

fn tiny_statements(c: &Connection) -> Result<i64> {
    let mut stmt = c.prepare_cached("SELECT ?1 + 1")?;
    let mut acc = 0i64;
    for i in 0..100_000i64 {
        acc = acc.wrapping_add(stmt.query_row([i], |r| r.get::<_, i64>(0))?);
    }
    Ok(acc)
}

fn main() -> Result<()> {
    let n = rows();
    println!(
        "ferrolite interrupt benchmark: SQLite {}, {} rows",
        ferrolite::version(),
        n
    );
    if cfg!(debug_assertions) {
        println!("(debug build: run with --release for meaningful numbers)");
    }

    let only_overhead = std::env::var_os("BENCH_ONLY_OVERHEAD").is_some();
    if !only_overhead {
        println!("\n1. Interrupt latency: interrupt() on another thread -> the call returns");
        report(
            "scan   SELECT count(*) FROM t, t",
            interrupt_latency(
                n,
                "SELECT count(*) FROM t AS x, t AS y",
                Duration::from_millis(200),
            )?,
        );
        report(
            "sort   SELECT .. ORDER BY r (first row)",
            interrupt_latency(
                n,
                "SELECT a FROM t ORDER BY r LIMIT -1 OFFSET 0",
                Duration::from_millis(600),
            )?,
        );
    }
    let conn = setup(n)?;
    if !only_overhead {
        report(
            "statement timeout (50 ms) -> return, scan",
            timeout_latency(
                &conn,
                "SELECT count(*) FROM t AS x, t AS y",
                Duration::from_millis(50),
            )?,
        );
        report(
            "statement timeout (50 ms) -> return, sort",
            timeout_latency(
                &conn,
                "SELECT a FROM t ORDER BY r LIMIT -1 OFFSET 0",
                Duration::from_millis(50),
            )?,
        );
    }

    println!(
        "\n2. Overhead of an armed statement timeout (thread CPU time, best of 25 interleaved runs)"
    );
    let mut conn = conn;
    print_overhead(
        "long scan (one step)",
        compare(&mut conn, 25, statement_timeout, long_scan)?,
    );
    print_overhead(
        "row-by-row loop (a step per row)",
        compare(&mut conn, 25, statement_timeout, row_loop)?,
    );
    print_overhead(
        "row-by-row loop in a with_timeout scope",
        compare_scope(&conn, 25, row_loop)?,
    );
    print_overhead(
        "100k tiny statements (deadline armed each)",
        compare(&mut conn, 25, statement_timeout, tiny_statements)?,
    );
    println!("   for reference, a bare progress handler (no deadline):");
    print_overhead(
        "long scan (one step)",
        compare(&mut conn, 25, progress_only, long_scan)?,
    );
    print_overhead(
        "row-by-row loop (a step per row)",
        compare(&mut conn, 25, progress_only, row_loop)?,
    );
    Ok(())
}
