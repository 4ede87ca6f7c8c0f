//! Boundary tests for every index, offset and length that safe code hands
//! to SQLite: the first and last valid value, the first invalid one,
//! negative values where the type allows them, and the type's maximum.
//! Each must give the documented `Ok` or `Err` (or the documented panic),
//! never undefined behaviour or a silently truncated value.

use crate::common::{memory_db, temp_path};

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::mem::MaybeUninit;
use std::time::Duration;

use ferrolite::backup::{Backup, StepResult};
use ferrolite::blob::ZeroBlob;
use ferrolite::functions::FunctionFlags;
use ferrolite::limits::Limit;
use ferrolite::{Connection, Error, ErrorCode, MAIN_DB, Result, params_from_iter};

fn code(err: &Error) -> Option<ErrorCode> {
    err.sqlite_error_code()
}

// ---- user function arguments ----

/// `Context::get`, `get_raw`, `get_subtype` and `get_arg` take an argument
/// index: valid up to `len() - 1`; past it they panic (as rusqlite
/// documents), and the panic is caught at the C boundary.
#[test]
fn function_argument_indexes() -> Result<()> {
    let conn = memory_db();
    conn.create_scalar_function("arg_at", 3, FunctionFlags::default(), |ctx| {
        let i = usize::try_from(ctx.get::<i64>(0)?).unwrap_or(usize::MAX);
        let what = ctx.get::<String>(1)?;
        Ok(match what.as_str() {
            "get" => ctx.get::<i64>(i)?,
            "raw" => ctx.get_raw(i).as_i64().unwrap_or(-1),
            "subtype" => i64::from(ctx.get_subtype(i)),
            _ => {
                let _ = ctx.get_arg(i);
                0
            }
        })
    })?;
    for what in ["get", "raw", "subtype", "arg"] {
        for ok in [0, 2] {
            let sql = format!("SELECT arg_at({ok}, '{what}', 7)");
            conn.query_row(&sql, [], |r| r.get::<_, i64>(0))?;
        }
        for bad in [3, i64::MAX, -1] {
            let sql = format!("SELECT arg_at({bad}, '{what}', 7)");
            let err = conn
                .query_row(&sql, [], |r| r.get::<_, i64>(0))
                .unwrap_err();
            assert_eq!(err, Error::UnwindingPanic, "{what} {bad}");
        }
    }
    // A function result naming an argument that doesn't exist is an error.
    conn.create_scalar_function(
        "pass",
        1,
        FunctionFlags::default(),
        |ctx| Ok(ctx.get_arg(0)),
    )?;
    assert_eq!(
        conn.query_row("SELECT pass('x')", [], |r| r.get::<_, String>(0))?,
        "x"
    );
    /// A hand-made `ToSqlOutput::Arg` with any index.
    struct ArgAt(usize);
    impl ferrolite::ToSql for ArgAt {
        fn to_sql(&self) -> Result<ferrolite::types::ToSqlOutput<'_>> {
            Ok(ferrolite::types::ToSqlOutput::Arg(self.0))
        }
    }
    conn.create_scalar_function("arg_out", 2, FunctionFlags::default(), |ctx| {
        Ok(ArgAt(
            usize::try_from(ctx.get::<i64>(0)?).unwrap_or(usize::MAX),
        ))
    })?;
    let v: i64 = conn.query_row("SELECT arg_out(1, 9)", [], |r| r.get(0))?;
    assert_eq!(v, 9);
    for bad in [2, -1] {
        let err = conn
            .query_row(&format!("SELECT arg_out({bad}, 9)"), [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap_err();
        assert!(matches!(err, Error::ToSqlConversionFailure(_)), "{err}");
    }
    // ... and as a parameter, where it means nothing.
    let err = conn
        .query_row("SELECT ?1", [ArgAt(0)], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert!(matches!(err, Error::ToSqlConversionFailure(_)), "{err}");
    Ok(())
}

/// `n_arg` of `create_scalar_function`: -1 (any number) up to SQLite's
/// maximum (1000); below -1 or above the maximum is `SQLITE_MISUSE`, and
/// the closure is dropped, not leaked.
#[test]
fn function_argument_counts() -> Result<()> {
    let conn = memory_db();
    for ok in [-1, 0, 1000] {
        conn.create_scalar_function("f", ok, FunctionFlags::default(), |_| Ok(1))?;
    }
    for bad in [-2, 1001, i32::MAX, i32::MIN] {
        let err = conn
            .create_scalar_function("f", bad, FunctionFlags::default(), |_| Ok(1))
            .unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::ApiMisuse), "{bad}: {err}");
    }
    let err = conn
        .create_scalar_function("f\0g", 0, FunctionFlags::default(), |_| Ok(1))
        .unwrap_err();
    assert!(matches!(err, Error::NulError(_)), "{err}");
    // Any flag bits, known or not: SQLite masks what it doesn't use, and
    // text arguments still arrive as UTF-8 whatever encoding is preferred.
    for flags in [
        FunctionFlags::SQLITE_UTF16LE,
        FunctionFlags::SQLITE_UTF16BE,
        FunctionFlags::SQLITE_UTF16,
        FunctionFlags::all(),
        FunctionFlags::from_bits_retain(!0),
        FunctionFlags::from_bits_retain(0),
    ] {
        conn.create_scalar_function("echo", 1, flags, |ctx| ctx.get::<String>(0))?;
        let s: String = conn.query_row("SELECT echo('h\u{e9}llo')", [], |r| r.get(0))?;
        assert_eq!(s, "h\u{e9}llo", "{flags:?}");
    }
    let long = "f".repeat(255);
    conn.create_scalar_function(long.as_str(), 0, FunctionFlags::default(), |_| Ok(1))?;
    let err = conn
        .create_scalar_function("f".repeat(256), 0, FunctionFlags::default(), |_| Ok(1))
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::ApiMisuse), "{err}");
    Ok(())
}

