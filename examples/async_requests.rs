//! A request loop on `ferrolite::tokio::Pool`, without a web framework:
//! spawned tasks play concurrent clients of a small banking service, each
//! request with its own deadline (`tokio::time::timeout`), as a server
//! would give each HTTP request.
//!
//! Three kinds of request: balance lookups (readers), transfers (the
//! writer, a transaction of two updates), and a deliberately slow "report"
//! that usually misses its deadline. A request that times out has its
//! future dropped, which cancels its work: a running statement is
//! interrupted, its transaction rolled back, and nothing of it touches the
//! requests that follow. At the end the program checks that the books
//! balance (every transfer is whole or absent) and that the database is
//! intact.
//!
//! `cargo run --example async_requests --features tokio`

use std::time::{Duration, Instant};

use ferrolite::tokio::Pool;

const ACCOUNTS: i64 = 100;
const OPENING_BALANCE: i64 = 1_000;
const CLIENTS: u64 = 16;
const REQUESTS_PER_CLIENT: u64 = 200;
/// Every request's deadline.
const DEADLINE: Duration = Duration::from_millis(25);

#[derive(Default)]
struct Tally {
    lookups: u64,
    transfers: u64,
    reports: u64,
    timed_out: u64,
}

/// A tiny xorshift generator (no dependency).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

async fn client(pool: Pool, seed: u64) -> ferrolite::Result<Tally> {
    let mut rng = Rng(seed);
    let mut tally = Tally::default();
    for _ in 0..REQUESTS_PER_CLIENT {
        let a = 1 + rng.below(ACCOUNTS as u64) as i64;
        let b = 1 + rng.below(ACCOUNTS as u64) as i64;
        let amount = 1 + rng.below(50) as i64;
        let kind = rng.below(100);
        let outcome = if kind < 70 {
            // A balance lookup.
            let request = pool.read(move |c| {
                c.query_row("SELECT balance FROM account WHERE id = ?1", [a], |r| {
                    r.get::<_, i64>(0)
                })
            });
            tokio::time::timeout(DEADLINE, request)
                .await
                .map(|r| r.map(|_| tally.lookups += 1))
        } else if kind < 97 {
            // A transfer: both updates or neither.
            let request = pool.write(move |c| {
                let tx = c.transaction()?;
                tx.execute(
                    "UPDATE account SET balance = balance - ?2 WHERE id = ?1",
                    [a, amount],
                )?;
                tx.execute(
                    "UPDATE account SET balance = balance + ?2 WHERE id = ?1",
                    [b, amount],
                )?;
                tx.execute(
                    "INSERT INTO ledger (src, dst, amount) VALUES (?1, ?2, ?3)",
                    [a, b, amount],
                )?;
                tx.commit()
            });
            tokio::time::timeout(DEADLINE, request)
                .await
                .map(|r| r.map(|_| tally.transfers += 1))
        } else {
            // A slow report: far more work than the deadline allows.
            let request = pool.read(|c| {
                c.query_row(
                    "SELECT count(*) FROM generate_series(1, 100000000)",
                    [],
                    |r| r.get::<_, i64>(0),
                )
            });
            tokio::time::timeout(DEADLINE, request)
                .await
                .map(|r| r.map(|_| tally.reports += 1))
        };
        match outcome {
            Ok(result) => result?,
            Err(_elapsed) => tally.timed_out += 1,
        }
    }
    Ok(tally)
}

#[tokio::main]
async fn main() -> ferrolite::Result<()> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pool = Pool::builder(dir.path().join("bank.db"))
        .readers(4)
        .build()
        .await?;
    pool.write(|c| {
        c.execute_batch(
            "CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
             CREATE TABLE ledger (src INTEGER, dst INTEGER, amount INTEGER);",
        )?;
        let tx = c.transaction()?;
        for id in 1..=ACCOUNTS {
            tx.execute("INSERT INTO account VALUES (?1, ?2)", [id, OPENING_BALANCE])?;
        }
        tx.commit()
    })
    .await?;

    let start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| tokio::spawn(client(pool.clone(), 0x9e37_79b9 + i * 7_919)))
        .collect();
    let mut total = Tally::default();
    for c in clients {
        let t = c.await.expect("a client task")?;
        total.lookups += t.lookups;
        total.transfers += t.transfers;
        total.reports += t.reports;
        total.timed_out += t.timed_out;
    }
    let elapsed = start.elapsed();
    let requests = CLIENTS * REQUESTS_PER_CLIENT;
    println!(
        "{requests} requests from {CLIENTS} clients in {:.0?}, each with a {DEADLINE:?} deadline:",
        elapsed
    );
    println!(
        "  served: {} lookups, {} transfers, {} reports; timed out (cancelled): {}",
        total.lookups, total.transfers, total.reports, total.timed_out
    );

    // The books balance: money moved only by whole transfers, and exactly
    // the transfers in the ledger (a cancelled one left no trace).
    let (sum, entries, check): (i64, i64, String) = pool
        .read(|c| {
            let sum = c.query_row("SELECT sum(balance) FROM account", [], |r| r.get(0))?;
            let entries = c.query_row("SELECT count(*) FROM ledger", [], |r| r.get(0))?;
            let check = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            Ok::<_, ferrolite::Error>((sum, entries, check))
        })
        .await?;
    // Every balance equals the opening balance plus what the ledger says
    // came in, minus what went out.
    let mismatched: i64 = pool
        .read(|c| {
            c.query_row(
                "SELECT count(*) FROM account AS a WHERE balance <> ?1
                   + (SELECT coalesce(sum(amount), 0) FROM ledger WHERE dst = a.id)
                   - (SELECT coalesce(sum(amount), 0) FROM ledger WHERE src = a.id)",
                [OPENING_BALANCE],
                |r| r.get(0),
            )
        })
        .await?;
    println!(
        "  total balance {sum} (expected {}), {entries} ledger entries, \
         {mismatched} accounts disagreeing with the ledger, integrity_check: {check}",
        ACCOUNTS * OPENING_BALANCE
    );
    assert_eq!(sum, ACCOUNTS * OPENING_BALANCE);
    // A transfer whose deadline passed just after it committed is in the
    // ledger (whole) though its client saw a timeout.
    assert!(entries >= total.transfers as i64);
    assert_eq!(mismatched, 0);
    assert_eq!(check, "ok");
    println!("  the database is consistent");
    pool.close().await;
    Ok(())
}
