//! The session extension (feature `session`): changesets recorded on one
//! database and applied to another, inverted, combined, streamed; every
//! conflict type; panics and I/O errors in callbacks.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ferrolite::fallible_streaming_iterator::FallibleStreamingIterator;
use ferrolite::hooks::Action;
use ferrolite::session::{
    Changegroup, Changeset, ChangesetItem, ChangesetIter, ConflictAction, ConflictType, Session,
    concat_strm, invert_strm,
};
use ferrolite::types::Value;
use ferrolite::{Connection, Error, ErrorCode, Result};

type NoFilter = Option<fn(&str) -> bool>;
const NO_FILTER: NoFilter = None;

const SCHEMA: &str = "
    CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL, avatar BLOB);
    CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
    CREATE TABLE pair(a INTEGER, b TEXT, note TEXT, PRIMARY KEY (a, b));
";

const SEED: &str = "
    INSERT INTO users VALUES (1, 'ada', 1.5, x'00ff'), (2, 'bob', NULL, NULL), (3, 'cy', 3.0, x'');
    INSERT INTO kv VALUES ('a', 1), ('b', 'two'), ('c', NULL);
    INSERT INTO pair VALUES (1, 'x', 'one'), (2, 'y', 'two');
";

const CHANGES: &str = "
    INSERT INTO users VALUES (4, 'dee', -0.25, x'deadbeef');
    UPDATE users SET score = score * 2, avatar = x'01' WHERE id = 1;
    DELETE FROM users WHERE id = 2;
    UPDATE kv SET v = 'changed' WHERE k = 'c';
    INSERT INTO kv VALUES ('z', 9.75);
    DELETE FROM kv WHERE k = 'a';
    UPDATE pair SET note = NULL WHERE a = 1;
    INSERT INTO pair VALUES (3, 'z', 'three');
";

fn seeded() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute_batch(SEED).unwrap();
    conn
}

fn dump(conn: &Connection) -> String {
    let mut out = Vec::new();
    conn.dump(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn abort_on_conflict(kind: ConflictType, _: ChangesetItem<'_>) -> ConflictAction {
    panic!("unexpected conflict {kind:?}")
}

/// Records CHANGES on a seeded database: (the database, its changeset).
fn recorded() -> (Connection, Changeset) {
    let source = seeded();
    let cs = {
        let mut session = Session::new(&source).unwrap();
        session.attach::<&str>(None).unwrap();
        assert!(session.is_empty());
        source.execute_batch(CHANGES).unwrap();
        assert!(!session.is_empty());
        session.changeset().unwrap()
    };
    (source, cs)
}

#[test]
fn changeset_applied_to_a_copy_makes_it_equal() -> Result<()> {
    let (source, cs) = recorded();
    let replica = seeded();
    assert_ne!(dump(&source), dump(&replica));
    replica.apply(&cs, NO_FILTER, abort_on_conflict)?;
    assert_eq!(dump(&source), dump(&replica));
    Ok(())
}

#[test]
fn patchset_applied_to_a_copy_makes_it_equal_and_cannot_be_inverted() -> Result<()> {
    let source = seeded();
    let (cs, ps) = {
        let mut session = Session::new(&source)?;
        session.attach::<&str>(None)?;
        source.execute_batch(CHANGES)?;
        (session.changeset()?, session.patchset()?)
    };
    assert!(ps.as_bytes().len() < cs.as_bytes().len());
    let replica = seeded();
    replica.apply(&ps, NO_FILTER, abort_on_conflict)?;
    assert_eq!(dump(&source), dump(&replica));
    let err = ps.invert().unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseCorrupt));
    Ok(())
}

#[test]
fn inverted_changeset_undoes_the_changes() -> Result<()> {
    let (source, cs) = recorded();
    let before = dump(&seeded());
    source.apply(&cs.invert()?, NO_FILTER, abort_on_conflict)?;
    assert_eq!(dump(&source), before);
    // Inverting twice gives the changeset back.
    assert_eq!(cs.invert()?.invert()?.as_bytes(), cs.as_bytes());
    Ok(())
}

/// Two changesets recorded one after the other on one database.
fn two_changesets() -> (Connection, Changeset, Changeset) {
    let source = seeded();
    let mut session = Session::new(&source).unwrap();
    session.attach::<&str>(None).unwrap();
    source.execute_batch(CHANGES).unwrap();
    let first = session.changeset().unwrap();
    drop(session);
    let mut session = Session::new(&source).unwrap();
    session.attach::<&str>(None).unwrap();
    source
        .execute_batch(
            "UPDATE users SET name = 'dora' WHERE id = 4;
             DELETE FROM kv WHERE k = 'z';
             INSERT INTO users VALUES (2, 'bob again', 0.0, NULL);",
        )
        .unwrap();
    let second = session.changeset().unwrap();
    drop(session);
    (source, first, second)
}

