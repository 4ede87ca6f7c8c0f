//! Dump a database as SQL text that recreates it (Python's
//! `Connection.iterdump`, the sqlite3 shell's `.dump`).
//!
//! [`Connection::iterdump`] yields one complete SQL statement per item;
//! [`Connection::dump`] writes them, one per line, to any [`Write`]. Run
//! the text with [`Connection::execute_batch`] to restore it:
//!
//! ```
//! use ferrolite::{Connection, Result};
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch(
//!         "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, r REAL);
//!          INSERT INTO t VALUES (1, 'it''s', 0.1), (2, NULL, -0.0);",
//!     )?;
//!     let sql: Vec<String> = conn.iterdump().collect::<Result<_>>()?;
//!     assert_eq!(sql[0], "BEGIN TRANSACTION;");
//!     assert!(sql.contains(&r#"INSERT INTO "t" VALUES(1,'it''s',0.1);"#.to_string()));
//!     assert_eq!(sql.last().unwrap(), "COMMIT;");
//!
//!     let copy = Connection::open_in_memory()?;
//!     copy.execute_batch(&sql.join("\n"))?;
//!     let s: String = copy.query_row("SELECT s FROM t WHERE id = 1", [], |r| r.get(0))?;
//!     assert_eq!(s, "it's");
//!     Ok(())
//! }
//! ```
//!
//! # What the dump contains, in order
//!
//! 1. `PRAGMA foreign_keys=OFF;` only if `PRAGMA foreign_key_check` finds
//!    violations (as Python does), so the data restores as it is;
//! 2. `BEGIN TRANSACTION;`, then `PRAGMA defer_foreign_keys=ON;` if any
//!    table declares a foreign key: rows may then be inserted in any order
//!    (child before parent, self references) even where foreign keys are
//!    enforced, as they are by default in ferrolite; the setting ends with
//!    the transaction;
//! 3. every table of the `main` database in creation order: its `CREATE`
//!    statement as stored, then its rows as `INSERT`s. Rowids are kept
//!    (also for tables without an `INTEGER PRIMARY KEY`, unless columns
//!    named `rowid`, `_rowid_` and `oid` hide them all); generated columns
//!    are left for SQLite to compute. A virtual table gets its `CREATE
//!    VIRTUAL TABLE`, and its rows if it stores them in shadow tables (FTS,
//!    R*Tree): the module rebuilds its shadow tables, which are not dumped.
//!    `sqlite_stat1` is recreated by `ANALYZE sqlite_schema;` and filled;
//!    `sqlite_stat4` is left out (run `ANALYZE` again);
//! 4. indexes, then views, then triggers, each in creation order (views
//!    may name views created after them: SQLite checks a view's body only
//!    when it is used; triggers come last, so they don't fire while the
//!    data is loaded);
//! 5. `PRAGMA user_version` and `PRAGMA application_id` when not 0;
//! 6. the `sqlite_sequence` rows of `AUTOINCREMENT` tables, after the data
//!    (which moved them), as `DELETE` + `INSERT`s;
//! 7. `COMMIT;`.
//!
//! # Values
//!
//! Each value is written as a literal that reads back as exactly the same
//! value and storage class: integers in decimal (`i64::MIN` included);
//! REALs in the shortest form that converts back to the same bits (`0.1`,
//! `-0.0`, `5e-324`), infinities as `1e999` / `-1e999` (a NaN can't be
//! stored: SQLite turns it into NULL); TEXT as `'…'` with quotes doubled
//! (newlines are kept as they are), with NUL characters spliced in as
//! `char(0)` (`'a'||char(0)||'b'`, since a literal can't hold one), and
//! TEXT that is not valid UTF-8 as `CAST(X'…' AS TEXT)`, which restores the
//! same bytes into a UTF-8 database (the default); BLOBs as `X'…'`.
//!
//! # Consistency
//!
//! The dump reads one snapshot: when the connection has no transaction
//! open, `iterdump` begins a read transaction when iteration starts and
//! commits it when the iterator ends or is dropped (other connections'
//! writes wait or don't show meanwhile). Inside your own transaction it
//! reads what that transaction sees.
//!
//! An FTS5 table with external content (`content='tbl'`) is re-indexed from
//! the rows it reads; a *contentless* one (`content=''`) can't give its
//! rows back (SQLite keeps only the index), so they restore as NULLs and
//! its index is lost: rebuild it from your own data.
//!
//! Not dumped: the `temp` and attached databases, and database settings
//! such as `page_size`, `auto_vacuum`, `journal_mode` and the text
//! encoding, which a restore into an existing database could not change.

use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::iter::FusedIterator;

use crate::name::quote_identifier;
use crate::types::ValueRef;
use crate::{Connection, Result, Statement, ffi};

/// One part of a dump, decided when iteration starts.
enum Step {
    /// A statement to yield as is.
    Sql(String),
    /// The rows of a table: run `select`, yield `insert_prefix` +
    /// `VALUES(...)` for each row.
    Rows {
        select: String,
        insert_prefix: String,
    },
}

/// The rows of the table being dumped.
struct TableRows<'conn> {
    stmt: Statement<'conn>,
    insert_prefix: String,
    columns: usize,
}

