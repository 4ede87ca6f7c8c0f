//! Online backup: `ferrolite::backup` and `Connection::{backup, restore}`.

use crate::common::temp_path;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use ferrolite::backup::{Backup, NO_PROGRESS, Progress, StepResult};
use ferrolite::{Connection, ErrorCode, MAIN_DB, Result, TEMP_DB};

/// A source with enough rows to span many pages (page size 1024).
fn populated(conn: &Connection, rows: i64) -> Result<()> {
    conn.execute_batch(
        "PRAGMA page_size = 1024;
         CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    )?;
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO t (body) SELECT printf('%0200d', i) FROM n",
        [rows],
    )?;
    Ok(())
}

fn count(conn: &Connection) -> Result<i64> {
    conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
}

fn integrity(conn: &Connection) -> Result<String> {
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
}

#[test]
fn step_by_step_reports_progress_and_copies_everything() -> Result<()> {
    let src = Connection::open_in_memory()?;
    populated(&src, 500)?;
    let pages: i32 = src.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    assert!(pages > 20, "test needs a multi-page source, got {pages}");

    let mut dst = Connection::open_in_memory()?;
    {
        let backup = Backup::new(&src, &mut dst)?;
        let mut steps = 0;
        let mut last_remaining = i32::MAX;
        loop {
            let r = backup.step(5)?;
            steps += 1;
            let p = backup.progress();
            assert_eq!(p.pagecount, pages);
            assert!(p.remaining < last_remaining, "progress must advance");
            last_remaining = p.remaining;
            match r {
                StepResult::More => assert!(p.remaining > 0),
                StepResult::Done => {
                    assert_eq!(p.remaining, 0);
                    assert_eq!(p.fraction_done(), 1.0);
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(steps, (pages + 4) / 5, "5 pages per step");
    }
    assert_eq!(count(&dst)?, 500);
    assert_eq!(integrity(&dst)?, "ok");
    Ok(())
}

#[test]
fn run_to_completion_calls_progress_each_step() -> Result<()> {
    use std::sync::atomic::AtomicUsize;
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    fn on_progress(p: Progress) {
        assert!(p.remaining <= p.pagecount);
        CALLS.fetch_add(1, Ordering::SeqCst);
    }
    let src = Connection::open_in_memory()?;
    populated(&src, 200)?;
    let pages: usize = src.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let mut dst = Connection::open_in_memory()?;
    Backup::new(&src, &mut dst)?.run_to_completion(
        10,
        Duration::from_millis(0),
        Some(on_progress),
    )?;
    assert_eq!(CALLS.load(Ordering::SeqCst), pages.div_ceil(10));
    assert_eq!(count(&dst)?, 200);
    Ok(())
}

#[test]
fn run_to_completion_rejects_non_positive_step() -> Result<()> {
    let src = Connection::open_in_memory()?;
    populated(&src, 10)?;
    let mut dst = Connection::open_in_memory()?;
    let backup = Backup::new(&src, &mut dst)?;
    for bad in [0, -1] {
        let err = backup
            .run_to_completion(bad, Duration::ZERO, None)
            .unwrap_err();
        assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse));
    }
    // Nothing was copied by the refused calls.
    assert_eq!(
        backup.progress(),
        Progress {
            remaining: 0,
            pagecount: 0
        }
    );
    drop(backup);
    let tables: i64 = dst.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    assert_eq!(tables, 0);
    Ok(())
}

#[test]
fn negative_step_copies_all_at_once() -> Result<()> {
    let src = Connection::open_in_memory()?;
    populated(&src, 300)?;
    let mut dst = Connection::open_in_memory()?;
    let backup = Backup::new(&src, &mut dst)?;
    assert_eq!(backup.step(-1)?, StepResult::Done);
    drop(backup);
    assert_eq!(count(&dst)?, 300);
    Ok(())
}

#[test]
fn named_databases_and_bad_names() -> Result<()> {
    let src = Connection::open_in_memory()?;
    src.execute_batch("CREATE TEMP TABLE t (x); INSERT INTO temp.t VALUES (7);")?;
    let mut dst = Connection::open_in_memory()?;
    {
        let b = Backup::new_with_names(&src, TEMP_DB, &mut dst, MAIN_DB)?;
        assert_eq!(b.step(-1)?, StepResult::Done);
    }
    let x: i64 = dst.query_row("SELECT x FROM main.t", [], |r| r.get(0))?;
    assert_eq!(x, 7);

    let err = Backup::new_with_names(&src, "nope", &mut dst, MAIN_DB).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    let err = Backup::new_with_names(&src, MAIN_DB, &mut dst, "nope").unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    assert!(matches!(
        Backup::new_with_names(&src, "ma\0in", &mut dst, MAIN_DB),
        Err(ferrolite::Error::NulError(_))
    ));
    Ok(())
}

#[test]
fn destination_in_a_transaction_is_refused() -> Result<()> {
    let src = Connection::open_in_memory()?;
    populated(&src, 10)?;
    let mut dst = Connection::open_in_memory()?;
    dst.execute_batch("CREATE TABLE keep (x); BEGIN; INSERT INTO keep VALUES (1);")?;
    assert!(Backup::new(&src, &mut dst).is_err());
    dst.execute_batch("COMMIT")?;
    let n: i64 = dst.query_row("SELECT count(*) FROM keep", [], |r| r.get(0))?;
    assert_eq!(n, 1);
    Ok(())
}

#[test]
fn writes_through_the_source_connection_reach_the_backup() -> Result<()> {
    let src = Connection::open_in_memory()?;
    populated(&src, 400)?;
    let mut dst = Connection::open_in_memory()?;
    {
        let backup = Backup::new(&src, &mut dst)?;
        assert_eq!(backup.step(3)?, StepResult::More);
        // The source stays usable, and its writes are copied on the fly.
        src.execute("UPDATE t SET body = 'changed' WHERE id = 1", [])?;
        src.execute("INSERT INTO t (body) VALUES ('late')", [])?;
        while backup.step(3)? != StepResult::Done {}
    }
    assert_eq!(count(&dst)?, 401);
    let first: String = dst.query_row("SELECT body FROM t WHERE id = 1", [], |r| r.get(0))?;
    assert_eq!(first, "changed");
    assert_eq!(integrity(&dst)?, "ok");
    Ok(())
}

#[test]
fn writes_by_another_connection_restart_the_backup() -> Result<()> {
    let (_dir, path) = temp_path("src.db");
    let src = Connection::open(&path)?;
    populated(&src, 400)?;
    let writer = Connection::open(&path)?;
    let mut dst = Connection::open_in_memory()?;
    {
        let backup = Backup::new(&src, &mut dst)?;
        assert_eq!(backup.step(4)?, StepResult::More);
        let before = backup.progress();
        writer.execute("INSERT INTO t (body) VALUES ('from the writer')", [])?;
        // The next step notices the change and starts over.
        assert_eq!(backup.step(4)?, StepResult::More);
        let after = backup.progress();
        assert!(
            after.remaining > before.remaining - 4,
            "expected a restart: {before:?} then {after:?}"
        );
        while backup.step(4)? != StepResult::Done {}
    }
    assert_eq!(count(&dst)?, 401);
    let n: i64 = dst.query_row(
        "SELECT count(*) FROM t WHERE body = 'from the writer'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(n, 1);
    assert_eq!(integrity(&dst)?, "ok");
    Ok(())
}

/// A writer thread commits while the backup runs in small steps; the
/// backup must be a consistent snapshot: the counter row always equals the
/// row count, because the writer changes both in one transaction.
#[test]
fn backup_while_another_thread_writes_is_consistent() -> Result<()> {
    let (_dir, path) = temp_path("busy.db");
    let src = Connection::open(&path)?;
    populated(&src, 300)?;
    src.execute_batch(
        "CREATE TABLE counter (n INTEGER NOT NULL);
         INSERT INTO counter SELECT count(*) FROM t;",
    )?;

    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(Barrier::new(2));
    let writer = {
        let (path, stop, started) = (path.clone(), stop.clone(), started.clone());
        std::thread::spawn(move || -> Result<u32> {
            let mut conn = Connection::open(&path)?;
            started.wait();
            let mut commits = 0;
            conn.execute_batch("PRAGMA synchronous = OFF")?;
            while !stop.load(Ordering::SeqCst) && commits < 60 {
                let tx = conn.transaction()?;
                tx.execute("INSERT INTO t (body) VALUES ('w')", [])?;
                tx.execute("UPDATE counter SET n = n + 1", [])?;
                tx.commit()?;
                commits += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(commits)
        })
    };
    started.wait();
    let mut dst = Connection::open_in_memory()?;
    Backup::new(&src, &mut dst)?.run_to_completion(2, Duration::from_millis(1), None)?;
    stop.store(true, Ordering::SeqCst);
    let commits = writer.join().unwrap()?;
    assert!(commits > 0);

    assert_eq!(integrity(&dst)?, "ok");
    let counted: i64 = dst.query_row("SELECT n FROM counter", [], |r| r.get(0))?;
    assert_eq!(counted, count(&dst)?);
    assert!(counted >= 300);
    Ok(())
}

#[test]
fn backup_to_path_and_restore_from_path() -> Result<()> {
    let (_dir, path) = temp_path("copy.db");
    let src = Connection::open_in_memory()?;
    populated(&src, 250)?;

    // The callback is a plain `fn` (rusqlite's `run_to_completion` shape),
    // so it counts through a static.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    src.backup(
        MAIN_DB,
        &path,
        Some(|p: Progress| {
            assert!(p.remaining >= 0 && p.remaining <= p.pagecount);
            CALLS.fetch_add(1, Ordering::Relaxed);
        }),
    )?;
    assert!(CALLS.load(Ordering::Relaxed) >= 1);
    let copy = Connection::open(&path)?;
    assert_eq!(count(&copy)?, 250);
    drop(copy);

    let mut target = Connection::open_in_memory()?;
    // An in-memory destination must have the source's page size.
    target.execute_batch(
        "PRAGMA page_size = 1024; CREATE TABLE other (y); INSERT INTO other VALUES (1);",
    )?;
    target.restore(MAIN_DB, &path, NO_PROGRESS)?;
    assert_eq!(count(&target)?, 250);
    // Restoring replaces the whole database.
    assert!(target.prepare("SELECT * FROM other").is_err());
    Ok(())
}

#[test]
fn restore_from_a_missing_file_fails_and_keeps_the_data() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("does-not-exist.db");
    let mut conn = Connection::open_in_memory()?;
    populated(&conn, 20)?;
    let err = conn.restore(MAIN_DB, &missing, NO_PROGRESS).unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::CannotOpen),
        "{err}"
    );
    assert!(!missing.exists(), "restore must not create its source");
    assert_eq!(count(&conn)?, 20);
    Ok(())
}

