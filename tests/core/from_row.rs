//! `FromRow`, `query_as`, `query_row_as`.

use ferrolite::types::Type;
use ferrolite::{Connection, Error, FromRow, Result, Row};

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, photo BLOB);
         INSERT INTO person VALUES (1, 'ada', 9.5, x'0102'), (2, 'bob', NULL, NULL), (3, 'cy', 1.0, NULL);",
    )
    .unwrap();
    conn
}

#[derive(Debug, PartialEq)]
struct Person {
    id: i64,
    name: String,
    score: Option<f64>,
}

// A user type implementing FromRow downstream of the blanket impl.
impl FromRow for Person {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Person {
            id: row.get("id")?,
            name: row.get("name")?,
            score: row.get("score")?,
        })
    }
}

#[test]
fn tuples_by_position() {
    let conn = db();
    let mut stmt = conn
        .prepare("SELECT id, name, score, photo FROM person ORDER BY id")
        .unwrap();
    type Full = (i64, String, Option<f64>, Option<Vec<u8>>);
    let all: Vec<Full> = stmt.query_as([]).unwrap().collect::<Result<_>>().unwrap();
    assert_eq!(
        all,
        [
            (1, "ada".into(), Some(9.5), Some(vec![1, 2])),
            (2, "bob".into(), None, None),
            (3, "cy".into(), Some(1.0), None),
        ]
    );
    // A shorter tuple ignores the trailing columns.
    let ids: Vec<(i64,)> = stmt.query_as([]).unwrap().collect::<Result<_>>().unwrap();
    assert_eq!(ids, [(1,), (2,), (3,)]);
}

#[test]
fn single_values_read_column_zero() {
    let conn = db();
    let mut stmt = conn.prepare("SELECT name FROM person ORDER BY id").unwrap();
    let names: Vec<String> = stmt.query_as([]).unwrap().collect::<Result<_>>().unwrap();
    assert_eq!(names, ["ada", "bob", "cy"]);
    let n: i64 = conn
        .query_row_as("SELECT count(*) FROM person", [])
        .unwrap();
    assert_eq!(n, 3);
}

#[test]
fn sixteen_columns() {
    let conn = Connection::open_in_memory().unwrap();
    type T16 = (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        String,
    );
    let t: T16 = conn
        .query_row_as(
            "SELECT 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 'sixteen'",
            [],
        )
        .unwrap();
    assert_eq!(t.0, 1);
    assert_eq!(t.14, 15);
    assert_eq!(t.15, "sixteen");
}

#[test]
fn user_types_with_parameters() {
    let conn = db();
    let mut stmt = conn
        .prepare("SELECT id, name, score FROM person WHERE id >= ?1 ORDER BY id")
        .unwrap();
    let people: Vec<Person> = stmt.query_as([2]).unwrap().collect::<Result<_>>().unwrap();
    assert_eq!(
        people,
        [
            Person {
                id: 2,
                name: "bob".into(),
                score: None
            },
            Person {
                id: 3,
                name: "cy".into(),
                score: Some(1.0)
            },
        ]
    );
    let p: Person = conn
        .query_row_as("SELECT id, name, score FROM person WHERE id = ?1", [1])
        .unwrap();
    assert_eq!(p.name, "ada");
    let p: Person = stmt.query_row_as([3]).unwrap();
    assert_eq!(p.id, 3);
}

#[test]
fn missing_column_is_a_column_count_mismatch() {
    let conn = db();
    let err = conn
        .query_row_as::<(i64, String, f64)>("SELECT id, name FROM person", [])
        .unwrap_err();
    assert_eq!(
        err,
        Error::ColumnCountMismatch {
            columns: 2,
            reads: 3
        }
    );
    assert_eq!(err.to_string(), "The query has 2 columns, the type reads 3");
    let err = conn
        .query_row_as::<Person>("SELECT id, name FROM person", [])
        .unwrap_err();
    assert_eq!(err, Error::InvalidColumnName("score".into()));
}

#[test]
fn type_mismatch_names_the_column() {
    let conn = db();
    let err = conn
        .query_row_as::<(i64, i64)>("SELECT id, name FROM person", [])
        .unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(1, "name".into(), Type::Text));
    // NULL into a non-Option
    let err = conn
        .query_row_as::<(i64, f64)>("SELECT id, score FROM person WHERE id = 2", [])
        .unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(1, "score".into(), Type::Null));
    // out of range integer
    let err = conn
        .query_row_as::<(u8,)>("SELECT 300 AS big", [])
        .unwrap_err();
    assert_eq!(err, Error::IntegralValueOutOfRange(0, 300));
}

#[test]
fn no_rows_is_query_returned_no_rows() {
    let conn = db();
    let err = conn
        .query_row_as::<(i64,)>("SELECT id FROM person WHERE 0", [])
        .unwrap_err();
    assert_eq!(err, Error::QueryReturnedNoRows);
}

