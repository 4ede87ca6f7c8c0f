//! The rusqlite contender. All the workload code is shared with the
//! ferrolite contender (bench/shared/workloads.rs); only the crate differs.
use rusqlite as sql;

#[path = "../../shared/workloads.rs"]
mod workloads;

fn main() {
    workloads::main("rusqlite");
}
