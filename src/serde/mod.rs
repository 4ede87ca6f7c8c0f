//! Rows into `Deserialize` types by column name, and structs into named
//! parameters (feature `serde`).
//!
//! * [`from_row`] reads a [`Row`](crate::Row) into any [`DeserializeOwned`](::serde::de::DeserializeOwned) type:
//!   structs by column name (compared case-insensitively when no field
//!   matches exactly, like Python's `sqlite3.Row`), tuples by position,
//!   maps of every column, `Option` for NULL, unit enums from TEXT.
//! * [`Statement::query_deserialize`](crate::Statement::query_deserialize) runs a query and deserializes each
//!   row, as an `Iterator<Item = Result<T>>`.
//! * [`to_params`] turns a struct (or a map with string keys) into named
//!   parameters: field `x` fills `:x`, `@x` or `$x`. Fields the statement
//!   doesn't use are ignored (as Python ignores unused keys of a dict); a
//!   parameter no field fills is an error; a field skipped by
//!   `skip_serializing_if` binds NULL.
//!
//! Values map as with [`FromSql`](crate::types::FromSql) and
//! [`ToSql`](crate::ToSql): integers (range-checked), floats, `bool` as
//! INTEGER, strings as TEXT, bytes (`serde_bytes`) as BLOB, `None`/`()` as
//! NULL, unit enum variants as their name in TEXT. With feature
//! `serde_json` too, nested sequences, maps, structs and data-carrying enum
//! variants are stored as JSON text and read back from it; without it they
//! are an error naming the field.
//!
//! chrono's date and time types (feature `chrono`) need
//! `#[serde(with = "ferrolite::serde::chrono::…")]` on the field — see
//! the `ferrolite::serde::chrono` module (feature `chrono`): without it
//! chrono's own `Deserialize` runs, which needs chrono's `serde` feature
//! and reads only RFC 3339 text, not SQLite's `CURRENT_TIMESTAMP`
//! (`2024-02-28 23:30:00`) nor the numbers `FromSql` accepts. With it a
//! field reads and writes exactly as `FromSql`/`ToSql` do.
//! [`sql_value`] does the same for any `FromSql + ToSql` type.
//!
//! Errors name the column: a field no column fills is
//! `Error::InvalidColumnName(field)`; a value of the wrong storage class
//! `Error::InvalidColumnType(index, name, type)`; an integer out of range
//! `Error::IntegralValueOutOfRange(index, value)`; anything else (an
//! unknown enum variant, bad JSON, …) `Error::FromSqlConversionFailure`
//! whose message starts with ``column `name`: ``.
//!
//! ```
//! use ferrolite::{Connection, Result};
//! use ferrolite::serde::{from_row, to_params};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! #[serde(rename_all = "lowercase")]
//! enum Role { Admin, Guest }
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! struct User { id: i64, name: String, email: Option<String>, role: Role }
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE user (id INTEGER PRIMARY KEY, name TEXT, email TEXT, role TEXT)")?;
//!     let ada = User { id: 1, name: "ada".into(), email: None, role: Role::Admin };
//!     conn.execute("INSERT INTO user VALUES (:id, :name, :email, :role)", to_params(&ada)?)?;
//!
//!     let mut stmt = conn.prepare("SELECT * FROM user")?;
//!     let users: Vec<User> = stmt.query_deserialize([])?.collect::<Result<_>>()?;
//!     assert_eq!(users, [ada]);
//!
//!     let name: String = conn.query_row("SELECT role FROM user", [], from_row)?;
//!     assert_eq!(name, "admin");
//!     Ok(())
//! }
//! ```

#![forbid(unsafe_code)]

mod de;
mod ser;

pub use de::{DeserializeRows, from_row};
pub use ser::{NamedParams, to_params};

/// `#[serde(with = "ferrolite::serde::sql_value")]`: a field read and
/// written exactly as [`FromSql`](crate::types::FromSql) and
/// [`ToSql`](crate::ToSql) read and write it, instead of through the
/// field type's own `Deserialize`/`Serialize`.
///
/// Use it for a type whose serde form differs from its SQL form (chrono's
/// types, see `ferrolite::serde::chrono`, or your own type that implements
/// `FromSql`/`ToSql` but whose `Deserialize` expects something else).
/// `Option<T>` works too: NULL is `None`.
///
/// Deserializing takes whatever the column holds (NULL, INTEGER, REAL,
/// TEXT or BLOB) and hands it to `T::column_result`; a conversion failure
/// is `Error::FromSqlConversionFailure` naming the column. Serializing
/// (for [`to_params`]) emits the value `T::to_sql` gives: an integer,
/// float, string, bytes or none.
pub mod sql_value {
    use std::marker::PhantomData;

