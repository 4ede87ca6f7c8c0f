//! Every form of `Params`, every placeholder style, and the errors for
//! wrong counts and unknown names. Also the zero-copy binding of borrowed
//! text and BLOBs: SQLite must never keep a pointer into a buffer the
//! caller has freed.

use crate::common::memory_db;

use ferrolite::types::{Null, ToSql, Value};
use ferrolite::{Connection, Error, Result, named_params, params, params_from_iter};

/// The values SQLite saw, as text: `typeof(v):v` joined by `|`.
fn seen<P: ferrolite::Params>(conn: &Connection, n: usize, p: P) -> Result<String> {
    let cols: Vec<String> = (1..=n)
        .map(|i| format!("typeof(?{i}) || ':' || quote(?{i})"))
        .collect();
    let sql = format!("SELECT {}", cols.join(" || '|' || "));
    conn.query_row(&sql, p, |r| r.get(0))
}

#[test]
fn empty_parameter_sets() {
    let conn = memory_db();
    assert_eq!(conn.execute("CREATE TABLE t (x)", ()), Ok(0));
    assert_eq!(conn.execute("INSERT INTO t VALUES (1)", []), Ok(1));
    assert_eq!(conn.execute("INSERT INTO t VALUES (2)", params![]), Ok(1));
    assert_eq!(
        conn.execute("INSERT INTO t VALUES (3)", named_params! {}),
        Ok(1)
    );
    let empty: &[&dyn ToSql] = &[];
    assert_eq!(conn.execute("INSERT INTO t VALUES (4)", empty), Ok(1));
    assert_eq!(
        conn.execute(
            "INSERT INTO t VALUES (5)",
            params_from_iter(Vec::<i64>::new())
        ),
        Ok(1)
    );
    // Each of them refuses a statement that has parameters.
    let sql = "INSERT INTO t VALUES (?1)";
    let e = Err(Error::InvalidParameterCount(0, 1));
    assert_eq!(conn.execute(sql, ()), e);
    assert_eq!(conn.execute(sql, []), e);
    assert_eq!(conn.execute(sql, params![]), e);
    assert_eq!(conn.execute(sql, empty), e);
    assert_eq!(conn.execute(sql, params_from_iter(Vec::<i64>::new())), e);
}

#[test]
fn tuples_of_any_tosql_up_to_sixteen() {
    let conn = memory_db();
    assert_eq!(seen(&conn, 1, (1,)).unwrap(), "integer:1");
    assert_eq!(
        seen(&conn, 3, ("a", 2.5, None::<i64>)).unwrap(),
        "text:'a'|real:2.5|null:NULL"
    );
    let blob = vec![1u8, 2];
    let owned = String::from("own");
    assert_eq!(
        seen(&conn, 5, (&owned, &blob, true, Null, 7u8)).unwrap(),
        "text:'own'|blob:X'0102'|integer:1|null:NULL|integer:7"
    );
    let sixteen = (
        1,
        2i8,
        3i16,
        4i32,
        5i64,
        6u8,
        7u16,
        8u32,
        9u64,
        10usize,
        11isize,
        "12",
        13.0f32,
        14.0f64,
        String::from("15"),
        vec![16u8],
    );
    assert_eq!(
        seen(&conn, 16, sixteen).unwrap(),
        "integer:1|integer:2|integer:3|integer:4|integer:5|integer:6|integer:7|integer:8|\
         integer:9|integer:10|integer:11|text:'12'|real:13.0|real:14.0|text:'15'|blob:X'10'"
    );
    assert_eq!(
        seen(&conn, 2, (1, 2, 3)),
        Err(Error::InvalidParameterCount(3, 2))
    );
    assert_eq!(
        seen(&conn, 3, (1, 2)),
        Err(Error::InvalidParameterCount(2, 3))
    );
}

