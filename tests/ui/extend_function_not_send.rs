//! A `Connection` may move to another thread, taking its functions along:
//! a closure holding an `Rc` (not `Send`) is refused.
use std::rc::Rc;

use ferrolite::Connection;
use ferrolite::functions::FunctionFlags;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let shared = Rc::new(5i64);
    conn.create_scalar_function("five", 0, FunctionFlags::default(), move |_| Ok(*shared))
        .unwrap();
}