/// Function results are passed with 64-bit lengths; SQLite's length limit
/// decides: up to the limit is fine, one byte more is `TooBig`. Zero-filled
/// BLOB results too, up to `u64::MAX`.
#[test]
fn function_result_lengths() -> Result<()> {
    let conn = memory_db();
    // SQLite's smallest allowed SQLITE_LIMIT_LENGTH.
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, 30)?;
    conn.create_scalar_function("text_of", 1, FunctionFlags::default(), |ctx| {
        Ok("x".repeat(usize::try_from(ctx.get::<i64>(0)?).unwrap()))
    })?;
    conn.create_scalar_function("blob_of", 1, FunctionFlags::default(), |ctx| {
        Ok(vec![7u8; usize::try_from(ctx.get::<i64>(0)?).unwrap()])
    })?;
    conn.create_scalar_function("zeros", 1, FunctionFlags::default(), |ctx| {
        Ok(ZeroBlob(ctx.get::<i64>(0)? as u64))
    })?;
    for f in ["text_of", "blob_of", "zeros"] {
        for ok in [0, 30] {
            let n: i64 = conn.query_row(&format!("SELECT length({f}({ok}))"), [], |r| r.get(0))?;
            assert_eq!(n, ok, "{f}");
        }
        let err = conn
            .query_row(&format!("SELECT {f}(31)"), [], |r| r.get::<_, Vec<u8>>(0))
            .unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::TooBig), "{f}: {err}");
    }
    // Lengths beyond 32 bits (no truncation to a C int on the way).
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, i32::MAX)?;
    for n in [1i64 << 31, 1 << 32, -1] {
        let err = conn
            .query_row(&format!("SELECT zeros({n})"), [], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::TooBig), "{n}: {err}");
    }
    Ok(())
}

// ---- columns ----

