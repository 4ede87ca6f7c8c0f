//! User-defined scalar, aggregate and window functions.

use crate::common::memory_db;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use ferrolite::functions::{Aggregate, Context, FunctionFlags, SubType, WindowAggregate};
use ferrolite::types::{Type, ValueRef};
use ferrolite::{Connection, Error, ErrorCode, Result, ffi};

fn det() -> FunctionFlags {
    FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC
}

fn one<T: ferrolite::types::FromSql>(conn: &Connection, sql: &str) -> Result<T> {
    conn.query_row(sql, [], |r| r.get(0))
}

/// Counts drops of the value it is captured in.
struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Debug)]
struct MyError(&'static str);
impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "my error: {}", self.0)
    }
}
impl std::error::Error for MyError {}

// ---- scalar functions ----

#[test]
fn scalar_function_computes_per_row() -> Result<()> {
    let conn = memory_db();
    conn.create_scalar_function("half", 1, det(), |ctx| Ok(ctx.get::<f64>(0)? / 2.0))?;
    assert_eq!(one::<f64>(&conn, "SELECT half(7)")?, 3.5);
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (2), (4), (10);")?;
    let mut stmt = conn.prepare("SELECT half(x) FROM t ORDER BY x")?;
    let halves: Vec<f64> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_>>()?;
    assert_eq!(halves, [1.0, 2.0, 5.0]);
    Ok(())
}

#[test]
fn fnmut_state_persists_between_calls() -> Result<()> {
    let conn = memory_db();
    let mut n = 0i64;
    conn.create_scalar_function("next", 0, FunctionFlags::default(), move |_| {
        n += 1;
        Ok(n)
    })?;
    let v: Vec<i64> = conn
        .prepare("SELECT next() FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3)")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    assert_eq!(v, [1, 2, 3]);
    Ok(())
}

#[test]
fn results_of_every_type() -> Result<()> {
    let conn = memory_db();
    conn.create_scalar_function("null_", 0, det(), |_| Ok(None::<i64>))?;
    conn.create_scalar_function("int_", 0, det(), |_| Ok(i64::MIN))?;
    conn.create_scalar_function("real_", 0, det(), |_| Ok(-0.25f64))?;
    conn.create_scalar_function("text_", 0, det(), |_| Ok("héllo\0world".to_owned()))?;
    conn.create_scalar_function("empty_text", 0, det(), |_| Ok(String::new()))?;
    conn.create_scalar_function("blob_", 0, det(), |_| Ok(vec![0u8, 1, 2, 255]))?;
    conn.create_scalar_function("empty_blob", 0, det(), |_| Ok(Vec::<u8>::new()))?;
    conn.create_scalar_function("bool_", 0, det(), |_| Ok(true))?;

    let row = conn.query_row(
        "SELECT null_(), int_(), real_(), text_(), empty_text(), blob_(), empty_blob(), bool_(),
                typeof(null_()), typeof(empty_text()), typeof(empty_blob()), length(text_())",
        [],
        |r| {
            Ok((
                r.get::<_, Option<i64>>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Vec<u8>>(5)?,
                r.get::<_, Vec<u8>>(6)?,
                r.get::<_, bool>(7)?,
                (
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, String>(10)?,
                    r.get::<_, i64>(11)?,
                ),
            ))
        },
    )?;
    assert_eq!(row.0, None);
    assert_eq!(row.1, i64::MIN);
    assert_eq!(row.2, -0.25);
    assert_eq!(row.3, "héllo\0world", "text with a NUL survives whole");
    assert_eq!(row.4, "");
    assert_eq!(row.5, [0, 1, 2, 255]);
    assert!(row.6.is_empty());
    assert!(row.7);
    assert_eq!(
        row.8,
        ("null".to_owned(), "text".to_owned(), "blob".to_owned(), 5)
    );
    Ok(())
}

#[test]
fn arguments_are_typed_and_raw() -> Result<()> {
    let conn = memory_db();
    conn.create_scalar_function("describe", -1, det(), |ctx| {
        let mut out = Vec::new();
        for i in 0..ctx.len() {
            out.push(match ctx.get_raw(i) {
                ValueRef::Null => "null".to_owned(),
                ValueRef::Integer(v) => format!("int {v}"),
                ValueRef::Real(v) => format!("real {v}"),
                ValueRef::Text(t) => format!("text {}", String::from_utf8_lossy(t)),
                ValueRef::Blob(b) => format!("blob {}", b.len()),
            });
        }
        Ok(out.join(", "))
    })?;
    assert_eq!(
        one::<String>(&conn, "SELECT describe(NULL, 1, 2.5, 'x', X'0102', '')")?,
        "null, int 1, real 2.5, text x, blob 2, text "
    );
    assert_eq!(one::<String>(&conn, "SELECT describe()")?, "");
    Ok(())
}

#[test]
fn no_argument_deterministic_function_in_query_planning() -> Result<()> {
    // After ANALYZE, SQLite evaluates a deterministic function while
    // planning the query, with a NULL argument array.
    let conn = memory_db();
    conn.create_scalar_function("one", 0, det(), |ctx| {
        assert!(ctx.is_empty());
        Ok(1)
    })?;
    conn.execute_batch("CREATE TABLE t AS SELECT 1 AS x; CREATE INDEX t_x ON t(x); ANALYZE;")?;
    assert_eq!(one::<i64>(&conn, "SELECT x FROM t WHERE x = one()")?, 1);
    Ok(())
}

