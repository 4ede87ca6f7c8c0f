//! Calls written for rusqlite, old and new, compile: a bare `None` for
//! backup progress, `Some("main")` as a pragma schema, `MAIN_DB` as the
//! `&CStr` rusqlite makes it, and the deprecated
//! `DatabaseName` wherever a `Name` is taken.
#![allow(deprecated)]
use ferrolite::{Connection, DatabaseName, MAIN_DB, TEMP_DB};

const _: &std::ffi::CStr = TEMP_DB;

fn main() {
    let dir = std::env::temp_dir().join(format!("ferrolite-ui-pass-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)").unwrap();

    conn.backup(MAIN_DB, dir.join("a.db"), None).unwrap();
    conn.backup(DatabaseName::Main, dir.join("b.db"), None).unwrap();
    conn.backup("main", dir.join("c.db"), Some(|p: ferrolite::backup::Progress| {
        assert!(p.remaining <= p.pagecount);
    }))
    .unwrap();

    conn.pragma_update(Some("main"), "user_version", 1).unwrap();
    let main: &std::ffi::CStr = MAIN_DB;
    assert_eq!(main, c"main");
    conn.pragma_update(None, "user_version", 2).unwrap();
    let v: i64 = conn.pragma_query_value(Some("main"), "user_version", |r| r.get(0)).unwrap();
    assert_eq!(v, 2);
    let _: i64 = conn.pragma_query_one(Some("temp"), "page_size").unwrap();

    let mut copy = Connection::open_in_memory().unwrap();
    copy.restore(DatabaseName::Main, dir.join("a.db"), None).unwrap();
    let n: i64 = copy.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
