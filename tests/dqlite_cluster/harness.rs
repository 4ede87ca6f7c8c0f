//! A three-node dqlite cluster of real `dqlite-demo` processes (Debian
//! package `go-dqlite`), for the tests in `tests/dqlite_cluster.rs`.
//!
//! Each [`Cluster`] gets its own temporary directory and free ports; its
//! `Drop` SIGKILLs every node's process group and removes the directory,
//! also when the test panics.
//!
//! When `dqlite-demo` or the `dqlite` shell is missing, [`Cluster::start`]
//! returns `None` after printing why, unless `FERROLITE_REQUIRE_DQLITE` is
//! set (as `.ci/run` does): then it panics, so CI never skips these tests.

// Some helpers serve only the tests behind feature `dqlite`.
#![allow(dead_code)]

use std::fs::{self, File};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// One cluster at a time: the machine running the tests may have two
/// cores, and three Raft nodes per cluster already compete for them.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Why the cluster tests can't run here, or `None` when they can.
pub fn missing_binaries() -> Option<String> {
    for bin in ["dqlite-demo", "dqlite"] {
        let found = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()));
        if !found {
            return Some(format!(
                "`{bin}` not found in PATH: install Debian's go-dqlite package \
                 (`apt-get install go-dqlite`, or `.ci/dqlite/install.sh`)"
            ));
        }
    }
    None
}

/// A port nobody listens on now (bound, read, released).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

/// One `dqlite-demo` process.
pub struct Node {
    /// Its database (Raft and dqlite protocol) address, `127.0.0.1:PORT`.
    pub addr: String,
    child: Option<Child>,
}

impl Node {
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The node leads its own process group (process_group(0)):
            // kill the whole group, then reap the child.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

/// A running three-node cluster; stopped and deleted on drop.
pub struct Cluster {
    /// The nodes, in start order (node 0 bootstrapped the cluster).
    pub nodes: Vec<Node>,
    dir: PathBuf,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Cluster {
    /// Starts three nodes and waits (up to 60 s) until all are voters.
    /// `None` (after printing why) when go-dqlite isn't installed and
    /// `FERROLITE_REQUIRE_DQLITE` is unset.
    pub fn start(test: &str) -> Option<Cluster> {
        if let Some(why) = missing_binaries() {
            if std::env::var_os("FERROLITE_REQUIRE_DQLITE").is_some() {
                panic!("{test}: FERROLITE_REQUIRE_DQLITE is set but {why}");
            }
            // Straight to the process's stderr: libtest captures eprintln!
            // of passing tests, and a skip must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED dqlite cluster test {test}: {why}"
            );
            return None;
        }
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ferrolite-dqlite-{}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            test
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the cluster's directory");
        let mut cluster = Cluster {
            nodes: Vec::new(),
            dir,
            _turn: turn,
        };
        for i in 0..3 {
            let join = cluster.nodes.first().map(|n| n.addr.clone());
            let node = cluster.spawn(i, join.as_deref());
            cluster.nodes.push(node);
            if i == 0 {
                // Let the first node bootstrap before the others join it.
                cluster.wait_for(Duration::from_secs(30), |c| c.shell(".leader").is_some());
            }
        }
        cluster.wait_for(Duration::from_secs(60), |c| {
            c.shell(".cluster")
                .is_some_and(|out| out.lines().filter(|l| l.ends_with("|voter")).count() == 3)
        });
        Some(cluster)
    }

    fn spawn(&self, i: usize, join: Option<&str>) -> Node {
        let dir = self.dir.join(format!("node{}", i + 1));
        fs::create_dir_all(&dir).expect("create a node's directory");
        let addr = format!("127.0.0.1:{}", free_port());
        let api = format!("127.0.0.1:{}", free_port());
        let log = File::create(dir.join("log")).expect("create a node's log");
        let mut cmd = Command::new("dqlite-demo");
        cmd.arg("--api")
            .arg(&api)
            .arg("--db")
            .arg(&addr)
            .arg("--dir")
            .arg(&dir);
        if let Some(j) = join {
            cmd.arg("--join").arg(j);
        }
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .process_group(0);
        let child = cmd.spawn().expect("spawn dqlite-demo");
        Node {
            addr,
            child: Some(child),
        }
    }

    /// Polls `ready` every 200 ms; panics (with the nodes' logs) after
    /// `limit`.
    fn wait_for(&self, limit: Duration, mut ready: impl FnMut(&Cluster) -> bool) {
        let start = Instant::now();
        while !ready(self) {
            if start.elapsed() > limit {
                panic!("dqlite cluster not ready after {limit:?}\n{}", self.logs());
            }
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// The last lines of every node's log.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for i in 0..self.nodes.len().max(1) {
            let path = self.dir.join(format!("node{}", i + 1)).join("log");
            let text = fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(10)..];
            out += &format!("--- {}\n{}\n", path.display(), tail.join("\n"));
        }
        out
    }

    /// The addresses of every node (dead or alive), as a client's list.
    pub fn addrs(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.addr.clone()).collect()
    }

    /// The addresses of the nodes still running.
    pub fn live_addrs(&mut self) -> Vec<String> {
        self.nodes
            .iter_mut()
            .filter_map(|n| n.alive().then(|| n.addr.clone()))
            .collect()
    }

    /// Runs `dqlite -s LIVE_NODES probe COMMAND` (go-dqlite's own shell:
    /// an independent client), bounded by 5 s (the shell retries forever
    /// when no node answers). `None` when it fails or times out.
    pub fn shell(&self, command: &str) -> Option<String> {
        self.shell_db("probe", command)
    }

    /// [`Cluster::shell`] on database `db`.
    pub fn shell_db(&self, db: &str, command: &str) -> Option<String> {
        let live: Vec<&str> = self
            .nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| n.addr.as_str())
            .collect();
        let mut child = Command::new("dqlite")
            .arg("-s")
            .arg(live.join(","))
            .arg(db)
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()?;
        let start = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    let mut out = String::new();
                    use std::io::Read;
                    child.stdout.take()?.read_to_string(&mut out).ok()?;
                    return status.success().then_some(out);
                }
                Ok(None) if start.elapsed() < Duration::from_secs(5) => {
                    thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
            }
        }
    }

    /// The leader's address as go-dqlite's shell reports it, waiting (up
    /// to 30 s) for an election to finish.
    pub fn leader(&self) -> String {
        let mut leader = String::new();
        self.wait_for(Duration::from_secs(30), |c| {
            match c.shell(".leader").map(|s| s.trim().to_owned()) {
                Some(l) if c.nodes.iter().any(|n| n.addr == l && n.child.is_some()) => {
                    leader = l;
                    true
                }
                _ => false,
            }
        });
        leader
    }

    /// SIGKILLs the node at `addr` (no clean shutdown, no leadership
    /// transfer).
    pub fn kill(&mut self, addr: &str) {
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.addr == addr)
            .expect("no node at that address");
        node.kill();
    }

    /// The cluster's directory (one `nodeN/` per node, with its `log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            n.kill();
        }
        if !thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        } else {
            eprintln!(
                "dqlite cluster logs kept in {}\n{}",
                self.dir.display(),
                self.logs()
            );
        }
    }
}
