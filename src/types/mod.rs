//! Conversions between Rust values and SQLite's five storage classes.
//!
//! [`ToSql`] turns a Rust value into something SQLite can bind;
//! [`FromSql`] reads a column back. They replace Python's adapters and
//! converters: implement them for your own types.
//!
//! ```
//! use ferrolite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
//! use ferrolite::{Connection, Result};
//!
//! #[derive(Debug, PartialEq)]
//! struct Point { x: f64, y: f64 }
//!
//! impl ToSql for Point {
//!     fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
//!         Ok(format!("{};{}", self.x, self.y).into())
//!     }
//! }
//! impl FromSql for Point {
//!     fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
//!         let s = value.as_str()?;
//!         let (x, y) = s.split_once(';').ok_or(ferrolite::types::FromSqlError::InvalidType)?;
//!         let parse = |v: &str| v.parse::<f64>().map_err(|e| ferrolite::types::FromSqlError::Other(Box::new(e)));
//!         Ok(Point { x: parse(x)?, y: parse(y)? })
//!     }
//! }
//!
//! let conn = Connection::open_in_memory()?;
//! let p: Point = conn.query_row("SELECT ?1", [Point { x: 4.0, y: -3.2 }], |r| r.get(0))?;
//! assert_eq!(p, Point { x: 4.0, y: -3.2 });
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::fmt;

#[cfg(feature = "chrono")]
pub mod chrono;
mod from_sql;
mod i128;
#[cfg(feature = "jiff")]
pub mod jiff;
#[cfg(any(feature = "time", feature = "jiff", feature = "uuid"))]
mod malformed;
pub mod pointer;
#[cfg(feature = "serde_json")]
pub mod serde_json;
#[cfg(feature = "time")]
pub mod time;
pub(crate) mod to_sql;
#[cfg(feature = "url")]
pub mod url;
#[cfg(feature = "uuid")]
pub mod uuid;
mod value;
mod value_ref;

/// `#[derive(ToSql, FromSql)]` (feature `derive`), beside the traits of the
/// same names, as serde does.
#[cfg(feature = "derive")]
pub use ferrolite_macros::{FromSql, ToSql};
pub use from_sql::{FromSql, FromSqlError, FromSqlResult};
pub use to_sql::{Binder, ToSql, ToSqlOutput};
pub use value::Value;
pub use value_ref::ValueRef;

/// SQL NULL, for binding: `conn.execute("INSERT INTO t VALUES (?1)", [Null])`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Null;

/// SQLite's fundamental datatypes (storage classes).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// NULL
    Null,
    /// 64-bit signed integer
    Integer,
    /// 64-bit IEEE float
    Real,
    /// UTF-8 text (SQLite does not enforce valid UTF-8)
    Text,
    /// bytes
    Blob,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Null => "Null",
            Type::Integer => "Integer",
            Type::Real => "Real",
            Type::Text => "Text",
            Type::Blob => "Blob",
        })
    }
}
