//! An `Fts5Context` is valid only during the call of the auxiliary
//! function that received it: it can't be kept for later.
use std::cell::Cell;

use ferrolite::Connection;
use ferrolite::fts5::Fts5Context;

thread_local! {
    static KEPT: Cell<Option<&'static Fts5Context<'static>>> = const { Cell::new(None) };
}

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    conn.create_fts5_function("keep", |ctx, _args| {
        KEPT.with(|k| k.set(Some(ctx)));
        Ok(0)
    })
    .unwrap();
}