#[test]
fn concat_and_changegroup_combine_changesets() -> Result<()> {
    let (source, first, second) = two_changesets();
    let both = Changeset::concat(&first, &second)?;
    let replica = seeded();
    replica.apply(&both, NO_FILTER, abort_on_conflict)?;
    assert_eq!(dump(&source), dump(&replica));

    let mut group = Changegroup::new()?;
    group.add(&first)?;
    group.add(&second)?;
    let grouped = group.output()?;
    assert_eq!(grouped.as_bytes(), both.as_bytes());
    let replica = seeded();
    replica.apply(&grouped, NO_FILTER, abort_on_conflict)?;
    assert_eq!(dump(&source), dump(&replica));

    // A patchset can't join a group of changesets.
    let ps = {
        let db = seeded();
        let mut s = Session::new(&db)?;
        s.attach::<&str>(None)?;
        db.execute_batch("DELETE FROM kv")?;
        s.patchset()?
    };
    assert!(group.add(&ps).is_err());
    Ok(())
}

#[test]
fn streaming_forms_equal_the_in_memory_forms() -> Result<()> {
    let source = seeded();
    let mut session = Session::new(&source)?;
    session.attach::<&str>(None)?;
    source.execute_batch(CHANGES)?;
    let cs = session.changeset()?;
    let ps = session.patchset()?;
    let mut cs_strm = Vec::new();
    session.changeset_strm(&mut cs_strm)?;
    let mut ps_strm = Vec::new();
    session.patchset_strm(&mut ps_strm)?;
    assert_eq!(cs_strm, cs.as_bytes());
    assert_eq!(ps_strm, ps.as_bytes());
    drop(session);

    let mut inverted = Vec::new();
    invert_strm(&mut cs.as_bytes(), &mut inverted)?;
    assert_eq!(inverted, cs.invert()?.as_bytes());

    let (_, first, second) = two_changesets();
    let mut concatenated = Vec::new();
    concat_strm(
        &mut first.as_bytes(),
        &mut second.as_bytes(),
        &mut concatenated,
    )?;
    assert_eq!(concatenated, Changeset::concat(&first, &second)?.as_bytes());

    let mut group = Changegroup::new()?;
    group.add_stream(&mut first.as_bytes())?;
    group.add_stream(&mut second.as_bytes())?;
    let mut grouped = Vec::new();
    group.output_strm(&mut grouped)?;
    assert_eq!(grouped, concatenated);

    // apply_strm reading one byte at a time.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let replica = seeded();
    replica.apply_strm(&mut Trickle(&cs_strm), NO_FILTER, abort_on_conflict)?;
    assert_eq!(dump(&source), dump(&replica));

    // The streaming iterator sees the same changes as the in-memory one.
    let summary = |it: &mut ChangesetIter<'_>| -> Result<Vec<(String, Action, i32, bool)>> {
        let mut out = Vec::new();
        while let Some(item) = it.next()? {
            let op = item.op()?;
            out.push((
                op.table_name().to_owned(),
                op.code(),
                op.number_of_columns(),
                op.indirect(),
            ));
        }
        Ok(out)
    };
    let in_memory = summary(&mut cs.iter()?)?;
    let input: &mut dyn Read = &mut cs_strm.as_slice();
    let streamed = summary(&mut ChangesetIter::start_strm(&input)?)?;
    assert_eq!(in_memory, streamed);
    assert_eq!(in_memory.len(), 8);
    Ok(())
}