#[test]
fn wrong_argument_type_is_reported_with_its_index() {
    let conn = memory_db();
    conn.create_scalar_function("double_it", 1, det(), |ctx| Ok(ctx.get::<i64>(0)? * 2))
        .unwrap();
    let err = one::<i64>(&conn, "SELECT double_it('abc')").unwrap_err();
    assert_eq!(err, Error::InvalidFunctionParameterType(0, Type::Text));
    let err = one::<i64>(&conn, "SELECT double_it(9223372036854775807.0 * 4)").unwrap_err();
    assert_eq!(err, Error::InvalidFunctionParameterType(0, Type::Real));
}

#[test]
fn invalid_utf8_argument_is_an_error_not_ub() {
    let conn = memory_db();
    conn.create_scalar_function("len_", 1, det(), |ctx| {
        Ok(ctx.get::<String>(0)?.len() as i64)
    })
    .unwrap();
    let err = one::<i64>(&conn, "SELECT len_(CAST(X'FF00FE' AS TEXT))").unwrap_err();
    assert!(matches!(err, Error::Utf8Error(0, _)), "{err:?}");
    // The raw bytes are still readable.
    conn.create_scalar_function("rawlen", 1, det(), |ctx| {
        Ok(ctx.get_raw(0).as_bytes()?.len() as i64)
    })
    .unwrap();
    assert_eq!(
        one::<i64>(&conn, "SELECT rawlen(CAST(X'FF00FE' AS TEXT))").unwrap(),
        3
    );
}

#[test]
fn user_error_is_returned_unchanged() {
    let conn = memory_db();
    conn.create_scalar_function("fail", 1, FunctionFlags::default(), |ctx| {
        if ctx.get::<i64>(0)? > 2 {
            Err(Error::UserFunctionError(Box::new(MyError("too big"))))
        } else {
            Ok(0)
        }
    })
    .unwrap();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1),(2),(3),(4);")
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT fail(x) FROM t ORDER BY rowid")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    assert!(rows.next().unwrap().is_some());
    assert!(rows.next().unwrap().is_some());
    let err = rows.next().unwrap_err();
    match &err {
        Error::UserFunctionError(e) => {
            // The original boxed error, not just its text.
            let mine = e
                .downcast_ref::<MyError>()
                .expect("the user's own error type");
            assert_eq!(mine.0, "too big");
        }
        other => panic!("expected UserFunctionError, got {other:?}"),
    }
    assert_eq!(err.to_string(), "my error: too big");
    drop(rows);
    drop(stmt);
    // The connection still works, and so does the function.
    assert_eq!(one::<i64>(&conn, "SELECT fail(1)").unwrap(), 0);
}

#[test]
fn user_error_through_execute_and_execute_batch() {
    let conn = memory_db();
    conn.create_scalar_function("boom", 0, FunctionFlags::default(), |_| {
        Err::<i64, _>(Error::UserFunctionError("kaboom".into()))
    })
    .unwrap();
    conn.execute_batch("CREATE TABLE t(x)").unwrap();
    let err = conn
        .execute("INSERT INTO t VALUES (boom())", [])
        .unwrap_err();
    assert!(matches!(&err, Error::UserFunctionError(e) if e.to_string() == "kaboom"));
    let err = conn
        .execute_batch("SELECT 1; INSERT INTO t VALUES (boom());")
        .unwrap_err();
    assert!(matches!(&err, Error::UserFunctionError(e) if e.to_string() == "kaboom"));
    assert_eq!(one::<i64>(&conn, "SELECT count(*) FROM t").unwrap(), 0);
}

#[test]
fn sqlite_error_from_function_keeps_its_code() {
    let conn = memory_db();
    conn.create_scalar_function("constraint_", 0, FunctionFlags::default(), |_| {
        Err::<i64, _>(Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_CONSTRAINT_FUNCTION),
            Some("not allowed here".to_owned()),
        ))
    })
    .unwrap();
    let err = one::<i64>(&conn, "SELECT constraint_()").unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation)
    );
    assert_eq!(err.to_string(), "not allowed here");
}

#[test]
fn message_reaches_sql_level_error_handlers() {
    // SQLite itself sees the message: a CHECK constraint using the function
    // fails with it.
    let conn = memory_db();
    conn.create_scalar_function("checked", 1, det(), |ctx| {
        let v: i64 = ctx.get(0)?;
        if v < 0 {
            Err(Error::UserFunctionError(format!("negative: {v}").into()))
        } else {
            Ok(true)
        }
    })
    .unwrap();
    conn.execute_batch("CREATE TABLE t(x CHECK (checked(x)))")
        .unwrap();
    conn.execute("INSERT INTO t VALUES (?1)", [5]).unwrap();
    let err = conn.execute("INSERT INTO t VALUES (?1)", [-3]).unwrap_err();
    assert_eq!(err.to_string(), "negative: -3");
}

#[test]
fn panic_in_function_becomes_unwinding_panic() {
    let conn = memory_db();
    conn.create_scalar_function("panicky", 1, FunctionFlags::default(), |ctx| {
        let v: i64 = ctx.get(0)?;
        if v == 2 {
            panic!("function panicked on purpose");
        }
        Ok(v)
    })
    .unwrap();
    assert_eq!(one::<i64>(&conn, "SELECT panicky(1)").unwrap(), 1);
    let err = one::<i64>(&conn, "SELECT panicky(2)").unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    // Still usable afterwards.
    assert_eq!(one::<i64>(&conn, "SELECT panicky(3)").unwrap(), 3);
}

#[test]
fn panic_in_result_conversion_is_caught() {
    struct Bad;
    impl ferrolite::ToSql for Bad {
        fn to_sql(&self) -> Result<ferrolite::types::ToSqlOutput<'_>> {
            panic!("ToSql panicked")
        }
    }
    let conn = memory_db();
    conn.create_scalar_function("bad", 0, FunctionFlags::default(), |_| Ok(Bad))
        .unwrap();
    assert_eq!(
        one::<i64>(&conn, "SELECT bad()").unwrap_err(),
        Error::UnwindingPanic
    );
}

