#![allow(unsafe_code)] // reads the sqlite3_value arguments of xFilter and xUpdate
//! Arguments of `xFilter` ([`Filters`]) and `xUpdate` ([`Inserts`],
//! [`Updates`]).
//!
//! Index checks: [`Values::get`] answers [`Error::InvalidColumnIndex`]
//! for an index out of range; the methods that return no `Result`
//! (`get_subtype`, `no_change`) panic with a clear message, which the glue
//! turns into the statement's error.

use std::ffi::{CStr, c_int, c_uint};
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr;

use crate::error::error_from_sqlite_code;
use crate::extend::functions::arg_error;
use crate::raw::{value_ref, value_ref_expecting};
use crate::types::{FromSql, ValueRef};
use crate::{Error, Result, ffi};

/// SQLite's argument values of a virtual-table call.
#[derive(Clone, Copy)]
pub struct Values<'a> {
    args: &'a [*mut ffi::sqlite3_value],
}

impl std::fmt::Debug for Values<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> Values<'a> {
    /// # Safety
    /// Every pointer is a live value for `'a`.
    #[inline]
    pub(super) unsafe fn new(args: &'a [*mut ffi::sqlite3_value]) -> Self {
        Values { args }
    }

    /// The number of values.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// `true` without values.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// Value `idx`, converted.
    ///
    /// # Errors
    /// [`Error::InvalidColumnIndex`] out of range;
    /// [`Error::InvalidFilterParameterType`] or another conversion error.
    #[inline]
    pub fn get<T: FromSql>(&self, idx: usize) -> Result<T> {
        let Some(&arg) = self.args.get(idx) else {
            return Err(Error::InvalidColumnIndex(idx));
        };
        // SAFETY: a live value for 'a (see `new`); reading it converts
        // nothing that an earlier borrow depends on.
        let value = unsafe { value_ref_expecting(arg, T::__EXPECTED_TYPE) };
        T::column_result(value)
            .map_err(|err| arg_error(idx, value, err, Error::InvalidFilterParameterType))
    }

    /// Value `idx` as a borrowed [`ValueRef`], or `None` out of range.
    #[inline]
    #[must_use]
    pub fn get_raw(&self, idx: usize) -> Option<ValueRef<'a>> {
        // SAFETY: a live value for 'a (see `new`).
        self.args.get(idx).map(|&v| unsafe { value_ref(v) })
    }

    /// The subtype of value `idx` (0 for none).
    ///
    /// # Panics
    /// If `idx >= self.len()`.
    #[inline]
    #[must_use]
    pub fn get_subtype(&self, idx: usize) -> c_uint {
        let Some(&arg) = self.args.get(idx) else {
            panic!("value index {idx} out of range (0..{})", self.args.len());
        };
        // SAFETY: a live value.
        unsafe { ffi::sqlite3_value_subtype(arg) }
    }

    /// The Rust value passed by pointer in value `idx` (a parameter bound
    /// with [`ToSqlOutput::Pointer`](crate::types::ToSqlOutput::Pointer)),
    /// if it was bound under `ptr_type` as a `T`. Safe, unlike rusqlite's:
    /// a value of another name or type is never reinterpreted.
    #[inline]
    #[must_use]
    pub fn get_pointer<T: std::any::Any>(&self, idx: usize, ptr_type: &CStr) -> Option<&'a T> {
        let &arg = self.args.get(idx)?;
        // SAFETY: a live value for 'a; a pointer in it belongs to a
        // parameter binding, which can't change while the statement runs.
        unsafe { crate::types::pointer::pointer_from_value(arg, ptr_type) }
    }

    /// The values as [`ValueRef`]s.
    #[inline]
    #[must_use]
    pub fn iter(&self) -> ValueIter<'a> {
        ValueIter {
            iter: self.args.iter(),
        }
    }

    #[inline]
    pub(super) fn raw(&self, idx: usize) -> Option<*mut ffi::sqlite3_value> {
        self.args.get(idx).copied()
    }
}

