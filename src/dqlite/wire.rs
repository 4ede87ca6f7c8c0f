//! One TCP connection to a dqlite node: handshake, framed requests and
//! responses, with timeouts.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::protocol::{
    Decoder, Encoder, Header, PROTOCOL_VERSION, ProtocolError, Response, decode_response, request,
    response,
};

/// How a round trip failed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The request was not (completely) sent: the server can't have run it.
    NotSent(io::Error),
    /// The connection broke after the request was sent.
    Lost(io::Error),
    /// The server's bytes don't follow the protocol.
    Proto(ProtocolError),
    /// The server answered with a failure.
    Server { code: u64, message: String },
}

impl From<ProtocolError> for Fail {
    fn from(e: ProtocolError) -> Fail {
        Fail::Proto(e)
    }
}

/// A connected, handshaken socket.
#[derive(Debug)]
pub(crate) struct Wire {
    stream: TcpStream,
}

impl Wire {
    /// Connects to `address` within `connect_timeout` (per resolved
    /// address), sets `request_timeout` on reads and writes, and sends the
    /// handshake.
    pub(crate) fn connect(
        address: &str,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> io::Result<Wire> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "address resolves to nothing");
        for sa in address.to_socket_addrs()? {
            match TcpStream::connect_timeout(&sa, connect_timeout) {
                Ok(mut stream) => {
                    stream.set_nodelay(true)?;
                    stream.set_read_timeout(Some(request_timeout))?;
                    stream.set_write_timeout(Some(request_timeout))?;
                    stream.write_all(&PROTOCOL_VERSION.to_le_bytes())?;
                    return Ok(Wire { stream });
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Sends one framed message. A connection the peer already closed
    /// (a node that stopped between two calls), or one with unread bytes
    /// pending (out of step with the protocol), is reported as not sent:
    /// writing to it would turn a certain "not run" into an unknown
    /// outcome.
    pub(crate) fn send(&mut self, msg: &[u8]) -> Result<(), Fail> {
        if let Some(why) = self.dead() {
            return Err(Fail::NotSent(why));
        }
        self.stream.write_all(msg).map_err(Fail::NotSent)
    }

    /// Sends one framed message while a query's rows may still be arriving
    /// (an interrupt): unread bytes are expected then, so unlike
    /// [`send`](Self::send) this does not check for them.
    pub(crate) fn send_mid_stream(&mut self, msg: &[u8]) -> Result<(), Fail> {
        self.stream.write_all(msg).map_err(Fail::Lost)
    }

    /// Why the connection can't carry a new request, if it can't.
    fn dead(&self) -> Option<io::Error> {
        if let Err(e) = self.stream.set_nonblocking(true) {
            return Some(e);
        }
        let mut one = [0u8; 1];
        let r = self.stream.peek(&mut one);
        if let Err(e) = self.stream.set_nonblocking(false) {
            return Some(e);
        }
        match r {
            Ok(0) => Some(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection closed by the node",
            )),
            Ok(_) => Some(io::Error::new(
                io::ErrorKind::InvalidData,
                "unexpected bytes from the node",
            )),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
            Err(e) => Some(e),
        }
    }

    /// Receives one message: its header and body. The body is read as it
    /// arrives (no allocation from the announced length), capped by
    /// [`super::protocol::MAX_BODY_BYTES`].
    pub(crate) fn recv(&mut self) -> Result<(Header, Vec<u8>), Fail> {
        let mut h = [0u8; 8];
        self.stream.read_exact(&mut h).map_err(Fail::Lost)?;
        let header = Header::decode(h);
        let len = header.body_len()?;
        let mut body = Vec::new();
        (&mut self.stream)
            .take(len as u64)
            .read_to_end(&mut body)
            .map_err(Fail::Lost)?;
        if body.len() != len {
            return Err(Fail::Lost(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("message body cut at {} of {len} bytes", body.len()),
            )));
        }
        Ok((header, body))
    }

    /// Sends `msg` and decodes a non-rows answer; a Failure answer is
    /// [`Fail::Server`].
    pub(crate) fn call(&mut self, msg: &[u8]) -> Result<Response, Fail> {
        self.send(msg)?;
        let (h, body) = self.recv()?;
        expect_ok(h, &body)
    }

    /// Asks this node for the leader: `None` when it knows none.
    pub(crate) fn leader(&mut self) -> Result<Option<(u64, String)>, Fail> {
        let mut e = Encoder::new();
        e.u64(0);
        match self.call(&e.finish(request::LEADER, 0))? {
            Response::Server { address, .. } if address.is_empty() => Ok(None),
            Response::Server { id, address } => Ok(Some((id, address))),
            other => Err(unexpected(&other)),
        }
    }
}

/// Decodes a non-rows answer, turning Failure into [`Fail::Server`].
pub(crate) fn expect_ok(h: Header, body: &[u8]) -> Result<Response, Fail> {
    if h.kind == response::ROWS {
        return Err(Fail::Proto(ProtocolError(
            "rows where no rows were expected".into(),
        )));
    }
    match decode_response(h.kind, h.schema, body)? {
        Response::Failure { code, message } => Err(Fail::Server { code, message }),
        r => Ok(r),
    }
}

/// A failure decoded from a Rows-or-Failure answer.
pub(crate) fn failure_of(body: &[u8]) -> Fail {
    let mut d = Decoder::new(body);
    match (d.u64(), d.text()) {
        (Ok(code), Ok(message)) => Fail::Server { code, message },
        (Err(e), _) | (_, Err(e)) => Fail::Proto(e),
    }
}

/// A response of the wrong type.
pub(crate) fn unexpected(r: &Response) -> Fail {
    Fail::Proto(ProtocolError(format!("unexpected response {r:?}")))
}
