//! Incremental BLOB I/O: `Connection::blob_open` and `ferrolite::blob::Blob`.

use crate::common::temp_path;

use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::mem::MaybeUninit;

use ferrolite::blob::ZeroBlob;
use ferrolite::{Connection, Error, ErrorCode, MAIN_DB, Result};

/// A table with a 10-byte BLOB at rowid 1 ("0123456789") and a 3-byte one
/// at rowid 2 ("abc").
fn setup() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB, n INTEGER, k TEXT UNIQUE);
         INSERT INTO t (id, data, n, k) VALUES (1, CAST('0123456789' AS BLOB), 5, 'a');
         INSERT INTO t (id, data, n, k) VALUES (2, CAST('abc' AS BLOB), 6, 'b');",
    )?;
    Ok(conn)
}

fn data(conn: &Connection, id: i64) -> Result<Vec<u8>> {
    conn.query_row("SELECT data FROM t WHERE id = ?1", [id], |r| r.get(0))
}

#[test]
fn read_seek_and_positional_reads() -> Result<()> {
    let conn = setup()?;
    let mut blob = conn.blob_open(MAIN_DB, "t", "data", 1, true)?;
    assert_eq!(blob.len(), 10);
    assert_eq!(blob.size(), 10);
    assert!(!blob.is_empty());

    let mut buf = [0u8; 4];
    assert_eq!(blob.read(&mut buf).unwrap(), 4);
    assert_eq!(&buf, b"0123");
    assert_eq!(blob.stream_position().unwrap(), 4);
    let mut rest = Vec::new();
    blob.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"456789");
    assert_eq!(blob.read(&mut buf).unwrap(), 0, "end of BLOB");

    assert_eq!(blob.seek(SeekFrom::End(-3)).unwrap(), 7);
    assert_eq!(blob.read(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"789");
    assert_eq!(blob.seek(SeekFrom::Current(-5)).unwrap(), 5);
    assert_eq!(
        blob.seek(SeekFrom::End(0)).unwrap(),
        10,
        "seeking to the end is fine"
    );

    // Positional reads ignore the cursor.
    let mut two = [0u8; 2];
    assert_eq!(blob.read_at(&mut two, 8)?, 2);
    assert_eq!(&two, b"89");
    assert_eq!(blob.read_at(&mut buf, 8)?, 2, "short read at the end");
    assert_eq!(blob.read_at(&mut buf, 10)?, 0);
    assert_eq!(blob.read_at(&mut buf, usize::MAX)?, 0);
    blob.read_at_exact(&mut buf, 2)?;
    assert_eq!(&buf, b"2345");
    assert_eq!(blob.stream_position().unwrap(), 10);

    let mut raw = [MaybeUninit::<u8>::uninit(); 16];
    let got = blob.raw_read_at(&mut raw, 6)?;
    assert_eq!(got, b"6789");
    let mut raw = [MaybeUninit::<u8>::uninit(); 3];
    assert_eq!(blob.raw_read_at_exact(&mut raw, 0)?, b"012");
    // The bytes read start at the buffer, also when there are none (as in
    // rusqlite: callers may compare the pointers).
    let start = raw.as_ptr().cast::<u8>();
    assert!(std::ptr::eq(blob.raw_read_at(&mut raw, 0)?.as_ptr(), start));
    let mut empty: [MaybeUninit<u8>; 0] = [];
    let start = empty.as_ptr().cast::<u8>();
    assert!(std::ptr::eq(
        blob.raw_read_at_exact(&mut empty, 0)?.as_ptr(),
        start
    ));
    assert!(std::ptr::eq(
        blob.raw_read_at(&mut empty, 10)?.as_ptr(),
        start
    ));
    Ok(())
}