#[test]
fn changeset_items_give_values_and_check_indexes() -> Result<()> {
    let (_, cs) = recorded();
    let mut it = cs.iter()?;
    let mut seen = 0;
    while let Some(item) = it.next()? {
        let op = item.op()?;
        let n = usize::try_from(op.number_of_columns()).unwrap();
        for bad in [n, usize::MAX, i32::MAX as usize + 1] {
            assert!(item.new_value(bad).is_err());
            assert!(item.old_value(bad).is_err());
        }
        // Only a conflict handler may ask for conflicting values.
        let err = item.conflict(0).unwrap_err();
        assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse));
        assert_eq!(
            item.fk_conflicts().unwrap_err().sqlite_error_code(),
            Some(ErrorCode::ApiMisuse)
        );
        match (op.table_name(), op.code()) {
            ("users", Action::SQLITE_INSERT) => {
                assert_eq!(item.pk()?, [1, 0, 0, 0]);
                assert_eq!(item.new_value(1)?.as_str()?, "dee");
                assert_eq!(item.new_value(3)?.as_blob()?, b"\xde\xad\xbe\xef");
                let err = item.old_value(0).unwrap_err();
                assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse));
            }
            ("users", Action::SQLITE_UPDATE) => {
                assert_eq!(item.old_value(0)?.as_i64()?, 1);
                assert_eq!(item.old_value(2)?.as_f64()?, 1.5);
                assert_eq!(item.new_value(2)?.as_f64()?, 3.0);
                // Unchanged column: not in the changeset.
                assert_eq!(item.new_value(1), Err(Error::InvalidColumnIndex(1)));
            }
            ("users", Action::SQLITE_DELETE) => {
                assert_eq!(item.old_value(1)?.as_str()?, "bob");
                let err = item.new_value(0).unwrap_err();
                assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse));
            }
            ("pair", _) => assert_eq!(item.pk()?, [1, 2, 0]),
            ("kv", _) => assert_eq!(item.pk()?, [1, 0]),
            other => panic!("unexpected {other:?}"),
        }
        seen += 1;
    }
    assert_eq!(seen, 8);
    // Past the end it stays done.
    it.advance()?;
    assert!(it.get().is_none());
    Ok(())
}

#[test]
fn session_attach_one_table_filter_enable_and_indirect() -> Result<()> {
    let db = seeded();
    let mut session = Session::new(&db)?;
    assert!(session.is_enabled());
    assert!(!session.is_indirect());
    session.attach(Some("kv"))?;
    db.execute_batch(CHANGES)?;
    let tables = |cs: &Changeset| -> Vec<String> {
        let mut it = cs.iter().unwrap();
        let mut out = Vec::new();
        while let Some(item) = it.next().unwrap() {
            out.push(item.op().unwrap().table_name().to_owned());
        }
        out
    };
    assert_eq!(tables(&session.changeset()?), ["kv", "kv", "kv"]);

    // Filter: every table attached, only `pair` recorded.
    let db = seeded();
    let mut session = Session::new(&db)?;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    session.table_filter(Some(move |t: &str| {
        log.lock().unwrap().push(t.to_owned());
        t == "pair"
    }));
    session.attach::<&str>(None)?;
    db.execute_batch(CHANGES)?;
    assert_eq!(tables(&session.changeset()?), ["pair", "pair"]);
    // Asked for each change until a table is accepted, then no more.
    let asked = asked.lock().unwrap();
    assert_eq!(asked.iter().filter(|t| *t == "pair").count(), 1);
    assert_eq!(asked.iter().filter(|t| *t == "users").count(), 3);
    assert_eq!(asked.len(), 7);

    // Disabled: nothing recorded. Indirect: flagged.
    let db = seeded();
    let mut session = Session::new(&db)?;
    session.attach::<&str>(None)?;
    session.set_enabled(false);
    assert!(!session.is_enabled());
    db.execute("DELETE FROM kv WHERE k = 'a'", [])?;
    assert!(session.is_empty());
    session.set_enabled(true);
    session.set_indirect(true);
    assert!(session.is_indirect());
    db.execute("DELETE FROM kv WHERE k = 'b'", [])?;
    let cs = session.changeset()?;
    let mut it = cs.iter()?;
    let item = it.next()?.unwrap();
    assert!(item.op()?.indirect());
    assert_eq!(item.old_value(0)?.as_str()?, "b");
    assert!(it.next()?.is_none());
    Ok(())
}

