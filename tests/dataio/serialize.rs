//! `Connection::serialize` / `deserialize` (rusqlite's `Data` /
//! `OwnedData` forms), `deserialize_read_exact`, `deserialize_bytes`, and
//! the byte-vector forms `serialize_to_vec` / `deserialize_copy`.

use std::ptr::NonNull;

use ferrolite::serialize::{Data, OwnedData};
use ferrolite::{Connection, Error, ErrorCode, MAIN_DB, OpenFlags, Result, ffi};

fn sample(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, b BLOB);
         CREATE INDEX t_s ON t (s);
         INSERT INTO t (s, b) VALUES ('one', X'00FF'), ('two', NULL), ('three', X'');",
    )
}

type Row = (i64, Option<String>, Option<Vec<u8>>);

fn rows(conn: &Connection) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare("SELECT id, s, b FROM t ORDER BY id")?;
    let v = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<Vec<_>>>()?;
    Ok(v)
}

#[test]
fn round_trip_in_memory() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let image = src.serialize_to_vec("main")?;
    let page_size: usize = src.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let pages: usize = src.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    assert_eq!(image.len(), page_size * pages);
    assert!(image.starts_with(b"SQLite format 3\0"));

    let mut dst = Connection::open_in_memory()?;
    dst.deserialize_copy("main", &image, false)?;
    assert_eq!(rows(&dst)?, rows(&src)?);
    // The copy is writable and can grow well past the image's size.
    dst.execute(
        "INSERT INTO t (s, b) VALUES ('big', zeroblob(?1))",
        [image.len() as i64 * 4],
    )?;
    let integrity: String = dst.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(integrity, "ok");
    // And serializing the deserialized database gives its new content.
    let again = dst.serialize_to_vec(ferrolite::MAIN_DB)?;
    assert!(again.len() > image.len() * 4);
    Ok(())
}

#[test]
fn serialize_is_an_owned_copy() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    sample(&conn)?;
    let mut other = Connection::open_in_memory()?;
    other.deserialize_copy("main", &conn.serialize_to_vec("main")?, false)?;
    // Take an image of a deserialized (contiguous in-memory) database, then
    // change and close it: the image must stay intact.
    let image = other.serialize_to_vec("main")?;
    let snapshot = image.clone();
    other.execute_batch("DELETE FROM t; VACUUM;")?;
    drop(other);
    assert_eq!(image, snapshot);
    let mut check = Connection::open_in_memory()?;
    check.deserialize_copy("main", &image, true)?;
    assert_eq!(rows(&check)?.len(), 3);
    Ok(())
}

#[test]
fn read_only_deserialize_refuses_writes() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let mut dst = Connection::open_in_memory()?;
    dst.deserialize_copy("main", &src.serialize_to_vec("main")?, true)?;
    let err = dst.execute("DELETE FROM t", []).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ReadOnly), "{err}");
    assert_eq!(rows(&dst)?.len(), 3);
    Ok(())
}

#[test]
fn empty_and_fresh_databases() -> Result<()> {
    // A database with no pages serializes to nothing, and nothing
    // deserializes to an empty, usable database.
    let fresh = Connection::open_in_memory()?;
    let image = fresh.serialize_to_vec("main")?;
    let mut conn = Connection::open_in_memory()?;
    sample(&conn)?;
    conn.deserialize_copy("main", &image, false)?;
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    assert_eq!(n, 0);
    conn.execute_batch("CREATE TABLE z (x); INSERT INTO z VALUES (1);")?;
    // An unused temp database is empty too.
    assert!(fresh.serialize_to_vec("temp")?.is_empty());
    Ok(())
}

#[test]
fn attached_databases() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let image = src.serialize_to_vec("main")?;
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch("ATTACH ':memory:' AS aux")?;
    conn.deserialize_copy("AUX", &image, false)?; // names match case-insensitively
    let n: i64 = conn.query_row("SELECT count(*) FROM aux.t", [], |r| r.get(0))?;
    assert_eq!(n, 3);
    assert_eq!(conn.serialize_to_vec("aux")?, image);
    Ok(())
}

