//! Inserts and queries through a three-node dqlite cluster, then keeps
//! going after its leader is stopped.
//!
//! Start three nodes first (Debian: `apt-get install go-dqlite`), each in
//! its own terminal or in the background:
//!
//! ```text
//! dqlite-demo --api 127.0.0.1:8001 --db 127.0.0.1:9001 --dir /tmp/dq1
//! dqlite-demo --api 127.0.0.1:8002 --db 127.0.0.1:9002 --dir /tmp/dq2 --join 127.0.0.1:9001
//! dqlite-demo --api 127.0.0.1:8003 --db 127.0.0.1:9003 --dir /tmp/dq3 --join 127.0.0.1:9001
//! ```
//!
//! then `cargo run --example dqlite --features dqlite`. When it says so,
//! stop the leader it names (Ctrl-C in that node's terminal, or `kill`);
//! the example finds the new leader and goes on. Other addresses:
//! `cargo run --example dqlite --features dqlite -- HOST:PORT,HOST:PORT,...`.

use std::time::{Duration, Instant};

use ferrolite::dqlite::Client;
use ferrolite::params;

const START: &str = "\
dqlite-demo --api 127.0.0.1:8001 --db 127.0.0.1:9001 --dir /tmp/dq1 &
dqlite-demo --api 127.0.0.1:8002 --db 127.0.0.1:9002 --dir /tmp/dq2 --join 127.0.0.1:9001 &
dqlite-demo --api 127.0.0.1:8003 --db 127.0.0.1:9003 --dir /tmp/dq3 --join 127.0.0.1:9001 &";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addrs: Vec<String> = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003".into())
        .split(',')
        .map(str::to_owned)
        .collect();

    let client = match Client::builder(addrs.clone())
        .connect_timeout(Duration::from_secs(1))
        .leader_timeout(Duration::from_secs(5))
        .connect()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("no dqlite leader at {} ({e}).", addrs.join(","));
            eprintln!("Start three nodes first (Debian package go-dqlite):\n\n{START}\n");
            std::process::exit(2);
        }
    };
    let conn = client.open("example")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, note TEXT NOT NULL)",
    )?;

    // Three inserts, committed together (one Raft commit).
    let tx = conn.transaction()?;
    for note in ["first", "second", "third"] {
        tx.execute("INSERT INTO events (note) VALUES (?1)", params![note])?;
    }
    tx.commit()?;
    let rows: Vec<(i64, String)> =
        conn.query_as("SELECT id, note FROM events ORDER BY id DESC LIMIT 3", [])?;
    println!("latest events: {rows:?}");

    let leader = client.leader()?.address;
    let members: Vec<String> = client.cluster()?.into_iter().map(|n| n.address).collect();
    println!("cluster {members:?}, leader {leader}");
    println!("now stop the leader ({leader}); waiting up to 120 s for a new leader...");
    let start = Instant::now();
    let new_leader = loop {
        match client.leader() {
            Ok(n) if n.address != leader => break n.address,
            _ if start.elapsed() > Duration::from_secs(120) => {
                return Err("the leader was not stopped within 120 s".into());
            }
            _ => std::thread::sleep(Duration::from_millis(250)),
        }
    };
    println!("new leader: {new_leader}");

    // The same connection follows the leader. A write whose outcome is
    // unknown (sent, then the connection broke) is never re-sent behind
    // our back: we decide, here by checking whether it landed.
    let note = format!("after failover, run {}", std::process::id());
    match conn.execute("INSERT INTO events (note) VALUES (?1)", [&note]) {
        Ok(_) => {}
        Err(e) if e.is_unknown_outcome() => {
            let landed: i64 = conn.query_row(
                "SELECT count(*) FROM events WHERE note = ?1",
                [&note],
                |r| r.get(0),
            )?;
            if landed == 0 {
                conn.execute("INSERT INTO events (note) VALUES (?1)", [&note])?;
            }
        }
        Err(e) => return Err(e.into()),
    }
    let n: i64 = conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
    let last: String = conn.query_row(
        "SELECT note FROM events ORDER BY id DESC LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    println!("{n} events, the last one {last:?}: the cluster survived losing its leader");
    Ok(())
}
