// Shared by both programs word for word (each `main.rs` includes it after
// `use ferrolite as sql;` or `use rusqlite as sql;`): the data, the
// measuring loop and the hand-written closure.

use std::hint::black_box;

pub const ROWS: i64 = 200_000;

/// The five columns; every mapping fills this struct (or an identical one).
pub const SELECT: &str = "SELECT id, name, score, email, level FROM person";

pub fn fresh() -> sql::Result<sql::Connection> {
    let conn = sql::Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, score REAL, email TEXT, level INTEGER);
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < 200000)
         INSERT INTO person SELECT i, 'person ' || i, i / 7.0,
             CASE WHEN i % 3 = 0 THEN 'p' || i || '@example.com' END, i % 200 FROM n;",
    )?;
    Ok(conn)
}

/// What every case folds its rows into, so none can be optimised away and
/// all are checked to read the same values.
pub fn fold(acc: &mut u64, id: i64, name: &str, score: f64, email: Option<&str>, level: u8) {
    *acc = acc.wrapping_mul(31).wrapping_add(
        id as u64
            ^ name.len() as u64
            ^ score.to_bits()
            ^ email.map_or(7, str::len) as u64
            ^ level as u64,
    );
}

pub type Case<'a> = (&'a str, Box<dyn FnMut() -> sql::Result<u64> + 'a>);

/// CPU time of the process in nanoseconds (as bench/shared/workloads.rs
/// measures it): less disturbed than wall time when other processes
/// compete for the 2 cores (BENCHMARKS.md, "Clocks").
fn cpu_ns() -> u64 {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a pointer to a live timespec (x86_64 Linux layout).
    let rc = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Runs the cases interleaved, `runs` times, and prints each one's median
/// CPU ns/row (tab-separated: program, label, median, min, checksum).
pub fn measure(program: &str, runs: usize, cases: Vec<Case<'_>>) -> sql::Result<()> {
    let mut cases = cases;
    let mut ns = vec![Vec::with_capacity(runs); cases.len()];
    let mut sums = vec![0u64; cases.len()];
    for _ in 0..runs {
        for (i, (_, f)) in cases.iter_mut().enumerate() {
            let start = cpu_ns();
            sums[i] = black_box(f()?);
            ns[i].push((cpu_ns() - start) as f64 / ROWS as f64);
        }
    }
    for (((label, _), mut v), sum) in cases.into_iter().zip(ns).zip(sums) {
        v.sort_by(f64::total_cmp);
        println!(
            "{program}\t{label}\t{:.1}\t{:.1}\t{sum:016x}",
            v[runs / 2],
            v[0]
        );
    }
    Ok(())
}

/// The hand-written `query_map` closure, reading by index: the baseline.
pub fn closure(conn: &sql::Connection) -> sql::Result<u64> {
    let mut stmt = conn.prepare_cached(SELECT)?;
    let mut acc = 0;
    let rows = stmt.query_map([], |r| {
        Ok(Person {
            id: r.get(0)?,
            name: r.get(1)?,
            score: r.get(2)?,
            email: r.get(3)?,
            level: r.get(4)?,
        })
    })?;
    for p in rows {
        let p = p?;
        fold(
            &mut acc,
            p.id,
            &p.name,
            p.score,
            p.email.as_deref(),
            p.level,
        );
    }
    Ok(acc)
}
