//! Arbitrary server bytes through the dqlite client's decoders: response
//! bodies, row batches, and (mode 2) a whole answer on a socket from a fake
//! node, read by the public client API. Hostile input must give errors,
//! never a panic, a hang or an allocation beyond the bytes received.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use ferrolite::dqlite::Client;
use ferrolite::dqlite::protocol::{
    Encoder, MAX_BODY_BYTES, RowItem, RowsReader, decode_response, response,
};

/// Runs one input: byte 0 picks the mode, bytes 1–2 the response type and
/// schema, the rest is the body (or the raw answer).
pub fn run(data: &[u8]) {
    let [mode, kind, schema, body @ ..] = data else {
        return;
    };
    match mode % 3 {
        0 => {
            let _ = decode_response(*kind, *schema, body);
        }
        1 => rows(body),
        _ => over_the_wire(*kind, body),
    }
}

fn rows(body: &[u8]) {
    let Ok(mut r) = RowsReader::new(body.to_vec()) else {
        return;
    };
    let n = r.columns.len();
    assert!(n <= body.len() / 8);
    // Each item consumes at least a word: bounded by the body's length.
    for _ in 0..=body.len() / 8 {
        match r.next_item() {
            Ok(RowItem::Row(values)) => assert_eq!(values.len(), n),
            Ok(_) | Err(_) => return,
        }
    }
    panic!("more items than words");
}

/// A fake node answers Leader and Open properly, then sends `answer`
/// (prefixed by a header of type `kind` when `kind` is even, raw
/// otherwise) to a query, and closes.
fn over_the_wire(kind: u8, answer: &[u8]) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let reply = if kind % 2 == 0 {
        let mut e = Encoder::new();
        e.bytes(answer);
        e.finish(kind / 2 % 12, 0)
    } else {
        answer.to_vec()
    };
    let a2 = addr.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = Arc::clone(&stop);
    listener.set_nonblocking(true).unwrap();
    // Serves the client's connections one after the other (it reconnects
    // after a broken answer) until told to stop.
    let server = thread::spawn(move || {
        while !stop2.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false).unwrap();
                    serve(s, &a2, &reply);
                }
                Err(_) => thread::sleep(Duration::from_millis(1)),
            }
        }
    });
    let client = Client::builder([addr])
        .connect_timeout(Duration::from_millis(500))
        .request_timeout(Duration::from_millis(500))
        .leader_timeout(Duration::from_millis(200))
        .connect()
        .unwrap();
    let conn = client.open("fuzz").unwrap();
    if let Ok(mut rows) = conn.query("SELECT 1", []) {
        let n = rows.column_names().len();
        let mut seen = 0usize;
        while let Ok(Some(row)) = rows.next() {
            assert_eq!(row.values().len(), n);
            seen += 1;
            assert!(seen <= MAX_BODY_BYTES / 8);
        }
    }
    drop(conn);
    drop(client);
    stop.store(true, Ordering::Relaxed);
    server.join().unwrap();
}

fn serve(mut s: TcpStream, addr: &str, reply: &[u8]) {
    let mut buf = [0u8; 8];
    if s.read_exact(&mut buf).is_err() {
        return; // handshake
    }
    loop {
        let mut h = [0u8; 8];
        if s.read_exact(&mut h).is_err() {
            return;
        }
        let mut body = vec![0u8; u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize * 8];
        if s.read_exact(&mut body).is_err() {
            return;
        }
        let msg = match h[4] {
            0 => {
                let mut e = Encoder::new();
                e.u64(1).text(addr).unwrap();
                e.finish(response::SERVER, 0)
            }
            3 => {
                let mut e = Encoder::new();
                e.u32(0).u32(0);
                e.finish(response::DB, 0)
            }
            _ => {
                let _ = s.write_all(reply);
                return;
            }
        };
        if s.write_all(&msg).is_err() {
            return;
        }
    }
}
