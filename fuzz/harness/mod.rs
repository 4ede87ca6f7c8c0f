//! Fuzz harnesses shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`)
//! and the stable corpus replay (`tests/fuzz_replay.rs`). Each `run` takes
//! raw bytes, never panics on any input through ferrolite's safe API, and
//! asserts the invariants ferrolite promises; a panic is a bug.

#![allow(dead_code)]

pub mod api_sequence;
pub mod deserialize_db;
#[cfg(feature = "dqlite")]
pub mod dqlite_decode;
pub mod sql_text_params;

use arbitrary::{Arbitrary, Unstructured};
use ferrolite::limits::Limit;
use ferrolite::types::{Type, Value, ValueRef};
use ferrolite::{Connection, Row, ToSql};

/// Largest value a fuzzed statement may build, so a run stays small.
pub const MAX_LENGTH: i32 = 1 << 20;
/// Virtual-machine steps a statement may take before it is interrupted.
pub const MAX_STEPS: u32 = 200_000;

/// An in-memory connection whose statements are bounded in size and time.
pub fn bounded_connection() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    bound(&mut conn);
    conn
}

/// Bounds memory per value and the work per statement (the progress
/// handler aborts long statements as an interrupt).
pub fn bound(conn: &mut Connection) {
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_LENGTH)
        .unwrap();
    conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, MAX_LENGTH)
        .unwrap();
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 2).unwrap();
    let mut budget = MAX_STEPS / 1000;
    conn.progress_handler(
        1000,
        Some(move || {
            budget = budget.saturating_sub(1);
            budget == 0
        }),
    )
    .unwrap();
}

/// Re-arms the step budget (it is per connection, not per statement).
pub fn rearm(conn: &mut Connection) {
    let mut budget = MAX_STEPS / 1000;
    conn.progress_handler(
        1000,
        Some(move || {
            budget = budget.saturating_sub(1);
            budget == 0
        }),
    )
    .unwrap();
}

/// A parameter value of any storage class, including TEXT that is not
/// UTF-8 and zero-filled BLOBs.
#[derive(Arbitrary, Debug, Clone)]
pub enum ArbValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    RawText(Vec<u8>),
    Blob(Vec<u8>),
    ZeroBlob(u16),
    Bool(bool),
    U64(u64),
    Small(i8),
}

impl ArbValue {
    /// Binds through the same `ToSql` paths users take.
    pub fn as_to_sql(&self) -> Box<dyn ToSql + '_> {
        match self {
            ArbValue::Null => Box::new(Value::Null),
            ArbValue::Integer(i) => Box::new(*i),
            ArbValue::Real(f) => Box::new(*f),
            ArbValue::Text(s) => Box::new(s.as_str()),
            ArbValue::RawText(b) => Box::new(ValueRef::Text(b)),
            ArbValue::Blob(b) => Box::new(b.as_slice()),
            ArbValue::ZeroBlob(n) => Box::new(ferrolite::blob::ZeroBlob(u64::from(*n))),
            ArbValue::Bool(b) => Box::new(*b),
            ArbValue::U64(u) => Box::new(*u),
            ArbValue::Small(i) => Box::new(*i),
        }
    }
}

/// Reads column `i` of `row` as every type, checking they agree with each
/// other and with the storage class SQLite reports.
pub fn read_column(row: &Row<'_>, i: usize) {
    let raw = row.get_ref(i).expect("index is in range");
    let ty = raw.data_type();
    // Reading as `Value` fails only for TEXT that is not UTF-8 (as
    // rusqlite); the lossy `From<ValueRef>` always works.
    match row.get::<_, Value>(i) {
        Ok(value) => assert_eq!(value.data_type(), ty),
        Err(e) => match raw {
            ValueRef::Text(t) => {
                assert!(std::str::from_utf8(t).is_err(), "{e}");
                assert!(matches!(e, ferrolite::Error::Utf8Error(c, _) if c == i));
            }
            _ => panic!("column {i} of type {ty} did not read as Value: {e}"),
        },
    }
    let value = Value::from(raw);
    assert_eq!(value.data_type(), ty);
    match raw {
        ValueRef::Null => {
            assert!(row.get::<_, Option<i64>>(i).unwrap().is_none());
            assert!(row.get::<_, Option<String>>(i).unwrap().is_none());
            assert!(row.get::<_, i64>(i).is_err());
        }
        ValueRef::Integer(n) => {
            assert_eq!(value, Value::Integer(n));
            assert_eq!(row.get::<_, i64>(i).unwrap(), n);
            match row.get::<_, i32>(i) {
                Ok(v) => assert_eq!(i64::from(v), n),
                Err(e) => assert!(i32::try_from(n).is_err(), "{e}"),
            }
            match row.get::<_, u64>(i) {
                Ok(v) => assert_eq!(v as i64, n),
                Err(_) => assert!(n < 0),
            }
            let _ = row.get::<_, bool>(i).unwrap();
            assert_eq!(row.get::<_, f64>(i).unwrap(), n as f64);
            assert!(row.get::<_, String>(i).is_err());
        }
        ValueRef::Real(f) => {
            assert_eq!(row.get::<_, f64>(i).unwrap().to_bits(), f.to_bits());
            assert!(row.get::<_, i64>(i).is_err());
        }
        ValueRef::Text(bytes) => {
            match row.get::<_, String>(i) {
                Ok(s) => assert_eq!(s.as_bytes(), bytes),
                Err(_) => assert!(std::str::from_utf8(bytes).is_err()),
            }
            assert!(row.get::<_, i64>(i).is_err());
        }
        ValueRef::Blob(bytes) => {
            assert_eq!(row.get::<_, Vec<u8>>(i).unwrap(), bytes);
            assert!(row.get::<_, String>(i).is_err());
        }
    }
    assert!(matches!(
        ty,
        Type::Null | Type::Integer | Type::Real | Type::Text | Type::Blob
    ));
}

/// Steps through up to `max_rows` rows of `stmt`, reading every column.
pub fn drain(stmt: &mut ferrolite::Statement<'_>, max_rows: usize) -> ferrolite::Result<usize> {
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let n = stmt.column_count();
    assert_eq!(names.len(), n);
    for c in stmt.columns() {
        let _ = (c.name(), c.decl_type());
    }
    let mut rows = stmt.raw_query();
    let mut seen = 0;
    while let Some(row) = rows.next()? {
        // A schema change re-prepares the statement at its first step, so
        // `SELECT *` may now have other columns than before the query.
        let n = row.as_ref().column_count();
        assert_eq!(row.as_ref().column_names().count(), n);
        for i in 0..n {
            read_column(row, i);
        }
        assert!(row.get_ref(n).is_err());
        seen += 1;
        if seen >= max_rows {
            break;
        }
    }
    Ok(seen)
}

/// Picks one of `items` (or the first, when out of data).
pub fn pick<'a, T>(u: &mut Unstructured<'_>, items: &'a [T]) -> &'a T {
    u.choose(items).unwrap_or(&items[0])
}
