//! Schema migrations: an ordered list of steps, the database's version in
//! `PRAGMA user_version` (the shape of the `rusqlite_migration` crate).
//!
//! A [`Migrations`] list holds steps ([`M`]): SQL to go up, optionally SQL
//! to go down, optionally Rust code ([`M::up_with_hook`]) and a comment.
//! Version *n* means "the first *n* steps have run": a fresh database is at
//! version 0, and after all steps of a list of 3 it is at version 3.
//!
//! ```
//! use ferrolite::Connection;
//! use ferrolite::migrate::{Migrations, SchemaVersion, M};
//!
//! let migrations = Migrations::new(vec![
//!     M::up("CREATE TABLE friend (name TEXT NOT NULL);").down("DROP TABLE friend;"),
//!     M::up("ALTER TABLE friend ADD COLUMN email TEXT;")
//!         .down("ALTER TABLE friend DROP COLUMN email;")
//!         .comment("friends have an email"),
//! ]);
//! // In a unit test: every step up, then down, then up again, in memory.
//! migrations.validate()?;
//!
//! let mut conn = Connection::open_in_memory()?;
//! migrations.to_latest(&mut conn)?;
//! assert_eq!(migrations.current_version(&conn)?, SchemaVersion::Inside(2.try_into().unwrap()));
//! conn.execute("INSERT INTO friend (name, email) VALUES ('ada', 'ada@example.com')", [])?;
//!
//! migrations.to_version(&mut conn, 1)?; // down: the email column is gone
//! assert!(conn.execute("INSERT INTO friend (name, email) VALUES ('bob', 'b')", []).is_err());
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! # What a migration run guarantees
//!
//! - **One writer.** A run takes the write lock first (`BEGIN IMMEDIATE`)
//!   and reads the version *inside* that transaction, so two processes (or
//!   two connections) migrating the same file at once serialize: the
//!   second waits (the connection's busy timeout), sees the version the
//!   first one reached, and has nothing left to do. A database already at
//!   the target version is only read, never locked for writing.
//! - **Each step is atomic.** Every step runs in a savepoint of its own
//!   inside the run's transaction, followed by `PRAGMA foreign_key_check`
//!   (skipped while no table of the main database declares a foreign key,
//!   that is while no table's SQL mentions `REFERENCES`).
//!   A step that fails (SQL error, hook error, a foreign key violation left
//!   behind) is rolled back alone; the steps before it are committed with
//!   the version they reached, so the database is left at the version
//!   before the failing step, and the error
//!   ([`MigrationError::Step`] / [`MigrationError::ForeignKeyViolation`])
//!   names the step's 0-based index and its comment. (`rusqlite_migration`
//!   rolls back the whole run instead.) All completed steps and the new
//!   `user_version` commit together, with one write to disk.
//! - **Foreign keys stay enforced.** If the connection has
//!   `PRAGMA foreign_keys=ON`, it is turned off for the run (as SQLite's
//!   documented procedure for schema changes requires: otherwise a
//!   `DROP TABLE` of a parent table deletes or refuses rows) and turned
//!   back on afterwards, whatever the outcome; the check after every step
//!   is what enforces the constraints meanwhile. `ON DELETE` actions
//!   therefore do not fire inside steps. A list whose steps knowingly leave
//!   violations can opt out with [`Migrations::without_foreign_key_check`].
//! - **A newer database is refused untouched**:
//!   [`MigrationError::DatabaseTooNew`], before any write.
//! - **Downgrades** run the `down` SQL of each step from the last one
//!   back, each preceded by its down hook; if a step in the way has no
//!   `down`, nothing runs ([`MigrationError::DownNotDefined`]).
//!
//! Statements that cannot run inside a transaction (`VACUUM`,
//! `PRAGMA journal_mode`, `PRAGMA foreign_keys`) do not belong in steps;
//! a step must not `COMMIT`, `ROLLBACK` or `RELEASE` the run's transaction
//! (a step that ends it fails).
//!
//! # Coming from `rusqlite_migration`
//!
//! The names are the same (`Migrations::new` / `from_slice`, `M::up`,
//! `down`, `up_with_hook`, `down_with_hook`, `comment`,
//! `foreign_key_check`, `to_latest`, `to_version`, `current_version`,
//! `pending_migrations`, `validate`, `SchemaVersion`), and so is the meaning
//! of a version. The differences:
//! - errors are [`Error::Migration`] (a
//!   [`MigrationError`]) or a plain SQLite error, not a separate error type;
//!   hooks return `ferrolite::Result<()>` and need not be `Clone`;
//! - a failing step keeps the steps before it (rusqlite_migration rolls
//!   back the whole run);
//! - the foreign key check runs after every step without being asked;
//! - `validate` also runs the `down`s and then `up` again;
//! - an empty list is version 0, not an error;
//! - the version is re-read under the write lock, so concurrent migrators
//!   are safe.
//!
//! # Loading steps from files
//!
//! [`Migrations::from_directory`] reads, at run time, a directory of
//! `NNN-name/up.sql` (and optional `NNN-name/down.sql`) folders numbered
//! 1, 2, 3, …; the folder name is the step's comment.
//!
//! To put the same files into the binary at compile time, list the
//! folders in [`embed_migrations!`](crate::embed_migrations): it expands
//! to `include_str!` of each file (paths relative to the crate's
//! `Cargo.toml`), checks the numbering at compile time, and gives a
//! `Migrations<'static>` usable in a `static`. A declarative macro cannot
//! list a directory, so the folders are named in the source; a unit test
//! comparing it with [`Migrations::from_directory`] catches a folder that
//! was added but not listed:
//!
//! ```
//! use ferrolite::migrate::Migrations;
//!
//! static MIGRATIONS: Migrations<'static> = ferrolite::embed_migrations!(
//!     "tests/data/migrations/valid",
//!     ["1-friend" + down, "2-email", "3-pet" + down]
//! );
//!
//! let from_files = Migrations::from_directory(
//!     concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/migrations/valid"),
//! )?;
//! assert_eq!(from_files, MIGRATIONS);
//! MIGRATIONS.validate()?;
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Connection, Error, Result, Transaction, TransactionBehavior};

