//! What may cross threads does: `Connection` is `Send`, `InterruptHandle`
//! is `Send + Sync + Clone + 'static`.
use ferrolite::{Connection, InterruptHandle};

fn assert_send<T: Send>() {}
fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}

fn main() {
    assert_send::<Connection>();
    assert_send_sync::<InterruptHandle>();

    let conn = Connection::open_in_memory().unwrap();
    let handle = conn.get_interrupt_handle();
    let shared = &handle;
    std::thread::scope(|s| {
        s.spawn(move || shared.interrupt());
    });
    // The connection moves to another thread and is used there.
    let n: i64 = std::thread::spawn(move || conn.query_row("SELECT 41 + 1", [], |r| r.get(0)))
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(n, 42);
    // The connection is gone; the handle is a safe no-op.
    assert!(handle.is_closed());
    handle.interrupt();
}
