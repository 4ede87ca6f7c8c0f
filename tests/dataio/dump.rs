//! `Connection::iterdump` / `dump`: SQL text that restores the database.

use crate::common::temp_path;

use std::io::{self, Write};

use ferrolite::types::ValueRef;
use ferrolite::{Connection, ErrorCode, Result, params};

/// A value compared exactly: REALs by their bits.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
enum V {
    Null,
    Int(i64),
    Real(u64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

fn v(r: ValueRef<'_>) -> V {
    match r {
        ValueRef::Null => V::Null,
        ValueRef::Integer(i) => V::Int(i),
        ValueRef::Real(f) => V::Real(f.to_bits()),
        ValueRef::Text(t) => V::Text(t.to_vec()),
        ValueRef::Blob(b) => V::Blob(b.to_vec()),
    }
}

fn query_all(conn: &Connection, sql: &str) -> Result<Vec<Vec<V>>> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push((0..n).map(|i| v(row.get_ref_unwrap(i))).collect());
    }
    out.sort();
    Ok(out)
}

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn dump_of(conn: &Connection) -> Result<Vec<String>> {
    conn.iterdump().collect()
}

fn restore(sql: &[String]) -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(&sql.join("\n"))?;
    Ok(conn)
}

/// Compares the schema and every table of two databases, value by value.
fn assert_same_database(a: &Connection, b: &Connection) -> Result<()> {
    let schema = "SELECT type, name, tbl_name, sql FROM sqlite_schema";
    assert_eq!(query_all(a, schema)?, query_all(b, schema)?, "schema");
    let tables = query_all(
        a,
        "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' AND type != 'view'",
    )?;
    assert!(tables.len() > 5);
    let mut compared = 0;
    for t in &tables {
        let (V::Text(name), V::Text(kind), V::Int(wr)) = (&t[0], &t[1], &t[2]) else {
            panic!("{t:?}");
        };
        let name = String::from_utf8(name.clone()).unwrap();
        // Shadow tables are rebuilt by their module, stat4 by ANALYZE.
        // The schema itself was compared above, without its page numbers.
        if kind == b"shadow" || name == "sqlite_stat4" || name == "sqlite_schema" {
            continue;
        }
        let has_rowid = *wr == 0 && name != "allshadowed";
        let rowid = if name == "shadowed" {
            "oid, "
        } else {
            "rowid, "
        };
        let sql = format!(
            "SELECT {}* FROM {}",
            if has_rowid { rowid } else { "" },
            q(&name)
        );
        let rows_a = query_all(a, &sql)?;
        assert_eq!(rows_a, query_all(b, &sql)?, "table {name}");
        compared += 1;
    }
    assert_eq!(
        a.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?,
        b.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?
    );
    assert!(compared >= 12, "compared {compared} tables");
    Ok(())
}

