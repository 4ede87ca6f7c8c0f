//! `csv`: a read-only virtual table over CSV text, from a file or inline
//! (rusqlite's `vtab::csvtab`, after SQLite's
//! [csv extension](https://sqlite.org/csv.html)). Feature `csvtab`.
//!
//! **Security**: with this module loaded, any SQL run on the connection can
//! read any file the process can read (`CREATE VIRTUAL TABLE temp.x USING
//! csv(filename='/etc/passwd')`). That is why the feature is off by
//! default; load the module only on connections whose SQL you trust. The
//! tables are `DIRECTONLY`: triggers and views (which may come from an
//! untrusted database file) can't use them.
//!
//! ```sql
//! CREATE VIRTUAL TABLE t USING csv(
//!   filename = 'FILE'   -- the CSV file, read when scanned; or
//!   data = 'TEXT'       -- the CSV text itself (one of the two)
//!   [, header = YES|NO] -- the first row names the columns (default no)
//!   [, columns = N]     -- N columns, named c0, c1, ... (1 to 65535)
//!   [, schema = 'CREATE TABLE x(...)'] -- the columns, declared by you
//!   [, delimiter = C]   -- one-byte field delimiter (default ',')
//!   [, quote = C]       -- one-byte quote (default '"'); 0: no quoting
//! );
//! ```
//!
//! * Without `columns` or `schema`, the columns are named after the header
//!   row (`header=yes`) or `c0`, `c1`, ... as many as the first row has
//!   fields. Every value is TEXT; the rowid is the row's position (from 1,
//!   header excluded).
//! * The format is RFC 4180: fields may be quoted, with `""` for a quote
//!   inside; a quoted field may hold delimiters and line ends. Lines end
//!   with `\r\n`, `\n` or `\r`. Blank lines are skipped, and a UTF-8 byte
//!   order mark at the start is ignored.
//! * Malformed CSV fails the scan with an error naming its line and
//!   column (bytes, from 1): a quote inside an unquoted field, text after
//!   a closing quote, a quote never closed, a field that is not UTF-8, or
//!   a row whose number of fields differs from the first row's.
//! * A file is streamed through a small buffer, never read whole; each
//!   cursor (a self-join has two) opens the file on its own.
//!
//! # Example
//!
//! ```
//! use ferrolite::Connection;
//! use ferrolite::vtab::csvtab;
//!
//! let db = Connection::open_in_memory()?;
//! csvtab::load_module(&db)?; // once per connection
//! db.execute_batch(
//!     "CREATE VIRTUAL TABLE temp.prices USING csv(
//!          data = 'item,price
//! apple,1.20
//! \"pear, green\",0.95', header = yes)",
//! )?;
//! let cheap: String = db.query_row(
//!     "SELECT item FROM prices WHERE CAST(price AS REAL) < 1",
//!     [],
//!     |r| r.get(0),
//! )?;
//! assert_eq!(cheap, "pear, green");
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::borrow::Cow;
use std::ffi::{CStr, CString, c_int};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use self::reader::{CsvError, CsvReader, Position, Record};
use super::{
    Context, CreateVTab, Filters, IndexInfo, VTab, VTabConfig, VTabConnection, VTabCursor,
    VTabKind, escape_double_quote, parameter, parse_boolean, read_only_module,
};
use crate::{Connection, Error, Result};

/// The module name.
const MODULE_NAME: &CStr = c"csv";

/// Registers the `csv` module on `conn` (see the [module docs](self) for
/// its arguments, and the security note there).
///
/// # Errors
/// SQLite's error (such as out of memory).
pub fn load_module(conn: &Connection) -> Result<()> {
    conn.create_module(MODULE_NAME, read_only_module::<CsvTab>(), None)
}

fn module_error(msg: String) -> Error {
    Error::ModuleError(msg)
}

impl From<CsvError> for Error {
    #[cold]
    fn from(e: CsvError) -> Error {
        module_error(e.to_string())
    }
}

/// Where a table's CSV comes from.
enum Source {
    File(PathBuf),
    Data(Arc<[u8]>),
}

