//! [`Rows`] (a lending iterator over query results) and [`Row`].

use std::fmt;

use fallible_iterator::FallibleIterator;
use fallible_streaming_iterator::FallibleStreamingIterator;

use crate::ffi;
use crate::types::{FromSql, FromSqlError, ValueRef};
use crate::{Error, Result, Statement};

/// The rows of a running query. Call [`next`](Rows::next) to step; each
/// [`Row`] borrows `Rows` and can't be kept across the next step. Dropping
/// `Rows` resets the statement.
///
/// Dropping `Rows` before the last row discards any error of that reset;
/// for a statement that writes (`… RETURNING` outside a transaction, which
/// commits at the reset) use [`finish`](Rows::finish) to see a failed
/// commit.
///
/// ```
/// use ferrolite::Connection;
/// let conn = Connection::open_in_memory()?;
/// let mut stmt = conn.prepare("SELECT 1 UNION ALL SELECT 2")?;
/// let mut rows = stmt.query([])?;
/// let mut sum = 0;
/// while let Some(row) = rows.next()? {
///     sum += row.get::<_, i64>(0)?;
/// }
/// assert_eq!(sum, 3);
/// # Ok::<(), ferrolite::Error>(())
/// ```
#[must_use = "Rows is lazy and does nothing unless consumed"]
pub struct Rows<'stmt> {
    pub(crate) stmt: Option<&'stmt Statement<'stmt>>,
    row: Option<Row<'stmt>>,
    /// The column count, read at the first row (it can't change while the
    /// statement runs: re-preparation only happens before the first row).
    ncols: usize,
}

impl<'stmt> Rows<'stmt> {
    #[inline]
    pub(crate) fn new(stmt: &'stmt Statement<'stmt>) -> Rows<'stmt> {
        Rows {
            stmt: Some(stmt),
            row: None,
            ncols: usize::MAX,
        }
    }

    #[inline]
    fn reset(&mut self) {
        if let Some(stmt) = self.stmt.take() {
            stmt.stmt.reset();
        }
    }

    /// Steps to the next row: `Ok(None)` at the end.
    ///
    /// # Errors
    /// The SQLite error that stopped the query (e.g. interrupted, busy).
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn next(&mut self) -> Result<Option<&Row<'stmt>>> {
        self.advance()?;
        Ok(self.row.as_ref())
    }

    /// Maps each row with `f`, as a [`FallibleIterator`].
    pub fn map<F, B>(self, f: F) -> Map<'stmt, F>
    where
        F: FnMut(&Row<'_>) -> Result<B>,
    {
        Map { rows: self, f }
    }

    /// Maps each row with `f`, as an `Iterator` of `Result`s.
    pub fn mapped<F, B>(self, f: F) -> MappedRows<'stmt, F>
    where
        F: FnMut(&Row<'_>) -> Result<B>,
    {
        MappedRows { rows: self, map: f }
    }

    /// Maps each row with a fallible `f` of your own error type, as an
    /// `Iterator` of `Result`s.
    pub fn and_then<F, T, E>(self, f: F) -> AndThenRows<'stmt, F>
    where
        F: FnMut(&Row<'_>) -> Result<T, E>,
    {
        AndThenRows { rows: self, map: f }
    }

    /// Ends the query now and reports what ending it did: the statement is
    /// reset, and an error SQLite returns from that reset is returned.
    ///
    /// Stopping before the last row matters for statements that write. An
    /// `INSERT`, `UPDATE` or `DELETE … RETURNING` run outside a transaction
    /// commits when its statement is reset, so reading one row and dropping
    /// `Rows` commits then; if that commit fails (a deferred foreign key,
    /// a commit hook's veto, `SQLITE_BUSY`), SQLite rolls the change back
    /// and only the reset says so. `Drop` can't return that error and
    /// discards it: call `finish` when the query may write and you stop
    /// early. After [`next`](Self::next) returned `Ok(None)` or an error the
    /// query is already over and `finish` returns `Ok(())`.
    ///
    /// ```
    /// use ferrolite::Connection;
    /// let conn = Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE t (x INTEGER)")?;
    /// let mut stmt = conn.prepare("INSERT INTO t VALUES (1), (2) RETURNING x")?;
    /// let mut rows = stmt.query([])?;
    /// let first: i64 = rows.next()?.expect("a row").get(0)?;
    /// rows.finish()?; // the commit happens here: `?` sees it fail
    /// assert_eq!(first, 1);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// The error of the reset: a failed commit of the statement's changes
    /// (which SQLite then rolled back), or a callback's error.
    #[inline]
    pub fn finish(mut self) -> Result<()> {
        self.row = None;
        match self.stmt.take() {
            Some(stmt) => stmt.finish_run(),
            None => Ok(()),
        }
    }

    /// The statement behind these rows, until they are exhausted.
    pub fn as_ref(&self) -> Option<&Statement<'stmt>> {
        self.stmt
    }
}

impl Drop for Rows<'_> {
    /// Resets the statement if the query is still running. An error of
    /// that reset (the failed commit of a writing statement stopped before
    /// its last row) can't be returned from `drop` and is discarded: use
    /// [`Rows::finish`] to see it.
    #[inline]
    fn drop(&mut self) {
        self.reset();
    }
}

