//! A statement can't be re-run (or re-bound) while its `Rows` are alive.
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("SELECT ?1").unwrap();
    let mut rows = stmt.query([1]).unwrap();
    stmt.execute([2]).unwrap();
    let _ = rows.next();
}
