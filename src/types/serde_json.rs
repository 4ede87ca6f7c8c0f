//! [`ToSql`] and [`FromSql`] for [`serde_json::Value`] (feature
//! `serde_json`), as rusqlite stores it.
//!
//! | JSON | written as |
//! |---|---|
//! | `null` | NULL |
//! | a number that fits `i64` | INTEGER |
//! | another finite number | REAL (a `u64` above `i64::MAX` as its JSON text, exactly) |
//! | `true`, `false`, strings, arrays, objects | TEXT: the value's JSON text (`true`, `"text"`, `[1,2]`, …) |
//!
//! The TEXT is what SQLite's JSON functions take: `json_extract(col, '$.a')`,
//! `json_each(col)`, `col ->> '$.a'` all work on it. Reading turns NULL
//! into `null`, INTEGER and REAL into numbers, and parses TEXT as JSON; a
//! BLOB is read as SQLite's binary JSONB (what `jsonb()` returns), as
//! SQLite's JSON functions read it, or else parsed as JSON text (what
//! rusqlite reads from a BLOB). Numbers are parsed exactly, so a REAL
//! stored in a `TEXT` column (which SQLite converts to text with up to 17
//! digits) reads back bit for bit. Text that is not JSON —
//! including a bare word like `hello`, which is not a JSON string — is an
//! `Error::FromSqlConversionFailure` for the column with serde_json's
//! message; an infinite REAL (SQLite can hold one, JSON can't) is one too.
//!
//! ```
//! use ferrolite::{Connection, Result};
//! use serde_json::{Value, json};
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE doc (body TEXT)")?;
//!     let body = json!({"name": "ada", "langs": ["en", "fr"], "age": 36});
//!     conn.execute("INSERT INTO doc VALUES (?1)", [&body])?;
//!
//!     let (name, n): (String, i64) = conn.query_row_as(
//!         "SELECT body ->> '$.name', json_array_length(body, '$.langs') FROM doc",
//!         [],
//!     )?;
//!     assert_eq!((name.as_str(), n), ("ada", 2));
//!
//!     let back: Value = conn.query_row_as("SELECT body FROM doc", [])?;
//!     assert_eq!(back, body);
//!     Ok(())
//! }
//! ```

use serde_json::{Number, Value};

use crate::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use crate::{Error, Result};

mod jsonb;

/// NULL, INTEGER, REAL, or the value's JSON text.
impl ToSql for Value {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        match self {
            Value::Null => Ok(ToSqlOutput::Borrowed(ValueRef::Null)),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(ToSqlOutput::from(i))
                } else if n.is_f64() {
                    // A finite f64 (serde_json holds no others).
                    Ok(ToSqlOutput::from(n.as_f64().unwrap_or(f64::NAN)))
                } else {
                    // A u64 above i64::MAX: keep it exact as JSON text.
                    Ok(ToSqlOutput::from(n.to_string()))
                }
            }
            _ => serde_json::to_string(self)
                .map(ToSqlOutput::from)
                .map_err(|e| Error::ToSqlConversionFailure(Box::new(e))),
        }
    }
}

/// NULL → `null`, numbers → numbers, TEXT parsed as JSON, a BLOB parsed as
/// JSON text or JSONB.
impl FromSql for Value {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Null => Ok(Value::Null),
            ValueRef::Integer(i) => Ok(Value::Number(Number::from(i))),
            ValueRef::Real(f) => Number::from_f64(f).map(Value::Number).ok_or_else(|| {
                FromSqlError::Other(format!("the REAL {f} has no JSON representation").into())
            }),
            ValueRef::Text(t) => {
                serde_json::from_slice(t).map_err(|e| FromSqlError::Other(Box::new(e)))
            }
            // SQLite reads a BLOB as JSONB; some bytes are valid as both
            // (`5` `0` `.` `5` is the JSONB for 0.5 and the text 50.5), so
            // JSONB comes first.
            ValueRef::Blob(b) => match jsonb::decode(b) {
                Some(v) => Ok(v),
                None => serde_json::from_slice(b).map_err(|e| {
                    FromSqlError::Other(
                        format!("BLOB is neither valid JSONB nor JSON text ({e})").into(),
                    )
                }),
            },
        }
    }
}
