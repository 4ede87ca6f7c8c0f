//! `ferrolite::serde`: rows into Deserialize types by column name, structs
//! into named parameters, and the errors naming the column.
#![cfg(feature = "serde")]

use std::collections::{BTreeMap, HashMap};

use ferrolite::serde::{NamedParams, from_row, to_params};
use ferrolite::types::{Type, Value};
use ferrolite::{Connection, Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Role {
    Admin,
    #[serde(rename = "guest")]
    Guest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    id: i64,
    name: String,
    email: Option<String>,
    score: f64,
    active: bool,
    role: Role,
    level: u8,
}

fn db() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(
        "CREATE TABLE user (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT,
                            score REAL, active INTEGER, role TEXT, level INTEGER)",
    )
    .unwrap();
    c
}

fn ada() -> User {
    User {
        id: 1,
        name: "ada".into(),
        email: None,
        score: 9.5,
        active: true,
        role: Role::Admin,
        level: 200,
    }
}

const INSERT: &str = "INSERT INTO user VALUES (:id, :name, :email, :score, :active, :role, :level)";

fn one<T: serde::de::DeserializeOwned>(c: &Connection, sql: &str) -> Result<T> {
    c.query_row(sql, [], from_row)
}

#[test]
fn struct_round_trip_through_to_params_and_query_deserialize() {
    let c = db();
    let users = vec![
        ada(),
        User {
            id: 2,
            name: "grace \"amazing\" o'hopper".into(),
            email: Some("g@navy.mil".into()),
            score: -0.25,
            active: false,
            role: Role::Guest,
            level: 0,
        },
    ];
    for u in &users {
        assert_eq!(c.execute(INSERT, to_params(u).unwrap()).unwrap(), 1);
    }
    // Stored as the plain SQL values one would expect.
    let raw: (String, i64, Option<String>) = c
        .query_row_as("SELECT role, active, email FROM user WHERE id = 2", [])
        .unwrap();
    assert_eq!(raw, ("guest".into(), 0, Some("g@navy.mil".into())));
    let mut stmt = c.prepare("SELECT * FROM user ORDER BY id").unwrap();
    let back: Vec<User> = stmt
        .query_deserialize([])
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(back, users);
}

#[test]
fn columns_match_by_name_in_any_order_and_case() {
    let c = db();
    c.execute(INSERT, to_params(&ada()).unwrap()).unwrap();
    let u: User = one(
        &c,
        "SELECT LEVEL, Role, active, score, EMAIL, name, id, 'extra' AS unused FROM user",
    )
    .unwrap();
    assert_eq!(u, ada());
}

#[test]
fn renames_defaults_options_and_flatten() {
    #[derive(Debug, PartialEq, Deserialize)]
    struct Inner {
        score: f64,
    }
    #[derive(Debug, PartialEq, Deserialize)]
    struct Row {
        #[serde(rename = "user_name")]
        name: String,
        #[serde(default)]
        missing_with_default: i64,
        missing_option: Option<i64>,
        #[serde(flatten)]
        inner: Inner,
    }
    let c = db();
    let r: Row = one(&c, "SELECT 'ada' AS user_name, 2.5 AS score").unwrap();
    assert_eq!(
        r,
        Row {
            name: "ada".into(),
            missing_with_default: 0,
            missing_option: None,
            inner: Inner { score: 2.5 }
        }
    );
    // A field missing in the flattened part names it too.
    let err = one::<Row>(&c, "SELECT 'ada' AS user_name").unwrap_err();
    assert_eq!(err, Error::InvalidColumnName("score".into()));
}

