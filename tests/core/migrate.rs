//! ferrolite::migrate: versions, atomicity per step, down migrations,
//! validation, foreign keys, directories, concurrent migrators.

use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::thread;

use ferrolite::migrate::{Direction, M, MigrationError, Migrations, SchemaVersion};
use ferrolite::{Connection, Error, Transaction};

use crate::common::{memory_db, temp_db, temp_path};

fn version(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

fn tables(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<ferrolite::Result<_>>()
        .unwrap()
}

fn migration_error(err: Error) -> MigrationError {
    match err {
        Error::Migration(m) => *m,
        other => panic!("expected Error::Migration, got {other:?}"),
    }
}

fn inside(n: usize) -> SchemaVersion {
    SchemaVersion::Inside(NonZeroUsize::new(n).unwrap())
}

fn three() -> Migrations<'static> {
    Migrations::new(vec![
        M::up("CREATE TABLE a (x);").down("DROP TABLE a;"),
        M::up("CREATE TABLE b (x);").down("DROP TABLE b;"),
        M::up("CREATE TABLE c (x);").down("DROP TABLE c;"),
    ])
}

#[test]
fn fresh_database_to_latest_runs_steps_in_order() {
    let mut conn = memory_db();
    // Each step depends on the one before: order matters.
    let ms = Migrations::new(vec![
        M::up("CREATE TABLE t (x);"),
        M::up("INSERT INTO t VALUES (1);"),
        M::up("UPDATE t SET x = x * 10;"),
        M::up("INSERT INTO t SELECT x + 1 FROM t;"),
    ]);
    assert_eq!(ms.current_version(&conn).unwrap(), SchemaVersion::NoneSet);
    assert_eq!(ms.pending_migrations(&conn).unwrap(), 4);
    ms.to_latest(&mut conn).unwrap();
    assert_eq!(version(&conn), 4);
    assert_eq!(ms.current_version(&conn).unwrap(), inside(4));
    assert_eq!(inside(4).to_string(), "4 (inside)");
    assert_eq!(SchemaVersion::NoneSet.to_string(), "0 (no version set)");
    assert_eq!(usize::from(inside(4)), 4);
    assert_eq!(usize::from(SchemaVersion::NoneSet), 0);
    assert_eq!(ms.pending_migrations(&conn).unwrap(), 0);
    let xs: Vec<i64> = conn
        .prepare("SELECT x FROM t ORDER BY x")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<ferrolite::Result<_>>()
        .unwrap();
    assert_eq!(xs, [10, 11]);
}

#[test]
fn to_latest_twice_runs_nothing_the_second_time() {
    let mut conn = memory_db();
    let ms = Migrations::new(vec![M::up("CREATE TABLE t (x); INSERT INTO t VALUES (1);")]);
    ms.to_latest(&mut conn).unwrap();
    ms.to_latest(&mut conn).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(version(&conn), 1);
}

#[test]
fn new_steps_appended_later_run_alone() {
    let mut conn = memory_db();
    let mut steps = vec![M::up("CREATE TABLE a (x);")];
    Migrations::new(steps.clone()).to_latest(&mut conn).unwrap();
    steps.push(M::up("CREATE TABLE b (x);"));
    let v2 = Migrations::new(steps);
    assert_eq!(v2.pending_migrations(&conn).unwrap(), 1);
    v2.to_latest(&mut conn).unwrap();
    assert_eq!(tables(&conn), ["a", "b"]);
    assert_eq!(version(&conn), 2);
}

#[test]
fn to_version_up_down_and_same() {
    let mut conn = memory_db();
    let ms = three();
    ms.to_version(&mut conn, 2).unwrap();
    assert_eq!(tables(&conn), ["a", "b"]);
    assert_eq!(version(&conn), 2);
    ms.to_version(&mut conn, 2).unwrap();
    assert_eq!(tables(&conn), ["a", "b"]);
    ms.to_version(&mut conn, 3).unwrap();
    assert_eq!(tables(&conn), ["a", "b", "c"]);
    ms.to_version(&mut conn, 1).unwrap();
    assert_eq!(tables(&conn), ["a"]);
    assert_eq!(version(&conn), 1);
    ms.to_version(&mut conn, 0).unwrap();
    assert!(tables(&conn).is_empty());
    assert_eq!(version(&conn), 0);
    assert_eq!(ms.current_version(&conn).unwrap(), SchemaVersion::NoneSet);
}

