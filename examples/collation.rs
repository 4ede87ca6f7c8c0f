//! Collations (Python's `create_collation`): the Python documentation's
//! "reverse" example, then a natural sort order and collation-on-demand.
//!
//! Run: `cargo run --example collation`

use std::cmp::Ordering;

use ferrolite::{Connection, Result};

/// The Python documentation's collate_reverse, as is.
fn collate_reverse(string1: &str, string2: &str) -> Ordering {
    if string1 == string2 {
        Ordering::Equal
    } else if string1 < string2 {
        Ordering::Greater
    } else {
        Ordering::Less
    }
}

/// "file2" before "file10": digit runs compare as numbers.
fn natural(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    for (x, y) in chunks(a).into_iter().zip(chunks(b)) {
        let ord = match (x, y) {
            ((true, x), (true, y)) => x
                .trim_start_matches('0')
                .len()
                .cmp(&y.trim_start_matches('0').len())
                .then_with(|| x.trim_start_matches('0').cmp(y.trim_start_matches('0'))),
            ((_, x), (_, y)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

fn main() -> Result<()> {
    let conn = Connection::open_in_memory()?;

    // The Python documentation's example, line for line.
    conn.create_collation("reverse", collate_reverse)?;
    conn.execute_batch("create table test(x)")?;
    let mut insert = conn.prepare("insert into test(x) values (?)")?;
    for x in ["a", "b"] {
        insert.execute([x])?;
    }
    let mut stmt = conn.prepare("select x from test order by x collate reverse")?;
    for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
        println!("{:?}", (row?,));
    }
    drop(stmt);
    // con.create_collation("reverse", None)
    conn.remove_collation("reverse")?;

    // Natural order, registered only when a statement first needs it.
    conn.collation_needed(|conn, name| {
        if name == "natsort" {
            conn.create_collation(name, natural)?;
        }
        Ok(())
    })?;
    conn.execute_batch(
        "CREATE TABLE files(name TEXT);
         INSERT INTO files VALUES ('file10.txt'), ('file2.txt'), ('file1.txt'), ('file20.txt');",
    )?;
    let mut stmt = conn.prepare("SELECT name FROM files ORDER BY name COLLATE natsort")?;
    let names: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_>>()?;
    println!("{names:?}");
    assert_eq!(
        names,
        ["file1.txt", "file2.txt", "file10.txt", "file20.txt"]
    );
    Ok(())
}