#[test]
fn restore_from_a_non_database_fails_and_keeps_the_data() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let mut conn = Connection::open_in_memory()?;
    populated(&conn, 20)?;
    let err = conn.restore(MAIN_DB, &junk, NO_PROGRESS).unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::NotADatabase),
        "{err}"
    );
    assert_eq!(count(&conn)?, 20);
    assert_eq!(integrity(&conn)?, "ok");
    Ok(())
}

#[test]
fn backup_to_an_unwritable_path_fails() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("no-such-dir").join("copy.db");
    let src = Connection::open_in_memory()?;
    populated(&src, 5)?;
    let err = src.backup(MAIN_DB, &bad, NO_PROGRESS).unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::CannotOpen),
        "{err}"
    );
    let err = src
        .backup("nope", dir.path().join("x.db"), NO_PROGRESS)
        .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    Ok(())
}

#[test]
fn restore_into_a_connection_with_an_open_transaction_fails() -> Result<()> {
    let (_dir, path) = temp_path("src.db");
    let src = Connection::open(&path)?;
    populated(&src, 5)?;
    drop(src);
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE mine (x); BEGIN; INSERT INTO mine VALUES (1);")?;
    assert!(conn.restore(MAIN_DB, &path, NO_PROGRESS).is_err());
    conn.execute_batch("COMMIT")?;
    let n: i64 = conn.query_row("SELECT count(*) FROM mine", [], |r| r.get(0))?;
    assert_eq!(n, 1);
    Ok(())
}