/// Deterministic pseudo-random numbers (xorshift64*).
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// A database with every kind of schema object and awkward data.
fn every_kind() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        r#"
        PRAGMA user_version = 42;
        PRAGMA application_id = 7;
        CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
        CREATE TABLE child (
            id INTEGER PRIMARY KEY,
            parent_id INTEGER REFERENCES parent(id),
            up INTEGER REFERENCES child(id),
            note TEXT
        );
        CREATE TABLE "odd ""name""" ("we""ird col" TEXT, [bracket] INTEGER, `tick` REAL);
        CREATE TABLE wr (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
        CREATE TABLE st (i INTEGER, r REAL, t TEXT, b BLOB, a ANY) STRICT;
        CREATE TABLE vals (v);
        CREATE TABLE gen (
            a INTEGER,
            b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL,
            c TEXT GENERATED ALWAYS AS (a || 'x') STORED
        );
        CREATE TABLE desc_pk (x INTEGER PRIMARY KEY DESC, y);
        CREATE TABLE shadowed (rowid TEXT, _rowid_ TEXT, v);
        CREATE TABLE allshadowed (rowid, _rowid_, oid);
        CREATE INDEX child_parent ON child(parent_id);
        CREATE UNIQUE INDEX odd_idx ON "odd ""name"""("we""ird col");
        CREATE INDEX partial ON vals(v) WHERE v IS NOT NULL;
        CREATE INDEX expr ON gen(a + 1);
        CREATE VIEW v2 AS SELECT * FROM parent;
        CREATE VIEW v1 AS SELECT name FROM v2;
        DROP VIEW v2;
        CREATE VIEW v2 AS SELECT id, name FROM parent;
        CREATE TRIGGER parent_ins AFTER INSERT ON parent
            BEGIN INSERT INTO vals VALUES ('trigger fired'); END;
        CREATE TRIGGER v2_ins INSTEAD OF INSERT ON v2
            BEGIN INSERT INTO parent(name) VALUES (NEW.name); END;
        CREATE VIRTUAL TABLE ft USING fts5(title, body);
        CREATE VIRTUAL TABLE rt USING rtree(id, minx, maxx);

        INSERT INTO parent (name) VALUES ('a'), ('b'), ('c');
        DELETE FROM parent WHERE name = 'c';
        INSERT INTO v2 (name) VALUES ('via view');
        INSERT INTO child VALUES (3, 1, NULL, 'first inserted');
        INSERT INTO child VALUES (1, 2, 3, 'points at a later row');
        INSERT INTO "odd ""name""" VALUES
            ('it''s "quoted"', 1, 1.5),
            ('line1' || char(10) || 'line2' || char(13, 10) || 'line3', 2, NULL),
            ('', 3, -0.0),
            ('nul' || char(0) || 'in' || char(0, 0) || 'side', 4, 2.5),
            (char(0), 5, 0.0),
            ('ünïcödé ✓ 🦀', 6, 1e-300),
            (CAST(X'FF00FE41' AS TEXT), 7, NULL),
            ('; DROP TABLE parent; --', 8, NULL);
        INSERT INTO wr VALUES ('k1', X''), ('k2', X'00FF10'), ('k0', NULL);
        INSERT INTO st VALUES
            (1, 1.0, 'one', X'01', 1),
            (-9223372036854775808, -0.0, '', X'', 1.5),
            (9223372036854775807, 1e308, 'x', NULL, 'text'),
            (NULL, NULL, NULL, NULL, X'AB'),
            (0, 5e-324, 'y', X'00', NULL);
        INSERT INTO gen (a) VALUES (1), (2), (NULL);
        INSERT INTO desc_pk VALUES (10, 'a'), (20, 'b'), (30, 'c');
        DELETE FROM desc_pk WHERE x = 20;
        INSERT INTO shadowed VALUES ('r', 'u', 1), ('s', 't', 2), ('x', 'y', 3);
        DELETE FROM shadowed WHERE v = 2;
        INSERT INTO allshadowed VALUES (1, 2, 3), (4, 5, 6);
        INSERT INTO ft (rowid, title, body) VALUES
            (1, 'rust', 'safe bindings'), (5, 'sqlite', 'a small fast database'),
            (9, 'gone', 'deleted');
        DELETE FROM ft WHERE rowid = 9;
        INSERT INTO rt VALUES (1, 0.0, 1.5), (7, -2.25, 3.0);
        "#,
    )?;
    // Values of every storage class, and REALs that must keep their bits.
    let mut insert = conn.prepare("INSERT INTO vals VALUES (?1)")?;
    let specials = [
        0.0,
        -0.0,
        0.1,
        1.0 / 3.0,
        1e308,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        9007199254740993.0,
        123456789012345680000.0,
        1.0,
        -1.5,
    ];
    for f in specials {
        insert.execute([f])?;
    }
    let mut seed = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        let f = f64::from_bits(rng(&mut seed));
        insert.execute([f])?;
    }
    for i in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX] {
        insert.execute([i])?;
    }
    insert.execute(params![ferrolite::types::Null])?;
    insert.execute(["text with 'quote'"])?;
    insert.execute([&b"\x00\x01blob"[..]])?;
    // Thousands of NUL runs: the literal must not hit SQLite's expression
    // depth limit.
    let many_nuls = "x\0".repeat(2500);
    insert.execute([&many_nuls])?;
    drop(insert);
    conn.execute_batch("ANALYZE")?;
    Ok(conn)
}