#[test]
fn error_display_that_panics_is_caught() {
    #[derive(Debug)]
    struct Evil;
    impl fmt::Display for Evil {
        fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
            panic!("Display panicked")
        }
    }
    impl std::error::Error for Evil {}
    let conn = memory_db();
    conn.create_scalar_function("evil", 0, FunctionFlags::default(), |_| {
        Err::<i64, _>(Error::UserFunctionError(Box::new(Evil)))
    })
    .unwrap();
    let err = one::<i64>(&conn, "SELECT evil()").unwrap_err();
    match err {
        Error::UserFunctionError(e) => assert!(e.downcast_ref::<Evil>().is_some()),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn subtypes_round_trip() -> Result<()> {
    let conn = memory_db();
    conn.create_scalar_function(
        "get_subtype",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_SUBTYPE,
        |ctx| Ok(i64::from(ctx.get_subtype(0))),
    )?;
    conn.create_scalar_function(
        "set_subtype",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_RESULT_SUBTYPE,
        |ctx| -> Result<(_, SubType)> { Ok((ctx.get_arg(0), Some(ctx.get::<u32>(1)?))) },
    )?;
    assert_eq!(one::<i64>(&conn, "SELECT get_subtype('x')")?, 0);
    assert_eq!(
        one::<i64>(&conn, "SELECT get_subtype(set_subtype('x', 77))")?,
        77
    );
    // get_arg passes the value itself through unchanged.
    assert_eq!(
        one::<String>(&conn, "SELECT set_subtype('kept', 1)")?,
        "kept"
    );
    assert_eq!(
        one::<String>(&conn, "SELECT typeof(set_subtype(X'00', 1))")?,
        "blob"
    );
    Ok(())
}

#[test]
fn auxiliary_data_is_reused_within_a_statement() -> Result<()> {
    let conn = memory_db();
    let created = Arc::new(AtomicUsize::new(0));
    let c = created.clone();
    conn.create_scalar_function("matches_prefix", 2, det(), move |ctx| {
        let prefix: Arc<String> = ctx.get_or_create_aux(0, |v| -> Result<_, Error> {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(v.as_str()?.to_owned())
        })?;
        Ok(ctx.get::<String>(1)?.starts_with(prefix.as_str()))
    })?;
    conn.execute_batch(
        "CREATE TABLE t(s); INSERT INTO t VALUES ('apple'), ('apricot'), ('banana'), ('avocado');",
    )?;
    let n: i64 = one(
        &conn,
        "SELECT count(*) FROM t WHERE matches_prefix('ap', s)",
    )?;
    assert_eq!(n, 2);
    let made = created.load(Ordering::SeqCst);
    assert!(
        (1..4).contains(&made),
        "the prefix should be built once per statement, not per row ({made})"
    );
    Ok(())
}

#[test]
fn auxiliary_data_of_another_type_is_an_error() -> Result<()> {
    let conn = memory_db();
    conn.create_scalar_function("aux", 2, FunctionFlags::default(), |ctx| {
        if ctx.get::<i64>(1)? == 0 {
            ctx.set_aux(0, 100i64)?;
            Ok(0)
        } else {
            assert_eq!(ctx.get_aux::<String>(0), Err(Error::GetAuxWrongType));
            Ok(*ctx.get_aux::<i64>(0)?.expect("kept by SQLite"))
        }
    })?;
    let v: Vec<i64> = conn
        .prepare("SELECT aux(0, i) FROM (SELECT 0 AS i UNION ALL SELECT 1)")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    assert_eq!(v, [0, 100]);
    Ok(())
}

#[test]
fn aux_creation_error_is_a_user_function_error() {
    let conn = memory_db();
    conn.create_scalar_function("aux_fail", 1, FunctionFlags::default(), |ctx| {
        let v: Arc<i64> = ctx.get_or_create_aux(0, |_| Err::<i64, _>("cannot build it"))?;
        Ok(*v)
    })
    .unwrap();
    let err = one::<i64>(&conn, "SELECT aux_fail(1)").unwrap_err();
    assert!(matches!(&err, Error::UserFunctionError(e) if e.to_string() == "cannot build it"));
}

#[test]
fn remove_function_and_unknown_names() {
    let conn = memory_db();
    conn.create_scalar_function("gone", 0, det(), |_| Ok(1))
        .unwrap();
    assert_eq!(one::<i64>(&conn, "SELECT gone()").unwrap(), 1);
    conn.remove_function("gone", 0).unwrap();
    let err = one::<i64>(&conn, "SELECT gone()").unwrap_err();
    assert!(err.to_string().contains("no such function"), "{err}");
    // Removing what does not exist is fine.
    conn.remove_function("never_existed", 3).unwrap();
    // Bad registrations are errors, not crashes.
    assert!(matches!(
        conn.create_scalar_function("a\0b", 0, det(), |_| Ok(1)),
        Err(Error::NulError(_))
    ));
    let err = conn
        .create_scalar_function("too_many_args", 40000, det(), |_| Ok(1))
        .unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse));
    let long = "f".repeat(300);
    assert!(
        conn.create_scalar_function(long.as_str(), 0, det(), |_| Ok(1))
            .is_err()
    );
}