#[test]
fn to_version_beyond_the_list_is_refused() {
    let mut conn = memory_db();
    let err = migration_error(three().to_version(&mut conn, 4).unwrap_err());
    assert_eq!(
        err,
        MigrationError::TargetOutOfRange {
            target: 4,
            latest: 3
        }
    );
    assert_eq!(version(&conn), 0);
    assert!(tables(&conn).is_empty());
}

#[test]
fn down_not_defined_runs_nothing() {
    let mut conn = memory_db();
    let ms = Migrations::new(vec![
        M::up("CREATE TABLE a (x);").down("DROP TABLE a;"),
        M::up("CREATE TABLE b (x);").comment("b without a way back"),
        M::up("CREATE TABLE c (x);").down("DROP TABLE c;"),
    ]);
    ms.to_latest(&mut conn).unwrap();
    let err = ms.to_version(&mut conn, 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "migration step 1 (\"b without a way back\") has no down migration: \
         cannot migrate below version 2"
    );
    assert_eq!(
        migration_error(err),
        MigrationError::DownNotDefined {
            index: 1,
            comment: Some("b without a way back".into())
        }
    );
    // Not even step 2 (which has a down) was undone.
    assert_eq!(tables(&conn), ["a", "b", "c"]);
    assert_eq!(version(&conn), 3);
    // Down to version 2 only needs step 2's down.
    ms.to_version(&mut conn, 2).unwrap();
    assert_eq!(tables(&conn), ["a", "b"]);
}

#[test]
fn failing_step_leaves_previous_version_and_nothing_of_itself() {
    let mut conn = memory_db();
    let ms = Migrations::new(vec![
        M::up("CREATE TABLE a (x);"),
        M::up("CREATE TABLE b (x); INSERT INTO b VALUES (1); CREATE TABLE c (x); SELEC oops;")
            .comment("b and c"),
        M::up("CREATE TABLE d (x);"),
    ]);
    let err = ms.to_latest(&mut conn).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("migration step 1 (\"b and c\") failed going up: near \"SELEC\""),
        "{text}"
    );
    match migration_error(err) {
        MigrationError::Step {
            index,
            comment,
            direction,
            error,
        } => {
            assert_eq!(index, 1);
            assert_eq!(comment.as_deref(), Some("b and c"));
            assert_eq!(direction, Direction::Up);
            assert!(matches!(error, Error::SqlInputError { .. }), "{error:?}");
        }
        other => panic!("{other:?}"),
    }
    // Step 0 committed, nothing of step 1 (b, its row, c), step 2 not run.
    assert_eq!(tables(&conn), ["a"]);
    assert_eq!(version(&conn), 1);
    // The connection is usable and not inside a transaction.
    assert!(conn.is_autocommit());
}

#[test]
fn failing_step_on_a_file_is_durable_up_to_the_previous_step() {
    let (_dir, path, mut conn) = temp_db("fail.db");
    let ms = Migrations::new(vec![
        M::up("CREATE TABLE a (x);"),
        M::up("CREATE TABLE b (x); INSERT INTO nowhere VALUES (1);"),
    ]);
    ms.to_latest(&mut conn).unwrap_err();
    drop(conn);
    let conn = Connection::open(&path).unwrap();
    assert_eq!(version(&conn), 1);
    assert_eq!(tables(&conn), ["a"]);
}

#[test]
fn failing_first_step_changes_nothing() {
    let mut conn = memory_db();
    let ms = Migrations::new(vec![M::up("CREATE TABLE a (x); CREATE TABLE a (y);")]);
    let err = migration_error(ms.to_latest(&mut conn).unwrap_err());
    assert!(
        matches!(err, MigrationError::Step { index: 0, .. }),
        "{err:?}"
    );
    assert_eq!(version(&conn), 0);
    assert!(tables(&conn).is_empty());
}

#[test]
fn failing_down_step_leaves_the_version_after_it() {
    let mut conn = memory_db();
    let ms = Migrations::new(vec![
        M::up("CREATE TABLE a (x);").down("DROP TABLE a;"),
        M::up("CREATE TABLE b (x);")
            .down("DROP TABLE nope;")
            .comment("bad down"),
        M::up("CREATE TABLE c (x);").down("DROP TABLE c;"),
    ]);
    ms.to_latest(&mut conn).unwrap();
    let err = migration_error(ms.to_version(&mut conn, 0).unwrap_err());
    assert!(
        matches!(
            err,
            MigrationError::Step {
                index: 1,
                direction: Direction::Down,
                ..
            }
        ),
        "{err:?}"
    );
    // Step 2 was undone and committed; step 1 failed and is still there.
    assert_eq!(version(&conn), 2);
    assert_eq!(tables(&conn), ["a", "b"]);
}

