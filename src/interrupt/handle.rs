//! [`InterruptHandle`]: stop a connection's running statement from any thread.

use std::fmt;
use std::sync::Arc;

use crate::raw::InterruptCell;

/// Interrupts the connection it came from
/// ([`Connection::get_interrupt_handle`](crate::Connection::get_interrupt_handle)).
///
/// `Send + Sync + Clone + 'static`: keep it in another thread, a timer or a
/// signal handler thread. Calling [`interrupt`](Self::interrupt) after the
/// connection was closed or dropped does nothing: the handle and the
/// connection share a lock-protected pointer that closing clears *before*
/// `sqlite3_close` runs, so `sqlite3_interrupt` never sees a closing or
/// freed connection.
///
/// ```
/// use ferrolite::Connection;
/// let conn = Connection::open_in_memory()?;
/// let handle = conn.get_interrupt_handle();
/// let t = std::thread::spawn(move || handle.interrupt());
/// t.join().unwrap();
/// // A pending interrupt aborts the next statement that starts while it is
/// // set; SQLite clears it once no statement is running.
/// drop(conn);
/// # Ok::<(), ferrolite::Error>(())
/// ```
#[derive(Clone)]
pub struct InterruptHandle {
    cell: Arc<InterruptCell>,
}

impl InterruptHandle {
    pub(crate) fn new(cell: Arc<InterruptCell>) -> InterruptHandle {
        InterruptHandle { cell }
    }

    /// Aborts whatever runs on the connection now: the running statement
    /// fails with an error for which
    /// [`Error::is_interrupted`](crate::Error::is_interrupted) is true. A
    /// safe no-op once the connection is closed.
    #[doc(alias = "sqlite3_interrupt")]
    pub fn interrupt(&self) {
        self.cell.interrupt();
    }

    /// True while an interrupt is pending on the connection
    /// (`sqlite3_is_interrupted`); false once it is closed.
    pub fn is_interrupted(&self) -> bool {
        self.cell.is_interrupted()
    }

    /// True once the connection is closed (interrupts then do nothing).
    pub fn is_closed(&self) -> bool {
        self.cell.is_closed()
    }
}

impl fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptHandle")
            .field("closed", &self.is_closed())
            .finish()
    }
}
