#![allow(unsafe_code)] // one sqlite3_txn_state call
//! [`Transaction`] and [`Savepoint`]: RAII transactions that roll back on
//! drop unless committed.

use std::ffi::c_int;
use std::fmt;
use std::ops::Deref;

use crate::cache::Control;
use crate::name::quote_identifier;
use crate::{Connection, Error, Name, Result, ffi};

/// How `BEGIN` takes its locks.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TransactionBehavior {
    /// `BEGIN DEFERRED`: locks are taken on first read/write.
    #[default]
    Deferred,
    /// `BEGIN IMMEDIATE`: the write lock is taken at once.
    Immediate,
    /// `BEGIN EXCLUSIVE`: no other connection may read or write.
    Exclusive,
}

/// What dropping an unfinished transaction or savepoint does.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DropBehavior {
    /// Roll back (the default).
    #[default]
    Rollback,
    /// Commit (and roll back if the commit fails).
    Commit,
    /// Leave the transaction open.
    Ignore,
    /// Roll back, then panic: for code that must always finish
    /// transactions explicitly.
    Panic,
}

/// `sqlite3_txn_state` of a schema.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionState {
    /// No transaction.
    None,
    /// A read transaction.
    Read,
    /// A write transaction.
    Write,
}

/// An open transaction: rolls back when dropped unless committed (see
/// [`DropBehavior`]). Derefs to [`Connection`].
///
/// If SQLite itself rolled the transaction back (an interrupt during a
/// write, or a statement with `ON CONFLICT ROLLBACK`), [`commit`](Self::commit)
/// returns an error saying so, while [`rollback`](Self::rollback) and drop
/// return quietly.
///
/// ```
/// use ferrolite::Connection;
/// let mut conn = Connection::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE t (x)")?;
/// {
///     let tx = conn.transaction()?;
///     tx.execute("INSERT INTO t VALUES (1)", [])?;
///     // dropped without commit: rolled back
/// }
/// let tx = conn.transaction()?;
/// tx.execute("INSERT INTO t VALUES (2)", [])?;
/// tx.commit()?;
/// let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
/// assert_eq!(n, 1);
/// # Ok::<(), ferrolite::Error>(())
/// ```
pub struct Transaction<'conn> {
    conn: &'conn Connection,
    drop_behavior: DropBehavior,
    done: bool,
}