#[test]
fn bad_seeks_and_exact_reads_fail() -> Result<()> {
    let conn = setup()?;
    let mut blob = conn.blob_open(MAIN_DB, "t", "data", 1, true)?;
    blob.seek(SeekFrom::Start(3)).unwrap();
    for bad in [
        SeekFrom::Start(11),
        SeekFrom::End(1),
        SeekFrom::Current(-4),
        SeekFrom::End(i64::MIN),
        SeekFrom::Current(i64::MAX),
        SeekFrom::Start(u64::MAX),
    ] {
        let err = blob.seek(bad).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(
            blob.stream_position().unwrap(),
            3,
            "a failed seek keeps the cursor"
        );
    }
    let mut buf = [0u8; 4];
    assert_eq!(blob.read_at_exact(&mut buf, 7), Err(Error::BlobSizeError));
    assert_eq!(
        blob.read_at_exact(&mut buf, usize::MAX),
        Err(Error::BlobSizeError)
    );
    let mut raw = [MaybeUninit::<u8>::uninit(); 11];
    assert!(matches!(
        blob.raw_read_at_exact(&mut raw, 0),
        Err(Error::BlobSizeError)
    ));
    Ok(())
}

#[test]
fn writes_in_place_and_never_past_the_end() -> Result<()> {
    let conn = setup()?;
    let mut blob = conn.blob_open(MAIN_DB, "t", "data", 1, false)?;
    blob.write_all(b"ab").unwrap();
    blob.write_at(b"XY", 8)?;
    assert_eq!(
        blob.stream_position().unwrap(),
        2,
        "write_at leaves the cursor"
    );
    blob.seek(SeekFrom::Start(7)).unwrap();

    // 4 bytes at 7 would need 11: the positional write refuses them whole.
    assert_eq!(blob.write_at(b"0123", 7), Err(Error::BlobSizeError));
    assert_eq!(blob.stream_position().unwrap(), 7);
    assert_eq!(blob.write_at(b"0", usize::MAX), Err(Error::BlobSizeError));
    assert_eq!(blob.write_all_at(b"", 11), Err(Error::BlobSizeError));
    blob.write_at(b"", 10)?; // empty, at the end: fine
    assert_eq!(blob.write(b"").unwrap(), 0);

    // Exactly up to the end works; then the BLOB is full.
    blob.write_all(b"789").unwrap();
    assert_eq!(
        blob.write_all(b"x").unwrap_err().kind(),
        io::ErrorKind::WriteZero
    );
    blob.close()?;

    assert_eq!(data(&conn, 1)?, b"ab23456789");
    assert_eq!(blob_len_in_sql(&conn, 1)?, 10, "the BLOB did not grow");
    let mut blob = conn.blob_open(MAIN_DB, "t", "data", 1, false)?;
    blob.write_at(b"XY", 8)?;
    drop(blob);
    assert_eq!(data(&conn, 1)?, b"ab234567XY");
    Ok(())
}

fn blob_len_in_sql(conn: &Connection, id: i64) -> Result<i64> {
    conn.query_row("SELECT length(data) FROM t WHERE id = ?1", [id], |r| {
        r.get(0)
    })
}

#[test]
fn buffered_writer_reports_overflow_on_flush() -> Result<()> {
    let conn = setup()?;
    let blob = conn.blob_open(MAIN_DB, "t", "data", 2, false)?;
    let mut w = BufWriter::new(blob);
    w.write_all(b"xyzw").unwrap(); // buffered: 4 bytes into a 3-byte BLOB
    assert_eq!(w.flush().unwrap_err().kind(), io::ErrorKind::WriteZero);
    drop(w);
    assert_eq!(data(&conn, 2)?, b"xyz", "what fits is written");
    Ok(())
}

