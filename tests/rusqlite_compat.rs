//! A program written for rusqlite, the way rusqlite's README and docs write
//! it, compiled unchanged against ferrolite by renaming the crate. Nothing
//! below the `use` line mentions ferrolite.

use ferrolite as rusqlite;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Result, Transaction, named_params, params};

#[derive(Debug, PartialEq)]
struct Person {
    id: i32,
    name: String,
    data: Option<Vec<u8>>,
}

/// rusqlite's README, verbatim apart from the assertions.
#[test]
fn readme_person_example() -> Result<()> {
    let conn = Connection::open_in_memory()?;

    conn.execute(
        "CREATE TABLE person (
            id    INTEGER PRIMARY KEY,
            name  TEXT NOT NULL,
            data  BLOB
        )",
        (), // empty list of parameters.
    )?;
    let me = Person {
        id: 0,
        name: "Steven".to_string(),
        data: None,
    };
    conn.execute(
        "INSERT INTO person (name, data) VALUES (?1, ?2)",
        (&me.name, &me.data),
    )?;

    let mut stmt = conn.prepare("SELECT id, name, data FROM person")?;
    let person_iter = stmt.query_map([], |row| {
        Ok(Person {
            id: row.get(0)?,
            name: row.get(1)?,
            data: row.get(2)?,
        })
    })?;

    let mut people = Vec::new();
    for person in person_iter {
        people.push(person.unwrap());
    }
    assert_eq!(
        people,
        [Person {
            id: 1,
            name: "Steven".into(),
            data: None
        }]
    );
    Ok(())
}

/// A custom type stored as TEXT, with rusqlite's trait signatures.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mood {
    Happy,
    Grumpy,
}

impl ToSql for Mood {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Mood::Happy => "happy".into(),
            Mood::Grumpy => "grumpy".into(),
        })
    }
}

impl FromSql for Mood {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value.as_str()? {
            "happy" => Ok(Mood::Happy),
            "grumpy" => Ok(Mood::Grumpy),
            other => Err(FromSqlError::Other(format!("bad mood {other:?}").into())),
        }
    }
}

fn create_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "BEGIN;
         CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, mood TEXT, data BLOB);
         CREATE TABLE visit (person_id INTEGER NOT NULL REFERENCES person(id), at TEXT NOT NULL);
         COMMIT;",
    )
}

fn insert_people(tx: &Transaction<'_>, people: &[(&str, Mood)]) -> Result<Vec<i64>> {
    let mut stmt = tx.prepare("INSERT INTO person (name, mood) VALUES (?1, ?2)")?;
    let mut ids = Vec::new();
    for (name, mood) in people {
        ids.push(stmt.insert(params![name, mood])?);
    }
    Ok(ids)
}

fn find_person(conn: &Connection, name: &str) -> Result<Option<(i64, Mood)>> {
    conn.query_row(
        "SELECT id, mood FROM person WHERE name = :name",
        named_params! { ":name": name },
        |row| Ok((row.get("id")?, row.get("mood")?)),
    )
    .optional()
}

#[derive(Debug)]
#[allow(dead_code)] // the payloads are read through Debug when a test fails
enum AppError {
    Db(rusqlite::Error),
    Invalid(String),
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> AppError {
        AppError::Db(e)
    }
}

