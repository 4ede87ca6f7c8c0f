//! [`FromRow`]: whole rows into Rust types, without a closure per query.
//!
//! `FromRow` is implemented for every [`FromSql`] type (read from column 0)
//! and for tuples of up to 16 `FromSql` types (read by position), and you
//! can implement it for your own structs. [`Statement::query_as`] returns
//! the rows as a plain `Iterator<Item = Result<T>>` and
//! [`Connection::query_row_as`] reads the first row, and [`Row::get_as`]
//! reads the row a closure is given. With feature `derive`,
//! `#[derive(FromRow)]` implements it for a struct, by column name (names
//! looked up once per statement by `query_as`: see
//! [`FromRow::resolve_columns`]). With feature `serde`,
//! `ferrolite::serde::from_row` reads any `Deserialize` type by column
//! name instead.

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;

use crate::types::FromSql;
use crate::{Connection, Error, Params, Result, Row, Rows, Statement};

/// A Rust type built from a whole result row.
///
/// Implemented for every [`FromSql`] type (the value of column 0) and for
/// tuples of up to 16 `FromSql` types (column `i` into field `i`; columns
/// past the tuple's length are ignored; a row with fewer columns than the
/// tuple has fields is `Error::ColumnCountMismatch`, "The query has 2
/// columns, the type reads 3"). Implement it for your own types to use
/// them with [`Statement::query_as`] and [`Connection::query_row_as`].
///
/// ```
/// use ferrolite::{Connection, FromRow, Result, Row};
///
/// struct Person { id: i64, name: String, email: Option<String> }
///
/// impl FromRow for Person {
///     fn from_row(row: &Row<'_>) -> Result<Self> {
///         Ok(Person { id: row.get("id")?, name: row.get("name")?, email: row.get("email")? })
///     }
/// }
///
/// fn main() -> Result<()> {
///     let conn = Connection::open_in_memory()?;
///     conn.execute_batch(
///         "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, email TEXT);
///          INSERT INTO person (name, email) VALUES ('ada', NULL), ('grace', 'g@navy.mil');",
///     )?;
///     let mut stmt = conn.prepare("SELECT id, name, email FROM person ORDER BY id")?;
///     let pairs: Vec<(i64, String)> = stmt.query_as([])?.collect::<Result<_>>()?;
///     assert_eq!(pairs, [(1, "ada".to_string()), (2, "grace".to_string())]);
///
///     let people: Vec<Person> = stmt.query_as([])?.collect::<Result<_>>()?;
///     assert_eq!(people[1].email.as_deref(), Some("g@navy.mil"));
///
///     let count: i64 = conn.query_row_as("SELECT count(*) FROM person", [])?;
///     assert_eq!(count, 2);
///     Ok(())
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be read from a row: it doesn't implement `FromRow`",
    label = "`{Self}` doesn't implement `FromRow`",
    note = "read the columns as a tuple, `(A, B, ...)`, of types that implement `FromSql`",
    note = "or derive `serde::Deserialize` and use `query_deserialize` / `ferrolite::serde::from_row` (feature `serde`)",
    note = "or implement `FromRow` for `{Self}`, reading each column with `row.get(\"name\")?`"
)]
pub trait FromRow: Sized {
    /// Builds a value from `row`.
    ///
    /// # Errors
    /// Whatever reading the columns fails with: `InvalidColumnIndex`,
    /// `InvalidColumnName`, `InvalidColumnType`, `FromSqlConversionFailure`,
    /// … each naming the column.
    fn from_row(row: &Row<'_>) -> Result<Self>;

    /// How many column positions [`resolve_columns`](Self::resolve_columns)
    /// appends: 0 (the default) for types that read by position or look
    /// their columns up in `from_row`.
    ///
    /// `#[derive(FromRow)]` (feature `derive`) sets it to the number of
    /// columns a struct reads by name, so that [`Statement::query_as`]
    /// looks the names up once per statement rather than once per row.
    const COLUMNS: usize = 0;

    /// Appends the position of each column this type reads by name (or
    /// `usize::MAX` for a name the statement doesn't have), in the order
    /// [`from_row_resolved`](Self::from_row_resolved) expects; exactly
    /// [`COLUMNS`](Self::COLUMNS) of them. The default appends nothing.
    ///
    /// [`Statement::query_as`] calls it once, on the first row, and passes
    /// the positions to `from_row_resolved` for every row.
    #[inline]
    fn resolve_columns(stmt: &Statement<'_>, out: &mut Vec<usize>) {
        let _ = (stmt, out);
    }

    /// Builds a value from `row` with the positions `resolve_columns`
    /// found for its statement. The default calls
    /// [`from_row`](Self::from_row).
    ///
    /// A slice shorter than [`COLUMNS`](Self::COLUMNS) must not panic: a
    /// position left out reads as a missing column.
    ///
    /// # Errors
    /// As [`from_row`](Self::from_row).
    #[inline]
    fn from_row_resolved(row: &Row<'_>, columns: &[usize]) -> Result<Self> {
        let _ = columns;
        Self::from_row(row)
    }
}

impl<T: FromSql> FromRow for T {
    #[inline]
    fn from_row(row: &Row<'_>) -> Result<Self> {
        row.get(0)
    }
}

macro_rules! tuple_from_row {
    ($(($($idx:tt $ty:ident),+))+) => {$(
        impl<$($ty: FromSql),+> FromRow for ($($ty,)+) {
            #[inline]
            fn from_row(row: &Row<'_>) -> Result<Self> {
                const READS: usize = [$($idx),+].len();
                if row.len() < READS {
                    return Err(column_count_mismatch(row.len(), READS));
                }
                Ok(($(row.get::<usize, $ty>($idx)?,)+))
            }
        }
    )+};
}

#[cold]
fn column_count_mismatch(columns: usize, reads: usize) -> Error {
    Error::ColumnCountMismatch { columns, reads }
}

for_each_tuple!(tuple_from_row);

/// The rows of [`Statement::query_as`]: an `Iterator` of `Result<T>`.
///
/// It ends after the last row or after the first error (an SQLite error
/// while stepping, or a row `T::from_row` rejected); dropping it resets
/// the statement.
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct RowsAs<'stmt, T> {
    rows: Rows<'stmt>,
    failed: bool,
    /// The positions `T::resolve_columns` found, once the first row came
    /// (only for types with `T::COLUMNS != 0`).
    columns: Option<Vec<usize>>,
    _marker: PhantomData<fn() -> T>,
}

