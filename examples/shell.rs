//! A small interactive SQL shell, in the spirit of the `sqlite3` command
//! line tool and `python -m sqlite3`.
//!
//! ```text
//! cargo run --example shell -- [DATABASE [SQL]]
//! echo 'SELECT 1;' | cargo run --example shell -- test.db
//! ```
//!
//! * Reads lines until [`complete_statement`] says the SQL typed so far is
//!   complete, then runs every statement in it and prints the rows of each
//!   as an aligned table under its column names (NULL shows as `NULL`,
//!   BLOBs as `X'…'`).
//! * Dot commands (at the start of an input): `.tables [PATTERN]`,
//!   `.schema [PATTERN]`, `.dump`, `.read FILE`, `.backup FILE`,
//!   `.restore FILE`, `.timeout MS`, `.help`, `.quit`.
//! * Ctrl-C interrupts the running statement (through an
//!   [`InterruptHandle`]); pressing it three times while nothing runs exits.
//! * Works from a pipe or a file: no prompts then, and the exit status is 1
//!   if any statement failed. SQL left without a final `;` at the end of
//!   the input is run too. A second argument is run instead of reading the
//!   input.
//!
//! `DATABASE` defaults to a private in-memory database.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ferrolite::backup::NO_PROGRESS;
use ferrolite::types::ValueRef;
use ferrolite::{Connection, InterruptHandle, complete_statement};

const HELP: &str = "\
.backup FILE        copy the database to FILE (online backup)
.dump               SQL text that recreates the database
.help               this message
.quit / .exit       leave the shell
.read FILE          run the SQL in FILE
.restore FILE       replace the database with the one in FILE
.schema [PATTERN]   CREATE statements (of tables LIKE PATTERN)
.tables [PATTERN]   names of tables and views (LIKE PATTERN)
.timeout MS         wait up to MS milliseconds for locks held by others
Anything else is SQL, run once it ends with ';'. Ctrl-C stops a running statement.";

