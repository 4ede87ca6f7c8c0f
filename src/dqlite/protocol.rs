//! The dqlite wire protocol, version 1: message framing, request encoding
//! and response decoding.
//!
//! Facts follow the dqlite "Wire protocol" document (dqlite.io,
//! `doc/protocol.md` of canonical/dqlite); section names are cited next to
//! each piece. Everything that reads server bytes is bounds-checked: a
//! truncated or hostile message is a [`ProtocolError`], never a panic, and
//! nothing is allocated from a length the server sent before that length is
//! checked against the bytes actually received (themselves capped by
//! [`MAX_BODY_BYTES`]).
//!
//! ```
//! use ferrolite::dqlite::protocol::{Encoder, Response, decode_response, request, response};
//! // "Open" request: name, flags, VFS; framed with its 8-byte header.
//! let mut e = Encoder::new();
//! e.text("app")?.u64(0).text("volatile")?;
//! let msg = e.finish(request::OPEN, 0);
//! assert_eq!(&msg[..8], &[4, 0, 0, 0, 3, 0, 0, 0]); // 4 words, type 3
//! // A "Failure" response body: code, then message.
//! let mut body = 1u64.to_le_bytes().to_vec();
//! body.extend_from_slice(b"no such table: t\0\0\0\0\0\0\0\0");
//! assert_eq!(
//!     decode_response(response::FAILURE, 0, &body),
//!     Ok(Response::Failure { code: 1, message: "no such table: t".into() })
//! );
//! // Truncated: an error, never a panic.
//! assert!(decode_response(response::FAILURE, 0, &body[..12]).is_err());
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::fmt;

use crate::types::Value;

/// "Handshake": the client's first 8 bytes, the protocol version as a
/// little-endian 64-bit word.
pub const PROTOCOL_VERSION: u64 = 1;

/// Largest message body accepted from a server (64 MiB). A header that
/// announces more is rejected before anything is allocated.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// "Requests": the request type codes.
pub mod request {
    /// Get the current leader.
    pub const LEADER: u8 = 0;
    /// Register a client.
    pub const CLIENT: u8 = 1;
    /// Open a database.
    pub const OPEN: u8 = 3;
    /// Prepare a statement.
    pub const PREPARE: u8 = 4;
    /// Execute a prepared statement.
    pub const EXEC: u8 = 5;
    /// Query with a prepared statement.
    pub const QUERY: u8 = 6;
    /// Finalize a prepared statement.
    pub const FINALIZE: u8 = 7;
    /// Execute SQL text.
    pub const EXEC_SQL: u8 = 8;
    /// Query with SQL text.
    pub const QUERY_SQL: u8 = 9;
    /// Interrupt a query.
    pub const INTERRUPT: u8 = 10;
    /// List the cluster's nodes.
    pub const CLUSTER: u8 = 16;
    /// Describe the node.
    pub const DESCRIBE: u8 = 18;
}

/// "Responses": the response type codes.
pub mod response {
    /// Failure: code and message.
    pub const FAILURE: u8 = 0;
    /// A node: id and address.
    pub const SERVER: u8 = 1;
    /// Welcome: heartbeat timeout.
    pub const WELCOME: u8 = 2;
    /// Nodes of the cluster.
    pub const SERVERS: u8 = 3;
    /// A database.
    pub const DB: u8 = 4;
    /// A prepared statement.
    pub const STMT: u8 = 5;
    /// Result of an exec.
    pub const RESULT: u8 = 6;
    /// Rows of a query.
    pub const ROWS: u8 = 7;
    /// Empty.
    pub const EMPTY: u8 = 8;
    /// Node metadata.
    pub const METADATA: u8 = 10;
}

