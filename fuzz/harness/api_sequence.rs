//! Arbitrary call sequences on `Connection`, `Statement`, `Transaction`,
//! `Savepoint` and `Blob`, driven by an `arbitrary` enum. Errors are fine;
//! panics, UB and a transaction left open by a dropped guard are bugs.

use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Deref;

use arbitrary::{Arbitrary, Unstructured};
use ferrolite::backup::Backup;
use ferrolite::{Connection, DropBehavior, Savepoint, ToSql, Transaction, TransactionBehavior};

use super::{ArbValue, bound, bounded_connection, drain, rearm};

/// The statements operations pick from. No `BEGIN`/`SAVEPOINT`: only the
/// guards open transactions, so "no transaction left open" is checkable.
const SQL: &[&str] = &[
    "INSERT INTO kv (v) VALUES (?1)",
    "INSERT OR REPLACE INTO kv VALUES (?1, ?2)",
    "UPDATE kv SET v = ?2 WHERE k = ?1",
    "DELETE FROM kv WHERE k = ?1",
    "SELECT k, v FROM kv ORDER BY k",
    "SELECT count(*), sum(length(v)) FROM kv",
    "INSERT INTO b (data) VALUES (zeroblob(?1))",
    "INSERT INTO b (data) VALUES (?1)",
    "SELECT rowid, data FROM b",
    "DELETE FROM b WHERE rowid = ?1",
    "SELECT value FROM generate_series(1, ?1)",
    "CREATE TABLE IF NOT EXISTS extra (x)",
    "DROP TABLE IF EXISTS extra",
    "SELECT * FROM kv, kv AS k2, kv AS k3",
    "PRAGMA user_version = 3",
    "VACUUM",
    "ALTER TABLE kv ADD COLUMN w DEFAULT 1",
    "INSERT INTO kv (v) SELECT v FROM kv LIMIT 50",
];