/// Longest BLOB shown in full; longer ones are cut with their size.
const BLOB_SHOWN: usize = 32;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") || args.len() > 2 {
        eprintln!("usage: shell [DATABASE [SQL]]\n\n{HELP}");
        return ExitCode::from(2);
    }
    let path = args.first().map_or(":memory:", String::as_str);
    let conn = match Connection::open(path) {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("Error: cannot open {path:?}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdin = io::stdin();
    let interactive = args.len() < 2 && stdin.is_terminal();
    let mut shell = Shell::new(conn, interactive);
    ctrl_c::install(shell.conn.get_interrupt_handle(), shell.running.clone());

    let stdout = io::stdout();
    let mut out = stdout.lock();
    if let Some(sql) = args.get(1) {
        shell.run_sql(sql, &mut out);
    } else {
        if interactive {
            println!(
                "ferrolite shell, SQLite {}. Enter \".help\" for usage hints.",
                ferrolite::version()
            );
            if path == ":memory:" {
                println!("Connected to a transient in-memory database.");
            }
        }
        shell.run(stdin.lock(), &mut out);
    }
    let _ = out.flush();
    if shell.had_error && !interactive {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

struct Shell {
    conn: Connection,
    interactive: bool,
    had_error: bool,
    /// Id of the statement running now (0: none), for the Ctrl-C watcher.
    running: Arc<AtomicU64>,
    next_id: u64,
}

impl Shell {
    fn new(conn: Connection, interactive: bool) -> Shell {
        Shell {
            conn,
            interactive,
            had_error: false,
            running: Arc::new(AtomicU64::new(0)),
            next_id: 0,
        }
    }

    fn error(&mut self, msg: impl std::fmt::Display) {
        self.had_error = true;
        eprintln!("Error: {msg}");
    }

    /// The read-eval-print loop, until end of input or `.quit`.
    fn run(&mut self, mut input: impl BufRead, out: &mut impl Write) {
        let mut buf = String::new();
        let mut raw = Vec::new();
        loop {
            if self.interactive {
                print!(
                    "{}",
                    if buf.is_empty() {
                        "ferrolite> "
                    } else {
                        "      ...> "
                    }
                );
                let _ = io::stdout().flush();
            }
            raw.clear();
            match input.read_until(b'\n', &mut raw) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error(format!("reading input: {e}"));
                    break;
                }
            }
            let line = match std::str::from_utf8(&raw) {
                Ok(line) => line,
                Err(e) => {
                    self.error(format!("input line is not valid UTF-8 ({e}); line skipped"));
                    continue;
                }
            };
            if buf.trim().is_empty() && line.trim_start().starts_with('.') {
                buf.clear();
                if !self.dot_command(line.trim(), out) {
                    return;
                }
                continue;
            }
            buf.push_str(line);
            if complete_statement(&buf) {
                self.run_sql(&buf, out);
                buf.clear();
            }
        }
        // End of input: run what is left, even without its final ';'.
        if !buf.trim().is_empty() {
            self.run_sql(&buf, out);
        }
        if self.interactive {
            println!();
        }
    }

    /// Runs a dot command; false for `.quit`.
    fn dot_command(&mut self, line: &str, out: &mut impl Write) -> bool {
        let mut words = line.split_whitespace();
        let command = words.next().unwrap_or("");
        let arg = words.next();
        if words.next().is_some() {
            self.error(format!("too many arguments: {line:?}"));
            return true;
        }
        match (command, arg) {
            (".quit" | ".exit", None) => return false,
            (".help", None) => {
                let _ = writeln!(out, "{HELP}");
            }
            (".tables", pattern) => self.print_query(
                "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') \
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name LIKE ?1 ORDER BY name",
                pattern.unwrap_or("%"),
                out,
            ),
            (".schema", pattern) => self.print_query(
                "SELECT sql || ';' FROM sqlite_schema WHERE sql IS NOT NULL \
                 AND (name LIKE ?1 OR tbl_name LIKE ?1) ORDER BY rowid",
                pattern.unwrap_or("%"),
                out,
            ),
            (".dump", None) => {
                let id = self.start();
                let result = self.conn.dump(out);
                self.stop(id);
                if let Err(e) = result {
                    self.error(e);
                }
            }
            (".backup", Some(file)) => {
                let id = self.start();
                let result = self.conn.backup(ferrolite::MAIN_DB, file, NO_PROGRESS);
                self.stop(id);
                if let Err(e) = result {
                    self.error(e);
                }
            }
            (".restore", Some(file)) => {
                if let Err(e) = self.conn.restore(ferrolite::MAIN_DB, file, NO_PROGRESS) {
                    self.error(e);
                }
            }
            (".read", Some(file)) => match std::fs::read_to_string(file) {
                Ok(sql) => self.run_sql(&sql, out),
                Err(e) => self.error(format!("cannot read {file:?}: {e}")),
            },
            (".timeout", Some(ms)) => match ms.parse::<u64>() {
                Ok(ms) => {
                    if let Err(e) = self.conn.busy_timeout(Duration::from_millis(ms)) {
                        self.error(e);
                    }
                }
                Err(_) => self.error(format!(".timeout takes milliseconds, not {ms:?}")),
            },
            _ => self.error(format!(
                "unknown command or invalid arguments: {line:?}. Enter \".help\" for help"
            )),
        }
        true
    }

    /// Prints the first column of each row of a one-parameter query.
    fn print_query(&mut self, sql: &str, param: &str, out: &mut impl Write) {
        let result = self.conn.prepare(sql).and_then(|mut stmt| {
            stmt.query_map([param], |r| r.get::<_, String>(0))?
                .collect::<ferrolite::Result<Vec<_>>>()
        });
        match result {
            Ok(lines) => {
                for line in lines {
                    let _ = writeln!(out, "{line}");
                }
            }
            Err(e) => self.error(e),
        }
    }

    /// Marks a statement as running, for Ctrl-C.
    fn start(&mut self) -> u64 {
        self.next_id += 1;
        self.running.store(self.next_id, Ordering::SeqCst);
        self.next_id
    }

    fn stop(&mut self, _id: u64) {
        self.running.store(0, Ordering::SeqCst);
    }

    /// Runs every statement of `sql`, printing rows or errors.
    fn run_sql(&mut self, sql: &str, out: &mut impl Write) {
        let mut rest = sql;
        while !rest.trim().is_empty() {
            let (statement, tail) = split_first_statement(rest);
            rest = tail;
            let id = self.start();
            let result = query(&self.conn, statement);
            self.stop(id);
            match result {
                Ok(Some(table)) => {
                    let _ = table.print(out);
                }
                Ok(None) => {}
                Err(e) if e.is_interrupted() => self.error("interrupted"),
                Err(e) => self.error(e),
            }
        }
        let _ = out.flush();
    }
}

/// The first complete statement of `sql` (up to a `;` that
/// [`complete_statement`] accepts) and the rest; all of `sql` if no `;`
/// completes a statement.
fn split_first_statement(sql: &str) -> (&str, &str) {
    for (i, _) in sql.match_indices(';') {
        if complete_statement(&sql[..=i]) {
            return sql.split_at(i + 1);
        }
    }
    (sql, "")
}

/// Runs one statement; its rows as a table, or `None` if it has no columns.
fn query(conn: &Connection, sql: &str) -> ferrolite::Result<Option<Table>> {
    let mut stmt = conn.prepare(sql)?;
    let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let mut rows = stmt.query([])?;
    let mut table = Table {
        columns,
        rows: Vec::new(),
    };
    while let Some(row) = rows.next()? {
        let cells = (0..table.columns.len())
            .map(|i| row.get_ref(i).map(Cell::from))
            .collect::<ferrolite::Result<Vec<_>>>()?;
        table.rows.push(cells);
    }
    Ok((!table.columns.is_empty()).then_some(table))
}

struct Cell {
    text: String,
    /// Numbers are right-aligned.
    right: bool,
}

impl From<ValueRef<'_>> for Cell {
    fn from(v: ValueRef<'_>) -> Cell {
        let (text, right) = match v {
            ValueRef::Null => ("NULL".to_owned(), false),
            ValueRef::Integer(i) => (i.to_string(), true),
            ValueRef::Real(f) => (format!("{f:?}"), true),
            ValueRef::Text(t) => (printable(&String::from_utf8_lossy(t)), false),
            ValueRef::Blob(b) => {
                let hex: String = b
                    .iter()
                    .take(BLOB_SHOWN)
                    .map(|x| format!("{x:02X}"))
                    .collect();
                if b.len() > BLOB_SHOWN {
                    (format!("X'{hex}'... ({} bytes)", b.len()), false)
                } else {
                    (format!("X'{hex}'"), false)
                }
            }
        };
        Cell { text, right }
    }
}