#[test]
fn in_memory_destination_with_another_page_size_fails() -> Result<()> {
    let src = Connection::open_in_memory()?;
    populated(&src, 50)?; // page size 1024
    let mut dst = Connection::open_in_memory()?;
    dst.execute_batch("CREATE TABLE mine (x); INSERT INTO mine VALUES (1);")?; // 4096
    let err = {
        let backup = Backup::new(&src, &mut dst)?;
        backup.step(-1).unwrap_err()
    };
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ReadOnly));
    assert!(err.to_string().contains("page size"), "{err}");
    let n: i64 = dst.query_row("SELECT count(*) FROM mine", [], |r| r.get(0))?;
    assert_eq!(n, 1, "the destination is untouched");
    Ok(())
}

/// Code written for rusqlite passes a bare `None` for "no progress"
/// (rusqlite < 0.40 took `Option<fn(Progress)>`): it compiles and copies.
#[test]
fn backup_and_restore_take_a_bare_none() -> Result<()> {
    let (dir, path) = temp_path("none.db");
    let src = Connection::open_in_memory()?;
    populated(&src, 20)?;
    src.backup(MAIN_DB, &path, None)?;
    src.backup("main", dir.path().join("b.db"), NO_PROGRESS)?;
    let mut target = Connection::open_in_memory()?;
    target.execute_batch("PRAGMA page_size = 1024")?;
    target.restore("main", &path, None)?;
    assert_eq!(count(&target)?, 20);
    // A function item works as well as a closure that captures nothing.
    fn report(p: Progress) {
        assert!(p.remaining <= p.pagecount);
    }
    src.backup(MAIN_DB, dir.path().join("c.db"), Some(report))?;
    Ok(())
}