/// An open source.
enum Input {
    File(File),
    Data(io::Cursor<Arc<[u8]>>),
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Data(d) => d.read(buf),
        }
    }
}

impl Seek for Input {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Input::File(f) => f.seek(pos),
            Input::Data(d) => d.seek(pos),
        }
    }
}

impl Source {
    fn open(&self) -> Result<Input> {
        match self {
            Source::File(path) => File::open(path).map(Input::File).map_err(|e| {
                module_error(format!("cannot open CSV file '{}': {e}", path.display()))
            }),
            Source::Data(data) => Ok(Input::Data(io::Cursor::new(Arc::clone(data)))),
        }
    }
}

/// A CSV table.
struct CsvTab {
    source: Source,
    delimiter: u8,
    quote: Option<u8>,
    /// Where the first data row starts (after the header, if any).
    first_row: Position,
    /// The number of fields of the header row, if there is one: every row
    /// must have as many.
    header_fields: Option<usize>,
}

/// The table's options, as given.
#[derive(Default)]
struct Options {
    filename: Option<String>,
    data: Option<String>,
    schema: Option<String>,
    columns: Option<u16>,
    header: Option<bool>,
    delimiter: Option<u8>,
    quote: Option<Option<u8>>,
}

/// A one-byte option value, not a line end.
fn parse_byte(value: &str) -> Option<u8> {
    match value.as_bytes() {
        &[b] if b != b'\r' && b != b'\n' => Some(b),
        _ => None,
    }
}

/// Fails for a parameter given twice.
fn once<T>(slot: &Option<T>, param: &str) -> Result<()> {
    if slot.is_some() {
        return Err(module_error(format!("more than one '{param}' parameter")));
    }
    Ok(())
}

impl Options {
    fn parse(args: &[&[u8]]) -> Result<Options> {
        let mut o = Options::default();
        for arg in args {
            let (param, value) = parameter(arg)?;
            let value = value.as_ref();
            let unrecognized =
                || module_error(format!("unrecognized argument to '{param}': {value}"));
            match param {
                "filename" => {
                    once(&o.filename, param)?;
                    if !Path::new(value).exists() {
                        return Err(module_error(format!("file '{value}' does not exist")));
                    }
                    o.filename = Some(value.to_owned());
                }
                "data" => {
                    once(&o.data, param)?;
                    o.data = Some(value.to_owned());
                }
                "schema" => {
                    once(&o.schema, param)?;
                    o.schema = Some(value.to_owned());
                }
                "columns" => {
                    let n: u16 = value.parse().map_err(|_| unrecognized())?;
                    once(&o.columns, param)?;
                    if n == 0 {
                        return Err(module_error("must have at least one column".to_owned()));
                    }
                    o.columns = Some(n);
                }
                "header" => {
                    once(&o.header, param)?;
                    o.header = Some(parse_boolean(value).ok_or_else(unrecognized)?);
                }
                "delimiter" => {
                    once(&o.delimiter, param)?;
                    o.delimiter = Some(parse_byte(value).ok_or_else(unrecognized)?);
                }
                "quote" => {
                    once(&o.quote, param)?;
                    let b = parse_byte(value).ok_or_else(unrecognized)?;
                    o.quote = Some((b != b'0').then_some(b));
                }
                _ => return Err(module_error(format!("unrecognized parameter '{param}'"))),
            }
        }
        Ok(o)
    }
}

impl<'vtab> VTab<'vtab> for CsvTab {
    type Aux = ();
    type Cursor = CsvTabCursor<'vtab>;

