//! Throughput of moving data in and out: `iterdump`, restoring a dump with
//! `execute_batch`, `serialize`/`deserialize`, backup to a file, and
//! incremental BLOB I/O.
//!
//! Run (in `bench/`): `cargo run --release -p ferrolite-micro --bin dataio
//! [-- ROWS]` (default 200 000 rows of `(INTEGER PRIMARY KEY, TEXT, REAL,
//! 16-byte BLOB)` in a file database, default rollback journal). The BLOB
//! write includes the commit (journal and fsync) when the handle closes.

use std::io::{Read, Write as _};
use std::time::{Duration, Instant};

use ferrolite::backup::NO_PROGRESS;
use ferrolite::blob::ZeroBlob;
use ferrolite::{Connection, MAIN_DB, Result};

/// The best of `runs` timings of `f`.
fn best<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..runs {
        let start = Instant::now();
        let v = f()?;
        let t = start.elapsed();
        if best.as_ref().is_none_or(|(b, _)| t < *b) {
            best = Some((t, v));
        }
    }
    Ok(best.expect("runs > 0"))
}

fn main() -> Result<()> {
    let rows: i64 = std::env::args()
        .nth(1)
        .map_or(200_000, |a| a.parse().expect("ROWS"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("bench.db");
    let conn = Connection::open(&path)?;
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, r REAL, b BLOB)")?;
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO t SELECT i, printf('row %d it''s', i), i * 0.1, randomblob(16) FROM n",
        [rows],
    )?;
    let mb = |bytes: usize| bytes as f64 / 1e6;
    println!(
        "{rows} rows, {:.1} MB database",
        mb(std::fs::metadata(&path).unwrap().len() as usize)
    );

    let (t, (n, bytes)) = best(3, || {
        let (mut n, mut bytes) = (0usize, 0usize);
        for s in conn.iterdump() {
            n += 1;
            bytes += s?.len();
        }
        Ok((n, bytes))
    })?;
    println!(
        "iterdump            {:>8.1} ms  {n} statements, {:.1} MB, {:.0}k statements/s",
        t.as_secs_f64() * 1e3,
        mb(bytes),
        n as f64 / t.as_secs_f64() / 1e3
    );

    let mut script = Vec::new();
    conn.dump(&mut script).expect("dump");
    let script = String::from_utf8(script).expect("UTF-8");
    let (t, ()) = best(3, || Connection::open_in_memory()?.execute_batch(&script))?;
    println!("restore (batch)     {:>8.1} ms", t.as_secs_f64() * 1e3);

    let (t, image) = best(3, || conn.serialize_to_vec(MAIN_DB))?;
    println!(
        "serialize           {:>8.1} ms  {:.1} MB",
        t.as_secs_f64() * 1e3,
        mb(image.len())
    );
    let (t, ()) = best(3, || {
        Connection::open_in_memory()?.deserialize_copy(MAIN_DB, &image, false)
    })?;
    println!("deserialize         {:>8.1} ms", t.as_secs_f64() * 1e3);

    let copy = dir.path().join("copy.db");
    let (t, ()) = best(3, || conn.backup(MAIN_DB, &copy, NO_PROGRESS))?;
    println!("backup to a file    {:>8.1} ms", t.as_secs_f64() * 1e3);

    let len: usize = 64 << 20;
    conn.execute_batch("CREATE TABLE f (c BLOB)")?;
    conn.execute("INSERT INTO f VALUES (?1)", [ZeroBlob(len as u64)])?;
    let id = conn.last_insert_rowid();
    let mut chunk = vec![7u8; 1 << 16];
    let (t, ()) = best(3, || {
        let mut blob = conn.blob_open(MAIN_DB, "f", "c", id, false)?;
        for _ in 0..len / chunk.len() {
            blob.write_all(&chunk).expect("write");
        }
        Ok(())
    })?;
    println!(
        "blob write 64 MB    {:>8.1} ms  {:.0} MB/s",
        t.as_secs_f64() * 1e3,
        mb(len) / t.as_secs_f64()
    );
    let (t, ()) = best(3, || {
        let mut blob = conn.blob_open(MAIN_DB, "f", "c", id, true)?;
        let mut total = 0;
        loop {
            let n = blob.read(&mut chunk).expect("read");
            if n == 0 {
                break;
            }
            total += n;
        }
        assert_eq!(total, len);
        Ok(())
    })?;
    println!(
        "blob read 64 MB     {:>8.1} ms  {:.0} MB/s",
        t.as_secs_f64() * 1e3,
        mb(len) / t.as_secs_f64()
    );

    Ok(())
}