#[test]
fn tuples_maps_and_single_values() {
    let c = db();
    let t: (i64, String, Option<f64>) = one(&c, "SELECT 1, 'a', NULL").unwrap();
    assert_eq!(t, (1, "a".into(), None));
    // Extra columns are ignored by a shorter tuple; a longer one fails.
    let t: (i64,) = one(&c, "SELECT 1, 2").unwrap();
    assert_eq!(t, (1,));
    assert_eq!(
        one::<(i64, i64, i64)>(&c, "SELECT 1, 2").unwrap_err(),
        Error::InvalidColumnIndex(2)
    );
    let m: BTreeMap<String, i64> = one(&c, "SELECT 1 AS a, 2 AS b").unwrap();
    assert_eq!(m, BTreeMap::from([("a".into(), 1), ("b".into(), 2)]));
    let v: Vec<Option<i64>> = one(&c, "SELECT 1, NULL, 3").unwrap();
    assert_eq!(v, [Some(1), None, Some(3)]);
    let n: i64 = one(&c, "SELECT 42").unwrap();
    assert_eq!(n, 42);
    let s: Option<String> = one(&c, "SELECT NULL").unwrap();
    assert_eq!(s, None);
    let role: Role = one(&c, "SELECT 'guest'").unwrap();
    assert_eq!(role, Role::Guest);
    // A scalar from a row of several columns is refused, naming no column.
    let err = one::<i64>(&c, "SELECT 1, 2").unwrap_err();
    assert!(err.to_string().contains("2 columns"), "{err}");
    // Newtype wrappers.
    #[derive(Deserialize, Debug, PartialEq)]
    struct Id(i64);
    let id: Id = one(&c, "SELECT 7").unwrap();
    assert_eq!(id, Id(7));
}

#[test]
fn scalar_conversions() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct S {
        b: bool,
        c: char,
        f32: f32,
        f_from_int: f64,
        bytes: Vec<u8>,
        arr: [u8; 3],
        u: u64,
        i: i128,
        unit: (),
    }
    let c = db();
    let s: S = one(
        &c,
        "SELECT 5 AS b, 'é' AS c, 0.5 AS f32, 3 AS f_from_int, x'0001ff' AS bytes,
                x'010203' AS arr, 9223372036854775807 AS u, -1 AS i, NULL AS unit",
    )
    .unwrap();
    assert_eq!(
        s,
        S {
            b: true,
            c: 'é',
            f32: 0.5,
            f_from_int: 3.0,
            bytes: vec![0, 1, 255],
            arr: [1, 2, 3],
            u: i64::MAX as u64,
            i: -1,
            unit: (),
        }
    );
}

fn failure(err: Error) -> (usize, Type, String) {
    match err {
        Error::FromSqlConversionFailure(i, t, e) => (i, t, e.to_string()),
        other => panic!("expected FromSqlConversionFailure, got {other:?}"),
    }
}