/// The statements of a dump, one complete SQL statement per item, from
/// [`Connection::iterdump`].
///
/// The first error (for example a corrupt page or an interrupt) is
/// yielded as an `Err` item and ends the iteration.
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Dump<'conn> {
    conn: &'conn Connection,
    /// `None` until the first `next`.
    plan: Option<std::vec::IntoIter<Step>>,
    rows: Option<TableRows<'conn>>,
    /// We began the read transaction and must end it.
    began: bool,
    finished: bool,
}

impl Connection {
    /// The SQL statements that recreate the `main` database: its schema and
    /// data, wrapped in a transaction (Python's `Connection.iterdump`). See
    /// the [module docs](crate::dump) for exactly what is dumped and how.
    ///
    /// Nothing runs until the first item is read; errors are yielded as
    /// items.
    pub fn iterdump(&self) -> Dump<'_> {
        Dump {
            conn: self,
            plan: None,
            rows: None,
            began: false,
            finished: false,
        }
    }

    /// Writes the statements of [`iterdump`](Self::iterdump) to `out`, each
    /// followed by a newline: a script [`execute_batch`](Self::execute_batch)
    /// (or the `sqlite3` shell) restores.
    ///
    /// ```
    /// use ferrolite::Connection;
    /// let conn = Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (X'00FF');")?;
    /// let mut out = Vec::new();
    /// conn.dump(&mut out).unwrap();
    /// let text = String::from_utf8(out).unwrap();
    /// // No INTEGER PRIMARY KEY: the rowid is kept explicitly.
    /// assert!(text.contains("INSERT INTO \"t\"(rowid,\"x\") VALUES(1,X'00FF');\n"));
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// Errors of `out`, and database errors as an [`io::Error`] of kind
    /// `Other` wrapping the [`Error`](crate::Error) (get it back with
    /// `err.get_ref().and_then(|e| e.downcast_ref::<ferrolite::Error>())`).
    /// What was written before an error is not a complete dump.
    pub fn dump<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        for statement in self.iterdump() {
            let statement = statement.map_err(io::Error::other)?;
            out.write_all(statement.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

impl Iterator for Dump<'_> {
    type Item = Result<String>;

    fn next(&mut self) -> Option<Result<String>> {
        if self.finished {
            return None;
        }
        match self.advance() {
            Ok(Some(sql)) => Some(Ok(sql)),
            Ok(None) => {
                self.finished = true;
                self.end_read().err().map(Err)
            }
            Err(e) => {
                self.finished = true;
                self.rows = None;
                let _ = self.end_read();
                Some(Err(e))
            }
        }
    }
}

impl FusedIterator for Dump<'_> {}

impl Drop for Dump<'_> {
    fn drop(&mut self) {
        self.rows = None;
        let _ = self.end_read();
    }
}

impl fmt::Debug for Dump<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dump")
            .field("started", &self.plan.is_some())
            .field("finished", &self.finished)
            .finish()
    }
}

impl<'conn> Dump<'conn> {
    /// The next statement, `None` at the end.
    fn advance(&mut self) -> Result<Option<String>> {
        if self.plan.is_none() {
            let plan = self.start()?;
            self.plan = Some(plan.into_iter());
        }
        loop {
            if let Some(rows) = &self.rows {
                match rows.stmt.step_raw() {
                    ffi::SQLITE_ROW => return Ok(Some(rows.format_row())),
                    ffi::SQLITE_DONE => self.rows = None,
                    rc => return Err(rows.stmt.error(rc)),
                }
            }
            let Some(plan) = self.plan.as_mut() else {
                return Ok(None);
            };
            match plan.next() {
                None => return Ok(None),
                Some(Step::Sql(sql)) => return Ok(Some(sql)),
                Some(Step::Rows {
                    select,
                    insert_prefix,
                }) => {
                    let stmt = self.conn.prepare(&select)?;
                    let columns = stmt.column_count();
                    self.rows = Some(TableRows {
                        stmt,
                        insert_prefix,
                        columns,
                    });
                }
            }
        }
    }

