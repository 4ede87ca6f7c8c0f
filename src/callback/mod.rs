//! Plumbing shared by every C→Rust callback. The trampolines themselves
//! live beside their feature (`extend::functions`, `extend::hooks`,
//! `interrupt::watchdog`, ...); each one is written the same way: read its
//! C arguments, enter the [`boxed::CallbackBox`] SQLite handed back, run the
//! user's closure inside [`panic::catch_panic`], then finish (give SQLite a
//! result code or value, and record a Rust error in the connection's
//! [`error_stash::Stash`]).
//!
//! * [`panic`]: the whole panic policy (a leaf: imports nothing from the
//!   crate);
//! * [`error_stash`]: errors and panics of callbacks carried back to the
//!   step or prepare that ran them;
//! * [`boxed`]: the boxes SQLite's `void*` user data point to, with their
//!   call counts and deferred drop.
//!
//! This layer imports only `ffi`, `raw` and `error`, never `Connection` or
//! a feature (`.ci/run` checks it).

pub(crate) mod boxed;
pub(crate) mod error_stash;
pub(crate) mod panic;