#[test]
fn arrays_and_slices() {
    let conn = memory_db();
    assert_eq!(
        seen(&conn, 3, [1, 2, 3]).unwrap(),
        "integer:1|integer:2|integer:3"
    );
    assert_eq!(seen(&conn, 2, ["a", "b"]).unwrap(), "text:'a'|text:'b'");
    let (x, y) = (String::from("x"), String::from("y"));
    assert_eq!(seen(&conn, 2, [&x, &y]).unwrap(), "text:'x'|text:'y'");
    let refs: &[&String; 2] = &[&x, &y];
    assert_eq!(seen(&conn, 2, refs).unwrap(), "text:'x'|text:'y'");
    let pairs: &[(&str, &i32); 2] = &[(":a", &1), (":b", &2)];
    let s: String = conn
        .query_row("SELECT :a || :b", pairs, |r| r.get(0))
        .unwrap();
    assert_eq!(s, "12");
    assert_eq!(
        seen(&conn, 2, [Some(1.5), None]).unwrap(),
        "real:1.5|null:NULL"
    );
    assert_eq!(
        seen(&conn, 2, [Value::Integer(1), Value::Blob(vec![])]).unwrap(),
        "integer:1|blob:X''"
    );
    let mixed: Vec<&dyn ToSql> = vec![&1, &"two", &3.0];
    assert_eq!(
        seen(&conn, 3, &mixed[..]).unwrap(),
        "integer:1|text:'two'|real:3.0"
    );
    assert_eq!(
        seen(&conn, 3, params![1, "two", 3.0]).unwrap(),
        "integer:1|text:'two'|real:3.0"
    );
    let thirty_two = [7i64; 32];
    let all = seen(&conn, 32, thirty_two).unwrap();
    assert_eq!(all.matches("integer:7").count(), 32);
    assert_eq!(seen(&conn, 2, [1]), Err(Error::InvalidParameterCount(1, 2)));
    assert_eq!(
        seen(&conn, 1, &mixed[..]),
        Err(Error::InvalidParameterCount(3, 1))
    );
    assert_eq!(
        seen(&conn, 1, params![1, 2]),
        Err(Error::InvalidParameterCount(2, 1))
    );
}

#[test]
fn params_from_iter_counts_every_item() {
    let conn = memory_db();
    let ids = [1, 2, 3];
    let sql = format!("SELECT {}", vec!["?"; ids.len()].join(" + "));
    let sum: i64 = conn
        .query_row(&sql, params_from_iter(ids.iter()), |r| r.get(0))
        .unwrap();
    assert_eq!(sum, 6);
    let words = ["a", "b"].map(String::from);
    assert_eq!(
        seen(&conn, 2, params_from_iter(&words)).unwrap(),
        "text:'a'|text:'b'"
    );
    assert_eq!(
        seen(
            &conn,
            2,
            params_from_iter(words.iter().map(|w| w.to_uppercase()))
        )
        .unwrap(),
        "text:'A'|text:'B'"
    );
    assert_eq!(
        seen(&conn, 2, params_from_iter(0..5)),
        Err(Error::InvalidParameterCount(5, 2))
    );
    assert_eq!(
        seen(&conn, 3, params_from_iter(0..1)),
        Err(Error::InvalidParameterCount(1, 3))
    );
    // A ToSql failure in the middle is reported.
    let err = seen(&conn, 2, params_from_iter([1u64, u64::MAX])).unwrap_err();
    assert!(matches!(err, Error::ToSqlConversionFailure(_)), "{err:?}");
    // With execute and insert, and in a statement reused afterwards.
    conn.execute_batch("CREATE TABLE t (a, b)").unwrap();
    let mut stmt = conn.prepare("INSERT INTO t VALUES (?, ?)").unwrap();
    assert_eq!(stmt.execute(params_from_iter(["x", "y"])), Ok(1));
    assert_eq!(
        stmt.insert(params_from_iter(vec![Value::Null, Value::Real(1.0)])),
        Ok(2)
    );
}

