// The item given to a conflict handler can't be kept after it returns.
use std::cell::RefCell;

use ferrolite::session::{Changeset, ChangesetItem, ConflictAction, ConflictType};
use ferrolite::Connection;

thread_local! {
    static KEPT: RefCell<Option<ChangesetItem<'static>>> = const { RefCell::new(None) };
}

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    let cs = Changeset::from_bytes(&[]).unwrap();
    conn.apply(&cs, None::<fn(&str) -> bool>, |_: ConflictType, item: ChangesetItem<'_>| {
        KEPT.with(|k| *k.borrow_mut() = Some(item));
        ConflictAction::SQLITE_CHANGESET_OMIT
    })
    .unwrap();
}
