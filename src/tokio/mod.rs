//! Async access for tokio programs (feature `tokio`): a [`Connection`] on
//! a thread of its own, driven by closures sent to it, and a [`Pool`] of
//! one writer and many readers (the [synchronous pool](crate::pool) made
//! async).
//!
//! SQLite calls block, so they never run on the runtime's threads: each
//! [`Connection`] owns one OS thread, and [`Connection::call`] sends a
//! closure there and awaits its answer over a `tokio::sync::oneshot`
//! channel (only tokio's `sync` feature is needed; any runtime works).
//!
//! **Dropping a call's future cancels its work.** A `tokio::time::timeout`
//! that expires, the losing branch of a `select!` or an aborted task
//! interrupts the statement the closure runs, makes its later statements
//! fail at once, and rolls back a transaction it left open; a closure that
//! had not started never runs. The cancel belongs to that one call: it can
//! never interrupt a later call, and the connection stays usable. A closure
//! that panics returns [`Error::CallPanicked`](crate::Error::CallPanicked)
//! and the connection's thread carries on.
//!
//! ```
//! use std::time::Duration;
//! use ferrolite::tokio::Connection;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ferrolite::Result<()> {
//! let conn = Connection::open_in_memory().await?;
//! conn.call(|c| {
//!     c.execute_batch("CREATE TABLE t (a INTEGER)")?;
//!     c.execute("INSERT INTO t VALUES (?1)", [7])
//! })
//! .await?;
//!
//! // A request with a time limit: a slow query is interrupted when the
//! // timeout drops its future.
//! let slow = conn.call(|c| {
//!     c.query_row(
//!         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
//!         [],
//!         |r| r.get::<_, i64>(0),
//!     )
//! });
//! assert!(tokio::time::timeout(Duration::from_millis(20), slow).await.is_err());
//!
//! let a: i64 = conn.call(|c| c.query_row("SELECT a FROM t", [], |r| r.get(0))).await?;
//! assert_eq!(a, 7);
//! conn.close().await?;
//! # Ok(())
//! # }
//! ```

pub(crate) mod call;
mod connection;
mod pool;

pub use connection::Connection;
pub use pool::{Pool, PoolBuilder};