#[test]
fn placeholder_styles() {
    let conn = memory_db();
    assert_eq!(seen(&conn, 2, [10, 20]).unwrap(), "integer:10|integer:20");
    // Bare `?` count up from the left.
    let s: String = conn
        .query_row("SELECT ? || ? || ?", ["a", "b", "c"], |r| r.get(0))
        .unwrap();
    assert_eq!(s, "abc");
    // ?NNN: numbered, reusable, gaps count.
    let s: String = conn
        .query_row("SELECT ?2 || ?1 || ?2", ["a", "b"], |r| r.get(0))
        .unwrap();
    assert_eq!(s, "bab");
    assert_eq!(
        conn.query_row("SELECT ?3", [1], |r| r.get::<_, i64>(0)),
        Err(Error::InvalidParameterCount(1, 3))
    );
    let v: Option<i64> = conn
        .query_row("SELECT ?3", [1, 2, 3], |r| r.get(0))
        .unwrap();
    assert_eq!(v, Some(3));
    // :name, @name, $name, by name or position.
    let sql = "SELECT :a || @b || $c";
    let s: String = conn
        .query_row(sql, named_params! { ":a": "x", "@b": 1, "$c": 2.5 }, |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(s, "x12.5");
    // Named placeholders take names, not positions.
    assert_eq!(
        conn.query_row(sql, ("p", "q", "r"), |r| r.get::<_, String>(0)),
        Err(Error::NamedParameterByPosition(":a".into()))
    );
    // A repeated name is one parameter.
    let s: String = conn
        .query_row("SELECT :x || :x", named_params! { ":x": "ab" }, |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(s, "abab");
}

#[test]
fn named_parameters() {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (name TEXT, n INTEGER)")
        .unwrap();
    let mut stmt = conn.prepare("INSERT INTO t VALUES (:name, :n)").unwrap();
    assert_eq!(
        stmt.execute(named_params! { ":name": "one", ":n": 1 }),
        Ok(1)
    );
    // In any order.
    assert_eq!(
        stmt.execute(named_params! { ":n": 2, ":name": "two" }),
        Ok(1)
    );
    // As a plain slice of pairs, with a shared value type or dyn ToSql.
    let pairs: &[(&str, &dyn ToSql)] = &[(":name", &"three"), (":n", &3)];
    assert_eq!(stmt.execute(pairs), Ok(1));
    let same_type = [(":name", "four"), (":n", "4")];
    assert_eq!(stmt.execute(&same_type[..]), Ok(1));
    assert_eq!(stmt.execute(&[(":name", &"five"), (":n", &"5")]), Ok(1));
    // An unknown name, or one without its prefix, is an error.
    assert_eq!(
        stmt.execute(named_params! { ":name": "x", ":nope": 1 }),
        Err(Error::InvalidParameterName(":nope".into()))
    );
    assert_eq!(
        stmt.execute(named_params! { "name": "x" }),
        Err(Error::InvalidParameterName("name".into()))
    );
    // No parameter has a name with a NUL in it.
    assert_eq!(
        stmt.execute(named_params! { ":na\0me": "x" }),
        Err(Error::InvalidParameterName(":na\0me".into()))
    );
    // A named parameter left out is an error, not NULL.
    assert_eq!(
        stmt.execute(named_params! { ":name": "six" }),
        Err(Error::MissingParameter(":n".into()))
    );
    let rows: Vec<(String, Option<i64>)> = conn
        .prepare("SELECT name, n FROM t ORDER BY rowid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    let expect: Vec<(String, Option<i64>)> = [
        ("one", Some(1)),
        ("two", Some(2)),
        ("three", Some(3)),
        ("four", Some(4)),
        ("five", Some(5)),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b))
    .collect();
    assert_eq!(rows, expect, "failed executions inserted nothing");
}

#[test]
fn positional_parameters_are_not_names() {
    let conn = memory_db();
    assert_eq!(
        conn.query_row("SELECT :a", named_params! { "?1": 5 }, |r| r
            .get::<_, i64>(0)),
        Err(Error::InvalidParameterName("?1".into()))
    );
    // Bound by index instead.
    let mut stmt = conn.prepare("SELECT :a").unwrap();
    stmt.raw_bind_parameter(1, 5).unwrap();
    let v: i64 = stmt.raw_query().next().unwrap().unwrap().get(0).unwrap();
    assert_eq!(v, 5);
}

#[test]
fn to_sql_errors_are_reported_and_leave_the_statement_usable() {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    let mut stmt = conn.prepare("INSERT INTO t VALUES (?1)").unwrap();
    let err = stmt.execute([u64::MAX]).unwrap_err();
    assert!(matches!(err, Error::ToSqlConversionFailure(_)), "{err:?}");
    assert_eq!(stmt.execute([1u64]), Ok(1));
    // (With feature i128_blob, an i128 is written as rusqlite's BLOB instead.)
    #[cfg(not(feature = "i128_blob"))]
    {
        let err = stmt.execute(params![i128::MIN]).unwrap_err();
        assert!(matches!(err, Error::ToSqlConversionFailure(_)), "{err:?}");
    }
    assert_eq!(
        conn.query_row("SELECT count(*), sum(x) FROM t", [], |r| Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?
        ))),
        Ok((1, 1))
    );
}

