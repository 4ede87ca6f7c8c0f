//! A client for [dqlite](https://dqlite.io) clusters: SQLite replicated
//! with Raft, reached over dqlite's wire protocol (version 1) in pure Rust
//! (`std::net`, no C library), with ferrolite's own `ToSql`/`FromSql`,
//! [`params!`](crate::params), [`FromRow`](crate::FromRow) and serde
//! support.
//!
//! ```no_run
//! use ferrolite::{dqlite, params};
//! let client = dqlite::Client::connect(["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"])?;
//! let conn = client.open("app")?; // finds the leader
//! conn.execute_batch("CREATE TABLE IF NOT EXISTS t (a INTEGER, b TEXT)")?;
//! conn.execute("INSERT INTO t VALUES (?1, ?2)", params![1, "a"])?;
//! let rows: Vec<(i64, String)> = conn.query_as("SELECT a, b FROM t", [])?;
//! let tx = conn.transaction()?;
//! tx.execute("DELETE FROM t WHERE a = ?1", [1])?;
//! tx.commit()?;
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! # Leader changes
//! Every request goes to the leader. When it stops (or answers "not
//! leader"), the next call looks for the new leader among the node
//! addresses, for at most [`ClientBuilder::leader_timeout`]:
//! * a request the server can't have run (not sent, or refused as "not
//!   leader") is sent again to the new leader;
//! * a read (`SELECT`/`VALUES` outside a transaction) whose connection broke
//!   before its first row is run again on the new leader;
//! * a write whose connection broke after it was sent has an **unknown
//!   outcome**: it may or may not have been committed. It is never sent
//!   again; the error answers [`Error::is_unknown_outcome`](crate::Error::is_unknown_outcome);
//! * a transaction whose connection broke before `COMMIT` was sent was
//!   rolled back by the cluster: its statements and `commit` fail with
//!   `SQLITE_ABORT_ROLLBACK` ([`is_rolled_back`]).
//!
//! # What differs from a local connection
//! No user functions, hooks, virtual tables or collations run on the
//! server; each call is a network round trip; an interrupt takes effect
//! between row batches.

mod client;
mod connection;
mod local;
pub mod protocol;
#[cfg(feature = "tokio")]
pub mod tokio;
mod wire;

pub use client::{Client, ClientBuilder, NodeMetadata};
pub use connection::{Connection, InterruptHandle, MappedRows, Row, Rows, Statement, Transaction};
pub use protocol::{NodeInfo, NodeRole};

use crate::Error;
use crate::ffi;
use wire::Fail;

/// dqlite's extended code: the node is not the leader (`SQLITE_IOERR |
/// 40 << 8`).
pub const SQLITE_IOERR_NOT_LEADER: i32 = ffi::SQLITE_IOERR | (40 << 8);
/// dqlite's extended code: leadership was lost while committing
/// (`SQLITE_IOERR | 41 << 8`).
pub const SQLITE_IOERR_LEADERSHIP_LOST: i32 = ffi::SQLITE_IOERR | (41 << 8);
/// ferrolite's extended code for a write whose outcome is unknown
/// (`SQLITE_IOERR | 200 << 8`; no SQLite or dqlite code uses it).
pub const UNKNOWN_OUTCOME: i32 = crate::error::DQLITE_UNKNOWN_OUTCOME;

/// Whether `err` reports a transaction the cluster rolled back because
/// the connection to the leader was lost (`SQLITE_ABORT_ROLLBACK`).
pub fn is_rolled_back(err: &Error) -> bool {
    err.sqlite_extended_error_code() == Some(ffi::SQLITE_ABORT_ROLLBACK)
}

fn sqlite_err(code: i32, message: String) -> Error {
    Error::SqliteFailure(ffi::Error::new(code), Some(message))
}

pub(crate) fn unknown_outcome(why: &str) -> Error {
    sqlite_err(
        UNKNOWN_OUTCOME,
        format!("dqlite: outcome unknown, the write may or may not be committed ({why})"),
    )
}

pub(crate) fn rolled_back(why: &str) -> Error {
    sqlite_err(
        ffi::SQLITE_ABORT_ROLLBACK,
        format!("dqlite: transaction rolled back: connection to the leader lost ({why})"),
    )
}

pub(crate) fn io_err(message: String) -> Error {
    sqlite_err(ffi::SQLITE_IOERR, message)
}

/// A failure as a ferrolite error (for failures the retry logic doesn't
/// handle).
pub(crate) fn fail_to_error(f: Fail) -> Error {
    match f {
        Fail::Server { code, message } => {
            sqlite_err(i32::try_from(code).unwrap_or(ffi::SQLITE_ERROR), message)
        }
        Fail::Proto(e) => sqlite_err(ffi::SQLITE_PROTOCOL, e.to_string()),
        Fail::NotSent(e) | Fail::Lost(e) => io_err(format!("dqlite: connection lost: {e}")),
    }
}
