//! A parameter must implement `ToSql`: the error says to implement it (or
//! convert to a type that does) and what `Option<T>` binds.
use ferrolite::{Connection, params};

struct Money(i64);

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute("CREATE TABLE t (x)", []).unwrap();
    conn.execute("INSERT INTO t VALUES (?1)", params![Money(5)]).unwrap();
}