/// The largest number of steps: `PRAGMA user_version` is a signed 32-bit
/// integer.
pub const MIGRATIONS_MAX: usize = i32::MAX as usize;

/// The Rust code of a step, run in the step's savepoint of the run's
/// transaction ([`M::up_with_hook`], [`M::down_with_hook`]).
pub type Hook = Arc<dyn Fn(&Transaction<'_>) -> Result<()> + Send + Sync + 'static>;

/// The savepoint each step runs in (statements kept in the connection's
/// statement cache: a run executes them once per step).
const SAVEPOINT: &str = "SAVEPOINT ferrolite_migrate_step";
const RELEASE: &str = "RELEASE ferrolite_migrate_step";
const ROLLBACK_TO: &str = "ROLLBACK TO ferrolite_migrate_step";

/// One migration step: SQL to go up, and optionally SQL to go down, Rust
/// hooks and a comment.
///
/// The constructors and setters without hooks are `const fn`, so a list
/// can live in a `const` or `static` ([`Migrations::from_slice`]).
#[derive(Clone)]
#[must_use]
pub struct M<'u> {
    up: Cow<'u, str>,
    up_hook: Option<Hook>,
    down: Option<Cow<'u, str>>,
    down_hook: Option<Hook>,
    comment: Option<Cow<'u, str>>,
}

impl fmt::Debug for M<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("M")
            .field("up", &self.up)
            .field("up_hook", &self.up_hook.as_ref().map(|_| "<closure>"))
            .field("down", &self.down)
            .field("down_hook", &self.down_hook.as_ref().map(|_| "<closure>"))
            .field("comment", &self.comment)
            .finish()
    }
}

/// Two steps are equal when their SQL and comments are equal and they
/// hold the same hooks (the same `Arc`) or none.
impl PartialEq for M<'_> {
    fn eq(&self, other: &Self) -> bool {
        fn same_hook(a: &Option<Hook>, b: &Option<Hook>) -> bool {
            match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
        }
        self.up == other.up
            && self.down == other.down
            && self.comment == other.comment
            && same_hook(&self.up_hook, &other.up_hook)
            && same_hook(&self.down_hook, &other.down_hook)
    }
}

impl Eq for M<'_> {}

impl<'u> M<'u> {
    /// A step whose `up` is this SQL (one or more statements, run with
    /// [`execute_batch`](Connection::execute_batch)).
    pub const fn up(sql: &'u str) -> Self {
        M {
            up: Cow::Borrowed(sql),
            up_hook: None,
            down: None,
            down_hook: None,
            comment: None,
        }
    }

