//! `PRAGMA` helpers: read and set pragmas without building SQL by hand.
//!
//! The schema is an `Option<&str>`, as in rusqlite: `None` for the default
//! (every schema, or `main`, depending on the pragma), `Some("aux")` for
//! one. [`MAIN_DB`](crate::MAIN_DB) and [`TEMP_DB`](crate::TEMP_DB) deref
//! to `str`, so `Some(MAIN_DB)` fits too. It is not a generic
//! `Option<N: Name>` on purpose: that would make the common bare `None` a
//! "type annotations needed" error.
//!
//! ```
//! use ferrolite::Connection;
//! let conn = Connection::open_in_memory()?;
//! conn.pragma_update(None, "user_version", 7)?;
//! let v: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
//! assert_eq!(v, 7);
//! # Ok::<(), ferrolite::Error>(())
//! ```

use crate::name::quote_identifier;
use crate::types::{ToSql, ToSqlOutput, ValueRef};
use crate::{Connection, Error, Result, Row, ffi};

/// Builds `PRAGMA [schema.]name` with the schema quoted and the pragma name
/// checked to be a plain identifier.
fn pragma_sql(schema_name: Option<&str>, pragma_name: &str) -> Result<String> {
    let valid = !pragma_name.is_empty()
        && pragma_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !pragma_name.as_bytes()[0].is_ascii_digit();
    if !valid {
        return Err(Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_MISUSE),
            Some(format!("invalid pragma name {pragma_name:?}")),
        ));
    }
    let mut sql = String::from("PRAGMA ");
    if let Some(schema) = schema_name {
        sql.push_str(&quote_identifier(schema));
        sql.push('.');
    }
    sql.push_str(pragma_name);
    Ok(sql)
}

/// Appends a pragma value as an SQL literal.
fn push_value(sql: &mut String, value: &dyn ToSql) -> Result<()> {
    let out = value.to_sql()?;
    let v = match out {
        ToSqlOutput::Borrowed(v) => v,
        ToSqlOutput::Owned(ref v) => ValueRef::from(v),
        _ => {
            return Err(Error::ToSqlConversionFailure(
                "unsupported pragma value".into(),
            ));
        }
    };
    match v {
        ValueRef::Integer(i) => sql.push_str(&i.to_string()),
        ValueRef::Real(f) => sql.push_str(&format!("{f:?}")),
        ValueRef::Text(t) => {
            let s =
                std::str::from_utf8(t).map_err(|e| Error::ToSqlConversionFailure(Box::new(e)))?;
            sql.push('\'');
            sql.push_str(&s.replace('\'', "''"));
            sql.push('\'');
        }
        ValueRef::Null | ValueRef::Blob(_) => {
            return Err(Error::ToSqlConversionFailure(
                "pragma values must be integers, reals or text".into(),
            ));
        }
    }
    Ok(())
}

impl Connection {
    /// `PRAGMA [schema.]name` returning a single value.
    ///
    /// # Errors
    /// An invalid pragma name, SQLite errors, `QueryReturnedNoRows`.
    pub fn pragma_query_value<T, F>(
        &self,
        schema_name: Option<&str>,
        pragma_name: &str,
        f: F,
    ) -> Result<T>
    where
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let sql = pragma_sql(schema_name, pragma_name)?;
        self.query_row(&sql, [], f)
    }

    /// `PRAGMA [schema.]name` returning one value read as `T`.
    ///
    /// # Errors
    /// As [`pragma_query_value`](Self::pragma_query_value).
    pub fn pragma_query_one<T: crate::types::FromSql>(
        &self,
        schema_name: Option<&str>,
        pragma_name: &str,
    ) -> Result<T> {
        let sql = pragma_sql(schema_name, pragma_name)?;
        self.one_column(&sql, [])
    }

    /// `PRAGMA [schema.]name`, calling `f` for every row.
    ///
    /// # Errors
    /// An invalid pragma name, SQLite errors, or `f`'s error.
    pub fn pragma_query<F>(
        &self,
        schema_name: Option<&str>,
        pragma_name: &str,
        mut f: F,
    ) -> Result<()>
    where
        F: FnMut(&Row<'_>) -> Result<()>,
    {
        let sql = pragma_sql(schema_name, pragma_name)?;
        let mut stmt = self.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            f(row)?;
        }
        Ok(())
    }

    /// `PRAGMA [schema.]name(value)`, calling `f` for every row (for
    /// pragmas like `table_info(t)`).
    ///
    /// # Errors
    /// As [`pragma_query`](Self::pragma_query).
    pub fn pragma<F, V>(
        &self,
        schema_name: Option<&str>,
        pragma_name: &str,
        pragma_value: V,
        mut f: F,
    ) -> Result<()>
    where
        F: FnMut(&Row<'_>) -> Result<()>,
        V: ToSql,
    {
        let mut sql = pragma_sql(schema_name, pragma_name)?;
        sql.push('(');
        push_value(&mut sql, &pragma_value)?;
        sql.push(')');
        let mut stmt = self.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            f(row)?;
        }
        Ok(())
    }

    /// `PRAGMA [schema.]name = value`.
    ///
    /// # Errors
    /// An invalid name or value, or SQLite errors.
    pub fn pragma_update<V>(
        &self,
        schema_name: Option<&str>,
        pragma_name: &str,
        pragma_value: V,
    ) -> Result<()>
    where
        V: ToSql,
    {
        let mut sql = pragma_sql(schema_name, pragma_name)?;
        sql.push_str(" = ");
        push_value(&mut sql, &pragma_value)?;
        self.execute_batch(&sql)
    }

    /// `PRAGMA [schema.]name = value`, returning the row the pragma answers
    /// with (e.g. `journal_mode`).
    ///
    /// # Errors
    /// As [`pragma_update`](Self::pragma_update), or `QueryReturnedNoRows`.
    pub fn pragma_update_and_check<F, T, V>(
        &self,
        schema_name: Option<&str>,
        pragma_name: &str,
        pragma_value: V,
        f: F,
    ) -> Result<T>
    where
        F: FnOnce(&Row<'_>) -> Result<T>,
        V: ToSql,
    {
        let mut sql = pragma_sql(schema_name, pragma_name)?;
        sql.push_str(" = ");
        push_value(&mut sql, &pragma_value)?;
        self.query_row(&sql, [], f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pragma_sql_quotes_schema_and_rejects_bad_names() {
        assert_eq!(
            pragma_sql(Some("ma\"in"), "user_version").unwrap(),
            "PRAGMA \"ma\"\"in\".user_version"
        );
        assert!(pragma_sql(None, "user_version; DROP TABLE x").is_err());
        assert!(pragma_sql(None, "").is_err());
    }

    #[test]
    fn builtin_schema_constants_fit_the_schema_argument() -> Result<()> {
        use crate::{MAIN_DB, TEMP_DB};
        let conn = Connection::open_in_memory()?;
        conn.pragma_update(Some(MAIN_DB), "user_version", 3)?;
        let v: i64 = conn.pragma_query_value(Some(MAIN_DB), "user_version", |r| r.get(0))?;
        assert_eq!(v, 3);
        assert_eq!(conn.pragma_query_one::<i64>(None, "user_version")?, 3);
        let _: i64 = conn.pragma_query_one(Some(TEMP_DB), "page_size")?;
        assert!(
            conn.pragma_query_one::<i64>(Some("nope"), "page_size")
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn values_are_literals() {
        let mut s = String::new();
        push_value(&mut s, &"it's").unwrap();
        assert_eq!(s, "'it''s'");
        let mut s = String::new();
        assert!(push_value(&mut s, &vec![1u8]).is_err());
    }
}