/// `io::Write` writes what fits and returns the count, `Ok(0)` once the
/// BLOB is full; `write_all` (and a `BufWriter`'s flush) then fail with
/// `WriteZero` after storing every byte that fitted.
#[test]
fn write_crossing_the_end_writes_what_fits() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE z (b BLOB)")?;
    conn.execute("INSERT INTO z VALUES (?1)", [ZeroBlob(10)])?;
    let stored = |conn: &Connection| -> Result<Vec<u8>> {
        conn.query_row("SELECT b FROM z", [], |r| r.get(0))
    };

    // A BufWriter over a 10-byte BLOB given 15 bytes.
    let blob = conn.blob_open(MAIN_DB, "z", "b", 1, false)?;
    let mut w = BufWriter::new(blob);
    w.write_all(b"0123456789ABCDE").unwrap();
    let err = w.flush().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WriteZero, "{err}");
    let (mut blob, _) = w.into_parts();
    assert_eq!(blob.stream_position().unwrap(), 10);
    drop(blob);
    assert_eq!(stored(&conn)?, b"0123456789");

    // One `write` crossing the end: the count of what fitted.
    let mut blob = conn.blob_open(MAIN_DB, "z", "b", 1, false)?;
    blob.seek(SeekFrom::Start(7)).unwrap();
    assert_eq!(blob.write(b"abcdef").unwrap(), 3);
    assert_eq!(blob.stream_position().unwrap(), 10);
    // At the end: Ok(0), for a non-empty and an empty buffer.
    assert_eq!(blob.write(b"x").unwrap(), 0);
    assert_eq!(blob.write(b"").unwrap(), 0);
    let err = blob.write_all(b"x").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    // Exactly up to the end.
    blob.seek(SeekFrom::Start(4)).unwrap();
    blob.write_all(b"WXYZ").unwrap();
    blob.write_all(b"!?").unwrap();
    assert_eq!(blob.stream_position().unwrap(), 10);
    drop(blob);
    assert_eq!(stored(&conn)?, b"0123WXYZ!?");

    // The positional write stays all-or-nothing (as in rusqlite).
    let mut blob = conn.blob_open(MAIN_DB, "z", "b", 1, false)?;
    assert_eq!(blob.write_at(b"abc", 8), Err(Error::BlobSizeError));
    blob.write_at(b"ab", 8)?;
    assert_eq!(blob.write_at(b"a", 10), Err(Error::BlobSizeError));
    blob.write_at(b"", 10)?;
    drop(blob);
    assert_eq!(stored(&conn)?, b"0123WXYZab");

    // At the end of a read-only handle, the error is not hidden by Ok(0).
    let mut blob = conn.blob_open(MAIN_DB, "z", "b", 1, true)?;
    blob.seek(SeekFrom::End(0)).unwrap();
    let err = blob.write(b"x").unwrap_err();
    let err = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
    assert_eq!(
        err.and_then(Error::sqlite_error_code),
        Some(ErrorCode::ReadOnly)
    );
    Ok(())
}

#[test]
fn zeroblob_then_fill() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE f (content BLOB)")?;
    conn.execute("INSERT INTO f VALUES (?1)", [ZeroBlob(1 << 16)])?;
    let id = conn.last_insert_rowid();
    let payload: Vec<u8> = (0..1u32 << 16).map(|i| (i * 7 % 251) as u8).collect();
    let mut blob = conn.blob_open(MAIN_DB, "f", "content", id, false)?;
    assert_eq!(blob.len(), 1 << 16);
    io::copy(&mut &payload[..], &mut blob).unwrap();
    drop(blob);
    let stored: Vec<u8> = conn.query_row("SELECT content FROM f", [], |r| r.get(0))?;
    assert_eq!(stored, payload);

    conn.execute("INSERT INTO f VALUES (?1)", [ZeroBlob(0)])?;
    let blob = conn.blob_open(MAIN_DB, "f", "content", conn.last_insert_rowid(), true)?;
    assert!(blob.is_empty());
    Ok(())
}

#[test]
fn reopen_moves_to_another_row() -> Result<()> {
    let conn = setup()?;
    let mut blob = conn.blob_open(MAIN_DB, "t", "data", 1, true)?;
    blob.seek(SeekFrom::Start(5)).unwrap();
    blob.reopen(2)?;
    assert_eq!(blob.len(), 3);
    assert_eq!(blob.stream_position().unwrap(), 0);
    let mut s = Vec::new();
    blob.read_to_end(&mut s).unwrap();
    assert_eq!(s, b"abc");

    // A missing row fails, and the handle is dead from then on: reads
    // (even at the end) and writes fail rather than look like an empty BLOB.
    let err = blob.reopen(99).unwrap_err();
    assert!(err.to_string().contains("99"), "{err}");
    let mut buf = [0u8; 2];
    for start in [0, 5] {
        let err = blob.read_at(&mut buf, start).unwrap_err();
        assert_eq!(err.sqlite_error_code(), Some(ErrorCode::OperationAborted));
        assert!(err.to_string().contains("expired"), "{err}");
    }
    assert!(blob.read(&mut buf).is_err());
    assert!(blob.reopen(1).is_err());
    blob.close()?; // closing a dead handle is fine
    Ok(())
}

