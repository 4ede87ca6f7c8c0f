//! [`Connection`], [`Statement`], [`Rows`], [`Transaction`]: a database on
//! the cluster's leader.

use std::cell::{Cell, RefCell, RefMut};
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::client::Client;
use super::local;
use super::protocol::{Encoder, RowItem, RowsReader, request, response};
use super::wire::{Fail, Wire, expect_ok, failure_of, unexpected};
use super::{
    SQLITE_IOERR_LEADERSHIP_LOST, SQLITE_IOERR_NOT_LEADER, fail_to_error, io_err, rolled_back,
    unknown_outcome,
};
use crate::ffi;
use crate::types::{FromSql, Value};
use crate::{Error, FromRow, Params, Result, RowIndex};

/// What a request does, for the retry rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Changes nothing: safe to send again.
    Read,
    /// May change the database: never sent twice once sent.
    Write,
    /// `COMMIT` of a transaction.
    Commit,
}

/// What to do with a failed attempt.
enum Next {
    Retry(Error),
    Fail(Error),
}

/// The state behind a [`Connection`].
#[derive(Debug)]
struct Session {
    client: Client,
    name: String,
    wire: Option<Wire>,
    db: u32,
    /// Bumped on every (re)connection: statements prepared under another
    /// generation are prepared again.
    generation: u64,
    in_tx: bool,
    tx_broken: bool,
    next_token: u64,
    /// The query whose rows are still coming, if any.
    pending: Option<u64>,
    last_insert_rowid: i64,
    changes: u64,
}

impl Session {
    fn reconnect(&mut self) -> Result<()> {
        self.wire = None;
        self.pending = None;
        let mut wire = self.client.take_leader_wire()?;
        let mut e = Encoder::new();
        e.text(&self.name)?.u64(0).text("volatile")?;
        match wire.call(&e.finish(request::OPEN, 0)) {
            Ok(super::protocol::Response::Db { id }) => {
                self.db = id;
                self.wire = Some(wire);
                self.generation += 1;
                Ok(())
            }
            Ok(other) => Err(fail_to_error(unexpected(&other))),
            Err(f) => Err(fail_to_error(f)),
        }
    }

