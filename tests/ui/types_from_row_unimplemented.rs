//! A struct read with `query_row_as` must implement `FromRow`: the error
//! names the ways out (a tuple, serde's `query_deserialize`, implementing
//! `FromRow`).
use ferrolite::Connection;

struct Person {
    _id: i64,
    _name: String,
}

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let _p: Person = conn.query_row_as("SELECT 1, 'ada'", []).unwrap();
}
