//! `vtab::carray`: Rust slices bound to SQLite's built-in `carray(?1)`.

//! The vendored SQLite compiles `carray` in; without it (the
//! `libsqlite3-sys` backend) binding a `CArray` is an error.

#[cfg(not(ferrolite_carray))]
#[test]
fn binding_fails_clearly_without_carray() {
    use ferrolite::vtab::carray::carray;
    let conn = crate::common::memory_db();
    let err = conn
        .query_row("SELECT ?1", [carray(&[1i64])], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert!(
        matches!(&err, ferrolite::Error::ToSqlConversionFailure(e) if e.to_string().contains("sqlite3_carray_bind_v2")),
        "{err:?}"
    );
}

#[cfg(ferrolite_carray)]
mod with_carray {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::common::memory_db;

    use ferrolite::vtab::carray::{CArray, carray};
    use ferrolite::{Connection, Error, Result, params};

    /// A table `t(id, name)` with ids 1..=n named "n<id>".
    fn table(n: i64) -> Result<Connection> {
        let conn = memory_db();
        conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")?;
        conn.execute(
            "INSERT INTO t SELECT value, 'n' || value FROM generate_series(1, ?1)",
            [n],
        )?;
        Ok(conn)
    }

    fn ids_in(conn: &Connection, arr: CArray<'_>) -> Result<Vec<i64>> {
        conn.prepare("SELECT id FROM t WHERE id IN carray(?1) ORDER BY id")?
            .query_map([arr], |r| r.get(0))?
            .collect()
    }

    #[test]
    fn integers_in_a_query_and_in_query_row() -> Result<()> {
        let conn = table(10)?;
        let ids = vec![7i64, 2, 99, 2, -1];
        // `query_map`: the rows outlive the call, the array is copied.
        assert_eq!(ids_in(&conn, carray(&ids))?, [2, 7]);
        // `query_row`: bound without a copy for the length of the call.
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM t WHERE id IN carray(?1)",
            [carray(&ids)],
            |r| r.get(0),
        )?;
        assert_eq!(n, 2);
        // carray yields the elements in order, duplicates included.
        let v: Vec<i64> = conn
            .prepare("SELECT value FROM carray(?1)")?
            .query_map([carray(&ids)], |r| r.get(0))?
            .collect::<Result<_>>()?;
        assert_eq!(v, ids);
        Ok(())
    }

    #[test]
    fn i32_and_f64_arrays_keep_their_sql_types() -> Result<()> {
        let conn = memory_db();
        let small = [1i32, i32::MIN, i32::MAX];
        let rows: Vec<(i64, String)> = conn
            .prepare("SELECT value, typeof(value) FROM carray(?1)")?
            .query_map([carray(&small)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_>>()?;
        assert_eq!(
            rows,
            [
                (1, "integer".to_owned()),
                (i64::from(i32::MIN), "integer".to_owned()),
                (i64::from(i32::MAX), "integer".to_owned())
            ]
        );
        let reals = vec![0.5f64, -2.25, f64::MAX];
        let rows: Vec<(f64, String)> = conn
            .prepare("SELECT value, typeof(value) FROM carray(?1)")?
            .query_map([carray(&reals)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_>>()?;
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), reals);
        assert!(rows.iter().all(|r| r.1 == "real"));
        // A float compares equal to an integer column value.
        let hit: bool =
            conn.query_row("SELECT 3 IN carray(?1)", [carray(&[3.0f64])], |r| r.get(0))?;
        assert!(hit);
        Ok(())
    }

    #[test]
    fn strings_str_and_string() -> Result<()> {
        let conn = table(5)?;
        let names = ["n1", "n4", "nope", ""];
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM t WHERE name IN carray(?1) ORDER BY id")?
            .query_map([carray(&names)], |r| r.get(0))?
            .collect::<Result<_>>()?;
        assert_eq!(ids, [1, 4]);
        let owned: Vec<String> = vec!["héllo".into(), String::new(), "日本".into()];
        let back: Vec<(String, String)> = conn
            .prepare("SELECT value, typeof(value) FROM carray(?1)")?
            .query_map([carray(&owned)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_>>()?;
        assert_eq!(
            back.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
            ["héllo", "", "日本"]
        );
        assert!(back.iter().all(|r| r.1 == "text"));
        // Borrowed path (query_row) too.
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM t WHERE name IN carray(?1)",
            [carray(&owned)],
            |r| r.get(0),
        )?;
        assert_eq!(n, 0);
        Ok(())
    }

    #[test]
    fn a_string_with_a_nul_byte_is_an_error() -> Result<()> {
        let conn = table(3)?;
        let names = ["n1", "a\0b"];
        let mut stmt = conn.prepare("SELECT count(*) FROM t WHERE name IN carray(?1)")?;
        let err = stmt
            .query_row([carray(&names)], |r| r.get::<_, i64>(0))
            .unwrap_err();
        match &err {
            Error::ToSqlConversionFailure(e) => {
                let msg = e.to_string();
                assert!(msg.contains("string 1") && msg.contains("NUL"), "{msg}");
            }
            other => panic!("unexpected error {other:?}"),
        }
        // The statement still works with a good array.
        let n: i64 = stmt.query_row([carray(&["n1", "n3"])], |r| r.get(0))?;
        assert_eq!(n, 2);
        Ok(())
    }

    #[test]
    fn blobs_including_empty_ones() -> Result<()> {
        let conn = memory_db();
        let blobs: [&[u8]; 3] = [b"\x00\x01", b"", b"xyz"];
        let back: Vec<(Vec<u8>, String)> = conn
            .prepare("SELECT value, typeof(value) FROM carray(?1)")?
            .query_map([carray(&blobs)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_>>()?;
        assert_eq!(
            back,
            [
                (b"\x00\x01".to_vec(), "blob".to_owned()),
                (Vec::new(), "blob".to_owned()),
                (b"xyz".to_vec(), "blob".to_owned())
            ]
        );
        let owned: Vec<Vec<u8>> = vec![vec![1, 2], vec![3]];
        let hit: bool = conn.query_row("SELECT x'0102' IN carray(?1)", [carray(&owned)], |r| {
            r.get(0)
        })?;
        assert!(hit);
        Ok(())
    }

    #[test]
    fn an_empty_array_matches_nothing() -> Result<()> {
        let conn = table(5)?;
        let none: &[i64] = &[];
        assert_eq!(ids_in(&conn, carray(none))?, Vec::<i64>::new());
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM t WHERE id NOT IN carray(?1)",
            [carray(none)],
            |r| r.get(0),
        )?;
        assert_eq!(n, 5);
        let no_text: &[&str] = &[];
        let n: i64 = conn.query_row("SELECT count(*) FROM carray(?1)", [carray(no_text)], |r| {
            r.get(0)
        })?;
        assert_eq!(n, 0);
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM carray(?1)",
            [CArray::from(Vec::<f64>::new())],
            |r| r.get(0),
        )?;
        assert_eq!(n, 0);
        assert!(carray(none).is_empty());
        Ok(())
    }

    #[test]
    fn a_million_elements() -> Result<()> {
        let conn = memory_db();
        let big: Vec<i64> = (1..=1_000_000).collect();
        let expect_sum: i64 = big.iter().sum();
        // Borrowed (no copy), copied (query), shared (no copy).
        let (n, sum): (i64, i64) = conn.query_row(
            "SELECT count(*), sum(value) FROM carray(?1)",
            [carray(&big)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        assert_eq!((n, sum), (1_000_000, expect_sum));
        let mut stmt = conn.prepare("SELECT count(*), sum(value) FROM carray(?1)")?;
        let mut rows = stmt.query([carray(&big)])?;
        let row = rows.next()?.unwrap();
        assert_eq!(
            (row.get::<_, i64>(0)?, row.get::<_, i64>(1)?),
            (1_000_000, expect_sum)
        );
        drop(rows);
        let shared: Arc<[i64]> = big.into();
        let (n, sum): (i64, i64) =
            stmt.query_row([CArray::from(shared)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        assert_eq!((n, sum), (1_000_000, expect_sum));
        Ok(())
    }

    #[test]
    fn rows_outlive_the_borrowed_slice() -> Result<()> {
        let conn = memory_db();
        let mut stmt = conn.prepare("SELECT value FROM carray(?1)")?;
        let mut v = vec![10i64, 20, 30];
        let mut rows = stmt.query([carray(&v)])?;
        // The rows don't borrow `v`: change and free it while they run.
        v.clear();
        v.shrink_to_fit();
        drop(v);
        let mut got = Vec::new();
        while let Some(r) = rows.next()? {
            got.push(r.get::<_, i64>(0)?);
        }
        assert_eq!(got, [10, 20, 30]);
        Ok(())
    }

    #[test]
    fn a_cached_statement_reused_with_another_array() -> Result<()> {
        let conn = table(10)?;
        let sql = "SELECT id FROM t WHERE id IN carray(?1) ORDER BY id";
        for (arr, want) in [
            (vec![1i64, 2], vec![1i64, 2]),
            (vec![9], vec![9]),
            (vec![], vec![]),
            (vec![3, 4, 5], vec![3, 4, 5]),
        ] {
            let mut stmt = conn.prepare_cached(sql)?;
            let got: Vec<i64> = stmt
                .query_map([carray(&arr)], |r| r.get(0))?
                .collect::<Result<_>>()?;
            assert_eq!(got, want);
            // And through the zero-copy path of a call that finishes.
            let n: i64 = conn.query_row(
                "SELECT count(*) FROM t WHERE id IN carray(?1)",
                [carray(&arr)],
                |r| r.get(0),
            )?;
            assert_eq!(n as usize, want.len());
        }
        Ok(())
    }

    #[test]
    fn a_borrowed_binding_is_gone_after_the_call() -> Result<()> {
        let conn = table(10)?;
        let mut stmt = conn.prepare("SELECT count(*) FROM t WHERE id IN carray(?1)")?;
        {
            let v = vec![1i64, 2, 3];
            let n: i64 = stmt.query_row([carray(&v)], |r| r.get(0))?;
            assert_eq!(n, 3);
        } // `v` is freed here.
        // Running again without rebinding sees NULL (an empty array), never the
        // freed buffer.
        let mut rows = stmt.raw_query();
        let n: i64 = rows.next()?.unwrap().get(0)?;
        assert_eq!(n, 0);
        Ok(())
    }

    #[test]
    fn null_or_unbound_is_an_empty_array() -> Result<()> {
        let conn = table(3)?;
        let mut stmt = conn.prepare("SELECT count(*) FROM t WHERE id IN carray(?1)")?;
        let n: i64 = stmt.query_row([None::<CArray<'_>>], |r| r.get(0))?;
        assert_eq!(n, 0);
        let n: i64 = stmt.raw_query().next()?.unwrap().get(0)?;
        assert_eq!(n, 0);
        // Another value than an array (an integer) is no array either.
        let n: i64 = stmt.query_row([5], |r| r.get(0))?;
        assert_eq!(n, 0);
        Ok(())
    }

    #[test]
    fn mixed_with_other_parameters() -> Result<()> {
        let conn = table(10)?;
        let ids = [2i64, 4, 6, 8];
        let got: Vec<i64> = conn
            .prepare(
                "SELECT id FROM t WHERE id > ?2 AND id IN carray(?1) AND name <> ?3 ORDER BY id",
            )?
            .query_map(params![carray(&ids), 3, "n6"], |r| r.get(0))?
            .collect::<Result<_>>()?;
        assert_eq!(got, [4, 8]);
        // Named parameters.
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM t WHERE id IN carray(:ids) AND id < :max",
            ferrolite::named_params! { ":ids": carray(&ids), ":max": 7 },
            |r| r.get(0),
        )?;
        assert_eq!(n, 3);
        // raw_bind_parameter copies: the source may change afterwards.
        let mut stmt = conn.prepare("SELECT count(*) FROM t WHERE id IN carray(?1)")?;
        let mut v = vec![1i64, 2];
        stmt.raw_bind_parameter(1, carray(&v))?;
        v.push(3);
        let n: i64 = stmt.raw_query().next()?.unwrap().get(0)?;
        assert_eq!(n, 2);
        Ok(())
    }

    #[test]
    fn delete_where_in_carray() -> Result<()> {
        let conn = table(100)?;
        let doomed: Vec<i64> = (1..=100).filter(|i| i % 3 == 0).collect();
        let deleted = conn.execute("DELETE FROM t WHERE id IN carray(?1)", [carray(&doomed)])?;
        assert_eq!(deleted, 33);
        let left: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
        assert_eq!(left, 67);
        let again = conn.execute("DELETE FROM t WHERE id IN carray(?1)", [carray(&doomed)])?;
        assert_eq!(again, 0);
        Ok(())
    }

    /// An owner that counts its drops.
    struct Counted(Vec<i64>, Arc<AtomicUsize>);

    impl AsRef<[i64]> for Counted {
        fn as_ref(&self) -> &[i64] {
            &self.0
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_shared_owner_is_dropped_exactly_once() -> Result<()> {
        let conn = table(10)?;
        let drops = Arc::new(AtomicUsize::new(0));
        let arr = CArray::shared(Counted(vec![1, 5, 50], Arc::clone(&drops)));
        let mut stmt = conn.prepare("SELECT id FROM t WHERE id IN carray(?1)")?;
        // Bound twice on one statement (the second binding replaces the first)
        // and once through a finished call.
        for _ in 0..2 {
            let got: Vec<i64> = stmt
                .query_map([&arr], |r| r.get(0))?
                .collect::<Result<_>>()?;
            assert_eq!(got, [1, 5]);
        }
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM t WHERE id IN carray(?1)",
            [&arr],
            |r| r.get(0),
        )?;
        assert_eq!(n, 2);
        drop(arr);
        // The statement's binding still holds the owner.
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        let got: Vec<i64> = stmt
            .raw_query()
            .mapped(|r| r.get(0))
            .collect::<Result<_>>()?;
        assert_eq!(got, [1, 5]);
        drop(stmt);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        Ok(())
    }

    #[test]
    fn an_arc_is_shared_not_copied() -> Result<()> {
        let conn = memory_db();
        let data: Arc<[i64]> = Arc::from(vec![4i64, 5, 6]);
        let arr = CArray::from(Arc::clone(&data));
        assert_eq!(Arc::strong_count(&data), 2);
        let mut stmt = conn.prepare("SELECT sum(value) FROM carray(?1)")?;
        let mut rows = stmt.query([&arr])?;
        assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 15);
        drop(rows);
        // The binding keeps the data alive after the CArray is gone…
        drop(arr);
        assert_eq!(Arc::strong_count(&data), 2);
        let mut rows = stmt.raw_query();
        assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 15);
        drop(rows);
        // …until the statement is finalized.
        drop(stmt);
        assert_eq!(Arc::strong_count(&data), 1);
        // Arc<Vec<_>> likewise.
        let v = Arc::new(vec![1.5f64, 2.5]);
        let s: f64 = conn.query_row(
            "SELECT sum(value) FROM carray(?1)",
            [CArray::from(Arc::clone(&v))],
            |r| r.get(0),
        )?;
        assert_eq!(s, 4.0);
        assert_eq!(Arc::strong_count(&v), 1);
        Ok(())
    }

    #[test]
    fn a_binding_dropped_on_another_thread() -> Result<()> {
        let drops = Arc::new(AtomicUsize::new(0));
        let conn = table(4)?;
        {
            let mut stmt = conn.prepare_cached("SELECT count(*) FROM t WHERE id IN carray(?1)")?;
            stmt.raw_bind_parameter(1, CArray::shared(Counted(vec![1, 2], Arc::clone(&drops))))?;
            let n: i64 = stmt.raw_query().next()?.unwrap().get(0)?;
            assert_eq!(n, 2);
        } // back in the cache, still bound
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        std::thread::spawn(move || drop(conn)).join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        Ok(())
    }

    /// An owner whose `Drop` panics.
    struct PanicsOnDrop(Vec<i32>);

    impl AsRef<[i32]> for PanicsOnDrop {
        fn as_ref(&self) -> &[i32] {
            &self.0
        }
    }

    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop of a carray owner");
        }
    }

    #[test]
    fn a_panicking_owner_drop_does_not_unwind_into_sqlite() -> Result<()> {
        let conn = memory_db();
        let arr = CArray::shared(PanicsOnDrop(vec![1, 2, 3]));
        let mut stmt = conn.prepare("SELECT count(*) FROM carray(?1)")?;
        let n: i64 = stmt.query_row([&arr], |r| r.get(0))?;
        assert_eq!(n, 3);
        // Keep the last reference in SQLite's binding.
        let mut rows = stmt.query([arr])?;
        assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 3);
        drop(rows);
        drop(stmt); // finalize runs the destructor, which panics: caught.
        let n: i64 = conn.query_row("SELECT 1", [], |r| r.get(0))?;
        assert_eq!(n, 1);
        Ok(())
    }

    #[test]
    fn ctype_len_and_debug() -> Result<()> {
        let conn = memory_db();
        static BLOBS: [&[u8]; 1] = [b"x"];
        let cases: Vec<CArray<'static>> = vec![
            CArray::from(vec![1i32]),
            CArray::from(vec![1i64, 2]),
            CArray::from(vec![1.0f64, 2.0, 3.0]),
            carray(&["a"]),
            carray(&BLOBS),
        ];
        for arr in &cases {
            let ctype: String =
                conn.query_row("SELECT ctype FROM carray(?1) LIMIT 1", [arr], |r| r.get(0))?;
            assert_eq!(ctype, arr.ctype());
        }
        assert_eq!(cases[2].len(), 3);
        assert_eq!(
            format!("{:?}", cases[1]),
            "CArray { ctype: \"int64\", len: 2 }"
        );
        Ok(())
    }

    #[test]
    fn not_an_sql_value() {
        use ferrolite::ToSql;
        let v = [1i64];
        let err = carray(&v).to_sql().unwrap_err();
        assert!(matches!(err, Error::ToSqlConversionFailure(_)), "{err:?}");
        assert!(err.to_string().contains("carray(?N)"), "{err}");
        // As a user function's result it is an error, not a NULL.
        let conn = memory_db();
        conn.create_scalar_function(
            "arr",
            0,
            ferrolite::functions::FunctionFlags::SQLITE_UTF8,
            |_| Ok(CArray::from(vec![1i64])),
        )
        .unwrap();
        assert!(
            conn.query_row("SELECT arr()", [], |r| r.get::<_, i64>(0))
                .is_err()
        );
    }

    #[test]
    fn carray_values_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<CArray<'static>>();
        check::<CArray<'_>>();
    }
}