    fn wire(&mut self) -> Result<&mut Wire, Fail> {
        match self.wire.as_mut() {
            Some(w) => Ok(w),
            None => Err(Fail::NotSent(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "not connected",
            ))),
        }
    }

    fn lose_connection(&mut self) {
        self.wire = None;
        self.pending = None;
        self.client.forget_leader();
    }

    /// Interrupts the pending query, reading (and dropping) its remaining
    /// batches up to the server's Empty answer.
    fn finish_pending(&mut self) {
        if self.pending.take().is_none() {
            return;
        }
        let mut e = Encoder::new();
        e.u64(u64::from(self.db));
        let msg = e.finish(request::INTERRUPT, 0);
        let ok = (|| -> Result<(), Fail> {
            let w = self.wire()?;
            // The rest of the query's rows may be waiting unread.
            w.send_mid_stream(&msg)?;
            // Bounded: a server that never ends the stream is dropped.
            for _ in 0..100_000 {
                let (h, _) = w.recv()?;
                if h.kind == response::EMPTY || h.kind == response::FAILURE {
                    return Ok(());
                }
            }
            Err(Fail::Proto(super::protocol::ProtocolError(
                "no end to an interrupted query".into(),
            )))
        })();
        if ok.is_err() {
            self.lose_connection();
        }
    }

    fn classify(&mut self, f: Fail, kind: Kind) -> Next {
        let why;
        let sent = match f {
            Fail::Server { code, message } => {
                let code = i32::try_from(code).unwrap_or(ffi::SQLITE_ERROR);
                if code == SQLITE_IOERR_NOT_LEADER {
                    why = format!("not leader: {message}");
                    false
                } else if code == SQLITE_IOERR_LEADERSHIP_LOST {
                    why = format!("leadership lost: {message}");
                    true
                } else {
                    return Next::Fail(Error::SqliteFailure(ffi::Error::new(code), Some(message)));
                }
            }
            Fail::NotSent(e) => {
                why = e.to_string();
                false
            }
            Fail::Lost(e) => {
                why = e.to_string();
                true
            }
            Fail::Proto(e) => {
                self.lose_connection();
                if self.in_tx {
                    self.tx_broken = kind != Kind::Commit;
                    if kind == Kind::Commit {
                        self.in_tx = false;
                        return Next::Fail(unknown_outcome(&e.to_string()));
                    }
                    return Next::Fail(rolled_back(&e.to_string()));
                }
                return Next::Fail(match kind {
                    Kind::Read => fail_to_error(Fail::Proto(e)),
                    _ => unknown_outcome(&e.to_string()),
                });
            }
        };
        self.lose_connection();
        if kind == Kind::Commit && sent {
            self.in_tx = false;
            return Next::Fail(unknown_outcome(&why));
        }
        if self.in_tx {
            self.tx_broken = true;
            return Next::Fail(rolled_back(&why));
        }
        if sent && kind == Kind::Write {
            return Next::Fail(unknown_outcome(&why));
        }
        Next::Retry(io_err(format!("dqlite: {why}")))
    }

    /// Runs `op` on the leader, following leader changes by the rules of
    /// the module docs.
    fn run<T>(
        &mut self,
        kind: Kind,
        mut op: impl FnMut(&mut Session) -> Result<T, Fail>,
    ) -> Result<T> {
        if self.tx_broken {
            return Err(rolled_back("earlier in this transaction"));
        }
        let deadline = Instant::now() + self.client.config().leader_timeout;
        loop {
            if self.wire.is_none() {
                if self.in_tx {
                    self.tx_broken = true;
                    return Err(rolled_back("connection closed"));
                }
                self.reconnect()?;
            }
            self.finish_pending();
            if self.wire.is_none() {
                continue;
            }
            match op(self) {
                Ok(v) => return Ok(v),
                Err(f) => match self.classify(f, kind) {
                    Next::Fail(e) => return Err(e),
                    Next::Retry(e) => {
                        if Instant::now() >= deadline {
                            return Err(e);
                        }
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                },
            }
        }
    }

    fn exec_sql(&mut self, kind: Kind, sql: &str, values: &[Value]) -> Result<u64> {
        let mut tail = Encoder::new();
        tail.text(sql)?.params(values)?;
        self.run(kind, |s| {
            let mut e = Encoder::new();
            e.u64(u64::from(s.db)).bytes(tail.body());
            let msg = e.finish(request::EXEC_SQL, 0);
            s.take_result(&msg)
        })
    }

    fn take_result(&mut self, msg: &[u8]) -> Result<u64, Fail> {
        match self.wire()?.call(msg)? {
            super::protocol::Response::Result {
                last_insert_id,
                rows_affected,
            } => {
                self.last_insert_rowid = last_insert_id as i64;
                self.changes = rows_affected;
                Ok(rows_affected)
            }
            other => Err(unexpected(&other)),
        }
    }

    /// Sends a query, reads its first batch.
    fn start_query(&mut self, msg: &[u8]) -> Result<RowsReader, Fail> {
        let w = self.wire()?;
        w.send(msg)?;
        let (h, body) = w.recv()?;
        match h.kind {
            response::ROWS => Ok(RowsReader::new(body)?),
            response::FAILURE => Err(failure_of(&body)),
            _ => Err(expect_ok(h, &body).map_or_else(|f| f, |r| unexpected(&r))),
        }
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.pending = Some(self.next_token);
        self.next_token
    }
}