// ------------------------------------------------------------ zero-copy binding

/// `execute` binds a borrowed `String` without copying it. After the call
/// returns, the buffer is overwritten and freed; the statement must not
/// refer to it any more: `expanded_sql` and another run see NULL, not
/// freed memory. (Run under valgrind to see that nothing reads freed
/// memory: `valgrind --error-exitcode=1 target/debug/deps/params-*`.)
#[test]
fn borrowed_text_is_not_kept_after_the_call() {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    let mut stmt = conn.prepare("INSERT INTO t VALUES (?1)").unwrap();
    let mut text = String::from("borrowed text, long enough to live on the heap");
    let mut blob = vec![0xAAu8; 64];
    assert_eq!(stmt.execute([&text]), Ok(1));
    assert_eq!(stmt.execute([&blob]), Ok(1));
    // Scribble over the buffers, then free them.
    text.clear();
    text.push_str("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
    blob.fill(0x55);
    drop(text);
    drop(blob);
    assert_eq!(
        stmt.expanded_sql().as_deref(),
        Some("INSERT INTO t VALUES (NULL)")
    );
    assert_eq!(stmt.raw_execute(), Ok(1));
    let stored: Vec<Value> = conn
        .prepare("SELECT x FROM t ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(
        stored,
        [
            Value::Text("borrowed text, long enough to live on the heap".into()),
            Value::Blob(vec![0xAA; 64]),
            Value::Null,
        ]
    );
}

#[test]
fn borrowed_bindings_are_cleared_after_every_kind_of_call() {
    let conn = memory_db();
    let mut stmt = conn.prepare("SELECT ?1").unwrap();
    let check_cleared = |stmt: &ferrolite::Statement<'_>| {
        assert_eq!(stmt.expanded_sql().as_deref(), Some("SELECT NULL"));
    };
    {
        let s = String::from("query_row");
        let v: String = stmt.query_row([&s], |r| r.get(0)).unwrap();
        assert_eq!(v, "query_row");
    }
    check_cleared(&stmt);
    {
        let s = String::from("exists");
        assert!(stmt.exists([&s]).unwrap());
    }
    check_cleared(&stmt);
    {
        let s = String::from("query_one");
        assert_eq!(
            stmt.query_one([&s], |r| r.get::<_, String>(0)).unwrap(),
            "query_one"
        );
    }
    check_cleared(&stmt);
    // An error in the closure, or a panic, clears them too.
    {
        let s = String::from("error");
        let r = stmt.query_row([&s], |_| -> Result<()> { Err(Error::InvalidQuery) });
        assert_eq!(r, Err(Error::InvalidQuery));
    }
    check_cleared(&stmt);
    {
        let s = String::from("panic");
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            stmt.query_row([&s], |_| -> Result<()> { panic!("in the row closure") })
        }));
        assert!(r.is_err());
    }
    check_cleared(&stmt);
    // A binding error part-way through clears what was bound.
    let mut two = conn.prepare("SELECT ?1, ?2").unwrap();
    {
        let s = String::from("first");
        let err = two.execute(params![s, u64::MAX]).unwrap_err();
        assert!(matches!(err, Error::ToSqlConversionFailure(_)));
    }
    assert_eq!(two.expanded_sql().as_deref(), Some("SELECT NULL, NULL"));
}

