//! ferrolite::migrate. The workload code is shared with the
//! rusqlite_migration program (../../shared.rs); only the crates differ.
use ferrolite as sql;
use ferrolite::migrate as mig;

#[path = "../../shared.rs"]
mod shared;

fn main() {
    shared::main("ferrolite");
}
