//! `generate_series`, as rusqlite's `vtab::series` module registers it.
//!
//! ferrolite builds `generate_series(START, STOP, STEP)` into every
//! connection (SQLite's documented semantics; see `tests/extend/series.rs`),
//! so SQL using it runs without calling anything. [`load_module`] exists
//! for code written against rusqlite, where the table-valued function must
//! be registered first; it is cheap (one `sqlite3_create_module_v2`) and
//! may be called any number of times.
//!
//! ```
//! use ferrolite::Connection;
//! use ferrolite::vtab::series;
//!
//! let conn = Connection::open_in_memory()?;
//! series::load_module(&conn)?;
//! let v: Vec<i64> = conn
//!     .prepare("SELECT value FROM generate_series(0, 20, 5)")?
//!     .query_map([], |r| r.get(0))?
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(v, [0, 5, 10, 15, 20]);
//! // As in rusqlite's module, START may be left out: it defaults to 0.
//! let n: i64 = conn.query_row("SELECT count(*) FROM (SELECT value FROM generate_series LIMIT 5)", [], |r| r.get(0))?;
//! assert_eq!(n, 5);
//! # Ok::<(), ferrolite::Error>(())
//! ```

use crate::{Connection, Result};

/// Registers the `generate_series` table-valued function on `conn`, as
/// rusqlite's `vtab::series::load_module` does.
///
/// It re-registers ferrolite's built-in module under that name (restoring
/// it if another module took the name), in rusqlite's flavour: START may
/// be left out and then defaults to 0, where the built-in one (like
/// SQLite's own `series.c`) reports "first argument to generate_series()
/// missing or unusable". Everything else follows SQLite's documented
/// semantics, as the built-in does: a negative STEP counts down from
/// START to STOP (`generate_series(10, 0, -5)` is 10, 5, 0), where
/// rusqlite's module, after SQLite's older `series.c`, counts down from
/// STOP to START. Statements already prepared on `conn` are unaffected
/// until they are prepared again.
///
/// # Errors
/// Only what SQLite reports for `sqlite3_create_module_v2` (out of
/// memory).
pub fn load_module(conn: &Connection) -> Result<()> {
    crate::extend::generate_series::register_flavour(conn, true)
}
