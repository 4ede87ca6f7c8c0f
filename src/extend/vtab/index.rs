#![allow(unsafe_code)] // reads and writes SQLite's sqlite3_index_info during xBestIndex
//! [`IndexInfo`]: the question and answer of `xBestIndex`.
//!
//! Indexes given by safe code are checked against `nConstraint` /
//! `nOrderBy`: methods returning a `Result` answer
//! [`Error::InvalidColumnIndex`] (or SQLite's `SQLITE_MISUSE`); the
//! others ([`IndexInfo::constraint_usage`]) panic with a clear message,
//! which the glue turns into the statement's error.

use std::ffi::{CStr, c_int};
use std::ptr;

use crate::error::error_from_sqlite_code;
use crate::raw::{slice_of, slice_of_mut};
use crate::types::ValueRef;
use crate::{Error, Result, ffi};

/// A constraint operator (`SQLITE_INDEX_CONSTRAINT_*`), as rusqlite names
/// them.
#[derive(Debug, Clone, Copy, Eq, PartialEq)]
#[allow(non_camel_case_types)]
pub enum IndexConstraintOp {
    /// `=`
    SQLITE_INDEX_CONSTRAINT_EQ,
    /// `>`
    SQLITE_INDEX_CONSTRAINT_GT,
    /// `<=`
    SQLITE_INDEX_CONSTRAINT_LE,
    /// `<`
    SQLITE_INDEX_CONSTRAINT_LT,
    /// `>=`
    SQLITE_INDEX_CONSTRAINT_GE,
    /// `MATCH`
    SQLITE_INDEX_CONSTRAINT_MATCH,
    /// `LIKE`
    SQLITE_INDEX_CONSTRAINT_LIKE,
    /// `GLOB`
    SQLITE_INDEX_CONSTRAINT_GLOB,
    /// `REGEXP`
    SQLITE_INDEX_CONSTRAINT_REGEXP,
    /// `!=` / `<>`
    SQLITE_INDEX_CONSTRAINT_NE,
    /// `IS NOT`
    SQLITE_INDEX_CONSTRAINT_ISNOT,
    /// `IS NOT NULL`
    SQLITE_INDEX_CONSTRAINT_ISNOTNULL,
    /// `IS NULL`
    SQLITE_INDEX_CONSTRAINT_ISNULL,
    /// `IS`
    SQLITE_INDEX_CONSTRAINT_IS,
    /// `LIMIT`
    SQLITE_INDEX_CONSTRAINT_LIMIT,
    /// `OFFSET`
    SQLITE_INDEX_CONSTRAINT_OFFSET,
    /// A function overloaded by `xFindFunction` (code 150 and above).
    SQLITE_INDEX_CONSTRAINT_FUNCTION(u8),
}

impl From<u8> for IndexConstraintOp {
    fn from(code: u8) -> Self {
        match code {
            2 => Self::SQLITE_INDEX_CONSTRAINT_EQ,
            4 => Self::SQLITE_INDEX_CONSTRAINT_GT,
            8 => Self::SQLITE_INDEX_CONSTRAINT_LE,
            16 => Self::SQLITE_INDEX_CONSTRAINT_LT,
            32 => Self::SQLITE_INDEX_CONSTRAINT_GE,
            64 => Self::SQLITE_INDEX_CONSTRAINT_MATCH,
            65 => Self::SQLITE_INDEX_CONSTRAINT_LIKE,
            66 => Self::SQLITE_INDEX_CONSTRAINT_GLOB,
            67 => Self::SQLITE_INDEX_CONSTRAINT_REGEXP,
            68 => Self::SQLITE_INDEX_CONSTRAINT_NE,
            69 => Self::SQLITE_INDEX_CONSTRAINT_ISNOT,
            70 => Self::SQLITE_INDEX_CONSTRAINT_ISNOTNULL,
            71 => Self::SQLITE_INDEX_CONSTRAINT_ISNULL,
            72 => Self::SQLITE_INDEX_CONSTRAINT_IS,
            73 => Self::SQLITE_INDEX_CONSTRAINT_LIMIT,
            74 => Self::SQLITE_INDEX_CONSTRAINT_OFFSET,
            v => Self::SQLITE_INDEX_CONSTRAINT_FUNCTION(v),
        }
    }
}

