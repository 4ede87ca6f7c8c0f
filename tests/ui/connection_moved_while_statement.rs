//! The connection can't be moved (here: to another thread) while a
//! `Statement` borrows it.
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("SELECT 1").unwrap();
    let t = std::thread::spawn(move || drop(conn));
    let _ = stmt.exists([]);
    t.join().unwrap();
}
