//! `#[derive(FromRow)]`.

use ferrolite::types::Type;
use ferrolite::{Connection, Error, FromRow, Result};

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE person (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email TEXT,
                              street TEXT, city TEXT);
         INSERT INTO person VALUES (1, 'Ada', NULL, 'Main St', 'London'),
                                   (2, 'Grace', 'g@navy.mil', 'Elm St', 'Arlington');",
    )
    .unwrap();
    conn
}

#[derive(Debug, PartialEq, FromRow)]
struct Address {
    street: String,
    city: String,
}

#[derive(Debug, PartialEq, FromRow)]
struct Person {
    id: i64,
    #[ferrolite(rename = "full_name")]
    name: String,
    email: Option<String>,
    #[ferrolite(flatten)]
    address: Address,
    #[ferrolite(skip)]
    visits: Vec<u32>,
}

#[test]
fn named_fields_by_column_name_in_any_order() -> Result<()> {
    let conn = db();
    // Columns in another order than the fields, and an extra column.
    let mut stmt = conn.prepare(
        "SELECT city, email, 42 AS extra, street, FULL_NAME, id FROM person ORDER BY id",
    )?;
    let people: Vec<Person> = stmt.query_as([])?.collect::<Result<_>>()?;
    assert_eq!(
        people,
        [
            Person {
                id: 1,
                name: "Ada".into(),
                email: None,
                address: Address {
                    street: "Main St".into(),
                    city: "London".into()
                },
                visits: vec![],
            },
            Person {
                id: 2,
                name: "Grace".into(),
                email: Some("g@navy.mil".into()),
                address: Address {
                    street: "Elm St".into(),
                    city: "Arlington".into()
                },
                visits: vec![],
            },
        ]
    );
    Ok(())
}

#[test]
fn query_row_as_and_get_as_and_from_row() -> Result<()> {
    let conn = db();
    let p: Person = conn.query_row_as("SELECT * FROM person WHERE id = ?1", [2])?;
    assert_eq!(p.name, "Grace");
    let p = conn.query_row("SELECT * FROM person WHERE id = 1", [], |r| {
        r.get_as::<Person>()
    })?;
    assert_eq!(p.address.city, "London");
    let mut stmt = conn.prepare("SELECT * FROM person ORDER BY id DESC")?;
    let names: Vec<String> = stmt
        .query_map([], Person::from_row)?
        .map(|p| p.map(|p| p.name))
        .collect::<Result<_>>()?;
    assert_eq!(names, ["Grace", "Ada"]);
    assert_eq!(<Person as FromRow>::COLUMNS, 5);
    assert_eq!(<Address as FromRow>::COLUMNS, 2);
    Ok(())
}

#[test]
fn missing_column_names_field_and_column() {
    let conn = db();
    let err = conn
        .query_row_as::<Person>("SELECT id, email, street, city FROM person", [])
        .unwrap_err();
    assert_eq!(
        err,
        Error::FromRowField {
            type_name: "Person",
            field: "name",
            column: "full_name",
            error: Box::new(Error::InvalidColumnName("full_name".into())),
        }
    );
    assert_eq!(
        err.to_string(),
        "Person.name (column \"full_name\"): Invalid column name: full_name"
    );
    assert!(std::error::Error::source(&err).is_some());

    // The same through query_as (positions resolved once), in a flattened struct.
    let mut stmt = conn
        .prepare("SELECT id, full_name, email, street FROM person")
        .unwrap();
    let err = stmt
        .query_as::<Person>([])
        .unwrap()
        .next()
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Address.city (column \"city\"): Invalid column name: city"
    );
}

#[test]
fn wrong_type_and_null_name_field_and_column() {
    let conn = db();
    let err = conn
        .query_row_as::<Person>(
            "SELECT 'x' AS id, 'n' AS full_name, NULL AS email, 's' AS street, 'c' AS city",
            [],
        )
        .unwrap_err();
    assert_eq!(
        err,
        Error::FromRowField {
            type_name: "Person",
            field: "id",
            column: "id",
            error: Box::new(Error::InvalidColumnType(0, "id".into(), Type::Text)),
        }
    );
    assert_eq!(
        err.to_string(),
        "Person.id (column \"id\"): Invalid column type Text at index: 0, name: id"
    );
    // NULL into a plain String.
    let err = conn
        .query_row_as::<Address>("SELECT NULL AS street, 'c' AS city", [])
        .unwrap_err();
    assert!(matches!(
        &err,
        Error::FromRowField { field: "street", column: "street", error, .. }
            if **error == Error::InvalidColumnType(0, "street".into(), Type::Null)
    ));
    // Out of range.
    #[derive(Debug, FromRow)]
    struct Small {
        #[allow(dead_code)]
        v: u8,
    }
    let err = conn
        .query_row_as::<Small>("SELECT 300 AS v", [])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Small.v (column \"v\"): Integer 300 out of range at index 0"
    );
}