#[test]
fn closures_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let conn = memory_db();

    // Replaced: the old closure is dropped.
    let guard = DropCount(drops.clone());
    conn.create_scalar_function("f", 0, det(), move |_| {
        let _ = &guard;
        Ok(1)
    })
    .unwrap();
    let guard = DropCount(drops.clone());
    conn.create_scalar_function("f", 0, det(), move |_| {
        let _ = &guard;
        Ok(2)
    })
    .unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(one::<i64>(&conn, "SELECT f()").unwrap(), 2);

    // Removed: dropped.
    conn.remove_function("f", 0).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 2);

    // Failed registration: dropped once, not leaked and not twice.
    let guard = DropCount(drops.clone());
    assert!(
        conn.create_scalar_function("bad", -2, det(), move |_| {
            let _ = &guard;
            Ok(0)
        })
        .is_err()
    );
    assert_eq!(drops.load(Ordering::SeqCst), 3);

    // Aggregates and closures alive at close: dropped then.
    let guard = DropCount(drops.clone());
    conn.create_scalar_function("g", 0, det(), move |_| {
        let _ = &guard;
        Ok(3)
    })
    .unwrap();
    conn.create_aggregate_function("cnt", 0, det(), Counting(DropCount(drops.clone())))
        .unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    drop(conn);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn replacing_a_function_while_a_statement_runs_is_refused() -> Result<()> {
    let conn = memory_db();
    conn.create_scalar_function("f", 0, FunctionFlags::default(), |_| Ok(1))?;
    let mut stmt = conn.prepare("SELECT f() FROM (SELECT 1 UNION ALL SELECT 2)")?;
    let mut rows = stmt.query([])?;
    assert!(rows.next()?.is_some());
    let err = conn
        .create_scalar_function("f", 0, FunctionFlags::default(), |_| Ok(2))
        .unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseBusy));
    assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 1);
    let err = conn.remove_function("f", 0).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseBusy));
    drop(rows);
    conn.create_scalar_function("f", 0, FunctionFlags::default(), |_| Ok(2))?;
    assert_eq!(one::<i64>(&conn, "SELECT f()")?, 2);
    Ok(())
}

thread_local! {
    static TL_CONN: Connection = Connection::open_in_memory().unwrap();
}

#[test]
fn function_replacing_itself_while_running_is_refused() {
    // The function reaches its own connection through a thread-local and
    // tries to replace itself mid-statement: SQLite says BUSY, and the
    // running closure stays alive.
    static DROPPED: AtomicBool = AtomicBool::new(false);
    struct Flag;
    impl Drop for Flag {
        fn drop(&mut self) {
            DROPPED.store(true, Ordering::SeqCst);
        }
    }
    TL_CONN.with(|conn| {
        let flag = Flag;
        conn.create_scalar_function("selfrep", 0, FunctionFlags::default(), move |_| {
            let _ = &flag;
            let r = TL_CONN.with(|c| {
                c.create_scalar_function("selfrep", 0, FunctionFlags::default(), |_| Ok(99))
            });
            assert!(!DROPPED.load(Ordering::SeqCst), "running closure was freed");
            match r {
                Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => Ok(1),
                other => Err(Error::UserFunctionError(format!("{other:?}").into())),
            }
        })
        .unwrap();
        assert_eq!(one::<i64>(conn, "SELECT selfrep()").unwrap(), 1);
        assert!(!DROPPED.load(Ordering::SeqCst));
        conn.remove_function("selfrep", 0).unwrap();
        assert!(DROPPED.load(Ordering::SeqCst));
    });
}

#[test]
fn function_replacing_itself_during_prepare_is_freed_after_it_returns() {
    // During query planning (after ANALYZE) SQLite calls a deterministic
    // function with no statement active, so replacing it succeeds and SQLite
    // destroys the running closure: ferrolite must defer the drop until the
    // call returns.
    static DROPPED: AtomicBool = AtomicBool::new(false);
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    static REPLACED: AtomicBool = AtomicBool::new(false);
    struct Flag;
    impl Drop for Flag {
        fn drop(&mut self) {
            DROPPED.store(true, Ordering::SeqCst);
        }
    }
    std::thread::spawn(|| {
        TL_CONN.with(|conn| {
            conn.execute_batch(
                "CREATE TABLE t AS SELECT 1 AS x; CREATE INDEX t_x ON t(x); ANALYZE;",
            )
            .unwrap();
            let flag = Flag;
            conn.create_scalar_function("one", 0, det(), move |_| {
                let _ = &flag;
                CALLS.fetch_add(1, Ordering::SeqCst);
                let replaced =
                    TL_CONN.with(|c| c.create_scalar_function("one", 0, det(), |_| Ok(1)));
                // Still alive here, although SQLite destroyed it.
                assert!(!DROPPED.load(Ordering::SeqCst), "running closure was freed");
                if replaced.is_ok() {
                    REPLACED.store(true, Ordering::SeqCst);
                }
                replaced.map(|()| 1)
            })
            .unwrap();
            let stmt = conn.prepare("SELECT x FROM t WHERE x = one()");
            assert!(CALLS.load(Ordering::SeqCst) >= 1, "called while planning");
            assert!(REPLACED.load(Ordering::SeqCst), "no statement was active");
            assert!(stmt.is_ok(), "{:?}", stmt.err());
            drop(stmt);
            assert!(DROPPED.load(Ordering::SeqCst), "replaced closure dropped");
            assert_eq!(one::<i64>(conn, "SELECT one()").unwrap(), 1);
        });
    })
    .join()
    .unwrap();
}

#[test]
fn recursive_call_gets_an_error_not_a_second_mut_borrow() {
    std::thread::spawn(|| {
        TL_CONN.with(|conn| {
            conn.create_scalar_function("rec", 1, FunctionFlags::default(), |ctx| {
                let depth: i64 = ctx.get(0)?;
                if depth == 0 {
                    return Ok(0);
                }
                TL_CONN.with(|c| c.query_row("SELECT rec(?1)", [depth - 1], |r| r.get::<_, i64>(0)))
            })
            .unwrap();
            assert_eq!(one::<i64>(conn, "SELECT rec(0)").unwrap(), 0);
            let err = one::<i64>(conn, "SELECT rec(3)").unwrap_err();
            assert!(
                matches!(&err, Error::UserFunctionError(e) if e.to_string().contains("re-entrant")),
                "{err:?}"
            );
        });
    })
    .join()
    .unwrap();
}

