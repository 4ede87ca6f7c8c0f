//! The dqlite client against fake in-process nodes: `std::net` listeners
//! that speak the wire protocol from a script. They let these tests stage
//! what real nodes rarely do on demand: a leader that stops mid-request, a
//! "not leader" answer, hostile or truncated bytes.

#![cfg(feature = "dqlite")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ferrolite::dqlite::protocol::{Decoder, Encoder, ROWS_DONE, ROWS_PART, request, response};
use ferrolite::dqlite::{self, Client, NodeRole};
use ferrolite::params;
use ferrolite::types::Value;

/// What a fake node does with a request.
enum Reply {
    Msg(u8, Vec<u8>),
    Raw(Vec<u8>),
    Close,
}

type Handler = dyn Fn(&Node, u8, &[u8]) -> Vec<Reply> + Send + Sync;

/// A fake node: its address, the requests it received, and a script.
struct Node {
    addr: String,
    log: Mutex<Vec<(u8, Vec<u8>)>>,
    connections: AtomicUsize,
}

impl Node {
    fn count(&self, kind: u8) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k == kind)
            .count()
    }
    fn last(&self, kind: u8) -> Vec<u8> {
        let log = self.log.lock().unwrap();
        log.iter()
            .rev()
            .find(|(k, _)| *k == kind)
            .unwrap()
            .1
            .clone()
    }
}

fn start(handler: impl Fn(&Node, u8, &[u8]) -> Vec<Reply> + Send + Sync + 'static) -> Arc<Node> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let node = Arc::new(Node {
        addr: listener.local_addr().unwrap().to_string(),
        log: Mutex::new(Vec::new()),
        connections: AtomicUsize::new(0),
    });
    let handler: Arc<Handler> = Arc::new(handler);
    let n = Arc::clone(&node);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            n.connections.fetch_add(1, Ordering::SeqCst);
            let (n, h) = (Arc::clone(&n), Arc::clone(&handler));
            thread::spawn(move || serve(&n, &*h, stream));
        }
    });
    node
}

fn serve(node: &Node, handler: &Handler, mut s: TcpStream) {
    let mut version = [0u8; 8];
    if s.read_exact(&mut version).is_err() || u64::from_le_bytes(version) != 1 {
        return;
    }
    loop {
        let mut h = [0u8; 8];
        if s.read_exact(&mut h).is_err() {
            return;
        }
        let words = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let mut body = vec![0u8; words * 8];
        if s.read_exact(&mut body).is_err() {
            return;
        }
        node.log.lock().unwrap().push((h[4], body.clone()));
        for r in handler(node, h[4], &body) {
            let bytes = match r {
                Reply::Msg(kind, body) => {
                    let mut e = Encoder::new();
                    e.bytes(&body);
                    e.finish(kind, 0)
                }
                Reply::Raw(b) => b,
                Reply::Close => return,
            };
            if s.write_all(&bytes).is_err() {
                return;
            }
        }
    }
}

fn server(id: u64, addr: &str) -> Reply {
    let mut e = Encoder::new();
    e.u64(id).text(addr).unwrap();
    Reply::Msg(response::SERVER, e.body().to_vec())
}

fn db() -> Reply {
    let mut e = Encoder::new();
    e.u32(1).u32(0);
    Reply::Msg(response::DB, e.body().to_vec())
}

fn result(last: u64, changed: u64) -> Reply {
    let mut e = Encoder::new();
    e.u64(last).u64(changed);
    Reply::Msg(response::RESULT, e.body().to_vec())
}

fn failure(code: u64, msg: &str) -> Reply {
    let mut e = Encoder::new();
    e.u64(code).text(msg).unwrap();
    Reply::Msg(response::FAILURE, e.body().to_vec())
}

fn empty() -> Reply {
    Reply::Msg(response::EMPTY, vec![0; 8])
}

/// A Rows message: columns `a` (integer) and `b` (text), rows `from..to`,
/// then `marker`.
fn rows(from: i64, to: i64, marker: u64) -> Reply {
    let mut e = Encoder::new();
    e.u64(2).text("a").unwrap().text("b").unwrap();
    for i in from..to {
        e.bytes(&[0x31, 0, 0, 0, 0, 0, 0, 0]);
        e.bytes(&i.to_le_bytes());
        e.text(&format!("r{i}")).unwrap();
    }
    e.u64(marker);
    Reply::Msg(response::ROWS, e.body().to_vec())
}

