//! A user function lives in SQLite until it is removed or the connection
//! closes, so it must be `'static`: it can't borrow a local that dies first.
use ferrolite::Connection;
use ferrolite::functions::FunctionFlags;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    {
        let greeting = String::from("hello");
        conn.create_scalar_function("greet", 0, FunctionFlags::default(), |_| {
            Ok(greeting.clone())
        })
        .unwrap();
    }
    let _: String = conn.query_row("SELECT greet()", [], |r| r.get(0)).unwrap();
}
