#![allow(unsafe_code)] // variadic sqlite3_db_config/sqlite3_config calls
//! Per-connection switches (`sqlite3_db_config`) and process-wide
//! configuration (`sqlite3_config`).
//!
//! ```
//! use ferrolite::Connection;
//! use ferrolite::config::DbConfig;
//!
//! let conn = Connection::open_in_memory()?;
//! // Defensive mode: no `writable_schema`, no writes to shadow tables, ...
//! conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
//! assert!(conn.db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE)?);
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::ffi::c_int;

use crate::{Connection, Result, ffi};

/// The boolean `SQLITE_DBCONFIG_*` options of
/// [`Connection::db_config`] / [`Connection::set_db_config`]. See
/// <https://sqlite.org/c3ref/c_dbconfig_defensive.html> for each.
#[repr(i32)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
#[non_exhaustive]
pub enum DbConfig {
    /// Enforce foreign key constraints.
    SQLITE_DBCONFIG_ENABLE_FKEY = ffi::SQLITE_DBCONFIG_ENABLE_FKEY,
    /// Run triggers.
    SQLITE_DBCONFIG_ENABLE_TRIGGER = ffi::SQLITE_DBCONFIG_ENABLE_TRIGGER,
    /// Allow the two-argument `fts3_tokenizer()`.
    SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER = ffi::SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER,
    /// Allow `sqlite3_load_extension` (the C API only, not the SQL function).
    SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION = ffi::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
    /// Skip the checkpoint a WAL database gets when its last connection closes.
    SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE = ffi::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
    /// The query planner stability guarantee.
    SQLITE_DBCONFIG_ENABLE_QPSG = ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
    /// `EXPLAIN QUERY PLAN` shows trigger programs.
    SQLITE_DBCONFIG_TRIGGER_EQP = ffi::SQLITE_DBCONFIG_TRIGGER_EQP,
    /// With `VACUUM`, resets the database to empty.
    SQLITE_DBCONFIG_RESET_DATABASE = ffi::SQLITE_DBCONFIG_RESET_DATABASE,
    /// Defensive mode: refuses SQL that can corrupt the database file
    /// (`writable_schema`, writes to shadow tables, `journal_mode=OFF`, ...).
    SQLITE_DBCONFIG_DEFENSIVE = ffi::SQLITE_DBCONFIG_DEFENSIVE,
    /// `PRAGMA writable_schema`.
    SQLITE_DBCONFIG_WRITABLE_SCHEMA = ffi::SQLITE_DBCONFIG_WRITABLE_SCHEMA,
    /// Legacy `ALTER TABLE RENAME` behaviour.
    SQLITE_DBCONFIG_LEGACY_ALTER_TABLE = ffi::SQLITE_DBCONFIG_LEGACY_ALTER_TABLE,
    /// Double-quoted string literals in DML statements.
    SQLITE_DBCONFIG_DQS_DML = ffi::SQLITE_DBCONFIG_DQS_DML,
    /// Double-quoted string literals in DDL statements.
    SQLITE_DBCONFIG_DQS_DDL = ffi::SQLITE_DBCONFIG_DQS_DDL,
    /// Allow `CREATE VIEW`.
    SQLITE_DBCONFIG_ENABLE_VIEW = ffi::SQLITE_DBCONFIG_ENABLE_VIEW,
    /// Write databases in the legacy file format.
    SQLITE_DBCONFIG_LEGACY_FILE_FORMAT = ffi::SQLITE_DBCONFIG_LEGACY_FILE_FORMAT,
    /// Trust the schema: let views, triggers and schema expressions call
    /// functions not marked innocuous (`PRAGMA trusted_schema`).
    SQLITE_DBCONFIG_TRUSTED_SCHEMA = ffi::SQLITE_DBCONFIG_TRUSTED_SCHEMA,
    /// Collect `sqlite3_stmt_scanstatus_v2` statistics.
    SQLITE_DBCONFIG_STMT_SCANSTATUS = ffi::SQLITE_DBCONFIG_STMT_SCANSTATUS,
    /// Scan tables in reverse order where order is unspecified.
    SQLITE_DBCONFIG_REVERSE_SCANORDER = ffi::SQLITE_DBCONFIG_REVERSE_SCANORDER,
    /// Let `ATTACH` create the database file when it does not exist
    /// (on by default).
    SQLITE_DBCONFIG_ENABLE_ATTACH_CREATE = ffi::SQLITE_DBCONFIG_ENABLE_ATTACH_CREATE,
    /// Let `ATTACH` open databases for writing (on by default); off, every
    /// attached database is read-only.
    SQLITE_DBCONFIG_ENABLE_ATTACH_WRITE = ffi::SQLITE_DBCONFIG_ENABLE_ATTACH_WRITE,
    /// Accept comments in SQL text (on by default).
    SQLITE_DBCONFIG_ENABLE_COMMENTS = ffi::SQLITE_DBCONFIG_ENABLE_COMMENTS,
    /// The number of significant digits kept when a floating point value
    /// becomes text. This one is a number, not a switch:
    /// [`db_config`](Connection::db_config) and
    /// [`set_db_config`](Connection::set_db_config) refuse it with an error
    /// (rusqlite reads it as `true` and ignores a change); use
    /// [`fp_digits`](Connection::fp_digits) and
    /// [`set_fp_digits`](Connection::set_fp_digits).
    SQLITE_DBCONFIG_FP_DIGITS = ffi::SQLITE_DBCONFIG_FP_DIGITS,
}

