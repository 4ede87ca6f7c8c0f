//! `generate_series`: built into every connection, with SQLite's documented
//! semantics.

use crate::common::{memory_db, temp_path};

use ferrolite::{Connection, Result};

fn values(conn: &Connection, sql: &str) -> Result<Vec<i64>> {
    conn.prepare(sql)?
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<i64>>>()
}

#[test]
fn start_stop_and_default_step() -> Result<()> {
    let conn = memory_db();
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series(1, 5)")?,
        [1, 2, 3, 4, 5]
    );
    assert_eq!(
        values(&conn, "SELECT * FROM generate_series(-2, 1)")?,
        [-2, -1, 0, 1]
    );
    Ok(())
}

#[test]
fn positive_step_stops_at_or_before_stop() -> Result<()> {
    let conn = memory_db();
    let v = values(&conn, "SELECT value FROM generate_series(5, 100, 5)")?;
    assert_eq!(v.len(), 20);
    assert_eq!((v[0], v[19]), (5, 100));
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series(0, 10, 4)")?,
        [0, 4, 8]
    );
    Ok(())
}

#[test]
fn negative_step_counts_down() -> Result<()> {
    let conn = memory_db();
    let v = values(&conn, "SELECT value FROM generate_series(0, -100, -5)")?;
    assert_eq!(v.len(), 21);
    assert_eq!((v[0], v[1], v[20]), (0, -5, -100));
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series(10, 1, -4)")?,
        [10, 6, 2]
    );
    Ok(())
}

#[test]
fn ranges_running_against_the_step_are_empty() -> Result<()> {
    let conn = memory_db();
    assert!(values(&conn, "SELECT value FROM generate_series(0, -1)")?.is_empty());
    assert!(values(&conn, "SELECT value FROM generate_series(1, 10, -1)")?.is_empty());
    assert!(values(&conn, "SELECT value FROM generate_series(10, 1, 2)")?.is_empty());
    Ok(())
}

#[test]
fn single_value_when_start_equals_stop() -> Result<()> {
    let conn = memory_db();
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series(7, 7)")?,
        [7]
    );
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series(7, 7, -3)")?,
        [7]
    );
    Ok(())
}

#[test]
fn zero_step_counts_as_one() -> Result<()> {
    let conn = memory_db();
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series(1, 3, 0)")?,
        [1, 2, 3]
    );
    let step: i64 = conn.query_row("SELECT step FROM generate_series(1, 3, 0)", [], |r| {
        r.get(0)
    })?;
    assert_eq!(step, 1);
    Ok(())
}

#[test]
fn stop_defaults_to_4294967295() -> Result<()> {
    let conn = memory_db();
    let v = values(&conn, "SELECT value FROM generate_series(4294967290)")?;
    assert_eq!(
        v,
        [
            4294967290, 4294967291, 4294967292, 4294967293, 4294967294, 4294967295
        ]
    );
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series(20) LIMIT 3")?,
        [20, 21, 22]
    );
    Ok(())
}

#[test]
fn missing_start_is_an_error() {
    let conn = memory_db();
    let err = values(&conn, "SELECT value FROM generate_series LIMIT 5").unwrap_err();
    assert!(
        err.to_string()
            .contains("first argument to \"generate_series()\" missing"),
        "{err}"
    );
    let err = values(&conn, "SELECT value FROM generate_series WHERE stop = 3").unwrap_err();
    assert!(err.to_string().contains("missing or unusable"), "{err}");
}

#[test]
fn null_argument_gives_no_rows() -> Result<()> {
    let conn = memory_db();
    assert!(values(&conn, "SELECT value FROM generate_series(NULL, 5)")?.is_empty());
    assert!(values(&conn, "SELECT value FROM generate_series(1, NULL)")?.is_empty());
    assert!(values(&conn, "SELECT value FROM generate_series(1, 5, NULL)")?.is_empty());
    Ok(())
}

