// The pre-update hook's accessors exist only while it runs.
use std::cell::RefCell;

use ferrolite::hooks::{Action, PreUpdateCase};
use ferrolite::Connection;

thread_local! {
    static KEPT: RefCell<Option<&'static PreUpdateCase>> = const { RefCell::new(None) };
}

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.preupdate_hook(Some(|_: Action, _: &str, _: &str, case: &PreUpdateCase| {
        KEPT.with(|k| *k.borrow_mut() = Some(case));
    }))
    .unwrap();
}