bitflags::bitflags! {
    /// Scan flags of [`IndexInfo::set_idx_flags`] (`SQLITE_INDEX_SCAN_*`).
    #[repr(C)]
    #[derive(Copy, Clone, Debug, PartialEq, Eq)]
    pub struct IndexFlags: c_int {
        /// No flag.
        const NONE = 0;
        /// The scan visits at most one row.
        const SQLITE_INDEX_SCAN_UNIQUE = 1;
        /// `EXPLAIN QUERY PLAN` shows `idxNum` in hexadecimal.
        const SQLITE_INDEX_SCAN_HEX = 2;
    }
}

/// How a `DISTINCT` / `GROUP BY` query uses the rows
/// ([`IndexInfo::distinct`], `sqlite3_vtab_distinct`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Eq, PartialEq)]
pub enum DistinctMode {
    /// Rows in `ORDER BY` order (the default).
    Ordered,
    /// `GROUP BY`: equal rows must be adjacent.
    Grouped,
    /// `DISTINCT`: duplicate rows may be left out.
    Distinct,
    /// `DISTINCT` with `ORDER BY`.
    DistinctOrdered,
}

/// The planner's question to [`VTab::best_index`](super::VTab::best_index)
/// and the table's answer. Only exists during that call.
pub struct IndexInfo {
    info: *mut ffi::sqlite3_index_info,
}

impl std::fmt::Debug for IndexInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexInfo")
            .field("constraints", &self.constraints().len())
            .field("order_bys", &self.num_of_order_by())
            .finish_non_exhaustive()
    }
}

impl IndexInfo {
    /// # Safety
    /// `info` is the live structure SQLite passed to xBestIndex, and the
    /// value does not outlive that call.
    #[inline]
    pub(super) unsafe fn new(info: *mut ffi::sqlite3_index_info) -> Self {
        IndexInfo { info }
    }

    #[inline]
    fn raw(&self) -> &ffi::sqlite3_index_info {
        // SAFETY: live for the duration of xBestIndex (see `new`), and only
        // written through `&mut self`.
        unsafe { &*self.info }
    }

    #[inline]
    fn raw_mut(&mut self) -> &mut ffi::sqlite3_index_info {
        // SAFETY: as in `raw`; exclusive through `&mut self`.
        unsafe { &mut *self.info }
    }

    #[inline]
    fn n_constraint(&self) -> usize {
        usize::try_from(self.raw().nConstraint).unwrap_or(0)
    }

    fn constraint_slice(&self) -> &[ffi::sqlite3_index_info_sqlite3_index_constraint] {
        let n = self.n_constraint();
        if n == 0 || self.raw().aConstraint.is_null() {
            return &[];
        }
        // SAFETY: SQLite provides nConstraint entries, live during the call.
        unsafe { slice_of(self.raw().aConstraint.cast_const(), n) }
    }

    fn usage_slice(&mut self) -> &mut [ffi::sqlite3_index_info_sqlite3_index_constraint_usage] {
        let n = self.n_constraint();
        if n == 0 || self.raw().aConstraintUsage.is_null() {
            return &mut [];
        }
        // SAFETY: SQLite provides nConstraint usage entries; exclusive
        // through `&mut self`.
        unsafe { slice_of_mut(self.raw().aConstraintUsage, n) }
    }

    fn check_constraint_index(&self, idx: usize) -> Result<c_int> {
        if idx < self.n_constraint() {
            Ok(idx as c_int)
        } else {
            Err(Error::InvalidColumnIndex(idx))
        }
    }

