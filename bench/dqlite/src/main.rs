//! ferrolite's dqlite client on a running cluster:
//!
//!     bench-dqlite ADDR[,ADDR...] WORKLOAD N
//!
//! prints `WORKLOAD<TAB>N<TAB>seconds<TAB>ops_per_s<TAB>avg_ms<TAB>p50_ms<TAB>p99_ms`.
//! Workloads (one thread, one connection, as dqlite-benchmark's one worker):
//! * `insert_unprepared`: `conn.execute(sql, params)`, one row per
//!   transaction (each a Raft commit);
//! * `insert_prepared`: the same through one prepared statement;
//! * `insert_batched`: transactions of 100 rows through a prepared
//!   statement (N rows in all; latency is per transaction);
//! * `kvwrite`: dqlite-benchmark's kvwrite: a 32-byte key, a 1024-byte value,
//!   `INSERT OR REPLACE`, one per transaction, prepared;
//! * `point_select`: `stmt.query_row([key])` on a prepared statement, over
//!   10,000 rows (written first, not timed);
//! * `point_select_unprepared`: `conn.query_row(sql, [key])`;
//! * `kvread`: dqlite-benchmark's read: `SELECT value FROM model WHERE key
//!   = ?` (1024-byte values, 1,000 keys written first), prepared.
//!
//! bench/run-dqlite.sh also runs each workload under `strace` to count the
//! requests sent per operation.

use std::time::Instant;

use ferrolite::dqlite::{Client, Connection};
use ferrolite::params;

const ROWS: i64 = 10_000;

fn key(i: i64) -> String {
    format!("{:032x}", (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: bench-dqlite ADDR[,ADDR...] WORKLOAD N");
        std::process::exit(2);
    }
    let n: i64 = args[3].parse().expect("N");
    let client = Client::connect(args[1].split(',').map(str::to_owned)).expect("connect");
    let wl = args[2].as_str();
    let db = format!("bench_{wl}_{}", std::process::id());
    let conn = client.open(&db).expect("open");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT);
         CREATE TABLE IF NOT EXISTS model (key TEXT PRIMARY KEY, value TEXT)",
    )
    .expect("schema");
    let value = "v".repeat(1024);
    if wl.starts_with("point_select") {
        let tx = conn.transaction().expect("tx");
        {
            let mut ins = tx
                .prepare("INSERT INTO t VALUES (?1, ?2)")
                .expect("prepare");
            for i in 0..ROWS {
                ins.execute(params![i, key(i)]).expect("fill");
            }
        }
        tx.commit().expect("commit");
    }
    if wl == "kvread" {
        let tx = conn.transaction().expect("tx");
        {
            let mut ins = tx
                .prepare("INSERT OR REPLACE INTO model VALUES (?1, ?2)")
                .expect("prepare");
            for i in 0..1000 {
                ins.execute(params![key(i), value]).expect("fill");
            }
        }
        tx.commit().expect("commit");
    }
    let mut lat = Vec::with_capacity(n as usize);
    let mut check = 0i64;
    let start = Instant::now();
    let timed = |lat: &mut Vec<f64>, f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    };
    match wl {
        "insert_unprepared" => {
            for i in 0..n {
                timed(&mut lat, &mut || {
                    conn.execute("INSERT INTO t (id, v) VALUES (?1, ?2)", params![i, "x"])
                        .expect("insert");
                });
            }
        }
        "insert_prepared" => {
            let mut st = conn
                .prepare("INSERT INTO t (id, v) VALUES (?1, ?2)")
                .expect("prepare");
            for i in 0..n {
                timed(&mut lat, &mut || {
                    st.execute(params![i, "x"]).expect("insert");
                });
            }
        }
        "insert_batched" => {
            for b in 0..n / 100 {
                timed(&mut lat, &mut || {
                    let tx = conn.transaction().expect("tx");
                    {
                        let mut st = tx
                            .prepare("INSERT INTO t (id, v) VALUES (?1, ?2)")
                            .expect("prepare");
                        for i in b * 100..(b + 1) * 100 {
                            st.execute(params![i, "x"]).expect("insert");
                        }
                    }
                    tx.commit().expect("commit");
                });
            }
        }
        "kvwrite" => {
            let mut st = conn
                .prepare("INSERT OR REPLACE INTO model (key, value) VALUES (?1, ?2)")
                .expect("prepare");
            for i in 0..n {
                let k = key(i % 1000);
                timed(&mut lat, &mut || {
                    st.execute(params![k, value]).expect("kvwrite");
                });
            }
        }
        "point_select" => {
            let mut st = conn
                .prepare("SELECT v FROM t WHERE id = ?1")
                .expect("prepare");
            for j in 0..n {
                let id = (j * 7919) % ROWS;
                timed(&mut lat, &mut || {
                    let v: String = st.query_row([id], |r| r.get(0)).expect("select");
                    check += v.len() as i64;
                });
            }
        }
        "kvread" => {
            let mut st = conn
                .prepare("SELECT value FROM model WHERE key = ?1")
                .expect("prepare");
            for j in 0..n {
                let k = key((j * 7919) % 1000);
                timed(&mut lat, &mut || {
                    let v: String = st.query_row([&k], |r| r.get(0)).expect("kvread");
                    check += v.len() as i64 / 32;
                });
            }
        }
        "point_select_unprepared" => {
            let c: &Connection = &conn;
            for j in 0..n {
                let id = (j * 7919) % ROWS;
                timed(&mut lat, &mut || {
                    let v: String = c
                        .query_row("SELECT v FROM t WHERE id = ?1", [id], |r| r.get(0))
                        .expect("select");
                    check += v.len() as i64;
                });
            }
        }
        other => {
            eprintln!("unknown workload {other}");
            std::process::exit(2);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    if wl.starts_with("point_select") || wl == "kvread" {
        assert_eq!(check, 32 * n, "every lookup found its row");
    }
    let ops = if wl == "insert_batched" {
        n / 100 * 100
    } else {
        n
    };
    lat.sort_by(f64::total_cmp);
    let avg = lat.iter().sum::<f64>() / lat.len().max(1) as f64;
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "{wl}\t{ops}\t{secs:.3}\t{:.0}\t{avg:.3}\t{:.3}\t{:.3}",
        ops as f64 / secs,
        pct(0.5),
        pct(0.99)
    );
}