#[test]
fn session_diff_records_the_difference_between_databases() -> Result<()> {
    let db = Connection::open_in_memory()?;
    db.execute_batch(
        "ATTACH ':memory:' AS other;
         CREATE TABLE main.t(id INTEGER PRIMARY KEY, v);
         CREATE TABLE other.t(id INTEGER PRIMARY KEY, v);
         INSERT INTO main.t VALUES (1, 'same'), (2, 'main only'), (3, 'new');
         INSERT INTO other.t VALUES (1, 'same'), (3, 'old'), (4, 'other only');
         CREATE TABLE main.u(id INTEGER PRIMARY KEY, v);
         CREATE TABLE other.u(id INTEGER PRIMARY KEY, v, extra);",
    )?;
    // What turns other.t into main.t ...
    let mut session = Session::new(&db)?;
    session.attach(Some("t"))?;
    session.diff::<&str, _>("other", "t")?;
    let cs = session.changeset()?;
    session.attach(Some("u"))?;
    let err = session.diff::<&str, _>("other", "u").unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::SchemaChanged),
        "{err}"
    );
    assert!(
        err.to_string().contains("schema"),
        "SQLite's message: {err}"
    );
    drop(session);
    // ... applied to a copy of other.t.
    let replica = Connection::open_in_memory()?;
    replica.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v);
         INSERT INTO t VALUES (1, 'same'), (3, 'old'), (4, 'other only');",
    )?;
    replica.apply(&cs, NO_FILTER, abort_on_conflict)?;
    let rows: Vec<(i64, String)> = replica
        .prepare("SELECT id, v FROM t ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    assert_eq!(
        rows,
        [
            (1, "same".into()),
            (2, "main only".into()),
            (3, "new".into())
        ]
    );

    // A session of an attached database records only that database.
    let mut session = Session::new_with_name(&db, "other")?;
    session.attach::<&str>(None)?;
    db.execute_batch("DELETE FROM main.t; DELETE FROM other.t WHERE id = 4")?;
    let cs = session.changeset()?;
    let mut it = cs.iter()?;
    let item = it.next()?.unwrap();
    assert_eq!(item.op()?.code(), Action::SQLITE_DELETE);
    assert_eq!(item.old_value(0)?.as_i64()?, 4);
    assert!(it.next()?.is_none());
    Ok(())
}

// ---- conflicts ----

const CONFLICT_SCHEMA: &str = "
    CREATE TABLE a(id INTEGER PRIMARY KEY);
    CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE);
    CREATE TABLE parent(id INTEGER PRIMARY KEY);
    CREATE TABLE child(id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id));
    INSERT INTO t VALUES (1, 'old'), (2, 'two');
    INSERT INTO parent VALUES (99);
";

/// A changeset of `INSERT INTO a VALUES (1)` (so that a rollback shows)
/// followed by `change`.
fn conflict_changeset(change: &str) -> Changeset {
    let db = Connection::open_in_memory().unwrap();
    db.execute_batch(CONFLICT_SCHEMA).unwrap();
    let mut s = Session::new(&db).unwrap();
    s.attach::<&str>(None).unwrap();
    db.execute_batch("INSERT INTO a VALUES (1)").unwrap();
    db.execute_batch(change).unwrap();
    s.changeset().unwrap()
}

struct ConflictCase {
    kind: ConflictType,
    change: &'static str,
    /// Makes the target differ from the source.
    target: &'static str,
    /// One value telling the outcome.
    probe: &'static str,
    /// The probe after OMIT, after REPLACE (`None`: invalid, MISUSE), and
    /// after ABORT (and after a failed apply).
    omit: Value,
    replace: Option<Value>,
    unchanged: Value,
    /// The error of ABORT (and of an invalid REPLACE).
    abort_code: ErrorCode,
    /// What the handler's item must show.
    check: fn(&ChangesetItem<'_>),
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn conflict_cases() -> Vec<ConflictCase> {
    vec![
        ConflictCase {
            kind: ConflictType::SQLITE_CHANGESET_DATA,
            change: "UPDATE t SET v = 'new' WHERE id = 1",
            target: "UPDATE t SET v = 'other' WHERE id = 1",
            probe: "SELECT v FROM t WHERE id = 1",
            omit: text("other"),
            replace: Some(text("new")),
            unchanged: text("other"),
            abort_code: ErrorCode::OperationAborted,
            check: |item| {
                assert_eq!(item.conflict(1).unwrap().as_str().unwrap(), "other");
                assert_eq!(item.old_value(1).unwrap().as_str().unwrap(), "old");
                assert!(item.conflict(2).is_err());
                assert!(item.conflict(usize::MAX).is_err());
            },
        },
        ConflictCase {
            kind: ConflictType::SQLITE_CHANGESET_NOTFOUND,
            change: "DELETE FROM t WHERE id = 2",
            target: "DELETE FROM t WHERE id = 2",
            probe: "SELECT count(*) FROM t",
            omit: Value::Integer(1),
            replace: None,
            unchanged: Value::Integer(1),
            abort_code: ErrorCode::OperationAborted,
            check: |item| {
                assert_eq!(item.op().unwrap().code(), Action::SQLITE_DELETE);
                let err = item.conflict(0).unwrap_err();
                assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse));
            },
        },
        ConflictCase {
            kind: ConflictType::SQLITE_CHANGESET_CONFLICT,
            change: "INSERT INTO t VALUES (3, 'three')",
            target: "INSERT INTO t VALUES (3, 'x')",
            probe: "SELECT v FROM t WHERE id = 3",
            omit: text("x"),
            replace: Some(text("three")),
            unchanged: text("x"),
            abort_code: ErrorCode::OperationAborted,
            check: |item| {
                assert_eq!(item.conflict(1).unwrap().as_str().unwrap(), "x");
                assert_eq!(item.new_value(1).unwrap().as_str().unwrap(), "three");
            },
        },
        ConflictCase {
            kind: ConflictType::SQLITE_CHANGESET_CONSTRAINT,
            change: "INSERT INTO t VALUES (4, 'dup')",
            target: "INSERT INTO t VALUES (5, 'dup')",
            probe: "SELECT count(*) FROM t WHERE id = 4",
            omit: Value::Integer(0),
            replace: None,
            unchanged: Value::Integer(0),
            abort_code: ErrorCode::OperationAborted,
            check: |item| {
                assert_eq!(item.new_value(0).unwrap().as_i64().unwrap(), 4);
            },
        },
        ConflictCase {
            kind: ConflictType::SQLITE_CHANGESET_FOREIGN_KEY,
            change: "INSERT INTO child VALUES (1, 99)",
            target: "PRAGMA foreign_keys = ON; DELETE FROM parent",
            probe: "SELECT count(*) FROM child",
            omit: Value::Integer(1),
            replace: None,
            unchanged: Value::Integer(0),
            // Any answer but OMIT fails the apply with the constraint error.
            abort_code: ErrorCode::ConstraintViolation,
            check: |item| {
                assert_eq!(item.fk_conflicts().unwrap(), 1);
                // No change to show: SQLite's item is empty, and reading it
                // is refused, not undefined.
                assert_eq!(item.op().unwrap().table_name(), "");
                assert_eq!(item.pk().unwrap(), [] as [u8; 0]);
                assert!(item.old_value(0).is_err());
                assert!(item.new_value(0).is_err());
                assert!(item.conflict(0).is_err());
            },
        },
    ]
}

