//! `rarray(?1)`: a table-valued function over an array bound as a
//! parameter, for `IN` lists (rusqlite's `vtab::array`, a port of SQLite's
//! [carray](https://sqlite.org/carray.html) to Rust values).
//!
//! [`load_module`] registers the eponymous table `rarray`, with one column
//! `value` and a hidden column `pointer`. Bind an [`Array`] (an
//! `Rc<Vec<Value>>`) to `rarray(?1)`: the table has one row per element, in
//! order, the rowid counting from 1; each value keeps its type. NULL, no
//! argument, or a value that is not an array (another type, or a pointer of
//! another type) gives an empty table, as carray does.
//!
//! The binding shares the `Rc` (no copy of the vector); the statement holds
//! one reference until it is rebound, its bindings are cleared, or it is
//! finalized. `ToSqlOutput::new_boxed(vec, c"rarray")` of a `Vec<Value>`
//! (which is `Send`) is read too, at the cost of one copy per scan.
//!
//! `Rc` is not thread-safe, yet a [`Connection`] is `Send`, and a cached
//! statement (`prepare_cached`) keeps its bindings when it returns to the
//! cache, so a binding can end up released on another thread. The binding
//! only ever changes the `Rc`'s counts on the thread that bound it;
//! released on any other, it leaks its reference (the vector is then never
//! freed) instead of racing with the `Rc`s left on the first thread.
//! Statements themselves are not `Send`: a statement that is not cached
//! is finalized on the thread that bound it.
//!
//! The name is `rarray`: `carray` is SQLite's own, for C arrays.
//!
//! # Example
//!
//! ```
//! use std::rc::Rc;
//! use ferrolite::types::Value;
//! use ferrolite::vtab::array::{self, Array};
//! use ferrolite::Connection;
//!
//! let db = Connection::open_in_memory()?;
//! array::load_module(&db)?; // once per connection
//! db.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);
//!                   INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');")?;
//! let ids: Array = Rc::new([1i64, 3].into_iter().map(Value::from).collect());
//! let mut stmt = db.prepare("SELECT name FROM t WHERE id IN rarray(?1) ORDER BY id")?;
//! let names: Vec<String> = stmt.query_map([&ids], |row| row.get(0))?.collect::<Result<_, _>>()?;
//! assert_eq!(names, ["one", "three"]);
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::borrow::Cow;
use std::ffi::{CStr, c_int};
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::{self, ThreadId};

use super::{
    Context, Filters, IndexConstraintOp, IndexInfo, VTab, VTabConnection, VTabCursor,
    eponymous_only_module,
};
use crate::types::{ToSql, ToSqlOutput, Value};
use crate::{Connection, Result};

/// The pointer type name of an [`Array`] binding (as rusqlite's).
const ARRAY_TYPE: &CStr = c"rarray";
/// The module (and table-valued function) name.
const MODULE_NAME: &CStr = ARRAY_TYPE;

/// Column numbers of `CREATE TABLE x(value, pointer hidden)`.
const COLUMN_POINTER: c_int = 1;

/// An array parameter for `rarray(?1)`: bind it (or a reference to it) as a
/// parameter.
pub type Array = Rc<Vec<Value>>;

impl ToSql for Array {
    /// A pointer value of type `"rarray"` sharing this `Rc`.
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from_arc(
            Arc::new(Shared::new(Rc::clone(self))),
            ARRAY_TYPE,
        ))
    }
}

/// Registers the `rarray` module on `conn`.
///
/// # Errors
/// SQLite's error (such as out of memory).
pub fn load_module(conn: &Connection) -> Result<()> {
    conn.create_module(MODULE_NAME, eponymous_only_module::<ArrayTab>(), None)
}

/// The id of the running thread; `None` while the thread is being torn
/// down (then nothing counts as the owner thread).
fn current_thread() -> Option<ThreadId> {
    thread_local! {
        static ID: ThreadId = thread::current().id();
    }
    std::panic::catch_unwind(|| ID.try_with(|id| *id).ok())
        .ok()
        .flatten()
}

/// An [`Array`] that may be held by a value which moves between threads (a
/// parameter binding, or a cursor, inside a `Send` connection), without
/// ever touching the `Rc`'s counts from a thread other than the one that
/// made it.
///
/// The `Rc`'s reference counts are plain, non-atomic integers shared by
/// every clone, and all other clones stay on the owner thread (`Rc` is
/// `!Send`). A `Shared` changes them only on the owner thread: it clones
/// there, and its drop there releases its reference. Dropped anywhere else
/// it leaks its reference instead (a memory leak, never a data race). That
/// is reachable: a cached statement keeps its bindings, and the connection,
/// being `Send`, can carry it to another thread, which finalizes it.
struct Shared {
    rc: ManuallyDrop<Rc<Vec<Value>>>,
    /// `None` if made while the thread was being torn down: then the
    /// reference is never released.
    owner: Option<ThreadId>,
}

