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

/// The client's suite against real nodes (feature `dqlite`).
#[cfg(feature = "dqlite")]
mod client {
    use super::Cluster;
    use ferrolite::dqlite::{self, Client, Connection};
    use ferrolite::{ErrorCode, ffi, named_params, params};
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread;
    use std::time::{Duration, Instant};

    fn client(addrs: &[String]) -> Client {
        Client::builder(addrs.iter().cloned())
            .connect_timeout(Duration::from_secs(1))
            .request_timeout(Duration::from_secs(5))
            .leader_timeout(Duration::from_secs(30))
            .connect()
            .expect("connect to the cluster")
    }

    fn open(cluster: &Cluster, db: &str) -> Connection {
        client(&cluster.addrs()).open(db).expect("open")
    }

    /// Statements, parameters, prepared statements, transactions, errors,
    /// large results and interrupts: one cluster, one database each.
    #[test]
    fn client_suite() {
        let Some(cluster) = Cluster::start("suite") else {
            return;
        };
        let c = client(&cluster.addrs());

        // leader() and cluster() agree with go-dqlite's own shell.
        assert_eq!(c.leader().expect("leader").address, cluster.leader());
        let nodes = c.cluster().expect("cluster");
        assert_eq!(nodes.len(), 3, "{nodes:?}");
        for addr in cluster.addrs() {
            assert!(
                nodes.iter().any(|n| n.address == addr),
                "{addr} missing from {nodes:?}"
            );
        }

        execute_and_query(&c);
        parameters_and_types(&c);
        prepared_statements(&c);
        transactions(&c);
        errors_carry_sqlite_code_and_message(&c);
        large_result_streamed(&c);
        interrupt_stops_a_query(&c);
        visible_to_go_dqlite(&c, &cluster);
    }