/// Control characters escaped, so that every row stays on one line.
fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// Column names, a rule, then the rows, each column as wide as its
    /// widest cell, two spaces apart.
    fn print(&self, out: &mut impl Write) -> io::Result<()> {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.columns.iter().map(|c| width(&printable(c))).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(&cell.text));
            }
        }
        let line = |cells: &mut dyn Iterator<Item = (usize, &str, bool)>| {
            let mut s = String::new();
            for (i, (w, text, right)) in cells.enumerate() {
                if i > 0 {
                    s.push_str("  ");
                }
                let pad = w.saturating_sub(width(text));
                if right {
                    s.extend(std::iter::repeat_n(' ', pad));
                    s.push_str(text);
                } else {
                    s.push_str(text);
                    s.extend(std::iter::repeat_n(' ', pad));
                }
            }
            s.truncate(s.trim_end().len());
            s
        };
        let names: Vec<String> = self.columns.iter().map(|c| printable(c)).collect();
        let header = line(
            &mut widths
                .iter()
                .zip(&names)
                .map(|(&w, n)| (w, n.as_str(), false)),
        );
        writeln!(out, "{header}")?;
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        writeln!(out, "{}", rule.join("  "))?;
        for row in &self.rows {
            let text = line(
                &mut widths
                    .iter()
                    .zip(row)
                    .map(|(&w, c)| (w, c.text.as_str(), c.right)),
            );
            writeln!(out, "{text}")?;
        }
        Ok(())
    }
}

/// Ctrl-C: a SIGINT handler that only sets a flag (all a signal handler
/// may safely do), and a watcher thread that turns the flag into
/// [`InterruptHandle::interrupt`] on the running statement. It keeps
/// interrupting until that statement ends, so a Ctrl-C landing just
/// before a statement starts (when `sqlite3_interrupt` would be a no-op)
/// is not lost.
#[cfg(unix)]
mod ctrl_c {
    use std::ffi::c_int;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::time::Duration;

    use super::InterruptHandle;

    static SEEN: AtomicBool = AtomicBool::new(false);
    const SIGINT: c_int = 2;

    unsafe extern "C" {
        /// C's `signal()`, from the C library every Unix program links.
        fn signal(signum: c_int, handler: usize) -> usize;
    }

    extern "C" fn on_sigint(_: c_int) {
        SEEN.store(true, Ordering::SeqCst);
    }

    pub fn install(handle: InterruptHandle, running: Arc<AtomicU64>) {
        let handler: extern "C" fn(c_int) = on_sigint;
        // SAFETY: the handler only stores to an atomic, which is
        // async-signal-safe; it stays valid for the whole program.
        unsafe { signal(SIGINT, handler as usize) };
        std::thread::spawn(move || {
            let mut target = 0;
            let mut idle_presses = 0;
            loop {
                std::thread::sleep(Duration::from_millis(20));
                let now = running.load(Ordering::SeqCst);
                if SEEN.swap(false, Ordering::SeqCst) {
                    if now != 0 {
                        target = now;
                        idle_presses = 0;
                    } else {
                        idle_presses += 1;
                        if idle_presses >= 3 {
                            eprintln!();
                            std::process::exit(130);
                        }
                        eprintln!(
                            "^C (press Ctrl-C {} more time(s) or enter .quit to exit)",
                            3 - idle_presses
                        );
                    }
                }
                if target != 0 {
                    if now == target {
                        handle.interrupt();
                    } else {
                        target = 0;
                    }
                }
                if now != 0 {
                    idle_presses = 0;
                }
            }
        });
    }
}

#[cfg(not(unix))]
mod ctrl_c {
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;

    use super::InterruptHandle;

    /// Ctrl-C handling is implemented for Unix only.
    pub fn install(_handle: InterruptHandle, _running: Arc<AtomicU64>) {}
}