#[test]
fn newer_database_is_refused_untouched() {
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE keep (x); PRAGMA user_version = 7;")
        .unwrap();
    let ms = three();
    assert_eq!(
        ms.current_version(&conn).unwrap(),
        SchemaVersion::Outside(NonZeroUsize::new(7).unwrap())
    );
    assert_eq!(ms.pending_migrations(&conn).unwrap(), -4);
    for result in [ms.to_latest(&mut conn), ms.to_version(&mut conn, 1)] {
        let err = result.unwrap_err();
        assert_eq!(
            err.to_string(),
            "the database is at schema version 7, newer than the 3 migrations known to \
             this program: left untouched"
        );
        assert_eq!(
            migration_error(err),
            MigrationError::DatabaseTooNew {
                version: 7,
                latest: 3
            }
        );
    }
    assert_eq!(version(&conn), 7);
    assert_eq!(tables(&conn), ["keep"]);
}

#[test]
fn negative_user_version_is_refused() {
    let mut conn = memory_db();
    conn.execute_batch("PRAGMA user_version = -2").unwrap();
    let err = migration_error(three().to_latest(&mut conn).unwrap_err());
    assert_eq!(err, MigrationError::InvalidVersion(-2));
    assert!(tables(&conn).is_empty());
}

#[test]
fn up_hook_runs_after_sql_in_the_same_step() {
    let mut conn = memory_db();
    let ms = Migrations::new(vec![
        M::up("CREATE TABLE novel (text TEXT);"),
        M::up_with_hook("ALTER TABLE novel ADD short TEXT;", |tx: &Transaction| {
            tx.execute("INSERT INTO novel (text) VALUES ('long text')", [])?;
            tx.execute("UPDATE novel SET short = substr(text, 1, 4)", [])?;
            Ok(())
        }),
    ]);
    ms.to_latest(&mut conn).unwrap();
    let short: String = conn
        .query_row("SELECT short FROM novel", [], |r| r.get(0))
        .unwrap();
    assert_eq!(short, "long");
}

#[test]
fn failing_hook_undoes_its_step_sql() {
    let mut conn = memory_db();
    let ms = Migrations::new(vec![
        M::up("CREATE TABLE a (x);"),
        M::up_with_hook("CREATE TABLE b (x);", |tx: &Transaction| {
            tx.execute("INSERT INTO b VALUES (1)", [])?;
            Err(Error::UserFunctionError("the hook gives up".into()))
        })
        .comment("hooked"),
    ]);
    let err = ms.to_latest(&mut conn).unwrap_err();
    assert_eq!(
        err.to_string(),
        "migration step 1 (\"hooked\") failed going up: the hook gives up"
    );
    assert_eq!(tables(&conn), ["a"]);
    assert_eq!(version(&conn), 1);
}

#[test]
fn down_hook_runs_before_down_sql() {
    let mut conn = memory_db();
    let ms = Migrations::new(vec![
        M::up("CREATE TABLE log (what TEXT);"),
        M::up("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);").down_with_hook(
            "DROP TABLE t;",
            |tx: &Transaction| {
                // The table still exists when the hook runs.
                tx.execute("INSERT INTO log SELECT 'saved ' || x FROM t", [])?;
                Ok(())
            },
        ),
    ]);
    ms.to_latest(&mut conn).unwrap();
    ms.to_version(&mut conn, 1).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(tables(&conn), ["log"]);
}

#[test]
fn step_ending_the_transaction_is_an_error() {
    let mut conn = memory_db();
    let ms = Migrations::new(vec![M::up("CREATE TABLE a (x); COMMIT;")]);
    let err = migration_error(ms.to_latest(&mut conn).unwrap_err());
    assert!(
        matches!(err, MigrationError::Step { index: 0, .. }),
        "{err:?}"
    );
    assert!(conn.is_autocommit());
    // The version was not bumped.
    assert_eq!(version(&conn), 0);
}

fn fk_schema() -> Vec<M<'static>> {
    vec![M::up(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id));
             INSERT INTO parent VALUES (1);
             INSERT INTO child VALUES (10, 1);",
    )]
}

