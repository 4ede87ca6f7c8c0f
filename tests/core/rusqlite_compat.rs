//! A program written for rusqlite, the way rusqlite's README and docs write
//! it, compiled unchanged against ferrolite by renaming the crate. Nothing
//! below the `use` line mentions ferrolite.

use crate::common::temp_path;

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
    let (_dir, path) = temp_path("app.db");
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

/// Generic helpers over column and parameter positions, as rusqlite users
/// write them (`RowIndex` and `BindIndex` are `Copy`).
fn get_twice<I: rusqlite::RowIndex>(row: &rusqlite::Row<'_>, idx: I) -> Result<(i64, i64)> {
    Ok((row.get(idx)?, row.get(idx)?))
}

fn bind_same<I: rusqlite::BindIndex>(stmt: &mut rusqlite::Statement<'_>, idx: I) -> Result<()> {
    stmt.raw_bind_parameter(idx, 1)?;
    stmt.raw_bind_parameter(idx, 2)
}

#[test]
fn generic_index_helpers() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let pair = conn.query_row("SELECT 7 AS seven", [], |row| get_twice(row, "seven"))?;
    assert_eq!(pair, (7, 7));
    let mut stmt = conn.prepare("SELECT :x")?;
    bind_same(&mut stmt, ":x")?;
    let mut rows = stmt.raw_query();
    let v: i64 = rows.next()?.unwrap().get(0)?;
    assert_eq!(v, 2);
    Ok(())
}

/// More of the everyday surface, with the types spelled out so a
/// signature that differs from rusqlite's fails to compile.
#[test]
fn everyday_surface() -> Result<()> {
    use rusqlite::fallible_iterator::FallibleIterator;
    use rusqlite::types::{Null, Type, Value};
    use rusqlite::{
        DropBehavior, Error, ErrorCode, MAIN_DB, OpenFlags, TransactionBehavior, TransactionState,
        params_from_iter,
    };
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let flags: OpenFlags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
    let mut conn: Connection = Connection::open_with_flags(dir.path().join("s.db"), flags)?;
    conn.busy_timeout(Duration::from_secs(1))?;
    conn.set_prepared_statement_cache_capacity(8);
    conn.execute_batch("CREATE TABLE kv (k TEXT PRIMARY KEY, v ANY) STRICT")?;
    let path: Option<&str> = conn.path();
    assert!(path.unwrap().ends_with("s.db"));

    let n: usize = conn.execute("INSERT INTO kv VALUES (?1, ?2)", ("a", 1))?;
    assert_eq!(n, 1);
    let rowid: i64 = conn.last_insert_rowid();
    assert_eq!(rowid, 1);
    let changes: u64 = conn.changes();
    let total: u64 = conn.total_changes();
    assert_eq!((changes, total), (1, 1));
    let auto: bool = conn.is_autocommit();
    assert!(auto);
    let name: String = conn.db_name(0)?;
    assert_eq!(name, "main");
    let ro: bool = conn.is_readonly(MAIN_DB)?;
    assert!(!ro);
    let state: TransactionState = conn.transaction_state(None::<&str>)?;
    assert_eq!(state, TransactionState::None);

    {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.set_drop_behavior(DropBehavior::Commit);
        let mut stmt = tx.prepare_cached("INSERT INTO kv VALUES (?1, ?2)")?;
        let id: i64 = stmt.insert(params_from_iter(["b", "x"]))?;
        assert_eq!(id, 2);
        stmt.execute(rusqlite::params!["c", Null])?;
        drop(stmt);
        let sp = tx.savepoint()?;
        sp.execute("DELETE FROM kv", [])?;
        sp.finish()?; // rolled back
    }

    let mut stmt = conn.prepare("SELECT k, v FROM kv WHERE k >= :from ORDER BY k")?;
    let names: Vec<&str> = stmt.column_names().collect();
    assert_eq!(names, ["k", "v"]);
    let decl: Vec<Option<String>> = stmt
        .columns()
        .map(|c| c.decl_type().map(str::to_owned))
        .collect();
    assert_eq!(decl, [Some("TEXT".to_owned()), Some("ANY".to_owned())]);
    let idx: Option<usize> = stmt.parameter_index(":from")?;
    assert_eq!(idx, Some(1));
    let exists: bool = stmt.exists(rusqlite::named_params! { ":from": "c" })?;
    assert!(exists);
    let keys: Vec<String> = stmt
        .query(rusqlite::named_params! { ":from": "a" })?
        .map(|r| r.get(0))
        .collect()?;
    assert_eq!(keys, ["a", "b", "c"]);
    let values: Vec<Value> = stmt
        .query_map(&[(":from", "a")], |r| r.get("v"))?
        .collect::<Result<_>>()?;
    assert_eq!(
        values,
        [Value::Integer(1), Value::Text("x".into()), Value::Null]
    );
    let kinds: Vec<Type> = stmt
        .query_map(&[(":from", "a")], |r| Ok(r.get_ref(1)?.data_type()))?
        .collect::<Result<_>>()?;
    assert_eq!(kinds, [Type::Integer, Type::Text, Type::Null]);
    drop(stmt);

    let one: String = conn.query_one("SELECT k FROM kv WHERE v = 1", [], |r| r.get(0))?;
    assert_eq!(one, "a");
    let r: Result<String, Error> =
        conn.query_row_and_then("SELECT k FROM kv WHERE v = 1", [], |r| r.get(0));
    assert_eq!(r?, "a");
    match conn.execute("INSERT INTO kv VALUES ('a', 1)", []) {
        Err(Error::SqliteFailure(e, Some(msg))) => {
            assert_eq!(e.code, ErrorCode::ConstraintViolation);
            assert!(msg.contains("UNIQUE"));
        }
        other => panic!("{other:?}"),
    }
    match conn.prepare("SELEC 1") {
        Err(Error::SqlInputError { offset, .. }) => assert_eq!(offset, 0),
        other => panic!("{other:?}"),
    }
    let code: Option<ErrorCode> = conn
        .execute("INSERT INTO kv VALUES ('a', 1)", [])
        .unwrap_err()
        .sqlite_error_code();
    assert_eq!(code, Some(ErrorCode::ConstraintViolation));

    let handle: rusqlite::InterruptHandle = conn.get_interrupt_handle();
    drop(handle);
    conn.close().map_err(|(_conn, e)| e)?;
    Ok(())
}