#[test]
fn bad_opens_are_errors() -> Result<()> {
    let conn = setup()?;
    assert!(conn.blob_open(MAIN_DB, "nope", "data", 1, true).is_err());
    assert!(conn.blob_open(MAIN_DB, "t", "nope", 1, true).is_err());
    assert!(conn.blob_open("nodb", "t", "data", 1, true).is_err());
    let err = conn.blob_open(MAIN_DB, "t", "data", 42, true).unwrap_err();
    assert!(err.to_string().contains("no such rowid"), "{err}");
    let err = conn.blob_open(MAIN_DB, "t", "n", 1, true).unwrap_err();
    assert!(err.to_string().contains("integer"), "{err}");
    let err = conn.blob_open(MAIN_DB, "t", "k", 1, false).unwrap_err();
    assert!(err.to_string().contains("indexed"), "{err}");
    assert!(matches!(
        conn.blob_open(MAIN_DB, "t\0x", "data", 1, true),
        Err(Error::NulError(_))
    ));
    // A NULL value is not a BLOB.
    conn.execute("INSERT INTO t (id) VALUES (3)", [])?;
    assert!(conn.blob_open(MAIN_DB, "t", "data", 3, true).is_err());
    Ok(())
}

#[test]
fn read_only_handle_refuses_writes() -> Result<()> {
    let conn = setup()?;
    let mut blob = conn.blob_open(MAIN_DB, "t", "data", 1, true)?;
    let err = blob.write_at(b"zz", 0).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ReadOnly), "{err}");
    assert!(blob.write_all(b"zz").is_err());
    drop(blob);
    assert_eq!(data(&conn, 1)?, b"0123456789");
    Ok(())
}

#[test]
fn read_only_connection_refuses_write_handles() -> Result<()> {
    let (_dir, path) = temp_path("ro.db");
    setup()?.backup(MAIN_DB, &path, ferrolite::backup::NO_PROGRESS)?;
    let ro = Connection::open_with_flags(&path, ferrolite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    assert!(ro.blob_open(MAIN_DB, "t", "data", 1, false).is_err());
    let blob = ro.blob_open(MAIN_DB, "t", "data", 1, true)?;
    assert_eq!(blob.len(), 10);
    Ok(())
}

#[test]
fn changing_the_row_expires_the_handle() -> Result<()> {
    let conn = setup()?;
    let mut blob = conn.blob_open(MAIN_DB, "t", "data", 1, false)?;
    conn.execute("UPDATE t SET data = X'FFFF' WHERE id = 1", [])?;
    let mut buf = [0u8; 2];
    let err = blob.read_at(&mut buf, 0).unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::OperationAborted),
        "{err}"
    );
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(blob.write_at(b"", 0).is_err());
    assert!(blob.read_at(&mut buf, 99).is_err());
    // `io::Write` too: an error, not an `Ok(0)` that looks like a full BLOB.
    assert!(blob.write(b"zz").is_err());
    assert!(blob.write(b"").is_err());
    // The update stands; the expired handle wrote nothing.
    assert_eq!(data(&conn, 1)?, [0xFF, 0xFF]);
    drop(blob);

    // Reopening before touching an expired handle revives it.
    let mut blob = conn.blob_open(MAIN_DB, "t", "data", 2, false)?;
    conn.execute("UPDATE t SET data = X'0102' WHERE id = 2", [])?;
    blob.reopen(2)?;
    blob.read_at_exact(&mut buf, 0)?;
    assert_eq!(buf, [1, 2]);
    Ok(())
}

#[test]
fn text_values_can_be_opened() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE s (body TEXT); INSERT INTO s VALUES ('hello');")?;
    let mut blob = conn.blob_open(MAIN_DB, "s", "body", 1, false)?;
    blob.write_at(b"J", 0)?;
    drop(blob);
    let s: String = conn.query_row("SELECT body FROM s", [], |r| r.get(0))?;
    assert_eq!(s, "Jello");
    Ok(())
}