    /// The `WHERE` constraints, each with its usage (to set).
    #[inline]
    pub fn constraints_and_usages(&mut self) -> IndexConstraintAndUsageIter<'_> {
        let n = self.n_constraint();
        let (c, u) = if n == 0
            || self.raw().aConstraint.is_null()
            || self.raw().aConstraintUsage.is_null()
        {
            (&[][..], &mut [][..])
        } else {
            // SAFETY: SQLite provides nConstraint entries in both (distinct)
            // arrays, live during the call; exclusive through `&mut self`.
            unsafe {
                (
                    slice_of(self.raw().aConstraint.cast_const(), n),
                    slice_of_mut(self.raw().aConstraintUsage, n),
                )
            }
        };
        IndexConstraintAndUsageIter {
            iter: c.iter().zip(u.iter_mut()),
        }
    }

    /// The `WHERE` constraints.
    #[inline]
    pub fn constraints(&self) -> IndexConstraintIter<'_> {
        IndexConstraintIter {
            iter: self.constraint_slice().iter(),
        }
    }

    /// The `ORDER BY` terms.
    #[inline]
    pub fn order_bys(&self) -> OrderByIter<'_> {
        let n = self.num_of_order_by();
        let s = if n == 0 || self.raw().aOrderBy.is_null() {
            &[][..]
        } else {
            // SAFETY: SQLite provides nOrderBy entries, live during the call.
            unsafe { slice_of(self.raw().aOrderBy.cast_const(), n) }
        };
        OrderByIter { iter: s.iter() }
    }

    /// The number of `ORDER BY` terms.
    #[inline]
    #[must_use]
    pub fn num_of_order_by(&self) -> usize {
        usize::try_from(self.raw().nOrderBy).unwrap_or(0)
    }

    /// The usage of constraint `constraint_idx`, to set.
    ///
    /// # Panics
    /// If `constraint_idx` is not below the number of constraints (the
    /// panic becomes the statement's error).
    #[inline]
    pub fn constraint_usage(&mut self, constraint_idx: usize) -> IndexConstraintUsage<'_> {
        let n = self.n_constraint();
        match self.usage_slice().get_mut(constraint_idx) {
            Some(u) => IndexConstraintUsage(u),
            None => panic!("constraint index {constraint_idx} out of range (0..{n})"),
        }
    }

    /// Sets the plan number passed to [`filter`](super::VTabCursor::filter).
    #[inline]
    pub fn set_idx_num(&mut self, idx_num: c_int) {
        self.raw_mut().idxNum = idx_num;
    }

    /// Sets the plan string passed to [`filter`](super::VTabCursor::filter)
    /// (copied; cut at an interior NUL).
    pub fn set_idx_str(&mut self, idx_str: &str) {
        let len = idx_str.find('\0').unwrap_or(idx_str.len());
        let len = c_int::try_from(len).unwrap_or(c_int::MAX);
        // SAFETY: "%.*s" reads at most `len` bytes of `idx_str`; SQLite
        // frees the copy (needToFreeIdxStr) with sqlite3_free.
        let copy = unsafe { ffi::sqlite3_mprintf(c"%.*s".as_ptr(), len, idx_str.as_ptr()) };
        self.replace_idx_str(copy, true);
    }

    /// Sets a static plan string (not copied).
    pub fn set_idx_cstr(&mut self, idx_str: &'static CStr) {
        self.replace_idx_str(idx_str.as_ptr().cast_mut(), false);
    }

    fn replace_idx_str(&mut self, s: *mut std::ffi::c_char, owned: bool) {
        let raw = self.raw_mut();
        if raw.needToFreeIdxStr != 0 {
            // SAFETY: set by an earlier call from sqlite3_mprintf.
            unsafe { ffi::sqlite3_free(raw.idxStr.cast()) };
        }
        raw.idxStr = s;
        raw.needToFreeIdxStr = c_int::from(owned && !s.is_null());
    }

    /// Tells SQLite the rows come in `ORDER BY` order (no sort needed).
    #[inline]
    pub fn set_order_by_consumed(&mut self, order_by_consumed: bool) {
        self.raw_mut().orderByConsumed = c_int::from(order_by_consumed);
    }

    /// Sets the plan's estimated cost.
    #[inline]
    pub fn set_estimated_cost(&mut self, estimated_cost: f64) {
        self.raw_mut().estimatedCost = estimated_cost;
    }

    /// Sets the plan's estimated number of rows.
    #[inline]
    pub fn set_estimated_rows(&mut self, estimated_rows: i64) {
        self.raw_mut().estimatedRows = estimated_rows;
    }

    /// Sets the scan flags.
    #[inline]
    pub fn set_idx_flags(&mut self, flags: IndexFlags) {
        self.raw_mut().idxFlags = flags.bits();
    }

    /// The columns the statement reads: bit `i` for column `i`, bit 63 for
    /// column 63 and above.
    #[inline]
    #[must_use]
    pub fn col_used(&self) -> u64 {
        self.raw().colUsed
    }

    /// The collation of constraint `constraint_idx` (`sqlite3_vtab_collation`).
    ///
    /// # Errors
    /// [`Error::InvalidColumnIndex`] out of range; a non-UTF-8 name.
    pub fn collation(&self, constraint_idx: usize) -> Result<&str> {
        let i = self.check_constraint_index(constraint_idx)?;
        // SAFETY: the live index info of this xBestIndex call, an index in
        // range; the name lives at least as long as the call.
        let p = unsafe { ffi::sqlite3_vtab_collation(self.info, i) };
        // SAFETY: NUL-terminated or null.
        match unsafe { crate::raw::cstr(p) } {
            Some(c) => c.to_str().map_err(|e| Error::Utf8Error(constraint_idx, e)),
            None => Err(error_from_sqlite_code(ffi::SQLITE_MISUSE, None)),
        }
    }

    /// Whether the query is `DISTINCT` / `GROUP BY` (`sqlite3_vtab_distinct`).
    #[must_use]
    pub fn distinct(&self) -> DistinctMode {
        // SAFETY: the live index info of this xBestIndex call.
        match unsafe { ffi::sqlite3_vtab_distinct(self.info) } {
            1 => DistinctMode::Grouped,
            2 => DistinctMode::Distinct,
            3 => DistinctMode::DistinctOrdered,
            _ => DistinctMode::Ordered,
        }
    }

    /// The right-hand value of constraint `constraint_idx` when SQLite
    /// knows it while planning (`sqlite3_vtab_rhs_value`), else `None`.
    ///
    /// # Errors
    /// [`Error::InvalidColumnIndex`] out of range; SQLite's error.
    pub fn rhs_value(&self, constraint_idx: usize) -> Result<Option<ValueRef<'_>>> {
        let i = self.check_constraint_index(constraint_idx)?;
        let mut v: *mut ffi::sqlite3_value = ptr::null_mut();
        // SAFETY: the live index info, an index in range, an out-pointer.
        let rc = unsafe { ffi::sqlite3_vtab_rhs_value(self.info, i, &mut v) };
        match rc {
            ffi::SQLITE_OK if !v.is_null() => {
                // SAFETY: SQLite keeps the value alive until xBestIndex
                // returns, which `&self` does not outlive.
                Ok(Some(unsafe { crate::raw::value_ref(v) }))
            }
            ffi::SQLITE_OK | ffi::SQLITE_NOTFOUND => Ok(None),
            rc => Err(error_from_sqlite_code(rc, None)),
        }
    }

    /// Whether constraint `constraint_idx` is an `IN (…)` that
    /// [`set_in_constraint`](Self::set_in_constraint) can hand over whole
    /// (`sqlite3_vtab_in(…, -1)`).
    ///
    /// # Errors
    /// [`Error::InvalidColumnIndex`] out of range.
    pub fn is_in_constraint(&self, constraint_idx: usize) -> Result<bool> {
        let i = self.check_constraint_index(constraint_idx)?;
        // SAFETY: the live index info, an index in range.
        Ok(unsafe { ffi::sqlite3_vtab_in(self.info, i, -1) } != 0)
    }

    /// Asks for the whole list of the `IN` constraint `constraint_idx` at
    /// once (read it with [`Filters::in_values`](super::Filters::in_values));
    /// the constraint also needs an `argv_index`. Returns whether SQLite
    /// agreed.
    ///
    /// # Errors
    /// [`Error::InvalidColumnIndex`] out of range.
    pub fn set_in_constraint(&mut self, constraint_idx: usize, filter_all: bool) -> Result<bool> {
        let i = self.check_constraint_index(constraint_idx)?;
        // SAFETY: the live index info, an index in range.
        Ok(unsafe { ffi::sqlite3_vtab_in(self.info, i, c_int::from(filter_all)) } != 0)
    }
}