#[test]
fn round_trip_every_schema_object_kind() -> Result<()> {
    let src = every_kind()?;
    let sql = dump_of(&src)?;
    let copy = restore(&sql)?;

    let integrity: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(integrity, "ok");
    let fk: i64 = copy.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    assert_eq!(fk, 0);
    assert_same_database(&src, &copy)?;

    // Details a table comparison could miss.
    let seq = "SELECT name, seq FROM sqlite_sequence";
    assert_eq!(query_all(&copy, seq)?, query_all(&src, seq)?);
    assert_eq!(
        query_all(&copy, seq)?,
        vec![vec![V::Text(b"parent".to_vec()), V::Int(4)]]
    );
    let app_id: i64 = copy.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    assert_eq!(app_id, 7);
    let hits: Vec<i64> = copy
        .prepare("SELECT rowid FROM ft WHERE ft MATCH 'database'")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    assert_eq!(hits, [5]);
    let near: i64 = copy.query_row("SELECT id FROM rt WHERE minx < -1", [], |r| r.get(0))?;
    assert_eq!(near, 7);
    // The next AUTOINCREMENT id continues after the deleted one.
    copy.execute("INSERT INTO parent (name) VALUES ('next')", [])?;
    assert_eq!(copy.last_insert_rowid(), 5);
    // Triggers and views work after the restore, and the trigger did not
    // fire while the data was loaded.
    let fired = "SELECT count(*) FROM vals WHERE v = 'trigger fired'";
    let before: i64 = src.query_row(fired, [], |r| r.get(0))?;
    let after: i64 = copy.query_row(fired, [], |r| r.get(0))?;
    assert_eq!(after, before + 1, "one new row from the insert above");
    let names: Vec<String> = copy
        .prepare("SELECT name FROM v1 ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    assert_eq!(names, ["a", "b", "next", "via view"]);

    // Dumping the copy gives the same text: nothing was lost or changed.
    let again = dump_of(&restore(&sql)?)?;
    assert_eq!(again, sql);
    Ok(())
}

#[test]
fn statements_look_like_pythons() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB);
         INSERT INTO t VALUES (1, 'ann', 1.5, X'CAFE'), (2, NULL, -0.0, NULL);
         CREATE INDEX t_name ON t (name);",
    )?;
    let expected = [
        "BEGIN TRANSACTION;",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB);",
        r#"INSERT INTO "t" VALUES(1,'ann',1.5,X'CAFE');"#,
        // A REAL column stores -0.0 as the integer 0 and reads it as 0.0.
        r#"INSERT INTO "t" VALUES(2,NULL,0.0,NULL);"#,
        "CREATE INDEX t_name ON t (name);",
        "COMMIT;",
    ];
    assert_eq!(dump_of(&conn)?, expected);

    let mut out = Vec::new();
    conn.dump(&mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), expected.join("\n") + "\n");
    Ok(())
}

#[test]
fn empty_database() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    assert_eq!(dump_of(&conn)?, ["BEGIN TRANSACTION;", "COMMIT;"]);
    Ok(())
}

#[test]
fn rowids_are_kept_without_an_integer_primary_key() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE t (name TEXT);
         INSERT INTO t (rowid, name) VALUES (10, 'ten'), (3, 'three');",
    )?;
    let sql = dump_of(&conn)?;
    assert!(sql.contains(&r#"INSERT INTO "t"(rowid,"name") VALUES(10,'ten');"#.to_owned()));
    let copy = restore(&sql)?;
    let id: i64 = copy.query_row("SELECT rowid FROM t WHERE name = 'ten'", [], |r| r.get(0))?;
    assert_eq!(id, 10);
    Ok(())
}

#[test]
fn foreign_key_violations_turn_enforcement_off() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE p (id INTEGER PRIMARY KEY);
         CREATE TABLE c (p_id INTEGER REFERENCES p(id));
         INSERT INTO c VALUES (99);",
    )?;
    let sql = dump_of(&conn)?;
    assert_eq!(sql[0], "PRAGMA foreign_keys=OFF;");
    assert_eq!(sql[1], "BEGIN TRANSACTION;");
    assert!(!sql.iter().any(|s| s.contains("defer_foreign_keys")));
    // Restores as it was, violation included, into a connection that
    // enforces foreign keys (ferrolite's default).
    let copy = restore(&sql)?;
    let orphan: i64 = copy.query_row("SELECT p_id FROM c", [], |r| r.get(0))?;
    assert_eq!(orphan, 99);
    Ok(())
}