    use ::serde::de::{self, Deserializer, Visitor};
    use ::serde::ser::{self, Serializer};

    use crate::ToSql;
    use crate::types::{FromSql, ToSqlOutput, ValueRef};

    /// Writes `value` as the SQL value its `ToSql` produces.
    ///
    /// # Errors
    /// `value.to_sql()` fails, or produces something with no serde form (a
    /// zeroblob, a pointer); or the serializer's own error.
    pub fn serialize<T: ToSql + ?Sized, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let out = value.to_sql().map_err(ser::Error::custom)?;
        let v = match out {
            ToSqlOutput::Borrowed(v) => v,
            ToSqlOutput::Owned(ref v) => ValueRef::from(v),
            _ => {
                return Err(ser::Error::custom(
                    "sql_value: only NULL, INTEGER, REAL, TEXT and BLOB values can be serialized",
                ));
            }
        };
        match v {
            ValueRef::Null => serializer.serialize_none(),
            ValueRef::Integer(i) => serializer.serialize_i64(i),
            ValueRef::Real(f) => serializer.serialize_f64(f),
            ValueRef::Text(t) => match std::str::from_utf8(t) {
                Ok(s) => serializer.serialize_str(s),
                Err(e) => Err(ser::Error::custom(e)),
            },
            ValueRef::Blob(b) => serializer.serialize_bytes(b),
        }
    }

    /// Reads the value as `T::column_result` does.
    ///
    /// # Errors
    /// `T::column_result`'s error (a bad date, the wrong storage class…),
    /// as the deserializer's error.
    pub fn deserialize<'de, T: FromSql, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        deserializer.deserialize_any(SqlVisitor(PhantomData))
    }

    struct SqlVisitor<T>(PhantomData<T>);

    impl<T: FromSql> SqlVisitor<T> {
        fn read<E: de::Error>(v: ValueRef<'_>) -> Result<T, E> {
            T::column_result(v).map_err(|e| match e {
                crate::types::FromSqlError::InvalidType => E::custom(format!(
                    "a {} value can't be read as {}",
                    v.data_type(),
                    std::any::type_name::<T>()
                )),
                e => E::custom(e),
            })
        }
    }

    impl<'de, T: FromSql> Visitor<'de> for SqlVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "an SQL value readable as {}", std::any::type_name::<T>())
        }

        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            Self::read(ValueRef::Null)
        }

        fn visit_none<E: de::Error>(self) -> Result<T, E> {
            Self::read(ValueRef::Null)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
            Self::read(ValueRef::Integer(i64::from(v)))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            Self::read(ValueRef::Integer(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            match i64::try_from(v) {
                Ok(i) => Self::read(ValueRef::Integer(i)),
                Err(_) => Err(E::custom(format!("integer {v} is out of SQLite's range"))),
            }
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            Self::read(ValueRef::Real(v))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Self::read(ValueRef::Text(v.as_bytes()))
        }

        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<T, E> {
            Self::read(ValueRef::Blob(v))
        }
    }
}

