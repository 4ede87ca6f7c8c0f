//! Hooks are kept by the connection: they can't borrow shorter-lived data.
use ferrolite::Connection;
use ferrolite::hooks::Action;

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    let mut changes = Vec::new();
    conn.update_hook(Some(|_: Action, _: &str, table: &str, _: i64| {
        changes.push(table.to_owned());
    }))
    .unwrap();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1)").unwrap();
    println!("{changes:?}");
}