#[test]
fn interrupting_a_query_that_runs_a_function() {
    let conn = memory_db();
    let handle = conn.get_interrupt_handle();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    conn.create_scalar_function("slow", 1, FunctionFlags::default(), move |ctx| {
        if c.fetch_add(1, Ordering::SeqCst) == 1000 {
            handle.interrupt();
        }
        ctx.get::<i64>(0)
    })
    .unwrap();
    let err = one::<i64>(
        &conn,
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT 10000000)
         SELECT sum(slow(i)) FROM c",
    )
    .unwrap_err();
    assert!(err.is_interrupted(), "{err:?}");
    let n = calls.load(Ordering::SeqCst);
    assert!(
        (1001..100_000).contains(&n),
        "stopped soon after the interrupt: {n}"
    );
    // The connection works again afterwards.
    assert_eq!(one::<i64>(&conn, "SELECT slow(5)").unwrap(), 5);
}

#[test]
fn interrupting_from_another_thread_while_a_function_runs() {
    let conn = memory_db();
    let handle = conn.get_interrupt_handle();
    let started = Arc::new(AtomicBool::new(false));
    let s = started.clone();
    conn.create_scalar_function("tick", 1, FunctionFlags::default(), move |ctx| {
        s.store(true, Ordering::SeqCst);
        ctx.get::<i64>(0)
    })
    .unwrap();
    let t = std::thread::spawn(move || {
        while !started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        handle.interrupt();
    });
    let err = one::<i64>(
        &conn,
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c)
         SELECT sum(tick(i)) FROM c",
    )
    .unwrap_err();
    t.join().unwrap();
    assert!(err.is_interrupted(), "{err:?}");
}

// ---- aggregates ----

struct Sum;
impl Aggregate<i64, Option<i64>> for Sum {
    fn init(&self, _: &mut Context<'_>) -> Result<i64> {
        Ok(0)
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut i64) -> Result<()> {
        *acc += ctx.get::<i64>(0)?;
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<i64>) -> Result<Option<i64>> {
        Ok(acc)
    }
}

impl WindowAggregate<i64, Option<i64>> for Sum {
    fn value(&self, acc: Option<&mut i64>) -> Result<Option<i64>> {
        Ok(acc.copied())
    }
    fn inverse(&self, ctx: &mut Context<'_>, acc: &mut i64) -> Result<()> {
        *acc -= ctx.get::<i64>(0)?;
        Ok(())
    }
}

