//! `#[derive(ToSql, FromSql)]`: newtypes and unit enums.

use ferrolite::derive::UnknownValue;
use ferrolite::types::{self, ToSql, Type, Value};
use ferrolite::{Connection, Error, FromSql, Result};

#[derive(Debug, PartialEq, ferrolite::ToSql, FromSql)]
struct UserId(i64);

#[derive(Debug, PartialEq, ferrolite::ToSql, FromSql)]
struct Email {
    address: String,
}

#[derive(Debug, PartialEq, Clone, Copy, ferrolite::ToSql, FromSql)]
#[ferrolite(rename_all = "snake_case")]
enum Status {
    Active,
    OnLeave,
    #[ferrolite(rename = "gone")]
    Retired,
}

#[derive(Debug, PartialEq, Clone, Copy, ferrolite::ToSql, FromSql)]
enum Plain {
    Red,
    Green,
}

#[derive(Debug, PartialEq, Clone, Copy, ferrolite::ToSql, FromSql)]
#[ferrolite(integer)]
enum Priority {
    Low = 1,
    High = 10,
    Urgent, // 11
}

fn roundtrip<T: ToSql + types::FromSql>(conn: &Connection, v: &T) -> Result<(T, String)> {
    conn.query_row("SELECT ?1, typeof(?1)", [v], |r| Ok((r.get(0)?, r.get(1)?)))
}

#[test]
fn newtypes_are_transparent() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    assert_eq!(
        roundtrip(&conn, &UserId(-5))?,
        (UserId(-5), "integer".into())
    );
    let e = Email {
        address: "a@b".into(),
    };
    assert_eq!(roundtrip(&conn, &e)?, (e, "text".into()));
    assert_eq!(UserId(3).to_sql()?, 3i64.to_sql()?);
    // The inner type's errors, naming the column.
    let err = conn
        .query_row("SELECT 'x'", [], |r| r.get::<_, UserId>(0))
        .unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(0, "'x'".into(), Type::Text));
    let o: Option<UserId> = conn.query_row("SELECT NULL", [], |r| r.get(0))?;
    assert_eq!(o, None);
    Ok(())
}

#[test]
fn text_enums_both_ways() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    for (v, s) in [
        (Status::Active, "active"),
        (Status::OnLeave, "on_leave"),
        (Status::Retired, "gone"),
    ] {
        let stored: String = conn.query_row("SELECT ?1", [v], |r| r.get(0))?;
        assert_eq!(stored, s);
        assert_eq!(roundtrip(&conn, &v)?, (v, "text".into()));
    }
    assert_eq!(
        roundtrip(&conn, &Plain::Green)?,
        (Plain::Green, "text".into())
    );
    let stored: String = conn.query_row("SELECT ?1", [Plain::Red], |r| r.get(0))?;
    assert_eq!(stored, "Red");
    Ok(())
}

#[test]
fn unknown_text_is_a_conversion_failure_naming_it() {
    let conn = Connection::open_in_memory().unwrap();
    let err = conn
        .query_row("SELECT 'retired'", [], |r| r.get::<_, Status>(0))
        .unwrap_err();
    let Error::FromSqlConversionFailure(0, Type::Text, source) = &err else {
        panic!("{err:?}")
    };
    let unknown = source.downcast_ref::<UnknownValue>().unwrap();
    assert_eq!(unknown.type_name, "Status");
    assert_eq!(unknown.value, "\"retired\"");
    assert_eq!(
        err.to_string(),
        "Conversion error from type Text at index: 0, unknown value \"retired\" for Status \
         (expected one of \"active\", \"on_leave\", \"gone\")"
    );
    // Case matters.
    assert!(
        conn.query_row("SELECT 'Active'", [], |r| r.get::<_, Status>(0))
            .is_err()
    );
    // A non-text value is InvalidColumnType.
    let err = conn
        .query_row("SELECT 1", [], |r| r.get::<_, Status>(0))
        .unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(0, "1".into(), Type::Integer));
}

#[test]
fn integer_enums_both_ways() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    for (v, n) in [
        (Priority::Low, 1),
        (Priority::High, 10),
        (Priority::Urgent, 11),
    ] {
        let stored: i64 = conn.query_row("SELECT ?1", [v], |r| r.get(0))?;
        assert_eq!(stored, n);
        assert_eq!(roundtrip(&conn, &v)?, (v, "integer".into()));
        assert_eq!(
            v.to_sql()?,
            ferrolite::types::ToSqlOutput::Owned(Value::Integer(n))
        );
    }
    let err = conn
        .query_row("SELECT 2", [], |r| r.get::<_, Priority>(0))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Conversion error from type Integer at index: 0, unknown value 2 for Priority \
         (expected one of 1, 10, 11)"
    );
    let err = conn
        .query_row("SELECT 'Low'", [], |r| r.get::<_, Priority>(0))
        .unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(0, "'Low'".into(), Type::Text));
    Ok(())
}

#[test]
fn in_a_derived_row_struct() -> Result<()> {
    #[derive(Debug, PartialEq, ferrolite::FromRow, ferrolite::Params)]
    struct Ticket {
        id: UserId,
        status: Status,
        priority: Priority,
    }
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE ticket (id INTEGER, status TEXT, priority INTEGER)")?;
    let t = Ticket {
        id: UserId(1),
        status: Status::OnLeave,
        priority: Priority::High,
    };
    conn.execute("INSERT INTO ticket VALUES (:id, :status, :priority)", &t)?;
    let back: Ticket = conn.query_row_as("SELECT * FROM ticket", [])?;
    assert_eq!(back, t);
    conn.execute("UPDATE ticket SET status = 'lost'", [])?;
    let err = conn
        .query_row_as::<Ticket>("SELECT * FROM ticket", [])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Ticket.status (column \"status\"): Conversion error from type Text at index: 1, \
         unknown value \"lost\" for Status (expected one of \"active\", \"on_leave\", \"gone\")"
    );
    Ok(())
}