impl Transaction<'_> {
    /// Begins a transaction on a connection borrowed mutably (so no other
    /// transaction can start meanwhile).
    ///
    /// # Errors
    /// `BEGIN` failed (for example the database is busy).
    pub fn new(conn: &mut Connection, behavior: TransactionBehavior) -> Result<Transaction<'_>> {
        Transaction::new_unchecked(conn, behavior)
    }

    /// Begins a transaction through a shared borrow. Nesting is not checked
    /// at compile time: a `BEGIN` inside a transaction fails at run time.
    ///
    /// # Errors
    /// `BEGIN` failed.
    pub fn new_unchecked(
        conn: &Connection,
        behavior: TransactionBehavior,
    ) -> Result<Transaction<'_>> {
        conn.run_control(match behavior {
            TransactionBehavior::Deferred => Control::BeginDeferred,
            TransactionBehavior::Immediate => Control::BeginImmediate,
            TransactionBehavior::Exclusive => Control::BeginExclusive,
        })?;
        // Errors from here on tell `commit` why SQLite may have ended the
        // transaction by itself.
        conn.last_error.set(ffi::SQLITE_OK);
        Ok(Transaction {
            conn,
            drop_behavior: DropBehavior::Rollback,
            done: false,
        })
    }

    /// A savepoint nested in this transaction.
    ///
    /// # Errors
    /// `SAVEPOINT` failed.
    pub fn savepoint(&mut self) -> Result<Savepoint<'_>> {
        Savepoint::with_depth(self.conn, 1)
    }

    /// A named savepoint nested in this transaction (the name is quoted).
    ///
    /// # Errors
    /// `SAVEPOINT` failed.
    pub fn savepoint_with_name<T: Into<String>>(&mut self, name: T) -> Result<Savepoint<'_>> {
        Savepoint::with_depth_and_name(self.conn, 1, name)
    }

    /// What happens on drop.
    pub fn drop_behavior(&self) -> DropBehavior {
        self.drop_behavior
    }

    /// Sets what happens on drop.
    pub fn set_drop_behavior(&mut self, drop_behavior: DropBehavior) {
        self.drop_behavior = drop_behavior;
    }

    /// Commits.
    ///
    /// If the commit fails (a deferred foreign key is violated, the
    /// database is busy, …) the transaction is rolled back, as dropping it
    /// would, rather than left open with no `Transaction` to end it; with
    /// [`DropBehavior::Ignore`] it is left open for you.
    ///
    /// # Errors
    /// `COMMIT` failed, or SQLite had already rolled the transaction back
    /// (the error says so; it is an interrupt error if an interrupt caused it).
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        let result = commit_or_report(self.conn);
        if result.is_err() && self.drop_behavior != DropBehavior::Ignore {
            let _ = rollback_if_open(self.conn);
        }
        result
    }

    /// Rolls back. Quiet if SQLite already rolled the transaction back.
    ///
    /// # Errors
    /// `ROLLBACK` failed.
    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        rollback_if_open(self.conn)
    }

    /// Ends the transaction as its [`DropBehavior`] says, reporting errors
    /// that drop would swallow.
    ///
    /// # Errors
    /// The commit or rollback failed.
    pub fn finish(mut self) -> Result<()> {
        self.finish_()
    }

    fn finish_(&mut self) -> Result<()> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        if self.conn.is_autocommit() {
            return Ok(()); // already ended by SQLite
        }
        match self.drop_behavior {
            DropBehavior::Commit => commit_or_report(self.conn).inspect_err(|_| {
                let _ = rollback_if_open(self.conn);
            }),
            DropBehavior::Rollback => rollback_if_open(self.conn),
            DropBehavior::Ignore => Ok(()),
            DropBehavior::Panic => {
                // Don't leave the connection inside a transaction nobody
                // can end if the panic is caught.
                let _ = rollback_if_open(self.conn);
                panic!("Transaction dropped unexpectedly")
            }
        }
    }
}

fn commit_or_report(conn: &Connection) -> Result<()> {
    if conn.is_autocommit() {
        return Err(rolled_back_error(conn));
    }
    conn.run_control(Control::Commit)
}

fn rollback_if_open(conn: &Connection) -> Result<()> {
    if conn.is_autocommit() {
        Ok(())
    } else {
        conn.run_control(Control::Rollback)
    }
}

#[cold]
fn rolled_back_error(conn: &Connection) -> Error {
    let last = conn.last_error.get();
    let (code, msg) = if last & 0xff == ffi::SQLITE_INTERRUPT {
        (
            ffi::SQLITE_INTERRUPT,
            "cannot commit: the transaction was interrupted and has been rolled back",
        )
    } else if last != ffi::SQLITE_OK {
        // An error since BEGIN; SQLite rolls back by itself after some
        // (ON CONFLICT ROLLBACK, SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM,
        // ...), but a COMMIT or ROLLBACK run as SQL also ends it.
        (
            ffi::SQLITE_ABORT_ROLLBACK,
            "cannot commit: the transaction is no longer active: rolled back by SQLite \
             after an error (or ended by SQL)",
        )
    } else {
        // No statement failed since BEGIN: the SQL itself ended it.
        (
            ffi::SQLITE_ERROR,
            "cannot commit: the transaction was already ended by a COMMIT or ROLLBACK \
             run as SQL",
        )
    };
    Error::SqliteFailure(ffi::Error::new(code), Some(msg.to_owned()))
}

impl Deref for Transaction<'_> {
    type Target = Connection;
    #[inline]
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() && self.drop_behavior == DropBehavior::Panic {
            self.drop_behavior = DropBehavior::Rollback;
        }
        let _ = self.finish_();
    }
}

impl fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("conn", self.conn)
            .field("drop_behavior", &self.drop_behavior)
            .finish()
    }
}

/// A savepoint (a nestable transaction): rolls back to where it started
/// and releases itself when dropped, unless committed. Derefs to
/// [`Connection`].
pub struct Savepoint<'conn> {
    conn: &'conn Connection,
    name: String,
    depth: u32,
    drop_behavior: DropBehavior,
    done: bool,
}

