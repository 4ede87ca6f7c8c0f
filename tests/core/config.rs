//! `Connection::db_config` / `set_db_config` for every `DbConfig` switch,
//! the numeric `SQLITE_DBCONFIG_FP_DIGITS`, and `CheckpointMode::NOOP`.

use ferrolite::config::DbConfig;
use ferrolite::wal::CheckpointMode;
use ferrolite::{Connection, Error, ErrorCode, Result};

/// Every on/off `SQLITE_DBCONFIG_*` option of SQLite 3.54 (and so every
/// `DbConfig` variant of rusqlite 0.41.1 but the numeric `FP_DIGITS`).
const SWITCHES: [DbConfig; 21] = [
    DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY,
    DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER,
    DbConfig::SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER,
    DbConfig::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
    DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
    DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
    DbConfig::SQLITE_DBCONFIG_TRIGGER_EQP,
    DbConfig::SQLITE_DBCONFIG_RESET_DATABASE,
    DbConfig::SQLITE_DBCONFIG_DEFENSIVE,
    DbConfig::SQLITE_DBCONFIG_WRITABLE_SCHEMA,
    DbConfig::SQLITE_DBCONFIG_LEGACY_ALTER_TABLE,
    DbConfig::SQLITE_DBCONFIG_DQS_DML,
    DbConfig::SQLITE_DBCONFIG_DQS_DDL,
    DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW,
    DbConfig::SQLITE_DBCONFIG_LEGACY_FILE_FORMAT,
    DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA,
    DbConfig::SQLITE_DBCONFIG_STMT_SCANSTATUS,
    DbConfig::SQLITE_DBCONFIG_REVERSE_SCANORDER,
    DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_CREATE,
    DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_WRITE,
    DbConfig::SQLITE_DBCONFIG_ENABLE_COMMENTS,
];

#[test]
fn every_switch_round_trips() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    for opt in SWITCHES {
        let initial = conn.db_config(opt)?;
        for value in [false, true, false, !initial, initial] {
            assert_eq!(
                conn.set_db_config(opt, value)?,
                value,
                "{opt:?} set {value}"
            );
            assert_eq!(conn.db_config(opt)?, value, "{opt:?} read back {value}");
        }
    }
    Ok(())
}

#[test]
fn new_switches_have_their_effect() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open_in_memory()?;
    let path = dir.path().join("a.db");
    let path = path.to_str().unwrap();

    // ENABLE_COMMENTS: off, SQL with a comment is refused.
    assert!(conn.db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_COMMENTS)?);
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_COMMENTS, false)?;
    assert!(conn.execute_batch("SELECT 1 -- a comment").is_err());
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_COMMENTS, true)?;
    conn.execute_batch("SELECT 1 -- a comment")?;

    // ENABLE_ATTACH_CREATE: off, ATTACH of a missing file fails.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_CREATE, false)?;
    assert!(conn.execute("ATTACH ?1 AS a", [path]).is_err());
    assert!(!std::path::Path::new(path).exists());
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_CREATE, true)?;
    conn.execute("ATTACH ?1 AS a", [path])?;
    conn.execute_batch("CREATE TABLE a.t(x); DETACH a;")?;

    // ENABLE_ATTACH_WRITE: off, an attached database is read-only.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_WRITE, false)?;
    conn.execute("ATTACH ?1 AS a", [path])?;
    let err = conn.execute("INSERT INTO a.t VALUES (1)", []).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ReadOnly), "{err}");
    conn.execute_batch("DETACH a")?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_WRITE, true)?;
    conn.execute("ATTACH ?1 AS a", [path])?;
    conn.execute("INSERT INTO a.t VALUES (1)", [])?;
    Ok(())
}

#[test]
fn fp_digits_is_a_number_not_a_switch() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let misuse = |e: Error| {
        assert_eq!(e.sqlite_error_code(), Some(ErrorCode::ApiMisuse), "{e}");
        assert!(e.to_string().contains("fp_digits"), "{e}");
    };
    misuse(
        conn.db_config(DbConfig::SQLITE_DBCONFIG_FP_DIGITS)
            .unwrap_err(),
    );
    misuse(
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_FP_DIGITS, false)
            .unwrap_err(),
    );

    assert_eq!(conn.fp_digits()?, 17);
    let third = |c: &Connection| -> Result<String> {
        c.query_row("SELECT CAST(1.0/3 AS TEXT)", [], |r| r.get(0))
    };
    assert_eq!(third(&conn)?, "0.33333333333333332");
    assert_eq!(conn.set_fp_digits(15)?, 15);
    assert_eq!(conn.fp_digits()?, 15);
    assert_eq!(third(&conn)?, "0.333333333333333");
    for bad in [i32::MIN, -1, 0, 3, 24, i32::MAX] {
        let err = conn.set_fp_digits(bad).unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ParameterOutOfRange)
        );
        assert_eq!(conn.fp_digits()?, 15, "{bad} changed nothing");
    }
    assert_eq!(conn.set_fp_digits(4)?, 4);
    assert_eq!(conn.set_fp_digits(23)?, 23);
    Ok(())
}

#[test]
fn checkpoint_noop_reports_without_checkpointing() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("w.db"))?;
    // Not in WAL mode: -1 each, as for every mode.
    assert_eq!(
        conn.wal_checkpoint_v2(None::<&str>, CheckpointMode::NOOP)?,
        (-1, -1)
    );
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")?;
    let (log, done) = conn.wal_checkpoint_v2(Some("main"), CheckpointMode::NOOP)?;
    assert!(log > 0, "{log}");
    assert_eq!(done, 0, "NOOP checkpointed nothing");
    // A second NOOP still finds everything un-checkpointed.
    assert_eq!(
        conn.wal_checkpoint_v2(Some("main"), CheckpointMode::NOOP)?,
        (log, 0)
    );
    let (log2, done2) = conn.wal_checkpoint_v2(Some("main"), CheckpointMode::PASSIVE)?;
    assert_eq!((log2, done2), (log, log));
    assert_eq!(
        conn.wal_checkpoint_v2(Some("main"), CheckpointMode::NOOP)?,
        (log, log)
    );
    assert_eq!(CheckpointMode::NOOP as i32, -1);
    Ok(())
}

/// README's "Coming from rusqlite": double-quoted string literals are off
/// (`SQLITE_DQS=0`), and one `set_db_config` call per statement kind turns
/// them back on for legacy SQL.
#[test]
fn double_quoted_literals_are_off_until_turned_on() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE t (a TEXT)")?;
    let err = conn
        .query_row("SELECT \"no such column\"", [], |r| r.get::<_, String>(0))
        .unwrap_err();
    assert!(err.to_string().contains("no such column"), "{err}");
    assert!(
        conn.execute_batch("CREATE INDEX i ON t (a) WHERE a <> \"x\"")
            .is_err()
    );

    assert!(!conn.db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML)?);
    assert!(conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, true)?);
    let s: String = conn.query_row("SELECT \"legacy\"", [], |r| r.get(0))?;
    assert_eq!(s, "legacy");
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, true)?;
    conn.execute_batch("CREATE INDEX i ON t (a) WHERE a <> \"x\"")?;
    Ok(())
}
