#![allow(unsafe_code)] // sqlite3_bind_pointer/value_pointer with typed boxes
//! Pointer passing (`sqlite3_bind_pointer` / `sqlite3_value_pointer`):
//! handing a Rust value to SQL by reference, to be read back by Rust code
//! that runs inside the statement, or a raw pointer to SQLite's own C
//! consumers (`fts5(?)`, `carray(?)`).
//!
//! A pointer value is NULL to SQL: `typeof(?1)` is `'null'`, and storing it
//! stores NULL. Only code that asks for it by type name sees the pointer.
//!
//! # How ferrolite keeps this safe
//! In rusqlite a pointer value is a raw pointer plus a type name, and
//! reading it back is `unsafe`: nothing checks that the pointee has the
//! type the reader assumes. ferrolite's safe constructors
//! ([`ToSqlOutput::new_boxed`], [`ToSqlOutput::from_arc`],
//! [`ToSqlOutput::from_rc`]) wrap the value with its Rust type, and
//! [`Row::get_pointer`] returns it only to a reader asking for the same
//! type name **and** the same Rust type (`None` otherwise). Such values are
//! bound under one SQLite type name that only ferrolite reads, so SQLite's
//! C code never mistakes them for its own structures; binding one under a
//! name that SQLite's own C code reads (`"carray"`, `"fts5_api_ptr"`, …) is
//! an error, because the C code could never see it. Passing a raw pointer
//! to C is [`ToSqlOutput::from_raw_pointer`], which is `unsafe`.
//!
//! Pointer values can be bound as parameters but not returned from user
//! functions: SQLite copies function results without keeping their owner
//! alive, so a pointer result could dangle within the same row.
//!
//! ```
//! use std::sync::Arc;
//! use ferrolite::types::ToSqlOutput;
//! use ferrolite::Connection;
//!
//! let conn = Connection::open_in_memory()?;
//! let config = Arc::new(vec![1, 2, 3]);
//! let mut stmt = conn.prepare("SELECT ?1, typeof(?1)")?;
//! let ptr = ToSqlOutput::from_arc(config.clone(), c"my-config");
//! stmt.query_row([ptr], |row| {
//!     assert_eq!(row.get::<_, String>(1)?, "null"); // NULL to SQL
//!     assert_eq!(row.get_pointer::<_, Vec<i32>>(0, c"my-config")?, Some(&vec![1, 2, 3]));
//!     // Another name or another Rust type: not readable.
//!     assert_eq!(row.get_pointer::<_, Vec<i32>>(0, c"other")?, None);
//!     assert_eq!(row.get_pointer::<_, String>(0, c"my-config")?, None);
//!     Ok(())
//! })?;
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::any::Any;
use std::ffi::{CStr, c_int, c_void};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use super::ToSqlOutput;
use crate::callback::panic::{catch_panic, drop_payload};
use crate::row::RowIndex;
use crate::{Error, Result, Row, ffi};

/// The SQLite type name of every Rust value bound through the safe
/// constructors. No C code reads it; the user's name is checked by Rust.
const RUST_VALUE_TYPE: &CStr = c"ferrolite-rust-value";

/// Type names that SQLite's own C code reads with `sqlite3_value_pointer`
/// (carray, FTS5, FTS3, R*Tree, the bytecode virtual tables). A Rust value
/// bound under one of them would silently never reach that code.
const C_CONSUMED: &[&CStr] = &[
    c"carray",
    c"carray-bind",
    c"fts5_api_ptr",
    c"fts3cursor",
    c"RtreeMatchArg",
    c"stmt-pointer",
];

/// What SQLite holds for a Rust pointer value: the user's type name and
/// the value. Boxed (a thin pointer) once per binding.
struct Payload {
    type_name: &'static CStr,
    value: Arc<dyn Any + Send + Sync>,
}

/// A value for pointer passing; see [`ToSqlOutput::Pointer`] and the
/// [module documentation](self). Built by [`ToSqlOutput::new_boxed`],
/// [`ToSqlOutput::from_arc`], [`ToSqlOutput::from_rc`] or (unsafe)
/// [`ToSqlOutput::from_raw_pointer`].
#[derive(Clone)]
pub struct PointerValue(Inner);

#[derive(Clone)]
enum Inner {
    /// A Rust value, shared by every binding of this `PointerValue`.
    Rust {
        type_name: &'static CStr,
        value: Arc<dyn Any + Send + Sync>,
    },
    /// A raw pointer for C code, which SQLite never frees. Stored as an
    /// address: Rust never dereferences it.
    Raw {
        addr: usize,
        type_name: &'static CStr,
    },
}

