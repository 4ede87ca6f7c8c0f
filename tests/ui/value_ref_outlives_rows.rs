//! A `&str` read from a row can't outlive the `Rows` it came from.
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("SELECT 'a'").unwrap();
    let name: &str;
    {
        let mut rows = stmt.query([]).unwrap();
        name = rows.next().unwrap().unwrap().get_ref(0).unwrap().as_str().unwrap();
    }
    println!("{name}");
}