struct Counting(#[allow(dead_code)] DropCount);
impl Aggregate<i64, i64> for Counting {
    fn init(&self, _: &mut Context<'_>) -> Result<i64> {
        Ok(0)
    }
    fn step(&self, _: &mut Context<'_>, n: &mut i64) -> Result<()> {
        *n += 1;
        Ok(())
    }
    fn finalize(&self, ctx: &mut Context<'_>, n: Option<i64>) -> Result<i64> {
        assert!(ctx.is_empty(), "finalize gets no arguments");
        Ok(n.unwrap_or(0))
    }
}

#[test]
fn aggregate_sums_groups_and_handles_empty_input() -> Result<()> {
    let conn = memory_db();
    conn.create_aggregate_function("my_sum", 1, det(), Sum)?;
    conn.create_aggregate_function("my_count", -1, det(), Counting(DropCount(Arc::default())))?;
    conn.execute_batch(
        "CREATE TABLE t(g, v); INSERT INTO t VALUES ('a', 1), ('a', 2), ('b', 10), ('b', 20), ('b', 30);",
    )?;
    let groups: Vec<(String, i64, i64)> = conn
        .prepare("SELECT g, my_sum(v), my_count(v) FROM t GROUP BY g ORDER BY g")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_>>()?;
    assert_eq!(groups, [("a".into(), 3, 2), ("b".into(), 60, 3)]);
    // No rows: finalize(None); SUM-like gives NULL, COUNT-like 0.
    assert_eq!(
        one::<Option<i64>>(&conn, "SELECT my_sum(v) FROM t WHERE 0")?,
        None
    );
    assert_eq!(one::<i64>(&conn, "SELECT my_count(v) FROM t WHERE 0")?, 0);
    // Two aggregates over the same rows keep separate state.
    let (a, b): (i64, i64) = conn.query_row("SELECT my_sum(v), my_sum(v * 2) FROM t", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    assert_eq!((a, b), (63, 126));
    Ok(())
}

/// Tracks every per-group state: created in `init`, dropped exactly once.
struct Tracked {
    live: Arc<AtomicUsize>,
    created: Arc<AtomicUsize>,
    fail_at: Option<i64>,
    panic_at: Option<i64>,
    fail_in_final: bool,
    panic_in_final: bool,
}

struct State {
    sum: i64,
    live: Arc<AtomicUsize>,
}
impl Drop for State {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Tracked {
    fn new() -> (Tracked, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let live = Arc::new(AtomicUsize::new(0));
        let created = Arc::new(AtomicUsize::new(0));
        (
            Tracked {
                live: live.clone(),
                created: created.clone(),
                fail_at: None,
                panic_at: None,
                fail_in_final: false,
                panic_in_final: false,
            },
            live,
            created,
        )
    }
}

impl Aggregate<State, i64> for Tracked {
    fn init(&self, _: &mut Context<'_>) -> Result<State> {
        self.live.fetch_add(1, Ordering::SeqCst);
        self.created.fetch_add(1, Ordering::SeqCst);
        Ok(State {
            sum: 0,
            live: self.live.clone(),
        })
    }
    fn step(&self, ctx: &mut Context<'_>, s: &mut State) -> Result<()> {
        let v: i64 = ctx.get(0)?;
        if Some(v) == self.fail_at {
            return Err(Error::UserFunctionError(format!("bad value {v}").into()));
        }
        if Some(v) == self.panic_at {
            panic!("step panicked at {v}");
        }
        s.sum += v;
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, s: Option<State>) -> Result<i64> {
        if self.panic_in_final {
            panic!("finalize panicked");
        }
        if self.fail_in_final {
            return Err(Error::UserFunctionError("finalize failed".into()));
        }
        Ok(s.map_or(0, |s| s.sum))
    }
}

impl WindowAggregate<State, i64> for Tracked {
    fn value(&self, s: Option<&mut State>) -> Result<i64> {
        Ok(s.map_or(0, |s| s.sum))
    }
    fn inverse(&self, ctx: &mut Context<'_>, s: &mut State) -> Result<()> {
        s.sum -= ctx.get::<i64>(0)?;
        Ok(())
    }
}

fn numbers(conn: &Connection) {
    conn.execute_batch(
        "CREATE TABLE n(g, v);
         WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT 100)
         INSERT INTO n SELECT i % 7, i FROM c;",
    )
    .unwrap();
}

#[test]
fn group_state_is_dropped_once_on_success() {
    let conn = memory_db();
    numbers(&conn);
    let (agg, live, created) = Tracked::new();
    conn.create_aggregate_function("tsum", 1, det(), agg)
        .unwrap();
    let sums: Vec<i64> = conn
        .prepare("SELECT tsum(v) FROM n GROUP BY g ORDER BY g")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(sums.iter().sum::<i64>(), 5050);
    assert_eq!(created.load(Ordering::SeqCst), 7);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn group_state_is_dropped_once_when_step_fails_midway() {
    let conn = memory_db();
    numbers(&conn);
    let (mut agg, live, created) = Tracked::new();
    agg.fail_at = Some(50);
    conn.create_aggregate_function("tsum", 1, det(), agg)
        .unwrap();
    let err = conn
        .prepare("SELECT g, tsum(v) FROM n GROUP BY g")
        .unwrap()
        .query_map([], |r| r.get::<_, i64>(1))
        .unwrap()
        .collect::<Result<Vec<_>>>()
        .unwrap_err();
    assert!(matches!(&err, Error::UserFunctionError(e) if e.to_string() == "bad value 50"));
    assert!(created.load(Ordering::SeqCst) >= 1);
    assert_eq!(live.load(Ordering::SeqCst), 0, "every state dropped");
}

#[test]
fn group_state_is_dropped_once_when_step_panics() {
    let conn = memory_db();
    numbers(&conn);
    let (mut agg, live, created) = Tracked::new();
    agg.panic_at = Some(30);
    conn.create_aggregate_function("tsum", 1, det(), agg)
        .unwrap();
    let err = one::<i64>(&conn, "SELECT tsum(v) FROM n").unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    assert_eq!(created.load(Ordering::SeqCst), 1);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn errors_and_panics_in_finalize() {
    let conn = memory_db();
    numbers(&conn);
    let (mut agg, live, _) = Tracked::new();
    agg.fail_in_final = true;
    conn.create_aggregate_function("tfail", 1, det(), agg)
        .unwrap();
    let err = one::<i64>(&conn, "SELECT tfail(v) FROM n").unwrap_err();
    assert!(matches!(&err, Error::UserFunctionError(e) if e.to_string() == "finalize failed"));
    assert_eq!(live.load(Ordering::SeqCst), 0);

    let (mut agg, live, _) = Tracked::new();
    agg.panic_in_final = true;
    conn.create_aggregate_function("tpanic", 1, det(), agg)
        .unwrap();
    assert_eq!(
        one::<i64>(&conn, "SELECT tpanic(v) FROM n").unwrap_err(),
        Error::UnwindingPanic
    );
    assert_eq!(
        live.load(Ordering::SeqCst),
        0,
        "state dropped while unwinding"
    );
}

#[test]
fn errors_and_panics_in_init() {
    struct BadInit(bool);
    impl Aggregate<i64, i64> for BadInit {
        fn init(&self, _: &mut Context<'_>) -> Result<i64> {
            if self.0 {
                panic!("init panicked")
            }
            Err(Error::UserFunctionError("init failed".into()))
        }
        fn step(&self, _: &mut Context<'_>, _: &mut i64) -> Result<()> {
            unreachable!("never called without a state")
        }
        fn finalize(&self, _: &mut Context<'_>, acc: Option<i64>) -> Result<i64> {
            assert!(acc.is_none());
            Ok(-1)
        }
    }
    let conn = memory_db();
    conn.create_aggregate_function("bad_init", 1, det(), BadInit(false))
        .unwrap();
    conn.create_aggregate_function("panic_init", 1, det(), BadInit(true))
        .unwrap();
    let err = one::<i64>(&conn, "SELECT bad_init(1)").unwrap_err();
    assert!(matches!(&err, Error::UserFunctionError(e) if e.to_string() == "init failed"));
    assert_eq!(
        one::<i64>(&conn, "SELECT panic_init(1)").unwrap_err(),
        Error::UnwindingPanic
    );
    // Empty input never calls init.
    assert_eq!(one::<i64>(&conn, "SELECT bad_init(1) WHERE 0").unwrap(), -1);
}

#[test]
fn group_state_is_dropped_once_when_interrupted() {
    let conn = memory_db();
    let (agg, live, created) = Tracked::new();
    conn.create_aggregate_function("tsum", 1, det(), agg)
        .unwrap();
    let handle = conn.get_interrupt_handle();
    let mut seen = 0;
    conn.create_scalar_function("watch", 1, FunctionFlags::default(), move |ctx| {
        seen += 1;
        if seen == 5000 {
            handle.interrupt();
        }
        ctx.get::<i64>(0)
    })
    .unwrap();
    let err = one::<i64>(
        &conn,
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT 1000000)
         SELECT tsum(watch(i)) FROM c GROUP BY i % 3",
    )
    .unwrap_err();
    assert!(err.is_interrupted(), "{err:?}");
    assert!(created.load(Ordering::SeqCst) >= 1);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn group_state_is_dropped_once_when_rows_are_abandoned() {
    let conn = memory_db();
    numbers(&conn);
    let (agg, live, created) = Tracked::new();
    conn.create_aggregate_function("tsum", 1, det(), agg)
        .unwrap();
    conn.create_window_function(
        "wsum",
        1,
        det(),
        Tracked {
            live: live.clone(),
            created: created.clone(),
            fail_at: None,
            panic_at: None,
            fail_in_final: false,
            panic_in_final: false,
        },
    )
    .unwrap();
    {
        let mut stmt = conn
            .prepare("SELECT tsum(v) FROM n GROUP BY g ORDER BY g")
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        rows.next().unwrap().unwrap();
        // Dropped after one group.
    }
    assert_eq!(live.load(Ordering::SeqCst), 0);
    {
        let mut stmt = conn
            .prepare("SELECT wsum(v) OVER (PARTITION BY g ORDER BY v) FROM n")
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        rows.next().unwrap().unwrap();
        rows.next().unwrap().unwrap();
    }
    assert_eq!(live.load(Ordering::SeqCst), 0);
    assert!(created.load(Ordering::SeqCst) >= 2);
}

// ---- window functions ----

#[test]
fn window_function_slides_over_frames() -> Result<()> {
    let conn = memory_db();
    conn.create_window_function("sumint", 1, det(), Sum)?;
    conn.execute_batch(
        "CREATE TABLE t3(x, y);
         INSERT INTO t3 VALUES ('a', 4), ('b', 5), ('c', 3), ('d', 8), ('e', 1);",
    )?;
    let got: Vec<(String, i64)> = conn
        .prepare(
            "SELECT x, sumint(y) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)
             FROM t3 ORDER BY x",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    let expected: Vec<(String, i64)> = [("a", 9), ("b", 12), ("c", 16), ("d", 12), ("e", 9)]
        .iter()
        .map(|&(x, s)| (x.to_owned(), s))
        .collect();
    assert_eq!(got, expected);
    // Matches the built-in sum() over the same frames.
    let builtin: Vec<i64> = conn
        .prepare(
            "SELECT sum(y) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t3 ORDER BY x",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    assert_eq!(got.iter().map(|g| g.1).collect::<Vec<_>>(), builtin);
    // Also usable as a plain aggregate.
    assert_eq!(one::<i64>(&conn, "SELECT sumint(y) FROM t3")?, 21);
    Ok(())
}

#[test]
fn window_function_errors_in_value_and_inverse() {
    struct Faulty {
        in_value: bool,
    }
    impl Aggregate<i64, i64> for Faulty {
        fn init(&self, _: &mut Context<'_>) -> Result<i64> {
            Ok(0)
        }
        fn step(&self, ctx: &mut Context<'_>, a: &mut i64) -> Result<()> {
            *a += ctx.get::<i64>(0)?;
            Ok(())
        }
        fn finalize(&self, _: &mut Context<'_>, a: Option<i64>) -> Result<i64> {
            Ok(a.unwrap_or(0))
        }
    }
    impl WindowAggregate<i64, i64> for Faulty {
        fn value(&self, a: Option<&mut i64>) -> Result<i64> {
            if self.in_value {
                panic!("value panicked");
            }
            Ok(a.map_or(0, |a| *a))
        }
        fn inverse(&self, _: &mut Context<'_>, _: &mut i64) -> Result<()> {
            Err(Error::UserFunctionError("cannot remove rows".into()))
        }
    }
    let conn = memory_db();
    numbers(&conn);
    conn.create_window_function("f_value", 1, det(), Faulty { in_value: true })
        .unwrap();
    conn.create_window_function("f_inverse", 1, det(), Faulty { in_value: false })
        .unwrap();
    let sql = |f: &str| {
        format!(
            "SELECT sum(s) FROM (SELECT {f}(v) OVER (ORDER BY v ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s FROM n)"
        )
    };
    assert_eq!(
        one::<i64>(&conn, &sql("f_value")).unwrap_err(),
        Error::UnwindingPanic
    );
    let err = one::<i64>(&conn, &sql("f_inverse")).unwrap_err();
    assert!(matches!(&err, Error::UserFunctionError(e) if e.to_string() == "cannot remove rows"));
}

#[test]
fn window_state_is_dropped_once() {
    let conn = memory_db();
    numbers(&conn);
    let (agg, live, created) = Tracked::new();
    conn.create_window_function("wsum", 1, det(), agg).unwrap();
    let total: i64 = one(
        &conn,
        "SELECT sum(s) FROM (SELECT wsum(v) OVER (PARTITION BY g ORDER BY v
            ROWS BETWEEN 3 PRECEDING AND 1 FOLLOWING) AS s FROM n)",
    )
    .unwrap();
    assert!(total > 0);
    assert!(created.load(Ordering::SeqCst) >= 7);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn connection_is_send_with_functions_registered() {
    let conn = memory_db();
    conn.create_scalar_function("tid", 0, FunctionFlags::default(), |_| Ok(7))
        .unwrap();
    let v = std::thread::spawn(move || one::<i64>(&conn, "SELECT tid()").unwrap())
        .join()
        .unwrap();
    assert_eq!(v, 7);
}

/// SQLite's own JSON functions keep their parse cache in the statement-wide
/// auxiliary slot -429938 (negative indexes are shared by every function of
/// a statement). A user function must not be able to read that slot as its
/// own data (it would reinterpret SQLite's struct as a Rust value) or
/// replace it (corrupting SQLite's cache).
#[test]
fn negative_aux_index_is_an_error_not_sqlites_json_cache() -> Result<()> {
    const JSON_CACHE_ID: i32 = -429_938;
    let conn = memory_db();
    conn.create_scalar_function("peek_aux", 1, FunctionFlags::default(), |ctx| {
        let slot = ctx.get::<i32>(0)?;
        let err = ctx.get_aux::<String>(slot).unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ParameterOutOfRange),
            "{err}"
        );
        let err = ctx.set_aux(slot, String::from("clobber")).unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ParameterOutOfRange),
            "{err}"
        );
        let err = ctx
            .get_or_create_aux(slot, |_| Ok::<_, Error>(0i64))
            .unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ParameterOutOfRange),
            "{err}"
        );
        // The error reaches SQL when the function passes it on.
        ctx.get_aux::<String>(slot)?;
        Ok(0)
    })?;
    for slot in [JSON_CACHE_ID, -1, i32::MIN] {
        // json_extract runs first on each row and fills its cache slot.
        let err = conn
            .prepare(
                "SELECT json_extract(j, '$.a'), peek_aux(?1)
                 FROM (SELECT '{\"a\":[1,2,3]}' AS j UNION ALL SELECT '{\"a\":4}')",
            )?
            .query_map([slot], |r| r.get::<_, Option<String>>(0))?
            .collect::<Result<Vec<_>>>()
            .unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ParameterOutOfRange),
            "{err}"
        );
        assert!(err.to_string().contains(&slot.to_string()), "{err}");
    }
    // SQLite's cache is intact: JSON still works in the same statement.
    let v: Vec<String> = conn
        .prepare(
            "SELECT json_extract(j, '$.a') FROM (SELECT '{\"a\":[1,2,3]}' AS j UNION ALL
             SELECT '{\"a\":[1,2,3]}')",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    assert_eq!(v, ["[1,2,3]", "[1,2,3]"]);
    Ok(())
}