#[test]
fn application_program() -> Result<(), AppError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let mut conn = Connection::open(&path)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    assert_eq!(mode, "wal");
    create_schema(&conn)?;

    // A transaction with a prepared insert.
    let tx = conn.transaction()?;
    let ids = insert_people(
        &tx,
        &[
            ("Ada", Mood::Happy),
            ("Grace", Mood::Grumpy),
            ("Linus", Mood::Happy),
        ],
    )?;
    tx.commit()?;
    assert_eq!(ids, [1, 2, 3]);

    // A rolled-back transaction leaves nothing behind.
    {
        let tx = conn.transaction()?;
        insert_people(&tx, &[("Nobody", Mood::Grumpy)])?;
        tx.rollback()?;
    }

    // optional() and named_params!.
    assert_eq!(find_person(&conn, "Grace")?, Some((2, Mood::Grumpy)));
    assert_eq!(find_person(&conn, "Nobody")?, None);

    // prepare_cached in a loop.
    for (i, at) in ["2026-01-01", "2026-01-02", "2026-01-03"]
        .iter()
        .enumerate()
    {
        let mut stmt = conn.prepare_cached("INSERT INTO visit (person_id, at) VALUES (?1, ?2)")?;
        stmt.execute(params![ids[i % 2], at])?;
    }

    // A constraint violation is an error value, not a panic.
    let err = conn
        .execute(
            "INSERT INTO visit (person_id, at) VALUES (?1, ?2)",
            params![99, "x"],
        )
        .unwrap_err();
    match err {
        rusqlite::Error::SqliteFailure(e, _) => {
            assert_eq!(e.code, rusqlite::ErrorCode::ConstraintViolation)
        }
        other => return Err(AppError::Invalid(format!("unexpected {other}"))),
    }

    // query_map into structs, row.get("name").
    {
        let mut stmt = conn.prepare(
            "SELECT p.name, count(v.at) AS visits
         FROM person p LEFT JOIN visit v ON v.person_id = p.id
         GROUP BY p.id ORDER BY p.id",
        )?;
        let visits = stmt
            .query_map([], |row| {
                Ok((row.get::<_, String>("name")?, row.get::<_, i64>(1)?))
            })?
            .collect::<Result<Vec<_>>>()?;
        assert_eq!(
            visits,
            [
                ("Ada".to_string(), 2),
                ("Grace".to_string(), 1),
                ("Linus".to_string(), 0)
            ]
        );

        // query_and_then with the application's own error type.
        let mut stmt = conn.prepare("SELECT name, mood FROM person ORDER BY name")?;
        let happy: Vec<String> = stmt
            .query_and_then([], |row| -> Result<Option<String>, AppError> {
                let name: String = row.get(0)?;
                if name.is_empty() {
                    return Err(AppError::Invalid("empty name".into()));
                }
                let mood: Mood = row.get(1)?;
                Ok((mood == Mood::Happy).then_some(name))
            })?
            .filter_map(|r| r.transpose())
            .collect::<Result<_, AppError>>()?;
        assert_eq!(happy, ["Ada", "Linus"]);

        // The lending Rows loop.
        let mut stmt = conn.prepare("SELECT id, name FROM person WHERE id > ?1")?;
        let mut rows = stmt.query([1])?;
        let mut names = Vec::new();
        while let Some(row) = rows.next()? {
            names.push(row.get::<_, String>(1)?);
        }
        assert_eq!(names, ["Grace", "Linus"]);
    }

    // Statements, savepoints and the changes counters.
    let mut tx = conn.transaction()?;
    {
        let sp = tx.savepoint()?;
        sp.execute(
            "UPDATE person SET data = ?1 WHERE id = 1",
            [vec![1u8, 2, 3]],
        )?;
        sp.commit()?;
    }
    let n = tx.execute("DELETE FROM visit WHERE person_id = ?", [2])?;
    assert_eq!(n, 1);
    tx.commit()?;
    assert_eq!(conn.changes(), 1);
    let data: Option<Vec<u8>> =
        conn.query_row("SELECT data FROM person WHERE id = 1", [], |r| r.get(0))?;
    assert_eq!(data.as_deref(), Some(&[1u8, 2, 3][..]));
    {
        let mut stmt = conn.prepare("SELECT 1 FROM person WHERE name = ?1")?;
        assert!(stmt.exists(["Ada"])?);
        assert!(!stmt.exists(["Nobody"])?);
    }

    let err = conn
        .query_row("SELECT 1 WHERE 0", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(err, rusqlite::Error::QueryReturnedNoRows);
    conn.close().map_err(|(_, e)| e)?;
    Ok(())
}