/// Whether `sql` starts with `SELECT` or `VALUES` (after blanks and
/// comments): a read, safe to run again on a new leader.
fn is_read(sql: &str) -> bool {
    let mut s = sql.trim_start();
    loop {
        if let Some(r) = s.strip_prefix("--") {
            s = r.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(r) = s.strip_prefix("/*") {
            s = r.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    let word: String = s
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    word == "SELECT" || word == "VALUES"
}

/// A database opened on a dqlite cluster's leader, with the same calls as
/// a local [`crate::Connection`] where the protocol allows. Not `Sync`: one
/// request at a time.
#[derive(Debug)]
pub struct Connection {
    s: RefCell<Session>,
    interrupt: Arc<AtomicBool>,
}

impl Connection {
    pub(crate) fn open(client: Client, name: &str) -> Result<Connection> {
        let mut s = Session {
            client,
            name: name.to_owned(),
            wire: None,
            db: 0,
            generation: 0,
            in_tx: false,
            tx_broken: false,
            next_token: 0,
            pending: None,
            last_insert_rowid: 0,
            changes: 0,
        };
        s.reconnect()?;
        Ok(Connection {
            s: RefCell::new(s),
            interrupt: Arc::new(AtomicBool::new(false)),
        })
    }

    fn session(&self) -> Result<RefMut<'_, Session>> {
        self.s.try_borrow_mut().map_err(|_| {
            Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_MISUSE),
                Some("dqlite: connection used from inside one of its own calls".into()),
            )
        })
    }

    /// The database name.
    pub fn name(&self) -> String {
        self.s.borrow().name.clone()
    }

    /// Runs one statement (SQL text, one round trip) and returns the
    /// number of rows changed.
    ///
    /// # Errors
    /// Parameter errors (as for a local connection); the server's failure
    /// (SQLite code and message); an unknown outcome
    /// ([`Error::is_unknown_outcome`]) when the connection broke after the
    /// statement was sent; no leader found in time.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        let values = local::collect_params(sql, params)?;
        let n = self.session()?.exec_sql(Kind::Write, sql, &values)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Runs the statements of `sql` (no parameters), in one round trip.
    ///
    /// # Errors
    /// As [`Connection::execute`].
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        self.session()?.exec_sql(Kind::Write, sql, &[])?;
        Ok(())
    }

    /// The rowid of the last row inserted through this connection, as the
    /// last `execute` reported it.
    pub fn last_insert_rowid(&self) -> i64 {
        self.s.borrow().last_insert_rowid
    }

    /// The rows changed by the last `execute`.
    pub fn changes(&self) -> u64 {
        self.s.borrow().changes
    }

    /// Prepares `sql` on the server; the statement stays prepared there
    /// until dropped (and is prepared again after a leader change).
    ///
    /// # Errors
    /// The server's failure to prepare; no leader found in time.
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        let mut tail = Encoder::new();
        tail.text(sql)?;
        let mut s = self.session()?;
        let (id, params) = s.run(Kind::Read, |s| prepare_on(s, tail.body()))?;
        Ok(Statement {
            conn: self,
            sql: sql.to_owned(),
            tail,
            id: Cell::new(id),
            generation: Cell::new(s.generation),
            params,
            read: is_read(sql),
        })
    }

    /// Runs a query (SQL text) and streams its rows.
    ///
    /// # Errors
    /// As [`Connection::execute`]; reads (`SELECT`, `VALUES`) are run again
    /// on a new leader instead of failing.
    pub fn query<P: Params>(&self, sql: &str, params: P) -> Result<Rows<'_>> {
        let values = local::collect_params(sql, params)?;
        let mut tail = Encoder::new();
        tail.text(sql)?.params(&values)?;
        let kind = if is_read(sql) {
            Kind::Read
        } else {
            Kind::Write
        };
        self.interrupt.store(false, Ordering::Relaxed);
        let mut s = self.session()?;
        let reader = s.run(kind, |s| {
            let mut e = Encoder::new();
            e.u64(u64::from(s.db)).bytes(tail.body());
            s.start_query(&e.finish(request::QUERY_SQL, 0))
        })?;
        let token = s.token();
        let generation = s.generation;
        Ok(Rows::new(self, reader, token, generation, kind))
    }

    /// Runs a query and maps its first row with `f`.
    ///
    /// # Errors
    /// `QueryReturnedNoRows`; what `f` returns; as [`Connection::query`].
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&crate::Row<'_>) -> Result<T>,
    {
        let mut rows = self.query(sql, params)?;
        match rows.next()? {
            Some(row) => row.with_row(f),
            None => Err(Error::QueryReturnedNoRows),
        }
    }

    /// Runs a query and reads every row as `T` ([`FromRow`]: a `FromSql`
    /// value, a tuple, or a `#[derive(FromRow)]` struct).
    ///
    /// # Errors
    /// As [`Connection::query`]; conversion errors naming the column.
    pub fn query_as<T: FromRow, P: Params>(&self, sql: &str, params: P) -> Result<Vec<T>> {
        let mut rows = self.query(sql, params)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(row.with_row(T::from_row)?);
        }
        Ok(out)
    }

    /// Runs a query and reads its first row as `T`.
    ///
    /// # Errors
    /// `QueryReturnedNoRows`; as [`Connection::query_as`].
    pub fn query_row_as<T: FromRow, P: Params>(&self, sql: &str, params: P) -> Result<T> {
        self.query_row(sql, params, T::from_row)
    }

    /// Begins a transaction (`BEGIN`), rolled back when dropped unless
    /// committed. Takes `&self` (as rusqlite's `unchecked_transaction`):
    /// calls made on the connection meanwhile run inside it.
    ///
    /// # Errors
    /// The server's failure (e.g. a transaction already open); no leader
    /// found in time.
    pub fn transaction(&self) -> Result<Transaction<'_>> {
        {
            let mut s = self.session()?;
            s.exec_sql(Kind::Read, "BEGIN", &[])?;
            s.in_tx = true;
            s.tx_broken = false;
        }
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }

    /// A handle that interrupts this connection's running query from any
    /// thread. The query stops at its next row batch and fails with
    /// `SQLITE_INTERRUPT`.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle {
            flag: Arc::clone(&self.interrupt),
        }
    }

    /// The client this connection came from.
    pub fn client(&self) -> Client {
        self.s.borrow().client.clone()
    }
}

