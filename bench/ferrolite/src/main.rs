//! The ferrolite contender. All the workload code is shared with the
//! rusqlite contender (bench/shared/workloads.rs); only the crate differs.
use ferrolite as sql;

#[path = "../../shared/workloads.rs"]
mod workloads;

fn main() {
    workloads::main("ferrolite");
}