/// "Data types" / "Tuple": the value type codes (9, unixtime, is from
/// dqlite's `protocol.h`; the document lists the others).
pub mod vtype {
    /// 64-bit signed integer.
    pub const INTEGER: u8 = 1;
    /// IEEE 754 double.
    pub const FLOAT: u8 = 2;
    /// Nul-terminated UTF-8, padded to a word.
    pub const TEXT: u8 = 3;
    /// Length word, bytes, padded to a word.
    pub const BLOB: u8 = 4;
    /// One zero word.
    pub const NULL: u8 = 5;
    /// Seconds since the epoch, 64-bit signed.
    pub const UNIXTIME: u8 = 9;
    /// ISO-8601 text.
    pub const ISO8601: u8 = 10;
    /// 64-bit word, 0 or 1.
    pub const BOOLEAN: u8 = 11;
}

/// "Rows": marks the end of the last batch of a result.
pub const ROWS_DONE: u64 = 0xffff_ffff_ffff_ffff;
/// "Rows": marks the end of a batch with more batches to follow.
pub const ROWS_PART: u64 = 0xeeee_eeee_eeee_eeee;

/// Bytes a server sent that don't follow the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dqlite protocol error: {}", self.0)
    }
}

impl std::error::Error for ProtocolError {}

fn perr<T>(msg: impl Into<String>) -> Result<T, ProtocolError> {
    Err(ProtocolError(msg.into()))
}

/// "Message": the 8-byte header of every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Body length in 8-byte words.
    pub words: u32,
    /// Request or response type.
    pub kind: u8,
    /// Schema (revision) of the body's format.
    pub schema: u8,
    /// Unused extra bytes (0).
    pub extra: u16,
}

impl Header {
    /// Encodes the header.
    pub fn encode(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&self.words.to_le_bytes());
        out[4] = self.kind;
        out[5] = self.schema;
        out[6..].copy_from_slice(&self.extra.to_le_bytes());
        out
    }

    /// Decodes a header.
    pub fn decode(b: [u8; 8]) -> Header {
        Header {
            words: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            kind: b[4],
            schema: b[5],
            extra: u16::from_le_bytes([b[6], b[7]]),
        }
    }

    /// The body length in bytes, checked against [`MAX_BODY_BYTES`].
    ///
    /// # Errors
    /// A body larger than the cap.
    pub fn body_len(&self) -> Result<usize, ProtocolError> {
        let len = usize::try_from(self.words)
            .ok()
            .and_then(|w| w.checked_mul(8))
            .filter(|&n| n <= MAX_BODY_BYTES);
        match len {
            Some(n) => Ok(n),
            None => perr(format!(
                "message of {} words exceeds the {MAX_BODY_BYTES}-byte cap",
                self.words
            )),
        }
    }
}

