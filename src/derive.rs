//! Derive macros (feature `derive`): `#[derive(FromRow)]`,
//! `#[derive(Params)]`, `#[derive(ToSql)]` and `#[derive(FromSql)]`.
//!
//! ```
//! use ferrolite::{Connection, FromRow, FromSql, Params, Result, ToSql};
//!
//! #[derive(Debug, PartialEq, ToSql, FromSql)]
//! struct UserId(i64); // a newtype: stored as its field
//!
//! #[derive(Debug, PartialEq, ToSql, FromSql)]
//! #[ferrolite(rename_all = "snake_case")]
//! enum Status { Active, OnLeave } // TEXT 'active', 'on_leave'
//!
//! #[derive(Debug, FromRow, Params)]
//! struct User {
//!     id: UserId,
//!     #[ferrolite(rename = "full_name")]
//!     name: String,
//!     status: Status,
//!     #[ferrolite(default)] // a query without an `email` column reads None
//!     email: Option<String>,
//!     #[ferrolite(skip)] // not a column: Default
//!     cached: Vec<u8>,
//! }
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE user (id INTEGER, full_name TEXT, status TEXT, email TEXT)")?;
//!     let ada = User { id: UserId(1), name: "Ada".into(), status: Status::OnLeave, email: None, cached: vec![] };
//!     // `&ada` binds :id, :full_name, :status, :email by name.
//!     conn.execute("INSERT INTO user VALUES (:id, :full_name, :status, :email)", &ada)?;
//!
//!     let mut stmt = conn.prepare("SELECT id, full_name, status FROM user")?;
//!     let users: Vec<User> = stmt.query_as([])?.collect::<Result<_>>()?;
//!     assert_eq!((&users[0].id, users[0].status == Status::OnLeave), (&UserId(1), true));
//!     assert_eq!(users[0].email, None);
//!
//!     let status: String = conn.query_row_as("SELECT status FROM user", [])?;
//!     assert_eq!(status, "on_leave");
//!     Ok(())
//! }
//! ```
//!
//! # `#[derive(FromRow)]`
//!
//! A struct with named fields reads each field from the column of the same
//! name (compared case-insensitively, as [`Row::get`] does); a tuple
//! struct reads field `i` from column `i`. Attributes:
//!
//! | attribute | on | effect |
//! |---|---|---|
//! | `#[ferrolite(rename = "col")]` | field | read column `col` |
//! | `#[ferrolite(rename_all = "camelCase")]` | struct | every field's column name in that case (`lowercase`, `UPPERCASE`, `PascalCase`, `camelCase`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `SCREAMING-KEBAB-CASE`) |
//! | `#[ferrolite(default)]` | field | a missing column reads `Default::default()` (a NULL still needs an `Option`) |
//! | `#[ferrolite(flatten)]` | field | a nested `FromRow` struct, read from the same row |
//! | `#[ferrolite(skip)]` | field | not read: `Default::default()` |
//! | `#[ferrolite(crate = "path")]` | struct | where ferrolite is, if renamed in `Cargo.toml` |
//!
//! **Names are resolved once per statement**: [`Statement::query_as`]
//! looks the columns up on the first row ([`FromRow::resolve_columns`])
//! and reads every row by position ([`FromRow::from_row_resolved`]), so a
//! derived struct costs what a hand-written `query_map` closure reading by
//! index costs. [`FromRow::from_row`] (what [`Row::get_as`],
//! [`Connection::query_row_as`] and `query_map(Person::from_row)` use)
//! looks them up on each call.
//!
//! A field that can't be read is [`Error::FromRowField`], naming the
//! struct, the field and the column, with the cause inside: a missing
//! column is `InvalidColumnName`, a NULL read as a plain type or a value of
//! the wrong type is `InvalidColumnType`, and so on. Its `{}` reads
//! `User.name (column "full_name"): Invalid column name: full_name`.
//!
//! # `#[derive(Params)]`
//!
//! `&T` becomes [`Params`](crate::Params): each named parameter of the
//! statement (`:x`, `@x` or `$x`) is bound to field `x` (`rename`,
//! `rename_all`, `skip` and `flatten` as above). Fields no parameter
//! names are ignored; a parameter no field fills, including a positional
//! `?`, is `Error::MissingParameter` naming it, and nothing runs. Values
//! are bound without copying for calls that finish before returning
//! (`execute`, `query_row`, …).
//!
//! # `#[derive(ToSql, FromSql)]`
//!
//! * A **newtype** (a struct of one field) is stored as its field:
//!   `struct Email(String)` is TEXT.
//! * An **enum of unit variants** is stored as TEXT: the variant's name,
//!   or `#[ferrolite(rename = "…")]` on the variant, or the container's
//!   `rename_all`. With `#[ferrolite(integer)]` on the enum it is stored as
//!   an INTEGER, its discriminant (`Variant as i64`).
//!
//! Reading a value no variant has is `Error::FromSqlConversionFailure`
//! whose source is an [`UnknownValue`] naming it: `unknown value "purple"
//! for Color (expected one of "red", "green")`.
//!
//! # Compile errors
//!
//! A field whose type lacks `FromSql` (or `ToSql` for `Params`) is an error
//! at that field's type; an enum with data, a union, a misspelled
//! attribute (with the valid ones listed and the closest suggested) are
//! errors at the offending token.

