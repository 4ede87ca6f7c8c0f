//! FTS5 calls an auxiliary function on the thread running the query; its
//! `Fts5Context` can't be used from another thread, even a scoped one.
use ferrolite::Connection;

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    conn.create_fts5_function("elsewhere", |ctx, _args| {
        let n = std::thread::scope(|s| s.spawn(|| ctx.column_count()).join().unwrap());
        Ok(n as i64)
    })
    .unwrap();
}