impl<'stmt> FallibleStreamingIterator for Rows<'stmt> {
    type Item = Row<'stmt>;
    type Error = Error;

    #[inline(always)]
    fn advance(&mut self) -> Result<()> {
        let Some(stmt) = self.stmt else {
            self.row = None;
            return Ok(());
        };
        match stmt.step_raw() {
            ffi::SQLITE_ROW => {
                if self.ncols == usize::MAX {
                    self.ncols = stmt.column_count();
                }
                self.row = Some(Row {
                    stmt,
                    ncols: self.ncols,
                });
                Ok(())
            }
            ffi::SQLITE_DONE => {
                self.row = None;
                self.reset();
                Ok(())
            }
            rc => {
                let err = stmt.error(rc);
                self.row = None;
                self.reset();
                Err(err)
            }
        }
    }

    #[inline]
    fn get(&self) -> Option<&Row<'stmt>> {
        self.row.as_ref()
    }
}

impl fmt::Debug for Rows<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rows").field("stmt", &self.stmt).finish()
    }
}

/// [`Rows::map`]: a [`FallibleIterator`] of mapped rows.
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Map<'stmt, F> {
    rows: Rows<'stmt>,
    f: F,
}

impl<F> Map<'_, F> {
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

impl<F, B> FallibleIterator for Map<'_, F>
where
    F: FnMut(&Row<'_>) -> Result<B>,
{
    type Item = B;
    type Error = Error;

    #[inline]
    fn next(&mut self) -> Result<Option<B>> {
        let Some(row) = self.rows.next()? else {
            return Ok(None);
        };
        (self.f)(row).map(Some)
    }
}

/// Rows mapped by a closure, as an `Iterator<Item = Result<T>>`
/// ([`Statement::query_map`]).
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct MappedRows<'stmt, F> {
    rows: Rows<'stmt>,
    map: F,
}

impl<F> MappedRows<'_, F> {
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

impl<T, F> Iterator for MappedRows<'_, F>
where
    F: FnMut(&Row<'_>) -> Result<T>,
{
    type Item = Result<T>;

    #[inline]
    fn next(&mut self) -> Option<Result<T>> {
        // A failed step is an item too; the end of the rows ends the iterator.
        match self.rows.next() {
            Ok(Some(row)) => Some((self.map)(row)),
            Ok(None) => None,
            Err(step_error) => Some(Err(step_error)),
        }
    }
}

/// Rows mapped by a closure with its own error type, as an
/// `Iterator<Item = Result<T, E>>` ([`Statement::query_and_then`]).
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct AndThenRows<'stmt, F> {
    rows: Rows<'stmt>,
    map: F,
}

impl<F> AndThenRows<'_, F> {
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

impl<T, E, F> Iterator for AndThenRows<'_, F>
where
    E: From<Error>,
    F: FnMut(&Row<'_>) -> Result<T, E>,
{
    type Item = Result<T, E>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // As `MappedRows`, with a step's error converted into the caller's.
        match self.rows.next() {
            Ok(Some(row)) => Some((self.map)(row)),
            Ok(None) => None,
            Err(step_error) => Some(Err(E::from(step_error))),
        }
    }
}

/// One result row, valid until its [`Rows`] steps again.
pub struct Row<'stmt> {
    pub(crate) stmt: &'stmt Statement<'stmt>,
    ncols: usize,
}

impl<'stmt> Row<'stmt> {
    /// Reads column `idx` (a `usize` index or a case-insensitive name) as `T`.
    ///
    /// # Errors
    /// `InvalidColumnIndex` / `InvalidColumnName`; `InvalidColumnType` when
    /// the value's type can't convert (its `{:#}` suggests `Option<T>` for
    /// a NULL, or the type that reads the value); `IntegralValueOutOfRange`;
    /// `Utf8Error`; `FromSqlConversionFailure` from custom types.
    #[inline(always)]
    pub fn get<I: RowIndex, T: FromSql>(&self, idx: I) -> Result<T> {
        let idx = idx.idx_in(self.stmt, self.ncols)?;
        let value = self.stmt.stmt.value_ref_expecting(idx, T::__EXPECTED_TYPE);
        T::column_result(value).map_err(|err| self.conversion_error(idx, value, err))
    }

    #[cold]
    fn conversion_error(&self, idx: usize, value: ValueRef<'_>, err: FromSqlError) -> Error {
        match err {
            FromSqlError::InvalidType => Error::InvalidColumnType(
                idx,
                self.stmt.column_name(idx).unwrap_or("").to_owned(),
                value.data_type(),
            ),
            FromSqlError::OutOfRange(i) => Error::IntegralValueOutOfRange(idx, i),
            FromSqlError::Utf8Error(e) => Error::Utf8Error(idx, e),
            FromSqlError::Other(e) => Error::FromSqlConversionFailure(idx, value.data_type(), e),
            e @ FromSqlError::InvalidBlobSize { .. } => {
                Error::FromSqlConversionFailure(idx, value.data_type(), Box::new(e))
            }
        }
    }