#[test]
fn iterator_stops_after_a_bad_row() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let mut stmt = conn.prepare("SELECT column1 AS street, column2 AS city FROM (VALUES ('a', 'b'), ('c', NULL), ('e', 'f'))")?;
    let mut rows = stmt.query_as::<Address>([])?;
    assert_eq!(rows.next().unwrap()?.city, "b");
    assert!(rows.next().unwrap().is_err());
    assert!(rows.next().is_none());
    Ok(())
}

#[derive(Debug, PartialEq, FromRow)]
struct WithDefaults {
    id: i64,
    #[ferrolite(default)]
    nickname: Option<String>,
    #[ferrolite(default)]
    score: i64,
    #[ferrolite(skip)]
    note: String,
}

#[test]
fn default_fills_missing_columns_only() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let v: WithDefaults = conn.query_row_as("SELECT 7 AS id", [])?;
    assert_eq!(
        v,
        WithDefaults {
            id: 7,
            nickname: None,
            score: 0,
            note: String::new()
        }
    );
    let v: WithDefaults = conn.query_row_as(
        "SELECT 7 AS id, 'al' AS nickname, 3 AS score, 'x' AS note",
        [],
    )?;
    assert_eq!(
        v,
        WithDefaults {
            id: 7,
            nickname: Some("al".into()),
            score: 3,
            note: String::new()
        }
    );
    // A present column is read: a NULL into i64 is still an error.
    let err = conn
        .query_row_as::<WithDefaults>("SELECT 7 AS id, NULL AS score", [])
        .unwrap_err();
    assert!(
        matches!(&err, Error::FromRowField { field: "score", .. }),
        "{err:?}"
    );
    Ok(())
}

#[derive(Debug, PartialEq, FromRow)]
#[ferrolite(rename_all = "camelCase")]
struct Camel {
    user_id: i64,
    display_name: String,
    #[ferrolite(rename = "X")]
    other: i64,
}

#[test]
fn rename_all_and_rename() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let v: Camel = conn.query_row_as("SELECT 1 AS userId, 'a' AS displayName, 2 AS x", [])?;
    assert_eq!(
        v,
        Camel {
            user_id: 1,
            display_name: "a".into(),
            other: 2
        }
    );
    let err = conn
        .query_row_as::<Camel>("SELECT 1 AS user_id, 'a' AS displayName, 2 AS x", [])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Camel.user_id (column \"userId\"): Invalid column name: userId"
    );
    Ok(())
}

#[derive(Debug, PartialEq, FromRow)]
struct Pair(i64, String);

#[derive(Debug, PartialEq, FromRow)]
struct WithSkip(i64, #[ferrolite(skip)] Vec<u8>, Option<f64>);

#[test]
fn tuple_structs_by_position() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let mut stmt = conn.prepare("SELECT column1, column2 FROM (VALUES (1, 'a'), (2, 'b'))")?;
    let v: Vec<Pair> = stmt.query_as([])?.collect::<Result<_>>()?;
    assert_eq!(v, [Pair(1, "a".into()), Pair(2, "b".into())]);
    let w: WithSkip = conn.query_row_as("SELECT 5, 2.5, 'ignored'", [])?;
    assert_eq!(w, WithSkip(5, vec![], Some(2.5)));
    let err = conn.query_row_as::<Pair>("SELECT 1", []).unwrap_err();
    assert_eq!(
        err,
        Error::ColumnCountMismatch {
            columns: 1,
            reads: 2
        }
    );
    let err = conn
        .query_row_as::<Pair>("SELECT 'x', 'y'", [])
        .unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(0, "'x'".into(), Type::Text));
    Ok(())
}

#[derive(Debug, PartialEq, FromRow)]
struct Generic<T> {
    value: T,
    #[ferrolite(flatten)]
    pair: Inner,
}

#[derive(Debug, PartialEq, FromRow)]
struct Inner {
    a: i64,
}

#[test]
fn generic_struct() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let g: Generic<String> = conn.query_row_as("SELECT 'v' AS value, 3 AS a", [])?;
    assert_eq!(
        g,
        Generic {
            value: "v".to_string(),
            pair: Inner { a: 3 }
        }
    );
    let g: Generic<Option<i64>> = conn.query_row_as("SELECT NULL AS value, 3 AS a", [])?;
    assert_eq!(g.value, None);
    Ok(())
}

