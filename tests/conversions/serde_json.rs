//! serde_json::Value: storage classes, round trips, SQLite's JSON functions
//! on what we write, JSONB, and malformed input.
#![cfg(feature = "serde_json")]

use crate::common::memory_db;

use ferrolite::types::Type;
use ferrolite::{Error, Result};
use serde_json::{Value, json};

fn edge_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(i64::MAX as u64 + 1),
        json!(0.5),
        json!(-2.25e-300),
        json!(1.7976931348623157e308),
        json!(5e-324),
        json!(""),
        json!("plain"),
        json!("quote \" backslash \\ slash / newline \n tab \t nul \u{0} é 😀"),
        json!("'single' and ''double singles''"),
        json!([]),
        json!({}),
        json!([1, "two", 3.5, null, [true, {"k": []}]]),
        json!({"a": 1, "b": {"c": [1, 2, {"d": "e"}]}, "": "empty key", "ü": "ñ"}),
    ]
}

#[test]
fn storage_classes_and_exact_text() {
    let c = memory_db();
    let class_and_text = |v: &Value| -> (String, Option<String>) {
        c.query_row("SELECT typeof(?1), CAST(?1 AS TEXT)", [v], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    };
    assert_eq!(class_and_text(&Value::Null), ("null".into(), None));
    assert_eq!(
        class_and_text(&json!(42)),
        ("integer".into(), Some("42".into()))
    );
    assert_eq!(
        class_and_text(&json!(-7)),
        ("integer".into(), Some("-7".into()))
    );
    assert_eq!(
        class_and_text(&json!(0.5)),
        ("real".into(), Some("0.5".into()))
    );
    // u64 above i64::MAX stays exact as JSON text.
    assert_eq!(
        class_and_text(&json!(u64::MAX)),
        ("text".into(), Some("18446744073709551615".into()))
    );
    assert_eq!(
        class_and_text(&json!(true)),
        ("text".into(), Some("true".into()))
    );
    assert_eq!(
        class_and_text(&json!("hi")),
        ("text".into(), Some("\"hi\"".into()))
    );
    assert_eq!(
        class_and_text(&json!([1, {"a": null}])),
        ("text".into(), Some("[1,{\"a\":null}]".into()))
    );
}

#[test]
fn edge_values_round_trip_through_a_table() {
    let c = memory_db();
    c.execute_batch("CREATE TABLE j (v TEXT)").unwrap();
    for v in edge_values() {
        c.execute("DELETE FROM j", []).unwrap();
        c.execute("INSERT INTO j VALUES (?1)", [&v]).unwrap();
        let back: Value = c.query_row("SELECT v FROM j", [], |r| r.get(0)).unwrap();
        assert_eq!(back, v);
        // Also through an untyped column and a plain SELECT.
        let back: Value = c.query_row("SELECT ?1", [&v], |r| r.get(0)).unwrap();
        assert_eq!(back, v);
    }
}

#[test]
fn sqlite_json_functions_work_on_what_we_write() {
    let c = memory_db();
    for v in edge_values() {
        if v.is_null() {
            continue;
        }
        // json() normalizes; parsing its output gives the same value.
        let normalized: Value = c.query_row("SELECT json(?1)", [&v], |r| r.get(0)).unwrap();
        assert_eq!(normalized, v, "json() of {v}");
        let valid: bool = c
            .query_row("SELECT json_valid(?1)", [&v], |r| r.get(0))
            .unwrap();
        assert!(valid, "{v}");
        let ty: String = c
            .query_row("SELECT json_type(?1)", [&v], |r| r.get(0))
            .unwrap();
        let expected = match &v {
            Value::Bool(true) => "true",
            Value::Bool(false) => "false",
            Value::Number(n) if n.is_f64() => "real",
            Value::Number(_) => "integer",
            Value::String(_) => "text",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Null => unreachable!(),
        };
        assert_eq!(ty, expected, "json_type of {v}");
    }
    let doc = json!({"name": "ada", "tags": ["x", "y", "z"], "n": {"deep": 3}});
    let (name, deep, count): (String, i64, i64) = c
        .query_row(
            "SELECT ?1 ->> '$.name', json_extract(?1, '$.n.deep'),
                    (SELECT count(*) FROM json_each(?1, '$.tags'))",
            [&doc],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((name.as_str(), deep, count), ("ada", 3, 3));
    // `->` returns JSON text, which reads back as a Value.
    let tags: Value = c
        .query_row("SELECT ?1 -> '$.tags'", [&doc], |r| r.get(0))
        .unwrap();
    assert_eq!(tags, json!(["x", "y", "z"]));
    // Modifying in SQL and reading back.
    let changed: Value = c
        .query_row(
            "SELECT json_set(?1, '$.n.deep', 4, '$.new', json('[1]'))",
            [&doc],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(changed["n"]["deep"], json!(4));
    assert_eq!(changed["new"], json!([1]));
}

#[test]
fn reads_what_sqlite_builds_including_jsonb() {
    let c = memory_db();
    let v: Value = c
        .query_row(
            "SELECT json_object('a', 1, 'b', json_array(2.5, 'x', NULL))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, json!({"a": 1, "b": [2.5, "x", null]}));
    // Every edge value through SQLite's binary JSONB and back.
    for v in edge_values() {
        if v.is_null() {
            continue;
        }
        let blob: Value = c.query_row("SELECT jsonb(?1)", [&v], |r| r.get(0)).unwrap();
        assert_eq!(blob, v, "jsonb of {v}");
    }
    // JSON5 input makes SQLite store JSON5 forms (INT5, FLOAT5, TEXT5).
    let v: Value = c
        .query_row(
            r#"SELECT jsonb('{a: 0x1F, b: -0x10, c: .5, d: +1, e: 5., f: ''it\''s \x41'', g: "line\
continued", h: [1,2,],}')"#,
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        v,
        json!({"a": 31, "b": -16, "c": 0.5, "d": 1, "e": 5.0, "f": "it's A", "g": "linecontinued", "h": [1, 2]})
    );
    // Deep nesting from SQLite (its limit is 1000 levels).
    let depth = 900;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let v: Value = c
        .query_row("SELECT jsonb(?1)", [&text], |r| r.get(0))
        .unwrap();
    let mut d = 0;
    let mut cur = &v;
    while let Value::Array(items) = cur {
        d += 1;
        match items.first() {
            Some(next) => cur = next,
            None => break,
        }
    }
    assert_eq!(d, depth);
    // A BLOB holding JSON text (what rusqlite reads) still works.
    let v: Value = c
        .query_row("SELECT CAST('{\"a\": [1]}' AS BLOB)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, json!({"a": [1]}));
}

#[test]
fn numbers_and_null_read_directly() {
    let c = memory_db();
    let v: Value = c.query_row("SELECT 7", [], |r| r.get(0)).unwrap();
    assert_eq!(v, json!(7));
    let v: Value = c.query_row("SELECT -0.125", [], |r| r.get(0)).unwrap();
    assert_eq!(v, json!(-0.125));
    let v: Value = c.query_row("SELECT NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(v, Value::Null);
    let v: Option<Value> = c.query_row("SELECT NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(v, None);
}

fn failure(err: Error) -> (usize, Type, String) {
    match err {
        Error::FromSqlConversionFailure(i, t, e) => (i, t, e.to_string()),
        other => panic!("expected FromSqlConversionFailure, got {other:?}"),
    }
}

#[test]
fn malformed_input_is_a_conversion_failure_for_the_column() {
    let c = memory_db();
    for bad in [
        "",
        "hello",
        "{",
        "[1,]",
        "{'a': 1}",
        "tru",
        "1 2",
        "\"unterminated",
    ] {
        let err = c
            .query_row("SELECT 0, ?1", [bad], |r| r.get::<_, Value>(1))
            .unwrap_err();
        let (col, ty, msg) = failure(err);
        assert_eq!((col, ty), (1, Type::Text), "{bad:?}");
        assert!(!msg.is_empty());
    }
    // `->>` returns SQL text, not JSON: a string comes back unquoted.
    let err = c
        .query_row("SELECT json('{\"a\": \"x\"}') ->> '$.a'", [], |r| {
            r.get::<_, Value>(0)
        })
        .unwrap_err();
    assert_eq!(failure(err).0, 0);
    // Garbage BLOBs.
    for blob in [&b"\x0d"[..], b"\xff\xfe", b"\x53\x31", b"{not json"] {
        let err = c
            .query_row("SELECT ?1", [blob], |r| r.get::<_, Value>(0))
            .unwrap_err();
        let (col, ty, msg) = failure(err);
        assert_eq!((col, ty), (0, Type::Blob));
        assert!(msg.contains("JSONB"), "{msg}");
    }
    // Infinity is a REAL SQLite holds and JSON can't.
    let err = c
        .query_row("SELECT 9e999", [], |r| r.get::<_, Value>(0))
        .unwrap_err();
    let (col, ty, msg) = failure(err);
    assert_eq!((col, ty), (0, Type::Real));
    assert!(msg.contains("inf"), "{msg}");
    // Invalid UTF-8 text.
    let err = c
        .query_row("SELECT CAST(x'22ff22' AS TEXT)", [], |r| {
            r.get::<_, Value>(0)
        })
        .unwrap_err();
    assert_eq!(failure(err).1, Type::Text);
}

#[test]
fn works_with_query_as_and_params() -> Result<()> {
    let c = memory_db();
    c.execute_batch("CREATE TABLE ev (id INTEGER PRIMARY KEY, data TEXT)")?;
    c.execute_many(
        "INSERT INTO ev (data) VALUES (?1)",
        [[json!({"k": 1})], [json!({"k": 2})], [json!([3])]],
    )?;
    let mut stmt =
        c.prepare("SELECT id, data FROM ev WHERE json_type(data) = 'object' ORDER BY id")?;
    let rows: Vec<(i64, Value)> = stmt.query_as([])?.collect::<Result<_>>()?;
    assert_eq!(rows, [(1, json!({"k": 1})), (2, json!({"k": 2}))]);
    Ok(())
}

#[test]
fn random_and_mutated_jsonb_never_panics() {
    use ferrolite::types::{FromSql, ValueRef};
    let c = memory_db();
    // Valid JSONB from SQLite, then every single-byte mutation and every
    // truncation of it: a value or an error, never a panic.
    let blob: Vec<u8> = c
        .query_row(
            r#"SELECT jsonb('{"a":[1,2.5,"x\n",null,true,{"b":{}}],"long":"' || printf('%.300c', 'y') || '"}')"#,
            [],
            |r| r.get(0),
        )
        .unwrap();
    let original = Value::column_result(ValueRef::Blob(&blob)).unwrap();
    assert_eq!(original["a"][1], json!(2.5));
    let mut decoded = 0;
    for i in 0..blob.len() {
        for b in [
            0x00,
            0x0b,
            0x0c,
            0xc7,
            0xd7,
            0xe7,
            0xf7,
            0xff,
            blob[i] ^ 0x10,
        ] {
            let mut m = blob.clone();
            m[i] = b;
            if Value::column_result(ValueRef::Blob(&m)).is_ok() {
                decoded += 1;
            }
        }
        let _ = Value::column_result(ValueRef::Blob(&blob[..i]));
    }
    assert!(decoded > 0, "some mutations are still valid JSONB");
    // Pseudo-random bytes.
    let mut x: u64 = 0x1234_5678;
    for len in 0..2000usize {
        let bytes: Vec<u8> = (0..len % 64)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let _ = Value::column_result(ValueRef::Blob(&bytes));
        let _ = Value::column_result(ValueRef::Text(&bytes));
    }
}
