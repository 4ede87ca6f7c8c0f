//! A user-defined aggregate (Python's `create_aggregate`): the median of a
//! group, with its per-group state kept by ferrolite between rows.
//!
//! Run: `cargo run --example aggregate`

use ferrolite::functions::{Aggregate, Context, FunctionFlags};
use ferrolite::{Connection, Result};

/// `median(x)`: NULLs are skipped; an empty group gives NULL.
struct Median;

impl Aggregate<Vec<f64>, Option<f64>> for Median {
    fn init(&self, _: &mut Context<'_>) -> Result<Vec<f64>> {
        Ok(Vec::new())
    }

    fn step(&self, ctx: &mut Context<'_>, values: &mut Vec<f64>) -> Result<()> {
        if let Some(v) = ctx.get::<Option<f64>>(0)? {
            values.push(v);
        }
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, values: Option<Vec<f64>>) -> Result<Option<f64>> {
        let Some(mut v) = values.filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        Ok(Some(if v.len() % 2 == 0 {
            (v[mid - 1] + v[mid]) / 2.0
        } else {
            v[mid]
        }))
    }
}

fn main() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.create_aggregate_function(
        "median",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        Median,
    )?;
    conn.execute_batch(
        "CREATE TABLE latency(endpoint TEXT, ms REAL);
         INSERT INTO latency VALUES
           ('/login', 120), ('/login', 80), ('/login', 95),
           ('/search', 300), ('/search', 20), ('/search', 40), ('/search', NULL), ('/search', 35);",
    )?;
    let mut stmt = conn.prepare(
        "SELECT endpoint, median(ms), avg(ms) FROM latency GROUP BY endpoint ORDER BY endpoint",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, f64>(1)?,
            r.get::<_, f64>(2)?,
        ))
    })?;
    for row in rows {
        let (endpoint, median, mean) = row?;
        println!("{endpoint:8} median {median:6.1} ms   mean {mean:6.1} ms");
    }
    let empty: Option<f64> =
        conn.query_row("SELECT median(ms) FROM latency WHERE 0", [], |r| r.get(0))?;
    assert_eq!(empty, None);
    Ok(())
}
