//! The ferrolite contender of the virtual-table benchmarks
//! (bench/run-vtab.sh; the C program bench/c/vtab.c describes the
//! workloads). `bench-vtab-ferrolite WORKLOAD N`.

#[path = "../../common.rs"]
mod common;

use std::borrow::Cow;
use std::ffi::{CStr, c_int};
use std::rc::Rc;
use std::sync::Arc;

use common::{ITERS, Res, args, array, ids, in_params_sql, report};
use ferrolite::types::Value;
use ferrolite::vtab::array;
use ferrolite::vtab::carray::carray;
use ferrolite::vtab::{
    Context, Filters, IndexInfo, VTab, VTabConnection, VTabCursor, eponymous_only_module,
};
use ferrolite::{Connection, params_from_iter};

/// `rseq`: an eponymous table over an array, on ferrolite's safe traits;
/// the same module as bench/c/vtab.c's `cseq`.
struct Seq(Arc<[i64]>);

impl<'vtab> VTab<'vtab> for Seq {
    type Aux = Arc<[i64]>;
    type Cursor = SeqCursor<'vtab>;

    fn connect(
        _db: &mut VTabConnection,
        aux: Option<&Arc<[i64]>>,
        _module: &[u8],
        _schema: &[u8],
        _table: &[u8],
        _args: &[&[u8]],
    ) -> ferrolite::Result<(Cow<'static, CStr>, Self)> {
        let a = aux.cloned().unwrap_or_else(|| Arc::from(Vec::new()));
        Ok((c"CREATE TABLE x(value INTEGER)".into(), Seq(a)))
    }

    fn best_index(&self, info: &mut IndexInfo) -> ferrolite::Result<bool> {
        info.set_estimated_cost(self.0.len() as f64);
        info.set_estimated_rows(self.0.len() as i64);
        Ok(true)
    }

    fn open(&'vtab self) -> ferrolite::Result<SeqCursor<'vtab>> {
        Ok(SeqCursor { a: &self.0, row: 0 })
    }
}

struct SeqCursor<'vtab> {
    a: &'vtab [i64],
    row: usize,
}

impl VTabCursor for SeqCursor<'_> {
    fn filter(&mut self, _: c_int, _: Option<&str>, _: &Filters<'_>) -> ferrolite::Result<()> {
        self.row = 0;
        Ok(())
    }
    fn next(&mut self) -> ferrolite::Result<()> {
        self.row += 1;
        Ok(())
    }
    fn eof(&self) -> bool {
        self.row >= self.a.len()
    }
    fn column(&self, ctx: &mut Context, _i: c_int) -> ferrolite::Result<()> {
        ctx.set_i64(self.a[self.row]);
        Ok(())
    }
    fn rowid(&self) -> ferrolite::Result<i64> {
        Ok(self.row as i64 + 1)
    }
}

fn one_row(conn: &Connection, sql: &str, p: impl ferrolite::Params) -> Res<u64> {
    let mut stmt = conn.prepare(sql)?;
    Ok(stmt.query_row(p, |r| Ok(r.get::<_, i64>(0)? as u64))?)
}

fn in_table(conn: &Connection) -> Res<()> {
    conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)")?;
    let tx = conn.unchecked_transaction()?;
    {
        let mut ins = tx.prepare("INSERT INTO t VALUES (?1, ?2)")?;
        for k in 1..=common::IN_ROWS {
            ins.execute([k as i64, common::gen_value(k)])?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn count_sum(r: &ferrolite::Row<'_>) -> ferrolite::Result<u64> {
    Ok(r.get::<_, i64>(0)? as u64 + r.get::<_, Option<i64>>(1)?.unwrap_or(0) as u64)
}

fn main() -> Res<()> {
    let (w, n) = args();
    let conn = Connection::open_in_memory()?;
    array::load_module(&conn)?;
    let data: Arc<[i64]> = array(n).into();
    conn.create_module(
        "rseq",
        eponymous_only_module::<Seq>(),
        Some(Arc::clone(&data)),
    )?;
    let ids = ids();
    if w.starts_with("in_") {
        in_table(&conn)?;
    }
    match w.as_str() {
        "scan_rust_vtab" => report(&w, || one_row(&conn, "SELECT sum(value) FROM rseq", []))?,
        // Bound without a copy: query_row finishes before returning.
        "scan_carray" => report(&w, || {
            one_row(
                &conn,
                "SELECT sum(value) FROM carray(?1)",
                [carray(&data[..])],
            )
        })?,
        // `query` copies the borrowed slice (its rows outlive the call).
        "scan_carray_copy" => report(&w, || {
            let mut stmt = conn.prepare("SELECT sum(value) FROM carray(?1)")?;
            let mut rows = stmt.query([carray(&data[..])])?;
            Ok(rows.next()?.unwrap().get::<_, i64>(0)? as u64)
        })?,
        "scan_rarray" => {
            // Built outside the measured part: rarray needs its Values.
            let values: array::Array = Rc::new(data.iter().map(|&v| Value::Integer(v)).collect());
            report(&w, || {
                one_row(
                    &conn,
                    "SELECT sum(value) FROM rarray(?1)",
                    [Rc::clone(&values)],
                )
            })?
        }
        "in_rarray" => report(&w, || {
            let mut stmt = conn.prepare("SELECT count(*), sum(v) FROM t WHERE id IN rarray(?1)")?;
            let mut ck = 0u64;
            for _ in 0..ITERS {
                // Building the Values is part of passing the list.
                let list: array::Array = Rc::new(ids.iter().map(|&v| Value::Integer(v)).collect());
                ck += stmt.query_row([list], count_sum)?;
            }
            Ok(ck)
        })?,
        "in_carray" => report(&w, || {
            let mut stmt = conn.prepare("SELECT count(*), sum(v) FROM t WHERE id IN carray(?1)")?;
            let mut ck = 0u64;
            for _ in 0..ITERS {
                ck += stmt.query_row([carray(&ids)], count_sum)?;
            }
            Ok(ck)
        })?,
        "in_params" => report(&w, || {
            let mut ck = 0u64;
            for _ in 0..ITERS {
                let sql = in_params_sql(ids.len() as u64);
                let mut stmt = conn.prepare(&sql)?;
                ck += stmt.query_row(params_from_iter(ids.iter()), count_sum)?;
            }
            Ok(ck)
        })?,
        _ => println!("{w}\tSKIP"),
    }
    Ok(())
}