    fn execute_and_query(c: &Client) {
        let conn = c.open("basic").unwrap();
        conn.execute_batch(
            "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT); CREATE INDEX tb ON t(b)",
        )
        .unwrap();
        assert_eq!(
            conn.execute("INSERT INTO t VALUES (1, 'one')", []).unwrap(),
            1
        );
        assert_eq!(conn.last_insert_rowid(), 1);
        assert_eq!(
            conn.execute("INSERT INTO t (b) VALUES ('two'), ('three')", [])
                .unwrap(),
            2
        );
        assert_eq!(conn.last_insert_rowid(), 3);
        assert_eq!(
            conn.execute("UPDATE t SET b = upper(b) WHERE a >= 2", [])
                .unwrap(),
            2
        );
        let b: String = conn
            .query_row("SELECT b FROM t WHERE a = 3", [], |r| r.get(0))
            .unwrap();
        assert_eq!(b, "THREE");
        let all: Vec<(i64, String)> = conn.query_as("SELECT a, b FROM t ORDER BY a", []).unwrap();
        assert_eq!(
            all,
            vec![(1, "one".into()), (2, "TWO".into()), (3, "THREE".into())]
        );
        let none = conn.query_row("SELECT b FROM t WHERE a = 99", [], |r| {
            r.get::<_, String>(0)
        });
        assert!(
            matches!(none, Err(ferrolite::Error::QueryReturnedNoRows)),
            "{none:?}"
        );
        let mut rows = conn.query("SELECT a FROM t ORDER BY a DESC", []).unwrap();
        assert_eq!(rows.column_names(), ["a"]);
        let mut seen = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            seen.push(row.get::<_, i64>(0).unwrap());
        }
        assert_eq!(seen, [3, 2, 1]);
        // A second connection (another TCP connection) sees the same data.
        let other = c.open("basic").unwrap();
        let n: i64 = other
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3);
    }

    fn parameters_and_types(c: &Client) {
        let conn = c.open("types").unwrap();
        conn.execute_batch("CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, n)")
            .unwrap();
        let blob = vec![0u8, 1, 2, 255, 0];
        conn.execute(
            "INSERT INTO v VALUES (?1, ?2, ?3, ?4, ?5)",
            params![i64::MIN, 2.5f64, "héllo ✓", blob, Option::<i64>::None],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO v (i, t) VALUES (:i, :t)",
            named_params! {":i": i64::MAX, ":t": "named"},
        )
        .unwrap();
        let (i, r, t, b, n): (i64, f64, String, Vec<u8>, Option<i64>) = conn
            .query_row(
                "SELECT i, r, t, b, n FROM v WHERE r IS NOT NULL",
                [],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(
            (i, r, t.as_str(), b, n),
            (i64::MIN, 2.5, "héllo ✓", blob, None)
        );
        let t: String = conn
            .query_row("SELECT t FROM v WHERE i = ?1", [i64::MAX], |r| r.get(0))
            .unwrap();
        assert_eq!(t, "named");
        // dqlite's protocol sends text NUL-terminated: text with a NUL
        // inside is refused, never cut short.
        let err = conn
            .execute("INSERT INTO v (t) VALUES (?1)", ["a\0b"])
            .unwrap_err();
        assert!(matches!(err, ferrolite::Error::NulError(_)), "{err:?}");
        // Wrong parameter count: an error, nothing sent that could half-run.
        let err = conn
            .execute("INSERT INTO v (i) VALUES (?1)", params![1, 2])
            .unwrap_err();
        assert!(
            matches!(err, ferrolite::Error::InvalidParameterCount(..))
                || err.sqlite_error_code().is_some(),
            "{err:?}"
        );
        let n: i64 = conn
            .query_row("SELECT count(*) FROM v", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    fn prepared_statements(c: &Client) {
        let conn = c.open("prepared").unwrap();
        conn.execute_batch("CREATE TABLE p (k INTEGER PRIMARY KEY, v TEXT)")
            .unwrap();
        {
            let mut ins = conn.prepare("INSERT INTO p VALUES (?1, ?2)").unwrap();
            assert_eq!(ins.parameter_count(), 2);
            for k in 0..50 {
                assert_eq!(ins.execute(params![k, format!("v{k}")]).unwrap(), 1);
            }
        }
        let mut sel = conn.prepare("SELECT v FROM p WHERE k = ?1").unwrap();
        for k in [0, 17, 49] {
            let v: String = sel.query_row([k], |r| r.get(0)).unwrap();
            assert_eq!(v, format!("v{k}"));
        }
        let missing = sel.query_row([1000], |r| r.get::<_, String>(0));
        assert!(
            matches!(missing, Err(ferrolite::Error::QueryReturnedNoRows)),
            "{missing:?}"
        );
        let mut range = conn
            .prepare("SELECT k FROM p WHERE k < ?1 ORDER BY k")
            .unwrap();
        let ks: Vec<i64> = range
            .query_map([5], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ks, [0, 1, 2, 3, 4]);
        let mut pairs_stmt = conn
            .prepare("SELECT k, v FROM p WHERE k < ?1 ORDER BY k")
            .unwrap();
        let pairs: Vec<(i64, String)> = pairs_stmt
            .query_as([3])
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            pairs,
            [(0, "v0".into()), (1, "v1".into()), (2, "v2".into())]
        );
    }

    fn transactions(c: &Client) {
        let conn = c.open("tx").unwrap();
        conn.execute_batch("CREATE TABLE x (k INTEGER PRIMARY KEY)")
            .unwrap();
        let other = c.open("tx").unwrap();
        let count = |conn: &Connection| -> i64 {
            conn.query_row("SELECT count(*) FROM x", [], |r| r.get(0))
                .unwrap()
        };
        {
            let tx = conn.transaction().unwrap();
            for k in 0..10 {
                tx.execute("INSERT INTO x VALUES (?1)", [k]).unwrap();
            }
            assert_eq!(count(&tx), 10, "a transaction sees its own writes");
            tx.commit().unwrap();
        }
        assert_eq!(count(&other), 10);
        {
            let tx = conn.transaction().unwrap();
            tx.execute("INSERT INTO x VALUES (100)", []).unwrap();
            tx.rollback().unwrap();
        }
        assert_eq!(count(&other), 10);
        {
            let tx = conn.transaction().unwrap();
            tx.execute("INSERT INTO x VALUES (101)", []).unwrap();
            // dropped without commit: rolled back
        }
        assert_eq!(count(&other), 10);
        assert_eq!(count(&conn), 10);
        // A failing statement inside a transaction: the transaction can
        // still be rolled back and the connection goes on.
        {
            let tx = conn.transaction().unwrap();
            tx.execute("INSERT INTO x VALUES (200)", []).unwrap();
            let dup = tx.execute("INSERT INTO x VALUES (200)", []).unwrap_err();
            assert!(dup.is_constraint_violation(), "{dup:?}");
            tx.rollback().unwrap();
        }
        assert_eq!(count(&conn), 10);
    }

    fn errors_carry_sqlite_code_and_message(c: &Client) {
        let conn = c.open("errors").unwrap();
        conn.execute_batch("CREATE TABLE u (k INTEGER PRIMARY KEY, v NOT NULL)")
            .unwrap();
        conn.execute("INSERT INTO u VALUES (1, 'a')", []).unwrap();

        let e = conn
            .execute("INSERT INTO u VALUES (1, 'b')", [])
            .unwrap_err();
        assert_eq!(
            e.sqlite_error_code(),
            Some(ErrorCode::ConstraintViolation),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("UNIQUE constraint failed: u.k"),
            "{e}"
        );

        let e = conn
            .execute("INSERT INTO u VALUES (2, NULL)", [])
            .unwrap_err();
        assert_eq!(
            e.sqlite_error_code(),
            Some(ErrorCode::ConstraintViolation),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("NOT NULL constraint failed: u.v"),
            "{e}"
        );

        let e = conn.execute("SELEC 1", []).unwrap_err();
        assert_eq!(
            e.sqlite_extended_error_code(),
            Some(ffi::SQLITE_ERROR),
            "{e:?}"
        );
        assert!(e.to_string().contains("syntax error"), "{e}");

        let e = conn.prepare("SELECT * FROM nowhere").unwrap_err();
        assert!(e.to_string().contains("no such table: nowhere"), "{e}");

        let e = conn
            .query_row("SELECT v FROM u WHERE k = 1", [], |r| r.get::<_, i64>(0))
            .unwrap_err();
        assert!(
            matches!(e, ferrolite::Error::InvalidColumnType(..)),
            "{e:?}"
        );
        let e = conn
            .query_row("SELECT v FROM u WHERE k = 1", [], |r| r.get::<_, String>(5))
            .unwrap_err();
        assert!(
            matches!(e, ferrolite::Error::InvalidColumnIndex(5)),
            "{e:?}"
        );

        // After all these failures the connection still works.
        let v: String = conn
            .query_row("SELECT v FROM u WHERE k = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, "a");
    }

    const BIG_ROWS: i64 = 20_000;

    fn fill_big(c: &Client) {
        let conn = c.open("big").unwrap();
        conn.execute_batch("CREATE TABLE IF NOT EXISTS big (k INTEGER PRIMARY KEY, pad TEXT)")
            .unwrap();
        let tx = conn.transaction().unwrap();
        {
            let mut ins = tx.prepare("INSERT INTO big VALUES (?1, ?2)").unwrap();
            for k in 0..BIG_ROWS {
                ins.execute(params![k, format!("{k:0>100}")]).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    /// 20,000 rows of ~110 bytes (~2 MB): far more than one response
    /// buffer, so the server sends many row batches; every row arrives, in
    /// order, and the connection is usable afterwards.
    fn large_result_streamed(c: &Client) {
        fill_big(c);
        let conn = c.open("big").unwrap();
        let mut rows = conn.query("SELECT k, pad FROM big ORDER BY k", []).unwrap();
        let mut next = 0i64;
        while let Some(row) = rows.next().unwrap() {
            let k: i64 = row.get(0).unwrap();
            let pad: String = row.get(1).unwrap();
            assert_eq!(k, next);
            assert_eq!(pad, format!("{k:0>100}"));
            next += 1;
        }
        assert_eq!(next, BIG_ROWS);
        drop(rows);
        // Abandoning a result half-way leaves the connection usable.
        let mut rows = conn.query("SELECT k FROM big ORDER BY k", []).unwrap();
        for _ in 0..10 {
            rows.next().unwrap().unwrap();
        }
        drop(rows);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM big", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, BIG_ROWS);
        let mut all = conn.prepare("SELECT k FROM big").unwrap();
        let sum: i64 = all
            .query_map([], |r| r.get::<_, i64>(0))
            .unwrap()
            .map(Result::unwrap)
            .sum();
        assert_eq!(sum, BIG_ROWS * (BIG_ROWS - 1) / 2);
    }

    /// An interrupt from another thread stops a query streaming rows: the
    /// reader gets `SQLITE_INTERRUPT` before the end, and the connection
    /// runs the next statement.
    fn interrupt_stops_a_query(c: &Client) {
        let conn = c.open("big").unwrap();
        let handle = conn.interrupt_handle();
        let mut rows = conn
            .query("SELECT a.k, a.pad FROM big a, big b WHERE b.k < 5", [])
            .unwrap();
        let mut read = 0u64;
        let err = loop {
            match rows.next() {
                Ok(Some(_)) => {
                    read += 1;
                    if read == 100 {
                        let h = handle.clone();
                        thread::spawn(move || h.interrupt()).join().unwrap();
                    }
                }
                Ok(None) => panic!("query ended after {read} rows without being interrupted"),
                Err(e) => break e,
            }
        };
        assert!(err.is_interrupted(), "{err:?}");
        assert!(read < 5 * BIG_ROWS as u64, "read {read} rows");
        drop(rows);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM big", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, BIG_ROWS);
    }

    /// What ferrolite wrote, go-dqlite's own client reads.
    fn visible_to_go_dqlite(c: &Client, cluster: &Cluster) {
        let conn = c.open("crosscheck").unwrap();
        conn.execute_batch("CREATE TABLE cc (k INTEGER PRIMARY KEY, v TEXT)")
            .unwrap();
        conn.execute(
            "INSERT INTO cc VALUES (?1, ?2)",
            params![7, "from ferrolite"],
        )
        .unwrap();
        let out = cluster
            .shell_db("crosscheck", "SELECT k, v FROM cc")
            .expect("dqlite shell");
        assert_eq!(out.trim(), "7|from ferrolite");
    }

    /// How one write ended, from the writer's point of view.
    #[derive(Default)]
    struct Ledger {
        acked: Vec<i64>,
        unknown: Vec<i64>,
        failed: Vec<(i64, String)>,
    }

    /// Kills the leader while a writer loop inserts rows with unique ids,
    /// then checks on the survivors: every write acknowledged as committed
    /// is there exactly once; a write with an unknown outcome at most once;
    /// a write that failed definitely (not an unknown outcome) is absent.
    #[test]
    fn failover_keeps_every_acknowledged_write_once() {
        let Some(mut cluster) = Cluster::start("failover") else {
            return;
        };
        let conn = open(&cluster, "ledger");
        conn.execute_batch("CREATE TABLE w (id INTEGER NOT NULL, at TEXT)")
            .unwrap();

        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (ledger, stop) = (Arc::clone(&ledger), Arc::clone(&stop));
            // No UNIQUE constraint on id: a write applied twice would show
            // up as two rows instead of failing.
            thread::spawn(move || {
                let mut id = 0i64;
                while !stop.load(Ordering::Relaxed) {
                    let r = conn.execute("INSERT INTO w VALUES (?1, 'x')", [id]);
                    let mut l = ledger.lock().unwrap();
                    match r {
                        Ok(1) => l.acked.push(id),
                        Ok(n) => panic!("insert of id {id} reported {n} changes"),
                        Err(e) if e.is_unknown_outcome() => l.unknown.push(id),
                        Err(e) => l.failed.push((id, e.to_string())),
                    }
                    id += 1;
                }
            })
        };
        let acked = || ledger.lock().unwrap().acked.len();
        let wait_acked = |n: usize, what: &str| {
            let start = Instant::now();
            while acked() < n {
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "{what}: only {} acked",
                    acked()
                );
                thread::sleep(Duration::from_millis(10));
            }
        };
        wait_acked(200, "before the kill");
        let leader = cluster.leader();
        let before_kill = acked();
        cluster.kill(&leader);
        wait_acked(before_kill + 200, "after killing the leader");
        stop.store(true, Ordering::Relaxed);
        writer.join().expect("writer thread");

        let new_leader = cluster.leader();
        assert_ne!(new_leader, leader);
        let survivors = cluster.live_addrs();
        let check = client(&survivors).open("ledger").unwrap();
        let counts: HashMap<i64, i64> = check
            .query_as::<(i64, i64), _>("SELECT id, count(*) FROM w GROUP BY id", [])
            .unwrap()
            .into_iter()
            .collect();
        let l = ledger.lock().unwrap();
        eprintln!(
            "failover: {} acknowledged, {} unknown outcome, {} failed; leader {leader} -> {new_leader}",
            l.acked.len(),
            l.unknown.len(),
            l.failed.len()
        );
        for id in &l.acked {
            assert_eq!(
                counts.get(id),
                Some(&1),
                "acknowledged write {id} present once"
            );
        }
        for id in &l.unknown {
            assert!(
                counts.get(id).copied().unwrap_or(0) <= 1,
                "unknown-outcome write {id} at most once"
            );
        }
        for (id, why) in &l.failed {
            assert_eq!(
                counts.get(id),
                None,
                "write {id} failed ({why}) yet is present"
            );
        }
        let known: usize = l.acked.len() + l.unknown.len() + l.failed.len();
        assert!(counts.len() <= known, "rows for ids never written");
        assert!(counts.values().all(|&n| n == 1), "some id appears twice");
    }

    /// A read right after the leader dies is retried on the new leader
    /// without the caller seeing an error; a transaction cut by the leader
    /// change is reported rolled back, and its writes are absent.
    #[test]
    fn leader_change_retries_reads_and_rolls_back_transactions() {
        let Some(mut cluster) = Cluster::start("reads") else {
            return;
        };
        let conn = open(&cluster, "r");
        conn.execute_batch(
            "CREATE TABLE r (k INTEGER PRIMARY KEY); INSERT INTO r VALUES (1), (2), (3)",
        )
        .unwrap();
        let leader = cluster.leader();

        let tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO r VALUES (10)", []).unwrap();
        cluster.kill(&leader);
        let e = tx.execute("INSERT INTO r VALUES (11)", []).err();
        let commit = tx.commit();
        let err = e
            .or(commit.err())
            .expect("a transaction cut by a leader change can't commit");
        // COMMIT was never sent: the cluster rolled the transaction back,
        // and the client says so (not "unknown outcome").
        assert!(
            dqlite::is_rolled_back(&err),
            "expected rolled back, got {err:?}"
        );
        let n: i64 = conn
            .query_row("SELECT count(*) FROM r", [], |r| r.get(0))
            .expect("read retried on the new leader");
        assert_eq!(n, 3, "rows of the rolled-back transaction are absent");
        assert_ne!(cluster.leader(), leader);
    }
}
