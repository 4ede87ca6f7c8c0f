//! A `ValueRef` borrowed from a row points into SQLite's row buffer: it
//! can't be used after `Rows` steps again.
use ferrolite::Connection;
use ferrolite::types::ValueRef;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("SELECT 'a' UNION ALL SELECT 'b'").unwrap();
    let mut rows = stmt.query([]).unwrap();
    let text: ValueRef<'_> = rows.next().unwrap().unwrap().get_ref(0).unwrap();
    rows.next().unwrap();
    println!("{:?}", text.as_str());
}