/// The SQL text of an EXEC_SQL / QUERY_SQL body.
fn sql_of(body: &[u8]) -> String {
    let mut d = Decoder::new(body);
    d.u64().unwrap();
    d.text().unwrap()
}

/// A node that is its own leader and answers the basics; `extra` handles
/// the rest.
fn leader(
    extra: impl Fn(&Node, u8, &[u8]) -> Option<Vec<Reply>> + Send + Sync + 'static,
) -> Arc<Node> {
    start(move |n, kind, body| {
        if let Some(r) = extra(n, kind, body) {
            return r;
        }
        match kind {
            request::LEADER => vec![server(1, &n.addr)],
            request::OPEN => vec![db()],
            request::EXEC_SQL => vec![result(0, 0)],
            request::INTERRUPT => vec![empty()],
            _ => vec![failure(1, "unexpected")],
        }
    })
}

fn client(addrs: &[&str]) -> Client {
    Client::builder(addrs.iter().map(|a| a.to_string()))
        .connect_timeout(Duration::from_millis(300))
        .request_timeout(Duration::from_secs(2))
        .leader_timeout(Duration::from_secs(2))
        .connect()
        .unwrap()
}

#[test]
fn follows_the_leader_and_encodes_requests() {
    let b = leader(|_, kind, _| (kind == request::EXEC_SQL).then(|| vec![result(7, 1)]));
    let b_addr = b.addr.clone();
    let a = start(move |_, kind, _| match kind {
        request::LEADER => vec![server(2, &b_addr)],
        _ => vec![failure(10250, "not leader")],
    });
    let c = client(&[&a.addr]);
    assert_eq!(c.leader().unwrap().address, b.addr);
    let conn = c.open("app").unwrap();
    assert_eq!(
        conn.execute("INSERT INTO t VALUES (?1, ?2)", params![1, "x"])
            .unwrap(),
        1
    );
    assert_eq!(conn.last_insert_rowid(), 7);
    // "Execute a SQL text": db id, SQL text, parameter tuple.
    let mut want = Encoder::new();
    want.u64(1)
        .text("INSERT INTO t VALUES (?1, ?2)")
        .unwrap()
        .params(&[Value::Integer(1), Value::Text("x".into())])
        .unwrap();
    assert_eq!(b.last(request::EXEC_SQL), want.body());
    // "Open": the database name.
    assert_eq!(&b.last(request::OPEN)[..8], b"app\0\0\0\0\0");
    assert_eq!(a.count(request::EXEC_SQL), 0);
}

#[test]
fn rows_stream_across_batches_and_map_to_types() {
    let node = leader(|_, kind, _| {
        (kind == request::QUERY_SQL).then(|| vec![rows(0, 2, ROWS_PART), rows(2, 3, ROWS_DONE)])
    });
    let c = client(&[&node.addr]);
    let conn = c.open("app").unwrap();
    let all: Vec<(i64, String)> = conn.query_as("SELECT a, b FROM t", []).unwrap();
    assert_eq!(all, [(0, "r0".into()), (1, "r1".into()), (2, "r2".into())]);
    let b: String = conn
        .query_row("SELECT a, b FROM t", [], |r| r.get("b"))
        .unwrap();
    assert_eq!(b, "r0");
    // query_row stopped after one row: the rest was interrupted, and the
    // connection still works.
    assert_eq!(node.count(request::INTERRUPT), 1);
    conn.execute_batch("CREATE TABLE x (a)").unwrap();
    let err = conn
        .query_row("SELECT a, b FROM t", [], |r| r.get::<_, i64>("b"))
        .unwrap_err();
    assert!(
        matches!(err, ferrolite::Error::InvalidColumnType(1, _, _)),
        "{err:?}"
    );
}