impl PointerValue {
    /// The type name readers must ask for.
    #[must_use]
    pub fn type_name(&self) -> &'static CStr {
        match self.0 {
            Inner::Rust { type_name, .. } | Inner::Raw { type_name, .. } => type_name,
        }
    }

    /// Binds this value at `idx` of `stmt` (null for a statement without
    /// SQL) and returns SQLite's result code.
    ///
    /// # Errors
    /// A Rust value under a type name SQLite's own C code reads.
    ///
    /// # Safety
    /// `stmt` is null or a live statement.
    pub(crate) unsafe fn bind(&self, stmt: *mut ffi::sqlite3_stmt, idx: c_int) -> Result<c_int> {
        if stmt.is_null() {
            return Ok(ffi::SQLITE_RANGE);
        }
        match &self.0 {
            Inner::Rust { type_name, value } => {
                if C_CONSUMED.contains(type_name) {
                    return Err(Error::ToSqlConversionFailure(
                        format!(
                            "pointer type {type_name:?} is read by SQLite's own C code, which \
                             can't read a Rust value; pass a raw pointer with the unsafe \
                             ToSqlOutput::from_raw_pointer"
                        )
                        .into(),
                    ));
                }
                let payload = Box::into_raw(Box::new(Payload {
                    type_name,
                    value: Arc::clone(value),
                }));
                // SAFETY: live statement; the type name is a static C
                // string; SQLite owns `payload` from here and frees it with
                // `free_payload` exactly once, also when the call fails.
                Ok(unsafe {
                    ffi::sqlite3_bind_pointer(
                        stmt,
                        idx,
                        payload.cast(),
                        RUST_VALUE_TYPE.as_ptr(),
                        Some(free_payload),
                    )
                })
            }
            Inner::Raw { addr, type_name } => {
                // SAFETY: live statement; the pointer's validity is the
                // promise made to `from_raw_pointer`; no destructor.
                Ok(unsafe {
                    ffi::sqlite3_bind_pointer(
                        stmt,
                        idx,
                        *addr as *mut c_void,
                        type_name.as_ptr(),
                        None,
                    )
                })
            }
        }
    }
}

/// Frees a [`Payload`] when SQLite drops the binding.
unsafe extern "C" fn free_payload(p: *mut c_void) {
    // Dropping the payload drops an `Arc` of a user type, whose `Drop`
    // may panic: never unwind into SQLite.
    // SAFETY: `p` is the `Box<Payload>` made in `bind`, handed to SQLite
    // with this destructor, which SQLite calls once.
    let payload = unsafe { Box::from_raw(p.cast::<Payload>()) };
    if let Err(panic) = catch_panic(move || drop(payload)) {
        drop_payload(panic);
    }
}

impl fmt::Debug for PointerValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Rust { type_name, .. } => f.debug_tuple("Pointer").field(type_name).finish(),
            Inner::Raw { addr, type_name } => f
                .debug_tuple("Pointer")
                .field(&(*addr as *const c_void))
                .field(type_name)
                .finish(),
        }
    }
}

impl PartialEq for PointerValue {
    /// The same value (not an equal one) under the same type name.
    fn eq(&self, other: &PointerValue) -> bool {
        match (&self.0, &other.0) {
            (
                Inner::Rust {
                    type_name: n1,
                    value: v1,
                },
                Inner::Rust {
                    type_name: n2,
                    value: v2,
                },
            ) => n1 == n2 && Arc::ptr_eq(v1, v2),
            (
                Inner::Raw {
                    addr: a1,
                    type_name: n1,
                },
                Inner::Raw {
                    addr: a2,
                    type_name: n2,
                },
            ) => a1 == a2 && n1 == n2,
            _ => false,
        }
    }
}

impl<'a> ToSqlOutput<'a> {
    /// A Rust value passed by pointer under `ptr_type`, readable inside
    /// the statement with [`Row::get_pointer`] (same name, same `T`).
    /// NULL to SQL. See the [`pointer` module](crate::types::pointer).
    #[must_use]
    pub fn new_boxed<T: Any + Send + Sync>(v: T, ptr_type: &'static CStr) -> ToSqlOutput<'a> {
        ToSqlOutput::from_arc(Arc::new(v), ptr_type)
    }

    /// As [`new_boxed`](Self::new_boxed), sharing `value`: each binding
    /// holds one reference until SQLite drops the binding.
    #[must_use]
    pub fn from_arc<T: Any + Send + Sync>(
        value: Arc<T>,
        ptr_type: &'static CStr,
    ) -> ToSqlOutput<'a> {
        ToSqlOutput::Pointer(PointerValue(Inner::Rust {
            type_name: ptr_type,
            value,
        }))
    }