/// `Row::get` / `get_ref` and `Statement::column_name` with column indexes
/// 0, last, first invalid and `usize::MAX` (`InvalidColumnIndex`), and
/// values past 32 bits that would alias column 0 if truncated.
#[test]
fn column_indexes() -> Result<()> {
    let conn = memory_db();
    let mut stmt = conn.prepare("SELECT 10 AS a, 20 AS b")?;
    assert_eq!(stmt.column_name(0)?, "a");
    assert_eq!(stmt.column_name(1)?, "b");
    for bad in [2, 1 << 32, usize::MAX] {
        assert_eq!(stmt.column_name(bad), Err(Error::InvalidColumnIndex(bad)));
    }
    assert_eq!(stmt.columns().count(), 2);
    stmt.query_row([], |row| {
        assert_eq!(row.get::<_, i64>(0)?, 10);
        assert_eq!(row.get::<_, i64>(1)?, 20);
        assert_eq!(row.get_ref(1)?.as_i64()?, 20);
        for bad in [2, (1 << 32) + 1, usize::MAX] {
            assert_eq!(row.get::<_, i64>(bad), Err(Error::InvalidColumnIndex(bad)));
            assert_eq!(
                row.get_ref(bad).map(|v| v.data_type()),
                Err(Error::InvalidColumnIndex(bad))
            );
        }
        assert_eq!(
            row.get::<_, i64>("a\0"),
            Err(Error::InvalidColumnName("a\0".into()))
        );
        Ok(())
    })?;

    // No columns at all.
    let stmt = conn.prepare("CREATE TABLE t (x)")?;
    assert_eq!(stmt.column_count(), 0);
    assert_eq!(stmt.column_name(0), Err(Error::InvalidColumnIndex(0)));
    Ok(())
}

// ---- parameters ----

/// `raw_bind_parameter` with 1-based indexes: 0 and `count + 1` are
/// `SQLITE_RANGE`, as are indexes past 32 bits that a truncation to a C int
/// would turn into a valid one (2^32 + 1 → 1), and `usize::MAX`.
#[test]
fn parameter_indexes() -> Result<()> {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (a, b)")?;
    let mut stmt = conn.prepare("INSERT INTO t VALUES (?1, ?2)")?;
    assert_eq!(stmt.parameter_count(), 2);
    for bad in [0, 3, i32::MAX as usize, 1 << 31, (1 << 32) + 1, usize::MAX] {
        let err = stmt.raw_bind_parameter(bad, 1).unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::ParameterOutOfRange), "{bad}");
        assert_eq!(stmt.parameter_name(bad), None);
    }
    stmt.raw_bind_parameter(1, "first")?;
    stmt.raw_bind_parameter(2, "last")?;
    assert_eq!(stmt.raw_execute()?, 1);
    let row: (String, String) =
        conn.query_row("SELECT a, b FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    assert_eq!(row, ("first".into(), "last".into()));

    // The same indexes as keys of a named-style list.
    let mut stmt = conn.prepare("SELECT ?1")?;
    for bad in [0usize, 2, (1 << 32) + 1, usize::MAX] {
        let pairs: &[(usize, i64)] = &[(bad, 5)];
        let err = stmt.query_row(pairs, |r| r.get::<_, i64>(0)).unwrap_err();
        assert_eq!(
            code(&err),
            Some(ErrorCode::ParameterOutOfRange),
            "{bad}: {err}"
        );
    }
    let pairs: &[(usize, i64)] = &[(1, 5)];
    assert_eq!(stmt.query_row(pairs, |r| r.get::<_, i64>(0))?, 5);

    // Names: unknown, or with an interior NUL.
    let mut stmt = conn.prepare("SELECT :a")?;
    for bad in [":b", ":a\0", ""] {
        assert_eq!(
            stmt.raw_bind_parameter(bad, 1),
            Err(Error::InvalidParameterName(bad.into())),
            "{bad:?}"
        );
        assert_eq!(stmt.parameter_index(bad)?, None);
    }
    assert_eq!(stmt.parameter_index(":a")?, Some(1));
    assert_eq!(stmt.parameter_name(1), Some(":a"));
    Ok(())
}

