//! Property tests: every built-in `ToSql` type round-trips through every
//! storage path: bound and selected back, stored in a table and read, read
//! as `Value`, through a SQL text dump and restore, and through
//! serialize/deserialize.

use std::fmt::Debug;

use ferrolite::types::{FromSql, ToSql, Value, ValueRef};
use ferrolite::{Connection, params};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every path for a batch of values; `expected` is the `Value` SQLite
/// should hold for each.
fn round_trip<T>(values: &[T], expected: impl Fn(&T) -> Value, same: impl Fn(&T, &T) -> bool)
where
    T: ToSql + FromSql + Debug,
{
    let conn = Connection::open_in_memory().unwrap();
    // No declared type: no affinity, so SQLite keeps exactly what we bind.
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v)")
        .unwrap();
    for (i, v) in values.iter().enumerate() {
        // bind -> select
        let back: T = conn.query_row("SELECT ?1", [v], |r| r.get(0)).unwrap();
        assert!(same(&back, v), "SELECT ?: {back:?} != {v:?}");
        // bind -> store
        conn.execute("INSERT INTO t VALUES (?1, ?2)", params![i as i64, v])
            .unwrap();
    }
    let check = |conn: &Connection, path: &str| {
        let mut stmt = conn.prepare("SELECT v FROM t ORDER BY id").unwrap();
        let mut rows = stmt.query([]).unwrap();
        for v in values {
            let row = rows.next().unwrap().expect("a row per value");
            let back: T = row.get(0).unwrap();
            assert!(same(&back, v), "{path}: {back:?} != {v:?}");
            let as_value: Value = row.get(0).unwrap();
            assert_eq!(as_value, expected(v), "{path} as Value, from {v:?}");
            assert_eq!(Value::from(row.get_ref(0).unwrap()), expected(v));
        }
        assert!(rows.next().unwrap().is_none());
    };
    check(&conn, "stored");

    // dump -> restore
    let mut dump = Vec::new();
    conn.dump(&mut dump).unwrap();
    let restored = Connection::open_in_memory().unwrap();
    restored
        .execute_batch(std::str::from_utf8(&dump).unwrap())
        .unwrap();
    check(&restored, "dump/restore");

    // serialize -> deserialize
    let image = conn.serialize_to_vec("main").unwrap();
    let mut copy = Connection::open_in_memory().unwrap();
    copy.deserialize_copy("main", &image, false).unwrap();
    check(&copy, "serialize/deserialize");
}

fn eq<T: PartialEq>(a: &T, b: &T) -> bool {
    a == b
}

fn int<T: Copy + Into<i64>>(v: &T) -> Value {
    Value::Integer((*v).into())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn i64s(v in prop::collection::vec(any::<i64>(), 1..8)) {
        round_trip(&v, int, eq);
    }

    #[test]
    fn small_ints(a in any::<i8>(), b in any::<i16>(), c in any::<i32>(),
                  d in any::<u8>(), e in any::<u16>(), f in any::<u32>()) {
        round_trip(&[a], int, eq);
        round_trip(&[b], int, eq);
        round_trip(&[c], int, eq);
        round_trip(&[d], int, eq);
        round_trip(&[e], int, eq);
        round_trip(&[f], int, eq);
    }

    #[test]
    fn u64s_and_usizes(v in 0..=i64::MAX as u64) {
        round_trip(&[v], |v| Value::Integer(*v as i64), eq);
        let u = v as usize;
        round_trip(&[u], |v| Value::Integer(*v as i64), eq);
    }

    #[test]
    fn u64_past_i64_is_refused(v in (i64::MAX as u64 + 1)..=u64::MAX) {
        let conn = Connection::open_in_memory().unwrap();
        let err = conn.query_row("SELECT ?1", [v], |r| r.get::<_, i64>(0)).unwrap_err();
        prop_assert!(matches!(err, ferrolite::Error::ToSqlConversionFailure(_)), "{err:?}");
    }

    #[test]
    fn f64s(v in prop::collection::vec(
        prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO
            | prop::num::f64::INFINITE,
        1..8,
    )) {
        round_trip(&v, |v| Value::Real(*v), |a, b| a.to_bits() == b.to_bits());
    }

    #[test]
    fn f32s(v in prop::num::f32::NORMAL | prop::num::f32::ZERO | prop::num::f32::INFINITE) {
        round_trip(&[v], |v| Value::Real(f64::from(*v)), |a, b| a.to_bits() == b.to_bits());
    }

    #[test]
    fn bools(v in prop::collection::vec(any::<bool>(), 1..4)) {
        round_trip(&v, |v| Value::Integer(i64::from(*v)), eq);
    }

    #[test]
    fn strings(v in prop::collection::vec(any::<String>(), 1..6)) {
        // Any Unicode, including NUL, quotes, newlines and astral planes.
        round_trip(&v, |v| Value::Text(v.clone()), eq);
    }

    #[test]
    fn blobs(v in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..3000), 1..4)) {
        round_trip(&v, |v| Value::Blob(v.clone()), eq);
    }

    #[test]
    fn options(v in prop::collection::vec(prop::option::of(any::<i64>()), 1..6),
               s in prop::option::of(any::<String>())) {
        round_trip(&v, |v| v.map_or(Value::Null, Value::Integer), eq);
        round_trip(&[s], |v| v.clone().map_or(Value::Null, Value::Text), eq);
    }

    #[test]
    fn values(v in prop::collection::vec(value(), 1..8)) {
        round_trip(&v, Clone::clone, |a, b| match (a, b) {
            (Value::Real(x), Value::Real(y)) => x.to_bits() == y.to_bits(),
            _ => a == b,
        });
    }

    #[test]
    fn text_that_is_not_utf8_keeps_its_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v)").unwrap();
        conn.execute("INSERT INTO t VALUES (?1)", [ValueRef::Text(&bytes)]).unwrap();
        let check = |conn: &Connection| {
            conn.query_row("SELECT v, typeof(v) FROM t", [], |r| {
                assert_eq!(r.get::<_, String>(1)?, "text");
                assert_eq!(r.get_ref(0)?, ValueRef::Text(&bytes));
                match r.get::<_, String>(0) {
                    Ok(s) => assert_eq!(s.as_bytes(), &bytes[..]),
                    Err(e) => {
                        assert!(std::str::from_utf8(&bytes).is_err());
                        assert!(matches!(e, ferrolite::Error::Utf8Error(0, _)), "{e:?}");
                    }
                }
                Ok(())
            })
            .unwrap();
        };
        check(&conn);
        let image = conn.serialize_to_vec("main").unwrap();
        let mut copy = Connection::open_in_memory().unwrap();
        copy.deserialize_copy("main", &image, false).unwrap();
        check(&copy);
    }
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Integer),
        (prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL)
            .prop_map(Value::Real),
        any::<String>().prop_map(Value::Text),
        prop::collection::vec(any::<u8>(), 0..600).prop_map(Value::Blob),
    ]
}

#[test]
fn nan_is_stored_as_null() {
    // SQLite's rule, not ferrolite's; documented in API.md.
    let conn = Connection::open_in_memory().unwrap();
    let v: Value = conn
        .query_row("SELECT ?1", [f64::NAN], |r| r.get(0))
        .unwrap();
    assert_eq!(v, Value::Null);
}
