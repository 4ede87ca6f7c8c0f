//! `deserialize` replaces the database, so it takes `&mut Connection`: not
//! while a `Blob` (or a statement) still reads the old one.
use ferrolite::{Connection, MAIN_DB};

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (b); INSERT INTO t VALUES (x'00')").unwrap();
    let blob = conn.blob_open(MAIN_DB, "t", "b", 1, true).unwrap();
    conn.deserialize_copy(MAIN_DB, &[], false).unwrap();
    drop(blob);
}
