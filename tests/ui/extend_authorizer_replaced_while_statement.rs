//! The same for the authorizer: no `&mut Connection` while a statement lives.
use ferrolite::Connection;
use ferrolite::hooks::{AuthContext, Authorization};

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    let stmt = conn.prepare("SELECT 1").unwrap();
    conn.authorizer(Some(|_: AuthContext<'_>| Authorization::Deny)).unwrap();
    drop(stmt);
}