#[test]
fn prepared_statements_execute_and_finalize() {
    let node = leader(|_, kind, _| match kind {
        request::PREPARE => {
            let mut e = Encoder::new();
            e.u32(1).u32(9).u64(1);
            Some(vec![Reply::Msg(response::STMT, e.body().to_vec())])
        }
        request::EXEC => Some(vec![result(3, 1)]),
        request::QUERY => Some(vec![rows(5, 6, ROWS_DONE)]),
        request::FINALIZE => Some(vec![empty()]),
        _ => None,
    });
    let c = client(&[&node.addr]);
    let conn = c.open("app").unwrap();
    {
        let mut st = conn.prepare("INSERT INTO t VALUES (?)").unwrap();
        assert_eq!(st.parameter_count(), 1);
        assert_eq!(st.execute([42]).unwrap(), 1);
        let mut want = Encoder::new();
        want.u32(1).u32(9).params(&[Value::Integer(42)]).unwrap();
        assert_eq!(node.last(request::EXEC), want.body());
        let got: Vec<i64> = st
            .query_map([1], |r| r.get(0))
            .unwrap()
            .collect::<ferrolite::Result<_>>()
            .unwrap();
        assert_eq!(got, [5]);
        assert!(matches!(
            st.execute([1, 2]),
            Err(ferrolite::Error::InvalidParameterCount(2, 1))
        ));
    }
    assert_eq!(node.count(request::FINALIZE), 1);
    let mut want = Encoder::new();
    want.u32(1).u32(9);
    assert_eq!(node.last(request::FINALIZE), want.body());
}

#[test]
fn server_failure_keeps_code_and_message() {
    let node = leader(|_, kind, _| {
        (kind == request::EXEC_SQL).then(|| vec![failure(2067, "UNIQUE constraint failed: t.a")])
    });
    let conn = client(&[&node.addr]).open("app").unwrap();
    let err = conn.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
    assert!(err.is_constraint_violation());
    assert_eq!(err.sqlite_extended_error_code(), Some(2067));
    assert!(err.to_string().contains("UNIQUE constraint failed: t.a"));
    assert!(!err.is_unknown_outcome());
}

#[test]
fn write_lost_after_sending_is_unknown_and_never_resent() {
    let node = leader(|_, kind, _| (kind == request::EXEC_SQL).then(|| vec![Reply::Close]));
    let conn = client(&[&node.addr]).open("app").unwrap();
    let err = conn.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
    assert!(err.is_unknown_outcome(), "{err:?}");
    thread::sleep(Duration::from_millis(100));
    assert_eq!(node.count(request::EXEC_SQL), 1, "the write was sent again");
}

