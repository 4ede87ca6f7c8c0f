//! The text `Fts5Context::column_text` returns is owned by FTS5's cursor
//! and changes with the row: an auxiliary function can't return it (or
//! anything borrowed from its context), only an owned copy.
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    conn.create_fts5_function("first_col", |ctx, _args| ctx.column_text(0))
        .unwrap();
}
