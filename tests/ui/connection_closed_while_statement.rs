//! The connection can't be closed while a `Statement` borrows it.
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("SELECT 1").unwrap();
    let _ = conn.close();
    let _ = stmt.exists([]);
}