/// Iterator over constraints and their usages.
pub struct IndexConstraintAndUsageIter<'a> {
    iter: std::iter::Zip<
        std::slice::Iter<'a, ffi::sqlite3_index_info_sqlite3_index_constraint>,
        std::slice::IterMut<'a, ffi::sqlite3_index_info_sqlite3_index_constraint_usage>,
    >,
}

/// `Iterator` for a wrapper of a slice iterator (field `iter`): each item
/// mapped with `$wrap`.
macro_rules! wrapping_iterator {
    ($iter:ident, $item:ty, $wrap:expr) => {
        impl<'a> Iterator for $iter<'a> {
            type Item = $item;

            #[inline]
            fn next(&mut self) -> Option<$item> {
                self.iter.next().map($wrap)
            }

            #[inline]
            fn size_hint(&self) -> (usize, Option<usize>) {
                self.iter.size_hint()
            }
        }
    };
}

wrapping_iterator!(
    IndexConstraintAndUsageIter,
    (IndexConstraint<'a>, IndexConstraintUsage<'a>),
    |(c, u)| (IndexConstraint(c), IndexConstraintUsage(u))
);

/// Iterator over constraints.
pub struct IndexConstraintIter<'a> {
    iter: std::slice::Iter<'a, ffi::sqlite3_index_info_sqlite3_index_constraint>,
}