#[test]
fn errors_name_the_column() {
    let c = db();
    // Missing column.
    let err = one::<User>(&c, "SELECT 1 AS id, 'x' AS name").unwrap_err();
    assert!(
        matches!(err, Error::InvalidColumnName(ref f) if f == "score" || f == "active" || f == "role" || f == "level"),
        "{err:?}"
    );
    let err = one::<User>(
        &c,
        "SELECT 1 AS id, 'x' AS name, NULL AS email, 1.0 AS score, 1 AS active, 'Admin' AS role",
    )
    .unwrap_err();
    assert_eq!(err, Error::InvalidColumnName("level".into()));
    assert_eq!(err.to_string(), "Invalid column name: level");

    // Wrong storage class: the column's index, name and type.
    let base = "1 AS id, 'x' AS name, NULL AS email, 1.0 AS score, 1 AS active, 'Admin' AS role, 3 AS level";
    let with = |replace: &str, by: &str| format!("SELECT {}", base.replace(replace, by));
    let err = one::<User>(&c, &with("1 AS id", "'one' AS id")).unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(0, "id".into(), Type::Text));
    let err = one::<User>(&c, &with("'x' AS name", "NULL AS name")).unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(1, "name".into(), Type::Null));
    let err = one::<User>(&c, &with("1.0 AS score", "x'00' AS score")).unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(3, "score".into(), Type::Blob));
    let err = one::<User>(&c, &with("1 AS active", "1.5 AS active")).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidColumnType(4, "active".into(), Type::Real)
    );
    let err = one::<User>(&c, &with("'Admin' AS role", "1 AS role")).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidColumnType(5, "role".into(), Type::Integer)
    );
    // Out of range.
    let err = one::<User>(&c, &with("3 AS level", "256 AS level")).unwrap_err();
    assert_eq!(err, Error::IntegralValueOutOfRange(6, 256));
    let err = one::<(u64,)>(&c, "SELECT -1").unwrap_err();
    assert_eq!(err, Error::IntegralValueOutOfRange(0, -1));
    // Unknown enum variant: a conversion failure naming the column.
    let err = one::<User>(&c, &with("'Admin' AS role", "'admin' AS role")).unwrap_err();
    let (idx, ty, msg) = failure(err);
    assert_eq!((idx, ty), (5, Type::Text));
    assert!(
        msg.starts_with("column `role`: unknown variant `admin`"),
        "{msg}"
    );
    // A char column with more than one character.
    let err = one::<(char,)>(&c, "SELECT 'ab' AS ch").unwrap_err();
    let (idx, _, msg) = failure(err);
    assert_eq!(idx, 0);
    assert!(msg.starts_with("column `ch`:"), "{msg}");
    // Invalid UTF-8.
    let err = one::<(i64, String)>(&c, "SELECT 1, CAST(x'ff' AS TEXT) AS bad").unwrap_err();
    assert!(matches!(err, Error::Utf8Error(1, _)), "{err:?}");
    // TEXT is not bytes (as FromSql for Vec<u8>).
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct B {
        #[serde(with = "bytes")]
        data: Vec<u8>,
    }
    let err = one::<B>(&c, "SELECT 'text' AS data").unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(0, "data".into(), Type::Text));
}

/// `deserialize_bytes`, as `serde_bytes` does it, without the dependency.
mod bytes {
    use serde::Deserializer;
    use serde::de::{Error, Visitor};
    use std::fmt;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
        }
        d.deserialize_bytes(V)
    }
}

#[test]
fn duplicate_and_unknown_columns() {
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        id: i64,
    }
    let c = db();
    let err = one::<Strict>(&c, "SELECT 1 AS id, 2 AS surprise").unwrap_err();
    let (idx, _, msg) = failure(err);
    assert_eq!(idx, 1);
    assert!(msg.contains("surprise"), "{msg}");
    let err = one::<Strict>(&c, "SELECT 1 AS id, 2 AS ID").unwrap_err();
    let (idx, _, msg) = failure(err);
    assert_eq!(idx, 1);
    assert!(msg.contains("duplicate field `id`"), "{msg}");
}

#[test]
fn query_deserialize_stops_after_the_first_error() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct N {
        n: i64,
    }
    let c = db();
    let mut stmt = c
        .prepare("SELECT column1 AS n FROM (VALUES (1), ('two'), (3))")
        .unwrap();
    let mut it = stmt.query_deserialize::<N>([]).unwrap();
    assert_eq!(it.next().unwrap().unwrap(), N { n: 1 });
    assert_eq!(
        it.next().unwrap().unwrap_err(),
        Error::InvalidColumnType(0, "n".into(), Type::Text)
    );
    assert!(it.next().is_none());
    drop(it);
    let mut stmt = c.prepare("SELECT :x AS n").unwrap();
    let err = stmt.query_deserialize::<N>([1, 2]).unwrap_err();
    assert_eq!(err, Error::InvalidParameterCount(2, 1));
}

// ---- to_params ----