#[test]
fn foreign_keys_are_deferred_during_the_restore() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE node (id INTEGER PRIMARY KEY, next INTEGER REFERENCES node(id));
         INSERT INTO node VALUES (2, NULL);
         INSERT INTO node VALUES (1, 2);",
    )?;
    let sql = dump_of(&conn)?;
    assert_eq!(sql[1], "PRAGMA defer_foreign_keys=ON;");
    let copy = restore(&sql)?;
    let fk_on: bool = copy.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    assert!(fk_on, "enforcement stays on after the restore");
    let deferred: bool = copy.query_row("PRAGMA defer_foreign_keys", [], |r| r.get(0))?;
    assert!(!deferred, "deferral ended with the transaction");
    assert_same_rows(&conn, &copy, "SELECT * FROM node")?;

    // Without the deferral, row 1 (pointing at row 2) could not be
    // inserted first: show that the test would catch its absence.
    let without: Vec<String> = sql
        .iter()
        .filter(|s| !s.contains("defer_foreign_keys"))
        .cloned()
        .collect();
    let fresh = Connection::open_in_memory()?;
    let err = fresh.execute_batch(&without.join("\n")).unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation)
    );
    Ok(())
}

fn assert_same_rows(a: &Connection, b: &Connection, sql: &str) -> Result<()> {
    assert_eq!(query_all(a, sql)?, query_all(b, sql)?);
    Ok(())
}

#[test]
fn the_dump_is_one_snapshot_and_ends_its_read_transaction() -> Result<()> {
    let (_dir, path) = temp_path("snap.db");
    let conn = Connection::open(&path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE a (x); CREATE TABLE b (x);
         INSERT INTO a VALUES (1); INSERT INTO b VALUES (1);",
    )?;
    let writer = Connection::open(&path)?;
    {
        let mut dump = conn.iterdump();
        assert_eq!(dump.next().unwrap()?, "BEGIN TRANSACTION;");
        assert!(!conn.is_autocommit(), "reading inside a transaction");
        writer.execute("INSERT INTO b VALUES (2)", [])?;
        let rest: Vec<String> = dump.by_ref().collect::<Result<_>>()?;
        assert!(rest.contains(&r#"INSERT INTO "b"(rowid,"x") VALUES(1,1);"#.to_owned()));
        assert!(!rest.iter().any(|s| s.contains("VALUES(2,2)")), "{rest:?}");
        assert!(conn.is_autocommit(), "ended with the iteration");
    }
    // Dropping a dump half way also ends its transaction.
    let mut dump = conn.iterdump();
    dump.next().unwrap()?;
    dump.next().unwrap()?;
    assert!(!conn.is_autocommit());
    drop(dump);
    assert!(conn.is_autocommit());
    // A dump that was never started does nothing.
    drop(conn.iterdump());
    assert!(conn.is_autocommit());
    Ok(())
}

#[test]
fn inside_a_transaction_it_sees_and_keeps_that_transaction() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE t (x); BEGIN; INSERT INTO t VALUES ('uncommitted');")?;
    let sql = dump_of(&conn)?;
    assert!(sql.iter().any(|s| s.contains("'uncommitted'")));
    assert!(!conn.is_autocommit(), "the caller's transaction stays open");
    conn.execute_batch("ROLLBACK")?;
    let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
    assert_eq!(n, 0);
    Ok(())
}

#[test]
fn a_corrupt_page_is_an_error_item_that_ends_the_dump() -> Result<()> {
    let (_dir, path) = temp_path("corrupt.db");
    {
        let conn = Connection::open(&path)?;
        conn.execute_batch(
            "PRAGMA page_size = 1024;
             CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT);",
        )?;
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
             INSERT INTO t (body) SELECT printf('%0300d', i) FROM n",
            [],
        )?;
    }
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 40 * 1024);
    // Scribble over pages in the middle of the table.
    for b in &mut bytes[20 * 1024..30 * 1024] {
        *b = 0xFF;
    }
    std::fs::write(&path, &bytes).unwrap();

    let conn = Connection::open(&path)?;
    let items: Vec<Result<String>> = conn.iterdump().collect();
    let last = items.last().unwrap();
    let err = last.as_ref().unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt),
        "{err}"
    );
    assert!(items[..items.len() - 1].iter().all(|i| i.is_ok()));
    assert!(conn.is_autocommit());

    let mut out = Vec::new();
    let err = conn.dump(&mut out).unwrap_err();
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<ferrolite::Error>());
    assert_eq!(
        inner.and_then(|e| e.sqlite_error_code()),
        Some(ErrorCode::DatabaseCorrupt)
    );
    Ok(())
}