#[test]
fn bad_names_are_errors() -> Result<()> {
    let mut conn = Connection::open_in_memory()?;
    sample(&conn)?;
    let image = conn.serialize_to_vec("main")?;
    assert!(
        conn.serialize_to_vec("nope")
            .unwrap_err()
            .to_string()
            .contains("nope")
    );
    assert!(conn.deserialize_copy("nope", &image, false).is_err());
    let err = conn.deserialize_copy("temp", &image, false).unwrap_err();
    assert!(err.to_string().contains("temp"), "{err}");
    assert!(matches!(
        conn.serialize_to_vec("ma\0in"),
        Err(ferrolite::Error::NulError(_))
    ));
    assert_eq!(rows(&conn)?.len(), 3, "main untouched");
    Ok(())
}

#[test]
fn garbage_is_refused_and_leaves_the_database_alone() -> Result<()> {
    let mut conn = Connection::open_in_memory()?;
    sample(&conn)?;
    for junk in [
        &b"not a database at all, just some text"[..],
        &[0u8; 4096][..],
        b"x",
    ] {
        let err = conn.deserialize_copy("main", junk, false).unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::NotADatabase),
            "{err}"
        );
        assert_eq!(rows(&conn)?.len(), 3);
    }
    Ok(())
}

#[test]
fn corrupt_images_are_refused_and_leave_the_database_alone() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let image = src.serialize_to_vec("main")?;

    // A valid header, then garbage where the schema should be.
    let mut corrupt = image.clone();
    for b in &mut corrupt[100..] {
        *b = 0xA5;
    }
    // Truncated to just the header.
    let truncated = image[..100].to_vec();
    // Header only claims to be SQLite.
    let mut bad_page_size = image.clone();
    bad_page_size[16] = 0x03;
    bad_page_size[17] = 0x01;

    for (what, img) in [
        ("corrupt", corrupt),
        ("truncated", truncated),
        ("bad page size", bad_page_size),
    ] {
        let mut conn = Connection::open_in_memory()?;
        sample(&conn)?;
        let err = conn.deserialize_copy("main", &img, false).unwrap_err();

        assert!(
            matches!(
                err.sqlite_error_code(),
                Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
            ),
            "{what}: {err:?}"
        );
        assert_eq!(rows(&conn)?.len(), 3, "{what}: the old database stays");
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        assert_eq!(integrity, "ok");
    }
    Ok(())
}

#[test]
fn deserialize_inside_a_transaction_fails() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let image = src.serialize_to_vec("main")?;
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE mine (x); BEGIN; INSERT INTO mine VALUES (1);")?;
    assert!(conn.deserialize_copy("main", &image, false).is_err());
    conn.execute_batch("COMMIT")?;
    let n: i64 = conn.query_row("SELECT count(*) FROM mine", [], |r| r.get(0))?;
    assert_eq!(n, 1);
    Ok(())
}

#[test]
fn file_and_wal_databases_round_trip() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    for wal in [false, true] {
        let path = dir.path().join(format!("f{wal}.db"));
        let file = Connection::open(&path)?;
        if wal {
            let mode: String = file.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            assert_eq!(mode, "wal");
        }
        sample(&file)?;
        let image = file.serialize_to_vec("main")?;
        if wal {
            assert_eq!(&image[18..20], &[2, 2], "a WAL-mode image");
        }
        let mut mem = Connection::open_in_memory()?;
        mem.deserialize_copy("main", &image, false)?;
        assert_eq!(rows(&mem)?, rows(&file)?);
        mem.execute("INSERT INTO t (s) VALUES ('more')", [])?;
        assert_eq!(rows(&mem)?.len(), 4);
        // The file itself is untouched by the in-memory copy.
        assert_eq!(rows(&file)?.len(), 3);
    }
    Ok(())
}

fn owned(data: Data<'_>) -> OwnedData {
    match data {
        Data::Owned(owned) => owned,
        Data::Shared(_) => panic!("ferrolite must never return a view of SQLite's buffer"),
    }
}

