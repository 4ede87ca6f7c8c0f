//! A statement borrows the pooled connection it was prepared on, so it
//! can't outlive the checkout: the connection can't go back to the pool
//! (and to another thread) while a statement of it is alive.
use ferrolite::pool::Pool;

fn main() {
    let pool = Pool::builder(":memory:").build().unwrap();
    let conn = pool.read().unwrap();
    let stmt = conn.prepare("SELECT 1").unwrap();
    drop(conn);
    drop(stmt);
}
