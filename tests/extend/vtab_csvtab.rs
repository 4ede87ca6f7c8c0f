//! `vtab::csvtab`: the `csv` virtual table over a file or inline text
//! (feature `csvtab`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::common::{memory_db, temp_path};

use ferrolite::types::Value;
use ferrolite::vtab::csvtab;
use ferrolite::{Connection, Result};

/// rusqlite's own test file: a header and five rows, some quoted.
fn test_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/csvtab/test.csv")
}

/// A connection with the module loaded.
fn db() -> Connection {
    let conn = memory_db();
    csvtab::load_module(&conn).unwrap();
    conn
}

/// `path` as an SQL string literal.
fn lit(path: &Path) -> String {
    format!("'{}'", path.to_str().unwrap().replace('\'', "''"))
}

/// Every row of `sql`, each as its values.
fn rows(conn: &Connection, sql: &str) -> Result<Vec<Vec<Value>>> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())?
        .collect()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// The rows of `SELECT * FROM t` as strings (NULL as "NULL").
fn all(conn: &Connection) -> Result<Vec<Vec<String>>> {
    Ok(rows(conn, "SELECT * FROM t")?
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| match v {
                    Value::Text(s) => s,
                    Value::Null => "NULL".to_owned(),
                    other => panic!("not text: {other:?}"),
                })
                .collect()
        })
        .collect())
}

/// Creates `t` over a file holding `content` (in `dir`, kept by the
/// caller) with the extra `options`.
fn table_over(conn: &Connection, content: &[u8], options: &str) -> (tempfile::TempDir, Result<()>) {
    let (dir, path) = temp_path("t.csv");
    std::fs::write(&path, content).unwrap();
    let sql = format!(
        "CREATE VIRTUAL TABLE t USING csv(filename = {}{options})",
        lit(&path)
    );
    let res = conn.execute_batch(&sql);
    (dir, res)
}

/// The message of `err`, which must be an error.
fn message<T: std::fmt::Debug>(res: Result<T>) -> String {
    res.expect_err("an error").to_string()
}

#[test]
fn header_names_the_columns_and_rowids_count_rows() -> Result<()> {
    let conn = db();
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE vtab USING csv(filename = {}, header = yes)",
        lit(&test_csv())
    ))?;
    {
        let stmt = conn.prepare("SELECT rowid, * FROM vtab")?;
        assert_eq!(
            stmt.column_names().collect::<Vec<_>>(),
            ["rowid", "colA", "colB", "colC"]
        );
    }
    let ids: Vec<i64> = conn
        .prepare("SELECT rowid FROM vtab")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(
        rows(&conn, "SELECT * FROM vtab WHERE rowid >= 4")?,
        [
            vec![text("a"), text("b"), text("c .. z")],
            vec![text("a"), text("b"), text("c,d")],
        ]
    );
    // Every value is TEXT.
    let types: Vec<String> = conn
        .prepare("SELECT DISTINCT typeof(colA) FROM vtab")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    assert_eq!(types, ["text"]);
    conn.execute_batch("DROP TABLE vtab")
}

#[test]
fn self_join_opens_two_cursors() -> Result<()> {
    let conn = db();
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE vtab USING csv(filename={}, header=yes)",
        lit(&test_csv())
    ))?;
    {
        let mut stmt = conn.prepare(
            "SELECT v1.rowid, v1.* FROM vtab v1 NATURAL JOIN vtab v2 WHERE v1.rowid < v2.rowid",
        )?;
        let mut q = stmt.query([])?;
        let row = q.next()?.unwrap();
        assert_eq!(row.get::<_, i64>(0)?, 2);
    }
    // Every pair: 5 x 5 rows read through two cursors at once; rows 2 and
    // 3 share their colC.
    let (pairs, same_c): (i64, i64) = conn.query_row(
        "SELECT count(*), sum(a.colC = b.colC) FROM vtab a, vtab b",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    assert_eq!((pairs, same_c), (25, 7));
    conn.execute_batch("DROP TABLE vtab")
}