#[derive(Arbitrary, Debug)]
enum Op {
    Execute(u8, Vec<ArbValue>),
    Query(u8, Vec<ArbValue>, u8),
    Cached(u8, Vec<ArbValue>),
    CacheCapacity(u8),
    FlushCache,
    Batch(u8, u8),
    Tx(Behavior, Vec<Op>, End),
    Savepoint(Option<String>, Vec<Op>, End),
    Unchecked(Vec<Op>, End),
    Blob(i64, bool, Vec<BlobOp>),
    Hold(u8, Vec<HoldOp>),
    Interrupt(u8),
    Serialize,
    Deserialize(Vec<u8>, bool),
    Backup(u8),
    Dump,
    Reopen,
    ReleaseMemory,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Behavior {
    Deferred,
    Immediate,
    Exclusive,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum End {
    Commit,
    Rollback,
    Finish,
    DropRollback,
    DropCommit,
    DropIgnore,
}

#[derive(Arbitrary, Debug)]
enum BlobOp {
    ReadAt(u16, u16),
    WriteAt(u16, Vec<u8>),
    Read(u16),
    Write(Vec<u8>),
    Seek(i32, u8),
    Reopen(i64),
    Len,
}

#[derive(Arbitrary, Debug)]
enum HoldOp {
    Start(Vec<ArbValue>),
    Step(u8),
    Execute(u8, Vec<ArbValue>),
    Bind(u8, ArbValue),
    Clear,
    Stop,
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(ops) = Vec::<Op>::arbitrary(&mut u) else {
        return;
    };
    if std::env::var_os("FERROLITE_FUZZ_DEBUG").is_some() {
        eprintln!("{ops:#?}");
    }
    let mut conn = fresh();
    let mut budget = 64;
    run_top(&mut conn, &ops, &mut budget);
    rearm(&mut conn);
    // The guards never leave a transaction open behind them.
    assert!(conn.is_autocommit());
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

fn fresh() -> Connection {
    let conn = bounded_connection();
    conn.execute_batch(
        "CREATE TABLE kv (k INTEGER PRIMARY KEY, v);
         CREATE TABLE b (data BLOB);
         INSERT INTO kv (v) VALUES (1), ('two'), (x'03');
         INSERT INTO b (data) VALUES (zeroblob(16)), (x'0102030405');",
    )
    .unwrap();
    conn
}

fn sql(i: u8) -> &'static str {
    SQL[i as usize % SQL.len()]
}

fn params(values: &[ArbValue]) -> Vec<Box<dyn ToSql + '_>> {
    values.iter().map(ArbValue::as_to_sql).collect()
}

fn end_tx(mut tx: Transaction<'_>, end: End) {
    match end {
        End::Commit => drop(tx.commit()),
        End::Rollback => drop(tx.rollback()),
        End::Finish => drop(tx.finish()),
        End::DropRollback => tx.set_drop_behavior(DropBehavior::Rollback),
        End::DropCommit => tx.set_drop_behavior(DropBehavior::Commit),
        End::DropIgnore => tx.set_drop_behavior(DropBehavior::Ignore),
    }
}

fn end_sp(mut sp: Savepoint<'_>, end: End) {
    match end {
        End::Commit => drop(sp.commit()),
        End::Rollback => {
            let _ = sp.rollback();
        }
        End::Finish => drop(sp.finish()),
        End::DropRollback => sp.set_drop_behavior(DropBehavior::Rollback),
        End::DropCommit => sp.set_drop_behavior(DropBehavior::Commit),
        End::DropIgnore => sp.set_drop_behavior(DropBehavior::Ignore),
    }
}

/// Operations that need `&mut Connection`, at the top level.
fn run_top(conn: &mut Connection, ops: &[Op], budget: &mut u32) {
    for op in ops {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        rearm(conn);
        match op {
            Op::Tx(behavior, inner, end) => {
                let behavior = match behavior {
                    Behavior::Deferred => TransactionBehavior::Deferred,
                    Behavior::Immediate => TransactionBehavior::Immediate,
                    Behavior::Exclusive => TransactionBehavior::Exclusive,
                };
                if let Ok(mut tx) = conn.transaction_with_behavior(behavior) {
                    run_nested(&mut tx, inner, budget, 1);
                    end_tx(tx, *end);
                }
                if asks_to_ignore(*end, inner) && !conn.is_autocommit() {
                    // `Ignore` leaves it open by request: close it.
                    let _ = conn.execute_batch("ROLLBACK");
                }
                assert!(conn.is_autocommit(), "a transaction guard left it open");
            }
            Op::Savepoint(name, inner, end) => {
                top_savepoint(conn, name.as_deref(), inner, *end, budget);
                if asks_to_ignore(*end, inner) && !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                assert!(conn.is_autocommit(), "a savepoint guard left it open");
            }
            Op::Deserialize(bytes, read_only) => {
                if conn.deserialize_copy("main", bytes, *read_only).is_err() {
                    assert!(conn.is_autocommit());
                }
                // Keep the tables the other operations use.
                let _ = conn.execute_batch(
                    "CREATE TABLE IF NOT EXISTS kv (k INTEGER PRIMARY KEY, v);
                     CREATE TABLE IF NOT EXISTS b (data BLOB);",
                );
            }
            Op::Backup(pages) => {
                let mut other = bounded_connection();
                if let Ok(backup) = Backup::new(conn, &mut other) {
                    let _ = backup.run_to_completion(
                        i32::from(*pages % 8) + 1,
                        std::time::Duration::ZERO,
                        None,
                    );
                }
                // And back again.
                if let Ok(backup) = Backup::new(&other, conn) {
                    let _ = backup.step(-1);
                }
            }
            Op::Reopen => {
                let old = std::mem::replace(conn, fresh());
                drop(old.close());
            }
            other => run_shared(conn, other, budget, 0),
        }
    }
}

/// True if a guard in this tree was told to leave its transaction open
/// (`DropBehavior::Ignore`): then, e.g., an outer `RELEASE` of a name an
/// inner savepoint reused releases the inner one, as SQLite specifies.
fn asks_to_ignore(end: End, inner: &[Op]) -> bool {
    matches!(end, End::DropIgnore)
        || inner.iter().any(|op| match op {
            Op::Tx(_, ops, e) | Op::Savepoint(_, ops, e) | Op::Unchecked(ops, e) => {
                asks_to_ignore(*e, ops)
            }
            _ => false,
        })
}

fn top_savepoint(
    conn: &mut Connection,
    name: Option<&str>,
    inner: &[Op],
    end: End,
    budget: &mut u32,
) {
    let sp = match name {
        Some(n) => conn.savepoint_with_name(n),
        None => conn.savepoint(),
    };
    if let Ok(mut sp) = sp {
        run_nested(&mut sp, inner, budget, 1);
        end_sp(sp, end);
    }
}

/// A guard a savepoint can nest in.
trait Nest: Deref<Target = Connection> {
    fn nest(&mut self, name: Option<&str>) -> ferrolite::Result<Savepoint<'_>>;
}

impl Nest for Transaction<'_> {
    fn nest(&mut self, name: Option<&str>) -> ferrolite::Result<Savepoint<'_>> {
        match name {
            Some(n) => self.savepoint_with_name(n),
            None => self.savepoint(),
        }
    }
}