impl Savepoint<'_> {
    pub(crate) fn with_depth(conn: &Connection, depth: u32) -> Result<Savepoint<'_>> {
        let name = format!("_ferrolite_sp_{depth}");
        Savepoint::with_depth_and_name(conn, depth, name)
    }

    pub(crate) fn with_depth_and_name<T: Into<String>>(
        conn: &Connection,
        depth: u32,
        name: T,
    ) -> Result<Savepoint<'_>> {
        let name = name.into();
        if name.contains('\0') {
            return Err(Error::NulError(
                std::ffi::CString::new(name).expect_err("has a NUL"),
            ));
        }
        conn.execute_batch(&format!("SAVEPOINT {}", quote_identifier(&name)))?;
        Ok(Savepoint {
            conn,
            name,
            depth,
            drop_behavior: DropBehavior::Rollback,
            done: false,
        })
    }

    /// Begins a savepoint on a connection.
    ///
    /// # Errors
    /// `SAVEPOINT` failed.
    pub fn new(conn: &mut Connection) -> Result<Savepoint<'_>> {
        Savepoint::with_depth(conn, 0)
    }

    /// Begins a named savepoint (the name is quoted; any text is safe).
    ///
    /// # Errors
    /// `SAVEPOINT` failed or the name holds a NUL.
    pub fn with_name<T: Into<String>>(conn: &mut Connection, name: T) -> Result<Savepoint<'_>> {
        Savepoint::with_depth_and_name(conn, 0, name)
    }

    /// A savepoint nested in this one.
    ///
    /// # Errors
    /// `SAVEPOINT` failed.
    pub fn savepoint(&mut self) -> Result<Savepoint<'_>> {
        Savepoint::with_depth(self.conn, self.depth + 1)
    }

    /// A named savepoint nested in this one.
    ///
    /// # Errors
    /// `SAVEPOINT` failed.
    pub fn savepoint_with_name<T: Into<String>>(&mut self, name: T) -> Result<Savepoint<'_>> {
        Savepoint::with_depth_and_name(self.conn, self.depth + 1, name)
    }

    /// How deep this savepoint is nested (0 for one begun on a connection).
    pub(crate) fn depth(&self) -> u32 {
        self.depth
    }

    /// The savepoint's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What happens on drop.
    pub fn drop_behavior(&self) -> DropBehavior {
        self.drop_behavior
    }

    /// Sets what happens on drop.
    pub fn set_drop_behavior(&mut self, drop_behavior: DropBehavior) {
        self.drop_behavior = drop_behavior;
    }

    /// Releases the savepoint, keeping its changes (`RELEASE`).
    ///
    /// If the release fails (for the outermost savepoint it is a commit,
    /// which a deferred foreign key can refuse), the savepoint is rolled
    /// back and released, as dropping it would, rather than left open; with
    /// [`DropBehavior::Ignore`] it is left open for you.
    ///
    /// # Errors
    /// `RELEASE` failed (e.g. SQLite already rolled the transaction back).
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        let result = self.release();
        if result.is_err() && self.drop_behavior != DropBehavior::Ignore {
            let _ = self.roll_back_and_release();
        }
        result
    }

    /// `ROLLBACK TO` then `RELEASE`: undoes the savepoint's changes and ends
    /// it. Nothing is left to undo once SQLite rolled the whole transaction
    /// back (an interrupt, `ON CONFLICT ROLLBACK`, a full disk). An
    /// interrupt from another thread can land on the rollback itself, so an
    /// interrupted attempt is retried (a few times: each interrupt needs a
    /// new call to `interrupt()`).
    fn roll_back_and_release(&mut self) -> Result<()> {
        let mut result = Ok(());
        for _ in 0..8 {
            if self.conn.is_autocommit() {
                return Ok(());
            }
            result = self.rollback().and_then(|()| self.release());
            match &result {
                Err(e) if e.is_interrupted() => continue,
                _ => return result,
            }
        }
        result
    }

    fn release(&self) -> Result<()> {
        self.conn
            .execute_batch(&format!("RELEASE {}", quote_identifier(&self.name)))
    }

    /// Undoes the changes since the savepoint began (`ROLLBACK TO`). The
    /// savepoint stays open: it can still be committed or rolled back again.
    ///
    /// # Errors
    /// `ROLLBACK TO` failed.
    pub fn rollback(&mut self) -> Result<()> {
        self.conn
            .execute_batch(&format!("ROLLBACK TO {}", quote_identifier(&self.name)))
    }

    /// Ends the savepoint as its [`DropBehavior`] says, reporting errors.
    ///
    /// # Errors
    /// The release or rollback failed.
    pub fn finish(mut self) -> Result<()> {
        self.finish_()
    }

    fn finish_(&mut self) -> Result<()> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        if self.conn.is_autocommit() {
            return Ok(()); // SQLite already rolled everything back
        }
        match self.drop_behavior {
            DropBehavior::Commit => self.release().inspect_err(|_| {
                let _ = self.roll_back_and_release();
            }),
            DropBehavior::Rollback => self.roll_back_and_release(),
            DropBehavior::Ignore => Ok(()),
            DropBehavior::Panic => {
                let _ = self.roll_back_and_release();
                panic!("Savepoint dropped unexpectedly")
            }
        }
    }
}