/// `query` returns rows that outlive the call, so it copies: the caller's
/// buffer may change while the rows are read.
#[test]
fn query_copies_its_parameters() {
    let conn = memory_db();
    let mut stmt = conn.prepare("SELECT ?1 UNION ALL SELECT ?1").unwrap();
    let mut s = String::from("copied");
    let mut rows = stmt.query([&s]).unwrap();
    s.replace_range(.., "changed");
    assert_eq!(
        rows.next().unwrap().unwrap().get::<_, String>(0).unwrap(),
        "copied"
    );
    assert_eq!(
        rows.next().unwrap().unwrap().get::<_, String>(0).unwrap(),
        "copied"
    );
    drop(rows);
    assert_eq!(s, "changed");
    // query_map and query_and_then copy as well.
    let mut text = String::from("mapped");
    let mut it = stmt.query_map([&text], |r| r.get::<_, String>(0)).unwrap();
    text.replace_range(.., "XXXXXX");
    assert_eq!(it.next().unwrap().unwrap(), "mapped");
    drop(it);
    let mut it = stmt
        .query_and_then([&text], |r| r.get::<_, String>(0))
        .unwrap();
    text.clear();
    assert_eq!(it.next().unwrap().unwrap(), "XXXXXX");
}

/// After a zero-copy call the old bindings may dangle and are cleared
/// before the statement runs again; every form of parameters must still
/// bind its new values (a form that rebinds everything must not have them
/// cleared afterwards, and a partial raw binding must see NULL for the
/// rest).
#[test]
fn rebinding_after_a_zero_copy_call() {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (a, b)").unwrap();
    // Numbered parameters: bound by position, or by name ("?1").
    let mut stmt = conn.prepare("INSERT INTO t VALUES (?1, ?2)").unwrap();
    let borrowed = |stmt: &mut ferrolite::Statement<'_>| {
        let a = String::from("borrowed a");
        let b = vec![1u8; 40];
        stmt.execute((&a, &b)).unwrap();
    };
    let (x, y) = (String::from("x"), String::from("y"));
    borrowed(&mut stmt);
    stmt.execute((1, 2)).unwrap();
    borrowed(&mut stmt);
    stmt.execute([3, 4]).unwrap();
    borrowed(&mut stmt);
    stmt.execute(params![5, "six"]).unwrap();
    borrowed(&mut stmt);
    let refs: &[&String; 2] = &[&x, &y];
    stmt.execute(refs).unwrap();
    borrowed(&mut stmt);
    stmt.execute(params_from_iter([7, 8])).unwrap();
    borrowed(&mut stmt);
    stmt.execute(named_params! { "?2": 9, "?1": 10 }).unwrap();
    borrowed(&mut stmt);
    // A partial named set is refused (and runs nothing).
    assert_eq!(
        stmt.execute(named_params! { "?1": 11 }),
        Err(Error::MissingParameter("?2".into()))
    );
    borrowed(&mut stmt);
    stmt.raw_bind_parameter("?2", 12).unwrap(); // ?1 reads NULL
    stmt.raw_execute().unwrap();
    let rows: Vec<(Value, Value)> = conn
        .prepare("SELECT a, b FROM t WHERE typeof(b) <> 'blob' ORDER BY rowid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    let i = Value::Integer;
    let t = |s: &str| Value::Text(s.into());
    assert_eq!(
        rows,
        [
            (i(1), i(2)),
            (i(3), i(4)),
            (i(5), t("six")),
            (t("x"), t("y")),
            (i(7), i(8)),
            (i(10), i(9)),
            (Value::Null, i(12)),
        ]
    );
    let kept: i64 = conn
        .query_row(
            "SELECT count(*) FROM t WHERE a = 'borrowed a' AND b = ?1",
            [vec![1u8; 40]],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 8, "the zero-copy rows were stored whole");
}