#[test]
fn without_header_columns_are_c0_c1() -> Result<()> {
    let conn = db();
    let (_dir, res) = table_over(&conn, b"1,2\n3,4\n", "");
    res?;
    let stmt = conn.prepare("SELECT * FROM t")?;
    assert_eq!(stmt.column_names().collect::<Vec<_>>(), ["c0", "c1"]);
    drop(stmt);
    assert_eq!(all(&conn)?, [["1", "2"], ["3", "4"]]);
    Ok(())
}

#[test]
fn columns_and_schema_options() -> Result<()> {
    let conn = db();
    let (_dir, res) = table_over(&conn, b"1,2,3\n4,5,6\n", ", columns = 3");
    res?;
    assert_eq!(
        conn.prepare("SELECT * FROM t")?
            .column_names()
            .collect::<Vec<_>>(),
        ["c0", "c1", "c2"]
    );
    conn.execute_batch("DROP TABLE t")?;

    let (_dir, res) = table_over(
        &conn,
        b"1,2,3\n4,5,6\n",
        ", schema = 'CREATE TABLE x(a INT, b TEXT, c)'",
    );
    res?;
    assert_eq!(
        conn.prepare("SELECT * FROM t")?
            .column_names()
            .collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(
        rows(&conn, "SELECT c, a FROM t WHERE b = '5'")?,
        [vec![text("6"), text("4")]]
    );
    conn.execute_batch("DROP TABLE t")?;

    // With a header, `columns` still names c0.. and the header row is skipped.
    let (_dir, res) = table_over(&conn, b"x,y\n1,2\n", ", header=on, columns=2");
    res?;
    assert_eq!(
        conn.prepare("SELECT * FROM t")?
            .column_names()
            .collect::<Vec<_>>(),
        ["c0", "c1"]
    );
    assert_eq!(all(&conn)?, [["1", "2"]]);
    conn.execute_batch("DROP TABLE t")?;

    // A schema wider than the file: reading the missing column is an error.
    let (_dir, res) = table_over(&conn, b"1,2\n", ", schema='CREATE TABLE x(a, b, c)'");
    res?;
    assert_eq!(rows(&conn, "SELECT b FROM t")?, [vec![text("2")]]);
    let msg = message(rows(&conn, "SELECT c FROM t"));
    assert!(msg.contains("column index out of bounds: 2"), "{msg}");
    Ok(())
}

#[test]
fn data_option_reads_inline_text() -> Result<()> {
    let conn = db();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING csv(data = 'name,n\n\"x, y\",1\nz,2', header = true)",
    )?;
    assert_eq!(all(&conn)?, [["x, y", "1"], ["z", "2"]]);
    assert_eq!(
        conn.prepare("SELECT * FROM t")?
            .column_names()
            .collect::<Vec<_>>(),
        ["name", "n"]
    );
    Ok(())
}

#[test]
fn header_names_are_quoted_in_the_schema() -> Result<()> {
    let conn = db();
    let (_dir, res) = table_over(&conn, b"\"a \"\"b\"\"\",c d\n1,2\n", ", header=1");
    res?;
    assert_eq!(
        conn.prepare("SELECT * FROM t")?
            .column_names()
            .collect::<Vec<_>>(),
        ["a \"b\"", "c d"]
    );
    assert_eq!(all(&conn)?, [["1", "2"]]);
    Ok(())
}

#[test]
fn quoted_delimiters_crlf_and_multiline_fields() -> Result<()> {
    let conn = db();
    let (_dir, res) = table_over(
        &conn,
        b"id,text\r\n1,\"a, b\"\r\n2,\"two\r\nlines\"\r\n3,\"say \"\"hi\"\"\"\r\n",
        ", header=yes",
    );
    res?;
    assert_eq!(
        all(&conn)?,
        [["1", "a, b"], ["2", "two\r\nlines"], ["3", "say \"hi\""]]
    );
    Ok(())
}