/// `#[serde(with = "…")]` helpers that read and write chrono's types as
/// [`FromSql`](crate::types::FromSql) and [`ToSql`](crate::ToSql) do
/// (features `serde` and `chrono`; chrono's own `serde` feature is not
/// needed and not used).
///
/// Without them, a chrono field goes through chrono's `Deserialize`, which
/// needs chrono's `serde` feature and reads only RFC 3339 text
/// (`2024-02-28T23:30:00Z`): SQLite's own `CURRENT_TIMESTAMP` /
/// `datetime('now')` text (`2024-02-28 23:30:00`, no `T`, no offset), a
/// Unix time INTEGER or a `julianday()` REAL fail. With them a field reads
/// everything [`crate::types`]' chrono support reads, and
/// [`to_params`] writes the text `ToSql` writes.
///
/// | field | helper |
/// |---|---|
/// | `NaiveDate` | [`naive_date`](self::chrono::naive_date) |
/// | `NaiveTime` | [`naive_time`](self::chrono::naive_time) |
/// | `NaiveDateTime` | [`naive_date_time`](self::chrono::naive_date_time) |
/// | `DateTime<Utc>` | [`date_time_utc`](self::chrono::date_time_utc) |
/// | `DateTime<FixedOffset>` | [`date_time_fixed`](self::chrono::date_time_fixed) |
/// | `DateTime<Local>` | [`date_time_local`](self::chrono::date_time_local) |
/// | `Option<…>` of each | the same name with `_option` (NULL is `None`) |
///
/// Serde can't pick these automatically: a `Deserialize` impl only sees
/// the deserializer's `deserialize_*` calls, and chrono's ask for a string
/// like any `String` field does, so ferrolite's deserializer can't tell a
/// `DateTime` from text. The attribute says which parser to use.
/// [`sql_value`] does the same for any `FromSql + ToSql`
/// type.
///
/// ```
/// use chrono::{DateTime, NaiveDateTime, Utc};
/// use ferrolite::{Connection, Result};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Event {
///     #[serde(with = "ferrolite::serde::chrono::date_time_utc")]
///     at: DateTime<Utc>,
///     #[serde(with = "ferrolite::serde::chrono::naive_date_time_option")]
///     done: Option<NaiveDateTime>,
/// }
///
/// fn main() -> Result<()> {
///     let conn = Connection::open_in_memory()?;
///     conn.execute_batch(
///         "CREATE TABLE event (at TEXT DEFAULT CURRENT_TIMESTAMP, done TEXT);
///          INSERT INTO event DEFAULT VALUES;",
///     )?;
///     let mut stmt = conn.prepare("SELECT at, done FROM event")?;
///     let events: Vec<Event> = stmt.query_deserialize([])?.collect::<Result<_>>()?;
///     assert!(events[0].at.timestamp() > 0);
///     assert!(events[0].done.is_none());
///     Ok(())
/// }
/// ```
#[cfg(feature = "chrono")]
pub mod chrono {
    macro_rules! chrono_with {
        ($($name:ident $opt:ident $ty:ty;)*) => {$(
            #[doc = concat!("`#[serde(with = \"ferrolite::serde::chrono::", stringify!($name),
                "\")]` for a `", stringify!($ty), "` field, read and written as `FromSql`/`ToSql` do.")]
            pub mod $name {
                use ::serde::{Deserializer, Serializer};

                /// Writes the value as the text `ToSql` writes.
                ///
                /// # Errors
                /// The serializer's error.
                pub fn serialize<S: Serializer>(value: &$ty, serializer: S) -> Result<S::Ok, S::Error> {
                    crate::serde::sql_value::serialize(value, serializer)
                }

                /// Reads the value as `FromSql` reads it.
                ///
                /// # Errors
                /// A value `FromSql` rejects (text that isn't a date, a NULL).
                pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                    crate::serde::sql_value::deserialize(deserializer)
                }
            }

            #[doc = concat!("`#[serde(with = \"ferrolite::serde::chrono::", stringify!($opt),
                "\")]` for an `Option<", stringify!($ty), ">` field: NULL is `None`.")]
            pub mod $opt {
                use ::serde::{Deserializer, Serializer};

                /// Writes `None` as NULL and a value as the text `ToSql` writes.
                ///
                /// # Errors
                /// The serializer's error.
                pub fn serialize<S: Serializer>(
                    value: &Option<$ty>,
                    serializer: S,
                ) -> Result<S::Ok, S::Error> {
                    crate::serde::sql_value::serialize(value, serializer)
                }

                /// Reads NULL as `None`, anything else as `FromSql` reads it.
                ///
                /// # Errors
                /// A non-NULL value `FromSql` rejects.
                pub fn deserialize<'de, D: Deserializer<'de>>(
                    deserializer: D,
                ) -> Result<Option<$ty>, D::Error> {
                    crate::serde::sql_value::deserialize(deserializer)
                }
            }
        )*};
    }

    chrono_with! {
        naive_date naive_date_option ::chrono::NaiveDate;
        naive_time naive_time_option ::chrono::NaiveTime;
        naive_date_time naive_date_time_option ::chrono::NaiveDateTime;
        date_time_utc date_time_utc_option ::chrono::DateTime<::chrono::Utc>;
        date_time_fixed date_time_fixed_option ::chrono::DateTime<::chrono::FixedOffset>;
        date_time_local date_time_local_option ::chrono::DateTime<::chrono::Local>;
    }
}
