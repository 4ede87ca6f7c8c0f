//! `vtab::array`: the `rarray(?1)` table-valued function over a bound
//! `Rc<Vec<Value>>`.

use std::rc::Rc;
use std::sync::Arc;

use crate::common::memory_db;

use ferrolite::types::{ToSqlOutput, Value};
use ferrolite::vtab::array::{self, Array};
use ferrolite::{Connection, Result, params};

fn db() -> Connection {
    let conn = memory_db();
    array::load_module(&conn).unwrap();
    conn
}

fn values(conn: &Connection, sql: &str, p: impl ferrolite::Params) -> Result<Vec<Value>> {
    conn.prepare(sql)?
        .query_map(p, |r| r.get::<_, Value>(0))?
        .collect()
}

#[test]
fn rows_in_order_and_the_binding_shares_the_rc() -> Result<()> {
    let conn = db();
    let ptr: Array = Rc::new((1..=4i64).map(Value::from).collect());
    {
        let mut stmt = conn.prepare("SELECT value FROM rarray(?1)")?;
        let rows = stmt.query_map([&ptr], |r| r.get::<_, i64>(0))?;
        // The statement holds one reference: nothing was copied.
        assert_eq!(Rc::strong_count(&ptr), 2);
        let got: Vec<i64> = rows.collect::<Result<_>>()?;
        assert_eq!(got, [1, 2, 3, 4]);
    }
    // Finalizing the statement released it.
    assert_eq!(Rc::strong_count(&ptr), 1);
    Ok(())
}

#[test]
fn rowid_counts_from_one() -> Result<()> {
    let conn = db();
    let a: Array = Rc::new(vec![Value::from("x"), Value::from("y")]);
    let mut stmt = conn.prepare("SELECT rowid, value FROM rarray(?1)")?;
    let got: Vec<(i64, String)> = stmt
        .query_map([&a], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    assert_eq!(got, [(1, "x".to_owned()), (2, "y".to_owned())]);
    Ok(())
}

#[test]
fn in_list_over_a_table() -> Result<()> {
    let conn = db();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO t SELECT value, 'n' || value FROM generate_series(1, 100);",
    )?;
    let ids: Array = Rc::new([3i64, 50, 99, 1000].into_iter().map(Value::from).collect());
    let names = values(
        &conn,
        "SELECT name FROM t WHERE id IN rarray(?1) ORDER BY id",
        [&ids],
    )?;
    assert_eq!(
        names,
        [Value::from("n3"), Value::from("n50"), Value::from("n99")]
    );
    // The same statement, rebound with another array.
    let mut stmt = conn.prepare_cached("SELECT count(*) FROM t WHERE id IN rarray(?1)")?;
    for (arr, want) in [(vec![1i64, 2], 2i64), (vec![], 0), (vec![7, 7, 8], 2)] {
        let arr: Array = Rc::new(arr.into_iter().map(Value::from).collect());
        assert_eq!(stmt.query_row([&arr], |r| r.get::<_, i64>(0))?, want);
    }
    Ok(())
}

#[test]
fn mixed_value_types_keep_their_type() -> Result<()> {
    let conn = db();
    let a: Array = Rc::new(vec![
        Value::Null,
        Value::Integer(-7),
        Value::Real(2.5),
        Value::Text("héllo".into()),
        Value::Blob(vec![0, 1, 255]),
    ]);
    let mut stmt = conn.prepare("SELECT typeof(value), value FROM rarray(?1)")?;
    let got: Vec<(String, Value)> = stmt
        .query_map([&a], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    let types: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["null", "integer", "real", "text", "blob"]);
    let vals: Vec<Value> = got.into_iter().map(|(_, v)| v).collect();
    assert_eq!(vals, *a);
    Ok(())
}

#[test]
fn empty_array_is_an_empty_table() -> Result<()> {
    let conn = db();
    let a: Array = Rc::new(Vec::new());
    assert!(values(&conn, "SELECT value FROM rarray(?1)", [&a])?.is_empty());
    Ok(())
}

#[test]
fn null_or_no_argument_is_an_empty_table() -> Result<()> {
    let conn = db();
    assert!(values(&conn, "SELECT value FROM rarray(NULL)", [])?.is_empty());
    assert!(values(&conn, "SELECT value FROM rarray(?1)", [Value::Null])?.is_empty());
    assert!(values(&conn, "SELECT value FROM rarray(?1)", [42])?.is_empty());
    assert!(values(&conn, "SELECT value FROM rarray", [])?.is_empty());
    // A constraint on `value` only does not supply the array either.
    assert!(values(&conn, "SELECT value FROM rarray WHERE value = 1", [])?.is_empty());
    Ok(())
}