    /// A step that runs `sql`, then `hook` (Rust code, in the same
    /// savepoint: an `Err` from the hook undoes the SQL too). `sql` may be
    /// empty. A panic in the hook rolls back the whole run (no step of it
    /// is kept), turns foreign keys back on, and continues unwinding out
    /// of [`Migrations::to_latest`].
    pub fn up_with_hook<F>(sql: &'u str, hook: F) -> Self
    where
        F: Fn(&Transaction<'_>) -> Result<()> + Send + Sync + 'static,
    {
        let mut m = M::up(sql);
        m.up_hook = Some(Arc::new(hook));
        m
    }

    /// The SQL that undoes this step, run when migrating below this step's
    /// version ([`Migrations::to_version`]). Without it, the step can't be
    /// undone. (Being a `const fn`, it can't free text it replaces: on a
    /// step loaded by [`Migrations::from_directory`], replacing its `down`
    /// leaks the old string.)
    pub const fn down(mut self, sql: &'u str) -> Self {
        // A `const fn` can't drop the text it replaces; only a step
        // loaded from a directory holds owned text, and setting it again
        // there leaks that one string.
        std::mem::forget(self.down.replace(Cow::Borrowed(sql)));
        self
    }

    /// The SQL that undoes this step, preceded by `hook` (in the same
    /// savepoint).
    pub fn down_with_hook<F>(mut self, sql: &'u str, hook: F) -> Self
    where
        F: Fn(&Transaction<'_>) -> Result<()> + Send + Sync + 'static,
    {
        self.down = Some(Cow::Borrowed(sql));
        self.down_hook = Some(Arc::new(hook));
        self
    }

    /// A comment, named in this step's errors. (As with [`down`](Self::down),
    /// replacing the comment of a step loaded from a directory leaks the
    /// old string.)
    pub const fn comment(mut self, comment: &'u str) -> Self {
        // As in `down`.
        std::mem::forget(self.comment.replace(Cow::Borrowed(comment)));
        self
    }

    /// Kept for `rusqlite_migration` compatibility: ferrolite runs
    /// `PRAGMA foreign_key_check` after every step already (see the
    /// [module documentation](self)), so this changes nothing.
    pub const fn foreign_key_check(self) -> Self {
        self
    }

    /// The `up` SQL.
    pub fn up_sql(&self) -> &str {
        &self.up
    }

    /// The `down` SQL, if any.
    pub fn down_sql(&self) -> Option<&str> {
        self.down.as_deref()
    }

    /// The comment, if any.
    pub fn comment_text(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    fn can_go_down(&self) -> bool {
        self.down.is_some()
    }

    /// Whether running this step may have added a foreign key to the
    /// schema: every foreign key is declared with the keyword
    /// `REFERENCES`, and a hook may do anything.
    fn may_add_foreign_keys(&self, direction: Direction) -> bool {
        let (sql, hook) = match direction {
            Direction::Up => (Some(&self.up), &self.up_hook),
            Direction::Down => (self.down.as_ref(), &self.down_hook),
        };
        hook.is_some() || sql.is_some_and(|s| mentions_references(s))
    }
}

/// The version of a database relative to a list of migrations
/// ([`Migrations::current_version`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaVersion {
    /// `user_version` is 0: no step has run.
    NoneSet,
    /// `user_version` is between 1 and the number of steps.
    Inside(NonZeroUsize),
    /// `user_version` is beyond the list: the database was migrated by a
    /// newer program.
    Outside(NonZeroUsize),
}

impl From<SchemaVersion> for usize {
    fn from(v: SchemaVersion) -> usize {
        match v {
            SchemaVersion::NoneSet => 0,
            SchemaVersion::Inside(n) | SchemaVersion::Outside(n) => n.get(),
        }
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaVersion::NoneSet => f.write_str("0 (no version set)"),
            SchemaVersion::Inside(n) => write!(f, "{n} (inside)"),
            SchemaVersion::Outside(n) => write!(f, "{n} (outside)"),
        }
    }
}

/// Which way a step was run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The step's `up` (and up hook).
    Up,
    /// The step's `down` (and down hook).
    Down,
}

/// One row of `PRAGMA foreign_key_check`: a row whose foreign key points
/// at no parent row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ForeignKeyViolation {
    /// The table holding the row.
    pub table: String,
    /// The row's rowid (`None` for a `WITHOUT ROWID` table).
    pub rowid: Option<i64>,
    /// The parent table the key refers to.
    pub parent: String,
    /// Which foreign key of `table` (its index in
    /// `PRAGMA foreign_key_list`).
    pub fkid: i64,
}

/// Why a migration, or loading one, failed
/// (inside [`Error::Migration`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum MigrationError {
    /// A step's SQL or hook failed; the step was rolled back and the
    /// database is at the version before it.
    Step {
        /// The step's 0-based index in the list (its version is `index + 1`).
        index: usize,
        /// The step's comment.
        comment: Option<String>,
        /// Whether it was going up or down.
        direction: Direction,
        /// The error (also [`source()`](std::error::Error::source)).
        error: Error,
    },
    /// A step left rows whose foreign keys point at nothing; the step was
    /// rolled back.
    ForeignKeyViolation {
        /// The step's 0-based index.
        index: usize,
        /// The step's comment.
        comment: Option<String>,
        /// Whether it was going up or down.
        direction: Direction,
        /// What `PRAGMA foreign_key_check` reported.
        violations: Vec<ForeignKeyViolation>,
    },
    /// Going down would pass a step that has no `down`; nothing ran.
    DownNotDefined {
        /// The step's 0-based index.
        index: usize,
        /// The step's comment.
        comment: Option<String>,
    },
    /// The database's `user_version` is beyond the last step: a newer
    /// program migrated it. Nothing was changed.
    DatabaseTooNew {
        /// The database's `user_version`.
        version: usize,
        /// The number of steps of the list.
        latest: usize,
    },
    /// The database's `user_version` is negative: not a version this
    /// module wrote. Nothing was changed.
    InvalidVersion(i64),
    /// [`Migrations::to_version`] was asked for a version beyond the last
    /// step.
    TargetOutOfRange {
        /// The version asked for.
        target: usize,
        /// The number of steps of the list.
        latest: usize,
    },
    /// A migrations directory could not be read or is malformed (gap or
    /// duplicate in the numbering, a folder without `up.sql`, …).
    Load {
        /// The file or folder at fault.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
        /// The I/O error behind it, if any.
        source: Option<io::Error>,
    },
}

