//! A `PooledConnection` is not `Sync`, like the `Connection` inside it: a
//! checked-out connection is used by one thread at a time (it is `Send`, so
//! it may move to another thread). `Pool` itself is `Send + Sync`
//! (tests/pool.rs asserts that).
use ferrolite::pool::Pool;

trait ShareWithOtherThreads {
    fn share_with_other_threads(&self) {}
}
impl<T: Sync> ShareWithOtherThreads for T {}

fn main() {
    let pool = Pool::builder(":memory:").build().unwrap();
    let conn = pool.read().unwrap();
    conn.share_with_other_threads();
}
