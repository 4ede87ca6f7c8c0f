//! Hook closures must be `Send`: the connection (and its hooks) may move
//! to another thread.
use std::rc::Rc;

use ferrolite::Connection;
use ferrolite::trace::{TraceEvent, TraceEventCodes};

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    let log = Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = log.clone();
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_STMT,
        Some(move |e: TraceEvent<'_>| {
            if let TraceEvent::Stmt(_, sql) = e {
                sink.borrow_mut().push(sql.to_owned());
            }
        }),
    )
    .unwrap();
}