    /// Commits the read transaction `start` began, if it is still open.
    fn end_read(&mut self) -> Result<()> {
        if !std::mem::take(&mut self.began) || self.conn.is_autocommit() {
            return Ok(());
        }
        // COMMIT, not ROLLBACK: writes the caller made through this
        // connection meanwhile were meant to be kept, as they would have
        // been without our transaction.
        self.conn.execute_batch("COMMIT").inspect_err(|_| {
            let _ = self.conn.execute_batch("ROLLBACK");
        })
    }

    /// Opens the read transaction and plans the dump from the schema.
    fn start(&mut self) -> Result<Vec<Step>> {
        let conn = self.conn;
        if conn.is_autocommit() {
            conn.execute_batch("BEGIN DEFERRED")?;
            self.began = true;
        }

        let entries = schema_entries(conn)?;
        let tables = table_list(conn)?;
        let shadow: Vec<&str> = tables
            .iter()
            .filter(|t| t.kind == "shadow")
            .map(|t| t.name.as_str())
            .collect();

        let mut plan = Vec::new();
        let violations = conn
            .prepare("PRAGMA main.foreign_key_check")
            .and_then(|mut s| s.exists([]))
            .unwrap_or(true);
        if violations {
            plan.push(Step::Sql("PRAGMA foreign_keys=OFF;".to_owned()));
        }
        plan.push(Step::Sql("BEGIN TRANSACTION;".to_owned()));
        let has_foreign_keys = entries
            .iter()
            .any(|e| e.kind == "table" && e.sql.to_ascii_lowercase().contains("references"));
        if has_foreign_keys && !violations {
            plan.push(Step::Sql("PRAGMA defer_foreign_keys=ON;".to_owned()));
        }

        // Tables whose indexes and triggers are not dumped either.
        let mut skipped: HashSet<String> = HashSet::new();
        let mut has_sequence = false;
        let (mut indexes, mut views, mut triggers) = (Vec::new(), Vec::new(), Vec::new());
        for e in &entries {
            let lower = e.name.to_ascii_lowercase();
            match e.kind.as_str() {
                "table" => {
                    let info = tables.iter().find(|t| t.name == e.name);
                    if lower == "sqlite_sequence" {
                        has_sequence = true;
                    } else if lower == "sqlite_stat1" {
                        plan.push(Step::Sql("ANALYZE sqlite_schema;".to_owned()));
                        plan.push(rows_step(conn, &e.name, false, false)?);
                    } else if lower.starts_with("sqlite_")
                        || info.is_some_and(|t| t.kind == "shadow")
                    {
                        skipped.insert(lower);
                    } else if info.is_some_and(|t| t.kind == "virtual")
                        || starts_with_ignore_case(&e.sql, "CREATE VIRTUAL TABLE")
                    {
                        plan.push(Step::Sql(format!("{};", e.sql)));
                        let prefix = format!("{}_", lower);
                        if shadow
                            .iter()
                            .any(|s| s.to_ascii_lowercase().starts_with(&prefix))
                        {
                            plan.push(rows_step(conn, &e.name, true, false)?);
                        }
                    } else {
                        plan.push(Step::Sql(format!("{};", e.sql)));
                        let without_rowid = info.is_some_and(|t| t.without_rowid);
                        plan.push(rows_step(conn, &e.name, false, without_rowid)?);
                    }
                }
                "index" => indexes.push(e),
                "view" => views.push(e),
                "trigger" => triggers.push(e),
                _ => {}
            }
        }
        for e in indexes.into_iter().chain(views).chain(triggers) {
            if !skipped.contains(&e.tbl_name.to_ascii_lowercase()) {
                plan.push(Step::Sql(format!("{};", e.sql)));
            }
        }

        for pragma in ["user_version", "application_id"] {
            let v: i64 = conn.query_row(&format!("PRAGMA main.{pragma}"), [], |r| r.get(0))?;
            if v != 0 {
                plan.push(Step::Sql(format!("PRAGMA {pragma}={v};")));
            }
        }

        if has_sequence {
            let mut stmt = conn.prepare("SELECT name, seq FROM main.sqlite_sequence")?;
            let mut rows = stmt.query([])?;
            let mut first = true;
            while let Some(row) = rows.next()? {
                if first {
                    plan.push(Step::Sql(r#"DELETE FROM "sqlite_sequence";"#.to_owned()));
                    first = false;
                }
                let mut sql = String::from(r#"INSERT INTO "sqlite_sequence" VALUES("#);
                push_literal(&mut sql, row.get_ref(0)?);
                sql.push(',');
                push_literal(&mut sql, row.get_ref(1)?);
                sql.push_str(");");
                plan.push(Step::Sql(sql));
            }
        }
        plan.push(Step::Sql("COMMIT;".to_owned()));
        Ok(plan)
    }
}

impl TableRows<'_> {
    fn format_row(&self) -> String {
        let mut sql = String::with_capacity(self.insert_prefix.len() + 16 * self.columns);
        sql.push_str(&self.insert_prefix);
        sql.push_str("VALUES(");
        for i in 0..self.columns {
            if i > 0 {
                sql.push(',');
            }
            push_literal(&mut sql, self.stmt.stmt.value_ref(i));
        }
        sql.push_str(");");
        sql
    }
}

/// A row of `sqlite_schema`.
struct SchemaEntry {
    kind: String,
    name: String,
    tbl_name: String,
    sql: String,
}

fn schema_entries(conn: &Connection) -> Result<Vec<SchemaEntry>> {
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM main.sqlite_schema \
         WHERE sql IS NOT NULL ORDER BY rowid",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(SchemaEntry {
            kind: r.get(0)?,
            name: r.get(1)?,
            tbl_name: r.get(2)?,
            sql: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// A row of `PRAGMA table_list` for the `main` database.
struct TableInfo {
    name: String,
    /// `table`, `view`, `shadow` or `virtual`.
    kind: String,
    without_rowid: bool,
}

fn table_list(conn: &Connection) -> Result<Vec<TableInfo>> {
    let mut stmt =
        conn.prepare("SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main'")?;
    let rows = stmt.query_map([], |r| {
        Ok(TableInfo {
            name: r.get(0)?,
            kind: r.get(1)?,
            without_rowid: r.get(2)?,
        })
    })?;
    rows.collect()
}

/// A column from `PRAGMA table_xinfo`.
struct ColumnInfo {
    name: String,
    decl_type: String,
    /// 1-based position in the primary key, 0 if not in it.
    pk: i64,
    /// 0 for an ordinary column; 1 hidden (virtual tables), 2 or 3 generated.
    hidden: i64,
}

fn columns(conn: &Connection, table: &str) -> Result<Vec<ColumnInfo>> {
    let mut stmt =
        conn.prepare("SELECT name, type, pk, hidden FROM pragma_table_xinfo(?1, 'main')")?;
    let rows = stmt.query_map([table], |r| {
        Ok(ColumnInfo {
            name: r.get(0)?,
            decl_type: r.get(1)?,
            pk: r.get(2)?,
            hidden: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// The name under which to select and insert the rowid of `table`, or
/// `None` when the rowid needs no column of its own: `WITHOUT ROWID`, an
/// `INTEGER PRIMARY KEY` that is the rowid, or every alias taken by a
/// column.
fn rowid_name(
    conn: &Connection,
    table: &str,
    cols: &[ColumnInfo],
    without_rowid: bool,
) -> Result<Option<&'static str>> {
    if without_rowid {
        return Ok(None);
    }
    let pk: Vec<&ColumnInfo> = cols.iter().filter(|c| c.pk > 0).collect();
    if let [only] = pk[..] {
        if only.decl_type.eq_ignore_ascii_case("INTEGER") {
            // `INTEGER PRIMARY KEY DESC` is not a rowid alias: it gets an
            // index of origin 'pk', as any other primary key does.
            let pk_index: bool = conn.query_row(
                "SELECT count(*) > 0 FROM pragma_index_list(?1, 'main') WHERE origin = 'pk'",
                [table],
                |r| r.get(0),
            )?;
            if !pk_index {
                return Ok(None);
            }
        }
    }
    Ok(["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|alias| !cols.iter().any(|c| c.name.eq_ignore_ascii_case(alias))))
}

/// Plans dumping the rows of `table`. For a virtual table (`virtual`), the
/// rowid is kept if the table has one.
fn rows_step(
    conn: &Connection,
    table: &str,
    virtual_table: bool,
    without_rowid: bool,
) -> Result<Step> {
    let cols = columns(conn, table)?;
    let rowid = if virtual_table {
        let alias = ["rowid", "_rowid_", "oid"]
            .into_iter()
            .find(|alias| !cols.iter().any(|c| c.name.eq_ignore_ascii_case(alias)));
        // A virtual table may be WITHOUT ROWID: then its rowid can't be read.
        alias.filter(|a| {
            conn.prepare(&format!("SELECT {a} FROM main.{}", quote_identifier(table)))
                .is_ok()
        })
    } else {
        rowid_name(conn, table, &cols, without_rowid)?
    };
    let stored: Vec<&ColumnInfo> = cols.iter().filter(|c| c.hidden == 0).collect();
    let mut names: Vec<String> = Vec::with_capacity(stored.len() + 1);
    if let Some(r) = rowid {
        names.push(r.to_owned());
    }
    names.extend(stored.iter().map(|c| quote_identifier(&c.name)));
    let quoted_table = quote_identifier(table);
    let select = format!("SELECT {} FROM main.{quoted_table}", names.join(","));
    let all_columns = rowid.is_none() && stored.len() == cols.len();
    let insert_prefix = if all_columns {
        format!("INSERT INTO {quoted_table} ")
    } else {
        format!("INSERT INTO {quoted_table}({}) ", names.join(","))
    };
    Ok(Step::Rows {
        select,
        insert_prefix,
    })
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Appends `value` as an SQL literal that evaluates to exactly it.
pub(crate) fn push_literal(out: &mut String, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => out.push_str("NULL"),
        ValueRef::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        ValueRef::Real(f) => push_real(out, f),
        ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
            Ok(s) => push_text(out, s),
            Err(_) => {
                out.push_str("CAST(");
                push_hex(out, bytes);
                out.push_str(" AS TEXT)");
            }
        },
        ValueRef::Blob(bytes) => push_hex(out, bytes),
    }
}

/// REALs: the shortest decimal that parses back to the same bits (Rust's
/// `{:?}` always has a `.` or an exponent, so SQLite reads a REAL).
fn push_real(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NULL");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "1e999" } else { "-1e999" });
    } else {
        let _ = write!(out, "{f:?}");
    }
}

/// TEXT: a quoted literal, with runs of NULs spliced in as `char(0,...)`.
fn push_text(out: &mut String, s: &str) {
    if !s.contains('\0') {
        push_quoted(out, s);
        return;
    }
    // Pieces alternate between text and runs of NULs.
    let mut pieces: Vec<String> = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let nuls = rest.bytes().take_while(|&b| b == 0).count();
        if nuls > 0 {
            let mut p = String::from("char(");
            for i in 0..nuls {
                p.push_str(if i == 0 { "0" } else { ",0" });
            }
            p.push(')');
            pieces.push(p);
            rest = &rest[nuls..];
        } else {
            let len = rest.find('\0').unwrap_or(rest.len());
            let mut p = String::new();
            push_quoted(&mut p, &rest[..len]);
            pieces.push(p);
            rest = &rest[len..];
        }
    }
    push_concat(out, &pieces);
}

/// `a||b||c`, nested in balanced parentheses when long, so that SQLite's
/// expression depth limit (1000 by default) is never reached.
fn push_concat(out: &mut String, pieces: &[String]) {
    const FLAT: usize = 16;
    if pieces.len() <= FLAT {
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 {
                out.push_str("||");
            }
            out.push_str(p);
        }
    } else {
        let (left, right) = pieces.split_at(pieces.len() / 2);
        out.push('(');
        push_concat(out, left);
        out.push_str(")||(");
        push_concat(out, right);
        out.push(')');
    }
}

fn push_quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(bytes.len() * 2 + 3);
    out.push_str("X'");
    for &b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xF)] as char);
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(v: ValueRef<'_>) -> String {
        let mut s = String::new();
        push_literal(&mut s, v);
        s
    }

    #[test]
    fn literals() {
        assert_eq!(lit(ValueRef::Null), "NULL");
        assert_eq!(lit(ValueRef::Integer(i64::MIN)), "-9223372036854775808");
        assert_eq!(lit(ValueRef::Real(1.0)), "1.0");
        assert_eq!(lit(ValueRef::Real(-0.0)), "-0.0");
        assert_eq!(lit(ValueRef::Real(f64::INFINITY)), "1e999");
        assert_eq!(lit(ValueRef::Real(f64::NEG_INFINITY)), "-1e999");
        assert_eq!(lit(ValueRef::Real(f64::NAN)), "NULL");
        assert_eq!(lit(ValueRef::Text(b"it's")), "'it''s'");
        assert_eq!(lit(ValueRef::Text(b"")), "''");
        assert_eq!(
            lit(ValueRef::Text(b"a\0\0b\0")),
            "'a'||char(0,0)||'b'||char(0)"
        );
        assert_eq!(lit(ValueRef::Text(b"\0")), "char(0)");
        assert_eq!(lit(ValueRef::Text(b"\xff\x00")), "CAST(X'FF00' AS TEXT)");
        assert_eq!(lit(ValueRef::Blob(b"")), "X''");
        assert_eq!(lit(ValueRef::Blob(&[0, 0xAB, 0x10])), "X'00AB10'");
    }
}
