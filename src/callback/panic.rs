//! The whole panic policy of ferrolite, in one leaf module.
//!
//! A panic must never unwind into SQLite's C frames. Every C→Rust entry
//! point runs its Rust code inside [`catch_panic`] and turns a caught panic
//! into what C expects: an error code ([`catch_panic_or`]), an error message
//! for SQLite ([`panic_message`]), or an `Error::UnwindingPanic` recorded
//! for the Rust caller (`Stash::record_panic`, in `error_stash`, which
//! builds on this module). A payload is then dropped with
//! [`drop_payload`], because a payload's own `Drop` may panic again.
//!
//! This module imports nothing from the crate.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`, turning a panic into `Err(payload)`.
#[inline]
pub(crate) fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, Box<dyn Any + Send>> {
    catch_unwind(AssertUnwindSafe(f))
}

/// Runs `f`; if it panics, drops the payload safely and returns
/// `on_panic` (for C callbacks that can only answer with a code).
#[inline]
pub(crate) fn catch_panic_or<R>(on_panic: R, f: impl FnOnce() -> R) -> R {
    catch_panic(f).unwrap_or_else(|payload| {
        drop_payload(payload);
        on_panic
    })
}

/// The text of a panic payload, for the error message SQLite shows.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let detail = if let Some(s) = payload.downcast_ref::<&str>() {
        *s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        ""
    };
    if detail.is_empty() {
        "a Rust callback panicked".to_owned()
    } else {
        format!("a Rust callback panicked: {detail}")
    }
}

/// Drops a panic payload, whose own `Drop` may panic.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_panic(move || drop(payload)) {
        // A payload whose drop panics twice is leaked rather than unwound.
        std::mem::forget(again);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_payload() {
        let p = catch_panic(|| panic!("boom")).unwrap_err();
        assert_eq!(panic_message(&*p), "a Rust callback panicked: boom");
        let p = catch_panic(|| std::panic::panic_any(7_u8)).unwrap_err();
        assert_eq!(panic_message(&*p), "a Rust callback panicked");
    }

    #[test]
    fn catch_panic_or_answers_the_fallback() {
        assert_eq!(catch_panic_or(-1, || 3), 3);
        assert_eq!(catch_panic_or(-1, || -> i32 { panic!("x") }), -1);
    }
}