fn target(case: &ConflictCase) -> Connection {
    let db = Connection::open_in_memory().unwrap();
    db.execute_batch(CONFLICT_SCHEMA).unwrap();
    db.execute_batch(case.target).unwrap();
    db
}

fn probe(db: &Connection, sql: &str) -> Value {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn a_rows(db: &Connection) -> i64 {
    db.query_row("SELECT count(*) FROM a", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_conflict_type_with_omit_replace_and_abort() {
    for case in conflict_cases() {
        let cs = conflict_changeset(case.change);
        for action in [
            ConflictAction::SQLITE_CHANGESET_OMIT,
            ConflictAction::SQLITE_CHANGESET_REPLACE,
            ConflictAction::SQLITE_CHANGESET_ABORT,
        ] {
            let db = target(&case);
            let seen = Arc::new(Mutex::new(Vec::new()));
            let log = seen.clone();
            let check = case.check;
            let result = db.apply(&cs, NO_FILTER, move |kind, item: ChangesetItem<'_>| {
                check(&item);
                log.lock().unwrap().push(kind);
                action
            });
            let what = format!("{:?} answered with {action:?}", case.kind);
            assert_eq!(*seen.lock().unwrap(), [case.kind], "{what}");
            let after = probe(&db, case.probe);
            match (action, &case.replace) {
                (ConflictAction::SQLITE_CHANGESET_OMIT, _) => {
                    result.unwrap();
                    assert_eq!(after, case.omit, "{what}");
                    assert_eq!(a_rows(&db), 1, "{what}: the rest applied");
                }
                (ConflictAction::SQLITE_CHANGESET_REPLACE, Some(replaced)) => {
                    result.unwrap();
                    assert_eq!(&after, replaced, "{what}");
                    assert_eq!(a_rows(&db), 1, "{what}: the rest applied");
                }
                (ConflictAction::SQLITE_CHANGESET_REPLACE, None) => {
                    let err = result.unwrap_err();
                    let code = match case.abort_code {
                        ErrorCode::OperationAborted => ErrorCode::ApiMisuse,
                        other => other,
                    };
                    assert_eq!(err.sqlite_error_code(), Some(code), "{what}");
                    assert_eq!(after, case.unchanged, "{what}");
                    assert_eq!(a_rows(&db), 0, "{what}: rolled back");
                }
                _ => {
                    let err = result.unwrap_err();
                    assert_eq!(err.sqlite_error_code(), Some(case.abort_code), "{what}");
                    assert_eq!(after, case.unchanged, "{what}");
                    assert_eq!(a_rows(&db), 0, "{what}: rolled back");
                }
            }
            // The connection works on, outside any transaction.
            assert!(db.is_autocommit(), "{what}");
        }
    }
}

#[test]
fn conflict_handler_panic_rolls_back_and_fails() {
    for case in conflict_cases() {
        let cs = conflict_changeset(case.change);
        let db = target(&case);
        let err = db
            .apply(
                &cs,
                NO_FILTER,
                |_, _: ChangesetItem<'_>| -> ConflictAction { panic!("conflict handler panicked") },
            )
            .unwrap_err();
        assert_eq!(err, Error::UnwindingPanic, "{:?}", case.kind);
        assert_eq!(probe(&db, case.probe), case.unchanged, "{:?}", case.kind);
        assert_eq!(a_rows(&db), 0, "{:?}: rolled back", case.kind);
        assert!(db.is_autocommit());
    }
}

#[test]
fn apply_filter_skips_tables_and_its_panic_rolls_back() -> Result<()> {
    let cs = conflict_changeset("INSERT INTO t VALUES (3, 'three')");
    let db = Connection::open_in_memory()?;
    db.execute_batch(CONFLICT_SCHEMA)?;
    db.apply(&cs, Some(|t: &str| t != "a"), abort_on_conflict)?;
    assert_eq!(a_rows(&db), 0);
    assert_eq!(probe(&db, "SELECT v FROM t WHERE id = 3"), text("three"));

    // `a` is applied before the filter panics on `t`: undone.
    let db = Connection::open_in_memory()?;
    db.execute_batch(CONFLICT_SCHEMA)?;
    let err = db
        .apply(
            &cs,
            Some(|t: &str| {
                if t == "t" {
                    panic!("filter panicked")
                } else {
                    true
                }
            }),
            abort_on_conflict,
        )
        .unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    assert_eq!(a_rows(&db), 0);
    assert_eq!(probe(&db, "SELECT count(*) FROM t"), Value::Integer(2));
    assert!(db.is_autocommit());
    // Inside the caller's transaction, only the apply is undone.
    db.execute_batch("BEGIN; INSERT INTO parent VALUES (7)")?;
    let err = db
        .apply(
            &cs,
            Some(|_: &str| -> bool { panic!("filter panicked") }),
            abort_on_conflict,
        )
        .unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    assert!(!db.is_autocommit());
    db.execute_batch("COMMIT")?;
    assert_eq!(probe(&db, "SELECT count(*) FROM parent"), Value::Integer(2));
    Ok(())
}

// ---- streams that fail ----

struct FailingWriter {
    written: usize,
    limit: usize,
    panic: bool,
}

impl Write for FailingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written + buf.len() > self.limit {
            if self.panic {
                panic!("writer panicked");
            }
            return Err(io::Error::other("disk on fire"));
        }
        self.written += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct FailingReader<'a> {
    data: &'a [u8],
    limit: usize,
    panic: bool,
}

impl Read for FailingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.limit == 0 {
            if self.panic {
                panic!("reader panicked");
            }
            return Err(io::Error::other("network down"));
        }
        let n = buf.len().min(self.data.len()).min(self.limit).min(1);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.limit -= n;
        Ok(n)
    }
}