    fn connect(
        db: &mut VTabConnection,
        _aux: Option<&()>,
        _module_name: &[u8],
        _database_name: &[u8],
        _table_name: &[u8],
        args: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)> {
        let o = Options::parse(args)?;
        let source = match (o.filename, o.data) {
            (Some(_), Some(_)) => {
                return Err(module_error(
                    "must specify either filename= or data= but not both".to_owned(),
                ));
            }
            (Some(f), None) => Source::File(f.into()),
            (None, Some(d)) => Source::Data(d.into_bytes().into()),
            (None, None) => return Err(module_error("no CSV file specified".to_owned())),
        };
        let delimiter = o.delimiter.unwrap_or(b',');
        let quote = o.quote.unwrap_or(Some(b'"'));
        if quote == Some(delimiter) {
            return Err(module_error(
                "the delimiter and the quote must differ".to_owned(),
            ));
        }
        let has_header = o.header.unwrap_or(false);
        let mut tab = CsvTab {
            source,
            delimiter,
            quote,
            first_row: Position::START,
            header_fields: None,
        };

        let mut columns: Vec<String> = Vec::new();
        if has_header || (o.columns.is_none() && o.schema.is_none()) {
            // Read the first row: the header, or the row that tells how
            // many columns there are.
            let mut reader = CsvReader::new(tab.source.open()?, delimiter, quote);
            let mut first = Record::default();
            if reader.read_record(&mut first)? {
                let names_from_file = o.columns.is_none() && o.schema.is_none();
                if has_header {
                    tab.header_fields = Some(first.len());
                    tab.first_row = reader.position();
                    if names_from_file {
                        columns = first
                            .iter()
                            .map(|h| escape_double_quote(h).into_owned())
                            .collect();
                    }
                } else {
                    columns = (0..first.len()).map(|i| format!("c{i}")).collect();
                }
            }
        }
        if let (Some(n), None) = (o.columns, &o.schema) {
            columns = (0..n).map(|i| format!("c{i}")).collect();
        }
        let schema = match o.schema {
            Some(schema) => schema,
            None if columns.is_empty() => {
                return Err(module_error("no column specified".to_owned()));
            }
            None => {
                let cols: Vec<String> = columns.iter().map(|c| format!("\"{c}\" TEXT")).collect();
                format!("CREATE TABLE x({});", cols.join(", "))
            }
        };
        let schema = CString::new(schema).map_err(Error::NulError)?;
        db.config(VTabConfig::DirectOnly)?;
        Ok((Cow::Owned(schema), tab))
    }

    fn best_index(&self, info: &mut IndexInfo) -> Result<bool> {
        // Only full scans, in file order.
        info.set_estimated_cost(1_000_000.0);
        Ok(true)
    }

    fn open(&'vtab self) -> Result<CsvTabCursor<'vtab>> {
        Ok(CsvTabCursor {
            reader: CsvReader::new(self.source.open()?, self.delimiter, self.quote),
            table: self,
            row: Record::default(),
            rowid: 0,
            eof: true,
            fields: self.header_fields,
        })
    }
}

impl CreateVTab<'_> for CsvTab {
    const KIND: VTabKind = VTabKind::Default;
}

/// A scan of a CSV table, with its own reader.
struct CsvTabCursor<'vtab> {
    table: &'vtab CsvTab,
    reader: CsvReader<Input>,
    /// The current row.
    row: Record,
    /// Its position, from 1.
    rowid: i64,
    eof: bool,
    /// The number of fields every row must have (the first row's).
    fields: Option<usize>,
}

/// "1 field", "2 fields".
fn n_fields(n: usize) -> String {
    if n == 1 {
        "1 field".to_owned()
    } else {
        format!("{n} fields")
    }
}

impl VTabCursor for CsvTabCursor<'_> {
    fn filter(
        &mut self,
        _idx_num: c_int,
        _idx_str: Option<&str>,
        _args: &Filters<'_>,
    ) -> Result<()> {
        // A full scan from the first row.
        self.reader
            .seek(self.table.first_row)
            .map_err(CsvError::Io)?;
        self.fields = self.table.header_fields;
        self.rowid = 0;
        self.next()
    }

    fn next(&mut self) -> Result<()> {
        // At the end, or stopped by an error.
        self.eof = true;
        if !self.reader.read_record(&mut self.row)? {
            return Ok(());
        }
        let n = self.row.len();
        match self.fields {
            None => self.fields = Some(n),
            Some(expected) if expected != n => {
                return Err(module_error(format!(
                    "CSV error at line {}: the row has {}, the first row has {}",
                    self.row.line(),
                    n_fields(n),
                    n_fields(expected)
                )));
            }
            Some(_) => {}
        }
        self.eof = false;
        self.rowid += 1;
        Ok(())
    }

    fn eof(&self) -> bool {
        self.eof
    }

    fn column(&self, ctx: &mut Context, col: c_int) -> Result<()> {
        let field = usize::try_from(col).ok().and_then(|i| self.row.get(i));
        match field {
            Some(text) => ctx.set_result(text),
            None => Err(module_error(format!("column index out of bounds: {col}"))),
        }
    }

    fn rowid(&self) -> Result<i64> {
        Ok(self.rowid)
    }
}

