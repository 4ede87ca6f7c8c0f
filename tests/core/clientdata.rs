//! `Connection::set_clientdata` / `get_clientdata`: values dropped exactly
//! once, and a wrong type or foreign data is an error, never a
//! reinterpreted pointer.

use std::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ferrolite::{Connection, Error, ErrorCode, Result, ffi};

/// Counts its drops.
struct Counted(Arc<AtomicUsize>, u32);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn drops(c: &Arc<AtomicUsize>) -> usize {
    c.load(Ordering::SeqCst)
}

fn assert_misuse(err: &Error, needle: &str) {
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse), "{err}");
    assert!(err.to_string().contains(needle), "{err}");
}

/// rusqlite's own test, unchanged but for the crate name.
#[test]
fn rusqlite_client_data() -> Result<()> {
    let db = Connection::open_in_memory()?;
    let name = c"my_data";
    {
        // SAFETY: no reference from `get_clientdata` is used after its name is set again.
        unsafe { db.set_clientdata(name, None::<c_void>)? };
    }
    {
        let data = "my_value".to_owned();
        // SAFETY: no reference from `get_clientdata` is used after its name is set again.
        unsafe { db.set_clientdata(name, Some(data))? };
    }
    {
        // SAFETY: no reference from `get_clientdata` is used after its name is set again.
        if let Some(data) = unsafe { db.get_clientdata::<String, _>(name) }? {
            assert_eq!(*data, "my_value");
        } else {
            panic!("no data");
        }
    }
    Ok(())
}

#[test]
fn set_get_replace_remove_drop_exactly_once() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let (first, second) = (counter(), counter());
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert!(unsafe { conn.get_clientdata::<Counted, _>("k") }?.is_none());

    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let p = unsafe { conn.set_clientdata("k", Some(Counted(first.clone(), 1)))? };
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let got = unsafe { conn.get_clientdata::<Counted, _>("k") }?.expect("set");
    assert_eq!(got.1, 1);
    assert!(
        std::ptr::eq(p, got),
        "set_clientdata returns the stored value"
    );
    assert_eq!(drops(&first), 0);

    // Names are case-sensitive, as in SQLite.
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert!(unsafe { conn.get_clientdata::<Counted, _>("K") }?.is_none());

    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    unsafe { conn.set_clientdata("k", Some(Counted(second.clone(), 2)))? };
    assert_eq!(drops(&first), 1, "the replaced value is dropped");
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let got = unsafe { conn.get_clientdata::<Counted, _>(c"k") }?.expect("set");
    assert_eq!(got.1, 2);

    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let p = unsafe { conn.set_clientdata("k", None::<Counted>)? };
    assert!(p.is_null());
    assert_eq!(drops(&second), 1, "the removed value is dropped");
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert!(unsafe { conn.get_clientdata::<Counted, _>("k") }?.is_none());
    // Removing again is fine.
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    unsafe { conn.set_clientdata("k", None::<Counted>)? };

    drop(conn);
    assert_eq!((drops(&first), drops(&second)), (1, 1), "never twice");
    Ok(())
}

#[test]
fn values_are_dropped_once_at_close() -> Result<()> {
    let (a, b, c) = (counter(), counter(), counter());
    let conn = Connection::open_in_memory()?;
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    unsafe {
        conn.set_clientdata("a", Some(Counted(a.clone(), 0)))?;
        conn.set_clientdata("b", Some(Counted(b.clone(), 0)))?;
    }
    conn.close().map_err(|(_, e)| e)?;
    assert_eq!((drops(&a), drops(&b)), (1, 1));

    // Dropped without `close`, on another thread.
    let conn = Connection::open_in_memory()?;
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    unsafe { conn.set_clientdata("c", Some(Counted(c.clone(), 0)))? };
    std::thread::spawn(move || drop(conn)).join().unwrap();
    assert_eq!(drops(&c), 1);
    Ok(())
}