/// Builds a request body (always whole words).
#[derive(Default, Debug, Clone)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// An empty body.
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// Appends a 64-bit word.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Appends a 32-bit value (two of them make a word).
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Appends bytes already encoded as whole words (another encoder's
    /// body).
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self.pad();
        self
    }

    /// The body so far.
    pub fn body(&self) -> &[u8] {
        &self.buf
    }

    fn pad(&mut self) {
        while self.buf.len() % 8 != 0 {
            self.buf.push(0);
        }
    }

    /// "Data types", text: the bytes, a nul, zero padding to a word.
    ///
    /// # Errors
    /// Text containing a nul byte (it would be cut there).
    pub fn text(&mut self, s: &str) -> Result<&mut Self, crate::Error> {
        if s.as_bytes().contains(&0) {
            return Err(crate::Error::NulError(
                std::ffi::CString::new(s).unwrap_err(),
            ));
        }
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        self.pad();
        Ok(self)
    }

    /// "Tuple" (schema 0, as parameters of exec/query): a one-byte count,
    /// one type byte per value, padding to a word, then the values. No
    /// parameters: nothing at all (as go-dqlite sends, and every server
    /// version accepts).
    ///
    /// # Errors
    /// More than 255 parameters (schema 0's limit), text with a nul byte.
    pub fn params(&mut self, values: &[Value]) -> Result<&mut Self, crate::Error> {
        let Ok(n) = u8::try_from(values.len()) else {
            return Err(crate::Error::ToSqlConversionFailure(
                format!(
                    "dqlite: {} parameters; the wire protocol carries at most 255",
                    values.len()
                )
                .into(),
            ));
        };
        if n == 0 {
            return Ok(self);
        }
        self.buf.push(n);
        for v in values {
            self.buf.push(match v {
                Value::Null => vtype::NULL,
                Value::Integer(_) => vtype::INTEGER,
                Value::Real(_) => vtype::FLOAT,
                Value::Text(_) => vtype::TEXT,
                Value::Blob(_) => vtype::BLOB,
            });
        }
        self.pad();
        for v in values {
            match v {
                Value::Null => {
                    self.u64(0);
                }
                Value::Integer(i) => {
                    self.buf.extend_from_slice(&i.to_le_bytes());
                }
                Value::Real(f) => {
                    self.buf.extend_from_slice(&f.to_le_bytes());
                }
                Value::Text(s) => {
                    self.text(s)?;
                }
                Value::Blob(b) => {
                    self.u64(b.len() as u64);
                    self.buf.extend_from_slice(b);
                    self.pad();
                }
            }
        }
        Ok(self)
    }

    /// The framed message: header, then this body.
    pub fn finish(mut self, kind: u8, schema: u8) -> Vec<u8> {
        self.pad();
        let words = u32::try_from(self.buf.len() / 8).unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(8 + self.buf.len());
        out.extend_from_slice(
            &Header {
                words,
                kind,
                schema,
                extra: 0,
            }
            .encode(),
        );
        out.extend_from_slice(&self.buf);
        out
    }
}