use std::error;
use std::fmt;

#[cfg(doc)]
use crate::{Connection, Error, FromRow, Row, Statement};

/// The source of the `FromSqlConversionFailure` for a stored value that no
/// variant of a `#[derive(FromSql)]` enum has.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnknownValue {
    /// The enum's name.
    pub type_name: &'static str,
    /// The value read, as SQL would write it (`'purple'` or `7`).
    pub value: String,
    /// The values the enum has, as SQL would write them.
    pub expected: Vec<String>,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown value {} for {} (expected one of {})",
            self.value,
            self.type_name,
            self.expected.join(", ")
        )
    }
}

impl error::Error for UnknownValue {}

#[cold]
fn quote_text(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\\\""))
}

/// What the generated code calls. Not a public API: it may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    use smallvec::SmallVec;

    use super::UnknownValue;
    /// `Params` is sealed; the derive implements it for `&T`.
    pub use crate::params::sealed::Sealed;
    use crate::statement::BorrowedBindings;
    use crate::types::{FromSql, FromSqlError, ToSql};
    use crate::{Error, FromRow, Result, Row, Statement};

    /// The position of column `name`, or `usize::MAX`.
    #[inline]
    pub fn column_position(stmt: &Statement<'_>, name: &str) -> usize {
        stmt.column_index(name).unwrap_or(usize::MAX)
    }

    /// `T::from_row` of a derived struct: resolves, then reads.
    #[inline]
    pub fn from_row_resolving<T: FromRow>(row: &Row<'_>) -> Result<T> {
        let mut columns = Vec::with_capacity(T::COLUMNS);
        T::resolve_columns(row.as_ref(), &mut columns);
        T::from_row_resolved(row, &columns)
    }

    /// Reads a field from its resolved column `idx`.
    #[inline(always)]
    pub fn read_field<T: FromSql>(
        row: &Row<'_>,
        idx: usize,
        type_name: &'static str,
        field: &'static str,
        column: &'static str,
    ) -> Result<T> {
        match row.get::<usize, T>(idx) {
            Ok(v) => Ok(v),
            Err(e) => Err(field_error(e, idx, type_name, field, column)),
        }
    }

    /// As [`read_field`], with `Default` for a missing column.
    #[inline(always)]
    pub fn read_field_or_default<T: FromSql + Default>(
        row: &Row<'_>,
        idx: usize,
        type_name: &'static str,
        field: &'static str,
        column: &'static str,
    ) -> Result<T> {
        if idx == usize::MAX {
            return Ok(T::default());
        }
        read_field(row, idx, type_name, field, column)
    }

    #[cold]
    #[inline(never)]
    fn field_error(
        error: Error,
        idx: usize,
        type_name: &'static str,
        field: &'static str,
        column: &'static str,
    ) -> Error {
        let error = if idx == usize::MAX {
            Error::InvalidColumnName(column.to_owned())
        } else {
            error
        };
        Error::FromRowField {
            type_name,
            field,
            column,
            error: Box::new(error),
        }
    }

    /// Reads a tuple struct's field from column `idx`.
    #[inline(always)]
    pub fn read_position<T: FromSql>(row: &Row<'_>, idx: usize) -> Result<T> {
        row.get::<usize, T>(idx)
    }

    /// `ColumnCountMismatch` unless the row has `reads` columns or more.
    #[inline]
    pub fn ensure_columns(row: &Row<'_>, reads: usize) -> Result<()> {
        if row.len() < reads {
            return Err(Error::ColumnCountMismatch {
                columns: row.len(),
                reads,
            });
        }
        Ok(())
    }

    /// `FromSqlError` for text no variant has.
    #[cold]
    pub fn unknown_text(type_name: &'static str, value: &str, expected: &[&str]) -> FromSqlError {
        FromSqlError::Other(Box::new(UnknownValue {
            type_name,
            value: super::quote_text(value),
            expected: expected.iter().map(|s| super::quote_text(s)).collect(),
        }))
    }

    /// `FromSqlError` for an integer no variant has.
    #[cold]
    pub fn unknown_integer(type_name: &'static str, value: i64, expected: &[i64]) -> FromSqlError {
        FromSqlError::Other(Box::new(UnknownValue {
            type_name,
            value: value.to_string(),
            expected: expected.iter().map(i64::to_string).collect(),
        }))
    }

    /// A struct whose fields bind named parameters (`#[derive(Params)]`,
    /// which also implements `Params` for `&T` through [`bind_in`] and
    /// [`with_bound`]).
    pub trait BindFields {
        /// Binds the field for parameter `name` (without its `:`, `@` or
        /// `$`); `Ok(false)` if no field has that name.
        ///
        /// # Errors
        /// The field's `ToSql` error.
        fn bind_field(&self, name: &str, binder: &mut FieldBinder<'_, '_>) -> Result<bool>;
    }

    /// One parameter being bound.
    pub struct FieldBinder<'a, 'conn> {
        stmt: &'a mut Statement<'conn>,
        idx: usize,
        borrow: bool,
    }

    impl FieldBinder<'_, '_> {
        /// Binds `value` to the parameter; `Ok(true)`.
        ///
        /// # Errors
        /// `value`'s `ToSql` error.
        #[inline]
        pub fn bind<T: ToSql + ?Sized>(&mut self, value: &T) -> Result<bool> {
            self.stmt.bind_one(self.idx, value, self.borrow)?;
            Ok(true)
        }
    }

    /// Binds every parameter of `stmt` from `value`'s fields.
    fn bind_fields<T: BindFields>(value: &T, stmt: &mut Statement<'_>, borrow: bool) -> Result<()> {
        for idx in 1..=stmt.parameter_count() {
            // Copied: binding needs `stmt` mutably.
            let mut name = SmallVec::<[u8; 32]>::new();
            if let Some(n) = stmt.stmt.bind_parameter_name(idx) {
                name.extend_from_slice(n.to_bytes());
            }
            let field = match name.split_first() {
                Some((b':' | b'@' | b'$', rest)) => std::str::from_utf8(rest).ok(),
                _ => None, // `?` or `?NNN`: no field binds a position
            };
            let bound = match field {
                Some(field) => value.bind_field(
                    field,
                    &mut FieldBinder {
                        stmt: &mut *stmt,
                        idx,
                        borrow,
                    },
                )?,
                None => false,
            };
            if !bound {
                return Err(missing(&name, idx));
            }
        }
        stmt.stmt.all_rebound();
        Ok(())
    }

    #[cold]
    fn missing(name: &[u8], idx: usize) -> Error {
        Error::MissingParameter(if name.is_empty() {
            format!("?{idx}")
        } else {
            String::from_utf8_lossy(name).into_owned()
        })
    }

    /// `Params::__bind_in` of a `#[derive(Params)]` struct.
    ///
    /// # Errors
    /// `MissingParameter` for a parameter no field fills; a field's
    /// `ToSql` error.
    #[inline]
    pub fn bind_in<T: BindFields>(value: &T, stmt: &mut Statement<'_>) -> Result<()> {
        bind_fields(value, stmt, false)
    }

    /// `Params::__with_bound` of a `#[derive(Params)]` struct.
    ///
    /// # Errors
    /// As [`bind_in`], and `run`'s.
    #[inline]
    pub fn with_bound<T, R, Run>(value: &T, stmt: &mut Statement<'_>, run: Run) -> Result<R>
    where
        T: BindFields,
        Run: FnOnce(&mut Statement<'_>) -> Result<R>,
    {
        // `value` (the borrowed values) outlives `guard`, which clears the
        // borrowed bindings when dropped.
        let guard = BorrowedBindings(stmt);
        bind_fields(value, guard.0, true)?;
        run(guard.0)
    }
}