struct StepName<'a>(usize, &'a Option<String>);

impl fmt::Display for StepName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "migration step {}", self.0)?;
        if let Some(c) = self.1 {
            write!(f, " ({c:?})")?;
        }
        Ok(())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Up => "up",
            Direction::Down => "down",
        })
    }
}

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrationError::Step {
                index,
                comment,
                direction,
                error,
            } => {
                write!(
                    f,
                    "{} failed going {direction}: ",
                    StepName(*index, comment)
                )?;
                if f.alternate() {
                    write!(f, "{error:#}")
                } else {
                    write!(f, "{error}")
                }
            }
            MigrationError::ForeignKeyViolation {
                index,
                comment,
                direction,
                violations,
            } => {
                write!(
                    f,
                    "{} failed going {direction}: it leaves {} foreign key violation{}",
                    StepName(*index, comment),
                    violations.len(),
                    if violations.len() == 1 { "" } else { "s" }
                )?;
                for (i, v) in violations.iter().take(5).enumerate() {
                    let sep = if i == 0 { ": " } else { ", " };
                    match v.rowid {
                        Some(r) => write!(f, "{sep}{} rowid {r} -> {}", v.table, v.parent)?,
                        None => write!(f, "{sep}{} -> {}", v.table, v.parent)?,
                    }
                }
                if violations.len() > 5 {
                    f.write_str(", …")?;
                }
                Ok(())
            }
            MigrationError::DownNotDefined { index, comment } => write!(
                f,
                "{} has no down migration: cannot migrate below version {}",
                StepName(*index, comment),
                index + 1
            ),
            MigrationError::DatabaseTooNew { version, latest } => write!(
                f,
                "the database is at schema version {version}, newer than the {latest} \
                 migration{} known to this program: left untouched",
                if *latest == 1 { "" } else { "s" }
            ),
            MigrationError::InvalidVersion(v) => write!(
                f,
                "the database's user_version is {v}, not a migration version: left untouched"
            ),
            MigrationError::TargetOutOfRange { target, latest } => write!(
                f,
                "cannot migrate to version {target}: the last migration is version {latest}"
            ),
            MigrationError::Load {
                path,
                reason,
                source,
            } => {
                write!(f, "migrations at {}: {reason}", path.display())?;
                if let Some(e) = source {
                    write!(f, ": {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for MigrationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MigrationError::Step { error, .. } => Some(error),
            MigrationError::Load {
                source: Some(e), ..
            } => Some(e),
            _ => None,
        }
    }
}

impl PartialEq for MigrationError {
    fn eq(&self, other: &Self) -> bool {
        use MigrationError::*;
        match (self, other) {
            (
                Step {
                    index: i1,
                    comment: c1,
                    direction: d1,
                    error: e1,
                },
                Step {
                    index: i2,
                    comment: c2,
                    direction: d2,
                    error: e2,
                },
            ) => i1 == i2 && c1 == c2 && d1 == d2 && e1 == e2,
            (
                ForeignKeyViolation {
                    index: i1,
                    comment: c1,
                    direction: d1,
                    violations: v1,
                },
                ForeignKeyViolation {
                    index: i2,
                    comment: c2,
                    direction: d2,
                    violations: v2,
                },
            ) => i1 == i2 && c1 == c2 && d1 == d2 && v1 == v2,
            (
                DownNotDefined {
                    index: i1,
                    comment: c1,
                },
                DownNotDefined {
                    index: i2,
                    comment: c2,
                },
            ) => i1 == i2 && c1 == c2,
            (
                DatabaseTooNew {
                    version: v1,
                    latest: l1,
                },
                DatabaseTooNew {
                    version: v2,
                    latest: l2,
                },
            ) => v1 == v2 && l1 == l2,
            (InvalidVersion(a), InvalidVersion(b)) => a == b,
            (
                TargetOutOfRange {
                    target: t1,
                    latest: l1,
                },
                TargetOutOfRange {
                    target: t2,
                    latest: l2,
                },
            ) => t1 == t2 && l1 == l2,
            (
                Load {
                    path: p1,
                    reason: r1,
                    source: s1,
                },
                Load {
                    path: p2,
                    reason: r2,
                    source: s2,
                },
            ) => {
                p1 == p2
                    && r1 == r2
                    && s1.as_ref().map(io::Error::kind) == s2.as_ref().map(io::Error::kind)
            }
            _ => false,
        }
    }
}

impl From<MigrationError> for Error {
    #[cold]
    fn from(e: MigrationError) -> Error {
        Error::Migration(Box::new(e))
    }
}

/// An ordered list of migration steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrations<'m> {
    ms: Cow<'m, [M<'m>]>,
    fk_check: bool,
}

impl<'m> FromIterator<M<'m>> for Migrations<'m> {
    fn from_iter<I: IntoIterator<Item = M<'m>>>(iter: I) -> Self {
        Migrations::new(iter.into_iter().collect())
    }
}