#[test]
fn to_params_matches_every_prefix_and_ignores_unused_fields() {
    let c = db();
    let p = to_params(&ada()).unwrap();
    assert_eq!(p.get("level"), Some(&Value::Integer(200)));
    assert_eq!(p.get("role"), Some(&Value::Text("Admin".into())));
    assert_eq!(p.get("email"), Some(&Value::Null));
    assert_eq!(p.get("active"), Some(&Value::Integer(1)));
    assert_eq!(p.fields().len(), 7);
    let (a, b, d): (i64, String, f64) = c.query_row_as("SELECT :id, @name, $score", &p).unwrap();
    assert_eq!((a, b.as_str(), d), (1, "ada", 9.5));
    // The same NamedParams bound again, by reference.
    let n: i64 = c.query_row_as("SELECT :level + :id", &p).unwrap();
    assert_eq!(n, 201);
    // Through query(), which copies.
    let mut stmt = c.prepare("SELECT :name").unwrap();
    let mut rows = stmt.query(p).unwrap();
    assert_eq!(
        rows.next().unwrap().unwrap().get::<_, String>(0).unwrap(),
        "ada"
    );
}

#[test]
fn to_params_errors() {
    let c = db();
    // A parameter no field fills.
    let err = c
        .execute(
            "UPDATE user SET name = :nickname",
            to_params(&ada()).unwrap(),
        )
        .unwrap_err();
    match &err {
        Error::ToSqlConversionFailure(e) => {
            assert_eq!(
                e.to_string(),
                "no field named `nickname` for parameter `:nickname`"
            )
        }
        other => panic!("{other:?}"),
    }
    // A nameless parameter.
    let err = c
        .execute("UPDATE user SET name = ?", to_params(&ada()).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("nameless"), "{err}");
    // Not a struct.
    for err in [
        to_params(&5).unwrap_err(),
        to_params(&"s").unwrap_err(),
        to_params(&(1, 2)).unwrap_err(),
        to_params(&vec![1]).unwrap_err(),
        to_params(&Role::Admin).unwrap_err(),
        to_params(&None::<User>).unwrap_err(),
    ] {
        assert!(matches!(err, Error::ToSqlConversionFailure(_)));
        assert!(
            err.to_string().starts_with("to_params needs a struct"),
            "{err}"
        );
    }
    // Integers that don't fit.
    #[derive(Serialize)]
    struct Big {
        n: u64,
    }
    let err = to_params(&Big { n: u64::MAX }).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field `n`: 18446744073709551615 does not fit in SQLite's 64-bit signed INTEGER"
    );
    // Map keys must be strings.
    let err = to_params(&HashMap::from([(1, 2)])).unwrap_err();
    assert!(err.to_string().contains("map keys"), "{err}");
    // The statement was not run with half its parameters.
    let n: i64 = c.query_row_as("SELECT count(*) FROM user", []).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn to_params_from_maps_and_options() {
    let c = db();
    let m = HashMap::from([("a", 1), ("b", 2)]);
    let s: i64 = c
        .query_row_as("SELECT :a * 10 + :b", to_params(&m).unwrap())
        .unwrap();
    assert_eq!(s, 12);
    let some = Some(ada());
    assert_eq!(c.execute(INSERT, to_params(&some).unwrap()).unwrap(), 1);
}

#[test]
fn execute_many_with_to_params() {
    let c = db();
    let users: Vec<User> = (1..=20)
        .map(|i| User {
            id: i,
            name: format!("u{i}"),
            email: (i % 2 == 0).then(|| format!("u{i}@x")),
            score: i as f64 / 4.0,
            active: i % 3 == 0,
            role: if i % 5 == 0 { Role::Admin } else { Role::Guest },
            level: i as u8,
        })
        .collect();
    let params: Vec<NamedParams> = users.iter().map(to_params).collect::<Result<_>>().unwrap();
    assert_eq!(c.execute_many(INSERT, &params).unwrap(), 20);
    let mut stmt = c.prepare("SELECT * FROM user ORDER BY id").unwrap();
    let back: Vec<User> = stmt
        .query_deserialize([])
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(back, users);
}

