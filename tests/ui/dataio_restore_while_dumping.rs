//! A running dump borrows its connection: the database can't be replaced
//! (`restore` takes `&mut Connection`) half way through it.
use ferrolite::Connection;
use ferrolite::backup::NO_PROGRESS;

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    let mut dump = conn.iterdump();
    let _first = dump.next();
    conn.restore("main", "other.db", NO_PROGRESS).unwrap();
    for statement in dump {
        println!("{}", statement.unwrap());
    }
}