#[test]
fn write_errors_stop_the_dump() -> Result<()> {
    struct Full(usize);
    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 < buf.len() {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let conn = every_kind()?;
    let err = conn.dump(&mut Full(1000)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    assert!(conn.is_autocommit(), "the read transaction ended");
    Ok(())
}

#[test]
fn interrupting_a_dump_is_an_error_item() -> Result<()> {
    let conn = every_kind()?;
    let handle = conn.get_interrupt_handle();
    let mut dump = conn.iterdump();
    // Start streaming the rows of a table, then interrupt.
    loop {
        let s = dump.next().unwrap()?;
        if s.starts_with("INSERT INTO \"vals\"") {
            break;
        }
    }
    handle.interrupt();
    let err = dump.find_map(|i| i.err()).expect("an error item");
    assert!(err.is_interrupted(), "{err}");
    assert!(dump.next().is_none(), "nothing after the error");
    drop(dump);
    assert!(conn.is_autocommit());
    Ok(())
}

#[test]
fn a_large_dump_restores_in_one_batch() -> Result<()> {
    // 50 000 statements in one script: `execute_batch` must parse it in
    // place (SQLite used to be handed, and to copy, the whole remaining
    // script for every statement: quadratic, minutes at this size).
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
         INSERT INTO t SELECT i, printf('row %d; it''s', i) FROM n;",
    )?;
    let mut script = Vec::new();
    conn.dump(&mut script).unwrap();
    let script = String::from_utf8(script).unwrap();
    assert_eq!(script.lines().count(), 50_003);
    let copy = Connection::open_in_memory()?;
    copy.execute_batch(&script)?;
    assert_same_rows(&conn, &copy, "SELECT * FROM t")?;
    Ok(())
}

#[test]
fn external_content_full_text_index_is_rebuilt() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT);
         CREATE VIRTUAL TABLE docs_fts USING fts5(body, content='docs', content_rowid='id');
         CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN
             INSERT INTO docs_fts(rowid, body) VALUES (new.id, new.body);
         END;
         INSERT INTO docs VALUES (3, 'alpha beta'), (7, 'gamma delta');",
    )?;
    let sql = dump_of(&conn)?;
    let copy = restore(&sql)?;
    let find = |c: &Connection, word: &str| -> Result<Vec<i64>> {
        c.prepare("SELECT rowid FROM docs_fts WHERE docs_fts MATCH ?1")?
            .query_map([word], |r| r.get(0))?
            .collect()
    };
    assert_eq!(find(&copy, "gamma")?, [7]);
    assert_eq!(find(&copy, "alpha")?, [3]);
    // The index holds each row once: the trigger was created after the
    // data, so it did not index the rows a second time.
    copy.execute_batch("INSERT INTO docs_fts(docs_fts) VALUES ('integrity-check')")?;
    copy.execute("INSERT INTO docs VALUES (9, 'epsilon')", [])?;
    assert_eq!(find(&copy, "epsilon")?, [9]);
    Ok(())
}
