//! `transaction()` borrows the connection mutably: a second one can't start
//! while the first is open (use `tx.savepoint()` to nest).
use ferrolite::Connection;

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    let tx = conn.transaction().unwrap();
    let tx2 = conn.transaction().unwrap();
    tx2.commit().unwrap();
    tx.commit().unwrap();
}
