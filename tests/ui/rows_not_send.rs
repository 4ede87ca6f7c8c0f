//! `Rows` can't move to another thread either.
use ferrolite::Connection;

trait MoveToOtherThread {
    fn move_to_other_thread(self);
}
impl<T: Send> MoveToOtherThread for T {
    fn move_to_other_thread(self) {}
}

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("SELECT 1").unwrap();
    let rows = stmt.query([]).unwrap();
    rows.move_to_other_thread();
}
