//! Reading 200,000 rows of five columns into a struct with ferrolite:
//! `#[derive(FromRow)]` + `query_as` against the hand-written `query_map`
//! closure (the goal: within 1.05x), `query_deserialize`, and `query_as`
//! into a tuple. Run through `bench/derive/run.sh`.

use ferrolite as sql;
use serde::Deserialize;

include!("../../shared.rs");

#[derive(sql::FromRow, Deserialize)]
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
        "ferrolite",
        runs,
        vec![
            (
                "hand-written query_map closure (by index)",
                Box::new(move || closure(c)),
            ),
            (
                "#[derive(FromRow)] + query_as (by name)",
                Box::new(move || {
                    let mut stmt = c.prepare_cached(SELECT)?;
                    let mut acc = 0;
                    for p in stmt.query_as::<Person>([])? {
                        let p = p?;
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
            (
                "#[derive(FromRow)] + query_map(Person::from_row)",
                Box::new(move || {
                    use sql::FromRow;
                    let mut stmt = c.prepare_cached(SELECT)?;
                    let mut acc = 0;
                    for p in stmt.query_map([], Person::from_row)? {
                        let p = p?;
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
            (
                "query_as into a tuple",
                Box::new(move || {
                    let mut stmt = c.prepare_cached(SELECT)?;
                    let mut acc = 0;
                    for t in stmt.query_as::<(i64, String, f64, Option<String>, u8)>([])? {
                        let (id, name, score, email, level) = t?;
                        fold(&mut acc, id, &name, score, email.as_deref(), level);
                    }
                    Ok(acc)
                }),
            ),
            (
                "query_deserialize (serde, by name)",
                Box::new(move || {
                    let mut stmt = c.prepare_cached(SELECT)?;
                    let mut acc = 0;
                    for p in stmt.query_deserialize::<Person>([])? {
                        let p = p?;
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