#[test]
fn rusqlite_data_round_trip() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let data = src.serialize(MAIN_DB)?;
    assert_eq!(&*data, &src.serialize_to_vec(MAIN_DB)?[..]);
    assert!(format!("{data:?}").starts_with("Owned(OwnedData { len: "));
    let data = owned(data);
    assert!(data.starts_with(b"SQLite format 3\0"));

    let mut dst = Connection::open_in_memory()?;
    dst.deserialize(MAIN_DB, data, false)?;
    assert_eq!(rows(&dst)?, rows(&src)?);
    dst.execute("INSERT INTO t (s) VALUES ('more')", [])?;

    // read-only
    let mut ro = Connection::open_in_memory()?;
    ro.deserialize("main", owned(src.serialize("main")?), true)?;
    let err = ro.execute("DELETE FROM t", []).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ReadOnly), "{err}");

    // An unused temp database is an empty image, which loads as an empty
    // database.
    let fresh = Connection::open_in_memory()?;
    let empty = owned(fresh.serialize("temp")?);
    assert!(empty.is_empty());
    dst.deserialize(MAIN_DB, empty, false)?;
    let n: i64 = dst.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    assert_eq!(n, 0);
    Ok(())
}

/// rusqlite returns a view of SQLite's own buffer when it can
/// (`SQLITE_SERIALIZE_NOCOPY`), which another connection sharing the
/// in-memory database can reallocate or free under it (a use-after-free
/// from safe code). ferrolite's `Data` is always a copy.
#[test]
fn serialize_never_aliases_sqlites_buffer() -> Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI;
    let uri = "file:/h6-serialize-alias?vfs=memdb";
    let a = Connection::open_with_flags(uri, flags)?;
    let b = Connection::open_with_flags(uri, flags)?;
    sample(&a)?;
    assert_eq!(rows(&b)?.len(), 3, "the two connections share one buffer");

    let data = a.serialize(MAIN_DB)?;
    let snapshot = data.to_vec();
    // Grow the shared buffer (SQLite reallocates it) through the other
    // connection, and through this one: `serialize` only borrows `&self`.
    for _ in 0..4 {
        b.execute("INSERT INTO t (b) VALUES (zeroblob(256 * 1024))", [])?;
    }
    a.execute_batch("DELETE FROM t; VACUUM;")?;
    assert_eq!(&*data, &snapshot[..]);
    // Owned data outlives the connections.
    let data = owned(data);
    drop(b);
    drop(a);
    assert_eq!(&*data, &snapshot[..]);
    let mut check = Connection::open_in_memory()?;
    check.deserialize(MAIN_DB, data, true)?;
    assert_eq!(rows(&check)?.len(), 3);

    // The same for a deserialized (memdb) database, where rusqlite's
    // NOCOPY succeeds too.
    let mut mem = Connection::open_in_memory()?;
    mem.deserialize_copy(MAIN_DB, &snapshot, false)?;
    let data = mem.serialize(MAIN_DB)?;
    mem.execute("INSERT INTO t (b) VALUES (zeroblob(1024 * 1024))", [])?;
    assert_eq!(&*data, &snapshot[..]);
    let data = owned(data);
    drop(mem);
    assert_eq!(&*data, &snapshot[..]);
    Ok(())
}

#[test]
fn deserialize_read_exact_reads_the_image() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let image = src.serialize_to_vec(MAIN_DB)?;

    let mut dst = Connection::open_in_memory()?;
    dst.deserialize_read_exact(MAIN_DB, &image[..], image.len(), false)?;
    assert_eq!(rows(&dst)?, rows(&src)?);
    dst.execute("DELETE FROM t", [])?;

    // Only `sz` bytes are read; the rest of the reader is left.
    let mut longer = image.clone();
    longer.extend_from_slice(b"trailing");
    let mut reader = &longer[..];
    dst.deserialize_read_exact(MAIN_DB, &mut reader, image.len(), true)?;
    assert_eq!(reader, b"trailing");
    assert_eq!(rows(&dst)?.len(), 3);

    // Zero bytes: an empty database.
    dst.deserialize_read_exact(MAIN_DB, std::io::empty(), 0, false)?;
    let n: i64 = dst.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    assert_eq!(n, 0);
    Ok(())
}