fn prepare_on(s: &mut Session, tail: &[u8]) -> Result<(u32, u64), Fail> {
    let mut e = Encoder::new();
    e.u64(u64::from(s.db)).bytes(tail);
    match s.wire()?.call(&e.finish(request::PREPARE, 0))? {
        super::protocol::Response::Stmt { id, params, .. } => Ok((id, params)),
        other => Err(unexpected(&other)),
    }
}

/// Interrupts a [`Connection`]'s query from another thread.
#[derive(Clone, Debug)]
pub struct InterruptHandle {
    flag: Arc<AtomicBool>,
}

impl InterruptHandle {
    /// Asks the running query to stop at its next row batch.
    pub fn interrupt(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }
}

/// A statement prepared on the server. Finalized there when dropped.
#[derive(Debug)]
pub struct Statement<'c> {
    conn: &'c Connection,
    sql: String,
    tail: Encoder,
    id: Cell<u32>,
    generation: Cell<u64>,
    params: u64,
    read: bool,
}

impl<'c> Statement<'c> {
    /// The number of parameters, as the server counted them.
    pub fn parameter_count(&self) -> usize {
        usize::try_from(self.params).unwrap_or(usize::MAX)
    }

    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The statement id on the current connection, prepared again first if
    /// the connection changed.
    fn ensure(&self, s: &mut Session) -> Result<u32, Fail> {
        if self.generation.get() != s.generation {
            let (id, _) = prepare_on(s, self.tail.body())?;
            self.id.set(id);
            self.generation.set(s.generation);
        }
        Ok(self.id.get())
    }

    fn message(&self, s: &mut Session, kind: u8, values: &[u8]) -> Result<Vec<u8>, Fail> {
        let id = self.ensure(s)?;
        let mut e = Encoder::new();
        e.u32(s.db).u32(id).bytes(values);
        Ok(e.finish(kind, 0))
    }

