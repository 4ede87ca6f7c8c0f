//! `row.get::<_, T>` needs `T: FromSql`: the error says to implement it,
//! to use `Option<T>` for NULL, and how to read a whole row instead.
use ferrolite::Connection;

struct Money(i64);

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let _m: Money = conn.query_row("SELECT 1", [], |r| r.get(0)).unwrap();
}
