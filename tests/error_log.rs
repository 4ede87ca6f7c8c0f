//! SQLite's process-wide error log (`trace::config_log`): its own test
//! binary, because it must be configured before SQLite initialises.

use std::ffi::c_int;
use std::sync::Mutex;

use ferrolite::{Connection, ffi, trace};

static LOG: Mutex<Vec<(c_int, String)>> = Mutex::new(Vec::new());

fn record(code: c_int, msg: &str) {
    LOG.lock().unwrap().push((code, msg.to_owned()));
    if msg.contains("panic please") {
        panic!("log callback panicked");
    }
}

#[test]
fn error_log_receives_sqlite_and_user_messages() {
    // SAFETY: the only test of this binary; nothing else uses SQLite yet.
    unsafe { trace::config_log(Some(record)) }.unwrap();

    trace::log(ffi::SQLITE_NOTICE, "hello from the test");
    trace::log(ffi::SQLITE_WARNING, "cut\0here");
    // A panic in the log callback is caught; nothing unwinds into SQLite.
    trace::log(ffi::SQLITE_NOTICE, "panic please");

    let conn = Connection::open_in_memory().unwrap();
    assert!(conn.prepare("SELEC oops").is_err());

    {
        let log = LOG.lock().unwrap();
        assert!(log.contains(&(ffi::SQLITE_NOTICE, "hello from the test".to_owned())));
        assert!(log.contains(&(ffi::SQLITE_WARNING, "cut".to_owned())));
        assert!(
            log.iter()
                .any(|(code, msg)| *code == ffi::SQLITE_ERROR && msg.contains("syntax error")),
            "{log:?}"
        );
    }

    // SQLite 3.54 lets the log be changed at any time: turn it off...
    // SAFETY: single-threaded test.
    unsafe { trace::config_log(None) }.unwrap();
    trace::log(ffi::SQLITE_NOTICE, "nobody listens");
    assert!(
        !LOG.lock()
            .unwrap()
            .iter()
            .any(|(_, m)| m == "nobody listens")
    );
    // ...and on again.
    // SAFETY: as above.
    unsafe { trace::config_log(Some(record)) }.unwrap();
    trace::log(ffi::SQLITE_NOTICE, "back again");
    assert!(LOG.lock().unwrap().iter().any(|(_, m)| m == "back again"));
    drop(conn);
}