/// Reads a response body, bounds-checked.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// Reads `buf` from its start.
    pub fn new(buf: &'a [u8]) -> Decoder<'a> {
        Decoder { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        if n > self.remaining() {
            return perr(format!(
                "truncated message: {n} bytes needed at offset {}, {} left",
                self.pos,
                self.remaining()
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn word(&mut self) -> Result<[u8; 8], ProtocolError> {
        let s = self.take(8)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(s);
        Ok(w)
    }

    /// Peeks at the next word without consuming it.
    pub fn peek_u64(&self) -> Result<u64, ProtocolError> {
        self.clone().u64()
    }

    /// A 64-bit unsigned word.
    pub fn u64(&mut self) -> Result<u64, ProtocolError> {
        Ok(u64::from_le_bytes(self.word()?))
    }

    /// A 64-bit signed word.
    pub fn i64(&mut self) -> Result<i64, ProtocolError> {
        Ok(i64::from_le_bytes(self.word()?))
    }

    /// A double.
    pub fn f64(&mut self) -> Result<f64, ProtocolError> {
        Ok(f64::from_le_bytes(self.word()?))
    }

    /// A 32-bit value.
    pub fn u32(&mut self) -> Result<u32, ProtocolError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn skip_pad(&mut self) -> Result<(), ProtocolError> {
        let pad = (8 - self.pos % 8) % 8;
        self.take(pad).map(|_| ())
    }

    /// Text: bytes up to a nul, then padding to a word.
    pub fn text(&mut self) -> Result<String, ProtocolError> {
        let rest = &self.buf[self.pos..];
        let Some(nul) = rest.iter().position(|&b| b == 0) else {
            return perr("text without a terminating nul");
        };
        let bytes = self.take(nul + 1)?;
        self.skip_pad()?;
        match std::str::from_utf8(&bytes[..nul]) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => perr(format!("text is not UTF-8: {e}")),
        }
    }

    /// A blob: length word, bytes, padding. The length is checked against
    /// the bytes left before anything is allocated.
    pub fn blob(&mut self) -> Result<Vec<u8>, ProtocolError> {
        let len = self.u64()?;
        let Some(len) = usize::try_from(len).ok().filter(|&n| n <= self.remaining()) else {
            return perr(format!(
                "blob of {len} bytes with only {} bytes left",
                self.remaining()
            ));
        };
        let b = self.take(len)?.to_vec();
        self.skip_pad()?;
        Ok(b)
    }

    /// One value of type `t`.
    pub fn value(&mut self, t: u8) -> Result<Value, ProtocolError> {
        Ok(match t {
            vtype::INTEGER | vtype::UNIXTIME => Value::Integer(self.i64()?),
            vtype::FLOAT => Value::Real(self.f64()?),
            vtype::TEXT | vtype::ISO8601 => Value::Text(self.text()?),
            vtype::BLOB => Value::Blob(self.blob()?),
            vtype::NULL => {
                self.u64()?;
                Value::Null
            }
            vtype::BOOLEAN => Value::Integer(i64::from(self.u64()? != 0)),
            other => return perr(format!("unknown value type {other}")),
        })
    }
}

/// A node of the cluster ("Servers" response).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node's Raft id.
    pub id: u64,
    /// Its address (`host:port`).
    pub address: String,
    /// Its role.
    pub role: NodeRole,
}

/// A node's role in the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeRole {
    /// Votes in elections and replicates the log.
    Voter,
    /// Replicates the log without voting.
    StandBy,
    /// Receives the log, takes no part in quorum.
    Spare,
    /// A code this client doesn't know.
    Unknown(u64),
}

impl NodeRole {
    fn from_code(c: u64) -> NodeRole {
        match c {
            0 => NodeRole::Voter,
            1 => NodeRole::StandBy,
            2 => NodeRole::Spare,
            n => NodeRole::Unknown(n),
        }
    }
}

/// A decoded response (everything but rows, which are read lazily by
/// [`RowsReader`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    /// "Failure": a SQLite (or dqlite) result code and message.
    Failure {
        /// Result code.
        code: u64,
        /// Message.
        message: String,
    },
    /// "Server" (answer to Leader): empty address when no leader is known.
    Server {
        /// Node id (0 when unknown).
        id: u64,
        /// Address.
        address: String,
    },
    /// "Welcome" (answer to Client).
    Welcome {
        /// Heartbeat timeout in milliseconds.
        heartbeat_timeout: u64,
    },
    /// "Servers" (answer to Cluster with format 1).
    Servers(Vec<NodeInfo>),
    /// "Db" (answer to Open).
    Db {
        /// Database id.
        id: u32,
    },
    /// "Stmt" (answer to Prepare).
    Stmt {
        /// Database id.
        db: u32,
        /// Statement id.
        id: u32,
        /// Parameter count.
        params: u64,
    },
    /// "Result" (answer to Exec/ExecSql).
    Result {
        /// `last_insert_rowid`.
        last_insert_id: u64,
        /// Changes made.
        rows_affected: u64,
    },
    /// "Empty".
    Empty,
    /// "Metadata" (answer to Describe).
    Metadata {
        /// Failure domain.
        failure_domain: u64,
        /// Weight.
        weight: u64,
    },
}

/// Decodes a non-rows response body.
///
/// # Errors
/// Unknown type, truncated or malformed body.
pub fn decode_response(kind: u8, schema: u8, body: &[u8]) -> Result<Response, ProtocolError> {
    let mut d = Decoder::new(body);
    let r = match kind {
        response::FAILURE => Response::Failure {
            code: d.u64()?,
            message: d.text()?,
        },
        response::SERVER => Response::Server {
            id: d.u64()?,
            address: d.text()?,
        },
        response::WELCOME => Response::Welcome {
            heartbeat_timeout: d.u64()?,
        },
        response::SERVERS => {
            let n = d.u64()?;
            // Each node takes at least 3 words: cap by the bytes present.
            if n > (d.remaining() / 24) as u64 {
                return perr(format!("{n} servers announced in {} bytes", d.remaining()));
            }
            let mut v = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let id = d.u64()?;
                let address = d.text()?;
                let role = NodeRole::from_code(d.u64()?);
                v.push(NodeInfo { id, address, role });
            }
            Response::Servers(v)
        }
        response::DB => {
            let id = d.u32()?;
            d.u32()?;
            Response::Db { id }
        }
        response::STMT => {
            let db = d.u32()?;
            let id = d.u32()?;
            let params = d.u64()?;
            if schema >= 1 {
                d.u64()?; // offset of the unparsed tail
            }
            Response::Stmt { db, id, params }
        }
        response::RESULT => Response::Result {
            last_insert_id: d.u64()?,
            rows_affected: d.u64()?,
        },
        response::EMPTY => Response::Empty,
        response::METADATA => Response::Metadata {
            failure_domain: d.u64()?,
            weight: d.u64()?,
        },
        other => return perr(format!("unexpected response type {other}")),
    };
    Ok(r)
}