#[test]
fn delimiter_and_quote_options() -> Result<()> {
    let conn = db();
    let (_dir, res) = table_over(
        &conn,
        b"a;'b;c'\n'it''s';d\n",
        ", delimiter=';', quote=''''",
    );
    res?;
    assert_eq!(all(&conn)?, [["a", "b;c"], ["it's", "d"]]);
    conn.execute_batch("DROP TABLE t")?;

    // quote=0: no quoting at all, quotes are ordinary characters.
    let (_dir, res) = table_over(&conn, b"\"a\"\tb\n", ", delimiter='\t', quote=0");
    res?;
    assert_eq!(all(&conn)?, [["\"a\"", "b"]]);
    Ok(())
}

#[test]
fn empty_and_header_only_files() -> Result<()> {
    let conn = db();
    let (_dir, res) = table_over(&conn, b"", "");
    assert!(message(res).contains("no column specified"));
    let (_dir, res) = table_over(&conn, b"", ", header=yes");
    assert!(message(res).contains("no column specified"));

    // With the columns given, an empty file is an empty table.
    let (_dir, res) = table_over(&conn, b"", ", columns=2");
    res?;
    assert!(all(&conn)?.is_empty());
    conn.execute_batch("DROP TABLE t")?;

    let (_dir, res) = table_over(&conn, b"x,y\r\n", ", header=yes");
    res?;
    assert_eq!(
        conn.prepare("SELECT * FROM t")?
            .column_names()
            .collect::<Vec<_>>(),
        ["x", "y"]
    );
    assert!(all(&conn)?.is_empty());
    Ok(())
}

#[test]
fn bad_options_are_errors() {
    let conn = db();
    let path = lit(&test_csv());
    let cases: &[(&str, &str)] = &[
        ("", "no CSV file specified"),
        ("header=yes", "no CSV file specified"),
        ("nonsense", "illegal argument: 'nonsense'"),
        ("color=blue", "unrecognized parameter 'color'"),
        (
            "filename=X, header=maybe",
            "unrecognized argument to 'header': maybe",
        ),
        ("filename=X, columns=0", "must have at least one column"),
        (
            "filename=X, columns=two",
            "unrecognized argument to 'columns': two",
        ),
        (
            "filename=X, columns=70000",
            "unrecognized argument to 'columns': 70000",
        ),
        (
            "filename=X, columns=1, columns=2",
            "more than one 'columns' parameter",
        ),
        (
            "filename=X, header=no, header=yes",
            "more than one 'header' parameter",
        ),
        (
            "filename=X, delimiter=';;'",
            "unrecognized argument to 'delimiter': ;;",
        ),
        (
            "filename=X, delimiter='\n'",
            "unrecognized argument to 'delimiter'",
        ),
        (
            "filename=X, quote='ab'",
            "unrecognized argument to 'quote': ab",
        ),
        (
            "filename=X, delimiter='|', quote='|'",
            "the delimiter and the quote must differ",
        ),
        (
            "filename=X, data='a'",
            "either filename= or data= but not both",
        ),
    ];
    for (args, want) in cases {
        let args = args.replace('X', &path);
        let res = conn.execute_batch(&format!("CREATE VIRTUAL TABLE t USING csv({args})"));
        let msg = message(res);
        assert!(
            msg.contains(want),
            "csv({args}): {msg:?} should say {want:?}"
        );
    }
    // Nothing was created.
    assert!(!conn.table_exists(None, "t").unwrap());
}

#[test]
fn missing_file() {
    let conn = db();
    let (_dir, path) = temp_path("absent.csv");
    let msg = message(conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE t USING csv(filename={})",
        lit(&path)
    )));
    assert!(
        msg.contains(&format!("file '{}' does not exist", path.display())),
        "{msg}"
    );
}

#[test]
fn file_removed_after_create_fails_the_scan() -> Result<()> {
    let conn = db();
    let (dir, res) = table_over(&conn, b"1\n", "");
    res?;
    drop(dir);
    let msg = message(all(&conn));
    assert!(msg.contains("t.csv"), "{msg}");
    Ok(())
}

