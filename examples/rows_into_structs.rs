//! Rows into Rust types, three ways, and structs into parameters
//! (feature `serde`).
//!
//! 1. Tuples with `query_as`, no closure needed.
//! 2. Your own `FromRow` implementation.
//! 3. `#[derive(Deserialize)]` with `query_deserialize`, by column name;
//!    `to_params` binds a struct's fields as `:name` parameters, and
//!    `execute_many` inserts many of them atomically.
//!
//! Run: `cargo run --example rows_into_structs --features serde`

use ferrolite::serde::{NamedParams, to_params};
use ferrolite::{Connection, FromRow, Result, Row};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Book,
    Paper,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Work {
    title: String,
    author: String,
    year: i32,
    kind: Kind,
    pages: Option<u32>,
}

/// A hand-written mapping, for when column and field names differ.
struct Citation(String);

impl FromRow for Citation {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let author: String = row.get("author")?;
        let year: i32 = row.get("year")?;
        Ok(Citation(format!("{author} ({year})")))
    }
}

fn main() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE work (id INTEGER PRIMARY KEY, title TEXT NOT NULL, author TEXT NOT NULL,
                            year INTEGER NOT NULL, kind TEXT NOT NULL, pages INTEGER)",
    )?;

    let works = [
        Work {
            title: "On Computable Numbers".into(),
            author: "Turing".into(),
            year: 1936,
            kind: Kind::Paper,
            pages: Some(36),
        },
        Work {
            title: "The Art of Computer Programming".into(),
            author: "Knuth".into(),
            year: 1968,
            kind: Kind::Book,
            pages: None,
        },
        Work {
            title: "A Relational Model of Data".into(),
            author: "Codd".into(),
            year: 1970,
            kind: Kind::Paper,
            pages: Some(11),
        },
    ];

    // Structs into named parameters; all rows or none.
    let params: Vec<NamedParams> = works.iter().map(to_params).collect::<Result<_>>()?;
    let inserted = conn.execute_many(
        "INSERT INTO work (title, author, year, kind, pages)
         VALUES (:title, :author, :year, :kind, :pages)",
        &params,
    )?;
    println!("inserted {inserted} works");

    // 1. Tuples, by position.
    let mut stmt = conn.prepare("SELECT title, year FROM work ORDER BY year")?;
    for row in stmt.query_as::<(String, i32)>([])? {
        let (title, year) = row?;
        println!("{year}: {title}");
    }

    // 2. A FromRow type, and a single row.
    let first: Citation = conn.query_row_as("SELECT * FROM work ORDER BY year LIMIT 1", [])?;
    println!("oldest: {}", first.0);

    // 3. Deserialize by column name (order and extra columns don't matter).
    let mut stmt = conn.prepare("SELECT * FROM work WHERE kind = :kind ORDER BY year")?;
    let papers: Vec<Work> = stmt
        .query_deserialize(to_params(&filter(Kind::Paper))?)?
        .collect::<Result<_>>()?;
    for p in &papers {
        println!("paper: {p:?}");
    }
    assert_eq!(papers.len(), 2);
    assert_eq!(papers[0], works[0]);

    // Errors name the column.
    let err = conn
        .query_row(
            "SELECT title, author, year, 'poem' AS kind FROM work",
            [],
            ferrolite::serde::from_row::<Work>,
        )
        .unwrap_err();
    println!("as expected: {err}");
    Ok(())
}

/// The parameters of the query above, as a struct.
#[derive(Serialize)]
struct Filter {
    kind: Kind,
}

fn filter(kind: Kind) -> Filter {
    Filter { kind }
}
