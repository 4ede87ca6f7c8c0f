//! A `Statement` can't move to another thread: its connection stays behind.
//! (Checked through a method that exists only for `Send` types, so the
//! compiler names `Statement` rather than its private fields.)
use ferrolite::Connection;

trait MoveToOtherThread {
    fn move_to_other_thread(self);
}
impl<T: Send> MoveToOtherThread for T {
    fn move_to_other_thread(self) {}
}

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let stmt = conn.prepare("SELECT 1").unwrap();
    stmt.move_to_other_thread();
}
