// The hook is 'static: it can't borrow a local (as rusqlite's compile_fail
// doctest).
use ferrolite::hooks::{Action, PreUpdateCase};
use ferrolite::Connection;

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    let called = std::sync::atomic::AtomicBool::new(false);
    conn.preupdate_hook(Some(|_: Action, _: &str, _: &str, _: &PreUpdateCase| {
        called.store(true, std::sync::atomic::Ordering::Relaxed);
    }))
    .unwrap();
    conn.execute_batch("CREATE TABLE foo AS SELECT 1 AS bar").unwrap();
}