// SAFETY: Sending a `Shared` to another thread, or reading it from several,
// only ever reads the vector (via `Deref`) there: the counts are touched
// only on `owner` (see `share` and `drop`), so they never race. The
// vector itself is `Vec<Value>`, which is `Send + Sync` and has no
// interior mutability; it can't be mutated through another clone while
// this one holds its (never released elsewhere) reference, because
// `Rc::get_mut`/`make_mut` need the only strong reference.
#[allow(unsafe_code)]
unsafe impl Send for Shared {}
// SAFETY: see `Send` above: `&Shared` only gives `&[Value]`, and `share`
// checks the thread before touching the counts.
#[allow(unsafe_code)]
unsafe impl Sync for Shared {}

impl Shared {
    /// Wraps `rc`, a reference owned by the current thread.
    fn new(rc: Rc<Vec<Value>>) -> Shared {
        Shared {
            rc: ManuallyDrop::new(rc),
            owner: current_thread(),
        }
    }

    /// True on the owner thread.
    fn on_owner_thread(&self) -> bool {
        self.owner.is_some() && current_thread() == self.owner
    }

    /// Another handle to the same vector: a clone of the `Rc` on the owner
    /// thread, a copy of the vector elsewhere.
    fn share(&self) -> Shared {
        if self.on_owner_thread() {
            Shared {
                rc: ManuallyDrop::new(Rc::clone(&self.rc)),
                owner: self.owner,
            }
        } else {
            Shared::copy_of(&self.rc)
        }
    }

    /// A new, unshared `Rc` holding a copy of `values`.
    fn copy_of(values: &[Value]) -> Shared {
        Shared::new(Rc::new(values.to_vec()))
    }
}

impl Deref for Shared {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        &self.rc
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if self.on_owner_thread() {
            // SAFETY: dropped once, here; `self.rc` is not used again.
            #[allow(unsafe_code)]
            unsafe {
                ManuallyDrop::drop(&mut self.rc);
            }
        }
        // Elsewhere: leak the reference (see the type's docs).
    }
}

/// The `rarray` table: all its state is in the cursors.
struct ArrayTab;

impl<'vtab> VTab<'vtab> for ArrayTab {
    type Aux = ();
    type Cursor = ArrayTabCursor;

    fn connect(
        _db: &mut VTabConnection,
        _aux: Option<&()>,
        _module_name: &[u8],
        _database_name: &[u8],
        _table_name: &[u8],
        _args: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)> {
        Ok((
            Cow::Borrowed(c"CREATE TABLE x(value, pointer hidden)"),
            ArrayTab,
        ))
    }

    fn best_index(&self, info: &mut IndexInfo) -> Result<bool> {
        // Use the first usable `pointer = ?` constraint: filter's argument 0.
        let mut has_pointer = false;
        for (constraint, mut usage) in info.constraints_and_usages() {
            if !has_pointer
                && constraint.is_usable()
                && constraint.column() == COLUMN_POINTER
                && constraint.operator() == IndexConstraintOp::SQLITE_INDEX_CONSTRAINT_EQ
            {
                has_pointer = true;
                usage.set_argv_index(1);
                usage.set_omit(true);
            }
        }
        if has_pointer {
            info.set_estimated_cost(1.0);
            info.set_estimated_rows(100);
            info.set_idx_num(1);
        } else {
            // Without an array the table is empty, but make this plan the
            // last resort.
            info.set_estimated_cost(2_147_483_647.0);
            info.set_estimated_rows(2_147_483_647);
            info.set_idx_num(0);
        }
        Ok(true)
    }

    fn open(&'vtab self) -> Result<ArrayTabCursor> {
        Ok(ArrayTabCursor {
            array: None,
            row: 0,
        })
    }
}

/// A scan of one array.
struct ArrayTabCursor {
    /// The array of the current scan (`None`: empty).
    array: Option<Shared>,
    /// Index of the current element.
    row: usize,
}

impl ArrayTabCursor {
    fn len(&self) -> usize {
        self.array.as_deref().map_or(0, <[Value]>::len)
    }
}

impl VTabCursor for ArrayTabCursor {
    fn filter(&mut self, idx_num: c_int, _idx_str: Option<&str>, args: &Filters<'_>) -> Result<()> {
        self.array = if idx_num > 0 {
            if let Some(shared) = args.get_pointer::<Shared>(0, ARRAY_TYPE) {
                Some(shared.share())
            } else {
                args.get_pointer::<Vec<Value>>(0, ARRAY_TYPE)
                    .map(|v| Shared::copy_of(v))
            }
        } else {
            None
        };
        self.row = 0;
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        self.row += 1;
        Ok(())
    }

    fn eof(&self) -> bool {
        self.row >= self.len()
    }

    fn column(&self, ctx: &mut Context, i: c_int) -> Result<()> {
        match (i, self.array.as_deref().and_then(|a| a.get(self.row))) {
            (COLUMN_POINTER, _) | (_, None) => Ok(()), // NULL
            (_, Some(value)) => ctx.set_result(value),
        }
    }

    fn rowid(&self) -> Result<i64> {
        // A Vec never holds more than isize::MAX elements.
        Ok(i64::try_from(self.row)
            .unwrap_or(i64::MAX)
            .saturating_add(1))
    }
}
