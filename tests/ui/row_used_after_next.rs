//! A `Row` borrows `Rows`: it can't be used after the next `next()`.
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("SELECT 1 UNION ALL SELECT 2").unwrap();
    let mut rows = stmt.query([]).unwrap();
    let first = rows.next().unwrap().unwrap();
    let _second = rows.next().unwrap();
    let _: i64 = first.get(0).unwrap();
}