impl Nest for Savepoint<'_> {
    fn nest(&mut self, name: Option<&str>) -> ferrolite::Result<Savepoint<'_>> {
        match name {
            Some(n) => self.savepoint_with_name(n),
            None => self.savepoint(),
        }
    }
}

fn run_nested<G: Nest>(guard: &mut G, ops: &[Op], budget: &mut u32, depth: u32) {
    for op in ops {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        match op {
            Op::Savepoint(name, inner, end) if depth < 4 => {
                if let Ok(mut sp) = guard.nest(name.as_deref()) {
                    run_nested(&mut sp, inner, budget, depth + 1);
                    end_sp(sp, *end);
                }
            }
            other => run_shared(guard, other, budget, depth),
        }
    }
}

/// Operations that need only `&Connection`.
fn run_shared(conn: &Connection, op: &Op, budget: &mut u32, depth: u32) {
    match op {
        Op::Execute(i, values) => {
            let values = params(values);
            let refs: Vec<&dyn ToSql> = values.iter().map(|b| &**b).collect();
            if let Ok(mut stmt) = conn.prepare(sql(*i)) {
                let n = stmt.parameter_count();
                let _ = stmt.execute(&refs[..n.min(refs.len())]);
            }
        }
        Op::Query(i, values, rows) => {
            if let Ok(mut stmt) = conn.prepare(sql(*i)) {
                let values = params(values);
                let mut ok = true;
                for p in 1..=stmt.parameter_count() {
                    if let Some(v) = values.get(p - 1) {
                        ok &= stmt.raw_bind_parameter(p, &**v).is_ok();
                    }
                }
                if ok {
                    let _ = drain(&mut stmt, usize::from(*rows));
                }
            }
        }
        Op::Cached(i, values) => {
            if let Ok(mut stmt) = conn.prepare_cached(sql(*i)) {
                let values = params(values);
                let refs: Vec<&dyn ToSql> = values.iter().map(|b| &**b).collect();
                let n = stmt.parameter_count();
                if refs.len() >= n {
                    let _ = stmt.query(&refs[..n]).map(|mut rows| {
                        while let Ok(Some(row)) = rows.next() {
                            for c in 0..row.as_ref().column_count() {
                                super::read_column(row, c);
                            }
                        }
                    });
                }
            }
        }
        Op::CacheCapacity(n) => conn.set_prepared_statement_cache_capacity(usize::from(*n % 8)),
        Op::FlushCache => conn.flush_prepared_statement_cache(),
        Op::Batch(a, b) => {
            let text = format!("{}; {}", sql(*a), sql(*b));
            let _ = conn.execute_batch(&text);
        }
        Op::Unchecked(inner, end) => {
            if depth == 0 {
                if let Ok(tx) = conn.unchecked_transaction() {
                    for op in inner.iter().take(8) {
                        if *budget == 0 {
                            break;
                        }
                        *budget -= 1;
                        match op {
                            Op::Tx(..) | Op::Savepoint(..) | Op::Unchecked(..) => {}
                            other => run_shared(&tx, other, budget, depth + 1),
                        }
                    }
                    let ignore = matches!(end, End::DropIgnore);
                    end_tx(tx, *end);
                    if ignore && !conn.is_autocommit() {
                        let _ = conn.execute_batch("ROLLBACK");
                    }
                }
                assert!(conn.is_autocommit());
            }
        }
        Op::Blob(rowid, read_only, ops) => blob_ops(conn, *rowid, *read_only, ops),
        Op::Hold(i, ops) => hold(conn, *i, ops),
        Op::Interrupt(i) => {
            conn.get_interrupt_handle().interrupt();
            let _ = conn.execute_batch(sql(*i));
            // The next statement runs normally.
            let v: ferrolite::Result<i64> = conn.query_row("SELECT 5", [], |r| r.get(0));
            if let Ok(v) = v {
                assert_eq!(v, 5);
            }
        }
        Op::Serialize => {
            if let Ok(image) = conn.serialize_to_vec("main") {
                let mut other = Connection::open_in_memory().unwrap();
                let _ = other.deserialize_copy("main", &image, true);
            }
        }
        Op::Dump => {
            let mut out = Vec::new();
            let _ = conn.dump(&mut out);
        }
        Op::ReleaseMemory => {
            let _ = conn.release_memory();
            let _ = conn.cache_flush();
        }
        // Need `&mut Connection` or a guard: skipped at this level.
        Op::Tx(..) | Op::Savepoint(..) | Op::Deserialize(..) | Op::Backup(..) | Op::Reopen => {}
    }
}

