//! The workloads of the Rust contenders, shared word for word by the
//! rusqlite and the ferrolite program: each `main.rs` only says which crate
//! `crate::sql` is. Keep in step with bench/c/bench.c (same SQL, same data,
//! same checksums).
//!
//! Usage: bench-<contender> WORKLOAD N DATADIR
//! Prints one line: WORKLOAD<TAB>nanoseconds<TAB>checksum<TAB>key=value...
//! (wall-clock nanoseconds; extras: cpu_ns=process CPU time of the workload,
//! or for interrupt_latency max_ns=the slowest of its 20 interrupts).

use crate::sql::{self, Connection, ErrorCode, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

type Res<T> = sql::Result<T>;

const SQL_CREATE: &str =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB)";
const SQL_INSERT: &str = "INSERT INTO t(id, i, r, t, b) VALUES (?1, ?2, ?3, ?4, ?5)";
const SMALL_ROWS: u64 = 1000;
const HIT_SQL: [&str; 4] = [
    "SELECT i FROM t WHERE id = ?1",
    "SELECT length(t) FROM t WHERE id = ?1",
    "SELECT length(b) + id FROM t WHERE id = ?1",
    "SELECT i % 1000 FROM t WHERE id = ?1",
];
const MISS_N: usize = 32;
const LONG_SQL: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) \
                        SELECT count(*) FROM c";

// ------------------------------------------------------------------- data

fn gen_i(k: u64) -> i64 {
    (k.wrapping_mul(2654435761) % 1_000_000_007) as i64
}

fn fill_text(buf: &mut [u8; 14], k: u64) -> &str {
    buf[..4].copy_from_slice(b"txt-");
    let mut v = k;
    for j in (4..14).rev() {
        buf[j] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    // SAFETY: ASCII by construction. (Not `from_utf8`: validating here would
    // be the benchmark's own cost, which C doesn't pay, counted against the
    // bindings.)
    unsafe { std::str::from_utf8_unchecked(buf) }
}

fn fill_blob(buf: &mut [u8; 16], k: u64, i: i64) -> &[u8] {
    buf[..8].copy_from_slice(&k.to_le_bytes());
    buf[8..].copy_from_slice(&(i as u64).to_le_bytes());
    buf
}

fn key(j: u64, n: u64) -> i64 {
    (j.wrapping_mul(7919) % n + 1) as i64
}

fn text_ck(t: &str) -> u64 {
    t.len() as u64 + t.as_bytes().last().copied().unwrap_or(0) as u64
}

fn blob_ck(b: &[u8]) -> u64 {
    b.len() as u64 + b.first().copied().unwrap_or(0) as u64
}

/// The measured part, in a function of its own that
/// `valgrind --tool=callgrind --toggle-collect=bench_measured` can find.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn bench_measured(f: &mut dyn FnMut() -> Res<u64>) -> Res<u64> {
    std::hint::black_box(f())
}

/// CPU time of the whole process (all threads), in nanoseconds: less
/// disturbed than wall time when other processes compete for the 2 cores.
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

/// (wall ns, cpu ns, checksum)
type Timed = (u64, u64, u64);

fn timed(mut f: impl FnMut() -> Res<u64>) -> Res<Timed> {
    let c0 = cpu_ns();
    let t0 = Instant::now();
    let ck = bench_measured(&mut f)?;
    let wall = t0.elapsed().as_nanos() as u64;
    Ok((wall, cpu_ns() - c0, ck))
}

/// Inserts rows 1..=n in one transaction through one prepared statement;
/// returns the sum of the changes plus the last rowid.
fn populate(conn: &mut Connection, n: u64) -> Res<u64> {
    let tx = conn.transaction()?;
    let mut sum = 0u64;
    {
        let mut stmt = tx.prepare(SQL_INSERT)?;
        let mut tb = [0u8; 14];
        let mut bb = [0u8; 16];
        for k in 1..=n {
            let i = gen_i(k);
            let t = fill_text(&mut tb, k);
            let b = fill_blob(&mut bb, k, i);
            sum += stmt.execute(params![k as i64, i, k as f64 * 0.25, t, b])? as u64;
        }
    }
    tx.commit()?;
    Ok(sum + conn.last_insert_rowid() as u64)
}

