//! Arbitrary bytes deserialized as a database, then queried, changed and
//! serialized again. A damaged image must give errors, never a crash.

use ferrolite::{Connection, Error};

use super::{bound, drain, rearm};

/// Runs one input: the first byte picks options, the rest is the image.
pub fn run(data: &[u8]) {
    let Some((&flags, image)) = data.split_first() else {
        return;
    };
    let mut conn = Connection::open_in_memory().unwrap();
    bound(&mut conn);
    if flags & 1 != 0 {
        conn.harden().unwrap();
    }
    let read_only = flags & 2 != 0;
    if conn.deserialize_copy("main", image, read_only).is_err() {
        // A refused image leaves the connection empty and working.
        let n: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        return;
    }
    rearm(&mut conn);
    query_everything(&mut conn);
    if !read_only && flags & 4 != 0 {
        rearm(&mut conn);
        let _ = conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS fuzz_extra (x);
             INSERT INTO fuzz_extra VALUES (zeroblob(3000)), ('text');
             DELETE FROM fuzz_extra WHERE rowid % 2 = 0;",
        );
        rearm(&mut conn);
        let _ = conn.execute_batch("VACUUM");
    }
    rearm(&mut conn);
    if let Ok(copy) = conn.serialize_to_vec("main") {
        // What we got back loads again.
        let mut other = Connection::open_in_memory().unwrap();
        bound(&mut other);
        if other.deserialize_copy("main", &copy, true).is_ok() {
            rearm(&mut other);
            let _ = other.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0));
        }
    }
    rearm(&mut conn);
    let v: i64 = conn.query_row("SELECT 7", [], |r| r.get(0)).unwrap();
    assert_eq!(v, 7);
}

fn query_everything(conn: &mut Connection) {
    let names: Vec<(String, String)> = match conn.prepare("SELECT type, name FROM sqlite_schema") {
        Ok(mut stmt) => match stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))) {
            Ok(rows) => rows.take(32).filter_map(Result::ok).collect(),
            Err(_) => return,
        },
        Err(e) => {
            assert!(e.sqlite_error().is_some() || matches!(e, Error::SqlInputError { .. }));
            return;
        }
    };
    for (kind, name) in names {
        if kind != "table" && kind != "view" {
            continue;
        }
        rearm(conn);
        let sql = format!("SELECT * FROM \"{}\"", name.replace('"', "\"\""));
        if let Ok(mut stmt) = conn.prepare(&sql) {
            let _ = drain(&mut stmt, 64);
        }
        rearm(conn);
        let sql = format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\""));
        let _ = conn.query_row(&sql, [], |r| r.get::<_, i64>(0));
    }
    for pragma in [
        "PRAGMA integrity_check",
        "PRAGMA foreign_key_check",
        "PRAGMA page_count",
    ] {
        rearm(conn);
        if let Ok(mut stmt) = conn.prepare(pragma) {
            let _ = drain(&mut stmt, 64);
        }
    }
    rearm(conn);
    let mut out = Vec::new();
    let _ = conn.dump(&mut out);
}