/// Index 0 .. len-1 are the arguments; `len` and above panic (as rusqlite
/// documents), caught at the C boundary; a function without arguments, or
/// an aggregate's `finalize`, has no valid index at all.
#[test]
fn aux_index_bounds() -> Result<()> {
    let conn = memory_db();
    conn.create_scalar_function("aux_last", 2, FunctionFlags::default(), |ctx| {
        let arg = ctx.get::<i32>(1)?;
        let v = ctx.get_or_create_aux(arg, |_| Ok::<_, Error>(arg))?;
        Ok(*v)
    })?;
    assert_eq!(one::<i32>(&conn, "SELECT aux_last(0, 0)")?, 0);
    assert_eq!(one::<i32>(&conn, "SELECT aux_last(0, 1)")?, 1);
    for bad in [2, i32::MAX] {
        let err = one::<i32>(&conn, &format!("SELECT aux_last(0, {bad})")).unwrap_err();
        assert_eq!(err, Error::UnwindingPanic, "{bad}");
    }
    let err = one::<i32>(&conn, "SELECT aux_last(0, -1)").unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ParameterOutOfRange),
        "{err}"
    );

    conn.create_scalar_function("aux_none", 0, FunctionFlags::default(), |ctx| {
        ctx.set_aux(0, 1i64)?;
        Ok(0)
    })?;
    assert_eq!(
        one::<i32>(&conn, "SELECT aux_none()").unwrap_err(),
        Error::UnwindingPanic
    );
    Ok(())
}

