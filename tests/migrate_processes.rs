//! Several processes migrating the same database file at once end with one
//! migrated database: each step runs exactly once, and the processes that
//! lose the race see the version the winner reached (ferrolite::migrate
//! takes the write lock before reading `user_version`).
//!
//! The test re-runs this test binary as child processes (the test
//! `child_migrator`, which does nothing unless the parent set
//! `FERROLITE_MIGRATE_CHILD_DB`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferrolite::migrate::{M, Migrations};
use ferrolite::{Connection, Transaction};

const CHILD_DB: &str = "FERROLITE_MIGRATE_CHILD_DB";
const CHILD_GO: &str = "FERROLITE_MIGRATE_CHILD_GO";
const STEPS: usize = 25;
const CHILDREN: usize = 4;

/// Step 0 creates `log`; step k (1..=STEPS) creates table tk and logs k.
/// Run twice, a step would fail (CREATE TABLE) or log twice. Each step
/// sleeps a little, so the children overlap.
fn migrations() -> Migrations<'static> {
    let mut steps = vec![M::up("CREATE TABLE log (step INTEGER, pid INTEGER);")];
    steps.extend((1..=STEPS).map(|k| {
        M::up_with_hook("", move |tx: &Transaction| {
            tx.execute_batch(&format!("CREATE TABLE t{k} (x);"))?;
            tx.execute(
                "INSERT INTO log VALUES (?1, ?2)",
                (k as i64, i64::from(std::process::id())),
            )?;
            std::thread::sleep(Duration::from_millis(3));
            Ok(())
        })
    }));
    Migrations::new(steps)
}

#[test]
fn child_migrator() {
    let Ok(db) = std::env::var(CHILD_DB) else {
        return; // not a child: nothing to do
    };
    let go = std::env::var(CHILD_GO).expect("the parent sets the go file");
    // Start together: wait for the parent's go file.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !Path::new(&go).exists() {
        assert!(Instant::now() < deadline, "no go file");
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut conn = Connection::open(&db).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    migrations().to_latest(&mut conn).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, STEPS as i64 + 1);
}

#[test]
fn processes_migrating_one_file_at_once() {
    for journal in ["DELETE", "WAL"] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        let go = dir.path().join("go");
        let conn = Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", journal).unwrap();
        drop(conn);
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..CHILDREN)
            .map(|_| {
                Command::new(&exe)
                    .args([
                        "--exact",
                        "child_migrator",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env(CHILD_DB, &db)
                    .env(CHILD_GO, &go)
                    // Kept out of this test's output (a child's summary
                    // line would read as this binary's); shown on failure.
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        // Let them all reach their wait loop, then release them.
        std::thread::sleep(Duration::from_millis(300));
        std::fs::write(&go, b"go").unwrap();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{journal}: a child failed: {}\n{}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let conn = Connection::open(&db).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, STEPS as i64 + 1, "{journal}");
        let (rows, distinct): (i64, i64) = conn
            .query_row("SELECT count(*), count(DISTINCT step) FROM log", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(
            (rows, distinct),
            (STEPS as i64, STEPS as i64),
            "{journal}: each step once"
        );
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name GLOB 't[0-9]*'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, STEPS as i64, "{journal}");
    }
}