#[test]
fn foreign_key_violation_in_a_step_is_rolled_back() {
    for fk_on in [false, true] {
        let mut conn = memory_db();
        conn.execute_batch(if fk_on {
            "PRAGMA foreign_keys = ON"
        } else {
            "PRAGMA foreign_keys = OFF"
        })
        .unwrap();
        let mut steps = fk_schema();
        steps.push(
            M::up("INSERT INTO child VALUES (11, 99); CREATE TABLE x (y);").comment("orphan"),
        );
        let ms = Migrations::new(steps);
        let err = ms.to_latest(&mut conn).unwrap_err();
        assert_eq!(
            err.to_string(),
            "migration step 1 (\"orphan\") failed going up: it leaves 1 foreign key \
             violation: child rowid 11 -> parent"
        );
        match migration_error(err) {
            MigrationError::ForeignKeyViolation {
                index, violations, ..
            } => {
                assert_eq!(index, 1);
                assert_eq!(violations.len(), 1);
                assert_eq!(violations[0].table, "child");
                assert_eq!(violations[0].rowid, Some(11));
                assert_eq!(violations[0].parent, "parent");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(version(&conn), 1);
        assert_eq!(tables(&conn), ["child", "parent"]);
        // The user's setting is back.
        let now: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(now, i64::from(fk_on), "foreign_keys after the run");
    }
}

#[test]
fn table_rebuild_with_foreign_keys_on_keeps_children() {
    // SQLite's procedure for changing a parent table: create the new one,
    // copy, drop the old, rename. With foreign_keys=ON during the step,
    // the DROP would fail (or cascade); the run turns it off, checks the
    // keys after the step, and turns it back on.
    let mut conn = memory_db();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let mut steps = fk_schema();
    steps[0] = M::up(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (id INTEGER PRIMARY KEY,
                             parent INTEGER REFERENCES parent(id) ON DELETE CASCADE);
         INSERT INTO parent VALUES (1);
         INSERT INTO child VALUES (10, 1);",
    );
    steps.push(M::up(
        "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT DEFAULT 'p');
         INSERT INTO parent_new (id) SELECT id FROM parent;
         DROP TABLE parent;
         ALTER TABLE parent_new RENAME TO parent;",
    ));
    Migrations::new(steps).to_latest(&mut conn).unwrap();
    let children: i64 = conn
        .query_row("SELECT count(*) FROM child", [], |r| r.get(0))
        .unwrap();
    assert_eq!(children, 1, "the child row survived the rebuild");
    let on: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(on, 1);
    // And the keys are enforced again.
    assert!(
        conn.execute("INSERT INTO child VALUES (12, 42)", [])
            .is_err()
    );
}

#[test]
fn without_foreign_key_check_accepts_existing_violations() {
    let mut conn = memory_db();
    let mut steps = fk_schema();
    steps.push(M::up("INSERT INTO child VALUES (11, 99);"));
    let ms = Migrations::new(steps).without_foreign_key_check();
    ms.to_latest(&mut conn).unwrap();
    assert_eq!(version(&conn), 2);
}

#[test]
fn validate_passes_a_good_list() {
    three().validate().unwrap();
    // Steps without down are validated up only.
    Migrations::new(vec![
        M::up("CREATE TABLE a (x);"),
        M::up("CREATE TABLE b (x);").down("DROP TABLE b;"),
    ])
    .validate()
    .unwrap();
    Migrations::new(vec![]).validate().unwrap();
}

#[test]
fn validate_catches_a_broken_up() {
    let err = Migrations::new(vec![
        M::up("CREATE TABLE a (x);"),
        M::up("CREATE TABLE a (x);").comment("twice"),
    ])
    .validate()
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("migration step 1 (\"twice\") failed going up"),
        "{err}"
    );
}

#[test]
fn validate_catches_a_broken_down() {
    let err = Migrations::new(vec![
        M::up("CREATE TABLE a (x);").down("DROP TABLE a;"),
        M::up("CREATE TABLE b (x);")
            .down("DROP TABLE bb;")
            .comment("typo"),
    ])
    .validate()
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("migration step 1 (\"typo\") failed going down: no such table: bb"),
        "{err}"
    );
}

#[test]
fn validate_catches_a_down_that_does_not_undo() {
    // The down "works" but leaves the table: going up again fails.
    let err = Migrations::new(vec![
        M::up("CREATE TABLE a (x); CREATE TABLE b (x);").down("DROP TABLE a;"),
    ])
    .validate()
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("migration step 0 failed going up: table b already exists"),
        "{err}"
    );
}

