// A Session is tied to the thread using its connection.
use ferrolite::session::Session;
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let session = Session::new(&conn).unwrap();
    std::thread::scope(|s| {
        s.spawn(move || drop(session));
    });
}
