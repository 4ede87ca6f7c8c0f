//! SQLite forbids using the destination of a running backup: `Backup`
//! borrows it mutably until dropped.
use ferrolite::Connection;
use ferrolite::backup::Backup;

fn main() {
    let src = Connection::open_in_memory().unwrap();
    let mut dst = Connection::open_in_memory().unwrap();
    let backup = Backup::new(&src, &mut dst).unwrap();
    dst.execute_batch("CREATE TABLE t (x)").unwrap();
    backup.step(-1).unwrap();
}