#[test]
fn static_list_from_slice() {
    const STEPS: &[M<'static>] = &[
        M::up("CREATE TABLE a (x);").down("DROP TABLE a;"),
        M::up("CREATE TABLE b (x);").comment("b"),
    ];
    static MIGRATIONS: Migrations<'static> = Migrations::from_slice(STEPS);
    const ONE: &[M<'static>] = &[M::up("CREATE TABLE a (x);").foreign_key_check()];
    const ALSO: Migrations<'static> = Migrations::from_slice(ONE);
    let mut conn = memory_db();
    MIGRATIONS.to_latest(&mut conn).unwrap();
    assert_eq!(tables(&conn), ["a", "b"]);
    assert_eq!(MIGRATIONS.steps()[1].comment_text(), Some("b"));
    assert_eq!(ALSO.len(), 1);
    let collected: Migrations = MIGRATIONS.steps().iter().cloned().collect();
    assert_eq!(collected, MIGRATIONS);
}

#[test]
fn empty_list_is_version_zero() {
    let mut conn = memory_db();
    let ms = Migrations::new(vec![]);
    ms.to_latest(&mut conn).unwrap();
    assert_eq!(version(&conn), 0);
    conn.execute_batch("PRAGMA user_version = 1").unwrap();
    assert!(matches!(
        migration_error(ms.to_latest(&mut conn).unwrap_err()),
        MigrationError::DatabaseTooNew {
            version: 1,
            latest: 0
        }
    ));
}

#[test]
fn connection_in_a_transaction_is_an_error_not_a_nested_run() {
    let mut conn = memory_db();
    conn.execute_batch("BEGIN").unwrap();
    let err = three().to_latest(&mut conn).unwrap_err();
    assert!(err.to_string().contains("within a transaction"), "{err}");
    conn.execute_batch("ROLLBACK").unwrap();
    assert_eq!(version(&conn), 0);
}

// ------------------------------------------------------------- directories

fn data_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/migrations")
        .join(name)
}

#[test]
fn from_directory_loads_sorted_steps() {
    let ms = Migrations::from_directory(data_dir("valid")).unwrap();
    assert_eq!(ms.len(), 3);
    let comments: Vec<_> = ms
        .steps()
        .iter()
        .map(|m| m.comment_text().unwrap())
        .collect();
    assert_eq!(comments, ["1-friend", "2-email", "3-pet"]);
    assert!(ms.steps()[1].down_sql().is_none());
    assert_eq!(ms.steps()[0].down_sql(), Some("DROP TABLE friend;\n"));
    ms.validate().unwrap();
    let mut conn = memory_db();
    ms.to_latest(&mut conn).unwrap();
    assert_eq!(tables(&conn), ["friend", "pet"]);
}

#[test]
fn embedded_migrations_match_the_directory() {
    static EMBEDDED: Migrations<'static> = ferrolite::embed_migrations!(
        "tests/data/migrations/valid",
        ["1-friend" + down, "2-email", "3-pet" + down,]
    );
    assert_eq!(
        Migrations::from_directory(data_dir("valid")).unwrap(),
        EMBEDDED
    );
    EMBEDDED.validate().unwrap();
}

/// Builds a migrations directory in a temp dir: (folder, [(file, text)]).
fn make_dir(layout: &[(&str, &[(&str, &str)])]) -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = temp_path("migrations");
    fs::create_dir(&root).unwrap();
    for (folder, files) in layout {
        fs::create_dir(root.join(folder)).unwrap();
        for (file, text) in *files {
            fs::write(root.join(folder).join(file), text).unwrap();
        }
    }
    (tmp, root)
}

fn load_error(root: &Path) -> (PathBuf, String) {
    match migration_error(Migrations::from_directory(root).unwrap_err()) {
        MigrationError::Load { path, reason, .. } => (path, reason),
        other => panic!("{other:?}"),
    }
}

const UP: &[(&str, &str)] = &[("up.sql", "CREATE TABLE t (x);")];