/// Parameter counts given to a statement: one too few, one too many, none
/// for a statement without parameters.
#[test]
fn parameter_counts() -> Result<()> {
    let conn = memory_db();
    let mut stmt = conn.prepare("SELECT ?1 + ?2")?;
    let err = stmt
        .query_row(params_from_iter([1]), |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(err, Error::InvalidParameterCount(1, 2));
    let err = stmt
        .query_row(params_from_iter([1, 2, 3]), |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(err, Error::InvalidParameterCount(3, 2));
    assert_eq!(
        stmt.query_row(params_from_iter([1, 2]), |r| r.get::<_, i64>(0))?,
        3
    );
    Ok(())
}

/// Text, BLOB and zero-filled BLOB parameters around SQLite's length
/// limit: 64-bit lengths, `TooBig` past the limit, up to `u64::MAX`.
#[test]
fn parameter_lengths() -> Result<()> {
    let conn = memory_db();
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, 30)?;
    let len = |v: &dyn ferrolite::ToSql| -> Result<i64> {
        conn.query_row("SELECT length(?1)", [v], |r| r.get(0))
    };
    assert_eq!(len(&"x".repeat(30))?, 30);
    assert_eq!(len(&vec![1u8; 30])?, 30);
    assert_eq!(len(&ZeroBlob(30))?, 30);
    assert_eq!(len(&ZeroBlob(0))?, 0);
    assert_eq!(len(&"")?, 0);
    for v in [
        &"x".repeat(31) as &dyn ferrolite::ToSql,
        &vec![1u8; 31],
        &ZeroBlob(31),
        &ZeroBlob(1 << 31),
        &ZeroBlob(1 << 32),
        &ZeroBlob(u64::MAX),
    ] {
        let err = len(v).unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::TooBig), "{err}");
        assert!(err.to_string().contains("too big"), "{err}");
    }
    // The ZeroBlob error names its size (SQLite leaves no message for it).
    let err = len(&ZeroBlob(u64::MAX)).unwrap_err();
    assert!(err.to_string().contains(&u64::MAX.to_string()), "{err}");
    Ok(())
}

// ---- BLOB I/O ----

/// Offsets and lengths of `read_at`, `write_at`, `raw_read_at` and `seek`
/// (positions are `usize`/`u64`/`i64` in Rust, `int` in C): 0, the last
/// byte, the end, one past it, 2^31, 2^32 (which would alias 0 if
/// truncated) and the maximum.
#[test]
fn blob_offsets() -> Result<()> {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE b (x BLOB)")?;
    conn.execute("INSERT INTO b VALUES (?1)", [ZeroBlob(10)])?;
    let mut blob = conn.blob_open(MAIN_DB, "b", "x", 1, false)?;
    let mut buf = [0xAAu8; 4];

    blob.write_at(b"S", 0)?;
    blob.write_at(b"E", 9)?;
    blob.write_at(b"", 10)?;
    assert_eq!(blob.read_at(&mut buf, 0)?, 4);
    assert_eq!(buf[0], b'S');
    assert_eq!(blob.read_at(&mut buf, 9)?, 1);
    assert_eq!(buf[0], b'E');
    assert_eq!(blob.read_at(&mut buf, 10)?, 0);
    for bad in [11, 1 << 31, 1 << 32, usize::MAX] {
        assert_eq!(blob.write_at(b"", bad), Err(Error::BlobSizeError), "{bad}");
        assert_eq!(blob.write_at(b"x", bad), Err(Error::BlobSizeError), "{bad}");
        assert_eq!(blob.read_at(&mut buf, bad)?, 0, "{bad}");
        assert_eq!(blob.read_at_exact(&mut buf, bad), Err(Error::BlobSizeError));
        let mut raw = [MaybeUninit::<u8>::uninit(); 2];
        assert_eq!(blob.raw_read_at(&mut raw, bad)?.len(), 0);
    }
    // A buffer larger than the BLOB: the read stops at the end.
    let mut big = vec![0u8; (1 << 16) + 1];
    assert_eq!(blob.read_at(&mut big, 0)?, 10);
    assert_eq!(blob.read_at(&mut big, 9)?, 1);
    assert_eq!(
        blob.write_at(&big, 0),
        Err(Error::BlobSizeError),
        "no partial positional write"
    );

    // Seeks: 0 and the end are valid; one past the end, negative and
    // extreme positions are `InvalidInput` and leave the cursor.
    assert_eq!(blob.seek(SeekFrom::End(0)).unwrap(), 10);
    assert_eq!(blob.seek(SeekFrom::Start(0)).unwrap(), 0);
    assert_eq!(blob.seek(SeekFrom::Current(10)).unwrap(), 10);
    for bad in [
        SeekFrom::Start(11),
        SeekFrom::Start(1 << 32),
        SeekFrom::Start(u64::MAX),
        SeekFrom::End(1),
        SeekFrom::End(-11),
        SeekFrom::End(i64::MIN),
        SeekFrom::End(i64::MAX),
        SeekFrom::Current(1),
        SeekFrom::Current(i64::MIN),
        SeekFrom::Current(i64::MAX),
    ] {
        let err = blob.seek(bad).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(blob.stream_position().unwrap(), 10);
    }
    // Cursor I/O at the end.
    assert_eq!(blob.read(&mut buf).unwrap(), 0);
    assert_eq!(blob.write(b"x").unwrap(), 0);
    blob.seek(SeekFrom::Start(0)).unwrap();
    let mut all = Vec::new();
    blob.read_to_end(&mut all).unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!((all[0], all[9]), (b'S', b'E'));

    // Row ids at the extremes: no such row, an error.
    for row in [0, -1, i64::MIN, i64::MAX] {
        assert!(
            conn.blob_open(MAIN_DB, "b", "x", row, true).is_err(),
            "{row}"
        );
    }
    drop(blob);
    let mut blob = conn.blob_open(MAIN_DB, "b", "x", 1, false)?;
    assert!(blob.reopen(i64::MAX).is_err());
    assert!(
        blob.read_at(&mut buf, 0).is_err(),
        "dead after a failed reopen"
    );
    drop(blob);

    // An empty BLOB: only offset 0 exists.
    conn.execute("INSERT INTO b VALUES (x'')", [])?;
    let mut empty = conn.blob_open(MAIN_DB, "b", "x", 2, false)?;
    assert_eq!(empty.len(), 0);
    empty.write_at(b"", 0)?;
    assert_eq!(empty.write_at(b"x", 0), Err(Error::BlobSizeError));
    assert_eq!(empty.read_at(&mut buf, 0)?, 0);
    assert_eq!(empty.write(b"x").unwrap(), 0);
    Ok(())
}

