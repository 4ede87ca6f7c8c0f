//! A bare value is not a parameter list: the error lists the forms that
//! are (`[]`, `params![..]`, a tuple, `named_params! {..}`, `[x]`).
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute("CREATE TABLE t (x)", []).unwrap();
    conn.execute("INSERT INTO t VALUES (?1)", 5).unwrap();
}
