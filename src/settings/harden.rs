//! A hardened profile for untrusted SQL and untrusted database files:
//! [`Connection::open_hardened`] and [`Connection::harden`].

use std::path::Path;

use crate::settings::config::DbConfig;
use crate::settings::limits::Limit;
use crate::{Connection, Error, OpenFlags, Result, ffi};

/// The limits [`Connection::harden`] sets (documented there).
const HARDENED_LIMITS: &[(Limit, i32)] = &[
    (Limit::SQLITE_LIMIT_LENGTH, 10_000_000),
    (Limit::SQLITE_LIMIT_SQL_LENGTH, 1_000_000),
    (Limit::SQLITE_LIMIT_EXPR_DEPTH, 100),
    (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 50),
    (Limit::SQLITE_LIMIT_FUNCTION_ARG, 32),
    (Limit::SQLITE_LIMIT_ATTACHED, 0),
    (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000),
    (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 1000),
    (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 10),
];

impl Connection {
    /// Opens `path` (read-write, created if missing) and applies
    /// [`harden`](Self::harden): the profile for untrusted SQL and
    /// untrusted database files.
    ///
    /// # Errors
    /// As [`open`](Self::open), or a setting SQLite refused.
    pub fn open_hardened<P: AsRef<Path>>(path: P) -> Result<Connection> {
        Connection::open_hardened_with_flags(path, OpenFlags::default())
    }

    /// As [`open_hardened`](Self::open_hardened) with explicit flags (for
    /// example read-only for a file you only inspect).
    ///
    /// # Errors
    /// As [`open_with_flags`](Self::open_with_flags), or a setting SQLite
    /// refused.
    pub fn open_hardened_with_flags<P: AsRef<Path>>(
        path: P,
        flags: OpenFlags,
    ) -> Result<Connection> {
        let conn = Connection::open_with_flags(path, flags)?;
        conn.harden()?;
        Ok(conn)
    }

    /// Applies a hardened profile for untrusted SQL and untrusted database
    /// files to this connection: defensive mode, untrusted schema, no
    /// extension loading, cell size checks, no memory mapping and
    /// conservative limits.
    ///
    /// SQLite's own advice for hostile inputs
    /// (<https://sqlite.org/security.html>) in one call:
    ///
    /// | setting | value | why |
    /// |---|---|---|
    /// | `SQLITE_DBCONFIG_DEFENSIVE` | on | SQL can't corrupt the file (`writable_schema`, shadow tables, `journal_mode=OFF`) |
    /// | `SQLITE_DBCONFIG_TRUSTED_SCHEMA` (`PRAGMA trusted_schema`) | off | views, triggers and schema expressions of a crafted file can't call functions with side effects |
    /// | `SQLITE_DBCONFIG_DQS_DML`, `SQLITE_DBCONFIG_DQS_DDL` | off | `"x"` is always an identifier |
    /// | `SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION` | off | no native code from files |
    /// | `PRAGMA cell_size_check` | on | detect corrupt b-tree pages early |
    /// | `PRAGMA mmap_size` | 0 | a file truncated under us is an error, not `SIGBUS` |
    /// | `SQLITE_LIMIT_LENGTH` | 10,000,000 | largest string or BLOB, bytes (default 1,000,000,000) |
    /// | `SQLITE_LIMIT_SQL_LENGTH` | 1,000,000 | longest SQL text, bytes (default 1,000,000,000) |
    /// | `SQLITE_LIMIT_EXPR_DEPTH` | 100 | expression nesting (default 1000) |
    /// | `SQLITE_LIMIT_COMPOUND_SELECT` | 50 | terms of a compound SELECT (default 500) |
    /// | `SQLITE_LIMIT_FUNCTION_ARG` | 32 | arguments of one function call |
    /// | `SQLITE_LIMIT_ATTACHED` | 0 | SQL can't `ATTACH` (and so create) other files |
    /// | `SQLITE_LIMIT_LIKE_PATTERN_LENGTH` | 1000 | `LIKE`/`GLOB` pattern bytes (default 50,000) |
    /// | `SQLITE_LIMIT_VARIABLE_NUMBER` | 1000 | highest parameter number (default 32,766) |
    /// | `SQLITE_LIMIT_TRIGGER_DEPTH` | 10 | recursive trigger depth (default 1000) |
    ///
    /// Raise any limit afterwards with [`set_limit`](Self::set_limit) if
    /// your data needs it.
    /// Bound memory for the whole process with
    /// [`hard_heap_limit`](crate::hard_heap_limit), and interrupt runaway
    /// queries with an [`InterruptHandle`](crate::InterruptHandle). For a
    /// database file from elsewhere also run `PRAGMA quick_check` before
    /// trusting its content. See `SECURITY.md`.
    ///
    /// ```
    /// use ferrolite::Connection;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let conn = Connection::open_hardened(dir.path().join("upload.db"))?;
    /// // SQL from outside can't attach (and so create) other files...
    /// assert!(conn.execute_batch("ATTACH 'elsewhere.db' AS x").is_err());
    /// // ...nor write the schema table directly.
    /// conn.execute_batch("CREATE TABLE t (x)")?;
    /// assert!(conn.execute_batch("PRAGMA writable_schema = ON; DELETE FROM sqlite_schema").is_err());
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// A setting SQLite refused (none does on a supported SQLite).
    #[doc(alias = "SQLITE_DBCONFIG_DEFENSIVE")]
    pub fn harden(&self) -> Result<()> {
        let switches = [
            (DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true),
            (DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false),
            (DbConfig::SQLITE_DBCONFIG_DQS_DML, false),
            (DbConfig::SQLITE_DBCONFIG_DQS_DDL, false),
            (DbConfig::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, false),
        ];
        for (option, on) in switches {
            if self.set_db_config(option, on)? != on {
                return Err(Error::SqliteFailure(
                    ffi::Error::new(ffi::SQLITE_MISUSE),
                    Some(format!("SQLite did not apply {option:?} = {on}")),
                ));
            }
        }
        self.execute_batch("PRAGMA cell_size_check = ON; PRAGMA mmap_size = 0")?;
        for &(limit, value) in HARDENED_LIMITS {
            self.set_limit(limit, value)?;
        }
        Ok(())
    }
}
