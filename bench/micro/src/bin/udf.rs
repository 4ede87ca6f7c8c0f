//! Benchmark of the user-function trampoline (not a test: run it with
//! `cargo run --release -p ferrolite-micro --bin udf` in `bench/`).
//!
//! `SELECT sum(twice(i)) FROM t` over 1,000,000 rows, where `twice` is a
//! trivial Rust scalar function, against the same query with SQLite's
//! built-in arithmetic (`sum(i * 2)`), so the difference is the cost of
//! calling Rust per row. Prints the median of 11 runs and ns per row. The
//! comparison with rusqlite and C is `bench/run.sh --only udf`.
//!
//! `BENCH_ROWS` sets the table size.

use std::time::{Duration, Instant};

use ferrolite::functions::FunctionFlags;
use ferrolite::{Connection, Result};

const RUNS: usize = 11;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(conn: &Connection, sql: &str, expect: i64) -> Result<Duration> {
    let mut stmt = conn.prepare(sql)?;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let sum: i64 = stmt.query_row([], |r| r.get(0))?;
        times.push(start.elapsed());
        assert_eq!(sum, expect);
    }
    Ok(median(times))
}

fn main() -> Result<()> {
    let n: i64 = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let conn = Connection::open_in_memory()?;
    conn.execute(
        "CREATE TABLE t AS SELECT value AS i FROM generate_series(1, ?1)",
        [n],
    )?;
    conn.create_scalar_function(
        "twice",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| ctx.get::<i64>(0).map(|x| x * 2),
    )?;
    let expect = n * (n + 1);
    let builtin = time(&conn, "SELECT sum(i * 2) FROM t", expect)?;
    let udf = time(&conn, "SELECT sum(twice(i)) FROM t", expect)?;
    let per_row = |d: Duration| d.as_nanos() as f64 / n as f64;
    println!("rows: {n}, median of {RUNS} runs");
    println!(
        "sum(i * 2)      {:8.2} ms  {:6.1} ns/row",
        builtin.as_secs_f64() * 1e3,
        per_row(builtin)
    );
    println!(
        "sum(twice(i))   {:8.2} ms  {:6.1} ns/row",
        udf.as_secs_f64() * 1e3,
        per_row(udf)
    );
    println!(
        "Rust call cost  {:6.1} ns/row",
        per_row(udf) - per_row(builtin)
    );
    Ok(())
}
