//! A `Blob` can't move to another thread: its connection stays behind.
use ferrolite::{Connection, MAIN_DB};

trait MoveToOtherThread {
    fn move_to_other_thread(self);
}
impl<T: Send> MoveToOtherThread for T {
    fn move_to_other_thread(self) {}
}

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (b); INSERT INTO t VALUES (x'00')").unwrap();
    let blob = conn.blob_open(MAIN_DB, "t", "b", 1, true).unwrap();
    blob.move_to_other_thread();
}
