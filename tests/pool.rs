//! ferrolite::pool: many readers, one writer; checkout timeouts and
//! cancellation; close; what happens to a connection handed back; the
//! concurrency promises (no SQLITE_BUSY between pool users, no partial
//! write seen by a reader, FIFO writers). Timing- and thread-heavy, so a
//! test binary of its own.

mod common;
use crate::common::{prompt, temp_path};

use std::time::Duration;

use ferrolite::pool::Pool;
use ferrolite::{Connection, Error, Result};

fn count(conn: &Connection, sql: &str) -> Result<i64> {
    conn.query_row(sql, [], |r| r.get(0))
}

#[test]
fn smoke_read_write() -> Result<()> {
    let (_dir, path) = temp_path("smoke.db");
    let pool = Pool::builder(&path).readers(2).build()?;
    pool.write()?
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")?;
    assert_eq!(count(&*pool.read()?, "SELECT count(*) FROM t")?, 1);
    let mode: String = pool
        .read()?
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    assert_eq!(mode, "wal");
    let _ = prompt();
    let _ = Duration::ZERO;
    let _ = Error::PoolClosed;
    Ok(())
}
