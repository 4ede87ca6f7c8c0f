//! `Connection::file_control`: each opcode, unknown schemas, in-memory
//! databases.

use ferrolite::{Connection, DEFAULT_NAME, ErrorCode, FileControl, MAIN_DB, TEMP_DB};

fn file_db() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("fc.db")).unwrap();
    conn.execute_batch("CREATE TABLE t(x)").unwrap();
    (dir, conn)
}

fn code(e: &ferrolite::Error) -> Option<ErrorCode> {
    e.sqlite_error_code()
}

#[test]
fn persist_wal_get_and_set() {
    let (dir, conn) = file_db();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    let mut v = -1;
    conn.file_control(DEFAULT_NAME, FileControl::PersistWal(&mut v))
        .unwrap();
    assert_eq!(v, 0);
    let mut v = 1;
    conn.file_control(Some(MAIN_DB), FileControl::PersistWal(&mut v))
        .unwrap();
    let mut v = -1;
    conn.file_control(Some("main"), FileControl::PersistWal(&mut v))
        .unwrap();
    assert_eq!(v, 1);
    conn.execute("INSERT INTO t VALUES (1)", []).unwrap();
    drop(conn);
    // Persisted: the -wal file outlives the last connection.
    assert!(dir.path().join("fc.db-wal").exists());
}

#[test]
fn persist_wal_off_deletes_the_wal() {
    let (dir, conn) = file_db();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    conn.execute("INSERT INTO t VALUES (1)", []).unwrap();
    assert!(dir.path().join("fc.db-wal").exists());
    drop(conn);
    assert!(!dir.path().join("fc.db-wal").exists());
}

#[test]
fn chunk_size_grows_the_file_in_chunks() {
    let (dir, conn) = file_db();
    let mut chunk = 1 << 20;
    conn.file_control(DEFAULT_NAME, FileControl::ChunkSize(&mut chunk))
        .unwrap();
    conn.execute("INSERT INTO t VALUES (randomblob(10000))", [])
        .unwrap();
    let len = std::fs::metadata(dir.path().join("fc.db")).unwrap().len();
    assert_eq!(
        len % (1 << 20),
        0,
        "file is a whole number of chunks: {len}"
    );
    assert!(len >= 1 << 20);
}

#[test]
fn data_version_changes_on_another_connections_commit() {
    let (dir, conn) = file_db();
    let version = |c: &Connection| {
        let mut v: u32 = 0;
        c.file_control(DEFAULT_NAME, FileControl::DataVersion(&mut v))
            .unwrap();
        v
    };
    let v1 = version(&conn);
    assert_ne!(v1, 0);
    let other = Connection::open(dir.path().join("fc.db")).unwrap();
    other.execute("INSERT INTO t VALUES (1)", []).unwrap();
    // The pager notices at its next read.
    let n: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    let v2 = version(&conn);
    assert_ne!(v1, v2);
    // Unlike PRAGMA data_version, its own commits change it too.
    conn.execute("INSERT INTO t VALUES (2)", []).unwrap();
    let v3 = version(&conn);
    assert_ne!(v3, v2);
    // Reads don't.
    let _: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version(&conn), v3);
}

#[test]
fn reserve_bytes_get_and_set() {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("r.db")).unwrap();
    let mut r = -1;
    conn.file_control(DEFAULT_NAME, FileControl::ReserveBytes(&mut r))
        .unwrap();
    assert_eq!(r, 0);
    // Before the database exists: the new file gets the reserve.
    let mut r = 16;
    conn.file_control(DEFAULT_NAME, FileControl::ReserveBytes(&mut r))
        .unwrap();
    assert_eq!(r, 0, "the previous value");
    conn.execute_batch("CREATE TABLE t(x)").unwrap();
    let mut r = -1;
    conn.file_control(DEFAULT_NAME, FileControl::ReserveBytes(&mut r))
        .unwrap();
    assert_eq!(r, 16);
    // Byte 20 of the header is the reserve.
    drop(conn);
    let header = std::fs::read(dir.path().join("r.db")).unwrap();
    assert_eq!(header[20], 16);
}

#[test]
fn has_moved_after_a_rename() {
    let (dir, conn) = file_db();
    let mut moved = -1;
    conn.file_control(DEFAULT_NAME, FileControl::HasMoved(&mut moved))
        .unwrap();
    assert_eq!(moved, 0);
    std::fs::rename(dir.path().join("fc.db"), dir.path().join("elsewhere.db")).unwrap();
    let mut moved = -1;
    conn.file_control(DEFAULT_NAME, FileControl::HasMoved(&mut moved))
        .unwrap();
    assert_eq!(moved, 1);
}