impl<'m> Migrations<'m> {
    /// A list of steps; step `i` (0-based) takes the database from
    /// version `i` to version `i + 1`.
    pub const fn new(ms: Vec<M<'m>>) -> Self {
        Migrations {
            ms: Cow::Owned(ms),
            fk_check: true,
        }
    }

    /// A list borrowed from a slice: usable in a `const` or `static`.
    /// (The steps go in a `const` slice of their own: a `static` can't
    /// borrow a temporary array of them.)
    ///
    /// ```
    /// use ferrolite::migrate::{Migrations, M};
    ///
    /// const STEPS: &[M<'static>] = &[
    ///     M::up("CREATE TABLE a (x);").down("DROP TABLE a;"),
    ///     M::up("CREATE TABLE b (y);").comment("b holds y"),
    /// ];
    /// static MIGRATIONS: Migrations<'static> = Migrations::from_slice(STEPS);
    /// assert_eq!(MIGRATIONS.len(), 2);
    /// ```
    pub const fn from_slice(ms: &'m [M<'m>]) -> Self {
        Migrations {
            ms: Cow::Borrowed(ms),
            fk_check: true,
        }
    }

    /// Skips the `PRAGMA foreign_key_check` after each step, for a
    /// database that already holds violations the steps are not meant to
    /// fix. (`PRAGMA foreign_keys` is still turned off during the run and
    /// restored after it.)
    pub const fn without_foreign_key_check(mut self) -> Self {
        self.fk_check = false;
        self
    }

    /// The number of steps (the latest version).
    pub fn len(&self) -> usize {
        self.ms.len()
    }

    /// Whether the list has no step.
    pub fn is_empty(&self) -> bool {
        self.ms.is_empty()
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[M<'m>] {
        &self.ms
    }

    /// The database's version relative to this list.
    ///
    /// # Errors
    /// Reading `PRAGMA user_version` failed, or it is negative
    /// ([`MigrationError::InvalidVersion`]).
    pub fn current_version(&self, conn: &Connection) -> Result<SchemaVersion> {
        let v = user_version(conn)?;
        Ok(match NonZeroUsize::new(v) {
            None => SchemaVersion::NoneSet,
            Some(n) if v <= self.ms.len() => SchemaVersion::Inside(n),
            Some(n) => SchemaVersion::Outside(n),
        })
    }

    /// How many steps [`to_latest`](Self::to_latest) would run (negative
    /// when the database is newer than the list).
    ///
    /// # Errors
    /// As [`current_version`](Self::current_version).
    pub fn pending_migrations(&self, conn: &Connection) -> Result<i64> {
        let v = user_version(conn)?;
        // Both are at most i32::MAX.
        Ok(self.ms.len() as i64 - v as i64)
    }

    /// Runs every step the database has not run yet.
    ///
    /// # Errors
    /// [`Error::Migration`] with
    /// [`MigrationError::DatabaseTooNew`] (nothing changed),
    /// [`MigrationError::Step`] or [`MigrationError::ForeignKeyViolation`]
    /// (the steps before the failing one are kept); an SQLite error taking
    /// the write lock or committing (for example `SQLITE_BUSY` after the
    /// busy timeout), in which case nothing changed.
    pub fn to_latest(&self, conn: &mut Connection) -> Result<()> {
        self.goto(conn, self.ms.len())
    }

    /// Migrates up or down to `version` (0 = before the first step).
    ///
    /// # Errors
    /// As [`to_latest`](Self::to_latest), and
    /// [`MigrationError::TargetOutOfRange`] for a version beyond the list,
    /// [`MigrationError::DownNotDefined`] (nothing ran) when a step to undo
    /// has no `down`.
    pub fn to_version(&self, conn: &mut Connection, version: usize) -> Result<()> {
        if version > self.ms.len() {
            return Err(MigrationError::TargetOutOfRange {
                target: version,
                latest: self.ms.len(),
            }
            .into());
        }
        self.goto(conn, version)
    }

    /// Checks the list on a new in-memory database: every step up, then
    /// every step down (as far as `down`s are defined, from the last step
    /// back), then up again (which catches a `down` that does not fully
    /// undo its step). Call it from a unit test.
    ///
    /// # Errors
    /// The first failing step's error.
    pub fn validate(&self) -> Result<()> {
        let mut conn = Connection::open_in_memory()?;
        self.to_latest(&mut conn)?;
        let lowest = self
            .ms
            .iter()
            .rposition(|m| !m.can_go_down())
            .map_or(0, |i| i + 1);
        self.goto(&mut conn, lowest)?;
        self.to_latest(&mut conn)
    }

    fn goto(&self, conn: &mut Connection, target: usize) -> Result<()> {
        if self.ms.len() > MIGRATIONS_MAX {
            return Err(MigrationError::TargetOutOfRange {
                target: self.ms.len(),
                latest: MIGRATIONS_MAX,
            }
            .into());
        }
        // A database already there is only read: no write lock on every
        // start of the program.
        let before = user_version(conn)?;
        if before > self.ms.len() {
            return Err(self.too_new(before));
        }
        if before == target {
            return Ok(());
        }
        if target < before {
            self.check_downs(before, target)?;
        }
        // Foreign keys can only be switched outside a transaction. The
        // guard turns them back on even if a hook panics.
        let conn: &Connection = conn;
        let fk_on: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
        let guard = ForeignKeysOff::new(conn, fk_on != 0)?;
        let result = self.run(conn, target);
        let restored = guard.restore();
        // The run's error comes first; restoring can only fail if the
        // connection is left inside a transaction, which a run never does.
        result.and(restored)
    }

    fn too_new(&self, version: usize) -> Error {
        MigrationError::DatabaseTooNew {
            version,
            latest: self.ms.len(),
        }
        .into()
    }

    fn check_downs(&self, from: usize, to: usize) -> Result<()> {
        match (to..from).rev().find(|&i| !self.ms[i].can_go_down()) {
            Some(index) => Err(MigrationError::DownNotDefined {
                index,
                comment: self.ms[index].comment.as_deref().map(str::to_owned),
            }
            .into()),
            None => Ok(()),
        }
    }

    /// The write transaction of a run: the version is read again under the
    /// write lock (another connection may have migrated meanwhile).
    fn run(&self, conn: &Connection, target: usize) -> Result<()> {
        // `new_unchecked`: the caller holds `&mut Connection`, and the
        // foreign-keys guard shares it.
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let current = user_version(&tx)?;
        if current > self.ms.len() {
            return Err(self.too_new(current));
        }
        if current == target {
            return tx.commit();
        }
        if target < current {
            self.check_downs(current, target)?;
        }
        // Without any foreign key in the schema there is nothing to check:
        // skip the per-step check until a step may have added one.
        let mut has_fk = self.fk_check && schema_has_foreign_keys(&tx)?;
        let mut reached = current;
        let mut failure = None;
        while reached != target {
            let (index, direction) = if target > reached {
                (reached, Direction::Up)
            } else {
                (reached - 1, Direction::Down)
            };
            match self.step(&tx, index, direction, &mut has_fk) {
                Ok(()) => {
                    reached = if direction == Direction::Up {
                        reached + 1
                    } else {
                        reached - 1
                    };
                }
                Err(StepFailure::Undone(e)) => {
                    failure = Some(e);
                    break;
                }
                // The step's changes could not be separated from the
                // others: drop the transaction (rollback), keep nothing.
                Err(StepFailure::Tangled(e)) => return Err(e),
            }
        }
        if reached != current {
            // Bounded by MIGRATIONS_MAX above.
            tx.execute_batch(&format!("PRAGMA user_version = {reached}"))?;
        }
        // If the commit fails, nothing of the run is kept: that error is
        // the one the caller must see (a step's error is then secondary).
        tx.commit()?;
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn step(
        &self,
        tx: &Transaction<'_>,
        index: usize,
        direction: Direction,
        has_fk: &mut bool,
    ) -> std::result::Result<(), StepFailure> {
        let m = &self.ms[index];
        let fail = |error: Error| {
            Error::from(MigrationError::Step {
                index,
                comment: m.comment.as_deref().map(str::to_owned),
                direction,
                error,
            })
        };
        run_cached(tx, SAVEPOINT).map_err(|e| StepFailure::Tangled(fail(e)))?;
        let outcome = self.step_body(tx, m, direction).and_then(|()| {
            if tx.is_autocommit() {
                return Err(Error::UserFunctionError(
                    "the step ended the migration's transaction (COMMIT, ROLLBACK or END)".into(),
                ));
            }
            Ok(())
        });
        let outcome = outcome.and_then(|()| {
            if self.fk_check && !*has_fk && m.may_add_foreign_keys(direction) {
                *has_fk = schema_has_foreign_keys(tx)?;
            }
            Ok(())
        });
        let outcome = match outcome {
            Ok(()) if *has_fk => match foreign_key_violations(tx) {
                Ok(v) if v.is_empty() => Ok(()),
                Ok(violations) => Err(Error::from(MigrationError::ForeignKeyViolation {
                    index,
                    comment: m.comment.as_deref().map(str::to_owned),
                    direction,
                    violations,
                })),
                Err(e) => Err(fail(e)),
            },
            Ok(()) => Ok(()),
            Err(e) => Err(fail(e)),
        };
        match outcome {
            Ok(()) => run_cached(tx, RELEASE).map_err(|e| StepFailure::Tangled(fail(e))),
            Err(e) => {
                if tx.is_autocommit()
                    || run_cached(tx, ROLLBACK_TO).is_err()
                    || run_cached(tx, RELEASE).is_err()
                {
                    Err(StepFailure::Tangled(e))
                } else {
                    Err(StepFailure::Undone(e))
                }
            }
        }
    }

    fn step_body(&self, tx: &Transaction<'_>, m: &M<'_>, direction: Direction) -> Result<()> {
        match direction {
            Direction::Up => {
                tx.execute_batch(&m.up)?;
                if let Some(hook) = &m.up_hook {
                    hook(tx)?;
                }
            }
            Direction::Down => {
                if let Some(hook) = &m.down_hook {
                    hook(tx)?;
                }
                // Checked before the run started.
                if let Some(down) = &m.down {
                    tx.execute_batch(down)?;
                }
            }
        }
        Ok(())
    }
}

/// `PRAGMA foreign_keys` turned off for a run, and back on when restored
/// or dropped (a hook's panic unwinding).
struct ForeignKeysOff<'c> {
    conn: &'c Connection,
    was_on: bool,
}

