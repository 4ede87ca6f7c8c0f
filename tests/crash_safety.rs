//! Crash safety: a child process commits transactions in a loop and
//! reports each id after `COMMIT` returns; the parent kills it with SIGKILL
//! at a random moment, many rounds, in rollback-journal and WAL modes. After
//! every kill the database opens, `PRAGMA integrity_check` is `ok`, every
//! reported transaction is present, and no transaction is half there.
//!
//! The child is this same test binary, re-run with `--ignored --exact
//! crash_child` and the database path in `FERROLITE_CRASH_DB`.

mod common;
use crate::common::temp_path;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use ferrolite::{Connection, params};

const ROUNDS: usize = 20;

/// Rows written by each transaction: a crash inside one must leave all or
/// none of them.
const ROWS_PER_TX: i64 = 4;

#[test]
#[ignore = "the child process of the crash tests; run by them"]
fn crash_child() {
    let path = std::env::var("FERROLITE_CRASH_DB").expect("run by the crash tests");
    let mode = std::env::var("FERROLITE_CRASH_MODE").unwrap();
    let mut conn = Connection::open(&path).unwrap();
    let got: String = conn
        .query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| r.get(0))
        .unwrap();
    assert_eq!(got, mode.to_lowercase());
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS tx (id INTEGER PRIMARY KEY, rows INTEGER);
         CREATE TABLE IF NOT EXISTS item (tx INTEGER, k INTEGER, payload BLOB,
                                          PRIMARY KEY (tx, k));
         CREATE INDEX IF NOT EXISTS item_payload ON item (length(payload));",
    )
    .unwrap();
    let mut id: i64 = conn
        .query_row("SELECT coalesce(max(id), 0) FROM tx", [], |r| r.get(0))
        .unwrap();
    let stdout = std::io::stdout();
    loop {
        id += 1;
        let tx = conn.transaction().unwrap();
        for k in 0..ROWS_PER_TX {
            // Sizes vary so transactions span one page or many.
            let len = (id * 7919 + k * 104_729) % 9000;
            tx.execute(
                "INSERT INTO item VALUES (?1, ?2, randomblob(?3))",
                params![id, k, len],
            )
            .unwrap();
        }
        // Sometimes delete old rows too, so pages are freed and reused.
        if id % 5 == 0 {
            tx.execute("DELETE FROM item WHERE tx = ?1 AND k = 0", [id - 3])
                .unwrap();
            tx.execute("UPDATE tx SET rows = rows - 1 WHERE id = ?1", [id - 3])
                .unwrap();
        }
        tx.execute("INSERT INTO tx VALUES (?1, ?2)", [id, ROWS_PER_TX])
            .unwrap();
        tx.commit().unwrap();
        let mut out = stdout.lock();
        writeln!(out, "COMMITTED {id}").unwrap();
        out.flush().unwrap();
    }
}

struct Rng(u64);
impl Rng {
    fn new() -> Rng {
        let t = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Rng(t | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// Runs one child until it has reported at least `min_commits` new
/// transactions, then lets it run a random extra moment and kills it.
/// Returns the ids it reported.
fn run_and_kill(path: &std::path::Path, mode: &str, rng: &mut Rng) -> Vec<i64> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FERROLITE_CRASH_DB", path)
        .env("FERROLITE_CRASH_MODE", mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Read on a thread so the child never blocks on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut ids = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // The test harness may print its own text on the same line.
            if let Some(pos) = line.find("COMMITTED ") {
                // A line cut short by the kill may hold no number (skipped)
                // or a prefix of one (a smaller id, also committed).
                if let Ok(id) = line[pos + 10..].trim().parse::<i64>() {
                    ids.push(id);
                }
            }
        }
        ids
    });
    // Kill anywhere from right at start-up (possibly mid-recovery of the
    // previous crash) to well into the loop.
    let wait = Duration::from_micros(rng.below(120_000));
    let start = Instant::now();
    while start.elapsed() < wait {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the child exited on its own: {status}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    reader.join().unwrap()
}

/// Checks the database after a kill. `reported` holds every id any child
/// reported; `before` is the highest id present before this round.
fn check(path: &std::path::Path, reported: &[i64], before: i64) -> i64 {
    let conn = Connection::open(path).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let exists: bool = conn
        .query_row(
            "SELECT count(*) = 2 FROM sqlite_schema WHERE name IN ('tx', 'item')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if !exists {
        assert!(
            reported.is_empty(),
            "tables missing after commits were reported"
        );
        return 0;
    }
    // Every reported transaction is there...
    let mut stmt = conn.prepare("SELECT 1 FROM tx WHERE id = ?1").unwrap();
    for id in reported {
        assert!(
            stmt.exists([id]).unwrap(),
            "committed transaction {id} lost"
        );
    }
    // ...ids have no holes, and this round added at most one more than it
    // reported (the kill may land between COMMIT and the report)...
    let (n, max): (i64, i64) = conn
        .query_row("SELECT count(*), coalesce(max(id), 0) FROM tx", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(n, max, "a transaction id is missing");
    let last = reported.iter().copied().max().unwrap_or(0).max(before);
    assert!(
        max == last || max == last + 1,
        "max {max}, last reported or present before {last}"
    );
    // ...and each transaction has all of its rows, none half-written.
    let torn: i64 = conn
        .query_row(
            "SELECT count(*) FROM tx
             WHERE rows != (SELECT count(*) FROM item WHERE item.tx = tx.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(torn, 0, "a transaction is partly present");
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM item WHERE tx NOT IN (SELECT id FROM tx)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "rows of an uncommitted transaction survived");
    max
}

fn crash_rounds(mode: &str) {
    let (_dir, path) = temp_path("crash.db");
    let mut rng = Rng::new();
    let mut all_reported = Vec::new();
    let mut killed_with_commits = 0;
    let mut before = 0;
    for round in 0..ROUNDS {
        let reported = run_and_kill(&path, mode, &mut rng);
        if !reported.is_empty() {
            killed_with_commits += 1;
        }
        all_reported.extend_from_slice(&reported);
        let max = check(&path, &all_reported, before);
        assert!(max >= before, "round {round}");
        before = max;
    }
    // The child did real work in most rounds (a kill at start-up is a
    // valid case, but not the only one we want).
    assert!(
        killed_with_commits >= ROUNDS / 4,
        "only {killed_with_commits} rounds committed anything"
    );
    assert!(!all_reported.is_empty());
    eprintln!(
        "{mode}: {ROUNDS} kills, {} committed transactions reported, 0 lost",
        all_reported.len()
    );
}

#[test]
fn sigkill_during_rollback_journal_transactions() {
    crash_rounds("DELETE");
}

#[test]
fn sigkill_during_wal_transactions() {
    crash_rounds("WAL");
}