#[test]
fn size_hint_mmap_and_powersafe() {
    let (_dir, conn) = file_db();
    let mut hint = 1 << 16;
    conn.file_control(DEFAULT_NAME, FileControl::SizeHint(&mut hint))
        .unwrap();
    let mut psow = -1;
    conn.file_control(DEFAULT_NAME, FileControl::PowerSafeOverwrite(&mut psow))
        .unwrap();
    assert!(psow == 0 || psow == 1);
    let mut mmap = -1;
    conn.file_control(DEFAULT_NAME, FileControl::MMapSize(&mut mmap))
        .unwrap();
    assert!(mmap >= 0);
}

#[test]
fn size_limit_on_a_deserialized_database() {
    let (_dir, file) = file_db();
    // The unix VFS does not implement it.
    let mut limit = -1;
    let err = file
        .file_control(DEFAULT_NAME, FileControl::SizeLimit(&mut limit))
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::NotFound));
    assert_eq!(
        err.sqlite_extended_error_code(),
        Some(ferrolite::ffi::SQLITE_NOTFOUND)
    );

    // An in-memory database from `serialize`/`deserialize` (memdb VFS).
    let mut mem = Connection::open_in_memory().unwrap();
    let data = file.serialize(MAIN_DB).unwrap();
    mem.deserialize_copy(MAIN_DB, &data, false).unwrap();
    let mut limit = -1;
    mem.file_control(DEFAULT_NAME, FileControl::SizeLimit(&mut limit))
        .unwrap();
    assert!(limit > 0, "the default limit: {limit}");
    let mut limit = 64 * 1024;
    mem.file_control(DEFAULT_NAME, FileControl::SizeLimit(&mut limit))
        .unwrap();
    let err = mem
        .execute("INSERT INTO t VALUES (randomblob(200000))", [])
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::DiskFull), "{err}");
}

#[test]
fn lock_timeout_and_block_on_connect_without_setlk() {
    let (_dir, conn) = file_db();
    // The vendored SQLite is built without SQLITE_ENABLE_SETLK_TIMEOUT.
    let mut t = 100;
    let err = conn
        .file_control(DEFAULT_NAME, FileControl::LockTimeout(&mut t))
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::NotFound));
    let mut b = 1;
    let err = conn
        .file_control(DEFAULT_NAME, FileControl::BlockOnConnect(&mut b))
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::NotFound));
}

#[test]
fn unknown_database_name_is_a_clear_error() {
    let (_dir, conn) = file_db();
    let mut v = -1;
    let err = conn
        .file_control(Some("nosuch"), FileControl::PersistWal(&mut v))
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::Unknown), "{err:?}");
    assert!(err.to_string().contains("\"nosuch\""), "{err}");
    assert_eq!(v, -1, "untouched");
    // A name with a NUL byte.
    assert!(matches!(
        conn.file_control(Some("a\0b"), FileControl::PersistWal(&mut v)),
        Err(ferrolite::Error::NulError(_))
    ));
}

#[test]
fn attached_and_in_memory_databases() {
    let (dir, conn) = file_db();
    conn.execute(
        "ATTACH ?1 AS aux",
        [dir.path().join("aux.db").to_str().unwrap()],
    )
    .unwrap();
    conn.execute_batch("CREATE TABLE aux.u(y)").unwrap();
    let mut v: u32 = 0;
    conn.file_control(Some("aux"), FileControl::DataVersion(&mut v))
        .unwrap();
    assert_ne!(v, 0);

    // In-memory: no file, so the file opcodes are not found (the pager's
    // own opcodes still work).
    let mem = Connection::open_in_memory().unwrap();
    let mut p = -1;
    let err = mem
        .file_control(DEFAULT_NAME, FileControl::PersistWal(&mut p))
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::NotFound));
    let mut v: u32 = 0;
    mem.file_control(DEFAULT_NAME, FileControl::DataVersion(&mut v))
        .unwrap();
    // The temp database exists once used.
    mem.execute_batch("CREATE TEMP TABLE x(y)").unwrap();
    let mut r = -1;
    mem.file_control(Some(TEMP_DB), FileControl::ReserveBytes(&mut r))
        .unwrap();
    assert_eq!(r, 0);
}
