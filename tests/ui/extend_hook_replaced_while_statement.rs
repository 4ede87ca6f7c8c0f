//! Hook registrars take `&mut Connection`, so no hook can be replaced or
//! cleared while a statement (which may be running it) borrows the
//! connection: the use-after-free of replacing a running hook can't happen.
use ferrolite::Connection;

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.commit_hook(Some(|| false)).unwrap();
    let mut stmt = conn.prepare("SELECT 1").unwrap();
    let mut rows = stmt.query([]).unwrap();
    conn.commit_hook(None::<fn() -> bool>).unwrap();
    rows.next().unwrap();
}