/// `Connection::set_errmsg` (rusqlite's signature): sets the code and
/// message `sqlite3_errcode` / `sqlite3_errmsg` report, for example from
/// inside a callback; `None` uses SQLite's text for the code.
#[test]
fn set_errmsg_sets_the_connection_error() -> Result<()> {
    use std::ffi::CStr;
    let conn = memory_db();
    let read = |conn: &Connection| {
        // SAFETY: a live handle; the message is copied at once.
        unsafe {
            let db = conn.handle();
            (
                ffi::sqlite3_errcode(db),
                CStr::from_ptr(ffi::sqlite3_errmsg(db))
                    .to_string_lossy()
                    .into_owned(),
            )
        }
    };
    conn.set_errmsg(ffi::SQLITE_MISUSE, Some(c"Oops"))?;
    assert_eq!(read(&conn), (ffi::SQLITE_MISUSE, "Oops".to_owned()));
    conn.set_errmsg(ffi::SQLITE_CONSTRAINT_UNIQUE, None)?;
    let (code, msg) = read(&conn);
    assert_eq!(code, ffi::SQLITE_CONSTRAINT_UNIQUE);
    assert_eq!(msg, "constraint failed");
    // Any code is accepted, including ones SQLite doesn't know.
    conn.set_errmsg(-1, Some(c""))?;
    conn.set_errmsg(i32::MAX, None)?;
    conn.set_errmsg(ffi::SQLITE_OK, None)?;
    assert_eq!(read(&conn), (ffi::SQLITE_OK, "not an error".to_owned()));
    // The connection keeps working.
    assert_eq!(one::<i64>(&conn, "SELECT 1")?, 1);
    Ok(())
}