    /// As [`get`](Self::get), panicking on error.
    ///
    /// # Panics
    /// On any error `get` would return.
    #[track_caller]
    pub fn get_unwrap<I: RowIndex, T: FromSql>(&self, idx: I) -> T {
        match self.get(idx) {
            Ok(v) => v,
            Err(e) => panic!(
                "row.get_unwrap failed reading {}: {e:#}",
                std::any::type_name::<T>()
            ),
        }
    }

    /// Borrows column `idx` without converting or copying.
    ///
    /// # Errors
    /// `InvalidColumnIndex` / `InvalidColumnName`.
    #[inline(always)]
    pub fn get_ref<I: RowIndex>(&self, idx: I) -> Result<ValueRef<'_>> {
        let idx = idx.idx_in(self.stmt, self.ncols)?;
        Ok(self.stmt.stmt.value_ref(idx))
    }

    /// As [`get_ref`](Self::get_ref), panicking on error.
    ///
    /// # Panics
    /// For an invalid index or name.
    #[track_caller]
    pub fn get_ref_unwrap<I: RowIndex>(&self, idx: I) -> ValueRef<'_> {
        match self.get_ref(idx) {
            Ok(v) => v,
            Err(e) => panic!("row.get_ref_unwrap failed: {e}"),
        }
    }

    /// Number of columns.
    #[inline]
    pub fn len(&self) -> usize {
        self.ncols
    }

    /// True for a row with no columns.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'stmt> AsRef<Statement<'stmt>> for Row<'stmt> {
    fn as_ref(&self) -> &Statement<'stmt> {
        self.stmt
    }
}

/// A map of column name to `(Type, value)`, as rusqlite prints it: TEXT as
/// a (lossy UTF-8) string, a BLOB as its length only (not its bytes), NULL
/// as `()`, and a column that can't be read as its `Err`.
impl fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for i in 0..self.len() {
            let name = self
                .stmt
                .stmt
                .column_name(i)
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            m.key(&name);
            match self.get_ref(i) {
                Ok(value) => {
                    let ty = value.data_type();
                    match value {
                        ValueRef::Null => m.value(&(ty, ())),
                        ValueRef::Integer(v) => m.value(&(ty, v)),
                        ValueRef::Real(v) => m.value(&(ty, v)),
                        ValueRef::Text(t) => m.value(&(ty, String::from_utf8_lossy(t))),
                        ValueRef::Blob(b) => m.value(&(ty, b.len())),
                    };
                }
                Err(e) => {
                    m.value(&Err::<ValueRef<'_>, _>(e));
                }
            }
        }
        m.finish()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for usize {}
    impl Sealed for &str {}
}

/// A column position: a 0-based `usize`, or a column name compared
/// case-insensitively.
pub trait RowIndex: sealed::Sealed + Copy {
    /// The 0-based index in `stmt`.
    ///
    /// # Errors
    /// `InvalidColumnIndex` or `InvalidColumnName`.
    fn idx(&self, stmt: &Statement<'_>) -> Result<usize>;

    /// As [`idx`](Self::idx), for a row known to have `ncols` columns.
    #[doc(hidden)]
    #[inline]
    fn idx_in(&self, stmt: &Statement<'_>, ncols: usize) -> Result<usize> {
        let _ = ncols;
        self.idx(stmt)
    }
}

impl RowIndex for usize {
    #[inline]
    fn idx_in(&self, _: &Statement<'_>, ncols: usize) -> Result<usize> {
        if *self < ncols {
            Ok(*self)
        } else {
            Err(Error::InvalidColumnIndex(*self))
        }
    }

    #[inline]
    fn idx(&self, stmt: &Statement<'_>) -> Result<usize> {
        if *self >= stmt.column_count() {
            Err(Error::InvalidColumnIndex(*self))
        } else {
            Ok(*self)
        }
    }
}

impl RowIndex for &str {
    #[inline]
    fn idx(&self, stmt: &Statement<'_>) -> Result<usize> {
        stmt.column_index(self)
    }
}

/// `TryFrom<&Row>` for tuples of up to 16 [`FromSql`] types, as in
/// rusqlite: column `i` into field `i`; columns past the tuple are
/// ignored, and a tuple longer than the row is `InvalidColumnIndex` of the
/// first missing column. (`()` reads nothing.) [`FromRow`](crate::FromRow)
/// does the same for `query_as`, except that a tuple longer than the row is
/// `ColumnCountMismatch` ("The query has 2 columns, the type reads 3").
macro_rules! tuple_try_from_row {
    ($(($($idx:tt $ty:ident),*))+) => {$(
        impl<'a, $($ty: FromSql),*> TryFrom<&'a Row<'a>> for ($($ty,)*) {
            type Error = Error;

            #[inline]
            #[allow(unused_variables)] // `row`, for `()`
            fn try_from(row: &'a Row<'a>) -> Result<Self> {
                Ok(($(row.get::<usize, $ty>($idx)?,)*))
            }
        }
    )+};
}

tuple_try_from_row! {
    ()
    (0 A)
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N, 14 O)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N, 14 O, 15 P)
}
