//! A `Statement` can't escape the function that owns its `Connection`.
use ferrolite::{Connection, Statement};

fn prepare_in_fresh_db() -> Statement<'static> {
    let conn = Connection::open_in_memory().unwrap();
    conn.prepare("SELECT 1").unwrap()
}

fn main() {
    drop(prepare_in_fresh_db());
}
