//! Arbitrary SQL text and parameter values through prepare, bind, step and
//! column reads of every type.

use arbitrary::{Arbitrary, Unstructured};
use ferrolite::{Connection, Error, ToSql};

use super::{ArbValue, bounded_connection, drain, pick, rearm};

/// SQL pieces the fuzzer strings together, so most inputs parse.
const FRAGMENTS: &[&str] = &[
    "SELECT",
    "INSERT INTO t VALUES",
    "INSERT INTO t (a, b) VALUES",
    "UPDATE t SET a =",
    "DELETE FROM t",
    "WHERE",
    "FROM t",
    "FROM t AS x, t AS y",
    "ORDER BY",
    "GROUP BY",
    "LIMIT",
    "OFFSET",
    "UNION ALL",
    "VALUES",
    "(",
    ")",
    ",",
    ";",
    "*",
    "a",
    "b",
    "c",
    "d",
    "e",
    "rowid",
    "?",
    "?1",
    "?2",
    "?3",
    "?32766",
    ":a",
    "@b",
    "$c",
    ":a",
    "1",
    "0",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "1.5",
    "'text'",
    "x'00ff'",
    "NULL",
    "+",
    "-",
    "*",
    "/",
    "%",
    "||",
    "=",
    "<",
    "IS",
    "NOT",
    "AND",
    "OR",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "CAST(",
    "AS TEXT)",
    "AS BLOB)",
    "AS INTEGER)",
    "AS REAL)",
    "length(",
    "substr(",
    "hex(",
    "zeroblob(",
    "randomblob(",
    "char(",
    "unicode(",
    "typeof(",
    "coalesce(",
    "printf('%s',",
    "json(",
    "json_each(",
    "quote(",
    "abs(",
    "max(",
    "min(",
    "sum(",
    "count(*)",
    "group_concat(",
    "total(",
    "generate_series(",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r)",
    "FROM r",
    "CREATE TABLE u (x)",
    "CREATE INDEX i ON t (a)",
    "DROP TABLE u",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT s",
    "RELEASE s",
    "PRAGMA user_version",
    "PRAGMA table_info(t)",
    "EXPLAIN",
    "RETURNING *",
    "COLLATE NOCASE",
    "LIKE",
    "GLOB",
    "'%'",
    "IN",
    "BETWEEN",
    "EXISTS",
    "(SELECT",
    "DISTINCT",
    "OVER ()",
    "row_number()",
    "ntile(",
    "lag(",
    "NULLS FIRST",
    "char(0)",
    "CAST(x'ff80' AS TEXT)",
    "'\u{1F980}'",
];

/// One fuzz input: SQL pieces (fragments or raw text) and parameters.
#[derive(Arbitrary, Debug)]
pub struct Input {
    pieces: Vec<Piece>,
    params: Vec<ArbValue>,
    named: Vec<(u8, ArbValue)>,
    rows: u8,
}

#[derive(Arbitrary, Debug)]
enum Piece {
    Fragment(u8),
    Raw(String),
}

const SETUP: &str = "CREATE TABLE t (a, b TEXT, c BLOB, d REAL, e INTEGER PRIMARY KEY);
    INSERT INTO t VALUES (1, 'one', x'01', 1.5, NULL), (NULL, NULL, NULL, NULL, NULL),
                         ('two', 'zwei', zeroblob(3), -0.0, 9),
                         (x'ff', CAST(x'c3' AS TEXT), 'c', 1e300, -5);";

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(input) = Input::arbitrary(&mut u) else {
        return;
    };
    let mut conn = bounded_connection();
    conn.execute_batch(SETUP).unwrap();
    let mut sql = String::new();
    for piece in &input.pieces {
        match piece {
            Piece::Fragment(i) => sql.push_str(FRAGMENTS[*i as usize % FRAGMENTS.len()]),
            Piece::Raw(s) => sql.push_str(s),
        }
        sql.push(' ');
    }
    run_sql(&mut conn, &sql, &input);
    // Whatever happened, the connection still works.
    rearm(&mut conn);
    let v: i64 = conn.query_row("SELECT 1", [], |r| r.get(0)).unwrap();
    assert_eq!(v, 1);
    let _ = pick(&mut u, FRAGMENTS);
}

fn run_sql(conn: &mut Connection, sql: &str, input: &Input) {
    // The whole text as one batch (many statements, rows discarded).
    let batch = conn.execute_batch(sql);
    if sql.contains('\0') {
        assert!(matches!(batch, Err(Error::NulError(_))));
        return;
    }
    rearm(conn);
    // Each statement on its own, with parameters.
    let mut rest = sql;
    let mut guard = 0;
    while !rest.trim().is_empty() && guard < 16 {
        guard += 1;
        let end = rest.find(';').map_or(rest.len(), |i| i + 1);
        let (one, tail) = rest.split_at(end);
        rest = tail;
        let mut stmt = match conn.prepare(one) {
            Ok(s) => s,
            Err(Error::MultipleStatement) => continue,
            Err(e) => {
                // A prepare error is an SQLite error (with an offset inside
                // the text when SQLite gives one), never anything else.
                if let Error::SqlInputError { offset, sql, .. } = &e {
                    assert!(*offset >= -1 && (*offset as i64) <= sql.len() as i64);
                } else {
                    assert!(e.sqlite_error().is_some(), "{e:?}");
                }
                continue;
            }
        };
        bind_and_run(&mut stmt, input);
        drop(stmt);
        rearm(conn);
    }
}

fn bind_and_run(stmt: &mut ferrolite::Statement<'_>, input: &Input) {
    let count = stmt.parameter_count();
    let _ = stmt.readonly();
    // Positional: exactly the statement's count is required.
    let values: Vec<Box<dyn ToSql + '_>> = input.params.iter().map(ArbValue::as_to_sql).collect();
    let refs: Vec<&dyn ToSql> = values.iter().map(|b| &**b).collect();
    if let Err(Error::InvalidParameterCount(given, expected)) = stmt.execute(&refs[..]) {
        assert_eq!((given, expected), (refs.len(), count));
    }
    // Raw binding by index, cycling through the values.
    if count > 0 && !values.is_empty() && count <= 64 {
        let mut bound_ok = true;
        for i in 1..=count {
            if stmt
                .raw_bind_parameter(i, &*values[(i - 1) % values.len()])
                .is_err()
            {
                bound_ok = false;
            }
            if let Some(name) = stmt.parameter_name(i) {
                let name = name.to_owned();
                assert_eq!(stmt.parameter_index(&name).unwrap(), Some(i));
            }
        }
        let _ = stmt.expanded_sql();
        if bound_ok {
            let _ = drain(stmt, usize::from(input.rows) + 1);
        }
    }
    // Named parameters.
    let names: Vec<String> = (1..=count.min(64))
        .filter_map(|i| stmt.parameter_name(i).map(str::to_owned))
        .collect();
    if !names.is_empty() && !input.named.is_empty() {
        let named: Vec<(&str, Box<dyn ToSql + '_>)> = input
            .named
            .iter()
            .map(|(i, v)| (names[*i as usize % names.len()].as_str(), v.as_to_sql()))
            .collect();
        let pairs: Vec<(&str, &dyn ToSql)> = named.iter().map(|(n, v)| (*n, &**v)).collect();
        let _ = stmt.query_row(&pairs[..], |row| {
            for i in 0..row.as_ref().column_count() {
                super::read_column(row, i);
            }
            Ok(())
        });
    }
    stmt.clear_bindings();
    if count == 0 {
        let _ = drain(stmt, usize::from(input.rows) + 1);
    }
}