impl<'stmt, T> RowsAs<'stmt, T> {
    #[inline]
    pub(crate) fn new(rows: Rows<'stmt>) -> RowsAs<'stmt, T> {
        RowsAs {
            rows,
            failed: false,
            columns: None,
            _marker: PhantomData,
        }
    }

    /// Ends the query now and reports the error of resetting it, as
    /// [`Rows::finish`] does (a writing statement stopped early commits
    /// there, and that commit may fail).
    ///
    /// # Errors
    /// As [`Rows::finish`].
    #[inline]
    pub fn finish(self) -> Result<()> {
        self.rows.finish()
    }
}

impl<T: FromRow> Iterator for RowsAs<'_, T> {
    type Item = Result<T>;

    #[inline]
    fn next(&mut self) -> Option<Result<T>> {
        if self.failed {
            return None;
        }
        let item = match self.rows.next() {
            Ok(Some(row)) if T::COLUMNS == 0 => T::from_row(row),
            Ok(Some(row)) => {
                let columns = self.columns.get_or_insert_with(|| {
                    let mut columns = Vec::with_capacity(T::COLUMNS);
                    T::resolve_columns(row.as_ref(), &mut columns);
                    columns
                });
                T::from_row_resolved(row, columns)
            }
            Ok(None) => return None,
            Err(e) => Err(e),
        };
        self.failed = item.is_err();
        Some(item)
    }
}

impl<T: FromRow> FusedIterator for RowsAs<'_, T> {}

impl<T> fmt::Debug for RowsAs<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowsAs")
            .field("rows", &self.rows)
            .field("type", &std::any::type_name::<T>())
            .finish()
    }
}

impl Row<'_> {
    /// Reads the whole row as `T` (a tuple, a [`FromSql`] type read from
    /// column 0, or a [`FromRow`] struct, such as one with
    /// `#[derive(FromRow)]`): `row.get_as::<Person>()` is
    /// `Person::from_row(row)`, for use inside `query_map` or `query_row`
    /// closures. (`Row::get` reads one column, as a [`FromSql`] type.)
    ///
    /// [`Statement::query_as`] is faster for many rows of a struct read by
    /// column name: it looks the names up once per statement, `get_as`
    /// once per row.
    ///
    /// ```
    /// use ferrolite::Connection;
    /// let conn = Connection::open_in_memory()?;
    /// let (pair, n) = conn.query_row("SELECT 1, 'a', 7", [], |row| {
    ///     Ok((row.get_as::<(i64, String)>()?, row.get::<_, i64>(2)?))
    /// })?;
    /// assert_eq!((pair, n), ((1, "a".to_string()), 7));
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`FromRow::from_row`].
    #[inline]
    pub fn get_as<T: FromRow>(&self) -> Result<T> {
        T::from_row(self)
    }
}

impl Statement<'_> {
    /// Runs the query and reads each row as `T` (a tuple, a [`FromSql`]
    /// type, or your own [`FromRow`] type), as an `Iterator<Item =
    /// Result<T>>`.
    ///
    /// ```
    /// use ferrolite::{Connection, Result};
    /// let conn = Connection::open_in_memory()?;
    /// let mut stmt = conn.prepare("SELECT column1, column1 * column1 FROM (VALUES (1), (2), (3))")?;
    /// let squares: Vec<(i64, i64)> = stmt.query_as([])?.collect::<Result<_>>()?;
    /// assert_eq!(squares, [(1, 1), (2, 4), (3, 9)]);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// Parameter errors; errors of each row (SQLite errors, conversion
    /// errors naming the column) come from the iterator, which stops after
    /// the first.
    #[inline]
    pub fn query_as<T: FromRow>(&mut self, params: impl Params) -> Result<RowsAs<'_, T>> {
        self.query(params).map(RowsAs::new)
    }

    /// Runs the query and reads its first row as `T`.
    ///
    /// # Errors
    /// `QueryReturnedNoRows` if there is none; parameter, SQLite and
    /// conversion errors.
    #[inline]
    pub fn query_row_as<T: FromRow>(&mut self, params: impl Params) -> Result<T> {
        self.query_row(params, T::from_row)
    }
}

impl Connection {
    /// Runs a query and reads its first row as `T` (a tuple, a
    /// [`FromSql`] type, or your own [`FromRow`] type).
    ///
    /// ```
    /// use ferrolite::Connection;
    /// let conn = Connection::open_in_memory()?;
    /// let (n, s): (i64, String) = conn.query_row_as("SELECT ?1 + 1, 'x' || ?1", [41])?;
    /// assert_eq!((n, s.as_str()), (42, "x41"));
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// `QueryReturnedNoRows` if there is none; SQL, parameter, SQLite and
    /// conversion errors.
    #[inline]
    pub fn query_row_as<T: FromRow>(&self, sql: &str, params: impl Params) -> Result<T> {
        self.prepare(sql)?.query_row_as(params)
    }
}