#[cfg(feature = "serde_json")]
#[test]
fn nested_data_as_json_text() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Shape {
        Point,
        Circle { r: f64 },
        Rect(u32, u32),
    }
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        id: i64,
        tags: Vec<String>,
        meta: BTreeMap<String, i64>,
        shape: Shape,
        other: Shape,
        pair: (i32, String),
        nested: Option<Box<Doc>>,
    }
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(
        "CREATE TABLE doc (id INTEGER, tags TEXT, meta TEXT, shape TEXT, other TEXT, pair TEXT, nested TEXT)",
    )
    .unwrap();
    let doc = Doc {
        id: 1,
        tags: vec!["a".into(), "b \"q\"".into()],
        meta: BTreeMap::from([("k".into(), 1)]),
        shape: Shape::Circle { r: 1.5 },
        other: Shape::Point,
        pair: (-3, "x".into()),
        nested: Some(Box::new(Doc {
            id: 2,
            tags: vec![],
            meta: BTreeMap::new(),
            shape: Shape::Rect(2, 3),
            other: Shape::Point,
            pair: (0, String::new()),
            nested: None,
        })),
    };
    c.execute(
        "INSERT INTO doc VALUES (:id, :tags, :meta, :shape, :other, :pair, :nested)",
        to_params(&doc).unwrap(),
    )
    .unwrap();
    // Stored as JSON that SQLite's functions read.
    let (tags, r, other): (i64, f64, String) = c
        .query_row_as(
            "SELECT json_array_length(tags), shape ->> '$.Circle.r', other FROM doc",
            [],
        )
        .unwrap();
    assert_eq!((tags, r, other.as_str()), (2, 1.5, "Point"));
    let back: Doc = c.query_row("SELECT * FROM doc", [], from_row).unwrap();
    assert_eq!(back, doc);
    // Bad JSON names the column.
    let err = c
        .query_row("SELECT 1 AS id, '[1,' AS tags", [], |r| {
            from_row::<(i64, Vec<i64>)>(r)
        })
        .unwrap_err();
    let (idx, ty, msg) = failure(err);
    assert_eq!((idx, ty), (1, Type::Text));
    assert!(
        msg.starts_with("column `tags`: invalid JSON text for a sequence"),
        "{msg}"
    );
    let err = c
        .query_row("SELECT '[1] trailing' AS tags", [], |r| {
            from_row::<(Vec<i64>,)>(r)
        })
        .unwrap_err();
    assert!(failure(err).2.contains("trailing"));
}

#[cfg(not(feature = "serde_json"))]
#[test]
fn nested_data_needs_serde_json() {
    #[derive(Serialize, Deserialize, Debug)]
    struct Doc {
        tags: Vec<String>,
    }
    let err = to_params(&Doc { tags: vec![] }).unwrap_err();
    assert!(err.to_string().contains("`serde_json` feature"), "{err}");
    let c = Connection::open_in_memory().unwrap();
    let err = c
        .query_row("SELECT '[]' AS tags", [], from_row::<Doc>)
        .unwrap_err();
    let (idx, _, msg) = failure(err);
    assert_eq!(idx, 0);
    assert!(msg.contains("`serde_json` feature"), "{msg}");
}

