//! The rusqlite contender of the virtual-table benchmarks
//! (bench/run-vtab.sh; the C program bench/c/vtab.c describes the
//! workloads). `bench-vtab-rusqlite WORKLOAD N`. rusqlite 0.41.1 has no
//! carray binding (and its bundled SQLite no carray): its `IN` list is
//! `rarray(?1)` over an `Rc<Vec<Value>>`.

#[path = "../../common.rs"]
mod common;

use std::borrow::Cow;
use std::ffi::{CStr, c_int};
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

use common::{ITERS, Res, args, array, ids, in_params_sql, report};
use rusqlite::types::Value;
use rusqlite::vtab::{
    Context, Filters, IndexInfo, Module, VTab, VTabConnection, VTabCursor, sqlite3_vtab,
    sqlite3_vtab_cursor,
};
use rusqlite::{Connection, params_from_iter};

/// `rseq`: the same module as bench/c/vtab.c's `cseq`, on rusqlite's
/// (unsafe) traits.
#[repr(C)]
struct Seq {
    base: sqlite3_vtab,
    a: Arc<[i64]>,
}

unsafe impl<'vtab> VTab<'vtab> for Seq {
    type Aux = Arc<[i64]>;
    type Cursor = SeqCursor<'vtab>;

    fn connect(
        _db: &mut VTabConnection,
        aux: Option<&Arc<[i64]>>,
        _module: &[u8],
        _schema: &[u8],
        _table: &[u8],
        _args: &[&[u8]],
    ) -> rusqlite::Result<(Cow<'static, CStr>, Self)> {
        let a = aux.cloned().unwrap_or_else(|| Arc::from(Vec::new()));
        Ok((
            c"CREATE TABLE x(value INTEGER)".into(),
            Seq {
                base: sqlite3_vtab::default(),
                a,
            },
        ))
    }

    fn best_index(&self, info: &mut IndexInfo) -> rusqlite::Result<bool> {
        info.set_estimated_cost(self.a.len() as f64);
        info.set_estimated_rows(self.a.len() as i64);
        Ok(true)
    }

    fn open(&'vtab mut self) -> rusqlite::Result<SeqCursor<'vtab>> {
        Ok(SeqCursor {
            base: sqlite3_vtab_cursor::default(),
            a: Arc::clone(&self.a),
            row: 0,
            phantom: PhantomData,
        })
    }
}

#[repr(C)]
struct SeqCursor<'vtab> {
    base: sqlite3_vtab_cursor,
    a: Arc<[i64]>,
    row: usize,
    phantom: PhantomData<&'vtab Seq>,
}

unsafe impl VTabCursor for SeqCursor<'_> {
    fn filter(&mut self, _: c_int, _: Option<&str>, _: &Filters<'_>) -> rusqlite::Result<()> {
        self.row = 0;
        Ok(())
    }
    fn next(&mut self) -> rusqlite::Result<()> {
        self.row += 1;
        Ok(())
    }
    fn eof(&self) -> bool {
        self.row >= self.a.len()
    }
    fn column(&self, ctx: &mut Context, _i: c_int) -> rusqlite::Result<()> {
        ctx.set_result(self.a[self.row])
    }
    fn rowid(&self) -> rusqlite::Result<i64> {
        Ok(self.row as i64 + 1)
    }
}

const SEQ_MODULE: Module<'static, Seq> = Module::eponymous_only_module();

fn one_row(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Res<u64> {
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

fn count_sum(r: &rusqlite::Row<'_>) -> rusqlite::Result<u64> {
    Ok(r.get::<_, i64>(0)? as u64 + r.get::<_, Option<i64>>(1)?.unwrap_or(0) as u64)
}

fn main() -> Res<()> {
    let (w, n) = args();
    let conn = Connection::open_in_memory()?;
    rusqlite::vtab::array::load_module(&conn)?;
    let data: Arc<[i64]> = array(n).into();
    conn.create_module("rseq", &SEQ_MODULE, Some(Arc::clone(&data)))?;
    let ids = ids();
    if w.starts_with("in_") {
        in_table(&conn)?;
    }
    match w.as_str() {
        "scan_rust_vtab" => report(&w, || one_row(&conn, "SELECT sum(value) FROM rseq", []))?,
        "scan_rarray" => {
            // Built outside the measured part: rarray needs its Values.
            let values: Rc<Vec<Value>> = Rc::new(data.iter().map(|&v| Value::Integer(v)).collect());
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
                let list: Rc<Vec<Value>> =
                    Rc::new(ids.iter().map(|&v| Value::Integer(v)).collect());
                ck += stmt.query_row([list], count_sum)?;
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