#[test]
fn write_errors_and_panics_in_strm_methods_are_errors() -> Result<()> {
    let source = seeded();
    let mut session = Session::new(&source)?;
    session.attach::<&str>(None)?;
    source.execute_batch(CHANGES)?;
    let cs = session.changeset()?;
    let mut w = FailingWriter {
        written: 0,
        limit: 0,
        panic: false,
    };
    let err = session.changeset_strm(&mut w).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::SystemIoFailure));
    assert!(err.to_string().contains("disk on fire"), "{err}");
    let mut w = FailingWriter {
        written: 0,
        limit: 0,
        panic: true,
    };
    assert_eq!(
        session.patchset_strm(&mut w).unwrap_err(),
        Error::UnwindingPanic
    );
    // The session still works.
    let mut out = Vec::new();
    session.changeset_strm(&mut out)?;
    assert_eq!(out, cs.as_bytes());

    let mut w = FailingWriter {
        written: 0,
        limit: 10,
        panic: false,
    };
    let err = invert_strm(&mut cs.as_bytes(), &mut w).unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");
    let mut group = Changegroup::new()?;
    group.add(&cs)?;
    let mut w = FailingWriter {
        written: 0,
        limit: 5,
        panic: true,
    };
    assert_eq!(
        group.output_strm(&mut w).unwrap_err(),
        Error::UnwindingPanic
    );
    Ok(())
}