impl<'c> ForeignKeysOff<'c> {
    fn new(conn: &'c Connection, was_on: bool) -> Result<Self> {
        if was_on {
            conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        }
        Ok(ForeignKeysOff { conn, was_on })
    }

    fn restore(mut self) -> Result<()> {
        if !std::mem::take(&mut self.was_on) {
            return Ok(());
        }
        self.conn.execute_batch("PRAGMA foreign_keys = ON")?;
        // The pragma is silently ignored inside a transaction.
        let on: i64 = self
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
        if on == 1 {
            Ok(())
        } else {
            Err(Error::UserFunctionError(
                "PRAGMA foreign_keys could not be turned back on after the migration".into(),
            ))
        }
    }
}

impl Drop for ForeignKeysOff<'_> {
    fn drop(&mut self) {
        if self.was_on {
            // Unwinding from a hook's panic; the transaction was rolled
            // back before (it is dropped first). Nothing to report to.
            let _ = self.conn.execute_batch("PRAGMA foreign_keys = ON");
        }
    }
}

enum StepFailure {
    /// The step was rolled back alone; earlier steps can be committed.
    Undone(Error),
    /// The step's changes could not be rolled back alone.
    Tangled(Error),
}

/// Whether `sql` contains `references` in any letter case.
fn mentions_references(sql: &str) -> bool {
    const WORD: &[u8] = b"references";
    sql.as_bytes()
        .windows(WORD.len())
        .any(|w| w.eq_ignore_ascii_case(WORD))
}

