//! `url::Url` (feature `url`): TEXT, as rusqlite 0.41.1.
#![cfg(feature = "url")]

use crate::common::memory_db;

use ferrolite::types::Type;
use ferrolite::{Error, Result};
use url::{ParseError, Url};

fn read(c: &ferrolite::Connection, sql: &str) -> Result<Url> {
    c.query_row(sql, [], |r| r.get(0))
}

#[test]
fn stored_as_its_serialization() {
    let c = memory_db();
    for (input, text) in [
        ("http://www.example1.com", "http://www.example1.com/"),
        (
            "http://www.example1.com/\u{1f44c}",
            "http://www.example1.com/%F0%9F%91%8C",
        ),
        (
            "https://user:pw@Example.COM:443/a b?q=\u{e9}#f",
            "https://user:pw@example.com/a%20b?q=%C3%A9#f",
        ),
        ("data:text/plain,hi", "data:text/plain,hi"),
    ] {
        let url = Url::parse(input).unwrap();
        let (ty, stored): (String, String) = c
            .query_row("SELECT typeof(?1), ?1", [&url], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((ty.as_str(), stored.as_str()), ("text", text));
        let back: Url = c.query_row("SELECT ?1", [&url], |r| r.get(0)).unwrap();
        assert_eq!(back, url);
    }
    // Unencoded text written by someone else reads too.
    let url: Url = read(&c, "SELECT 'http://www.example2.com/\u{1f44c}'").unwrap();
    assert_eq!(
        url,
        Url::parse("http://www.example2.com/\u{1f44c}").unwrap()
    );
}

#[test]
fn malformed_and_wrong_types() {
    let c = memory_db();
    // rusqlite's test: the boxed error is url's ParseError itself.
    match read(&c, "SELECT 'illegal'").unwrap_err() {
        Error::FromSqlConversionFailure(0, Type::Text, e) => {
            assert_eq!(
                *e.downcast::<ParseError>().unwrap(),
                ParseError::RelativeUrlWithoutBase
            );
        }
        other => panic!("{other:?}"),
    }
    match read(&c, "SELECT 'http://[::1'").unwrap_err() {
        Error::FromSqlConversionFailure(0, Type::Text, e) => {
            assert_eq!(
                *e.downcast::<ParseError>().unwrap(),
                ParseError::InvalidIpv6Address
            );
        }
        other => panic!("{other:?}"),
    }
    for (sql, ty) in [
        ("SELECT CAST('https://a.b/' AS BLOB) AS v", Type::Blob),
        ("SELECT 1 AS v", Type::Integer),
        ("SELECT NULL AS v", Type::Null),
    ] {
        assert_eq!(
            read(&c, sql).unwrap_err(),
            Error::InvalidColumnType(0, "v".into(), ty)
        );
    }
    let none: Option<Url> = c.query_row("SELECT NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(none, None);
    let e = read(&c, "SELECT CAST(x'ff' AS TEXT)").unwrap_err();
    assert!(matches!(e, Error::Utf8Error(0, _)), "{e:?}");
}