#[test]
fn read_errors_and_panics_in_strm_methods_are_errors_and_roll_back() -> Result<()> {
    let (source, cs) = recorded();
    let bytes = cs.as_bytes();
    let before = dump(&seeded());
    for panic in [false, true] {
        for limit in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            let replica = seeded();
            let mut r = FailingReader {
                data: bytes,
                limit,
                panic,
            };
            let err = replica
                .apply_strm(&mut r, NO_FILTER, abort_on_conflict)
                .unwrap_err();
            if panic {
                assert_eq!(err, Error::UnwindingPanic, "limit {limit}");
            } else {
                assert_eq!(err.sqlite_error_code(), Some(ErrorCode::SystemIoFailure));
                assert!(err.to_string().contains("network down"), "{err}");
            }
            assert_eq!(dump(&replica), before, "limit {limit}: rolled back");
            assert!(replica.is_autocommit());

            let mut r = FailingReader {
                data: bytes,
                limit,
                panic,
            };
            let mut group = Changegroup::new()?;
            assert!(group.add_stream(&mut r).is_err());

            let mut r = FailingReader {
                data: bytes,
                limit,
                panic,
            };
            let input: &mut dyn Read = &mut r;
            let result = ChangesetIter::start_strm(&input).and_then(|mut it| {
                while it.next()?.is_some() {}
                Ok(())
            });
            let err = result.unwrap_err();
            if panic {
                assert_eq!(err, Error::UnwindingPanic, "limit {limit}");
            }
        }
    }
    drop(source);
    Ok(())
}

#[test]
fn malformed_changesets_are_errors() -> Result<()> {
    let (_, cs) = recorded();
    let good = cs.as_bytes().to_vec();
    // Truncations and byte flips: whatever SQLite makes of them, no crash,
    // and a changeset that applies leaves a usable database.
    let mut seed = 0x2545_f491_u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let mut errors = 0;
    for round in 0..300 {
        let mut bytes = good.clone();
        if round % 3 == 0 {
            bytes.truncate(next() as usize % good.len());
        } else {
            for _ in 0..1 + round % 4 {
                let i = next() as usize % bytes.len();
                bytes[i] = next() as u8;
            }
        }
        let bad = Changeset::from_bytes(&bytes)?;
        let mut failed = false;
        match bad.iter() {
            Ok(mut it) => loop {
                match it.next() {
                    Ok(Some(item)) => {
                        if let Ok(op) = item.op() {
                            for i in 0..usize::try_from(op.number_of_columns()).unwrap_or(0) + 1 {
                                let _ = item.old_value(i).map(Value::from);
                                let _ = item.new_value(i).map(Value::from);
                            }
                        }
                        let _ = item.pk();
                    }
                    Ok(None) => break,
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            },
            Err(_) => failed = true,
        }
        let _ = bad.invert();
        let _ = Changeset::concat(&bad, &cs);
        let replica = seeded();
        let applied = replica.apply(&bad, NO_FILTER, |_, _: ChangesetItem<'_>| {
            ConflictAction::SQLITE_CHANGESET_OMIT
        });
        failed |= applied.is_err();
        assert!(replica.is_autocommit());
        replica.execute_batch("PRAGMA integrity_check")?;
        errors += usize::from(failed);
    }
    assert!(errors > 0, "some of the damage is detected");
    assert!(Changeset::from_bytes(&[])?.iter()?.next()?.is_none());
    Ok(())
}

#[test]
fn a_filter_panic_fails_the_statement_and_skips_the_table() -> Result<()> {
    let db = seeded();
    let mut session = Session::new(&db)?;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    session.table_filter(Some(move |t: &str| {
        c.fetch_add(1, Ordering::SeqCst);
        if t == "kv" {
            panic!("filter panicked");
        }
        true
    }));
    session.attach::<&str>(None)?;
    let err = db.execute("DELETE FROM kv WHERE k = 'a'", []).unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    db.execute("DELETE FROM pair WHERE a = 1", [])?;
    let cs = session.changeset()?;
    let mut it = cs.iter()?;
    assert_eq!(it.next()?.unwrap().op()?.table_name(), "pair");
    assert!(it.next()?.is_none());
    // Replaced and cleared filters.
    session.table_filter(Some(|_: &str| false));
    session.table_filter(None::<fn(&str) -> bool>);
    db.execute("DELETE FROM users WHERE id = 3", [])?;
    assert!(calls.load(Ordering::SeqCst) >= 2);
    Ok(())
}

