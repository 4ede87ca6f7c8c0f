//! `Connection` is not `Sync`: two threads can't use one connection at once
//! (the compile-time form of Python's `check_same_thread`).
//!
//! The check goes through a method that exists only for `Sync` types, so
//! the compiler names `Connection` itself rather than listing every private
//! field that makes it `!Sync` (a list that changes whenever one is added).
use ferrolite::Connection;

trait ShareWithOtherThreads {
    fn share_with_other_threads(&self) {}
}
impl<T: Sync> ShareWithOtherThreads for T {}

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    conn.share_with_other_threads();
}
