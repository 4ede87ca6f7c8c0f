//! Offline sync with the session extension: a laptop records its edits
//! while offline, ships them as a changeset (plain bytes), and the server
//! applies them, resolving conflicts with the edits made there meanwhile.
//!
//! Run with `cargo run --example session --features session`.

use ferrolite::fallible_streaming_iterator::FallibleStreamingIterator;
use ferrolite::hooks::Action;
use ferrolite::session::{Changeset, ChangesetItem, ConflictAction, ConflictType, Session};
use ferrolite::types::ValueRef;
use ferrolite::{Connection, Result};

const SCHEMA: &str = "
    CREATE TABLE notes(id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT);
    INSERT INTO notes VALUES (1, 'groceries', 'milk'), (2, 'todo', 'taxes'), (3, 'ideas', NULL);
";

fn show(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
    }
}

fn main() -> Result<()> {
    // Both sides start from the same data.
    let laptop = Connection::open_in_memory()?;
    laptop.execute_batch(SCHEMA)?;
    let server = Connection::open_in_memory()?;
    server.execute_batch(SCHEMA)?;

    // 1. The laptop records its edits.
    let bytes: Vec<u8> = {
        let mut session = Session::new(&laptop)?;
        session.attach::<&str>(None)?; // every table
        laptop.execute_batch(
            "UPDATE notes SET body = 'milk, eggs' WHERE id = 1;
             DELETE FROM notes WHERE id = 2;
             INSERT INTO notes VALUES (4, 'books', 'Dune');",
        )?;
        session.changeset()?.as_bytes().to_vec()
    };
    println!("changeset: {} bytes", bytes.len());

    // Meanwhile, on the server: the same note edited, another one deleted.
    server.execute_batch(
        "UPDATE notes SET body = 'oat milk' WHERE id = 1;
         DELETE FROM notes WHERE id = 2;",
    )?;

    // 2. What the server received.
    let changeset = Changeset::from_bytes(&bytes)?;
    let mut it = changeset.iter()?;
    while let Some(item) = it.next()? {
        let op = item.op()?;
        let verb = match op.code() {
            Action::SQLITE_INSERT => "insert",
            Action::SQLITE_UPDATE => "update",
            Action::SQLITE_DELETE => "delete",
            _ => "?",
        };
        let key = match op.code() {
            Action::SQLITE_INSERT => item.new_value(0)?,
            _ => item.old_value(0)?,
        };
        println!("  {verb} {} id={}", op.table_name(), show(key));
    }

    // 3. Apply it: the laptop wins a conflicting edit; a row already gone
    //    stays gone. Any other conflict aborts the whole apply.
    server.apply(
        &changeset,
        None::<fn(&str) -> bool>,
        |kind: ConflictType, item: ChangesetItem<'_>| match kind {
            ConflictType::SQLITE_CHANGESET_DATA => {
                println!(
                    "conflict: server has body {}, laptop changes it to {}: laptop wins",
                    item.conflict(2).map(show).unwrap_or_default(),
                    item.new_value(2).map(show).unwrap_or_default(),
                );
                ConflictAction::SQLITE_CHANGESET_REPLACE
            }
            ConflictType::SQLITE_CHANGESET_NOTFOUND => {
                println!("conflict: row already deleted on the server: skipped");
                ConflictAction::SQLITE_CHANGESET_OMIT
            }
            other => {
                println!("conflict {other:?}: giving up");
                ConflictAction::SQLITE_CHANGESET_ABORT
            }
        },
    )?;

    let mut stmt = server.prepare("SELECT id, title, body FROM notes ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(format!(
            "{} {} {}",
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?.unwrap_or_default()
        ))
    })?;
    println!("server now:");
    for row in rows {
        println!("  {}", row?);
    }

    // 4. Changed our mind: the inverse changeset undoes the laptop's edits
    //    (conflicts again where the server differs from what the laptop saw).
    let undo = changeset.invert()?;
    server.apply(
        &undo,
        None::<fn(&str) -> bool>,
        |_, _: ChangesetItem<'_>| ConflictAction::SQLITE_CHANGESET_REPLACE,
    )?;
    let n: i64 = server.query_row("SELECT count(*) FROM notes", [], |r| r.get(0))?;
    println!("after undo: {n} notes");
    Ok(())
}
