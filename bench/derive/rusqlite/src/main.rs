//! Reading 200,000 rows of five columns into a struct with rusqlite: the
//! hand-written `query_map` closure and serde_rusqlite's
//! `from_rows::<Person>`. Run through `bench/derive/run.sh`.

use rusqlite as sql;
use serde::Deserialize;

include!("../../shared.rs");

#[derive(Deserialize)]
pub struct Person {
    id: i64,
    name: String,
    score: f64,
    email: Option<String>,
    level: u8,
}

fn main() -> sql::Result<()> {
    let runs = std::env::args()
        .nth(1)
        .map_or(11, |s| s.parse().expect("runs"));
    let conn = fresh()?;
    let c = &conn;
    measure(
        "rusqlite",
        runs,
        vec![
            (
                "hand-written query_map closure (by index)",
                Box::new(move || closure(c)),
            ),
            (
                "serde_rusqlite::from_rows (serde, by name)",
                Box::new(move || {
                    let mut stmt = c.prepare_cached(SELECT)?;
                    let mut acc = 0;
                    for p in serde_rusqlite::from_rows::<Person>(stmt.query([])?) {
                        let p = p.map_err(|e| sql::Error::ToSqlConversionFailure(Box::new(e)))?;
                        fold(
                            &mut acc,
                            p.id,
                            &p.name,
                            p.score,
                            p.email.as_deref(),
                            p.level,
                        );
                    }
                    Ok(acc)
                }),
            ),
        ],
    )
}