#[test]
fn not_leader_answer_is_retried_on_the_new_leader() {
    let tries = Arc::new(AtomicUsize::new(0));
    let t = Arc::clone(&tries);
    let node = leader(move |_, kind, _| {
        (kind == request::EXEC_SQL).then(|| {
            if t.fetch_add(1, Ordering::SeqCst) == 0 {
                vec![failure(10250, "not leader")]
            } else {
                vec![result(1, 1)]
            }
        })
    });
    let conn = client(&[&node.addr]).open("app").unwrap();
    assert_eq!(conn.execute("INSERT INTO t VALUES (1)", []).unwrap(), 1);
    assert_eq!(tries.load(Ordering::SeqCst), 2);
    // One connection for connect + open, a second after "not leader".
    assert_eq!(node.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn read_lost_before_its_rows_is_retried() {
    let tries = Arc::new(AtomicUsize::new(0));
    let t = Arc::clone(&tries);
    let node = leader(move |_, kind, _| {
        (kind == request::QUERY_SQL).then(|| {
            if t.fetch_add(1, Ordering::SeqCst) == 0 {
                vec![Reply::Close]
            } else {
                vec![rows(4, 5, ROWS_DONE)]
            }
        })
    });
    let conn = client(&[&node.addr]).open("app").unwrap();
    let a: i64 = conn
        .query_row("SELECT a, b FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(a, 4);
    assert_eq!(tries.load(Ordering::SeqCst), 2);
    // A query that may write is not retried.
    let t = Arc::new(AtomicUsize::new(0));
    let t2 = Arc::clone(&t);
    let node = leader(move |_, kind, _| {
        (kind == request::QUERY_SQL).then(|| {
            t2.fetch_add(1, Ordering::SeqCst);
            vec![Reply::Close]
        })
    });
    let conn = client(&[&node.addr]).open("app").unwrap();
    let err = conn
        .query_row("INSERT INTO t VALUES (1) RETURNING a", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_err();
    assert!(err.is_unknown_outcome(), "{err:?}");
    assert_eq!(t.load(Ordering::SeqCst), 1);
}

#[test]
fn transaction_broken_by_leader_change_is_rolled_back() {
    let node = leader(|_, kind, body| {
        (kind == request::EXEC_SQL && sql_of(body).starts_with("INSERT"))
            .then(|| vec![Reply::Close])
    });
    let conn = client(&[&node.addr]).open("app").unwrap();
    let tx = conn.transaction().unwrap();
    let err = tx.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
    assert!(dqlite::is_rolled_back(&err), "{err:?}");
    // Later statements of the transaction don't run on the new leader in
    // autocommit mode: they fail too, and so does commit.
    let err = tx.execute("UPDATE t SET a = 2", []).unwrap_err();
    assert!(dqlite::is_rolled_back(&err), "{err:?}");
    let err = tx.commit().unwrap_err();
    assert!(dqlite::is_rolled_back(&err), "{err:?}");
    assert_eq!(node.count(request::EXEC_SQL), 2); // BEGIN, INSERT
    // The connection works again afterwards.
    conn.execute("UPDATE t SET a = 3", []).unwrap();
}

#[test]
fn transaction_commit_and_rollback() {
    let node = leader(|_, _, _| None);
    let conn = client(&[&node.addr]).open("app").unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute("UPDATE t SET a = 1", []).unwrap();
    tx.commit().unwrap();
    drop(conn.transaction().unwrap());
    let sqls: Vec<String> = node
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k == request::EXEC_SQL)
        .map(|(_, b)| sql_of(b))
        .collect();
    assert_eq!(
        sqls,
        ["BEGIN", "UPDATE t SET a = 1", "COMMIT", "BEGIN", "ROLLBACK"]
    );
}

#[test]
fn commit_lost_is_unknown_outcome() {
    let node = leader(|_, kind, body| {
        (kind == request::EXEC_SQL && sql_of(body) == "COMMIT").then(|| vec![Reply::Close])
    });
    let conn = client(&[&node.addr]).open("app").unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute("UPDATE t SET a = 1", []).unwrap();
    let err = tx.commit().unwrap_err();
    assert!(err.is_unknown_outcome(), "{err:?}");
}

#[test]
fn hostile_and_truncated_bytes_are_errors() {
    // A header announcing 32 GiB.
    let huge = leader(|_, kind, _| {
        (kind == request::QUERY_SQL)
            .then(|| vec![Reply::Raw(vec![0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0])])
    });
    let conn = client(&[&huge.addr]).open("app").unwrap();
    let err = conn.query_as::<i64, _>("SELECT 1", []).unwrap_err();
    assert!(err.to_string().contains("cap"), "{err}");
    // A body cut short, then the connection closed.
    let cut = leader(|_, kind, _| {
        (kind == request::EXEC_SQL).then(|| {
            vec![
                Reply::Raw(vec![4, 0, 0, 0, 6, 0, 0, 0, 1, 2, 3]),
                Reply::Close,
            ]
        })
    });
    let conn = client(&[&cut.addr]).open("app").unwrap();
    let err = conn.execute("DELETE FROM t", []).unwrap_err();
    assert!(err.is_unknown_outcome(), "{err:?}");
    // Rows announcing a billion columns in one word.
    let cols = leader(|_, kind, _| {
        (kind == request::QUERY_SQL).then(|| {
            let mut e = Encoder::new();
            e.u64(1 << 30).u64(0);
            vec![Reply::Msg(response::ROWS, e.body().to_vec())]
        })
    });
    let conn = client(&[&cols.addr]).open("app").unwrap();
    assert!(conn.query_as::<i64, _>("SELECT 1", []).is_err());
    // An unknown value type in a row.
    let bad = leader(|_, kind, _| {
        (kind == request::QUERY_SQL).then(|| {
            let mut e = Encoder::new();
            e.u64(1)
                .text("a")
                .unwrap()
                .bytes(&[0x0f, 0, 0, 0, 0, 0, 0, 0])
                .u64(0)
                .u64(ROWS_DONE);
            vec![Reply::Msg(response::ROWS, e.body().to_vec())]
        })
    });
    let conn = client(&[&bad.addr]).open("app").unwrap();
    let err = conn.query_as::<i64, _>("SELECT 1", []).unwrap_err();
    assert!(err.to_string().contains("unknown value type"), "{err}");
}

#[test]
fn no_leader_fails_within_the_timeout() {
    let lost = start(|_, kind, _| match kind {
        request::LEADER => vec![server(0, "")],
        _ => vec![],
    });
    let start = Instant::now();
    let err = Client::builder([lost.addr.clone(), "127.0.0.1:1".to_owned()])
        .connect_timeout(Duration::from_millis(200))
        .leader_timeout(Duration::from_millis(500))
        .connect()
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(err.to_string().contains("knows no leader"), "{err}");
    assert!(Client::connect(Vec::<String>::new()).is_err());
}

#[test]
fn cluster_lists_nodes_with_roles() {
    let node = leader(|n, kind, _| {
        (kind == request::CLUSTER).then(|| {
            let mut e = Encoder::new();
            e.u64(2).u64(1).text(&n.addr).unwrap().u64(0);
            e.u64(2).text("127.0.0.1:9").unwrap().u64(2);
            vec![Reply::Msg(response::SERVERS, e.body().to_vec())]
        })
    });
    let c = client(&[&node.addr]);
    let nodes = c.cluster().unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0].address, node.addr);
    assert_eq!(nodes[0].role, NodeRole::Voter);
    assert_eq!(nodes[1].role, NodeRole::Spare);
    // Format 1 (with roles) was asked for.
    assert_eq!(node.last(request::CLUSTER), 1u64.to_le_bytes());
}

#[test]
fn interrupt_stops_a_streaming_query() {
    let node = leader(|_, kind, _| {
        (kind == request::QUERY_SQL).then(|| vec![rows(0, 1, ROWS_PART), rows(1, 2, ROWS_PART)])
    });
    let conn = client(&[&node.addr]).open("app").unwrap();
    let handle = conn.interrupt_handle();
    let mut rows = conn.query("SELECT a, b FROM t", []).unwrap();
    assert!(rows.next().unwrap().is_some());
    handle.interrupt();
    let err = rows.next().unwrap_err();
    assert!(err.is_interrupted(), "{err:?}");
    drop(rows);
    assert_eq!(node.count(request::INTERRUPT), 1);
    conn.execute_batch("SELECT 1").unwrap();
}

#[cfg(feature = "serde")]
#[test]
fn serde_from_row_reads_dqlite_rows() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct R {
        a: i64,
        b: String,
    }
    let node =
        leader(|_, kind, _| (kind == request::QUERY_SQL).then(|| vec![rows(8, 10, ROWS_DONE)]));
    let conn = client(&[&node.addr]).open("app").unwrap();
    let r: R = conn
        .query_row("SELECT a, b FROM t", [], ferrolite::serde::from_row)
        .unwrap();
    assert_eq!(
        r,
        R {
            a: 8,
            b: "r8".into()
        }
    );
    let mut rows = conn.query("SELECT a, b FROM t", []).unwrap();
    assert_eq!(rows.column_names(), ["a", "b"]);
    let row = rows.next().unwrap().unwrap();
    assert_eq!(row.get::<_, String>(1).unwrap(), "r8");
    assert_eq!(row.values()[0], Value::Integer(8));
    assert!(matches!(
        row.get::<_, i64>(2),
        Err(ferrolite::Error::InvalidColumnIndex(2))
    ));
    assert!(rows.next().unwrap().is_some());
    assert!(rows.next().unwrap().is_none());
}

