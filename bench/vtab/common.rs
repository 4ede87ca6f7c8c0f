//! Shared by both Rust contenders of the virtual-table benchmarks
//! (bench/run-vtab.sh): the data, the timing and the measured-part marker,
//! word for word; only the crate and the workloads differ.

#![allow(dead_code)]

use std::time::Instant;

/// Rows of the `IN` table, ids in the list, queries per `in_*` run.
pub const IN_ROWS: u64 = 100_000;
pub const IN_IDS: u64 = 10_000;
pub const ITERS: u64 = 20;

/// The k-th value of the scanned array (and `v` of row k of the `IN` table).
pub fn gen_value(k: u64) -> i64 {
    (k.wrapping_mul(2_654_435_761) % 1_000_000_007) as i64
}

/// The j-th id of the `IN` list.
pub fn in_id(j: u64) -> i64 {
    ((j * 7919) % IN_ROWS + 1) as i64
}

pub fn array(n: u64) -> Vec<i64> {
    (0..n).map(gen_value).collect()
}

pub fn ids() -> Vec<i64> {
    (0..IN_IDS).map(in_id).collect()
}

/// `SELECT … IN (?,?,…,?)` with `n` placeholders.
pub fn in_params_sql(n: u64) -> String {
    let mut sql = String::with_capacity(48 + 2 * n as usize);
    sql.push_str("SELECT count(*), sum(v) FROM t WHERE id IN (");
    for j in 0..n {
        sql.push('?');
        sql.push(if j + 1 < n { ',' } else { ')' });
    }
    sql
}

pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The measured part, in a function of its own that
/// `valgrind --tool=callgrind --toggle-collect=bench_measured` can find.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn bench_measured(f: &mut dyn FnMut() -> Res<u64>) -> Res<u64> {
    std::hint::black_box(f())
}

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

/// Runs `f` as the measured part and prints the result line.
pub fn report(workload: &str, mut f: impl FnMut() -> Res<u64>) -> Res<()> {
    let c0 = cpu_ns();
    let t0 = Instant::now();
    let ck = bench_measured(&mut f)?;
    let wall = t0.elapsed().as_nanos() as u64;
    let cpu = cpu_ns() - c0;
    println!("{workload}\t{wall}\t{ck}\tcpu_ns={cpu}");
    Ok(())
}

/// `WORKLOAD N` from the command line.
pub fn args() -> (String, u64) {
    let mut a = std::env::args().skip(1);
    let w = a.next().expect("usage: WORKLOAD N");
    let n = a.next().expect("usage: WORKLOAD N").parse().expect("N");
    (w, n)
}