/// Names given to `blob_open` with an interior NUL are `NulError`, never a
/// shorter name.
#[test]
fn names_with_interior_nul() -> Result<()> {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE b (x BLOB); INSERT INTO b VALUES (x'00');")?;
    for (db, table, col) in [
        ("main\0x", "b", "x"),
        ("main", "b\0x", "x"),
        ("main", "b", "x\0"),
    ] {
        let err = conn.blob_open(db, table, col, 1, true).unwrap_err();
        assert!(matches!(err, Error::NulError(_)), "{err}");
    }
    let mut dst = memory_db();
    let err = Backup::new_with_names(&conn, "main\0", &mut dst, MAIN_DB)
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, Error::NulError(_)), "{err}");
    let err = Backup::new_with_names(&conn, MAIN_DB, &mut dst, "ma\0in")
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, Error::NulError(_)), "{err}");
    assert!(matches!(
        conn.serialize("main\0").unwrap_err(),
        Error::NulError(_)
    ));
    let mut conn = conn;
    assert!(matches!(
        conn.deserialize_copy("main\0", &[], false).unwrap_err(),
        Error::NulError(_)
    ));
    // A savepoint name with a NUL is refused before any SQL runs.
    let err = conn.savepoint_with_name("a\0b").map(|_| ()).unwrap_err();
    assert!(matches!(err, Error::NulError(_)), "{err}");
    // Any other text is quoted and works.
    let sp = conn.savepoint_with_name("it's \"odd\"; DROP TABLE b")?;
    sp.commit()?;
    assert_eq!(
        conn.query_row("SELECT count(*) FROM b", [], |r| r.get::<_, i64>(0))?,
        1
    );
    Ok(())
}

// ---- limits ----