    /// Runs the statement and returns the number of rows changed.
    ///
    /// # Errors
    /// As [`Connection::execute`].
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let values = local::collect_params(&self.sql, params)?;
        let mut enc = Encoder::new();
        enc.params(&values)?;
        let mut s = self.conn.session()?;
        let n = s.run(Kind::Write, |s| {
            let msg = self.message(s, request::EXEC, enc.body())?;
            s.take_result(&msg)
        })?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Runs the query and streams its rows.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        let values = local::collect_params(&self.sql, params)?;
        let mut enc = Encoder::new();
        enc.params(&values)?;
        let kind = if self.read { Kind::Read } else { Kind::Write };
        self.conn.interrupt.store(false, Ordering::Relaxed);
        let mut s = self.conn.session()?;
        let reader = s.run(kind, |s| {
            let msg = self.message(s, request::QUERY, enc.body())?;
            s.start_query(&msg)
        })?;
        let token = s.token();
        let generation = s.generation;
        Ok(Rows::new(self.conn, reader, token, generation, kind))
    }

    /// Runs the query and maps its first row with `f`.
    ///
    /// # Errors
    /// `QueryReturnedNoRows`; what `f` returns; as [`Statement::query`].
    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&crate::Row<'_>) -> Result<T>,
    {
        let mut rows = self.query(params)?;
        match rows.next()? {
            Some(row) => row.with_row(f),
            None => Err(Error::QueryReturnedNoRows),
        }
    }

    /// Runs the query and maps each row with `f`, lazily.
    ///
    /// # Errors
    /// As [`Statement::query`]; each item carries its own row's error.
    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> Result<MappedRows<'_, F>>
    where
        P: Params,
        F: FnMut(&crate::Row<'_>) -> Result<T>,
    {
        Ok(MappedRows {
            rows: self.query(params)?,
            f,
        })
    }

    /// Runs the query and reads each row as `T`, lazily.
    ///
    /// # Errors
    /// As [`Statement::query_map`].
    #[allow(clippy::type_complexity)]
    pub fn query_as<T: FromRow, P: Params>(
        &mut self,
        params: P,
    ) -> Result<MappedRows<'_, fn(&crate::Row<'_>) -> Result<T>>> {
        self.query_map(params, T::from_row as fn(&crate::Row<'_>) -> Result<T>)
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        let Ok(mut s) = self.conn.s.try_borrow_mut() else {
            return;
        };
        if s.generation != self.generation.get() || s.wire.is_none() {
            return; // gone with its connection
        }
        s.finish_pending();
        let mut e = Encoder::new();
        e.u32(s.db).u32(self.id.get());
        let msg = e.finish(request::FINALIZE, 0);
        if let Ok(w) = s.wire() {
            if w.call(&msg).is_err() {
                s.lose_connection();
            }
        }
    }
}

/// One row of a dqlite result: the values, with their column names.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

impl Row {
    /// The value of a column (by 0-based index or by name) as `T`, with the
    /// conversions and errors of [`crate::Row::get`].
    ///
    /// # Errors
    /// `InvalidColumnIndex`, `InvalidColumnName`, `InvalidColumnType`, …
    pub fn get<I: RowIndex, T: FromSql>(&self, idx: I) -> Result<T> {
        self.with_row(|r| r.get(idx))
    }

    /// Runs `f` on this row as a [`crate::Row`] (what `FromRow`, serde's
    /// `from_row` and closures written for local queries take).
    ///
    /// # Errors
    /// What `f` returns.
    pub fn with_row<T>(&self, f: impl FnOnce(&crate::Row<'_>) -> Result<T>) -> Result<T> {
        local::with_row(&self.columns, &self.values, f)
    }

    /// The values, in column order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The column names.
    pub fn column_names(&self) -> &[String] {
        &self.columns
    }
}

/// The rows of a query, read one batch at a time as they are consumed.
/// Dropping it before the end interrupts the query on the server.
#[derive(Debug)]
pub struct Rows<'a> {
    conn: &'a Connection,
    reader: Option<RowsReader>,
    columns: Arc<[String]>,
    token: u64,
    generation: u64,
    kind: Kind,
    _not_send: PhantomData<*const ()>,
}

impl<'a> Rows<'a> {
    fn new(
        conn: &'a Connection,
        reader: RowsReader,
        token: u64,
        generation: u64,
        kind: Kind,
    ) -> Self {
        Rows {
            conn,
            columns: reader.columns.clone().into(),
            reader: Some(reader),
            token,
            generation,
            kind,
            _not_send: PhantomData,
        }
    }

    /// The column names.
    pub fn column_names(&self) -> &[String] {
        &self.columns
    }

    /// The next row, `None` at the end.
    ///
    /// # Errors
    /// The server's failure; `SQLITE_INTERRUPT` after an interrupt; the
    /// connection lost mid-result (not retried: rows were already read);
    /// the rows ended by a later request on the same connection.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row>> {
        loop {
            let Some(reader) = self.reader.as_mut() else {
                return Ok(None);
            };
            if self.conn.interrupt.swap(false, Ordering::Relaxed) {
                self.reader = None;
                if let Ok(mut s) = self.conn.s.try_borrow_mut() {
                    if s.pending == Some(self.token) {
                        s.finish_pending();
                    }
                }
                return Err(Error::SqliteFailure(
                    ffi::Error::new(ffi::SQLITE_INTERRUPT),
                    Some("interrupted".into()),
                ));
            }
            let item = reader.next_item();
            match item {
                Ok(RowItem::Row(values)) => {
                    return Ok(Some(Row {
                        columns: Arc::clone(&self.columns),
                        values,
                    }));
                }
                Ok(RowItem::Done) => {
                    self.reader = None;
                    let mut s = self.conn.session()?;
                    if s.pending == Some(self.token) {
                        s.pending = None;
                    }
                    return Ok(None);
                }
                Ok(RowItem::More) => self.fetch()?,
                Err(e) => {
                    self.reader = None;
                    let mut s = self.conn.session()?;
                    if s.pending == Some(self.token) {
                        s.lose_connection();
                    }
                    return Err(fail_to_error(Fail::Proto(e)));
                }
            }
        }
    }

    /// Reads the next batch.
    fn fetch(&mut self) -> Result<()> {
        let mut s = self.conn.session()?;
        if s.pending != Some(self.token) || s.generation != self.generation {
            self.reader = None;
            return Err(Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_MISUSE),
                Some("dqlite: rows ended by a later request on this connection".into()),
            ));
        }
        let got = s.wire().and_then(|w| w.recv());
        let fail = match got {
            Ok((h, body)) if h.kind == response::ROWS => match RowsReader::new(body) {
                Ok(r) if r.columns.len() == self.columns.len() => {
                    self.reader = Some(r);
                    return Ok(());
                }
                Ok(_) => Fail::Proto(super::protocol::ProtocolError(
                    "column count changed between batches".into(),
                )),
                Err(e) => Fail::Proto(e),
            },
            Ok((h, body)) if h.kind == response::FAILURE => {
                self.reader = None;
                s.pending = None;
                return Err(fail_to_error(failure_of(&body)));
            }
            Ok((h, body)) => expect_ok(h, &body).map_or_else(|f| f, |r| unexpected(&r)),
            Err(f) => f,
        };
        self.reader = None;
        let in_tx = s.in_tx;
        s.lose_connection();
        if in_tx {
            s.tx_broken = true;
            return Err(rolled_back(&fail_to_error(fail).to_string()));
        }
        Err(match (fail, self.kind) {
            (f @ Fail::Proto(_), Kind::Read) => fail_to_error(f),
            (f, Kind::Read) => io_err(format!(
                "dqlite: connection lost while reading rows: {}",
                fail_to_error(f)
            )),
            (f, _) => unknown_outcome(&fail_to_error(f).to_string()),
        })
    }
}