    /// As [`new_boxed`](Self::new_boxed) with a clone of the value behind
    /// `rc`. rusqlite shares the `Rc` itself; ferrolite can't, because a
    /// binding may be dropped on another thread (a `Connection` is `Send`),
    /// so it shares a clone (use [`from_arc`](Self::from_arc) to share).
    #[must_use]
    pub fn from_rc<T: Any + Send + Sync + Clone>(
        rc: Rc<T>,
        ptr_type: &'static CStr,
    ) -> ToSqlOutput<'a> {
        let value = Rc::try_unwrap(rc).unwrap_or_else(|rc| (*rc).clone());
        ToSqlOutput::new_boxed(value, ptr_type)
    }

    /// A raw pointer passed to C code that reads `ptr_type` with
    /// `sqlite3_value_pointer`, such as `fts5(?)` with `"fts5_api_ptr"` or
    /// `carray(?)` with `"carray"`. SQLite never frees it.
    ///
    /// # Safety
    /// `ptr` must be what the C code reading `ptr_type` expects, valid for
    /// reads and writes as that code does them, for as long as the value
    /// stays bound (until the statement is rebound, cleared or finalized),
    /// and usable from whichever thread runs the statement. `ptr_type`
    /// must not be `"ferrolite-rust-value"`, the name under which
    /// ferrolite binds Rust values.
    #[must_use]
    pub unsafe fn from_raw_pointer(ptr: *mut c_void, ptr_type: &'static CStr) -> ToSqlOutput<'a> {
        ToSqlOutput::Pointer(PointerValue(Inner::Raw {
            addr: ptr as usize,
            type_name: ptr_type,
        }))
    }
}

/// The Rust value of pointer type `ptr_type` and Rust type `T` in `value`,
/// if it holds one.
///
/// # Safety
/// `value` is a live `sqlite3_value` that stays valid, with its pointer,
/// for `'a`.
pub(crate) unsafe fn pointer_from_value<'a, T: Any>(
    value: *mut ffi::sqlite3_value,
    ptr_type: &CStr,
) -> Option<&'a T> {
    if value.is_null() {
        return None;
    }
    // SAFETY: live value; the type name is a C string. Only ferrolite binds
    // pointers under RUST_VALUE_TYPE, always a `Box<Payload>`
    // (`from_raw_pointer`'s contract forbids that name).
    let p = unsafe { ffi::sqlite3_value_pointer(value, RUST_VALUE_TYPE.as_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: a live `Payload` (see above), owned by a binding that lives
    // as long as `value` does (the caller's guarantee).
    let payload = unsafe { &*p.cast::<Payload>() };
    if payload.type_name != ptr_type {
        return None;
    }
    payload.value.downcast_ref::<T>()
}

impl Row<'_> {
    /// The Rust value passed by pointer (see
    /// [`ToSqlOutput::new_boxed`]) in column `idx`, if it is one of type
    /// name `ptr_type` and Rust type `T`; `None` otherwise (NULL, another
    /// value, another name or another type).
    ///
    /// Safe, unlike rusqlite's `unsafe fn` of the same name: the value is
    /// checked to be a `T` before it is returned.
    ///
    /// # Errors
    /// `InvalidColumnIndex` / `InvalidColumnName`.
    pub fn get_pointer<I: RowIndex, T: Any>(&self, idx: I, ptr_type: &CStr) -> Result<Option<&T>> {
        let idx = idx.idx(self.stmt)?;
        let Ok(i) = c_int::try_from(idx) else {
            return Err(Error::InvalidColumnIndex(idx));
        };
        // SAFETY: live statement with a current row; `idx` is a valid
        // column. The column value lives until the statement steps or
        // resets, which needs the `&mut` that this row's borrow excludes;
        // its pointer belongs to a parameter binding, which can't change
        // while the statement runs.
        Ok(unsafe {
            let v = ffi::sqlite3_column_value(self.stmt.stmt.ptr(), i);
            pointer_from_value(v, ptr_type)
        })
    }
}
