//! User-defined scalar functions (Python's `create_function`): a pure
//! function, one with state, one caching a compiled value in auxiliary
//! data, and what happens when a function fails or panics.
//!
//! Run: `cargo run --example udf`

use std::sync::Arc;

use ferrolite::functions::FunctionFlags;
use ferrolite::{Connection, Error, Result};

fn main() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let pure = FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS;

    // md5-like toy hash: deterministic, so SQLite may use it in indexes.
    conn.create_scalar_function("fnv1a", 1, pure, |ctx| {
        let bytes = ctx.get_raw(0).as_bytes_or_null()?.unwrap_or_default();
        let mut h: u64 = 0xcbf29ce484222325;
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
        }
        Ok(format!("{h:016x}"))
    })?;

    // A function with state: FnMut closures may keep counters.
    let mut calls = 0u64;
    conn.create_scalar_function("next_id", 0, FunctionFlags::SQLITE_UTF8, move |_| {
        calls += 1;
        Ok(calls as i64)
    })?;

    // Auxiliary data: the "pattern" argument is parsed once per statement,
    // not once per row.
    conn.create_scalar_function("has_word", 2, pure, |ctx| {
        let words: Arc<Vec<String>> = ctx.get_or_create_aux(0, |v| -> Result<_, Error> {
            Ok(v.as_str()?.split(',').map(str::to_owned).collect())
        })?;
        let text: String = ctx.get(1)?;
        Ok(words
            .iter()
            .any(|w| text.split_whitespace().any(|t| t == w)))
    })?;

    conn.execute_batch(
        "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
         INSERT INTO notes(body) VALUES ('buy milk'), ('call bob'), ('milk the cow'), ('read');",
    )?;

    let mut stmt = conn.prepare(
        "SELECT next_id(), fnv1a(body), body FROM notes WHERE has_word('milk,bob', body)",
    )?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })? {
        let (n, hash, body) = row?;
        println!("#{n} {hash} {body}");
    }

    // Errors come back as the function returned them...
    conn.create_scalar_function("checked_div", 2, pure, |ctx| {
        let (a, b): (i64, i64) = (ctx.get(0)?, ctx.get(1)?);
        a.checked_div(b)
            .ok_or_else(|| Error::UserFunctionError(format!("{a} / {b}: division by zero").into()))
    })?;
    match conn.query_row("SELECT checked_div(7, 0)", [], |r| r.get::<_, i64>(0)) {
        Err(Error::UserFunctionError(e)) => println!("checked_div failed: {e}"),
        other => panic!("unexpected {other:?}"),
    }
    // ...wrong argument types are typed errors...
    let err = conn
        .query_row("SELECT checked_div('x', 1)", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    println!("bad argument: {err}");

    // ...and a panic is caught at the C boundary. (Silence the default
    // panic message for this demonstration.)
    std::panic::set_hook(Box::new(|_| {}));
    conn.create_scalar_function("oops", 0, FunctionFlags::SQLITE_UTF8, |_| -> Result<i64> {
        panic!("bug in a user function")
    })?;
    let err = conn
        .query_row("SELECT oops()", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    println!("panic contained: {err}");
    Ok(())
}