impl DbConfig {
    /// True for the options that are on/off switches (all but
    /// `SQLITE_DBCONFIG_FP_DIGITS`).
    fn is_switch(self) -> bool {
        !matches!(self, DbConfig::SQLITE_DBCONFIG_FP_DIGITS)
    }
}

/// The error for a numeric option passed to the boolean accessors.
#[cold]
fn not_a_switch(config: DbConfig) -> crate::Error {
    crate::error::error_from_sqlite_code(
        ffi::SQLITE_MISUSE,
        Some(format!(
            "{config:?} is a number, not an on/off option: use fp_digits / set_fp_digits"
        )),
    )
}

/// The smallest and largest values [`Connection::set_fp_digits`] accepts
/// (SQLite ignores any other).
const FP_DIGITS_RANGE: std::ops::RangeInclusive<c_int> = 4..=23;

impl Connection {
    /// The current value of a boolean `sqlite3_db_config` option.
    ///
    /// # Errors
    /// The SQLite library does not know the option;
    /// `SQLITE_DBCONFIG_FP_DIGITS`, which is not boolean (see
    /// [`fp_digits`](Connection::fp_digits)).
    #[doc(alias = "sqlite3_db_config")]
    pub fn db_config(&self, config: DbConfig) -> Result<bool> {
        if !config.is_switch() {
            return Err(not_a_switch(config));
        }
        let mut value: c_int = 0;
        // SAFETY: live handle; every `DbConfig` is a boolean option whose
        // C signature is `(int onoff, int *pRes)`; -1 queries without change
        // and `value` is a valid out-pointer.
        let rc = unsafe {
            ffi::sqlite3_db_config(self.db.db(), config as c_int, -1 as c_int, &mut value)
        };
        self.decode_result(rc)?;
        Ok(value != 0)
    }

    /// Sets a boolean `sqlite3_db_config` option; returns the new value as
    /// SQLite reports it.
    ///
    /// # Errors
    /// The SQLite library does not know the option;
    /// `SQLITE_DBCONFIG_FP_DIGITS`, which is not boolean (see
    /// [`set_fp_digits`](Connection::set_fp_digits)).
    #[doc(alias = "sqlite3_db_config")]
    pub fn set_db_config(&self, config: DbConfig, on: bool) -> Result<bool> {
        if !config.is_switch() {
            return Err(not_a_switch(config));
        }
        let mut value: c_int = 0;
        // SAFETY: as in `db_config`, with 0 or 1 to set.
        let rc = unsafe {
            ffi::sqlite3_db_config(self.db.db(), config as c_int, c_int::from(on), &mut value)
        };
        self.decode_result(rc)?;
        Ok(value != 0)
    }

    /// The number of significant digits SQLite keeps when it turns a
    /// floating point value into text (`SQLITE_DBCONFIG_FP_DIGITS`; 17 by
    /// default).
    ///
    /// # Errors
    /// The SQLite library does not know the option (before 3.52).
    #[doc(alias = "SQLITE_DBCONFIG_FP_DIGITS")]
    pub fn fp_digits(&self) -> Result<c_int> {
        self.fp_digits_raw(0)
    }

    /// Sets the number of significant digits SQLite keeps when it turns a
    /// floating point value into text (`SQLITE_DBCONFIG_FP_DIGITS`);
    /// returns the new value.
    ///
    /// # Errors
    /// `digits` outside 4..=23 (SQLite would silently ignore it); the
    /// SQLite library does not know the option (before 3.52).
    #[doc(alias = "SQLITE_DBCONFIG_FP_DIGITS")]
    pub fn set_fp_digits(&self, digits: c_int) -> Result<c_int> {
        if !FP_DIGITS_RANGE.contains(&digits) {
            return Err(crate::error::error_from_sqlite_code(
                ffi::SQLITE_RANGE,
                Some(format!(
                    "fp_digits {digits} is out of range {}..={}",
                    FP_DIGITS_RANGE.start(),
                    FP_DIGITS_RANGE.end()
                )),
            ));
        }
        self.fp_digits_raw(digits)
    }

