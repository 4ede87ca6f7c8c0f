// The connection can't be closed (or moved) while a Session records on it.
use ferrolite::session::Session;
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let mut session = Session::new(&conn).unwrap();
    conn.close().unwrap();
    session.attach::<&str>(None).unwrap();
}
