//! ferrolite's dqlite client against real dqlite nodes: three `dqlite-demo`
//! processes (Debian's go-dqlite) per cluster, started by
//! `dqlite_cluster/harness.rs`. Skipped, saying why, when go-dqlite is not
//! installed; `.ci/run` installs it and sets `FERROLITE_REQUIRE_DQLITE`,
//! so CI never skips them.

#[path = "dqlite_cluster/harness.rs"]
mod harness;

use harness::Cluster;

/// The harness itself, checked with go-dqlite's own shell: three voters,
/// one leader, and a new leader elected among the survivors when it is
/// killed.
#[test]
fn harness_starts_three_voters_and_survives_a_leader_kill() {
    let Some(mut cluster) = Cluster::start("harness") else {
        return;
    };
    let members = cluster.shell(".cluster").expect("dqlite .cluster");
    assert_eq!(
        members.lines().filter(|l| l.ends_with("|voter")).count(),
        3,
        "{members}"
    );
    for addr in cluster.addrs() {
        assert!(members.contains(&addr), "{addr} not in {members}");
    }
    cluster
        .shell("CREATE TABLE t (x)")
        .expect("create through the shell");
    cluster
        .shell("INSERT INTO t VALUES (42)")
        .expect("insert through the shell");

    let leader = cluster.leader();
    cluster.kill(&leader);
    assert_eq!(cluster.live_addrs().len(), 2);
    let new_leader = cluster.leader();
    assert_ne!(new_leader, leader);
    let rows = cluster
        .shell("SELECT x FROM t")
        .expect("select after failover");
    assert_eq!(rows.trim(), "42");
}
