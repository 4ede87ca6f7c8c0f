//! `Connection::serialize` / `deserialize`.

use ferrolite::{Connection, ErrorCode, Result};

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
    let image = src.serialize("main")?;
    let page_size: usize = src.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let pages: usize = src.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    assert_eq!(image.len(), page_size * pages);
    assert!(image.starts_with(b"SQLite format 3\0"));

    let mut dst = Connection::open_in_memory()?;
    dst.deserialize("main", &image, false)?;
    assert_eq!(rows(&dst)?, rows(&src)?);
    // The copy is writable and can grow well past the image's size.
    dst.execute(
        "INSERT INTO t (s, b) VALUES ('big', zeroblob(?1))",
        [image.len() as i64 * 4],
    )?;
    let integrity: String = dst.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(integrity, "ok");
    // And serializing the deserialized database gives its new content.
    let again = dst.serialize(ferrolite::MAIN_DB)?;
    assert!(again.len() > image.len() * 4);
    Ok(())
}

#[test]
fn serialize_is_an_owned_copy() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    sample(&conn)?;
    let mut other = Connection::open_in_memory()?;
    other.deserialize("main", &conn.serialize("main")?, false)?;
    // Take an image of a deserialized (contiguous in-memory) database, then
    // change and close it: the image must stay intact.
    let image = other.serialize("main")?;
    let snapshot = image.clone();
    other.execute_batch("DELETE FROM t; VACUUM;")?;
    drop(other);
    assert_eq!(image, snapshot);
    let mut check = Connection::open_in_memory()?;
    check.deserialize("main", &image, true)?;
    assert_eq!(rows(&check)?.len(), 3);
    Ok(())
}

#[test]
fn read_only_deserialize_refuses_writes() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let mut dst = Connection::open_in_memory()?;
    dst.deserialize("main", &src.serialize("main")?, true)?;
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
    let image = fresh.serialize("main")?;
    let mut conn = Connection::open_in_memory()?;
    sample(&conn)?;
    conn.deserialize("main", &image, false)?;
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    assert_eq!(n, 0);
    conn.execute_batch("CREATE TABLE z (x); INSERT INTO z VALUES (1);")?;
    // An unused temp database is empty too.
    assert!(fresh.serialize("temp")?.is_empty());
    Ok(())
}

#[test]
fn attached_databases() -> Result<()> {
    let src = Connection::open_in_memory()?;
    sample(&src)?;
    let image = src.serialize("main")?;
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch("ATTACH ':memory:' AS aux")?;
    conn.deserialize("AUX", &image, false)?; // names match case-insensitively
    let n: i64 = conn.query_row("SELECT count(*) FROM aux.t", [], |r| r.get(0))?;
    assert_eq!(n, 3);
    assert_eq!(conn.serialize("aux")?, image);
    Ok(())
}

#[test]
fn bad_names_are_errors() -> Result<()> {
    let mut conn = Connection::open_in_memory()?;
    sample(&conn)?;
    let image = conn.serialize("main")?;
    assert!(
        conn.serialize("nope")
            .unwrap_err()
            .to_string()
            .contains("nope")
    );
    assert!(conn.deserialize("nope", &image, false).is_err());
    let err = conn.deserialize("temp", &image, false).unwrap_err();
    assert!(err.to_string().contains("temp"), "{err}");
    assert!(matches!(
        conn.serialize("ma\0in"),
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
        let err = conn.deserialize("main", junk, false).unwrap_err();
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
    let image = src.serialize("main")?;

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
        let err = conn.deserialize("main", &img, false).unwrap_err();

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
    let image = src.serialize("main")?;
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE mine (x); BEGIN; INSERT INTO mine VALUES (1);")?;
    assert!(conn.deserialize("main", &image, false).is_err());
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
        let image = file.serialize("main")?;
        if wal {
            assert_eq!(&image[18..20], &[2, 2], "a WAL-mode image");
        }
        let mut mem = Connection::open_in_memory()?;
        mem.deserialize("main", &image, false)?;
        assert_eq!(rows(&mem)?, rows(&file)?);
        mem.execute("INSERT INTO t (s) VALUES ('more')", [])?;
        assert_eq!(rows(&mem)?.len(), 4);
        // The file itself is untouched by the in-memory copy.
        assert_eq!(rows(&file)?.len(), 3);
    }
    Ok(())
}