/// Every limit accepts 0 and `i32::MAX` (capped at SQLite's compile-time
/// maximum, never wrapped); a negative value is `SQLITE_RANGE` and changes
/// nothing. Statements still run or fail cleanly at the extremes.
#[test]
fn limit_values() -> Result<()> {
    let conn = memory_db();
    for limit in Limit::ALL {
        let orig = conn.limit(limit)?;
        for bad in [-1, i32::MIN] {
            let err = conn.set_limit(limit, bad).unwrap_err();
            assert_eq!(
                code(&err),
                Some(ErrorCode::ParameterOutOfRange),
                "{limit:?}"
            );
            assert_eq!(conn.limit(limit)?, orig, "{limit:?} unchanged");
        }
        assert_eq!(conn.set_limit(limit, 0)?, orig, "{limit:?}");
        let low = conn.limit(limit)?;
        let expected = if limit == Limit::SQLITE_LIMIT_LENGTH {
            30 // SQLite's minimum for this one
        } else {
            0
        };
        assert_eq!(low, expected, "{limit:?}");
        // Whatever the limit, a statement succeeds or fails cleanly.
        let _ = conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0));
        assert_eq!(conn.set_limit(limit, i32::MAX)?, low, "{limit:?}");
        let high = conn.limit(limit)?;
        assert!(high >= orig, "{limit:?}: {high}");
        assert_eq!(
            conn.set_limit(limit, high)?,
            high,
            "{limit:?} is the maximum"
        );
        conn.set_limit(limit, orig)?;
        assert_eq!(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?, 1);
    }
    Ok(())
}

// ---- backup ----

/// `Backup::step(pages)`: 0 copies nothing, any negative count copies
/// everything, as does `i32::MAX`; `run_to_completion` refuses a page count
/// below 1.
#[test]
fn backup_page_counts() -> Result<()> {
    let src = memory_db();
    src.execute_batch(
        "PRAGMA page_size = 1024; CREATE TABLE t (x);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
         INSERT INTO t SELECT printf('%0100d', i) FROM n;",
    )?;
    for pages in [-1, i32::MIN, i32::MAX] {
        let mut dst = memory_db();
        {
            let backup = Backup::new(&src, &mut dst)?;
            assert_eq!(backup.step(0)?, StepResult::More, "{pages}");
            assert_eq!(backup.step(pages)?, StepResult::Done, "{pages}");
            assert_eq!(backup.progress().remaining, 0);
        }
        let n: i64 = dst.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
        assert_eq!(n, 200, "{pages}");
    }
    let mut dst = memory_db();
    let backup = Backup::new(&src, &mut dst)?;
    for bad in [0, -1, i32::MIN] {
        let err = backup
            .run_to_completion(bad, Duration::ZERO, None)
            .unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::ApiMisuse), "{bad}");
    }
    backup.run_to_completion(1, Duration::ZERO, None)?;
    backup.run_to_completion(i32::MAX, Duration::ZERO, None)?;
    Ok(())
}

// ---- connection settings ----

/// `set_prepared_statement_cache_capacity`: 0 disables the cache, and a
/// huge capacity allocates nothing up front.
#[test]
fn statement_cache_capacity_extremes() -> Result<()> {
    let conn = memory_db();
    for cap in [0, 1, usize::MAX] {
        conn.set_prepared_statement_cache_capacity(cap);
        for _ in 0..3 {
            let n: i64 = conn
                .prepare_cached("SELECT 1")?
                .query_row([], |r| r.get(0))?;
            assert_eq!(n, 1);
        }
    }
    Ok(())
}

/// `busy_timeout` and statement timeouts with `Duration::MAX` (no overflow
/// when a deadline is computed), and zero (no waiting).
#[test]
fn timeout_extremes() -> Result<()> {
    let (_dir, path) = temp_path("t.db");
    let a = Connection::open(&path)?;
    let b = Connection::open(&path)?;
    a.execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")?;

    b.busy_timeout(Duration::ZERO)?;
    assert_eq!(b.get_busy_timeout(), None);
    let err = b.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::DatabaseBusy), "{err}");

    b.busy_timeout(Duration::MAX)?;
    assert_eq!(b.get_busy_timeout(), Some(Duration::MAX));
    // An endless lock wait still ends at the statement's deadline.
    let err = b
        .with_timeout(Duration::from_millis(50), |b| {
            b.execute("INSERT INTO t VALUES (2)", [])
        })
        .unwrap_err();
    assert!(err.is_interrupted() || err.is_busy(), "{err}");

    b.set_statement_timeout(Some(Duration::MAX));
    assert_eq!(b.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?, 1);
    b.set_statement_timeout(Some(Duration::ZERO));
    let _ = b.query_row("SELECT 1", [], |r| r.get::<_, i64>(0));
    b.set_statement_timeout(None);
    a.execute_batch("COMMIT")?;
    assert_eq!(b.execute("INSERT INTO t VALUES (3)", [])?, 1);
    Ok(())
}