// --------------------------------- named sets bind every named parameter

/// rusqlite keeps a value bound from one run to the next; ferrolite's
/// zero-copy calls don't. Either way a named set that leaves a parameter
/// out would store something the caller didn't say (a stale value or
/// NULL): it is an error naming the parameter, and nothing runs.
#[test]
fn a_named_set_must_bind_every_named_parameter() {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (x TEXT, y TEXT)")
        .unwrap();
    let mut stmt = conn.prepare("INSERT INTO t VALUES (:x, :y)").unwrap();
    assert_eq!(
        stmt.execute(named_params! { ":x": "one", ":y": "a" }),
        Ok(1)
    );
    let err = stmt.execute(named_params! { ":y": "b" }).unwrap_err();
    assert_eq!(err, Error::MissingParameter(":x".into()));
    assert_eq!(
        err.to_string(),
        "You did not supply a value for binding parameter :x"
    );
    // The first missing one in statement order is named.
    let mut three = conn.prepare("SELECT :d, @c, $b, ?4").unwrap();
    assert_eq!(
        three.query_row(named_params! { ":d": 1 }, |r| r.get::<_, i64>(0)),
        Err(Error::MissingParameter("@c".into()))
    );
    // A numbered parameter has a name too ("?4") and must be given.
    assert_eq!(
        three.query_row(named_params! { ":d": 1, "@c": 2, "$b": 3 }, |r| r
            .get::<_, i64>(0)),
        Err(Error::MissingParameter("?4".into()))
    );
    assert_eq!(
        three.query_row(named_params! { ":d": 1, "@c": 2, "$b": 3, "?4": 4 }, |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(3)?))
        }),
        Ok((1, 4))
    );
    // Naming one parameter twice doesn't stand in for another.
    assert_eq!(
        stmt.execute(named_params! { ":x": "p", ":x": "q" }),
        Err(Error::MissingParameter(":y".into()))
    );
    // Every form of named set, and every call.
    let pairs: &[(&str, &dyn ToSql)] = &[(":y", &"c")];
    assert_eq!(
        stmt.execute(pairs),
        Err(Error::MissingParameter(":x".into()))
    );
    assert_eq!(
        stmt.execute(&[(":y", "c")][..]),
        Err(Error::MissingParameter(":x".into()))
    );
    assert_eq!(
        stmt.execute(&[(":y", &"c")]),
        Err(Error::MissingParameter(":x".into()))
    );
    assert_eq!(
        stmt.insert(named_params! { ":y": "c" }),
        Err(Error::MissingParameter(":x".into()))
    );
    let mut sel = conn.prepare("SELECT :a || :b").unwrap();
    assert!(matches!(
        sel.query(named_params! { ":a": "x" }).map(|_| ()),
        Err(Error::MissingParameter(n)) if n == ":b"
    ));
    assert_eq!(
        sel.exists(named_params! { ":b": "x" }),
        Err(Error::MissingParameter(":a".into()))
    );
    assert_eq!(
        conn.execute_many(
            "INSERT INTO t VALUES (:x, :y)",
            [
                named_params! { ":x": "m", ":y": "n" },
                named_params! { ":y": "o" }
            ],
        )
        .unwrap_err()
        .to_string(),
        "item 1: You did not supply a value for binding parameter :x"
    );
    // Pairs by index count for the parameter at that index.
    let mut mixed = conn.prepare("SELECT ?1, :b").unwrap();
    assert_eq!(
        mixed.query_row(&[(1usize, 5)][..], |r| r.get::<_, i64>(0)),
        Err(Error::MissingParameter(":b".into()))
    );
    assert_eq!(
        mixed.query_row(&[(1usize, 5), (2, 6)][..], |r| Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?
        ))),
        Ok((5, 6))
    );
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT x, y FROM t ORDER BY rowid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(
        rows,
        [("one".to_owned(), "a".to_owned())],
        "no failed call ran"
    );
    // Nameless parameters can't be bound by name: not required (they
    // read as NULL, as before).
    let v: Option<i64> = conn
        .query_row("SELECT :a + ?", named_params! { ":a": 1 }, |r| r.get(0))
        .unwrap();
    assert_eq!(v, None);
}

