//! The connection can't be closed or moved while a `Transaction` borrows it.
use ferrolite::Connection;

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    let tx = conn.transaction().unwrap();
    let _ = conn.close();
    tx.commit().unwrap();
}