impl<'a> IntoIterator for &Values<'a> {
    type IntoIter = ValueIter<'a>;
    type Item = ValueRef<'a>;

    #[inline]
    fn into_iter(self) -> ValueIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Values`].
pub struct ValueIter<'a> {
    iter: std::slice::Iter<'a, *mut ffi::sqlite3_value>,
}

impl<'a> Iterator for ValueIter<'a> {
    type Item = ValueRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<ValueRef<'a>> {
        // SAFETY: live values for 'a (see Values::new).
        self.iter.next().map(|&v| unsafe { value_ref(v) })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.iter.size_hint()
    }
}

impl ExactSizeIterator for ValueIter<'_> {}

/// The arguments of [`VTabCursor::filter`](super::VTabCursor::filter): the
/// constraint values [`best_index`](super::VTab::best_index) asked for.
#[derive(Debug)]
pub struct Filters<'a> {
    values: Values<'a>,
}

impl<'a> Deref for Filters<'a> {
    type Target = Values<'a>;

    #[inline]
    fn deref(&self) -> &Values<'a> {
        &self.values
    }
}

impl<'a> Filters<'a> {
    #[inline]
    pub(super) fn new(values: Values<'a>) -> Self {
        Filters { values }
    }

    /// The whole list of the `IN (…)` constraint passed as argument `idx`
    /// (after [`IndexInfo::set_in_constraint`](super::IndexInfo::set_in_constraint)).
    ///
    /// # Errors
    /// [`Error::InvalidColumnIndex`] out of range. Reading a value that is
    /// not such a list fails on the first [`InValues::next`].
    pub fn in_values(&self, idx: usize) -> Result<InValues<'_>> {
        let list = self.values.raw(idx).ok_or(Error::InvalidColumnIndex(idx))?;
        Ok(InValues {
            list,
            first: true,
            phantom: PhantomData,
        })
    }
}

/// The values of an `IN (…)` list ([`Filters::in_values`]). Each value is
/// lent until the next call: SQLite reuses its memory.
pub struct InValues<'a> {
    list: *mut ffi::sqlite3_value,
    first: bool,
    phantom: PhantomData<&'a Filters<'a>>,
}

impl std::fmt::Debug for InValues<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InValues").finish_non_exhaustive()
    }
}

impl InValues<'_> {
    /// The next value of the list, `None` at the end.
    ///
    /// # Errors
    /// SQLite's error (such as `SQLITE_ERROR` when the argument is not an
    /// `IN` list handed over with `set_in_constraint`).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<ValueRef<'_>>> {
        let mut v: *mut ffi::sqlite3_value = ptr::null_mut();
        // SAFETY: `list` is a live xFilter argument (borrowed by 'a); SQLite
        // checks that it is an IN list (by its pointer type) before using it.
        let rc = unsafe {
            if self.first {
                self.first = false;
                ffi::sqlite3_vtab_in_first(self.list, &mut v)
            } else {
                ffi::sqlite3_vtab_in_next(self.list, &mut v)
            }
        };
        match rc {
            // SAFETY: valid until the next in_first/in_next call, which
            // needs `&mut self` again.
            ffi::SQLITE_OK if !v.is_null() => Ok(Some(unsafe { value_ref(v) })),
            ffi::SQLITE_OK | ffi::SQLITE_DONE => Ok(None),
            rc => Err(error_from_sqlite_code(rc, None)),
        }
    }
}

/// How the statement resolves conflicts (`sqlite3_vtab_on_conflict`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Eq, PartialEq)]
pub enum ConflictMode {
    /// `ON CONFLICT ROLLBACK`
    Rollback,
    /// `ON CONFLICT IGNORE`
    Ignore,
    /// `ON CONFLICT FAIL`
    Fail,
    /// `ON CONFLICT ABORT` (the default)
    Abort,
    /// `ON CONFLICT REPLACE`
    Replace,
}

impl ConflictMode {
    fn from_code(code: c_int) -> Self {
        match code {
            ffi::SQLITE_ROLLBACK => ConflictMode::Rollback,
            ffi::SQLITE_IGNORE => ConflictMode::Ignore,
            ffi::SQLITE_FAIL => ConflictMode::Fail,
            ffi::SQLITE_REPLACE => ConflictMode::Replace,
            _ => ConflictMode::Abort,
        }
    }
}

/// The arguments of [`UpdateVTab::insert`](super::UpdateVTab::insert):
/// `[NULL, new rowid or NULL, column values…]`.
#[derive(Debug)]
pub struct Inserts<'a> {
    values: Values<'a>,
    db: *mut ffi::sqlite3,
}

impl<'a> Deref for Inserts<'a> {
    type Target = Values<'a>;

    #[inline]
    fn deref(&self) -> &Values<'a> {
        &self.values
    }
}

impl<'a> Inserts<'a> {
    #[inline]
    pub(super) fn new(values: Values<'a>, db: *mut ffi::sqlite3) -> Self {
        Inserts { values, db }
    }

    /// The rowid the statement gives the new row, `None` to let the table
    /// choose (argument 1).
    #[inline]
    #[must_use]
    pub fn new_rowid(&self) -> Option<i64> {
        match self.values.get_raw(1) {
            Some(ValueRef::Null) | None => None,
            Some(v) => v.as_i64().ok(),
        }
    }

    /// The statement's conflict resolution (`sqlite3_vtab_on_conflict`);
    /// meaningful with [`VTabConfig::ConstraintSupport`](super::VTabConfig).
    #[must_use]
    pub fn on_conflict(&self) -> ConflictMode {
        // SAFETY: the live handle of the running xUpdate call.
        ConflictMode::from_code(unsafe { ffi::sqlite3_vtab_on_conflict(self.db) })
    }
}

/// The arguments of [`UpdateVTab::update`](super::UpdateVTab::update):
/// `[old rowid, new rowid, column values…]`.
#[derive(Debug)]
pub struct Updates<'a> {
    values: Values<'a>,
    db: *mut ffi::sqlite3,
}

impl<'a> Deref for Updates<'a> {
    type Target = Values<'a>;

    #[inline]
    fn deref(&self) -> &Values<'a> {
        &self.values
    }
}

impl<'a> Updates<'a> {
    #[inline]
    pub(super) fn new(values: Values<'a>, db: *mut ffi::sqlite3) -> Self {
        Updates { values, db }
    }

    /// The updated row's rowid before the statement (argument 0).
    #[inline]
    #[must_use]
    pub fn rowid(&self) -> Option<i64> {
        self.values.get_raw(0).and_then(|v| v.as_i64().ok())
    }

    /// The row's rowid after the statement (argument 1); differs from
    /// [`rowid`](Self::rowid) when the statement changes it.
    #[inline]
    #[must_use]
    pub fn new_rowid(&self) -> Option<i64> {
        self.values.get_raw(1).and_then(|v| v.as_i64().ok())
    }

    /// `true` when argument `idx` is a column the `UPDATE` leaves unchanged
    /// and whose [`column`](super::VTabCursor::column) call set no value
    /// (see [`Context::no_change`](super::Context::no_change)).
    ///
    /// # Panics
    /// If `idx >= self.len()`.
    #[inline]
    #[must_use]
    pub fn no_change(&self, idx: usize) -> bool {
        let Some(v) = self.values.raw(idx) else {
            panic!("value index {idx} out of range (0..{})", self.values.len());
        };
        // SAFETY: a live xUpdate argument.
        unsafe { ffi::sqlite3_value_nochange(v) != 0 }
    }

    /// The statement's conflict resolution (`sqlite3_vtab_on_conflict`).
    #[must_use]
    pub fn on_conflict(&self) -> ConflictMode {
        // SAFETY: the live handle of the running xUpdate call.
        ConflictMode::from_code(unsafe { ffi::sqlite3_vtab_on_conflict(self.db) })
    }
}