#[test]
fn deserialize_read_exact_failures_leave_the_database_alone() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let image = src.serialize_to_vec(MAIN_DB)?;
    let mut dst = Connection::open_in_memory()?;
    sample(&dst)?;

    // A short read: rusqlite's error shape.
    let err = dst
        .deserialize_read_exact(MAIN_DB, &image[..10], image.len(), false)
        .unwrap_err();
    match &err {
        Error::SqliteFailure(e, Some(msg)) => {
            assert_eq!(e.code, ErrorCode::CannotOpen);
            assert_eq!(e.extended_code, ffi::SQLITE_IOERR);
            assert!(msg.contains("fill whole buffer"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(rows(&dst)?.len(), 3);

    // A reader that fails.
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let err = dst
        .deserialize_read_exact(MAIN_DB, Broken, 4096, false)
        .unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");

    // Garbage read in full.
    let junk = vec![0x5Au8; 4096];
    let err = dst
        .deserialize_read_exact(MAIN_DB, &junk[..], junk.len(), false)
        .unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::NotADatabase));
    // A bad target, before anything is read.
    assert!(
        dst.deserialize_read_exact("temp", Broken, 1, false)
            .is_err()
    );
    assert!(
        dst.deserialize_read_exact("nope", Broken, 1, false)
            .unwrap_err()
            .to_string()
            .contains("nope")
    );
    assert_eq!(rows(&dst)?.len(), 3);
    Ok(())
}

#[test]
fn deserialize_bytes_loads_read_only() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let file = Connection::open(dir.path().join("w.db"))?;
    let mode: String = file.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    assert_eq!(mode, "wal");
    sample(&file)?;
    // A `&'static` image without leaking it (valgrind counts leaks): a
    // static that stays reachable.
    static IMAGE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let image: &'static [u8] = IMAGE.get_or_init(|| file.serialize_to_vec(MAIN_DB).unwrap());
    assert_eq!(&image[18..20], &[2, 2], "a WAL-mode image");

    let mut conn = Connection::open_in_memory()?;
    conn.deserialize_bytes(MAIN_DB, image)?;
    assert_eq!(rows(&conn)?, rows(&file)?);
    let err = conn.execute("DELETE FROM t", []).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ReadOnly), "{err}");
    assert_eq!(
        &image[18..20],
        &[2, 2],
        "the caller's bytes are not modified"
    );

    // rusqlite's own test: no bytes at all.
    let mut empty = Connection::open_in_memory()?;
    empty.deserialize_bytes(MAIN_DB, b"")?;
    let err = empty
        .deserialize_bytes(MAIN_DB, b"not a database")
        .unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::NotADatabase));
    Ok(())
}

#[test]
fn owned_data_from_raw_and_bad_images() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let image = src.serialize_to_vec(MAIN_DB)?;

    // SAFETY: a fresh sqlite3_malloc64 block of `image.len()` bytes,
    // filled before `from_raw_nonnull` takes it over.
    let data = unsafe {
        let p = ffi::sqlite3_malloc64(image.len() as u64).cast::<u8>();
        let p = NonNull::new(p).expect("memory");
        std::ptr::copy_nonoverlapping(image.as_ptr(), p.as_ptr(), image.len());
        OwnedData::from_raw_nonnull(p, image.len())
    };
    let mut dst = Connection::open_in_memory()?;
    dst.deserialize(MAIN_DB, data, false)?;
    assert_eq!(rows(&dst)?, rows(&src)?);

    // Corrupt through DerefMut: refused, nothing replaced.
    let mut bad = owned(src.serialize(MAIN_DB)?);
    bad[0] = b'X';
    let err = dst.deserialize(MAIN_DB, bad, false).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::NotADatabase));
    let mut bad = owned(src.serialize(MAIN_DB)?);
    for b in &mut bad[100..] {
        *b = 0xA5;
    }
    assert!(dst.deserialize(MAIN_DB, bad, false).is_err());
    // Bad targets.
    assert!(
        dst.deserialize("temp", owned(src.serialize(MAIN_DB)?), false)
            .is_err()
    );
    assert!(
        dst.deserialize("nope", owned(src.serialize(MAIN_DB)?), false)
            .is_err()
    );
    assert_eq!(rows(&dst)?.len(), 3);
    // Inside a transaction.
    dst.execute_batch("BEGIN; INSERT INTO t (s) VALUES ('tx');")?;
    assert!(
        dst.deserialize(MAIN_DB, owned(src.serialize(MAIN_DB)?), false)
            .is_err()
    );
    dst.execute_batch("COMMIT")?;
    assert_eq!(rows(&dst)?.len(), 4);
    Ok(())
}

#[test]
fn serialized_data_is_send() {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<OwnedData>();
    is_send_sync::<Data<'static>>();
}
