//! Transactions as closures, the Rust form of Python's `with conn:`.
//!
//! [`Connection::with_transaction`] begins a transaction, runs a closure
//! and commits when it returns `Ok`; it rolls back when the closure returns
//! `Err` or panics (the panic is re-raised after the rollback).
//! [`Transaction::with_transaction`] and [`Savepoint::with_transaction`]
//! nest the same way with a savepoint, so a failing inner step undoes only
//! its own changes.
//!
//! ```
//! use ferrolite::{Connection, Error, Result};
//!
//! fn main() -> Result<()> {
//!     let mut conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE account (name TEXT PRIMARY KEY, balance INTEGER CHECK (balance >= 0))")?;
//!     conn.execute_batch("INSERT INTO account VALUES ('ada', 100), ('bob', 0)")?;
//!
//!     // Moving 150 fails the CHECK on the first UPDATE: nothing changes.
//!     let moved = conn.with_transaction(|tx| {
//!         tx.execute("UPDATE account SET balance = balance - 150 WHERE name = 'ada'", [])?;
//!         tx.execute("UPDATE account SET balance = balance + 150 WHERE name = 'bob'", [])?;
//!         Ok::<_, Error>(150)
//!     });
//!     assert!(moved.is_err());
//!
//!     // A nested step that fails is undone alone; the outer work commits.
//!     conn.with_transaction(|tx| {
//!         tx.execute("UPDATE account SET balance = balance - 40 WHERE name = 'ada'", [])?;
//!         let inner: Result<()> = tx.with_transaction(|sp| {
//!             sp.execute("UPDATE account SET balance = balance + 40 WHERE name = 'bob'", [])?;
//!             Err(Error::QueryReturnedNoRows) // any error: roll back to the savepoint
//!         });
//!         assert!(inner.is_err());
//!         tx.execute("UPDATE account SET balance = balance + 40 WHERE name = 'bob'", [])?;
//!         Ok::<_, Error>(())
//!     })?;
//!     let bob: i64 = conn.query_row("SELECT balance FROM account WHERE name = 'bob'", [], |r| r.get(0))?;
//!     assert_eq!(bob, 40);
//!     Ok(())
//! }
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use crate::name::quote_identifier;
use crate::{Connection, Error, Result, Savepoint, Transaction};

impl Connection {
    /// Runs `f` inside a new transaction (begun with the connection's
    /// default [`TransactionBehavior`](crate::TransactionBehavior), deferred
    /// unless changed): commits if `f` returns `Ok`, rolls back if it
    /// returns `Err` or panics. A panic is re-raised (with
    /// [`resume_unwind`]) once the transaction is rolled back.
    ///
    /// Inside `f`, use `tx` as the connection (it derefs to
    /// [`Connection`]); `tx.with_transaction(..)` nests as a savepoint.
    ///
    /// ```
    /// use ferrolite::{Connection, Error};
    /// let mut conn = Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE t (x INTEGER)")?;
    /// let n = conn.with_transaction(|tx| {
    ///     tx.execute("INSERT INTO t VALUES (1), (2)", [])?;
    ///     tx.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
    /// })?;
    /// assert_eq!(n, 2);
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    /// `BEGIN` failing (for example because a transaction is already open
    /// on this connection), `f`'s error (after the rollback; a failing
    /// rollback is not reported over it), or `COMMIT` failing — including
    /// when SQLite already rolled the transaction back inside `f` (an
    /// interrupt, a statement with `ON CONFLICT ROLLBACK`) and `f` returned
    /// `Ok` anyway. After a failed commit the transaction is rolled back.
    pub fn with_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, E>,
        E: From<Error>,
    {
        let behavior = self.transaction_behavior;
        let tx = Transaction::new(self, behavior)?;
        match catch_unwind(AssertUnwindSafe(|| f(&tx))) {
            Ok(Ok(value)) => match tx.commit() {
                Ok(()) => Ok(value),
                Err(err) => {
                    // COMMIT can fail and leave the transaction open (a busy
                    // database); never leave it open behind the caller's back.
                    if !self.is_autocommit() {
                        let _ = self.execute_batch("ROLLBACK");
                    }
                    Err(E::from(err))
                }
            },
            Ok(Err(err)) => {
                let _ = tx.rollback();
                Err(err)
            }
            Err(panic) => {
                let _ = tx.rollback();
                resume_unwind(panic)
            }
        }
    }
}

impl Transaction<'_> {
    /// Runs `f` inside a savepoint nested in this transaction: releases it
    /// (keeping the changes as part of this transaction) if `f` returns
    /// `Ok`, rolls back to it if `f` returns `Err` or panics (re-raising the
    /// panic). The outer transaction stays open either way.
    ///
    /// # Errors
    /// `SAVEPOINT` or `RELEASE` failing, or `f`'s error.
    pub fn with_transaction<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Savepoint<'_>) -> Result<T, E>,
        E: From<Error>,
    {
        in_savepoint(self, 1, f)
    }
}

impl Savepoint<'_> {
    /// Runs `f` inside a savepoint nested in this one; see
    /// [`Transaction::with_transaction`].
    ///
    /// # Errors
    /// `SAVEPOINT` or `RELEASE` failing, or `f`'s error.
    pub fn with_transaction<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Savepoint<'_>) -> Result<T, E>,
        E: From<Error>,
    {
        in_savepoint(self, self.depth() + 1, f)
    }
}

fn in_savepoint<T, E, F>(conn: &Connection, depth: u32, f: F) -> Result<T, E>
where
    F: FnOnce(&Savepoint<'_>) -> Result<T, E>,
    E: From<Error>,
{
    let sp = Savepoint::with_depth(conn, depth)?;
    match catch_unwind(AssertUnwindSafe(|| f(&sp))) {
        Ok(Ok(value)) => {
            let name = quote_identifier(sp.name());
            match sp.commit() {
                Ok(()) => Ok(value),
                Err(err) => {
                    if !conn.is_autocommit() {
                        let _ = conn.execute_batch(&format!("ROLLBACK TO {name}; RELEASE {name}"));
                    }
                    Err(E::from(err))
                }
            }
        }
        // `f` only had `&Savepoint`, so the drop behavior is still the
        // default: roll back to the savepoint, then release it.
        Ok(Err(err)) => {
            let _ = sp.finish();
            Err(err)
        }
        Err(panic) => {
            let _ = sp.finish();
            resume_unwind(panic)
        }
    }
}