#[test]
fn node_that_stopped_between_calls_is_not_an_unknown_outcome() {
    // The node answers, then closes the connection (it stopped while the
    // client was idle): the next write sees the closed connection before
    // sending and goes to the (new) leader instead of failing.
    let node =
        leader(|_, kind, _| (kind == request::EXEC_SQL).then(|| vec![result(1, 1), Reply::Close]));
    let conn = client(&[&node.addr]).open("app").unwrap();
    conn.execute("INSERT INTO t VALUES (1)", []).unwrap();
    thread::sleep(Duration::from_millis(100));
    conn.execute("INSERT INTO t VALUES (2)", []).unwrap();
    assert_eq!(node.count(request::EXEC_SQL), 2);
}

#[test]
fn one_round_trip_per_execute_and_prepared_query_row() {
    let node = leader(|_, kind, _| match kind {
        request::PREPARE => {
            let mut e = Encoder::new();
            e.u32(1).u32(4).u64(1);
            Some(vec![Reply::Msg(response::STMT, e.body().to_vec())])
        }
        request::QUERY => Some(vec![rows(1, 2, ROWS_DONE)]),
        _ => None,
    });
    let conn = client(&[&node.addr]).open("app").unwrap();
    let requests = || node.log.lock().unwrap().len();
    let before = requests();
    conn.execute("UPDATE t SET a = ?1", [1]).unwrap();
    assert_eq!(requests() - before, 1);
    let mut st = conn.prepare("SELECT a, b FROM t WHERE a = ?").unwrap();
    let before = requests();
    let a: i64 = st.query_row([1], |r| r.get(0)).unwrap();
    assert_eq!(a, 1);
    assert_eq!(requests() - before, 1);
    // Client::connect's connection is reused by open: Leader, Open.
    let kinds: Vec<u8> = node
        .log
        .lock()
        .unwrap()
        .iter()
        .map(|(k, _)| *k)
        .take(2)
        .collect();
    assert_eq!(kinds, [request::LEADER, request::OPEN]);
    assert_eq!(node.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn describe_reads_node_metadata() {
    let node = leader(|_, kind, _| {
        (kind == request::DESCRIBE).then(|| {
            let mut e = Encoder::new();
            e.u64(3).u64(7);
            vec![Reply::Msg(response::METADATA, e.body().to_vec())]
        })
    });
    let c = client(&[&node.addr]);
    let m = c.describe(&node.addr).unwrap();
    assert_eq!((m.failure_domain, m.weight), (3, 7));
    assert_eq!(node.last(request::DESCRIBE), 0u64.to_le_bytes());
    assert!(c.describe("127.0.0.1:1").is_err());
}

/// `dqlite::tokio::Connection`: the blocking client on its own thread.
#[cfg(feature = "tokio")]
mod async_conn {
    use super::*;
    use ferrolite::Error;
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;

    fn builder(node: &Node) -> dqlite::ClientBuilder {
        Client::builder([node.addr.clone()])
            .connect_timeout(Duration::from_millis(300))
            .request_timeout(Duration::from_secs(2))
            .leader_timeout(Duration::from_secs(2))
    }

    #[tokio::test]
    async fn call_round_trip_and_close() {
        let node = leader(|_, kind, _| {
            (kind == request::QUERY_SQL).then(|| vec![rows(0, 2, ROWS_PART), rows(2, 3, ROWS_DONE)])
        });
        let conn = dqlite::tokio::Connection::open_with(builder(&node), "app")
            .await
            .unwrap();
        let n = conn
            .call(|c| c.execute("INSERT INTO t VALUES (?1)", [1]))
            .await
            .unwrap();
        assert_eq!(n, 0);
        let got: Vec<(i64, String)> = conn
            .call(|c| c.query_as("SELECT a, b FROM t", []))
            .await
            .unwrap();
        assert_eq!(got, [(0, "r0".into()), (1, "r1".into()), (2, "r2".into())]);
        let clone = conn.clone();
        conn.close().await.unwrap();
        let err = clone
            .call(|c| c.execute_batch("SELECT 1"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ConnectionClosed), "{err:?}");
        clone.close().await.unwrap();
    }

    #[tokio::test]
    async fn open_failure_is_reported() {
        let node = start(|_, _, _| vec![failure(1, "no")]);
        let builder = Client::builder([node.addr.clone()])
            .connect_timeout(Duration::from_millis(100))
            .leader_timeout(Duration::from_millis(300));
        assert!(
            dqlite::tokio::Connection::open_with(builder, "app")
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn panicking_closure_is_an_error_and_the_thread_survives() {
        let node = leader(|_, _, _| None);
        let conn = dqlite::tokio::Connection::open_with(builder(&node), "app")
            .await
            .unwrap();
        let err = conn
            .call(|_| -> ferrolite::Result<()> { panic!("boom") })
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::CallPanicked(m) if m == "boom"),
            "{err:?}"
        );
        // The thread tidied up (a ROLLBACK) and still answers.
        assert_eq!(sql_of(&node.last(request::EXEC_SQL)), "ROLLBACK");
        conn.call(|c| c.execute_batch("SELECT 2")).await.unwrap();
        assert_eq!(sql_of(&node.last(request::EXEC_SQL)), "SELECT 2");
    }

    #[tokio::test]
    async fn dropped_before_it_starts_never_runs() {
        let node = leader(|_, _, _| None);
        let conn = dqlite::tokio::Connection::open_with(builder(&node), "app")
            .await
            .unwrap();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let first = tokio::spawn(conn.call(move |_| -> ferrolite::Result<i32> {
            started_tx.send(()).unwrap();
            gate_rx.recv().unwrap();
            Ok(1)
        }));
        started_rx.await.unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let r = Arc::clone(&ran);
        let second = conn.call(move |c| {
            r.store(true, Ordering::SeqCst);
            c.execute_batch("SECOND")
        });
        // Sent (first poll), then dropped while the first call blocks.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), second)
                .await
                .is_err()
        );
        gate_tx.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        conn.call(|c| c.execute_batch("THIRD")).await.unwrap();
        assert!(!ran.load(Ordering::SeqCst));
        let sent: Vec<String> = node
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k == request::EXEC_SQL)
            .map(|(_, b)| sql_of(b))
            .collect();
        assert_eq!(sent, ["THIRD"]);
    }

    #[tokio::test]
    async fn dropped_future_interrupts_a_streaming_query_and_not_the_next() {
        let node = leader(|_, kind, body| {
            if kind != request::QUERY_SQL {
                return None;
            }
            if sql_of(body) == "SELECT slow" {
                let mut r: Vec<Reply> = (0..200).map(|i| rows(i, i + 1, ROWS_PART)).collect();
                r.push(rows(200, 201, ROWS_DONE));
                Some(r)
            } else {
                Some(vec![rows(0, 1, ROWS_PART), rows(1, 2, ROWS_DONE)])
            }
        });
        let conn = dqlite::tokio::Connection::open_with(builder(&node), "app")
            .await
            .unwrap();
        let (seen_tx, seen_rx) = mpsc::channel();
        let slow = conn.call(move |c| -> ferrolite::Result<()> {
            let mut rows = c.query("SELECT slow", [])?;
            let mut n = 0;
            let end = loop {
                match rows.next() {
                    Ok(Some(_)) => {
                        n += 1;
                        thread::sleep(Duration::from_millis(5));
                    }
                    Ok(None) => break None,
                    Err(e) => break Some(e),
                }
            };
            seen_tx.send((n, end)).unwrap();
            Ok(())
        });
        assert!(
            tokio::time::timeout(Duration::from_millis(100), slow)
                .await
                .is_err()
        );
        // The next call runs after the cancelled one, untouched by it.
        let got: Vec<(i64, String)> = conn
            .call(|c| c.query_as("SELECT a, b FROM t", []))
            .await
            .unwrap();
        assert_eq!(got, [(0, "r0".into()), (1, "r1".into())]);
        let (n, end) = seen_rx.recv().unwrap();
        let err = end.expect("the slow query was not interrupted");
        assert!(err.is_interrupted(), "{err:?}");
        assert!(n > 0 && n < 200, "{n} rows before the interrupt");
        assert_eq!(node.count(request::INTERRUPT), 1);
        // Interrupted in place: the connection was kept, not reopened.
        assert_eq!(node.count(request::OPEN), 1);
        // The cancelled call was tidied: a ROLLBACK, nothing else.
        let sent: Vec<String> = node
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k == request::EXEC_SQL)
            .map(|(_, b)| sql_of(b))
            .collect();
        assert_eq!(sent, ["ROLLBACK"]);
    }
}
