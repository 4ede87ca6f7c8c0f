//! The one place C calls into Rust: trampolines, panic containment, and the
//! boxes holding registered closures.
//!
//! Every trampoline runs user code inside [`catch_panic`], so a panic never
//! unwinds into C. Closures are boxed and owned here (in
//! [`Callbacks`], a field of `Connection`); SQLite gets a raw pointer to the
//! box. Registrars that SQLite may call while a statement runs take
//! `&mut Connection`, so a closure can't be replaced while it executes, and
//! the boxes are dropped only after the handle is closed or the callback is
//! unregistered.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::{Connection, Result};

/// Runs `f`, turning a panic into `Err(payload)`.
#[inline]
pub(crate) fn catch_panic<R>(f: impl FnOnce() -> R) -> std::result::Result<R, Box<dyn Any + Send>> {
    catch_unwind(AssertUnwindSafe(f))
}

/// Closures registered on one connection.
#[derive(Default)]
pub(crate) struct Callbacks {
    /// Errors and panics of callbacks, waiting for the step that ran them
    /// (shared by every `Connection` wrapping the same handle).
    pub(crate) stash: std::sync::Arc<crate::stash::Stash>,
    /// Deadlines, cancel scopes, and the progress and busy handlers (boxed:
    /// SQLite holds a pointer to it).
    pub(crate) watchdog: Box<crate::watchdog::Watchdog>,
    /// `authorizer`, `commit_hook`, `rollback_hook`, `update_hook`,
    /// `wal_hook` and `trace_v2` closures (see `hooks.rs`, `trace.rs`).
    pub(crate) authorizer: Option<crate::trampoline::HookSlot>,
    pub(crate) commit_hook: Option<crate::trampoline::HookSlot>,
    pub(crate) rollback_hook: Option<crate::trampoline::HookSlot>,
    pub(crate) update_hook: Option<crate::trampoline::HookSlot>,
    pub(crate) wal_hook: Option<crate::trampoline::HookSlot>,
    pub(crate) trace: Option<crate::trampoline::HookSlot>,
}

/// Work done on every new connection.
pub(crate) fn on_open(conn: &Connection) -> Result<()> {
    crate::load_extension_guard::disable_at_open(conn)?;
    crate::series::register(conn)?;
    Ok(())
}