impl Drop for Rows<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.conn.s.try_borrow_mut() {
            if s.pending == Some(self.token) {
                if self.reader.as_ref().is_some_and(RowsReader::at_done) {
                    // Only the end marker is left: nothing to interrupt.
                    s.pending = None;
                } else {
                    s.finish_pending();
                }
            }
        }
    }
}

/// Rows mapped by a closure: an `Iterator` of `Result<T>`.
pub struct MappedRows<'a, F> {
    rows: Rows<'a>,
    f: F,
}

impl<T, F> Iterator for MappedRows<'_, F>
where
    F: FnMut(&crate::Row<'_>) -> Result<T>,
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        match self.rows.next() {
            Ok(Some(row)) => Some(row.with_row(&mut self.f)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// A transaction on a dqlite [`Connection`] (which it derefs to). Rolled
/// back when dropped unless committed.
#[derive(Debug)]
pub struct Transaction<'c> {
    conn: &'c Connection,
    done: bool,
}

impl Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Transaction<'_> {
    /// Commits.
    ///
    /// # Errors
    /// `SQLITE_ABORT_ROLLBACK` ([`super::is_rolled_back`]) when the
    /// connection to the leader was lost during the transaction (the
    /// cluster rolled it back); an unknown outcome when it was lost after
    /// `COMMIT` was sent; the server's failure (the transaction is then
    /// rolled back).
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        let mut s = self.conn.session()?;
        if s.tx_broken || s.wire.is_none() {
            s.in_tx = false;
            s.tx_broken = false;
            return Err(rolled_back("before commit"));
        }
        let r = s.exec_sql(Kind::Commit, "COMMIT", &[]);
        if r.is_err() && s.in_tx && s.wire.is_some() && !s.tx_broken {
            // COMMIT refused (e.g. a deferred constraint): end it.
            let _ = s.exec_sql(Kind::Read, "ROLLBACK", &[]);
        }
        s.in_tx = false;
        s.tx_broken = false;
        r.map(|_| ())
    }

    /// Rolls back. A transaction whose connection was lost is already
    /// rolled back: `Ok`.
    ///
    /// # Errors
    /// The server's failure to roll back.
    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        self.end()
    }

    fn end(&mut self) -> Result<()> {
        let mut s = self.conn.session()?;
        if s.tx_broken || s.wire.is_none() {
            s.in_tx = false;
            s.tx_broken = false;
            return Ok(());
        }
        let r = s.exec_sql(Kind::Read, "ROLLBACK", &[]);
        let lost = s.wire.is_none() || s.tx_broken;
        s.in_tx = false;
        s.tx_broken = false;
        match r {
            Err(_) if lost => Ok(()),
            r => r.map(|_| ()),
        }
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_read;

    #[test]
    fn reads() {
        assert!(is_read("  select 1"));
        assert!(is_read("-- c\n/* x */ VALUES (1)"));
        assert!(!is_read("INSERT INTO t VALUES (1)"));
        assert!(!is_read("WITH x AS (SELECT 1) DELETE FROM t"));
    }
}
