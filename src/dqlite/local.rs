//! Local helpers that let dqlite reuse ferrolite's own parameter binding
//! and row reading, with the exact same rules and errors as a local
//! connection.
//!
//! * Parameters: the SQL text's placeholders (found by a small tokenizer
//!   that skips literals, quoted names and comments) are copied, in order,
//!   into a `SELECT` prepared on a private in-memory SQLite database, so the
//!   local statement numbers and names its parameters exactly as the
//!   server will. The caller's [`Params`] are bound to it with ferrolite's
//!   usual machinery (count checks, named parameters, `ToSql`), and the
//!   values are read back by index, ready to be encoded.
//! * Rows: a decoded row is echoed through `SELECT ?1 AS "col1", …` on the
//!   same private database, which hands the caller a genuine
//!   [`crate::Row`]: `get` by index or name, `FromRow`, serde `from_row`
//!   all behave as for a local query. (What is lost: the declared column
//!   types of the server's table, which `Row` doesn't use for conversions.)

use std::cell::OnceCell;

use crate::types::Value;
use crate::{Connection, Error, Params, Result, Row, params_from_iter};

thread_local! {
    static LOCAL: OnceCell<Connection> = const { OnceCell::new() };
}

fn with_local<T>(f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    LOCAL.with(|cell| {
        if cell.get().is_none() {
            let conn = Connection::open_in_memory()?;
            conn.set_prepared_statement_cache_capacity(64);
            let _ = cell.set(conn);
        }
        match cell.get() {
            Some(conn) => f(conn),
            None => Err(Error::InvalidQuery),
        }
    })
}

/// The placeholders of `sql` (`?`, `?NNN`, `:name`, `@name`, `$name`), in
/// order of appearance, outside string literals, quoted identifiers and
/// comments.
pub(crate) fn placeholders(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let is_id = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' => {
                let close = c;
                i += 1;
                while i < b.len() {
                    if b[i] == close {
                        if b.get(i + 1) == Some(&close) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b'?' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push(&sql[start..i]);
            }
            b':' | b'@' | b'$' => {
                let start = i;
                i += 1;
                while i < b.len() && (is_id(b[i]) || b[i] == b'$') {
                    i += 1;
                }
                if i > start + 1 {
                    out.push(&sql[start..i]);
                }
            }
            _ if is_id(c) => {
                // An identifier or number: `$` inside it is part of it.
                while i < b.len() && (is_id(b[i]) || b[i] == b'$') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The values `params` gives the parameters of `sql`, by index (1-based
/// index `i` at position `i - 1`), with ferrolite's checks.
///
/// # Errors
/// As binding `params` to a local statement with the same parameters:
/// `InvalidParameterCount`, `MissingParameter`, `InvalidParameterName`,
/// `NamedParameterByPosition`, `ToSqlConversionFailure`, …
pub(crate) fn collect_params<P: Params>(sql: &str, params: P) -> Result<Vec<Value>> {
    let marks = placeholders(sql);
    with_local(|conn| {
        let list = if marks.is_empty() {
            "0".to_owned()
        } else {
            marks.join(", ")
        };
        let n = conn
            .prepare_cached(&format!("SELECT {list}"))?
            .parameter_count();
        let mut echo = format!("SELECT {list}");
        for i in 1..=n {
            echo.push_str(&format!(", ?{i}"));
        }
        let skip = marks.len().max(1);
        let mut stmt = conn.prepare_cached(&echo)?;
        stmt.query_row(params, |row| {
            (0..n).map(|i| row.get::<_, Value>(skip + i)).collect()
        })
    })
}

/// Runs `f` on a [`Row`] holding `values` under the names `columns`.
///
/// # Errors
/// Whatever `f` returns.
pub(crate) fn with_row<T>(
    columns: &[String],
    values: &[Value],
    f: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<T> {
    if columns.is_empty() || columns.len() != values.len() {
        return Err(Error::InvalidColumnIndex(columns.len()));
    }
    let mut sql = String::from("SELECT ");
    for (i, name) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("?{} AS \"{}\"", i + 1, name.replace('"', "\"\"")));
    }
    with_local(|conn| {
        let mut stmt = conn.prepare_cached(&sql)?;
        stmt.query_row(params_from_iter(values.iter()), f)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{named_params, params};

    #[test]
    fn finds_placeholders() {
        assert_eq!(
            placeholders("SELECT ?, ?5, :a, @b, $c, 'x?:y', \"q?\" -- ?\n /* :z */ [?], a$b"),
            ["?", "?5", ":a", "@b", "$c"]
        );
    }

    #[test]
    fn collects_positional_and_named() {
        let v = collect_params("INSERT INTO t VALUES (?1, ?2)", params![1, "a"]).unwrap();
        assert_eq!(v, [Value::Integer(1), Value::Text("a".into())]);
        let v = collect_params(
            "UPDATE t SET a = :a WHERE b = :b OR c = :a",
            named_params! {":b": 2.5, ":a": Option::<i32>::None},
        )
        .unwrap();
        assert_eq!(v, [Value::Null, Value::Real(2.5)]);
        let v = collect_params("SELECT ?3, ?", [1, 2, 3, 4]).unwrap();
        assert_eq!(v.len(), 4);
        assert!(matches!(
            collect_params("SELECT ?", [1, 2]),
            Err(Error::InvalidParameterCount(2, 1))
        ));
        assert!(matches!(
            collect_params("SELECT :a", named_params! {":b": 1}),
            Err(Error::InvalidParameterName(_))
        ));
        assert!(
            collect_params("SELECT * FROM nowhere", [])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn echoes_rows() {
        let cols = vec!["a".to_owned(), "b\"q".to_owned()];
        let vals = vec![Value::Integer(3), Value::Text("x".into())];
        let (a, b): (i64, String) =
            with_row(&cols, &vals, |r| Ok((r.get("a")?, r.get("b\"q")?))).unwrap();
        assert_eq!((a, b), (3, "x".to_owned()));
        let err = with_row(&cols, &vals, |r| r.get::<_, i64>(1)).unwrap_err();
        assert!(matches!(err, Error::InvalidColumnType(1, _, _)), "{err:?}");
    }
}