#[test]
fn hidden_columns_hold_effective_arguments() -> Result<()> {
    let conn = memory_db();
    let row: (i64, i64, i64, i64) = conn.query_row(
        "SELECT value, start, stop, step FROM generate_series(1, 10, 3)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    assert_eq!(row, (1, 1, 10, 3));
    let stop: i64 = conn.query_row("SELECT stop FROM generate_series(3)", [], |r| r.get(0))?;
    assert_eq!(stop, 4_294_967_295);
    // `SELECT *` shows only the visible column.
    let stmt = conn.prepare("SELECT * FROM generate_series(1, 2)")?;
    assert_eq!(stmt.column_names().collect::<Vec<_>>(), ["value"]);
    Ok(())
}

#[test]
fn where_clause_form_equals_function_form() -> Result<()> {
    let conn = memory_db();
    let a = values(&conn, "SELECT value FROM generate_series(0, 20, 5)")?;
    let b = values(
        &conn,
        "SELECT value FROM generate_series WHERE start = 0 AND stop = 20 AND step = 5",
    )?;
    assert_eq!(a, b);
    assert_eq!(a, [0, 5, 10, 15, 20]);
    Ok(())
}

#[test]
fn rowid_counts_members_from_one() -> Result<()> {
    let conn = memory_db();
    let mut stmt = conn.prepare("SELECT rowid, value FROM generate_series(10, 20, 5)")?;
    let rows: Vec<(i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    assert_eq!(rows, [(1, 10), (2, 15), (3, 20)]);
    Ok(())
}

#[test]
fn order_by_value_both_ways_without_a_sort() -> Result<()> {
    let conn = memory_db();
    let cases: &[(&str, &[i64])] = &[
        (
            "SELECT value FROM generate_series(1, 10, 3) ORDER BY value DESC",
            &[10, 7, 4, 1],
        ),
        (
            "SELECT value FROM generate_series(1, 10, 3) ORDER BY value",
            &[1, 4, 7, 10],
        ),
        (
            "SELECT value FROM generate_series(10, 1, -3) ORDER BY value",
            &[1, 4, 7, 10],
        ),
        (
            "SELECT value FROM generate_series(10, 1, -3) ORDER BY value DESC",
            &[10, 7, 4, 1],
        ),
        // The last member need not be STOP.
        (
            "SELECT value FROM generate_series(0, 10, 4) ORDER BY value DESC",
            &[8, 4, 0],
        ),
    ];
    for (sql, want) in cases {
        assert_eq!(values(&conn, sql)?, *want, "{sql}");
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?
            .query_map([], |r| r.get(3))?
            .collect::<Result<_>>()?;
        assert!(
            !plan.iter().any(|d| d.contains("TEMP B-TREE")),
            "{sql} sorts: {plan:?}"
        );
    }
    Ok(())
}

#[test]
fn arguments_from_another_table_in_a_join() -> Result<()> {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (3);")?;
    let mut stmt =
        conn.prepare("SELECT n, value FROM t, generate_series(1, t.n) ORDER BY n, value")?;
    let rows: Vec<(i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    assert_eq!(rows, [(1, 1), (3, 1), (3, 2), (3, 3)]);
    Ok(())
}

#[test]
fn extreme_bounds_do_not_overflow() -> Result<()> {
    let conn = memory_db();
    assert_eq!(
        values(
            &conn,
            "SELECT value FROM generate_series(9223372036854775805, 9223372036854775807)"
        )?,
        [i64::MAX - 2, i64::MAX - 1, i64::MAX]
    );
    assert_eq!(
        values(
            &conn,
            "SELECT value FROM generate_series(-9223372036854775808, 9223372036854775807, 9223372036854775807)"
        )?,
        [i64::MIN, -1, i64::MAX - 1]
    );
    assert_eq!(
        values(
            &conn,
            "SELECT value FROM generate_series(-9223372036854775807, -9223372036854775808, -1)"
        )?,
        [i64::MIN + 1, i64::MIN]
    );
    Ok(())
}

#[test]
fn text_arguments_convert_to_integers() -> Result<()> {
    let conn = memory_db();
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series('3', '5')")?,
        [3, 4, 5]
    );
    Ok(())
}

#[test]
fn cannot_be_created_as_a_table() {
    let conn = memory_db();
    assert!(
        conn.execute_batch("CREATE VIRTUAL TABLE s USING generate_series")
            .is_err()
    );
}

#[test]
fn innocuous_usable_from_views_with_untrusted_schema() -> Result<()> {
    let conn = memory_db();
    conn.execute_batch(
        "PRAGMA trusted_schema = OFF;
         CREATE VIEW v AS SELECT value FROM generate_series(1, 3);",
    )?;
    assert_eq!(values(&conn, "SELECT value FROM v")?, [1, 2, 3]);
    Ok(())
}

#[test]
fn the_interrupt_tutorial_sql_runs_unchanged() -> Result<()> {
    let conn = memory_db();
    conn.execute(
        "CREATE TABLE large_table AS SELECT 1 a FROM generate_series(1, 1000000)",
        (),
    )?;
    let (n, s): (i64, i64) =
        conn.query_row("SELECT count(*), sum(a) FROM large_table", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    assert_eq!((n, s), (1_000_000, 1_000_000));
    let sum: i64 = conn.query_row(
        "SELECT sum(value) FROM generate_series(1, 1000000)",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(sum, 500_000_500_000);
    Ok(())
}

#[test]
fn available_on_every_connection_and_schema() -> Result<()> {
    let (_dir, path) = temp_path("s.db");
    for _ in 0..2 {
        let conn = Connection::open(&path)?;
        assert_eq!(
            values(&conn, "SELECT value FROM main.generate_series(1, 2)")?,
            [1, 2]
        );
    }
    Ok(())
}