#[test]
fn wrong_type_is_an_error() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    unsafe { conn.set_clientdata("s", Some(String::from("text")))? };
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let err = unsafe { conn.get_clientdata::<u64, _>("s") }.unwrap_err();
    assert_misuse(&err, "u64");
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let err = unsafe { conn.get_clientdata::<Vec<u8>, _>("s") }.unwrap_err();
    assert_misuse(&err, "\"s\"");
    // Still there, with its own type.
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let s = unsafe { conn.get_clientdata::<String, _>("s") }?;
    assert_eq!(s.map(String::as_str), Some("text"));

    // Zero-sized types keep distinct identities.
    struct A;
    struct B;
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    unsafe {
        conn.set_clientdata("a", Some(A))?;
        conn.set_clientdata("b", Some(B))?;
    }
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert!(unsafe { conn.get_clientdata::<A, _>("a") }?.is_some());
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert!(unsafe { conn.get_clientdata::<B, _>("b") }?.is_some());
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert!(unsafe { conn.get_clientdata::<A, _>("b") }.is_err());
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert!(unsafe { conn.get_clientdata::<B, _>("a") }.is_err());
    Ok(())
}

#[test]
fn data_set_by_c_code_is_never_reinterpreted() -> Result<()> {
    static FOREIGN: [u8; 1] = [7];
    let conn = Connection::open_in_memory()?;
    // SAFETY: live handle; static data, no destructor.
    let rc = unsafe {
        ffi::sqlite3_set_clientdata(
            conn.handle(),
            c"ext".as_ptr(),
            FOREIGN.as_ptr().cast_mut().cast(),
            None,
        )
    };
    assert_eq!(rc, ffi::SQLITE_OK);
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let err = unsafe { conn.get_clientdata::<String, _>("ext") }.unwrap_err();
    assert_misuse(&err, "not a");
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let err = unsafe { conn.get_clientdata::<[u8; 1], _>("ext") }.unwrap_err();
    assert_misuse(&err, "not a");
    // Replacing foreign data with ours works.
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    unsafe { conn.set_clientdata("ext", Some(5u8))? };
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert_eq!(unsafe { conn.get_clientdata::<u8, _>("ext") }?, Some(&5));
    Ok(())
}

#[test]
fn ferrolites_own_names_are_reserved() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let err = unsafe { conn.set_clientdata("ferrolite.stash", Some(1u32)) }.unwrap_err();
    assert_misuse(&err, "reserved");
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    let err = unsafe { conn.set_clientdata("ferrolite.stash", None::<u32>) }.unwrap_err();
    assert_misuse(&err, "reserved");
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert!(unsafe { conn.set_clientdata("ferrolite.other", Some(1u32)) }.is_err());
    // Reading ferrolite's own data as any type is refused too.
    conn.create_scalar_function(
        "fail",
        0,
        ferrolite::functions::FunctionFlags::SQLITE_UTF8,
        |_| -> Result<i64> { Err(Error::UserFunctionError("boom".into())) },
    )?;
    let err = conn
        .query_row("SELECT fail()", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e) if e.to_string() == "boom"),
        "{err:?}"
    );
    // SAFETY: live handle from `handle()`; NUL-terminated name.
    if unsafe { ffi::sqlite3_get_clientdata(conn.handle(), c"ferrolite.callbacks".as_ptr()) }
        .is_null()
    {
        panic!("the callback state is client data");
    }
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert!(unsafe { conn.get_clientdata::<u32, _>("ferrolite.callbacks") }.is_err());
    // Errors still reach the caller: the callback state was not replaced.
    let err = conn
        .query_row("SELECT fail()", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e) if e.to_string() == "boom"),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn bad_names_and_panicking_drops() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    assert!(matches!(
        // SAFETY: no reference from `get_clientdata` is used after its name is set again.
        unsafe { conn.set_clientdata("a\0b", Some(1u8)) },
        Err(Error::NulError(_))
    ));
    assert!(matches!(
        // SAFETY: no reference from `get_clientdata` is used after its name is set again.
        unsafe { conn.get_clientdata::<u8, _>("a\0b") },
        Err(Error::NulError(_))
    ));

    struct Panics;
    impl Drop for Panics {
        fn drop(&mut self) {
            panic!("drop panicked");
        }
    }
    // The destructor SQLite calls catches the panic: no unwinding into C.
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    unsafe { conn.set_clientdata("p", Some(Panics))? };
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    unsafe { conn.set_clientdata("p", Some(1u8))? };
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    assert_eq!(unsafe { conn.get_clientdata::<u8, _>("p") }?, Some(&1));
    // SAFETY: no reference from `get_clientdata` is used after its name is set again.
    unsafe { conn.set_clientdata("q", Some(Panics))? };
    conn.close().map_err(|(_, e)| e)?;
    Ok(())
}