/// `progress_handler(n_ops)`: 0 and negative counts remove the handler,
/// 1 calls it constantly, `i32::MAX` rarely (no overflow).
#[test]
fn progress_handler_periods() -> Result<()> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut conn = memory_db();
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
               SELECT count(*) FROM n";
    for (n_ops, expect_calls) in [(0, false), (-1, false), (i32::MIN, false), (1, true)] {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        conn.progress_handler(
            n_ops,
            Some(move || {
                c.fetch_add(1, Ordering::SeqCst);
                false
            }),
        )?;
        assert_eq!(conn.query_row(sql, [], |r| r.get::<_, i64>(0))?, 10000);
        assert_eq!(calls.load(Ordering::SeqCst) > 0, expect_calls, "{n_ops}");
    }
    conn.progress_handler(i32::MAX, Some(|| true))?;
    assert_eq!(conn.query_row(sql, [], |r| r.get::<_, i64>(0))?, 10000);
    // With a deadline armed as well (ferrolite shares SQLite's one handler).
    conn.set_statement_timeout(Some(Duration::from_secs(60)));
    assert_eq!(conn.query_row(sql, [], |r| r.get::<_, i64>(0))?, 10000);
    conn.progress_handler(1, Some(|| true))?;
    let err = conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_err();
    assert!(err.is_interrupted(), "{err}");
    conn.progress_handler(1, None::<fn() -> bool>)?;
    assert_eq!(conn.query_row(sql, [], |r| r.get::<_, i64>(0))?, 10000);
    Ok(())
}

// ---- serialize / deserialize ----

/// Image sizes given to `deserialize_copy` / `deserialize_read_exact`:
/// empty (an empty database), shorter than the header, the header alone,
/// a real image cut short, a size larger than what the reader has, and
/// sizes no allocation can satisfy (`usize::MAX` overflows the padding).
#[test]
fn deserialize_sizes() -> Result<()> {
    let src = memory_db();
    src.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (42);")?;
    let image = src.serialize_to_vec(MAIN_DB)?;
    assert!(image.len() >= 1024);

    let mut conn = memory_db();
    conn.deserialize_copy(MAIN_DB, &[], false)?;
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    assert_eq!(n, 0);
    for cut in [1, 15, 16, 99, 100, 101, image.len() - 1] {
        if conn.deserialize_copy(MAIN_DB, &image[..cut], false).is_ok() {
            // SQLite may accept a short image whose schema still reads;
            // reading it must then fail cleanly or succeed, never crash.
            let _ = conn.query_row("SELECT x FROM t", [], |r| r.get::<_, i64>(0));
        }
    }
    conn.deserialize_copy(MAIN_DB, &image, true)?;
    assert_eq!(
        conn.query_row("SELECT x FROM t", [], |r| r.get::<_, i64>(0))?,
        42
    );

    // deserialize_read_exact: the size is what the caller says.
    let mut conn = memory_db();
    conn.deserialize_read_exact(MAIN_DB, &image[..], 0, false)?;
    conn.deserialize_read_exact(MAIN_DB, &image[..], image.len(), true)?;
    assert_eq!(
        conn.query_row("SELECT x FROM t", [], |r| r.get::<_, i64>(0))?,
        42
    );
    let err = conn
        .deserialize_read_exact(MAIN_DB, &image[..], image.len() + 1, false)
        .unwrap_err();
    assert!(err.sqlite_error().is_some(), "{err}");
    for huge in [usize::MAX, usize::MAX - 63, isize::MAX as usize, 1 << 62] {
        let err = conn
            .deserialize_read_exact(MAIN_DB, &image[..], huge, false)
            .unwrap_err();
        assert!(
            matches!(code(&err), Some(ErrorCode::TooBig | ErrorCode::OutOfMemory)),
            "{huge}: {err:?}"
        );
    }
    // A failed load leaves the database as it was.
    assert_eq!(
        conn.query_row("SELECT x FROM t", [], |r| r.get::<_, i64>(0))?,
        42
    );
    Ok(())
}