fn base_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("base-{n}.db"))
}

/// Creates DATADIR/base-N.db (WAL mode, table t with N rows) unless present.
fn ensure_base(dir: &Path, n: u64) -> Res<PathBuf> {
    let path = base_path(dir, n);
    if !path.exists() {
        let tmp = dir.join(format!("base-{n}.db.tmp-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut conn = Connection::open(&tmp)?;
        let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.execute_batch(SQL_CREATE)?;
        populate(&mut conn, n)?;
        drop(conn);
        std::fs::rename(&tmp, &path).expect("rename base db");
    }
    Ok(path)
}

/// Opens the base DB with a page cache big enough for all of it, and warms it.
fn open_base(path: &Path) -> Res<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA cache_size=-262144")?;
    let _: i64 = conn.query_row("SELECT sum(length(t) + length(b) + i) FROM t", [], |r| {
        r.get(0)
    })?;
    Ok(conn)
}

// -------------------------------------------------------------- workloads

fn point_select_txn(conn: &mut Connection, n: u64, lookups: u64) -> Res<u64> {
    let tx = conn.transaction()?;
    let mut sum = 0u64;
    {
        let mut stmt = tx.prepare("SELECT t FROM t WHERE id = ?1")?;
        for j in 0..lookups {
            let s: String = stmt.query_row([key(j, n)], |r| r.get(0))?;
            sum += text_ck(&s);
        }
    }
    tx.commit()?;
    Ok(sum)
}

fn point_select_autocommit(conn: &Connection, n: u64, lookups: u64) -> Res<u64> {
    let mut stmt = conn.prepare("SELECT t FROM t WHERE id = ?1")?;
    let mut sum = 0u64;
    for j in 0..lookups {
        let s: String = stmt.query_row([key(j, n)], |r| r.get(0))?;
        sum += text_ck(&s);
    }
    Ok(sum)
}

fn point_select_by_name(conn: &mut Connection, n: u64, lookups: u64) -> Res<u64> {
    let tx = conn.transaction()?;
    let mut sum = 0u64;
    {
        let mut stmt = tx.prepare("SELECT id, i, r, b, t FROM t WHERE id = ?1")?;
        for j in 0..lookups {
            let s: String = stmt.query_row([key(j, n)], |r| r.get("t"))?;
            sum += text_ck(&s);
        }
    }
    tx.commit()?;
    Ok(sum)
}

fn scan_borrowed(conn: &Connection) -> Res<u64> {
    let mut stmt = conn.prepare("SELECT id, i, r, t, b FROM t")?;
    let mut rows = stmt.query([])?;
    let mut sum = 0u64;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let i: i64 = row.get(1)?;
        let r: f64 = row.get(2)?;
        let t = row.get_ref(3)?.as_str()?;
        let b = row.get_ref(4)?.as_blob()?;
        sum = sum
            .wrapping_add(id as u64)
            .wrapping_add(i as u64)
            .wrapping_add(r as i64 as u64)
            .wrapping_add(text_ck(t) + blob_ck(b));
    }
    Ok(sum)
}

fn scan_owned(conn: &Connection) -> Res<u64> {
    let mut stmt = conn.prepare("SELECT id, i, r, t, b FROM t")?;
    let mut rows = stmt.query([])?;
    let mut sum = 0u64;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let i: i64 = row.get(1)?;
        let r: f64 = row.get(2)?;
        let t: String = row.get(3)?;
        let b: Vec<u8> = row.get(4)?;
        sum = sum
            .wrapping_add(id as u64)
            .wrapping_add(i as u64)
            .wrapping_add(r as i64 as u64)
            .wrapping_add(text_ck(&t) + blob_ck(&b));
    }
    Ok(sum)
}

