//! rusqlite_migration on rusqlite. The workload code is shared with the
//! ferrolite program (../../shared.rs); only the crates differ.
use rusqlite as sql;
use rusqlite_migration as mig;

#[path = "../../shared.rs"]
mod shared;

fn main() {
    shared::main("rusqlite_migration");
}
