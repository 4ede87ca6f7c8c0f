//! `#[derive(Params)]`: `&T` binds named parameters.

use ferrolite::{Connection, Error, FromRow, Params, Result};

#[derive(Debug, Params, FromRow, PartialEq)]
struct Item {
    id: i64,
    #[ferrolite(rename = "label")]
    name: String,
    price: Option<f64>,
    #[ferrolite(skip)]
    secret: String,
}

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE item (id INTEGER, label TEXT, price REAL)")
        .unwrap();
    conn
}

#[test]
fn binds_every_prefix_and_ignores_unused_fields() -> Result<()> {
    let conn = db();
    let item = Item {
        id: 1,
        name: "pen".into(),
        price: Some(1.5),
        secret: "s".into(),
    };
    assert_eq!(
        conn.execute("INSERT INTO item VALUES (:id, @label, $price)", &item)?,
        1
    );
    // Only some fields used: the others are ignored.
    let n: i64 = conn.query_row("SELECT count(*) FROM item WHERE id = :id", &item, |r| {
        r.get(0)
    })?;
    assert_eq!(n, 1);
    // A parameter used twice.
    let n: i64 = conn.query_row("SELECT :id + :id", &item, |r| r.get(0))?;
    assert_eq!(n, 2);
    // Through query (copying binds) and a prepared statement rerun.
    let mut stmt =
        conn.prepare("SELECT id, label, price, 'x' AS secret FROM item WHERE label = :label")?;
    let back: Vec<Item> = stmt.query_as(&item)?.collect::<Result<_>>()?;
    assert_eq!(
        back,
        [Item {
            secret: String::new(),
            ..item
        }]
    );
    Ok(())
}

#[test]
fn parameter_no_field_fills_is_an_error_naming_it() {
    let conn = db();
    let item = Item {
        id: 1,
        name: "pen".into(),
        price: None,
        secret: String::new(),
    };
    let err = conn
        .execute("INSERT INTO item VALUES (:id, :label, :cost)", &item)
        .unwrap_err();
    assert_eq!(err, Error::MissingParameter(":cost".into()));
    assert_eq!(
        err.to_string(),
        "You did not supply a value for binding parameter :cost"
    );
    // The skipped field binds nothing.
    let err = conn
        .execute("INSERT INTO item VALUES (:id, :label, :secret)", &item)
        .unwrap_err();
    assert_eq!(err, Error::MissingParameter(":secret".into()));
    // The field's own name is not the parameter's after a rename.
    let err = conn
        .execute("INSERT INTO item VALUES (:id, :name, NULL)", &item)
        .unwrap_err();
    assert_eq!(err, Error::MissingParameter(":name".into()));
    // Positional parameters: no field binds a position.
    let err = conn
        .execute("INSERT INTO item VALUES (?, :label, NULL)", &item)
        .unwrap_err();
    assert_eq!(err, Error::MissingParameter("?1".into()));
    let err = conn
        .execute("INSERT INTO item VALUES (:id, ?3, :label)", &item)
        .unwrap_err();
    assert_eq!(err, Error::MissingParameter("?2".into())); // `?3` makes a nameless ?2 first
    let err = conn
        .execute("INSERT INTO item VALUES (:id, :label, ?3)", &item)
        .unwrap_err();
    assert_eq!(err, Error::MissingParameter("?3".into()));
    // Nothing ran.
    let n: i64 = conn
        .query_row("SELECT count(*) FROM item", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[derive(Params)]
struct Filter<'a> {
    min: i64,
    #[ferrolite(flatten)]
    inner: Named<'a>,
}

#[derive(Params)]
#[ferrolite(rename_all = "camelCase")]
struct Named<'a> {
    user_name: &'a str,
}

#[test]
fn flatten_rename_all_and_borrowed_fields() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let name = String::from("bob");
    let f = Filter {
        min: 3,
        inner: Named { user_name: &name },
    };
    let (a, b): (i64, String) = conn.query_row_as("SELECT :min, :userName", &f)?;
    assert_eq!((a, b.as_str()), (3, "bob"));
    let err = conn
        .query_row_as::<i64>("SELECT :user_name", &f)
        .unwrap_err();
    assert_eq!(err, Error::MissingParameter(":user_name".into()));
    Ok(())
}

#[test]
fn empty_statement_and_values_not_kept_between_runs() -> Result<()> {
    let conn = db();
    let item = Item {
        id: 9,
        name: "x".into(),
        price: None,
        secret: String::new(),
    };
    // A statement without parameters: nothing to bind.
    let n: i64 = conn.query_row("SELECT 1", &item, |r| r.get(0))?;
    assert_eq!(n, 1);
    let mut stmt = conn.prepare("INSERT INTO item VALUES (:id, :label, :price)")?;
    for i in 0..3 {
        let it = Item {
            id: i,
            name: format!("n{i}"),
            price: Some(i as f64),
            secret: String::new(),
        };
        stmt.execute(&it)?;
    }
    let all: Vec<(i64, String, f64)> = conn
        .prepare("SELECT * FROM item ORDER BY id")?
        .query_as([])?
        .collect::<Result<_>>()?;
    assert_eq!(
        all,
        [
            (0, "n0".into(), 0.0),
            (1, "n1".into(), 1.0),
            (2, "n2".into(), 2.0)
        ]
    );
    Ok(())
}

#[test]
fn tosql_error_of_a_field_reaches_the_caller() {
    #[derive(Params)]
    struct Big {
        v: u64,
    }
    let conn = Connection::open_in_memory().unwrap();
    let err = conn
        .query_row_as::<i64>("SELECT :v", &Big { v: u64::MAX })
        .unwrap_err();
    assert!(
        err.to_string().contains("out of range")
            || err.to_string().contains("18446744073709551615"),
        "{err}"
    );
}