/// What the next item of a rows batch is.
#[derive(Debug, Clone, PartialEq)]
pub enum RowItem {
    /// One row's values.
    Row(Vec<Value>),
    /// End of this batch; another Rows message follows.
    More,
    /// End of the result.
    Done,
}

/// Reads one Rows message ("Rows" section): a column count, the column
/// names, then rows (a 4-bit type per column, two per byte, low nibble
/// first, padded to a word; then the values), closed by
/// [`ROWS_PART`] or [`ROWS_DONE`].
#[derive(Debug)]
pub struct RowsReader {
    body: Vec<u8>,
    pos: usize,
    /// Column names.
    pub columns: Vec<String>,
}

impl RowsReader {
    /// Parses the column header of a Rows body.
    ///
    /// # Errors
    /// Truncated or malformed header.
    pub fn new(body: Vec<u8>) -> Result<RowsReader, ProtocolError> {
        let mut d = Decoder::new(&body);
        let n = d.u64()?;
        // Each name takes at least one word.
        if n > (d.remaining() / 8) as u64 {
            return perr(format!("{n} columns announced in {} bytes", d.remaining()));
        }
        let mut columns = Vec::with_capacity(n as usize);
        for _ in 0..n {
            columns.push(d.text()?);
        }
        let pos = d.pos;
        Ok(RowsReader { body, pos, columns })
    }

    /// Whether the next item is the end of the result (so nothing is left
    /// to interrupt).
    pub fn at_done(&self) -> bool {
        Decoder {
            buf: &self.body,
            pos: self.pos,
        }
        .peek_u64()
            == Ok(ROWS_DONE)
    }