#[test]
fn malformed_csv_names_line_and_column() -> Result<()> {
    let conn = db();
    // The first rows are fine: the error comes from the scan that reaches
    // the bad line.
    let (_dir, res) = table_over(&conn, b"a,b\n1,2\n3,4\"x\n5,6\n", ", header=yes");
    res?;
    let msg = message(all(&conn));
    assert!(
        msg.contains("CSV error at line 3, column 4: a quote inside an unquoted field"),
        "{msg}"
    );
    let first: String = conn.query_row("SELECT a FROM t LIMIT 1", [], |r| r.get(0))?;
    assert_eq!(first, "1");
    conn.execute_batch("DROP TABLE t")?;

    let (_dir, res) = table_over(&conn, b"a,b\n1,\"open\n2,3\n", "");
    res?;
    let msg = message(all(&conn));
    assert!(
        msg.contains("CSV error at line 2, column 3: the quoted field is never closed"),
        "{msg}"
    );
    conn.execute_batch("DROP TABLE t")?;

    let (_dir, res) = table_over(&conn, b"1,\"2\"3\n", ", columns=2");
    res?;
    let msg = message(all(&conn));
    assert!(
        msg.contains("CSV error at line 1, column 6: a character follows the closing quote"),
        "{msg}"
    );
    conn.execute_batch("DROP TABLE t")?;

    // Rows must all have as many fields as the first one.
    let (_dir, res) = table_over(&conn, b"a,b\n1,2\n3\n", ", header=yes");
    res?;
    let msg = message(all(&conn));
    assert!(
        msg.contains("CSV error at line 3: the row has 1 field, the first row has 2"),
        "{msg}"
    );
    conn.execute_batch("DROP TABLE t")?;

    // Invalid UTF-8.
    let (_dir, res) = table_over(&conn, b"a\n\xff\n", "");
    res?;
    let msg = message(all(&conn));
    assert!(
        msg.contains("CSV error at line 2, column 1: the field is not valid UTF-8"),
        "{msg}"
    );
    conn.execute_batch("DROP TABLE t")?;

    // A bad header fails CREATE itself.
    let (_dir, res) = table_over(&conn, b"a\"b\n", ", header=yes");
    let msg = message(res);
    assert!(msg.contains("CSV error at line 1, column 2"), "{msg}");
    Ok(())
}

#[test]
fn big_file_is_streamed() -> Result<()> {
    const N: i64 = 100_000;
    let conn = db();
    let (_dir, path) = temp_path("big.csv");
    let mut content = String::from("id,name,score\n");
    for i in 1..=N {
        writeln!(content, "{i},\"name {i}, quoted\",{}", i % 7).unwrap();
    }
    std::fs::write(&path, &content).unwrap();
    drop(content);
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE big USING csv(filename={}, header=yes)",
        lit(&path)
    ))?;
    let (count, sum, max_rowid): (i64, i64, i64) = conn.query_row(
        "SELECT count(*), sum(CAST(id AS INTEGER)), max(rowid) FROM big",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    assert_eq!((count, sum, max_rowid), (N, N * (N + 1) / 2, N));
    let name: String =
        conn.query_row("SELECT name FROM big WHERE rowid = 77777", [], |r| r.get(0))?;
    assert_eq!(name, "name 77777, quoted");
    // Stop early: only the first rows are read.
    let first: String = conn.query_row("SELECT id FROM big LIMIT 1", [], |r| r.get(0))?;
    assert_eq!(first, "1");
    Ok(())
}

#[test]
fn bom_is_skipped() -> Result<()> {
    let conn = db();
    let (_dir, res) = table_over(&conn, b"\xEF\xBB\xBFa,b\n1,2\n", ", header=yes");
    res?;
    assert_eq!(
        conn.prepare("SELECT * FROM t")?
            .column_names()
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    Ok(())
}

#[test]
fn tables_are_direct_only() -> Result<()> {
    // A CSV table reads files: a trigger or view in a database file must
    // not be able to use it behind the application's back.
    let conn = db();
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE vtab USING csv(filename={}, header=yes);
         CREATE TABLE log(x);
         CREATE TRIGGER tr AFTER INSERT ON log BEGIN SELECT count(*) FROM vtab; END;",
        lit(&test_csv())
    ))?;
    let msg = message(conn.execute("INSERT INTO log VALUES (1)", []));
    assert!(msg.contains("unsafe use of virtual table"), "{msg}");
    Ok(())
}