fn blob_ops(conn: &Connection, rowid: i64, read_only: bool, ops: &[BlobOp]) {
    let Ok(mut blob) = conn.blob_open("main", "b", "data", rowid % 8, read_only) else {
        return;
    };
    for op in ops.iter().take(32) {
        match op {
            BlobOp::ReadAt(off, len) => {
                let mut buf = vec![0u8; usize::from(*len % 4096)];
                if let Ok(n) = blob.read_at(&mut buf, usize::from(*off)) {
                    assert!(n <= buf.len());
                    // Past the end a read gets nothing, like a file's.
                    assert!(n == 0 || usize::from(*off) + n <= blob.len());
                }
            }
            BlobOp::WriteAt(off, bytes) => {
                let fits = usize::from(*off) + bytes.len() <= blob.len();
                let r = blob.write_at(bytes, usize::from(*off));
                if read_only || !fits {
                    assert!(r.is_err());
                }
            }
            BlobOp::Read(len) => {
                let mut buf = vec![0u8; usize::from(*len % 4096)];
                let _ = blob.read(&mut buf);
            }
            BlobOp::Write(bytes) => {
                let _ = blob.write(bytes);
            }
            BlobOp::Seek(pos, kind) => {
                let pos = match kind % 3 {
                    0 => SeekFrom::Start(u64::from(pos.unsigned_abs())),
                    1 => SeekFrom::End(i64::from(*pos)),
                    _ => SeekFrom::Current(i64::from(*pos)),
                };
                if let Ok(at) = blob.seek(pos) {
                    assert!(at <= blob.len() as u64);
                }
            }
            BlobOp::Reopen(rowid) => {
                let _ = blob.reopen(*rowid % 8);
            }
            BlobOp::Len => {
                assert_eq!(blob.len(), blob.size() as usize);
            }
        }
    }
}

fn hold(conn: &Connection, i: u8, ops: &[HoldOp]) {
    let Ok(mut stmt) = conn.prepare(sql(i)) else {
        return;
    };
    let n = stmt.parameter_count();
    // Bind everything once so raw queries can start.
    for p in 1..=n {
        let _ = stmt.raw_bind_parameter(p, 1_i64);
    }
    let mut ops = ops.iter().take(32).peekable();
    while let Some(op) = ops.next() {
        match op {
            HoldOp::Start(values) => {
                let values = params(values);
                let refs: Vec<&dyn ToSql> = values.iter().map(|b| &**b).collect();
                let Ok(mut rows) = stmt.query(&refs[..n.min(refs.len())]) else {
                    continue;
                };
                // Interleave steps with other statements on the connection
                // while this one is mid-way.
                while let Some(HoldOp::Step(k) | HoldOp::Execute(k, _)) = ops.peek() {
                    let k = *k;
                    match ops.next() {
                        Some(HoldOp::Step(_)) => {
                            for _ in 0..k % 8 {
                                match rows.next() {
                                    Ok(Some(row)) => {
                                        for c in 0..row.as_ref().column_count() {
                                            super::read_column(row, c);
                                        }
                                    }
                                    _ => break,
                                }
                            }
                        }
                        Some(HoldOp::Execute(j, values)) => {
                            let values = params(values);
                            let refs: Vec<&dyn ToSql> = values.iter().map(|b| &**b).collect();
                            if let Ok(mut other) = conn.prepare(sql(*j)) {
                                let m = other.parameter_count();
                                let _ = other.execute(&refs[..m.min(refs.len())]);
                            }
                        }
                        _ => unreachable!(),
                    }
                }
            }
            HoldOp::Step(k) => {
                let _ = drain(&mut stmt, usize::from(*k % 8));
            }
            HoldOp::Execute(j, values) => {
                let values = params(values);
                let refs: Vec<&dyn ToSql> = values.iter().map(|b| &**b).collect();
                if let Ok(mut other) = conn.prepare(sql(*j)) {
                    let m = other.parameter_count();
                    let _ = other.execute(&refs[..m.min(refs.len())]);
                }
            }
            HoldOp::Bind(p, v) => {
                if n > 0 {
                    let _ = stmt.raw_bind_parameter(usize::from(*p) % n + 1, &*v.as_to_sql());
                }
            }
            HoldOp::Clear => stmt.clear_bindings(),
            HoldOp::Stop => break,
        }
    }
    let _ = stmt.finalize();
    let _ = (
        bound as fn(&mut Connection),
        Write::flush as fn(&mut Vec<u8>) -> _,
    );
}
