//! The migration workloads, shared word for word by the ferrolite and the
//! rusqlite_migration program: each `main.rs` only says which crates
//! `crate::sql` and `crate::mig` are.
//!
//! Usage: bench-migrate-<contender> WORKLOAD REPS DATADIR
//! Prints one line: WORKLOAD<TAB>median nanoseconds per run<TAB>checksum
//!
//! The list: 100 steps, step k is `CREATE TABLE tk(a, b, c);` with down
//! `DROP TABLE tk;` (rusqlite_migration's own benchmark list).
//! - `memory`: `to_latest` on a fresh in-memory database (the libraries'
//!   own cost: SQLite parses and runs 100 CREATE TABLEs in both).
//! - `memory_fk`: the same, but steps 2..100 each create a table with a
//!   foreign key to t1 and insert a row, and every step asks for
//!   `foreign_key_check()` (rusqlite_migration checks only when asked;
//!   ferrolite after every step of a schema with foreign keys).
//! - `file`: `to_latest` on a fresh database file (default journal mode
//!   and synchronous=FULL: the commit's writes and fsyncs included).
//! - `noop`: `to_latest` on a database already at the latest version
//!   (what every start of an application pays), per call.
//! - `down`: `to_version(0)` from the latest version, in memory.

use crate::mig::{M, Migrations};
use crate::sql::Connection;
use std::error::Error;
use std::path::Path;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn Error>>;

const STEPS: usize = 100;

fn list(fk: bool) -> Migrations<'static> {
    let steps: Vec<M<'static>> = (1..=STEPS)
        .map(|k| {
            let sql = match (fk, k) {
                (false, _) => format!("CREATE TABLE t{k}(a, b, c);"),
                (true, 1) => "CREATE TABLE t1(id INTEGER PRIMARY KEY, a, b, c);".to_owned(),
                (true, _) => format!(
                    "CREATE TABLE t{k}(a, b, c, p INTEGER REFERENCES t1(id)); \
                     INSERT INTO t{k}(a, p) VALUES (1, NULL);"
                ),
            };
            let up: &'static str = Box::leak(sql.into_boxed_str());
            let down: &'static str = Box::leak(format!("DROP TABLE t{k};").into_boxed_str());
            let m = M::up(up).down(down);
            // rusqlite_migration checks foreign keys only when asked;
            // ferrolite always does (the call changes nothing there).
            if fk { m.foreign_key_check() } else { m }
        })
        .collect();
    Migrations::new(steps)
}

fn checksum(conn: &Connection) -> Res<i64> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    Ok(v * 1000 + n)
}

fn median(mut xs: Vec<u128>) -> u128 {
    xs.sort_unstable();
    xs[xs.len() / 2]
}

fn run(workload: &str, reps: usize, dir: &Path) -> Res<(u128, i64)> {
    let ms = list(workload == "memory_fk");
    let mut times = Vec::with_capacity(reps);
    let mut ck = 0;
    for _ in 0..reps {
        match workload {
            "memory" | "memory_fk" => {
                let mut conn = Connection::open_in_memory()?;
                let t = Instant::now();
                ms.to_latest(&mut conn)?;
                times.push(t.elapsed().as_nanos());
                ck = checksum(&conn)?;
            }
            "file" => {
                let path = dir.join("migrate-bench.db");
                let _ = std::fs::remove_file(&path);
                let mut conn = Connection::open(&path)?;
                let t = Instant::now();
                ms.to_latest(&mut conn)?;
                times.push(t.elapsed().as_nanos());
                ck = checksum(&conn)?;
                drop(conn);
                std::fs::remove_file(&path)?;
            }
            "noop" => {
                let mut conn = Connection::open_in_memory()?;
                ms.to_latest(&mut conn)?;
                const CALLS: u128 = 1000;
                let t = Instant::now();
                for _ in 0..CALLS {
                    ms.to_latest(&mut conn)?;
                }
                times.push(t.elapsed().as_nanos() / CALLS);
                ck = checksum(&conn)?;
            }
            "down" => {
                let mut conn = Connection::open_in_memory()?;
                ms.to_latest(&mut conn)?;
                let t = Instant::now();
                ms.to_version(&mut conn, 0)?;
                times.push(t.elapsed().as_nanos());
                ck = checksum(&conn)?;
            }
            other => return Err(format!("unknown workload {other}").into()),
        }
    }
    Ok((median(times), ck))
}

pub fn main(contender: &str) {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: bench-migrate-{contender} WORKLOAD REPS DATADIR");
        std::process::exit(2);
    }
    let reps: usize = args[2].parse().expect("REPS is a number");
    match run(&args[1], reps.max(1), Path::new(&args[3])) {
        Ok((ns, ck)) => println!("{}\t{ns}\t{ck}", args[1]),
        Err(e) => {
            eprintln!("{contender} {}: {e}", args[1]);
            std::process::exit(1);
        }
    }
}