/// Parameters given by position to `:name`, `@name` or `$name`
/// placeholders are an error (SQL written for names, values that may be in
/// the wrong order); `?` and `?NNN` take positions.
#[test]
fn positions_for_named_placeholders_are_an_error() {
    let conn = memory_db();
    let sql = "SELECT :a || @b || $c";
    let want = || Err(Error::NamedParameterByPosition(":a".into()));
    let get = |r: &ferrolite::Row<'_>| r.get::<_, String>(0);
    assert_eq!(conn.query_row(sql, ("p", "q", "r"), get), want());
    assert_eq!(conn.query_row(sql, ["p", "q", "r"], get), want());
    let refs: &[&str; 3] = &["p", "q", "r"];
    assert_eq!(conn.query_row(sql, refs, get), want());
    assert_eq!(conn.query_row(sql, params!["p", "q", "r"], get), want());
    assert_eq!(
        conn.query_row(sql, params_from_iter(["p", "q", "r"]), get),
        want()
    );
    let mut stmt = conn.prepare("SELECT 1 WHERE @b IS NULL").unwrap();
    assert!(matches!(
        stmt.query([1]).map(|_| ()),
        Err(Error::NamedParameterByPosition(n)) if n == "@b"
    ));
    let err = stmt.execute([1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Binding parameter @b has a name, but the parameters were given by position: \
         bind them by name (named_params!)"
    );
    // A wrong count is still reported as such.
    assert_eq!(
        conn.query_row(sql, ["p"], get),
        Err(Error::InvalidParameterCount(1, 3))
    );
    // Numbered and bare placeholders are positional.
    assert_eq!(
        conn.query_row("SELECT ?2 || ?1 || ?", ["a", "b", "c"], get),
        Ok("bac".into())
    );
    // By name it works, and raw binding by index stays available.
    assert_eq!(
        conn.query_row(sql, named_params! { ":a": "x", "@b": "y", "$c": "z" }, get),
        Ok("xyz".into())
    );
    let mut stmt = conn.prepare(sql).unwrap();
    for (i, v) in ["1", "2", "3"].into_iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, v).unwrap();
    }
    let s: String = stmt.raw_query().next().unwrap().unwrap().get(0).unwrap();
    assert_eq!(s, "123");
}

/// `raw_bind_parameter` + `raw_execute` keep rusqlite's behaviour: a
/// parameter not bound reads NULL, and a bound value stays until rebound
/// or cleared.
#[test]
fn raw_binding_keeps_values_and_leaves_the_rest_null() {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (x, y)").unwrap();
    let mut stmt = conn.prepare("INSERT INTO t VALUES (:x, :y)").unwrap();
    stmt.raw_bind_parameter(":y", "a").unwrap();
    assert_eq!(stmt.raw_execute(), Ok(1));
    stmt.raw_bind_parameter(":x", "one").unwrap();
    assert_eq!(stmt.raw_execute(), Ok(1));
    stmt.raw_bind_parameter(":y", "b").unwrap();
    assert_eq!(stmt.raw_execute(), Ok(1));
    let rows: Vec<(Value, Value)> = conn
        .prepare("SELECT x, y FROM t ORDER BY rowid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    let t = |s: &str| Value::Text(s.into());
    assert_eq!(
        rows,
        [
            (Value::Null, t("a")),
            (t("one"), t("a")),
            (t("one"), t("b")),
        ]
    );
}