#[test]
fn from_directory_numbering_and_extra_files() {
    // Leading zeros, ignored files and hidden folders.
    let (_tmp, root) = make_dir(&[
        ("001-a", &[("up.sql", "CREATE TABLE a (x);")]),
        (
            "002-b",
            &[("up.sql", "CREATE TABLE b (x);"), ("notes.txt", "x")],
        ),
        ("010-c", &[]),
        (".git", &[]),
    ]);
    fs::remove_dir(root.join("010-c")).unwrap();
    fs::write(root.join("README.md"), "not a step").unwrap();
    let ms = Migrations::from_directory(&root).unwrap();
    assert_eq!(ms.len(), 2);
    assert_eq!(ms.steps()[1].comment_text(), Some("002-b"));
    // Numeric order, not string order: 2 before 10.
    let (_tmp, root) = make_dir(&[
        ("10-j", UP),
        ("1-a", UP),
        ("2-b", UP),
        ("3-c", UP),
        ("4-d", UP),
        ("5-e", UP),
        ("6-f", UP),
        ("7-g", UP),
        ("8-h", UP),
        ("9-i", UP),
    ]);
    let ms = Migrations::from_directory(&root).unwrap();
    assert_eq!(ms.steps()[9].comment_text(), Some("10-j"));
    assert_eq!(ms.steps()[1].comment_text(), Some("2-b"));
}

