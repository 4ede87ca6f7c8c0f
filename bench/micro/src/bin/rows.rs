//! Costs of the row-mapping and bulk-insert conveniences against the
//! hand-written forms (not a test: run it with
//! `cargo run --release -p ferrolite-micro --bin rows` in `bench/`).
//!
//! Reading 200,000 rows of five columns: a `query_map` closure, `query_as`
//! into a tuple, `query_deserialize` into a `#[derive(Deserialize)]`
//! struct; writing them: `execute` in a loop inside a transaction,
//! `execute_many` with tuples, `execute_many` with `to_params`; and reading
//! 200,000 timestamps as `NaiveDateTime`. Each figure is the median of 7
//! runs, in nanoseconds per row.

use std::time::Instant;

use chrono::NaiveDateTime;
use ferrolite::serde::{NamedParams, to_params};
use ferrolite::{Connection, Result};
use serde::{Deserialize, Serialize};

const ROWS: i64 = 200_000;
const RUNS: usize = 7;

#[derive(Debug, Serialize, Deserialize)]
struct Person {
    id: i64,
    name: String,
    score: f64,
    email: Option<String>,
    level: u8,
}

fn people() -> Vec<Person> {
    (0..ROWS)
        .map(|i| Person {
            id: i,
            name: format!("person {i}"),
            score: i as f64 / 7.0,
            email: (i % 3 == 0).then(|| format!("p{i}@example.com")),
            level: (i % 200) as u8,
        })
        .collect()
}

fn fresh() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, score REAL, email TEXT, level INTEGER)",
    )?;
    Ok(conn)
}

type Case<'a> = (&'a str, Box<dyn FnMut() -> Result<()> + 'a>);

/// Runs the cases of a group interleaved (to share the machine's noise
/// fairly) and prints each one's median nanoseconds per row.
fn measure(cases: Vec<Case<'_>>) -> Result<()> {
    let mut cases = cases;
    let mut ns = vec![Vec::with_capacity(RUNS); cases.len()];
    for _ in 0..RUNS {
        for (i, (_, f)) in cases.iter_mut().enumerate() {
            let start = Instant::now();
            f()?;
            ns[i].push(start.elapsed().as_nanos() as f64 / ROWS as f64);
        }
    }
    for ((label, _), mut v) in cases.into_iter().zip(ns) {
        v.sort_by(f64::total_cmp);
        println!("{label:<52} {:>8.1} ns/row", v[RUNS / 2]);
    }
    Ok(())
}

fn main() -> Result<()> {
    let data = people();
    println!("{ROWS} rows, median of {RUNS} interleaved runs");

    println!("-- writing --");
    let insert = "INSERT INTO person VALUES (?1, ?2, ?3, ?4, ?5)";
    let named = "INSERT INTO person VALUES (:id, :name, :score, :email, :level)";
    let data = &data;
    measure(vec![
        (
            "execute in a loop, one transaction",
            Box::new(|| {
                let mut conn = fresh()?;
                let tx = conn.transaction()?;
                {
                    let mut stmt = tx.prepare(insert)?;
                    for p in data {
                        stmt.execute((p.id, &p.name, p.score, &p.email, p.level))?;
                    }
                }
                tx.commit()
            }),
        ),
        (
            "execute_many with tuples",
            Box::new(|| {
                let conn = fresh()?;
                conn.execute_many(
                    insert,
                    data.iter()
                        .map(|p| (p.id, &p.name, p.score, &p.email, p.level)),
                )?;
                Ok(())
            }),
        ),
        (
            "execute_many with to_params (serialize + bind)",
            Box::new(|| {
                let conn = fresh()?;
                let params: Vec<NamedParams> = data.iter().map(to_params).collect::<Result<_>>()?;
                conn.execute_many(named, &params)?;
                Ok(())
            }),
        ),
    ])?;

    println!("-- reading --");
    let conn = fresh()?;
    conn.execute_many(
        insert,
        data.iter()
            .map(|p| (p.id, &p.name, p.score, &p.email, p.level)),
    )?;
    let select = "SELECT id, name, score, email, level FROM person";
    let (mut s1, mut s2, mut s3) = (
        conn.prepare(select)?,
        conn.prepare(select)?,
        conn.prepare(select)?,
    );
    measure(vec![
        (
            "query_map closure into a struct",
            Box::new(|| {
                let n = s1
                    .query_map([], |r| {
                        Ok(Person {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            score: r.get(2)?,
                            email: r.get(3)?,
                            level: r.get(4)?,
                        })
                    })?
                    .try_fold(0, |n, p| p.map(|p| n + p.level as usize))?;
                assert!(n > 0);
                Ok(())
            }),
        ),
        (
            "query_as into a tuple",
            Box::new(|| {
                type T = (i64, String, f64, Option<String>, u8);
                let n = s2
                    .query_as::<T>([])?
                    .try_fold(0, |n, p| p.map(|p| n + p.4 as usize))?;
                assert!(n > 0);
                Ok(())
            }),
        ),
        (
            "query_deserialize into a struct (by name)",
            Box::new(|| {
                let n = s3
                    .query_deserialize::<Person>([])?
                    .try_fold(0, |n, p| p.map(|p| n + p.level as usize))?;
                assert!(n > 0);
                Ok(())
            }),
        ),
    ])?;
    drop((s1, s2, s3));

    println!("-- timestamps --");
    conn.execute_batch(
        "CREATE TABLE ts AS SELECT datetime(1700000000 + id * 37, 'unixepoch', 'subsec') AS at FROM person",
    )?;
    let sql = "SELECT at FROM ts";
    let (mut s1, mut s2, mut s3) = (conn.prepare(sql)?, conn.prepare(sql)?, conn.prepare(sql)?);
    measure(vec![
        (
            "read TEXT as String",
            Box::new(|| {
                let n = s1
                    .query_as::<String>([])?
                    .try_fold(0, |n, s| s.map(|s| n + s.len()))?;
                assert!(n > 0);
                Ok(())
            }),
        ),
        (
            "read TEXT as NaiveDateTime (ferrolite's parser)",
            Box::new(|| {
                let n = s2
                    .query_as::<NaiveDateTime>([])?
                    .try_fold(0i64, |n, t| t.map(|t| n ^ t.and_utc().timestamp()))?;
                assert!(n != 0);
                Ok(())
            }),
        ),
        (
            "read TEXT, chrono parse_from_str (rusqlite's way)",
            Box::new(|| {
                let n = s3
                    .query_map([], |r| {
                        let s = r.get_ref(0)?.as_str()?.to_owned();
                        NaiveDateTime::parse_from_str(&s, "%F %T%.f")
                            .map_err(|e| ferrolite::Error::UserFunctionError(Box::new(e)))
                    })?
                    .try_fold(0i64, |n, t| t.map(|t| n ^ t.and_utc().timestamp()))?;
                assert!(n != 0);
                Ok(())
            }),
        ),
    ])?;
    Ok(())
}
