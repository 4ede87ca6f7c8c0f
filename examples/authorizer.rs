//! An authorizer sandbox (Python's `set_authorizer`): run SQL from an
//! untrusted source against a database where it may read only some tables
//! and columns and write nothing.
//!
//! Run: `cargo run --example authorizer`

use ferrolite::hooks::{AuthAction, AuthContext, Authorization};
use ferrolite::limits::Limit;
use ferrolite::{Connection, Result};

fn sandbox(ctx: AuthContext<'_>) -> Authorization {
    match ctx.action {
        // Plain SELECTs, and the functions they call.
        AuthAction::Select | AuthAction::Function { .. } | AuthAction::Recursive => {
            Authorization::Allow
        }
        // Secrets read as NULL instead of failing the whole query.
        AuthAction::Read {
            table_name: "users",
            column_name: "password_hash",
        } => Authorization::Ignore,
        AuthAction::Read {
            table_name: "users" | "orders",
            ..
        } => Authorization::Allow,
        // Everything else: other tables, writes, DDL, PRAGMA, ATTACH, ...
        _ => Authorization::Deny,
    }
}

fn main() -> Result<()> {
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, password_hash TEXT);
         CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INTEGER, total REAL);
         CREATE TABLE audit(event TEXT);
         INSERT INTO users VALUES (1, 'ada', 'x9f...'), (2, 'bob', 'k2c...');
         INSERT INTO orders VALUES (1, 1, 12.5), (2, 1, 7.5), (3, 2, 99.0);",
    )?;

    // Keep untrusted queries small, too.
    conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, 10_000)?;
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
    conn.authorizer(Some(sandbox))?;

    let untrusted = [
        "SELECT name, password_hash FROM users ORDER BY id",
        "SELECT u.name, sum(o.total) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id",
        "SELECT * FROM audit",
        "DELETE FROM orders",
        "PRAGMA writable_schema = ON",
        "ATTACH '/tmp/other.db' AS other",
    ];
    for sql in untrusted {
        match conn.prepare(sql) {
            Ok(mut stmt) => {
                let n = stmt.column_count();
                let rows: Vec<Vec<String>> = stmt
                    .query_map([], |r| {
                        (0..n)
                            .map(|i| {
                                r.get::<_, Option<String>>(i)
                                    .or_else(|_| r.get::<_, f64>(i).map(|f| Some(f.to_string())))
                                    .map(|v| v.unwrap_or_else(|| "NULL".to_owned()))
                            })
                            .collect()
                    })?
                    .collect::<Result<_>>()?;
                println!("ok      {sql}\n        -> {rows:?}");
            }
            Err(e) => println!("refused {sql}\n        -> {e}"),
        }
    }

    // Back to normal: clear the authorizer.
    conn.authorizer(None::<fn(AuthContext<'_>) -> Authorization>)?;
    conn.execute("INSERT INTO audit VALUES ('sandbox closed')", [])?;
    Ok(())
}