#[test]
fn iterator_stops_after_the_first_error() {
    let conn = db();
    let mut stmt = conn
        .prepare("SELECT score FROM person ORDER BY id")
        .unwrap();
    let mut it = stmt.query_as::<f64>([]).unwrap();
    assert_eq!(it.next().unwrap().unwrap(), 9.5);
    assert!(matches!(
        it.next(),
        Some(Err(Error::InvalidColumnType(0, _, Type::Null)))
    ));
    assert!(it.next().is_none(), "fused after an error");
    assert!(it.next().is_none());
    drop(it);
    // The statement was reset and can run again.
    let n = stmt.query_as::<Option<f64>>([]).unwrap().count();
    assert_eq!(n, 3);
}

#[test]
fn parameter_errors_come_before_iteration() {
    let conn = db();
    let mut stmt = conn.prepare("SELECT id FROM person WHERE id = ?1").unwrap();
    let err = stmt.query_as::<i64>([1, 2]).unwrap_err();
    assert_eq!(err, Error::InvalidParameterCount(2, 1));
}

#[test]
fn sqlite_errors_while_stepping_come_from_the_iterator() {
    let conn = Connection::open_in_memory().unwrap();
    // abs(i64::MIN) overflows at run time.
    let mut stmt = conn
        .prepare("SELECT abs(x) FROM (SELECT 1 AS x UNION ALL SELECT -9223372036854775808)")
        .unwrap();
    let results: Vec<Result<i64>> = stmt.query_as([]).unwrap().collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0], Ok(1));
    let err = results[1].as_ref().unwrap_err();
    assert!(err.to_string().contains("integer overflow"), "{err}");
}

#[test]
fn works_with_iterator_adapters() {
    let conn = db();
    let mut stmt = conn.prepare("SELECT id FROM person ORDER BY id").unwrap();
    let sum: i64 = stmt
        .query_as::<i64>([])
        .unwrap()
        .map(|r| r.unwrap())
        .filter(|id| id % 2 == 1)
        .sum();
    assert_eq!(sum, 4);
}

#[test]
fn turbofish_names_only_the_row_type() {
    // As the API documents it: `query_as::<T>(params)`, `query_row_as::<T>(..)`.
    let conn = db();
    let mut stmt = conn
        .prepare("SELECT id, name FROM person ORDER BY id")
        .unwrap();
    let first = stmt
        .query_as::<(i64, String)>([])
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(first, (1, "ada".to_string()));
    let n = conn
        .query_row_as::<i64>("SELECT count(*) FROM person", ())
        .unwrap();
    assert_eq!(n, 3);
    let name = stmt.query_row_as::<(i64, String)>([]).unwrap().1;
    assert_eq!(name, "ada");
}

/// rusqlite's `TryFrom<&Row>` for tuples: same reading as `FromRow`.
#[test]
fn try_from_row_for_tuples() {
    let conn = db();
    let one = conn.query_row("SELECT id FROM person WHERE id = 1", [], |r| {
        <(u32,)>::try_from(r)
    });
    assert_eq!(one, Ok((1,)));
    let two: (i64, String) = conn
        .query_row("SELECT id, name FROM person WHERE id = 2", [], |r| {
            r.try_into()
        })
        .unwrap();
    assert_eq!(two, (2, "bob".to_owned()));
    // Extra columns are ignored; a missing one is the first absent index.
    let short = conn.query_row("SELECT id, name, score FROM person WHERE id = 1", [], |r| {
        <(i64,)>::try_from(r)
    });
    assert_eq!(short, Ok((1,)));
    let long = conn.query_row("SELECT id, name FROM person WHERE id = 1", [], |r| {
        <(i64, String, f64)>::try_from(r)
    });
    assert_eq!(long, Err(Error::InvalidColumnIndex(2)));
    // Conversion errors name the column, as `get` does.
    let bad = conn.query_row("SELECT name FROM person WHERE id = 1", [], |r| {
        <(i64,)>::try_from(r)
    });
    assert!(
        matches!(bad, Err(Error::InvalidColumnType(0, ref n, Type::Text)) if n == "name"),
        "{bad:?}"
    );
    // `()` reads nothing; sixteen columns is the largest tuple.
    assert_eq!(
        conn.query_row("SELECT 1", [], |r| <()>::try_from(r)),
        Ok(())
    );
    let cols: Vec<String> = (0..16).map(|i| i.to_string()).collect();
    let sql = format!("SELECT {}", cols.join(", "));
    type T16 = (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let t: T16 = conn.query_row(&sql, [], |r| T16::try_from(r)).unwrap();
    assert_eq!((t.0, t.7, t.15), (0, 7, 15));
    // In a `query_map` over several rows.
    let mut stmt = conn
        .prepare("SELECT id, name FROM person ORDER BY id")
        .unwrap();
    let all: Vec<(i64, String)> = stmt
        .query_map([], |r| <(i64, String)>::try_from(r))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2], (3, "cy".to_owned()));
}