#[test]
fn generated_structs_round_trip() {
    // A deterministic table of edge values, cycled through many rows.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct R {
        i: i64,
        f: f64,
        s: String,
        o: Option<i32>,
        b: bool,
    }
    let ints = [0, 1, -1, i64::MIN, i64::MAX, 1 << 53];
    let floats = [0.0, -1.5, f64::MAX, f64::MIN_POSITIVE, 1e-300, f64::EPSILON];
    let strings = [
        "",
        "a",
        "quote ' \" ;",
        "nul \0 inside",
        "ünï😀",
        "line\nbreak",
    ];
    let opts = [None, Some(0), Some(i32::MIN), Some(i32::MAX)];
    let rows: Vec<R> = (0..200)
        .map(|k| R {
            i: ints[k % ints.len()],
            f: floats[(k / 2) % floats.len()],
            s: strings[(k / 3) % strings.len()].to_string(),
            o: opts[(k / 5) % opts.len()],
            b: k % 7 == 0,
        })
        .collect();
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch("CREATE TABLE r (k INTEGER PRIMARY KEY, i, f, s, o, b)")
        .unwrap();
    let params: Vec<NamedParams> = rows.iter().map(to_params).collect::<Result<_>>().unwrap();
    c.execute_many(
        "INSERT INTO r (i, f, s, o, b) VALUES (:i, :f, :s, :o, :b)",
        &params,
    )
    .unwrap();
    let mut stmt = c.prepare("SELECT i, f, s, o, b FROM r ORDER BY k").unwrap();
    let back: Vec<R> = stmt
        .query_deserialize([])
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(back, rows);
}

#[test]
fn skipped_fields_bind_null_and_types_are_send_sync() {
    #[derive(Serialize)]
    struct Partial {
        id: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<String>,
    }
    let c = db();
    c.execute_batch("CREATE TABLE p (id INTEGER, email TEXT)")
        .unwrap();
    for p in [
        Partial { id: 1, email: None },
        Partial {
            id: 2,
            email: Some("x@y".into()),
        },
    ] {
        c.execute("INSERT INTO p VALUES (:id, :email)", to_params(&p).unwrap())
            .unwrap();
    }
    let rows: Vec<(i64, Option<String>)> = c
        .prepare("SELECT id, email FROM p ORDER BY id")
        .unwrap()
        .query_as([])
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(rows, [(1, None), (2, Some("x@y".into()))]);

    fn send_sync<T: Send + Sync>() {}
    send_sync::<NamedParams>();
}

/// chrono fields through `#[serde(with = "ferrolite::serde::chrono::…")]`
/// read what `FromSql` reads (SQLite's own `CURRENT_TIMESTAMP` text, Unix
/// time, Julian days) and write what `ToSql` writes.
#[cfg(feature = "chrono")]
mod chrono_fields {
    use chrono::{
        DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    };
    use ferrolite::serde::{from_row, to_params};
    use ferrolite::{Connection, Error, Result};
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Stamps {
        #[serde(with = "ferrolite::serde::chrono::naive_date")]
        d: NaiveDate,
        #[serde(with = "ferrolite::serde::chrono::naive_time")]
        t: NaiveTime,
        #[serde(with = "ferrolite::serde::chrono::naive_date_time")]
        ndt: NaiveDateTime,
        #[serde(with = "ferrolite::serde::chrono::date_time_utc")]
        utc: DateTime<Utc>,
        #[serde(with = "ferrolite::serde::chrono::date_time_fixed")]
        fixed: DateTime<FixedOffset>,
        #[serde(with = "ferrolite::serde::chrono::date_time_local")]
        local: DateTime<Local>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Maybe {
        #[serde(with = "ferrolite::serde::chrono::naive_date_option")]
        d: Option<NaiveDate>,
        #[serde(with = "ferrolite::serde::chrono::naive_time_option")]
        t: Option<NaiveTime>,
        #[serde(with = "ferrolite::serde::chrono::naive_date_time_option")]
        ndt: Option<NaiveDateTime>,
        #[serde(with = "ferrolite::serde::chrono::date_time_utc_option")]
        utc: Option<DateTime<Utc>>,
        #[serde(with = "ferrolite::serde::chrono::date_time_fixed_option")]
        fixed: Option<DateTime<FixedOffset>>,
        #[serde(with = "ferrolite::serde::chrono::date_time_local_option")]
        local: Option<DateTime<Local>>,
    }

    fn ndt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn sqlite_current_timestamp_text_reads_into_every_helper() -> Result<()> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE s (d TEXT DEFAULT CURRENT_DATE, t TEXT DEFAULT CURRENT_TIME,
                 ndt TEXT DEFAULT CURRENT_TIMESTAMP, utc TEXT DEFAULT CURRENT_TIMESTAMP,
                 fixed TEXT DEFAULT CURRENT_TIMESTAMP, local TEXT DEFAULT CURRENT_TIMESTAMP);
             INSERT INTO s DEFAULT VALUES;",
        )?;
        let before = Utc::now().naive_utc() - chrono::Duration::seconds(60);
        let mut stmt = conn.prepare("SELECT * FROM s")?;
        let rows: Vec<Stamps> = stmt.query_deserialize([])?.collect::<Result<_>>()?;
        let s = &rows[0];
        // The same values `FromSql` reads from the same row.
        let (d, t, n, u, f, l): (
            NaiveDate,
            NaiveTime,
            NaiveDateTime,
            DateTime<Utc>,
            DateTime<FixedOffset>,
            DateTime<Local>,
        ) = conn.query_row_as("SELECT * FROM s", [])?;
        assert_eq!(
            (s.d, s.t, s.ndt, s.utc, s.fixed, s.local),
            (d, t, n, u, f, l)
        );
        assert!(s.ndt > before);
        assert_eq!(s.utc.naive_utc(), s.ndt);
        assert_eq!(s.fixed.offset().local_minus_utc(), 0);