/// Whether any table of the main schema may declare a foreign key (its
/// SQL mentions `REFERENCES`; a mention in a comment or a string only
/// costs a check that finds nothing).
fn schema_has_foreign_keys(conn: &Connection) -> Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema \
         WHERE type = 'table' AND sql LIKE '%references%')",
    )?
    .query_row([], |r| r.get(0))
}

fn run_cached(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn user_version(conn: &Connection) -> Result<usize> {
    let v: i64 = conn
        .prepare_cached("PRAGMA user_version")?
        .query_row([], |r| r.get(0))?;
    usize::try_from(v).map_err(|_| MigrationError::InvalidVersion(v).into())
}

fn foreign_key_violations(conn: &Connection) -> Result<Vec<ForeignKeyViolation>> {
    let mut stmt = conn.prepare_cached("PRAGMA foreign_key_check")?;
    let rows = stmt.query_map([], |r| {
        Ok(ForeignKeyViolation {
            table: r.get(0)?,
            rowid: r.get(1)?,
            parent: r.get(2)?,
            fkid: r.get(3)?,
        })
    })?;
    rows.collect()
}

// ------------------------------------------------------------ directories

impl Migrations<'static> {
    /// Loads a directory of steps: one folder per step, named
    /// `NNN-name` (a number, a dash, a name), holding `up.sql` and
    /// optionally `down.sql`. The numbers must run 1, 2, 3, … (leading
    /// zeros allowed); the folder name becomes the step's comment. Files
    /// and hidden entries (`.name`) beside the folders are ignored.
    ///
    /// # Errors
    /// [`MigrationError::Load`] naming the path at fault: the directory
    /// can't be read, a folder name without a number, a number 0, a
    /// duplicate or missing number, a folder without `up.sql`, a file that
    /// is not UTF-8.
    pub fn from_directory(dir: impl AsRef<Path>) -> Result<Migrations<'static>> {
        let dir = dir.as_ref();
        let load = |path: &Path, reason: String, source: Option<io::Error>| {
            Error::from(MigrationError::Load {
                path: path.to_owned(),
                reason,
                source,
            })
        };
        let entries = std::fs::read_dir(dir)
            .map_err(|e| load(dir, "cannot read the directory".into(), Some(e)))?;
        let mut found: Vec<(usize, String, PathBuf)> = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| load(dir, "cannot list the directory".into(), Some(e)))?;
            let path = entry.path();
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(load(&path, "the folder name is not UTF-8".into(), None));
            };
            if name.starts_with('.') || !path.is_dir() {
                continue;
            }
            let number = step_number(name.as_bytes()).ok_or_else(|| {
                load(
                    &path,
                    "a migration folder is named NNN-name, with NNN from 1".into(),
                    None,
                )
            })?;
            found.push((number, name.to_owned(), path));
        }
        found.sort();
        let mut ms = Vec::with_capacity(found.len());
        for (i, (number, _, path)) in found.iter().enumerate() {
            if i > 0 && found[i - 1].0 == *number {
                return Err(load(
                    path,
                    format!(
                        "step number {number} is used twice (also by {})",
                        found[i - 1].2.display()
                    ),
                    None,
                ));
            }
            if *number != i + 1 {
                return Err(load(
                    path,
                    format!(
                        "step number {} is missing (the steps run 1, 2, 3, …)",
                        i + 1
                    ),
                    None,
                ));
            }
        }
        for (_, name, path) in found {
            let read = |file: &str| -> Result<Option<String>> {
                let p = path.join(file);
                match std::fs::read(&p) {
                    Ok(bytes) => String::from_utf8(bytes)
                        .map(Some)
                        .map_err(|_| load(&p, "the file is not UTF-8".into(), None)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(load(&p, "cannot read the file".into(), Some(e))),
                }
            };
            let up = read("up.sql")?
                .ok_or_else(|| load(&path, "the folder has no up.sql".into(), None))?;
            let down = read("down.sql")?;
            ms.push(M {
                up: Cow::Owned(up),
                up_hook: None,
                down: down.map(Cow::Owned),
                down_hook: None,
                comment: Some(Cow::Owned(name)),
            });
        }
        if ms.len() > MIGRATIONS_MAX {
            return Err(load(dir, "too many steps".into(), None));
        }
        Ok(Migrations::new(ms))
    }
}