    /// The next row or end marker.
    ///
    /// # Errors
    /// Truncated or malformed row.
    pub fn next_item(&mut self) -> Result<RowItem, ProtocolError> {
        let mut d = Decoder {
            buf: &self.body,
            pos: self.pos,
        };
        match d.peek_u64()? {
            ROWS_DONE => {
                d.u64()?;
                self.pos = d.pos;
                return Ok(RowItem::Done);
            }
            ROWS_PART => {
                d.u64()?;
                self.pos = d.pos;
                return Ok(RowItem::More);
            }
            _ => {}
        }
        let n = self.columns.len();
        let header_bytes = n.div_ceil(2).div_ceil(8) * 8;
        let header = d.take(header_bytes)?;
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            let byte = header[i / 2];
            let t = if i % 2 == 0 { byte & 0x0f } else { byte >> 4 };
            row.push(d.value(t)?);
        }
        self.pos = d.pos;
        Ok(RowItem::Row(row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_layout() {
        // "Message": words (u32 LE), type, schema, extra (u16).
        let h = Header {
            words: 3,
            kind: request::OPEN,
            schema: 0,
            extra: 0,
        };
        assert_eq!(h.encode(), [3, 0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(Header::decode(h.encode()), h);
    }

    #[test]
    fn header_cap() {
        let h = Header::decode([0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0]);
        assert!(h.body_len().is_err());
        let h = Header::decode([1, 0, 0, 0, 7, 0, 0, 0]);
        assert_eq!(h.body_len().unwrap(), 8);
    }

    #[test]
    fn text_padding() {
        // "Data types", text: nul-terminated, padded to 8 bytes.
        let mut e = Encoder::new();
        e.text("test").unwrap();
        assert_eq!(e.buf, b"test\0\0\0\0");
        let mut e = Encoder::new();
        e.text("1234567").unwrap();
        assert_eq!(e.buf, b"1234567\0");
        let mut e = Encoder::new();
        e.text("12345678").unwrap();
        assert_eq!(e.buf, b"12345678\0\0\0\0\0\0\0\0");
        assert!(Encoder::new().text("a\0b").is_err());
    }

    #[test]
    fn open_request_bytes() {
        // "Open": text name, uint64 flags, text vfs.
        let mut e = Encoder::new();
        e.text("test").unwrap().u64(0).text("volatile").unwrap();
        let msg = e.finish(request::OPEN, 0);
        let mut want = vec![4, 0, 0, 0, 3, 0, 0, 0];
        want.extend_from_slice(b"test\0\0\0\0");
        want.extend_from_slice(&[0; 8]);
        want.extend_from_slice(b"volatile\0\0\0\0\0\0\0\0");
        assert_eq!(msg, want);
    }

    #[test]
    fn params_tuple_bytes() {
        // "Tuple", parameters (schema 0): count byte, type bytes, padding,
        // then one value each.
        let mut e = Encoder::new();
        e.params(&[
            Value::Integer(-2),
            Value::Text("hi".into()),
            Value::Null,
            Value::Blob(vec![1, 2, 3]),
            Value::Real(1.5),
        ])
        .unwrap();
        let mut want = vec![5, 1, 3, 5, 4, 2, 0, 0];
        want.extend_from_slice(&(-2i64).to_le_bytes());
        want.extend_from_slice(b"hi\0\0\0\0\0\0");
        want.extend_from_slice(&[0; 8]);
        want.extend_from_slice(&3u64.to_le_bytes());
        want.extend_from_slice(&[1, 2, 3, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&1.5f64.to_le_bytes());
        assert_eq!(e.buf, want);
        // 7 parameters: 8 header bytes exactly, no extra padding word.
        let mut e = Encoder::new();
        e.params(&vec![Value::Null; 7]).unwrap();
        assert_eq!(e.buf.len(), 8 + 7 * 8);
        let mut e = Encoder::new();
        e.params(&[]).unwrap();
        assert!(e.buf.is_empty());
        let too_many = vec![Value::Null; 256];
        assert!(Encoder::new().params(&too_many).is_err());
    }

    #[test]
    fn decode_failure_and_server() {
        let mut body = 19u64.to_le_bytes().to_vec();
        body.extend_from_slice(b"UNIQUE constraint failed\0\0\0\0\0\0\0\0");
        assert_eq!(
            decode_response(response::FAILURE, 0, &body).unwrap(),
            Response::Failure {
                code: 19,
                message: "UNIQUE constraint failed".into()
            }
        );
        let mut body = 2u64.to_le_bytes().to_vec();
        body.extend_from_slice(b"127.0.0.1:9002\0\0");
        assert_eq!(
            decode_response(response::SERVER, 0, &body).unwrap(),
            Response::Server {
                id: 2,
                address: "127.0.0.1:9002".into()
            }
        );
        // Truncated: every prefix is an error, none panics.
        for n in 0..body.len() {
            assert!(decode_response(response::SERVER, 0, &body[..n]).is_err());
        }
    }

    #[test]
    fn decode_stmt_result_servers() {
        let mut body = vec![1, 0, 0, 0, 7, 0, 0, 0];
        body.extend_from_slice(&2u64.to_le_bytes());
        assert_eq!(
            decode_response(response::STMT, 0, &body).unwrap(),
            Response::Stmt {
                db: 1,
                id: 7,
                params: 2
            }
        );
        let mut body = 5u64.to_le_bytes().to_vec();
        body.extend_from_slice(&1u64.to_le_bytes());
        assert_eq!(
            decode_response(response::RESULT, 0, &body).unwrap(),
            Response::Result {
                last_insert_id: 5,
                rows_affected: 1
            }
        );
        let mut body = 1u64.to_le_bytes().to_vec();
        body.extend_from_slice(&1u64.to_le_bytes());
        body.extend_from_slice(b"a:1\0\0\0\0\0");
        body.extend_from_slice(&0u64.to_le_bytes());
        assert_eq!(
            decode_response(response::SERVERS, 0, &body).unwrap(),
            Response::Servers(vec![NodeInfo {
                id: 1,
                address: "a:1".into(),
                role: NodeRole::Voter
            }])
        );
        // A hostile count is rejected before allocating.
        let mut body = u64::MAX.to_le_bytes().to_vec();
        body.extend_from_slice(&[0; 24]);
        assert!(decode_response(response::SERVERS, 0, &body).is_err());
    }

    #[test]
    fn decode_rows() {
        // "Rows": 2 columns, names, row header (types packed, low nibble
        // first), values, then the done marker.
        let mut body = 2u64.to_le_bytes().to_vec();
        body.extend_from_slice(b"id\0\0\0\0\0\0");
        body.extend_from_slice(b"name\0\0\0\0");
        body.extend_from_slice(&[0x31, 0, 0, 0, 0, 0, 0, 0]); // INTEGER, TEXT
        body.extend_from_slice(&7i64.to_le_bytes());
        body.extend_from_slice(b"x\0\0\0\0\0\0\0");
        body.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0, 0]); // NULL, BLOB
        body.extend_from_slice(&0u64.to_le_bytes());
        body.extend_from_slice(&1u64.to_le_bytes());
        body.extend_from_slice(&[9, 0, 0, 0, 0, 0, 0, 0]);
        body.extend_from_slice(&ROWS_PART.to_le_bytes());
        let mut r = RowsReader::new(body.clone()).unwrap();
        assert_eq!(r.columns, ["id", "name"]);
        assert_eq!(
            r.next_item().unwrap(),
            RowItem::Row(vec![Value::Integer(7), Value::Text("x".into())])
        );
        assert_eq!(
            r.next_item().unwrap(),
            RowItem::Row(vec![Value::Null, Value::Blob(vec![9])])
        );
        assert_eq!(r.next_item().unwrap(), RowItem::More);
        for n in 0..body.len() - 8 {
            let mut ok = true;
            match RowsReader::new(body[..n].to_vec()) {
                Err(_) => ok = false,
                Ok(mut r) => {
                    for _ in 0..3 {
                        match r.next_item() {
                            Err(_) => {
                                ok = false;
                                break;
                            }
                            Ok(RowItem::Row(_)) => {}
                            Ok(_) => break,
                        }
                    }
                }
            }
            assert!(!ok, "prefix {n} decoded");
        }
    }

    #[test]
    fn decode_extra_types() {
        let mut d = Decoder::new(&[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(d.value(vtype::BOOLEAN).unwrap(), Value::Integer(1));
        let mut d = Decoder::new(b"2024-01-01\0\0\0\0\0\0");
        assert_eq!(
            d.value(vtype::ISO8601).unwrap(),
            Value::Text("2024-01-01".into())
        );
        // Unixtime (9): seconds as an integer.
        let mut d = Decoder::new(&[0x10, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(d.value(vtype::UNIXTIME).unwrap(), Value::Integer(16));
        for unknown in [0, 6, 7, 8, 12, 15] {
            assert!(Decoder::new(&[0; 8]).value(unknown).is_err());
        }
        // Blob length larger than the message.
        let mut b = 1000u64.to_le_bytes().to_vec();
        b.extend_from_slice(&[0; 8]);
        assert!(Decoder::new(&b).blob().is_err());
        assert!(Decoder::new(&[0xff, 0xfe, 0]).text().is_err());
    }
}
