//! A connection must not open once SQLite has been configured for
//! single-threaded use at run time: `Connection` is `Send`, and SQLite's
//! single-thread mode has no mutexes at all.
//!
//! Its own test binary: `sqlite3_config` changes the whole process, and
//! only works before SQLite is initialized.

mod common;
use crate::common::temp_path;

use ferrolite::{Connection, Error, OpenFlags, ffi};

#[test]
fn opening_is_refused_after_sqlite_config_singlethread() {
    // SAFETY: nothing else in this process has used SQLite yet (this is the
    // binary's only test), so configuring it is allowed and not racy.
    let rc = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_SINGLETHREAD) };
    assert_eq!(rc, ffi::SQLITE_OK);
    // SAFETY: as above.
    assert_eq!(unsafe { ffi::sqlite3_initialize() }, ffi::SQLITE_OK);

    let err = Connection::open_in_memory().unwrap_err();
    assert_eq!(err, Error::SqliteSingleThreadedMode);
    assert_eq!(
        err.to_string(),
        "SQLite was compiled or configured for single-threaded use only"
    );

    let (_dir, path) = temp_path("st.db");
    assert_eq!(
        Connection::open(&path).unwrap_err(),
        Error::SqliteSingleThreadedMode
    );
    // Refused before SQLite touched the file.
    assert!(!path.exists());
    for flags in [
        OpenFlags::default(),
        (OpenFlags::default() - OpenFlags::SQLITE_OPEN_NO_MUTEX)
            | OpenFlags::SQLITE_OPEN_FULL_MUTEX,
    ] {
        assert_eq!(
            Connection::open_with_flags(&path, flags).unwrap_err(),
            Error::SqliteSingleThreadedMode
        );
        assert_eq!(
            Connection::open_in_memory_with_flags(flags).unwrap_err(),
            Error::SqliteSingleThreadedMode
        );
    }
    assert_eq!(
        Connection::open_with_flags_and_vfs(&path, OpenFlags::default(), "unix").unwrap_err(),
        Error::SqliteSingleThreadedMode
    );
    assert_eq!(
        Connection::open_in_memory_with_flags_and_vfs(OpenFlags::default(), "unix").unwrap_err(),
        Error::SqliteSingleThreadedMode
    );
}