#[test]
fn wrong_pointer_type_is_an_empty_table() -> Result<()> {
    let conn = db();
    let v: Vec<Value> = vec![Value::from(1)];
    // Another pointer type name.
    let other = ToSqlOutput::from_arc(Arc::new(v.clone()), c"not-rarray");
    assert!(values(&conn, "SELECT value FROM rarray(?1)", [other])?.is_empty());
    // The right name but another Rust type.
    let ints = ToSqlOutput::new_boxed(vec![1i64, 2], c"rarray");
    assert!(values(&conn, "SELECT value FROM rarray(?1)", [ints])?.is_empty());
    Ok(())
}

#[test]
fn a_shared_vec_under_the_rarray_name_is_read() -> Result<()> {
    // `ToSqlOutput::new_boxed(Vec<Value>, "rarray")` (also what
    // `ToSqlOutput::from_rc` binds) works as well: a `Send` array.
    let conn = db();
    let v = ToSqlOutput::new_boxed(vec![Value::from(5), Value::from("six")], c"rarray");
    assert_eq!(
        values(&conn, "SELECT value FROM rarray(?1)", [v])?,
        [Value::from(5), Value::from("six")]
    );
    let rc: Array = Rc::new(vec![Value::from(1.5)]);
    let v = ToSqlOutput::from_rc(Rc::clone(&rc), c"rarray");
    assert_eq!(
        values(&conn, "SELECT value FROM rarray(?1)", [v])?,
        [Value::from(1.5)]
    );
    Ok(())
}

#[test]
fn hidden_pointer_column_and_several_arrays() -> Result<()> {
    let conn = db();
    let a: Array = Rc::new(vec![Value::from(1), Value::from(2)]);
    let b: Array = Rc::new(vec![Value::from(10), Value::from(20), Value::from(30)]);
    // The hidden column is not part of `*`.
    let stmt = conn.prepare("SELECT * FROM rarray(?1)")?;
    assert_eq!(stmt.column_names().collect::<Vec<_>>(), ["value"]);
    drop(stmt);
    assert_eq!(
        values(&conn, "SELECT value FROM rarray WHERE pointer = ?1", [&a])?,
        [Value::from(1), Value::from(2)]
    );
    // Two instances in one statement: a cross join.
    let sums = values(
        &conn,
        "SELECT x.value + y.value FROM rarray(?1) x, rarray(?2) y ORDER BY 1",
        params![a, b],
    )?;
    assert_eq!(sums.len(), 6);
    assert_eq!(sums[0], Value::from(11));
    assert_eq!(sums[5], Value::from(32));
    Ok(())
}

#[test]
fn cached_statement_moved_to_another_thread_never_touches_the_rc() -> Result<()> {
    // A cached statement keeps its bindings; the connection (Send) then
    // moves to another thread, which finalizes the statement. The `Rc`'s
    // count must not be changed from there (a data race with this thread):
    // the reference is leaked instead.
    let conn = db();
    let a: Array = Rc::new(vec![Value::from(1)]);
    {
        let mut stmt = conn.prepare_cached("SELECT count(*) FROM rarray(?1)")?;
        assert_eq!(stmt.query_row([&a], |r| r.get::<_, i64>(0))?, 1);
    }
    // The cached statement's (stale) binding still holds a reference.
    let before = Rc::strong_count(&a);
    assert_eq!(before, 2);
    std::thread::spawn(move || {
        conn.flush_prepared_statement_cache();
        drop(conn);
    })
    .join()
    .unwrap();
    assert_eq!(Rc::strong_count(&a), before);
    assert_eq!(*a, [Value::from(1)]);
    Ok(())
}

#[test]
fn statement_cache_on_the_same_thread_releases_the_rc() -> Result<()> {
    let conn = db();
    let a: Array = Rc::new(vec![Value::from(1)]);
    {
        let mut stmt = conn.prepare_cached("SELECT count(*) FROM rarray(?1)")?;
        assert_eq!(stmt.query_row([&a], |r| r.get::<_, i64>(0))?, 1);
    }
    conn.flush_prepared_statement_cache();
    assert_eq!(Rc::strong_count(&a), 1);
    Ok(())
}
