//! Schema migrations (`ferrolite::migrate`, the shape of
//! `rusqlite_migration`): a list of steps kept in a `static`, a step in
//! Rust, migrating a file up and down, a newer database refused, a failing
//! step that leaves the previous version, and steps loaded from a
//! directory of `NNN-name/up.sql` files.
//!
//! Run: `cargo run --example migrations`

use ferrolite::migrate::{M, MigrationError, Migrations};
use ferrolite::{Connection, Error, Result, Transaction};

/// The application's steps, in order. Step `i` takes the database from
/// version `i` to `i + 1`; only ever append to this list.
const STEPS: &[M<'static>] = &[
    M::up("CREATE TABLE friend (id INTEGER PRIMARY KEY, name TEXT NOT NULL);")
        .down("DROP TABLE friend;")
        .comment("friends"),
    M::up(
        "CREATE TABLE car (id INTEGER PRIMARY KEY, \
                           owner INTEGER NOT NULL REFERENCES friend(id), \
                           model TEXT NOT NULL);",
    )
    .down("DROP TABLE car;")
    .comment("cars belong to friends"),
];
static MIGRATIONS: Migrations<'static> = Migrations::from_slice(STEPS);

fn main() -> Result<()> {
    // In the application's unit tests: every step up, down and up again
    // on an in-memory database.
    MIGRATIONS.validate()?;

    let dir = std::env::temp_dir().join(format!("ferrolite-migrations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::ToSqlConversionFailure(e.into()))?;
    let path = dir.join("app.db");
    let _ = std::fs::remove_file(&path);

    // At start-up: bring the database to the latest version. Cheap when it
    // already is (a read of PRAGMA user_version, no write lock).
    let mut conn = Connection::open(&path)?;
    println!(
        "fresh database: version {}",
        MIGRATIONS.current_version(&conn)?
    );
    MIGRATIONS.to_latest(&mut conn)?;
    println!(
        "after to_latest: version {}",
        MIGRATIONS.current_version(&conn)?
    );
    conn.execute("INSERT INTO friend (id, name) VALUES (1, 'Ada')", [])?;
    conn.execute("INSERT INTO car (owner, model) VALUES (1, 'Zoe')", [])?;

    // A later release adds a step written in Rust: it fills a new column
    // from the existing rows, in the same savepoint as its SQL.
    let mut steps = STEPS.to_vec();
    steps.push(
        M::up_with_hook(
            "ALTER TABLE friend ADD COLUMN initial TEXT;",
            |tx: &Transaction| {
                tx.execute("UPDATE friend SET initial = substr(name, 1, 1)", [])?;
                Ok(())
            },
        )
        .comment("initials"),
    );
    let v2 = Migrations::new(steps);
    v2.to_latest(&mut conn)?;
    let initial: String = conn.query_row("SELECT initial FROM friend", [], |r| r.get(0))?;
    println!(
        "version {} filled initial = {initial:?}",
        v2.current_version(&conn)?
    );

    // The old release (two steps) refuses the newer database, untouched.
    match MIGRATIONS.to_latest(&mut conn) {
        Err(Error::Migration(e)) if matches!(*e, MigrationError::DatabaseTooNew { .. }) => {
            println!("old program: {e}")
        }
        other => panic!("expected DatabaseTooNew, got {other:?}"),
    }

    // A step that fails is rolled back alone; the error names it.
    let mut broken = v2.steps().to_vec();
    broken.push(
        M::up("CREATE TABLE trip (car INTEGER); INSERT INTO nowhere VALUES (1);").comment("trips"),
    );
    let err = Migrations::new(broken).to_latest(&mut conn).unwrap_err();
    println!("{err}");
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    assert_eq!(version, 3, "still at the version before the failing step");

    // Going down: step 2 (initials) has no down, so going below version 3
    // is refused before anything runs.
    let err = v2.to_version(&mut conn, 1).unwrap_err();
    println!("{err}");

    // Steps from a directory of NNN-name/up.sql (+ down.sql) folders, read
    // at run time; `ferrolite::embed_migrations!` puts the same files into
    // the binary at compile time.
    let from_files = Migrations::from_directory(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/migrations/valid"
    ))?;
    let embedded: Migrations<'static> = ferrolite::embed_migrations!(
        "tests/data/migrations/valid",
        ["1-friend" + down, "2-email", "3-pet" + down]
    );
    assert_eq!(from_files, embedded);
    let mut mem = Connection::open_in_memory()?;
    embedded.to_latest(&mut mem)?;
    println!(
        "{} steps from the directory: {:?}",
        embedded.len(),
        embedded
            .steps()
            .iter()
            .map(|m| m.comment_text().unwrap_or(""))
            .collect::<Vec<_>>()
    );

    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
