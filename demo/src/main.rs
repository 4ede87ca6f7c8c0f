//! A walk through ferrolite's core API on an in-memory database.
//!
//! Run: `cargo run --release -p ferrolite-demo`

use ferrolite::{
    Connection, DropBehavior, OptionalExtension, Result, TransactionBehavior, named_params, params,
    params_from_iter,
};

#[derive(Debug)]
#[allow(dead_code)] // fields are shown through Debug
struct Person {
    id: i64,
    name: String,
    email: Option<String>,
}

fn main() -> Result<()> {
    println!("SQLite {} via ferrolite", ferrolite::version());
    let mut conn = Connection::open_in_memory()?;

    conn.execute_batch(
        "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, email TEXT);
         CREATE TABLE visit (person_id INTEGER NOT NULL REFERENCES person(id), at TEXT);",
    )?;
    println!("created tables person and visit");

    // Positional, numbered and named parameters.
    conn.execute(
        "INSERT INTO person (name, email) VALUES (?1, ?2)",
        params!["Ada", "ada@example.org"],
    )?;
    conn.execute("INSERT INTO person (name) VALUES (?)", ["Grace"])?;
    conn.execute(
        "INSERT INTO person (name, email) VALUES (:name, :email)",
        named_params! { ":name": "Linus", ":email": None::<String> },
    )?;
    println!(
        "inserted 3 people; last rowid = {}",
        conn.last_insert_rowid()
    );

    // A transaction with a prepared statement, committed.
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut stmt = tx.prepare("INSERT INTO visit VALUES (?1, ?2)")?;
        for (id, at) in [(1, "2026-01-01"), (1, "2026-02-01"), (2, "2026-03-01")] {
            stmt.execute((id, at))?;
        }
        drop(stmt);
        tx.commit()?;
    }
    println!(
        "committed 3 visits; total_changes = {}",
        conn.total_changes()
    );

    // A transaction that is dropped: rolled back.
    {
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM visit", [])?;
        assert_eq!(tx.drop_behavior(), DropBehavior::Rollback);
    }
    let visits: i64 = conn.query_row("SELECT count(*) FROM visit", [], |r| r.get(0))?;
    println!("after a dropped transaction there are still {visits} visits");

    // Rows into structs, by column name (case-insensitive).
    let mut stmt = conn.prepare("SELECT id, name, email FROM person ORDER BY id")?;
    let people: Vec<Person> = stmt
        .query_map([], |row| {
            Ok(Person {
                id: row.get("ID")?,
                name: row.get("name")?,
                email: row.get(2)?,
            })
        })?
        .collect::<Result<_>>()?;
    for p in &people {
        println!("  {p:?}");
    }

    // The lending iterator, with borrowed text (no allocation per row).
    let mut rows = stmt.query([])?;
    let mut total_len = 0;
    while let Some(row) = rows.next()? {
        total_len += row.get_ref(1)?.as_str()?.len();
    }
    drop(rows);
    drop(stmt);
    println!("names total {total_len} bytes");

    // Optional results and errors as values.
    let missing: Option<String> = conn
        .query_row("SELECT name FROM person WHERE id = 99", [], |r| r.get(0))
        .optional()?;
    println!("person 99: {missing:?}");
    let err = conn
        .execute("INSERT INTO person (name) VALUES ('Ada')", [])
        .unwrap_err();
    println!(
        "duplicate name -> {err} (constraint violation: {})",
        err.is_constraint_violation()
    );
    let err = conn
        .execute("INSERT INTO visit VALUES (42, 'x')", [])
        .unwrap_err();
    println!("unknown person -> {err} (foreign keys are on)");
    let err = conn.prepare("SELEC 1").unwrap_err();
    println!("syntax error -> {err}");

    // The statement cache.
    for id in 1..=3 {
        let mut stmt = conn.prepare_cached("SELECT name FROM person WHERE id = ?1")?;
        let name: String = stmt.query_row([id], |r| r.get(0))?;
        println!("cached lookup {id} -> {name}");
    }

    // A variable number of parameters.
    let ids = [1, 3];
    let sql = format!(
        "SELECT count(*) FROM person WHERE id IN ({})",
        vec!["?"; ids.len()].join(",")
    );
    let n: i64 = conn.query_row(&sql, params_from_iter(ids), |r| r.get(0))?;
    println!("{n} people with id in {ids:?}");

    // Savepoints nest; their names are quoted, so any text is safe.
    {
        let mut sp = conn.savepoint_with_name("it's \"quoted\"")?;
        sp.execute("UPDATE person SET email = 'x' WHERE id = 2", [])?;
        sp.rollback()?;
        sp.commit()?;
    }
    let email: Option<String> =
        conn.query_row("SELECT email FROM person WHERE id = 2", [], |r| r.get(0))?;
    println!("Grace's email after the rolled-back savepoint: {email:?}");

    // Pragmas.
    conn.pragma_update(None, "user_version", 3)?;
    let v: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    println!("user_version = {v}");

    conn.close().map_err(|(_, e)| e)?;
    println!("closed");
    Ok(())
}