/// Every other name that reaches SQLite: an interior NUL is an error (never
/// a name cut short at the NUL, which could select another object), and
/// SQL-significant characters in quoted names stay inside the name.
#[test]
fn more_names_with_interior_nul() -> Result<()> {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 7;")?;
    let is_nul = |r: Result<()>| matches!(r, Err(Error::NulError(_)));
    assert!(is_nul(
        conn.create_collation("c\0", |a: &str, b: &str| a.cmp(b))
    ));
    assert!(is_nul(conn.remove_collation("c\0")));
    assert!(is_nul(conn.remove_function("f\0", 0)));
    assert!(is_nul(conn.transaction_state(Some("main\0")).map(|_| ())));
    assert!(is_nul(
        conn.wal_checkpoint_v2(Some("main\0"), ferrolite::wal::CheckpointMode::PASSIVE)
            .map(|_| ())
    ));
    let path = std::path::Path::new("a\0b.db");
    assert!(Connection::open(path).is_err());

    // Pragma names and schema names: an error, not another pragma.
    for (schema, name) in [(None, "user_version\0"), (Some("main\0"), "user_version")] {
        let r = conn.pragma_query_value(schema, name, |r| r.get::<_, i64>(0));
        assert!(r.is_err(), "{schema:?} {name:?}: {r:?}");
        assert!(conn.pragma_update(schema, name, 1).is_err());
    }
    let r = conn.pragma_query_value(None, "user_version; DROP TABLE t", |r| r.get::<_, i64>(0));
    assert!(r.is_err(), "{r:?}");
    assert_eq!(
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?,
        7
    );
    assert_eq!(
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r
            .get::<_, i64>(0))?,
        1
    );
    Ok(())
}

/// SQL text with a NUL: SQLite would stop reading there, so the rest would
/// be silently ignored; it is an error instead. Open flags and VFS names
/// with a NUL are errors too.
#[test]
fn sql_text_and_vfs_names_with_nul() -> Result<()> {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (x)")?;
    assert!(
        conn.execute_batch("INSERT INTO t VALUES (1);\0INSERT INTO t VALUES (2)")
            .is_err()
    );
    assert!(conn.execute_batch("INSERT INTO t VALUES (1)\0").is_err());
    assert!(conn.prepare("SELECT 1\0").is_err());
    assert!(conn.prepare("SELECT 1;\0SELECT 2").is_err());
    assert!(conn.execute("INSERT INTO t VALUES (3)\0", []).is_err());
    let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
    assert!(n <= 1, "{n}");
    assert!(
        Connection::open_in_memory_with_flags_and_vfs(ferrolite::OpenFlags::default(), "unix\0")
            .is_err()
    );
    assert!(
        Connection::open_in_memory_with_flags_and_vfs(
            ferrolite::OpenFlags::default(),
            "no-such-vfs"
        )
        .is_err()
    );
    Ok(())
}

/// `set_fp_digits`: 4 and 23 are the ends of the range SQLite's code
/// accepts (its docs say 3, its code `> 3`); 3, 24, 0, negative and
/// `i32::MAX` are `SQLITE_RANGE` and change nothing.
#[test]
fn fp_digits_range() -> Result<()> {
    let conn = memory_db();
    let orig = conn.fp_digits()?;
    for ok in [4, 23] {
        conn.set_fp_digits(ok)?;
        assert_eq!(conn.fp_digits()?, ok);
    }
    conn.set_fp_digits(orig)?;
    for bad in [3, 24, 0, -1, i32::MIN, i32::MAX] {
        let err = conn.set_fp_digits(bad).unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::ParameterOutOfRange), "{bad}");
        assert_eq!(conn.fp_digits()?, orig);
    }
    Ok(())
}