/// A streaming RFC 4180 CSV reader: quoted fields, doubled quotes inside
/// them, `\r\n`, `\n` or `\r` line ends, line ends inside quoted fields,
/// a configurable delimiter and quote (or none). Blank lines are skipped
/// and a UTF-8 byte order mark at the start is ignored. Reads through a
/// fixed buffer: a file is never held in memory.
mod reader {
    use std::fmt;
    use std::io::{self, Read, Seek, SeekFrom};

    /// Size of the read buffer.
    const BUF_SIZE: usize = 64 * 1024;

    /// A place in the input to come back to: the start of a line.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) struct Position {
        /// Byte offset from the start of the input.
        pub(super) byte: u64,
        /// 1-based line number of that byte.
        pub(super) line: u64,
    }

    impl Position {
        /// The start of the input.
        pub(super) const START: Position = Position { byte: 0, line: 1 };
    }

    /// Why a record could not be read.
    #[derive(Debug)]
    pub(super) enum CsvError {
        /// Malformed CSV at `line`, byte `column` of that line (both
        /// from 1).
        Syntax {
            line: u64,
            column: u64,
            what: &'static str,
        },
        /// Reading failed.
        Io(io::Error),
    }

    impl fmt::Display for CsvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                CsvError::Syntax { line, column, what } => {
                    write!(f, "CSV error at line {line}, column {column}: {what}")
                }
                CsvError::Io(e) => write!(f, "CSV read error: {e}"),
            }
        }
    }

    impl From<io::Error> for CsvError {
        fn from(e: io::Error) -> Self {
            CsvError::Io(e)
        }
    }

    /// One record: its fields' text, one after the other, and where each
    /// ends.
    #[derive(Debug, Default)]
    pub(super) struct Record {
        text: String,
        ends: Vec<usize>,
        /// The line the record starts on.
        line: u64,
    }

    impl Record {
        /// Number of fields.
        pub(super) fn len(&self) -> usize {
            self.ends.len()
        }

        /// Field `i`, if there is one.
        pub(super) fn get(&self, i: usize) -> Option<&str> {
            let end = *self.ends.get(i)?;
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            Some(&self.text[start..end])
        }

        /// The line the record starts on.
        pub(super) fn line(&self) -> u64 {
            self.line
        }

        /// The fields, in order.
        pub(super) fn iter(&self) -> impl Iterator<Item = &str> {
            (0..self.len()).filter_map(|i| self.get(i))
        }

        fn clear(&mut self) {
            self.text.clear();
            self.ends.clear();
        }
    }

    /// The reader over `R`.
    pub(super) struct CsvReader<R> {
        inner: R,
        buf: Box<[u8]>,
        /// Unread bytes are `buf[pos..end]`.
        pos: usize,
        end: usize,
        /// `inner` has no more bytes.
        inner_done: bool,
        /// Byte offset of `buf[pos]` in the input.
        offset: u64,
        /// 1-based line number of `buf[pos]`.
        line: u64,
        /// Byte offset where that line starts.
        line_start: u64,
        /// Skip a byte order mark before the next record.
        check_bom: bool,
        delimiter: u8,
        quote: Option<u8>,
        /// The current field's bytes.
        field: Vec<u8>,
    }

    impl<R: Read> CsvReader<R> {
        /// A reader at the start of `inner`. `delimiter` and `quote` must
        /// differ and be neither `\r` nor `\n`.
        pub(super) fn new(inner: R, delimiter: u8, quote: Option<u8>) -> Self {
            CsvReader {
                inner,
                buf: vec![0; BUF_SIZE].into_boxed_slice(),
                pos: 0,
                end: 0,
                inner_done: false,
                offset: 0,
                line: 1,
                line_start: 0,
                check_bom: true,
                delimiter,
                quote,
                field: Vec::new(),
            }
        }

        /// Where the next record starts (or blank lines before it).
        pub(super) fn position(&self) -> Position {
            Position {
                byte: self.offset,
                line: self.line,
            }
        }

        /// Refills the buffer so that it holds at least `want` unread bytes
        /// (fewer at the end of the input). Returns the unread bytes.
        fn fill(&mut self, want: usize) -> io::Result<&[u8]> {
            while self.end - self.pos < want && !self.inner_done {
                if self.pos > 0 {
                    self.buf.copy_within(self.pos..self.end, 0);
                    self.end -= self.pos;
                    self.pos = 0;
                }
                match self.inner.read(&mut self.buf[self.end..]) {
                    Ok(0) => self.inner_done = true,
                    Ok(n) => self.end += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(&self.buf[self.pos..self.end])
        }

        fn peek(&mut self) -> io::Result<Option<u8>> {
            Ok(self.fill(1)?.first().copied())
        }

        fn advance(&mut self, n: usize) {
            self.pos += n;
            self.offset += n as u64;
        }

        /// Consumes a line end starting with `b` (`\r` or `\n`, already
        /// peeked, not consumed): `\r\n` counts as one. Pushes the bytes
        /// to the field if `keep`.
        fn line_end(&mut self, b: u8, keep: bool) -> io::Result<()> {
            self.advance(1);
            if keep {
                self.field.push(b);
            }
            if b == b'\r' && self.peek()? == Some(b'\n') {
                self.advance(1);
                if keep {
                    self.field.push(b'\n');
                }
            }
            self.line += 1;
            self.line_start = self.offset;
            Ok(())
        }

        /// 1-based byte column of the next unread byte.
        fn column(&self) -> u64 {
            self.offset - self.line_start + 1
        }

        fn syntax(&self, what: &'static str) -> CsvError {
            CsvError::Syntax {
                line: self.line,
                column: self.column(),
                what,
            }
        }

        /// Ends the current field: checks its UTF-8 (the field started at
        /// `line`/`column`) and appends it to `rec`.
        fn push_field(&mut self, rec: &mut Record, line: u64, column: u64) -> Result<(), CsvError> {
            match std::str::from_utf8(&self.field) {
                Ok(s) => rec.text.push_str(s),
                Err(_) => {
                    return Err(CsvError::Syntax {
                        line,
                        column,
                        what: "the field is not valid UTF-8",
                    });
                }
            }
            rec.ends.push(rec.text.len());
            self.field.clear();
            Ok(())
        }

        /// Reads the next record into `rec`: `false` at the end of the
        /// input (then `rec` is empty).
        ///
        /// # Errors
        /// Malformed CSV (a quote inside an unquoted field, text after a
        /// closing quote, a quote left open at the end, invalid UTF-8),
        /// with its line and column, or an I/O error.
        pub(super) fn read_record(&mut self, rec: &mut Record) -> Result<bool, CsvError> {
            rec.clear();
            self.field.clear();
            if self.check_bom {
                self.check_bom = false;
                if self.fill(3)?.starts_with(b"\xEF\xBB\xBF") {
                    self.advance(3);
                    self.line_start = self.offset;
                }
            }
            // Blank lines hold no record.
            loop {
                match self.peek()? {
                    None => return Ok(false),
                    Some(b @ (b'\r' | b'\n')) => self.line_end(b, false)?,
                    Some(_) => break,
                }
            }
            rec.line = self.line;
            let (delim, quote) = (self.delimiter, self.quote);
            loop {
                let (line, column) = (self.line, self.column());
                if quote.is_some() && self.peek()? == quote {
                    self.advance(1);
                    // Quoted: up to the closing quote; `""` is one quote.
                    loop {
                        let chunk = self.fill(1)?;
                        let Some(n) = chunk
                            .iter()
                            .position(|&b| Some(b) == quote || b == b'\r' || b == b'\n')
                        else {
                            if chunk.is_empty() {
                                return Err(CsvError::Syntax {
                                    line,
                                    column,
                                    what: "the quoted field is never closed",
                                });
                            }
                            let n = chunk.len();
                            self.field
                                .extend_from_slice(&self.buf[self.pos..self.pos + n]);
                            self.advance(n);
                            continue;
                        };
                        self.field
                            .extend_from_slice(&self.buf[self.pos..self.pos + n]);
                        self.advance(n);
                        let b = self.buf[self.pos];
                        if b == b'\r' || b == b'\n' {
                            self.line_end(b, true)?;
                            continue;
                        }
                        self.advance(1); // the quote
                        match self.peek()? {
                            Some(b) if Some(b) == quote => {
                                self.field.push(b);
                                self.advance(1);
                            }
                            None | Some(b'\r' | b'\n') => break,
                            Some(b) if b == delim => break,
                            Some(_) => {
                                return Err(
                                    self.syntax("a character follows the closing quote of a field")
                                );
                            }
                        }
                    }
                } else {
                    // Unquoted: up to the delimiter or the line end.
                    loop {
                        let chunk = self.fill(1)?;
                        if chunk.is_empty() {
                            break;
                        }
                        let stop = chunk.iter().position(|&b| {
                            b == delim || b == b'\r' || b == b'\n' || Some(b) == quote
                        });
                        let n = stop.unwrap_or(chunk.len());
                        self.field
                            .extend_from_slice(&self.buf[self.pos..self.pos + n]);
                        self.advance(n);
                        if stop.is_some() {
                            if Some(self.buf[self.pos]) == quote {
                                return Err(self.syntax("a quote inside an unquoted field"));
                            }
                            break;
                        }
                    }
                }
                self.push_field(rec, line, column)?;
                match self.peek()? {
                    Some(b) if b == delim => self.advance(1),
                    Some(b @ (b'\r' | b'\n')) => {
                        self.line_end(b, false)?;
                        return Ok(true);
                    }
                    None => return Ok(true),
                    Some(_) => unreachable!("a field ends at a delimiter or a line end"),
                }
            }
        }
    }

    impl<R: Read + Seek> CsvReader<R> {
        /// Continues reading at `to` (a [`position`](Self::position)
        /// reported earlier).
        pub(super) fn seek(&mut self, to: Position) -> io::Result<()> {
            self.inner.seek(SeekFrom::Start(to.byte))?;
            self.pos = 0;
            self.end = 0;
            self.inner_done = false;
            self.offset = to.byte;
            self.line = to.line;
            self.line_start = to.byte;
            self.check_bom = to.byte == 0;
            Ok(())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::io::Cursor;

        fn read_all(text: &[u8], delim: u8, quote: Option<u8>) -> Result<Vec<Vec<String>>, String> {
            let mut r = CsvReader::new(Cursor::new(text.to_vec()), delim, quote);
            let mut rec = Record::default();
            let mut out = Vec::new();
            while r.read_record(&mut rec).map_err(|e| e.to_string())? {
                out.push(rec.iter().map(str::to_owned).collect());
            }
            Ok(out)
        }

        fn rows(text: &str) -> Vec<Vec<String>> {
            read_all(text.as_bytes(), b',', Some(b'"')).unwrap()
        }

        fn err(text: &str) -> String {
            read_all(text.as_bytes(), b',', Some(b'"')).unwrap_err()
        }

        #[test]
        fn plain_and_quoted_fields() {
            assert_eq!(rows("a,b,c\n1,2,3\n"), [["a", "b", "c"], ["1", "2", "3"]]);
            assert_eq!(
                rows("\"a\",\"b,c\",\"say \"\"hi\"\"\"\n"),
                [["a", "b,c", "say \"hi\""]]
            );
            assert_eq!(rows("\"\",x,\n"), [["", "x", ""]]);
            assert_eq!(rows(",\n"), [["", ""]]);
        }

        #[test]
        fn line_ends() {
            assert_eq!(rows("a,b\r\nc,d\r\n"), [["a", "b"], ["c", "d"]]);
            assert_eq!(rows("a,b\rc,d"), [["a", "b"], ["c", "d"]]);
            assert_eq!(rows("a,b\nc,d"), [["a", "b"], ["c", "d"]]);
            assert_eq!(
                rows("\"line1\r\nline2\nline3\",x\r\ny,z"),
                [["line1\r\nline2\nline3", "x"], ["y", "z"]]
            );
            assert_eq!(rows("\n\r\n\na\n\n\nb\n\n"), [["a"], ["b"]]);
            assert!(rows("").is_empty());
            assert!(rows("\r\n\n").is_empty());
        }

        #[test]
        fn bom_and_utf8() {
            assert_eq!(rows("\u{feff}a,é\n"), [["a", "é"]]);
            assert_eq!(rows("x,\u{feff}a\n"), [["x", "\u{feff}a"]]);
            assert_eq!(
                read_all(b"ok\nab,c\xff\n", b',', Some(b'"')).unwrap_err(),
                "CSV error at line 2, column 4: the field is not valid UTF-8"
            );
        }

        #[test]
        fn malformed() {
            assert_eq!(
                err("a,b\nc,d\"e\n"),
                "CSV error at line 2, column 4: a quote inside an unquoted field"
            );
            assert_eq!(
                err("a,\"b\"x\n"),
                "CSV error at line 1, column 6: a character follows the closing quote of a field"
            );
            assert_eq!(
                err("a\nb,\"never\nclosed\n"),
                "CSV error at line 2, column 3: the quoted field is never closed"
            );
            // After a multi-line field, lines keep counting.
            assert_eq!(
                err("\"1\n2\n3\",x\nq\"\n"),
                "CSV error at line 4, column 2: a quote inside an unquoted field"
            );
        }

        #[test]
        fn other_delimiter_and_quote() {
            assert_eq!(
                read_all(b"a;'b;c';'it''s'\n", b';', Some(b'\'')).unwrap(),
                [["a", "b;c", "it's"]]
            );
            assert_eq!(
                read_all(b"a\t\"b\"\tc\n", b'\t', None).unwrap(),
                [["a", "\"b\"", "c"]]
            );
        }

        #[test]
        fn fields_across_buffer_refills() {
            let long = "x".repeat(BUF_SIZE * 2 + 17);
            let text = format!("{long},\"{long}\"\"{long}\"\n1,2\n");
            let r = rows(&text);
            assert_eq!(r[0][0], long);
            assert_eq!(r[0][1], format!("{long}\"{long}"));
            assert_eq!(r[1], ["1", "2"]);
        }

        #[test]
        fn seek_back_to_a_position() {
            let mut r = CsvReader::new(
                Cursor::new(b"h1,h2\n\"a\nb\",c\nd,e\n".to_vec()),
                b',',
                Some(b'"'),
            );
            let mut rec = Record::default();
            assert!(r.read_record(&mut rec).unwrap());
            let start = r.position();
            assert_eq!(start, Position { byte: 6, line: 2 });
            assert!(r.read_record(&mut rec).unwrap());
            assert_eq!((rec.line(), rec.get(0)), (2, Some("a\nb")));
            assert!(r.read_record(&mut rec).unwrap());
            assert_eq!((rec.line(), rec.get(1), rec.get(2)), (4, Some("e"), None));
            assert!(!r.read_record(&mut rec).unwrap());
            r.seek(start).unwrap();
            assert!(r.read_record(&mut rec).unwrap());
            assert_eq!((rec.line(), rec.get(1)), (2, Some("c")));
            r.seek(Position::START).unwrap();
            assert!(r.read_record(&mut rec).unwrap());
            assert_eq!(rec.get(0), Some("h1"));
        }
    }
}