wrapping_iterator!(IndexConstraintIter, IndexConstraint<'a>, IndexConstraint);

impl ExactSizeIterator for IndexConstraintIter<'_> {}

/// A `WHERE` constraint on a column.
#[derive(Clone, Copy)]
pub struct IndexConstraint<'a>(&'a ffi::sqlite3_index_info_sqlite3_index_constraint);

impl std::fmt::Debug for IndexConstraint<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexConstraint")
            .field("column", &self.column())
            .field("operator", &self.operator())
            .field("usable", &self.is_usable())
            .finish()
    }
}

impl IndexConstraint<'_> {
    /// The constrained column (-1 for the rowid).
    #[inline]
    #[must_use]
    pub fn column(&self) -> c_int {
        self.0.iColumn
    }

    /// The operator.
    #[inline]
    #[must_use]
    pub fn operator(&self) -> IndexConstraintOp {
        IndexConstraintOp::from(self.0.op)
    }

    /// Whether the constraint can be used in this plan.
    #[inline]
    #[must_use]
    pub fn is_usable(&self) -> bool {
        self.0.usable != 0
    }
}

/// How the plan uses a constraint.
pub struct IndexConstraintUsage<'a>(&'a mut ffi::sqlite3_index_info_sqlite3_index_constraint_usage);

impl std::fmt::Debug for IndexConstraintUsage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexConstraintUsage")
            .field("argv_index", &self.0.argvIndex)
            .field("omit", &self.0.omit)
            .finish()
    }
}

impl IndexConstraintUsage<'_> {
    /// Passes the constraint's value to
    /// [`filter`](super::VTabCursor::filter) as argument `argv_index - 1`
    /// (1-based; 0 for none). SQLite checks the numbering ("xBestIndex
    /// malfunction").
    #[inline]
    pub fn set_argv_index(&mut self, argv_index: c_int) {
        self.0.argvIndex = argv_index;
    }

    /// Tells SQLite not to check the constraint again.
    #[inline]
    pub fn set_omit(&mut self, omit: bool) {
        self.0.omit = u8::from(omit);
    }
}

/// Iterator over `ORDER BY` terms.
pub struct OrderByIter<'a> {
    iter: std::slice::Iter<'a, ffi::sqlite3_index_info_sqlite3_index_orderby>,
}

wrapping_iterator!(OrderByIter, OrderBy<'a>, OrderBy);

/// An `ORDER BY` term.
#[derive(Clone, Copy)]
pub struct OrderBy<'a>(&'a ffi::sqlite3_index_info_sqlite3_index_orderby);

impl std::fmt::Debug for OrderBy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderBy")
            .field("column", &self.column())
            .field("desc", &self.is_order_by_desc())
            .finish()
    }
}

impl OrderBy<'_> {
    /// The column.
    #[inline]
    #[must_use]
    pub fn column(&self) -> c_int {
        self.0.iColumn
    }

    /// Whether the order is descending.
    #[inline]
    #[must_use]
    pub fn is_order_by_desc(&self) -> bool {
        self.0.desc != 0
    }
}
