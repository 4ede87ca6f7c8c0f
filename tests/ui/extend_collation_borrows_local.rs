//! A collation must be `'static` as well.
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let order = vec!["b".to_owned(), "a".to_owned()];
    conn.create_collation("custom", |a: &str, b: &str| {
        let pos = |s: &str| order.iter().position(|o| o == s);
        pos(a).cmp(&pos(b))
    })
    .unwrap();
    drop(order);
}