fn small_db() -> Res<Connection> {
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(SQL_CREATE)?;
    populate(&mut conn, SMALL_ROWS)?;
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

fn cached(conn: &Connection, sqls: &[&str], iters: u64) -> Res<u64> {
    let mut sum = 0u64;
    for j in 0..iters {
        let mut stmt = conn.prepare_cached(sqls[(j % sqls.len() as u64) as usize])?;
        let v: i64 = stmt.query_row([key(j, SMALL_ROWS)], |r| r.get(0))?;
        sum = sum.wrapping_add(v as u64);
    }
    Ok(sum)
}

fn query_row_uncached(conn: &Connection, iters: u64) -> Res<u64> {
    let mut sum = 0u64;
    for j in 0..iters {
        let v: i64 = conn.query_row(HIT_SQL[(j % 4) as usize], [key(j, SMALL_ROWS)], |r| {
            r.get(0)
        })?;
        sum = sum.wrapping_add(v as u64);
    }
    Ok(sum)
}

#[cfg(feature = "udf")]
fn udf(conn: &Connection) -> Res<Timed> {
    use crate::sql::functions::FunctionFlags;
    conn.create_scalar_function(
        "twice",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| ctx.get::<i64>(0).map(|x| x * 2),
    )?;
    timed(|| Ok(conn.query_row("SELECT sum(twice(i)) FROM t", [], |r| r.get::<_, i64>(0))? as u64))
}

fn small_txn(conn: &mut Connection, iters: u64) -> Res<u64> {
    let mut tb = [0u8; 14];
    let mut sum = 0u64;
    for k in 1..=iters {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached("INSERT INTO s(v, t) VALUES (?1, ?2)")?
            .execute(params![k as i64, fill_text(&mut tb, k)])?;
        sum += tx.last_insert_rowid() as u64;
        tx.commit()?;
    }
    Ok(sum)
}

fn concurrent_read(path: &Path, n: u64, lookups: u64) -> Res<Timed> {
    let barrier = Arc::new(Barrier::new(3));
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            let barrier = barrier.clone();
            let path = path.to_owned();
            std::thread::spawn(move || -> Res<u64> {
                let conn = open_base(&path)?;
                let mut stmt = conn.prepare("SELECT t FROM t WHERE id = ?1")?;
                barrier.wait();
                let mut sum = 0u64;
                for j in 0..lookups {
                    let s: String = stmt.query_row([key(2 * j + t, n)], |r| r.get(0))?;
                    sum += text_ck(&s);
                }
                Ok(sum)
            })
        })
        .collect();
    barrier.wait();
    let c0 = cpu_ns();
    let t0 = Instant::now();
    let mut sum = 0u64;
    for th in threads {
        sum += th.join().expect("reader thread")?;
    }
    Ok((t0.elapsed().as_nanos() as u64, cpu_ns() - c0, sum))
}

/// Returns (median, checksum = interrupted runs, max) over 20 runs.
fn interrupt_latency() -> Res<(u64, u64, u64)> {
    const RUNS: usize = 20;
    let conn = Connection::open_in_memory()?;
    let base = Instant::now();
    let mut lat = Vec::with_capacity(RUNS);
    let mut ck = 0u64;
    for _ in 0..RUNS {
        let handle = conn.get_interrupt_handle();
        let t0 = Arc::new(AtomicU64::new(0));
        let t0w = t0.clone();
        let th = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            t0w.store(base.elapsed().as_nanos() as u64, Ordering::SeqCst);
            handle.interrupt();
        });
        let r = conn.query_row(LONG_SQL, [], |r| r.get::<_, i64>(0));
        let t1 = base.elapsed().as_nanos() as u64;
        th.join().expect("interrupter thread");
        match r {
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::OperationInterrupted) => ck += 1,
            other => panic!("expected an interrupt, got {other:?}"),
        }
        lat.push(t1 - t0.load(Ordering::SeqCst));
    }
    lat.sort_unstable();
    Ok(((lat[RUNS / 2 - 1] + lat[RUNS / 2]) / 2, ck, lat[RUNS - 1]))
}