impl Deref for Savepoint<'_> {
    type Target = Connection;
    #[inline]
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() && self.drop_behavior == DropBehavior::Panic {
            self.drop_behavior = DropBehavior::Rollback;
        }
        let _ = self.finish_();
    }
}

impl fmt::Debug for Savepoint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Savepoint")
            .field("name", &self.name)
            .finish()
    }
}

impl Connection {
    /// Begins a transaction with the connection's default behavior
    /// (deferred unless changed with
    /// [`set_transaction_behavior`](Self::set_transaction_behavior)).
    ///
    /// # Errors
    /// `BEGIN` failed.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        let behavior = self.transaction_behavior;
        Transaction::new(self, behavior)
    }

    /// Begins a transaction with the given behavior.
    ///
    /// # Errors
    /// `BEGIN` failed.
    pub fn transaction_with_behavior(
        &mut self,
        behavior: TransactionBehavior,
    ) -> Result<Transaction<'_>> {
        Transaction::new(self, behavior)
    }

    /// Begins a transaction through `&self`; nesting is then checked only at
    /// run time.
    ///
    /// # Errors
    /// `BEGIN` failed (e.g. a transaction is already open).
    pub fn unchecked_transaction(&self) -> Result<Transaction<'_>> {
        Transaction::new_unchecked(self, self.transaction_behavior)
    }

    /// Begins a savepoint.
    ///
    /// # Errors
    /// `SAVEPOINT` failed.
    pub fn savepoint(&mut self) -> Result<Savepoint<'_>> {
        Savepoint::new(self)
    }

    /// Begins a named savepoint (the name is quoted; any text is safe).
    ///
    /// # Errors
    /// `SAVEPOINT` failed or the name holds a NUL.
    pub fn savepoint_with_name<T: Into<String>>(&mut self, name: T) -> Result<Savepoint<'_>> {
        Savepoint::with_name(self, name)
    }

    /// Sets the behavior of [`transaction`](Self::transaction).
    pub fn set_transaction_behavior(&mut self, behavior: TransactionBehavior) {
        self.transaction_behavior = behavior;
    }

    /// The transaction state of a schema (`None` = across all schemas, the
    /// highest).
    ///
    /// # Errors
    /// An unknown schema name.
    #[doc(alias = "sqlite3_txn_state")]
    pub fn transaction_state<N: Name>(&self, db_name: Option<N>) -> Result<TransactionState> {
        let name = match &db_name {
            Some(n) => Some(n.as_cstr()?),
            None => None,
        };
        let p = name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr());
        // SAFETY: live handle; name is null or NUL-terminated.
        let state: c_int = unsafe { ffi::sqlite3_txn_state(self.db.db(), p) };
        match state {
            ffi::SQLITE_TXN_NONE => Ok(TransactionState::None),
            ffi::SQLITE_TXN_READ => Ok(TransactionState::Read),
            ffi::SQLITE_TXN_WRITE => Ok(TransactionState::Write),
            _ => Err(Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_MISUSE),
                Some(format!(
                    "{:?} is not the name of an attached database",
                    name.as_deref()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                )),
            )),
        }
    }
}
