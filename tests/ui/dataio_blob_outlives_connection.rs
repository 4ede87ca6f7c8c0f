//! A `Blob` borrows its `Connection`: it can't outlive it (no BLOB handle
//! on a closed connection).
use ferrolite::{Connection, MAIN_DB};

fn main() {
    let blob;
    {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (b); INSERT INTO t VALUES (x'00')").unwrap();
        blob = conn.blob_open(MAIN_DB, "t", "b", 1, true).unwrap();
    }
    drop(blob);
}