/// Old rusqlite code naming the schema with `DatabaseName` still compiles
/// (with a deprecation warning) and means the same schema.
#[test]
#[allow(deprecated)]
fn deprecated_database_name_still_works() -> Result<()> {
    use ferrolite::DatabaseName;
    let (dir, path) = temp_path("old.db");
    let src = Connection::open_in_memory()?;
    populated(&src, 5)?;
    src.backup(DatabaseName::Main, &path, None)?;
    let copy = Connection::open(&path)?;
    assert_eq!(count(&copy)?, 5);
    copy.execute_batch(
        "CREATE TEMP TABLE tt (x); ATTACH ':memory:' AS aux; CREATE TABLE aux.a (y)",
    )?;
    copy.backup(DatabaseName::Temp, dir.path().join("temp.db"), None)?;
    let t = Connection::open(dir.path().join("temp.db"))?;
    assert_eq!(
        t.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'tt'",
            [],
            |r| r.get::<_, i64>(0)
        )?,
        1
    );
    copy.backup(
        DatabaseName::Attached("aux"),
        dir.path().join("aux.db"),
        None,
    )?;
    let a = Connection::open(dir.path().join("aux.db"))?;
    assert_eq!(
        a.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'a'",
            [],
            |r| r.get::<_, i64>(0)
        )?,
        1
    );
    assert!(
        copy.backup(
            DatabaseName::Attached("nope"),
            dir.path().join("x.db"),
            None
        )
        .is_err()
    );
    Ok(())
}