/// The number of a step folder name `NNN-name` (`NNN` ≥ 1), or `None`.
const fn step_number(name: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut n: usize = 0;
    while i < name.len() && name[i].is_ascii_digit() {
        n = match n.checked_mul(10) {
            Some(v) => match v.checked_add((name[i] - b'0') as usize) {
                Some(v) => v,
                None => return None,
            },
            None => return None,
        };
        i += 1;
    }
    if i == 0 || i >= name.len() || name[i] != b'-' || n == 0 {
        return None;
    }
    Some(n)
}

/// Used by [`embed_migrations!`](crate::embed_migrations): panics (at
/// compile time) unless the names are `NNN-name` numbered 1, 2, 3, ….
#[doc(hidden)]
pub const fn __check_names(names: &[&str]) {
    let mut i = 0;
    while i < names.len() {
        match step_number(names[i].as_bytes()) {
            Some(n) if n == i + 1 => {}
            Some(_) => panic!(
                "embed_migrations!: the folders must be numbered 1, 2, 3, … in the order listed"
            ),
            None => {
                panic!("embed_migrations!: a migration folder is named NNN-name, with NNN from 1")
            }
        }
        i += 1;
    }
}

/// Puts a directory of migration steps into the binary at compile time:
/// a [`Migrations<'static>`](crate::migrate::Migrations) usable in a
/// `static`, from `include_str!` of each `up.sql` (and of `down.sql` for
/// the folders marked `+ down`).
///
/// The directory is relative to the calling crate's `Cargo.toml`. The
/// numbering (`1-…`, `2-…`, … in the order listed) is checked at compile
/// time, and a listed file that is missing is a compile error. Each
/// folder name becomes its step's comment. See the
/// [module documentation](crate::migrate) for a test that catches a folder
/// left out of the list.
///
/// ```
/// use ferrolite::migrate::Migrations;
///
/// static MIGRATIONS: Migrations<'static> = ferrolite::embed_migrations!(
///     "tests/data/migrations/valid",
///     ["1-friend" + down, "2-email", "3-pet" + down]
/// );
/// assert_eq!(MIGRATIONS.len(), 3);
/// assert_eq!(MIGRATIONS.steps()[1].comment_text(), Some("2-email"));
/// ```
///
/// A gap in the numbering does not compile:
///
/// ```compile_fail
/// static M: ferrolite::migrate::Migrations<'static> = ferrolite::embed_migrations!(
///     "tests/data/migrations/valid",
///     ["1-friend", "3-pet"]
/// );
/// ```
#[macro_export]
macro_rules! embed_migrations {
    ($dir:literal, [ $( $name:literal $( + $down:ident )? ),* $(,)? ]) => {{
        const _: () = $crate::migrate::__check_names(&[$($name),*]);
        const __FERROLITE_STEPS: &[$crate::migrate::M<'static>] = &[
            $( $crate::embed_migrations!(@step $dir, $name $(, $down)?) ),*
        ];
        $crate::migrate::Migrations::from_slice(__FERROLITE_STEPS)
    }};
    (@step $dir:literal, $name:literal) => {
        $crate::migrate::M::up(::core::include_str!(::core::concat!(
            ::core::env!("CARGO_MANIFEST_DIR"), "/", $dir, "/", $name, "/up.sql"
        )))
        .comment($name)
    };
    (@step $dir:literal, $name:literal, down) => {
        $crate::migrate::M::up(::core::include_str!(::core::concat!(
            ::core::env!("CARGO_MANIFEST_DIR"), "/", $dir, "/", $name, "/up.sql"
        )))
        .down(::core::include_str!(::core::concat!(
            ::core::env!("CARGO_MANIFEST_DIR"), "/", $dir, "/", $name, "/down.sql"
        )))
        .comment($name)
    };
}
