// A Session borrows its connection: it can't outlive it.
use ferrolite::session::Session;
use ferrolite::Connection;

fn main() {
    let session = {
        let conn = Connection::open_in_memory().unwrap();
        Session::new(&conn).unwrap()
    };
    drop(session);
}
