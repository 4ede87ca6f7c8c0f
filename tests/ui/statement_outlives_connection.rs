//! A `Statement` borrows its `Connection`: it can't outlive it.
use ferrolite::Connection;

fn main() {
    let stmt;
    {
        let conn = Connection::open_in_memory().unwrap();
        stmt = conn.prepare("SELECT 1").unwrap();
    }
    drop(stmt);
}