#[test]
fn from_directory_errors() {
    let (_tmp, root) = make_dir(&[("1-a", UP), ("3-c", UP)]);
    let (path, reason) = load_error(&root);
    assert_eq!(path, root.join("3-c"));
    assert_eq!(
        reason,
        "step number 2 is missing (the steps run 1, 2, 3, …)"
    );

    let (_tmp, root) = make_dir(&[("1-a", UP), ("2-b", UP), ("02-bb", UP)]);
    let (_, reason) = load_error(&root);
    assert!(
        reason.starts_with("step number 2 is used twice"),
        "{reason}"
    );

    let (_tmp, root) = make_dir(&[("1-a", UP), ("2-b", &[("down.sql", "DROP TABLE t;")])]);
    let err = Migrations::from_directory(&root).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "migrations at {}: the folder has no up.sql",
            root.join("2-b").display()
        )
    );

    for bad in ["a-1", "0-zero", "12", "x"] {
        let (_tmp, root) = make_dir(&[(bad, UP)]);
        let (path, reason) = load_error(&root);
        assert_eq!(path, root.join(bad));
        assert!(reason.contains("NNN-name"), "{bad}: {reason}");
    }

    let (_tmp, root) = make_dir(&[("1-a", &[("up.sql", "")])]);
    fs::write(root.join("1-a/up.sql"), b"CREATE TABLE \xff;").unwrap();
    let (path, reason) = load_error(&root);
    assert_eq!(path, root.join("1-a/up.sql"));
    assert_eq!(reason, "the file is not UTF-8");

    let missing = root.join("nope");
    match migration_error(Migrations::from_directory(&missing).unwrap_err()) {
        MigrationError::Load { path, source, .. } => {
            assert_eq!(path, missing);
            assert_eq!(source.unwrap().kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }

    // An empty directory is an empty list.
    let (_tmp, root) = make_dir(&[]);
    assert!(Migrations::from_directory(&root).unwrap().is_empty());
}

// ------------------------------------------------------------- concurrency

#[test]
fn concurrent_migrators_end_with_one_migrated_database() {
    let (_dir, path, conn) = temp_db("concurrent.db");
    conn.execute_batch("PRAGMA journal_mode = WAL").unwrap();
    drop(conn);
    // A step that is not idempotent: run twice, it would fail (CREATE
    // TABLE) or double the rows.
    let steps: Arc<Vec<M<'static>>> = Arc::new(
        (0..20)
            .map(|i| {
                M::up_with_hook("", move |tx: &Transaction| {
                    tx.execute_batch(&format!(
                        "CREATE TABLE t{i} (x); INSERT INTO log VALUES ({i});"
                    ))?;
                    // Give the other migrator time to try.
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    Ok(())
                })
            })
            .collect(),
    );
    let mut all = vec![M::up("CREATE TABLE log (step INTEGER);")];
    all.extend(steps.iter().cloned());
    let ms = Arc::new(Migrations::new(all));
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (ms, barrier, path) = (ms.clone(), barrier.clone(), path.clone());
            thread::spawn(move || {
                let mut conn = Connection::open(&path).unwrap();
                barrier.wait();
                ms.to_latest(&mut conn)
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let conn = Connection::open(&path).unwrap();
    assert_eq!(version(&conn), 21);
    let n: i64 = conn
        .query_row("SELECT count(*) FROM log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 20, "each step ran exactly once");
}

#[test]
fn migrator_waits_for_a_writer_then_sees_its_version() {
    let (_dir, path, mut first) = temp_db("waiting.db");
    let ms = three();
    // Another connection holds the write lock, having migrated.
    let tx = first.transaction().unwrap();
    ms.steps()
        .iter()
        .try_for_each(|m| tx.execute_batch(m.up_sql()))
        .unwrap();
    tx.execute_batch("PRAGMA user_version = 3").unwrap();
    let started = Arc::new(Barrier::new(2));
    let handle = {
        let (path, started) = (path.clone(), started.clone());
        thread::spawn(move || {
            let mut conn = Connection::open(&path).unwrap();
            let ms = three();
            started.wait();
            let r = ms.to_latest(&mut conn);
            (r, version(&conn))
        })
    };
    started.wait();
    thread::sleep(std::time::Duration::from_millis(100));
    tx.commit().unwrap();
    let (result, v) = handle.join().unwrap();
    result.unwrap();
    assert_eq!(v, 3);
}

#[test]
fn error_display_and_source() {
    let mut conn = memory_db();
    let err = Migrations::new(vec![M::up(
        "CREATE TABLE t (x); INSERT INTO t VALUES (1, 2);",
    )])
    .to_latest(&mut conn)
    .unwrap_err();
    let source = std::error::Error::source(&err).expect("the SQL error is the source");
    assert!(
        source.to_string().contains("1 columns but 2 values"),
        "{source}"
    );
    // The alternate form is the inner error's alternate form.
    let alt = format!("{err:#}");
    assert!(
        alt.starts_with("migration step 0 failed going up: "),
        "{alt}"
    );
    assert!(alt.ends_with("(Error code 1: SQL logic error)"), "{alt}");
    // For a syntax error, it locates the error in the step's SQL.
    let err = Migrations::new(vec![M::up("CREATE TABLE t (x);\nSELEC 1;")])
        .to_latest(&mut conn)
        .unwrap_err();
    let alt = format!("{err:#}");
    assert!(alt.contains("at line 2, column 1"), "{alt}");
}

#[test]
fn foreign_keys_added_by_a_later_step_are_checked() {
    // The first steps have no foreign key (the check is skipped for
    // them); the ones that add one, in any letter case or from a hook,
    // are checked.
    let cases: Vec<M<'static>> = vec![
        M::up("ALTER TABLE c ADD COLUMN p INTEGER DEFAULT 7 references p(id);"),
        M::up("CREATE TABLE c2 (p INTEGER ReFeReNcEs p(id)); INSERT INTO c2 VALUES (5);"),
        M::up_with_hook("", |tx: &Transaction| {
            tx.execute_batch(
                "CREATE TABLE c3 (p INTEGER REFERENCES p(id)); INSERT INTO c3 VALUES (9);",
            )
        }),
    ];
    for (i, bad) in cases.into_iter().enumerate() {
        let mut conn = memory_db();
        let ms = Migrations::new(vec![
            M::up("CREATE TABLE p (id INTEGER PRIMARY KEY);"),
            M::up("CREATE TABLE c (x); INSERT INTO c VALUES (1);"),
            bad,
        ]);
        let err = migration_error(ms.to_latest(&mut conn).unwrap_err());
        assert!(
            matches!(err, MigrationError::ForeignKeyViolation { index: 2, .. }),
            "case {i}: {err:?}"
        );
        assert_eq!(version(&conn), 2, "case {i}");
    }
}

#[test]
fn panicking_hook_rolls_back_and_restores_foreign_keys() {
    let mut conn = memory_db();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let ms = Migrations::new(vec![
        M::up("CREATE TABLE a (x);"),
        M::up_with_hook("CREATE TABLE b (x);", |_: &Transaction| {
            panic!("hook panics")
        }),
    ]);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = ms.to_latest(&mut conn);
    }));
    assert!(caught.is_err());
    // The whole run's transaction was rolled back by the unwinding.
    assert_eq!(version(&conn), 0);
    assert!(tables(&conn).is_empty());
    assert!(conn.is_autocommit());
    let on: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(on, 1);
    // And the connection migrates normally afterwards.
    Migrations::new(vec![M::up("CREATE TABLE a (x);")])
        .to_latest(&mut conn)
        .unwrap();
    assert_eq!(version(&conn), 1);
}
