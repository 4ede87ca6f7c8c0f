//! The per-group state of an aggregate must be `Send` too.
use std::rc::Rc;

use ferrolite::functions::{Aggregate, Context, FunctionFlags};
use ferrolite::{Connection, Result};

struct Collect;

impl Aggregate<Vec<Rc<i64>>, i64> for Collect {
    fn init(&self, _: &mut Context<'_>) -> Result<Vec<Rc<i64>>> {
        Ok(Vec::new())
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut Vec<Rc<i64>>) -> Result<()> {
        acc.push(Rc::new(ctx.get(0)?));
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<Vec<Rc<i64>>>) -> Result<i64> {
        Ok(acc.map_or(0, |v| v.len() as i64))
    }
}

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    conn.create_aggregate_function("collect", 1, FunctionFlags::default(), Collect)
        .unwrap();
}
