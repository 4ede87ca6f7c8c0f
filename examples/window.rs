//! A user-defined window function (Python's `create_window_function`): a
//! moving sum that SQLite slides over each frame with `step`/`inverse`.
//!
//! Run: `cargo run --example window`

use ferrolite::functions::{Aggregate, Context, FunctionFlags, WindowAggregate};
use ferrolite::{Connection, Result};

/// `sumint(x)`: the sum of the integers in the window.
struct SumInt;

impl Aggregate<i64, i64> for SumInt {
    fn init(&self, _: &mut Context<'_>) -> Result<i64> {
        Ok(0)
    }
    fn step(&self, ctx: &mut Context<'_>, sum: &mut i64) -> Result<()> {
        *sum += ctx.get::<i64>(0)?;
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, sum: Option<i64>) -> Result<i64> {
        Ok(sum.unwrap_or(0))
    }
}

impl WindowAggregate<i64, i64> for SumInt {
    fn value(&self, sum: Option<&mut i64>) -> Result<i64> {
        Ok(sum.map_or(0, |s| *s))
    }
    fn inverse(&self, ctx: &mut Context<'_>, sum: &mut i64) -> Result<()> {
        *sum -= ctx.get::<i64>(0)?;
        Ok(())
    }
}

fn main() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.create_window_function(
        "sumint",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        SumInt,
    )?;
    // The example of the Python documentation.
    conn.execute_batch(
        "CREATE TABLE test(x, y);
         INSERT INTO test VALUES ('a', 4), ('b', 5), ('c', 3), ('d', 8), ('e', 1);",
    )?;
    let mut stmt = conn.prepare(
        "SELECT x, sumint(y) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS sum_y
         FROM test ORDER BY x",
    )?;
    let rows: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    for (x, sum) in &rows {
        println!("{x} {sum}");
    }
    assert_eq!(
        rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        [9, 12, 16, 12, 9]
    );
    Ok(())
}