// ------------------------------------------------------------------- main

fn run(workload: &str, n: u64, dir: &Path) -> Res<String> {
    let (ns, cpu, ck) = match workload {
        "setup" => {
            ensure_base(dir, n)?;
            (0, 0, 0)
        }
        "insert" => {
            let mut conn = Connection::open_in_memory()?;
            conn.execute_batch(SQL_CREATE)?;
            timed(|| populate(&mut conn, n))?
        }
        "point_select_txn"
        | "point_select_autocommit"
        | "point_select_by_name"
        | "scan_borrowed"
        | "scan_owned"
        | "udf" => {
            let path = ensure_base(dir, n)?;
            let mut conn = open_base(&path)?;
            match workload {
                "point_select_txn" => timed(|| point_select_txn(&mut conn, n, n))?,
                "point_select_autocommit" => timed(|| point_select_autocommit(&conn, n, n / 5))?,
                "point_select_by_name" => timed(|| point_select_by_name(&mut conn, n, n))?,
                "scan_borrowed" => timed(|| scan_borrowed(&conn))?,
                "scan_owned" => timed(|| scan_owned(&conn))?,
                #[cfg(feature = "udf")]
                _ => udf(&conn)?,
                #[cfg(not(feature = "udf"))]
                _ => return Ok("udf\tSKIP".to_owned()),
            }
        }
        "cached_prepare_hit" => {
            let conn = small_db()?;
            timed(|| cached(&conn, &HIT_SQL, n))?
        }
        "cached_prepare_miss" => {
            let conn = small_db()?;
            let owned: Vec<String> = (0..MISS_N)
                .map(|s| format!("SELECT i + {s} FROM t WHERE id = ?1"))
                .collect();
            let sqls: Vec<&str> = owned.iter().map(String::as_str).collect();
            timed(|| cached(&conn, &sqls, n / 10))?
        }
        "query_row_uncached" => {
            let conn = small_db()?;
            timed(|| query_row_uncached(&conn, n / 10))?
        }
        "small_txn" => {
            let path = std::env::temp_dir().join(format!(
                "ferrolite-bench-small-rs-{}.db",
                std::process::id()
            ));
            let side = |s: &str| PathBuf::from(format!("{}{s}", path.display()));
            let remove = || {
                for p in [path.clone(), side("-wal"), side("-shm")] {
                    let _ = std::fs::remove_file(p);
                }
            };
            remove();
            let mut conn = Connection::open(&path)?;
            let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            conn.execute_batch(
                "PRAGMA synchronous=NORMAL; CREATE TABLE s(id INTEGER PRIMARY KEY, v INTEGER, t TEXT)",
            )?;
            let r = timed(|| small_txn(&mut conn, n / 50))?;
            drop(conn);
            remove();
            r
        }
        "concurrent_read" => {
            let path = ensure_base(dir, n)?;
            concurrent_read(&path, n, n / 5)?
        }
        "interrupt_latency" => {
            let (median, ck, max) = interrupt_latency()?;
            return Ok(format!("{workload}\t{median}\t{ck}\tmax_ns={max}"));
        }
        other => {
            eprintln!("unknown workload {other}");
            std::process::exit(2);
        }
    };
    Ok(format!("{workload}\t{ns}\t{ck}\tcpu_ns={cpu}"))
}

pub fn main(contender: &str) {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: bench-{contender} WORKLOAD N DATADIR");
        std::process::exit(2);
    }
    let n: u64 = args[2].parse().expect("N must be a number");
    match run(&args[1], n, Path::new(&args[3])) {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("bench-{contender}: {}: {e}", args[1]);
            std::process::exit(2);
        }
    }
}