        // Fixed text, and the numeric forms FromSql reads.
        let s: Stamps = conn.query_row(
            "SELECT '2024-02-28' AS d, '23:30' AS t, '2024-02-28 23:30:00' AS ndt,
                    1709163000 AS utc, '2024-02-28T23:30:00+02:00' AS fixed,
                    julianday('2024-02-28 23:30:00') AS local",
            [],
            from_row,
        )?;
        assert_eq!(s.d, NaiveDate::from_ymd_opt(2024, 2, 28).unwrap());
        assert_eq!(s.t, NaiveTime::from_hms_opt(23, 30, 0).unwrap());
        assert_eq!(s.ndt, ndt("2024-02-28 23:30:00"));
        assert_eq!(s.utc, Utc.from_utc_datetime(&ndt("2024-02-28 23:30:00")));
        assert_eq!(s.fixed.offset().local_minus_utc(), 7200);
        assert_eq!(s.fixed.naive_utc(), ndt("2024-02-28 21:30:00"));
        assert_eq!(s.local.naive_utc(), ndt("2024-02-28 23:30:00"));
        Ok(())
    }

    #[test]
    fn null_reads_as_none_with_the_option_helpers() -> Result<()> {
        let conn = Connection::open_in_memory()?;
        let m: Maybe = conn.query_row(
            "SELECT NULL AS d, NULL AS t, NULL AS ndt, NULL AS utc, NULL AS fixed, NULL AS local",
            [],
            from_row,
        )?;
        assert_eq!(
            m,
            Maybe {
                d: None,
                t: None,
                ndt: None,
                utc: None,
                fixed: None,
                local: None
            }
        );
        let m: Maybe = conn.query_row(
            "SELECT NULL AS d, NULL AS t, CURRENT_TIMESTAMP AS ndt, NULL AS utc,
                    NULL AS fixed, NULL AS local",
            [],
            from_row,
        )?;
        assert!(m.ndt.is_some());
        Ok(())
    }

    #[test]
    fn bad_values_are_errors_naming_the_column() -> Result<()> {
        let conn = Connection::open_in_memory()?;
        #[derive(Debug, Deserialize)]
        struct One {
            #[serde(with = "ferrolite::serde::chrono::naive_date_time")]
            #[allow(dead_code)]
            at: NaiveDateTime,
        }
        let err = conn
            .query_row("SELECT 'yesterday' AS at", [], from_row::<One>)
            .unwrap_err();
        assert!(
            matches!(err, Error::FromSqlConversionFailure(0, _, _)),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("yesterday") && msg.contains("at"), "{msg}");
        // NULL without the option helper is an error, not a default.
        let err = conn
            .query_row("SELECT NULL AS at", [], from_row::<One>)
            .unwrap_err();
        assert!(
            matches!(err, Error::FromSqlConversionFailure(0, _, _)),
            "{err:?}"
        );
        // A BLOB is not a date.
        assert!(
            conn.query_row("SELECT x'00' AS at", [], from_row::<One>)
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn to_params_writes_what_to_sql_writes_and_reads_back() -> Result<()> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch("CREATE TABLE s (d, t, ndt, utc, fixed, local)")?;
        let at = ndt("2024-02-28 23:30:00") + chrono::Duration::milliseconds(789);
        let orig = Stamps {
            d: at.date(),
            t: at.time(),
            ndt: at,
            utc: Utc.from_utc_datetime(&at),
            fixed: FixedOffset::east_opt(4 * 3600)
                .unwrap()
                .from_utc_datetime(&at),
            local: Local.from_utc_datetime(&at),
        };
        conn.execute(
            "INSERT INTO s VALUES (:d, :t, :ndt, :utc, :fixed, :local)",
            to_params(&orig)?,
        )?;
        // Stored as ToSql stores them: text, in ferrolite's format.
        let texts: (String, String, String, String, String, String) =
            conn.query_row_as("SELECT * FROM s", [])?;
        let direct: (String, String, String, String, String) = conn.query_row_as(
            "SELECT ?1, ?2, ?3, ?4, ?5",
            (orig.d, orig.t, orig.ndt, orig.utc, orig.fixed),
        )?;
        assert_eq!(
            (
                texts.0.clone(),
                texts.1.clone(),
                texts.2.clone(),
                texts.3.clone(),
                texts.4.clone()
            ),
            direct
        );
        assert_eq!(texts.2, "2024-02-28 23:30:00.789");
        assert_eq!(texts.4, "2024-02-29 03:30:00.789+04:00");
        let back: Stamps = conn.query_row("SELECT * FROM s", [], from_row)?;
        assert_eq!(back, orig);

        // Options: None binds NULL, Some binds the text.
        conn.execute_batch("DELETE FROM s")?;
        let m = Maybe {
            d: None,
            t: Some(at.time()),
            ndt: Some(at),
            utc: None,
            fixed: None,
            local: None,
        };
        conn.execute(
            "INSERT INTO s VALUES (:d, :t, :ndt, :utc, :fixed, :local)",
            to_params(&m)?,
        )?;
        let nulls: i64 = conn.query_row("SELECT (d IS NULL) + (utc IS NULL) FROM s", [], |r| {
            r.get(0)
        })?;
        assert_eq!(nulls, 2);
        let back: Maybe = conn.query_row("SELECT * FROM s", [], from_row)?;
        assert_eq!(back, m);
        Ok(())
    }

    /// Without the helper, chrono's own `Deserialize` (RFC 3339 only) is
    /// what runs; SQLite's `CURRENT_TIMESTAMP` text shows why the helpers
    /// exist. `sql_value` is the same for any `FromSql` type.
    #[test]
    fn sql_value_works_for_any_from_sql_type() -> Result<()> {
        #[derive(Deserialize, Serialize)]
        struct Any {
            #[serde(with = "ferrolite::serde::sql_value")]
            at: NaiveDateTime,
            #[serde(with = "ferrolite::serde::sql_value")]
            n: Option<i64>,
        }
        let conn = Connection::open_in_memory()?;
        let a: Any = conn.query_row(
            "SELECT '2024-02-28 23:30:00' AS at, NULL AS n",
            [],
            from_row,
        )?;
        assert_eq!(a.at, ndt("2024-02-28 23:30:00"));
        assert_eq!(a.n, None);
        let n: Option<i64> = conn.query_row(
            "SELECT :n",
            to_params(&Any {
                at: a.at,
                n: Some(7),
            })?,
            |r| r.get(0),
        )?;
        assert_eq!(n, Some(7));
        Ok(())
    }
}