#[cfg(feature = "preupdate_hook")]
#[test]
fn sessions_and_a_preupdate_hook_exclude_each_other() -> Result<()> {
    use ferrolite::hooks::PreUpdateCase;
    let mut db = seeded();
    {
        let session = Session::new(&db)?;
        drop(session);
    }
    let hook = |_: Action, _: &str, _: &str, _: &PreUpdateCase| {};
    db.preupdate_hook(Some(hook))?;
    let err = Session::new(&db).map(|_| ()).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse));
    db.preupdate_hook(None::<fn(Action, &str, &str, &PreUpdateCase)>)?;
    let session = Session::new(&db)?;
    // SAFETY: the wrapper is dropped before `db`, and used on this thread.
    let mut other = unsafe { Connection::from_handle(db.handle())? };
    let err = other.preupdate_hook(Some(hook)).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse));
    other.preupdate_hook(None::<fn(Action, &str, &str, &PreUpdateCase)>)?;
    drop(session);
    other.preupdate_hook(Some(hook))?;
    other.preupdate_hook(None::<fn(Action, &str, &str, &PreUpdateCase)>)?;
    drop(other);
    Ok(())
}

thread_local! {
    static SESSION: std::cell::RefCell<Option<Session<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Keeps the leaked connection reachable (for leak checkers).
static LEAKED: std::sync::atomic::AtomicPtr<Connection> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

#[test]
fn a_session_used_replaced_or_dropped_from_its_own_filter_stays_sound() {
    // With a leaked connection, a filter can reach its own session through
    // a thread-local: every use is refused, a filter replaced while it runs
    // is kept alive, and a session dropped from its filter is leaked
    // instead of freed under SQLite.
    std::thread::spawn(|| {
        let conn: &'static Connection = Box::leak(Box::new(seeded()));
        LEAKED.store((conn as *const Connection).cast_mut(), Ordering::SeqCst);
        let results = Arc::new(Mutex::new(Vec::new()));
        let r = results.clone();
        let mut session = Session::new(conn).unwrap();
        session.table_filter(Some(move |_: &str| {
            SESSION.with(|s| {
                let mut s = s.borrow_mut();
                let session = s.as_mut().unwrap();
                let mut out = r.lock().unwrap();
                out.push(session.changeset().map(|_| ()));
                out.push(session.attach(Some("kv")));
                out.push(session.diff::<&str, _>("main", "kv"));
                out.push(session.changeset_strm(&mut Vec::new()));
                // Replaced while it runs: this closure stays alive.
                session.table_filter(Some(|_: &str| {
                    SESSION.with(|s| drop(s.borrow_mut().take()));
                    true
                }));
            });
            true
        }));
        session.attach::<&str>(None).unwrap();
        SESSION.with(|s| *s.borrow_mut() = Some(session));
        conn.execute("DELETE FROM users WHERE id = 1", []).unwrap();
        {
            let results = results.lock().unwrap();
            assert_eq!(results.len(), 4);
            for r in results.iter() {
                let err = r.as_ref().unwrap_err();
                assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ApiMisuse), "{err}");
            }
        }
        // The second filter drops the session from inside itself.
        conn.execute("DELETE FROM kv WHERE k = 'a'", []).unwrap();
        assert!(SESSION.with(|s| s.borrow().is_none()));
        conn.execute("DELETE FROM pair", []).unwrap();
        // The connection still works, and can have new sessions.
        let mut again = Session::new(conn).unwrap();
        again.attach::<&str>(None).unwrap();
        conn.execute("DELETE FROM users", []).unwrap();
        assert!(!again.is_empty());
    })
    .join()
    .unwrap();
}

#[test]
fn a_hook_panicking_during_apply_fails_it_and_rolls_back() -> Result<()> {
    let (source, cs) = recorded();
    let mut replica = seeded();
    let before = dump(&replica);
    replica.update_hook(Some(|_: Action, _: &str, table: &str, _: i64| {
        if table == "users" {
            panic!("update hook panicked");
        }
    }))?;
    let err = replica
        .apply(&cs, NO_FILTER, abort_on_conflict)
        .unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    assert_eq!(dump(&replica), before);
    assert!(replica.is_autocommit());
    // Cleared, the same changeset applies.
    replica.update_hook(None::<fn(Action, &str, &str, i64)>)?;
    replica.apply(&cs, NO_FILTER, abort_on_conflict)?;
    assert_eq!(dump(&replica), dump(&source));
    Ok(())
}