    /// Replaces the connection's lookaside memory: `slots` slots of
    /// `slot_size` bytes each, allocated by SQLite
    /// (`SQLITE_DBCONFIG_LOOKASIDE` with no buffer of ours). Lookaside
    /// serves SQLite's small, short-lived allocations; either value 0 turns
    /// it off. SQLite rounds `slot_size` down to a multiple of 8 and caps
    /// it at 65528; a slot size of 8 or less turns lookaside off. If SQLite
    /// can't allocate the memory, lookaside is off (see
    /// [`DbStatus::LookasideUsed`](crate::DbStatus::LookasideUsed) to
    /// check).
    ///
    /// # Errors
    /// Lookaside memory is in use (`SQLITE_BUSY`): call this right after
    /// opening, before preparing statements (the statement cache holds
    /// some: [`flush_prepared_statement_cache`](Connection::flush_prepared_statement_cache));
    /// a value above `i32::MAX` (`SQLITE_RANGE`).
    #[doc(alias = "SQLITE_DBCONFIG_LOOKASIDE")]
    pub fn set_lookaside(&self, slot_size: usize, slots: usize) -> Result<()> {
        let range = |what: &str, v: usize| {
            c_int::try_from(v).map_err(|_| {
                crate::error::error_from_sqlite_code(
                    ffi::SQLITE_RANGE,
                    Some(format!(
                        "lookaside {what} {v} is larger than {}",
                        c_int::MAX
                    )),
                )
            })
        };
        let (size, count) = (range("slot size", slot_size)?, range("slot count", slots)?);
        // SAFETY: live handle; SQLITE_DBCONFIG_LOOKASIDE takes
        // `(void *pBuf, int sz, int cnt)`: with a null buffer SQLite
        // allocates (and later frees) the memory itself, and it clamps
        // any non-negative size and count.
        let rc = unsafe {
            ffi::sqlite3_db_config(
                self.db.db(),
                ffi::SQLITE_DBCONFIG_LOOKASIDE,
                std::ptr::null_mut::<std::ffi::c_void>(),
                size,
                count,
            )
        };
        if rc == ffi::SQLITE_BUSY {
            return Err(crate::error::error_from_sqlite_code(
                rc,
                Some(
                    "lookaside memory is in use: set it right after opening, before \
                     preparing statements"
                        .to_owned(),
                ),
            ));
        }
        self.decode_result(rc)
    }

    fn fp_digits_raw(&self, digits: c_int) -> Result<c_int> {
        let mut value: c_int = 0;
        // SAFETY: live handle; SQLITE_DBCONFIG_FP_DIGITS takes
        // `(int n, int *pOut)`: `n` outside 4..=23 (0 here to read) changes
        // nothing, and `value` is a valid out-pointer.
        let rc = unsafe {
            ffi::sqlite3_db_config(
                self.db.db(),
                ffi::SQLITE_DBCONFIG_FP_DIGITS,
                digits,
                &mut value,
            )
        };
        self.decode_result(rc)?;
        Ok(value)
    }
}

/// Turns SQLite's process-wide memory accounting on or off
/// (`sqlite3_config(SQLITE_CONFIG_MEMSTATUS)`).
///
/// Accounting is what makes [`hard_heap_limit`](crate::hard_heap_limit),
/// [`soft_heap_limit`](crate::soft_heap_limit) and
/// [`memory_used`](crate::memory_used) work. The vendored SQLite is built
/// with it off (`SQLITE_DEFAULT_MEMSTATUS=0`: it costs a mutex on every
/// allocation); SQLite's own default, and so usually the `libsqlite3-sys`
/// backend, has it on.
///
/// # Errors
/// `SQLITE_MISUSE` once SQLite is initialized: call this before opening the
/// first connection.
///
/// # Safety
/// `sqlite3_config` is not thread-safe: no other thread may call into
/// SQLite (through ferrolite or otherwise) while this runs.
#[doc(alias = "sqlite3_config")]
#[doc(alias = "SQLITE_CONFIG_MEMSTATUS")]
pub unsafe fn set_memory_status(on: bool) -> Result<()> {
    // SAFETY: the caller guarantees no concurrent SQLite call;
    // SQLITE_CONFIG_MEMSTATUS takes one int. After initialization SQLite
    // refuses with SQLITE_MISUSE and changes nothing.
    let rc = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, c_int::from(on)) };
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(crate::error::error_from_sqlite_code(
            rc,
            Some("SQLITE_CONFIG_MEMSTATUS must be set before SQLite is initialized".to_owned()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggles_read_back() {
        let conn = Connection::open_in_memory().unwrap();
        for opt in [
            DbConfig::SQLITE_DBCONFIG_DEFENSIVE,
            DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA,
            DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER,
        ] {
            let before = conn.db_config(opt).unwrap();
            assert_eq!(conn.set_db_config(opt, !before).unwrap(), !before);
            assert_eq!(conn.db_config(opt).unwrap(), !before);
        }
    }
}