#[test]
fn positions_resolved_once_per_statement_run() -> Result<()> {
    // The same statement, rerun: each run resolves its own positions (a
    // prepared `SELECT *` may change shape after a schema change).
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);")?;
    let mut stmt = conn.prepare("SELECT * FROM t")?;
    let first: Vec<Inner> = stmt.query_as([])?.collect::<Result<_>>()?;
    assert_eq!(first, [Inner { a: 1 }]);
    conn.execute_batch("ALTER TABLE t ADD COLUMN b; UPDATE t SET b = 5;")?;
    #[derive(Debug, PartialEq, FromRow)]
    struct Ab {
        b: Option<i64>,
        a: i64,
    }
    let second: Vec<Ab> = stmt.query_as([])?.collect::<Result<_>>()?;
    assert_eq!(second, [Ab { b: Some(5), a: 1 }]);
    Ok(())
}

#[test]
fn short_position_slice_reads_as_missing_not_panic() {
    let conn = Connection::open_in_memory().unwrap();
    let err = conn
        .query_row("SELECT 's' AS street, 'c' AS city", [], |row| {
            Address::from_row_resolved(row, &[0])
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Address.city (column \"city\"): Invalid column name: city"
    );
    // Positions out of range read as errors too.
    let err = conn
        .query_row("SELECT 's' AS street, 'c' AS city", [], |row| {
            Address::from_row_resolved(row, &[0, 9])
        })
        .unwrap_err();
    assert!(
        matches!(&err, Error::FromRowField { field: "city", error, .. } if **error == Error::InvalidColumnIndex(9))
    );
}

mod renamed {
    // `#[ferrolite(crate = "...")]` when ferrolite is known by another name.
    use ::ferrolite as db;

    #[derive(Debug, PartialEq, db::FromRow)]
    #[ferrolite(crate = "db")]
    struct R {
        x: i64,
    }

    #[test]
    fn crate_attribute() -> db::Result<()> {
        let conn = db::Connection::open_in_memory()?;
        assert_eq!(conn.query_row_as::<R>("SELECT 4 AS x", [])?, R { x: 4 });
        Ok(())
    }
}

mod resolve_once {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use ferrolite::{Connection, FromRow, Result, Row, Statement};

    static RESOLVED: AtomicUsize = AtomicUsize::new(0);

    /// A hand-written impl of the per-statement protocol, counting the
    /// lookups.
    #[derive(Debug, PartialEq)]
    struct Counted {
        b: i64,
    }

    impl FromRow for Counted {
        const COLUMNS: usize = 1;
        fn from_row(row: &Row<'_>) -> Result<Self> {
            Ok(Counted { b: row.get("b")? })
        }
        fn resolve_columns(stmt: &Statement<'_>, out: &mut Vec<usize>) {
            RESOLVED.fetch_add(1, Ordering::SeqCst);
            out.push(stmt.column_index("b").unwrap());
        }
        fn from_row_resolved(row: &Row<'_>, columns: &[usize]) -> Result<Self> {
            Ok(Counted {
                b: row.get(columns[0])?,
            })
        }
    }

    #[derive(Debug, PartialEq, FromRow)]
    struct Outer {
        a: i64,
        #[ferrolite(flatten)]
        counted: Counted,
        #[ferrolite(flatten)]
        tuple: (i64, i64), // not derived: reads the whole row by position
    }

    #[test]
    fn query_as_resolves_once_per_statement_run() -> Result<()> {
        let conn = Connection::open_in_memory()?;
        let mut stmt =
            conn.prepare("SELECT value AS a, value * 10 AS b FROM generate_series(1, 1000)")?;
        RESOLVED.store(0, Ordering::SeqCst);
        let v: Vec<Outer> = stmt.query_as([])?.collect::<Result<_>>()?;
        assert_eq!(v.len(), 1000);
        assert_eq!(
            v[999],
            Outer {
                a: 1000,
                counted: Counted { b: 10000 },
                tuple: (1000, 10000)
            }
        );
        assert_eq!(
            RESOLVED.load(Ordering::SeqCst),
            1,
            "one lookup for 1000 rows"
        );
        // Each run of the statement resolves again (once).
        let n = stmt.query_as::<Outer>([])?.count();
        assert_eq!((n, RESOLVED.load(Ordering::SeqCst)), (1000, 2));
        // No rows: nothing resolved.
        let mut empty = conn.prepare("SELECT 1 AS a, 2 AS b WHERE 0")?;
        assert_eq!(empty.query_as::<Outer>([])?.count(), 0);
        assert_eq!(RESOLVED.load(Ordering::SeqCst), 2);
        // `from_row` (query_row_as) resolves on each call.
        let one: Outer = conn.query_row_as("SELECT 1 AS a, 2 AS b", [])?;
        assert_eq!(one.counted.b, 2);
        assert_eq!(RESOLVED.load(Ordering::SeqCst), 3);
        Ok(())
    }
}
