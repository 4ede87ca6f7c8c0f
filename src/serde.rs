//! Rows into `Deserialize` types by column name, and structs into named
//! parameters (feature `serde`).
//!
//! * [`from_row`] reads a [`Row`] into any [`DeserializeOwned`] type:
//!   structs by column name (compared case-insensitively when no field
//!   matches exactly, like Python's `sqlite3.Row`), tuples by position,
//!   maps of every column, `Option` for NULL, unit enums from TEXT.
//! * [`Statement::query_deserialize`] runs a query and deserializes each
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

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};
use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;

use ::serde::de::value::BorrowedStrDeserializer;
use ::serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use ::serde::ser::{self, Impossible, Serialize};

use crate::types::{Type, Value, ValueRef};
use crate::{Error, Params, Result, Row, Rows, Statement};

// ======================= rows into Rust values =======================

/// Deserializes `row` into `T`: a struct by column name, a tuple or
/// sequence by position, a map of all columns, or — for a row of one
/// column — a single value.
///
/// ```
/// use ferrolite::Connection;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Point { x: f64, y: f64, label: Option<String> }
///
/// let conn = Connection::open_in_memory()?;
/// let p: Point = conn.query_row("SELECT 1.5 AS X, 2 AS y, NULL AS label", [], |row| {
///     ferrolite::serde::from_row(row)
/// })?;
/// assert_eq!((p.x, p.y, p.label), (1.5, 2.0, None));
/// # Ok::<(), ferrolite::Error>(())
/// ```
///
/// # Errors
/// `InvalidColumnName` for a field no column fills (fields with
/// `#[serde(default)]` and `Option` fields may be missing),
/// `InvalidColumnType`, `IntegralValueOutOfRange`, `Utf8Error` or
/// `FromSqlConversionFailure` naming the column; see the [module
/// docs](self).
pub fn from_row<T: DeserializeOwned>(row: &Row<'_>) -> Result<T> {
    deserialize_row(row, &Context::default())
}

fn deserialize_row<T: DeserializeOwned>(row: &Row<'_>, ctx: &Context) -> Result<T> {
    ctx.current.set(None);
    T::deserialize(RowDeserializer { row, ctx }).map_err(|e| e.into_error(row, ctx.current.get()))
}

/// State shared by the deserializers of one row (and, in
/// [`DeserializeRows`], of every row of a query).
#[derive(Default)]
struct Context {
    /// The column being read, to name it in errors raised outside it.
    current: Cell<Option<usize>>,
    /// Which struct field each column fills, worked out on the first row.
    keys: RefCell<KeyCache>,
}

/// For each column, the struct field it fills (`None`: no field; the
/// column's own name is the key), for one list of fields.
#[derive(Default)]
struct KeyCache {
    fields: &'static [&'static str],
    keys: Vec<Option<&'static str>>,
}

/// The field a column named `name` fills: an exact match, else one equal
/// but for ASCII case (SQL names are case-insensitive).
fn match_field(name: &str, fields: &'static [&'static str]) -> Option<&'static str> {
    fields
        .iter()
        .find(|f| **f == name)
        .or_else(|| fields.iter().find(|f| f.eq_ignore_ascii_case(name)))
        .copied()
}

impl Statement<'_> {
    /// Runs the query and deserializes each row into `T` by column name
    /// (see [`from_row`]), as an `Iterator<Item = Result<T>>`.
    ///
    /// ```
    /// use ferrolite::{Connection, Result};
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize, Debug, PartialEq)]
    /// struct Lang { name: String, year: u16 }
    ///
    /// let conn = Connection::open_in_memory()?;
    /// let mut stmt = conn.prepare(
    ///     "SELECT column1 AS name, column2 AS year FROM (VALUES ('C', 1972), ('Rust', 2015))",
    /// )?;
    /// let langs: Vec<Lang> = stmt.query_deserialize([])?.collect::<Result<_>>()?;
    /// assert_eq!(langs[1], Lang { name: "Rust".into(), year: 2015 });
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// Parameter errors; row errors (SQLite errors, conversion errors
    /// naming the column) come from the iterator, which stops after the
    /// first.
    pub fn query_deserialize<T: DeserializeOwned>(
        &mut self,
        params: impl Params,
    ) -> Result<DeserializeRows<'_, T>> {
        self.query(params).map(|rows| DeserializeRows {
            rows,
            ctx: Context::default(),
            failed: false,
            _marker: PhantomData,
        })
    }
}

/// The rows of [`Statement::query_deserialize`]: an `Iterator` of
/// `Result<T>`, ending after the last row or the first error.
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct DeserializeRows<'stmt, T> {
    rows: Rows<'stmt>,
    ctx: Context,
    failed: bool,
    _marker: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Iterator for DeserializeRows<'_, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.failed {
            return None;
        }
        let item = match self.rows.next() {
            Ok(Some(row)) => deserialize_row(row, &self.ctx),
            Ok(None) => return None,
            Err(e) => Err(e),
        };
        self.failed = item.is_err();
        Some(item)
    }
}

impl<T: DeserializeOwned> FusedIterator for DeserializeRows<'_, T> {}

impl<T> fmt::Debug for DeserializeRows<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeserializeRows")
            .field("rows", &self.rows)
            .field("type", &std::any::type_name::<T>())
            .finish()
    }
}

/// The deserializer's error: a ferrolite error already tied to a column, or
/// one raised by the `Deserialize` implementation (tied to a column later).
#[derive(Debug)]
enum DeError {
    Ferrolite(Error),
    MissingField(&'static str),
    Custom(String),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Ferrolite(e) => e.fmt(f),
            DeError::MissingField(field) => write!(f, "missing field `{field}`"),
            DeError::Custom(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Custom(msg.to_string())
    }

    #[cold]
    fn missing_field(field: &'static str) -> Self {
        DeError::MissingField(field)
    }
}

impl From<Error> for DeError {
    #[cold]
    fn from(e: Error) -> Self {
        DeError::Ferrolite(e)
    }
}

impl DeError {
    /// The final error of [`from_row`]; `current` is the column being read
    /// when the error was raised, if any.
    #[cold]
    fn into_error(self, row: &Row<'_>, current: Option<usize>) -> Error {
        match self {
            DeError::Ferrolite(e) => e,
            DeError::MissingField(field) => Error::InvalidColumnName(field.to_owned()),
            DeError::Custom(msg) => match current {
                Some(idx) => {
                    let name = column_name(row, idx);
                    let ty = row.get_ref(idx).map_or(Type::Null, |v| v.data_type());
                    column_failure(idx, name, ty, msg)
                }
                None => Error::FromSqlConversionFailure(usize::MAX, Type::Null, msg.into()),
            },
        }
    }
}

/// A failure reading column `idx` (`name`), with a message naming it.
#[cold]
fn column_failure(idx: usize, name: &str, ty: Type, msg: String) -> Error {
    Error::FromSqlConversionFailure(
        idx,
        ty,
        Box::new(ColumnError {
            column: name.to_owned(),
            msg,
        }),
    )
}

/// A message about one column, displayed as ``column `name`: message``.
#[derive(Debug)]
struct ColumnError {
    column: String,
    msg: String,
}

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column `{}`: {}", self.column, self.msg)
    }
}

impl std::error::Error for ColumnError {}

fn column_name<'a>(row: &'a Row<'_>, idx: usize) -> &'a str {
    row.as_ref().column_name(idx).unwrap_or("")
}

/// The whole row.
struct RowDeserializer<'a, 'stmt> {
    row: &'a Row<'stmt>,
    ctx: &'a Context,
}

impl<'a, 'stmt> RowDeserializer<'a, 'stmt> {
    /// The only column of a one-column row, for a scalar target.
    fn single(&self, what: &str) -> Result<ColumnDeserializer<'a, 'stmt>, DeError> {
        if self.row.len() != 1 {
            return Err(DeError::Custom(format!(
                "cannot read a row of {} columns as {what}; use a struct, tuple or map",
                self.row.len()
            )));
        }
        self.ctx.current.set(Some(0));
        ColumnDeserializer::new(self.row, 0)
    }

    fn seq(self) -> RowSeq<'a, 'a> {
        RowSeq {
            row: self.row,
            current: &self.ctx.current,
            idx: 0,
        }
    }
}

macro_rules! forward_to_single {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.single(stringify!($method))?.$method(visitor)
        }
    )*};
}

impl<'a> de::Deserializer<'a> for RowDeserializer<'a, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(RowMap {
            row: self.row,
            current: &self.ctx.current,
            idx: 0,
            fields: &[],
            keys: None,
        })
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Match columns to fields once per query, not once per row.
        if let Ok(mut cache) = self.ctx.keys.try_borrow_mut() {
            if !std::ptr::eq(cache.fields, fields) || cache.keys.len() != self.row.len() {
                cache.fields = fields;
                cache.keys.clear();
                let row = self.row;
                cache
                    .keys
                    .extend((0..row.len()).map(|i| match_field(column_name(row, i), fields)));
            }
        }
        let keys = self
            .ctx
            .keys
            .try_borrow()
            .ok()
            .filter(|c| std::ptr::eq(c.fields, fields))
            .map(|c| Ref::map(c, |c| c.keys.as_slice()));
        visitor.visit_map(RowMap {
            row: self.row,
            current: &self.ctx.current,
            idx: 0,
            fields,
            keys,
        })
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_seq(self.seq())
    }

    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if self.row.len() < len {
            return Err(Error::InvalidColumnIndex(self.row.len()).into());
        }
        visitor.visit_seq(self.seq())
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.row.len() == 1 {
            self.single("an option")?.deserialize_option(visitor)
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.single("a unit struct")?.deserialize_unit(visitor)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.single("an enum")?
            .deserialize_enum(name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    forward_to_single! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_unit
        deserialize_identifier
    }
}

/// The columns as a map: name → value.
struct RowMap<'a, 'stmt> {
    row: &'a Row<'stmt>,
    current: &'a Cell<Option<usize>>,
    idx: usize,
    /// The struct's field names (empty for a map).
    fields: &'static [&'static str],
    /// The field of each column, when worked out already.
    keys: Option<Ref<'a, [Option<&'static str>]>>,
}

impl<'a> MapAccess<'a> for RowMap<'a, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.idx >= self.row.len() {
            return Ok(None);
        }
        self.current.set(Some(self.idx));
        let field = match &self.keys {
            Some(keys) => keys.get(self.idx).copied().flatten(),
            None => match_field(column_name(self.row, self.idx), self.fields),
        };
        // A column no field takes is keyed by its own name (for maps,
        // `flatten` and `deny_unknown_fields`).
        let key = field.unwrap_or_else(|| column_name(self.row, self.idx));
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let idx = self.idx;
        self.idx += 1;
        seed.deserialize(ColumnDeserializer::new(self.row, idx)?)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.len() - self.idx)
    }
}

/// The columns in order.
struct RowSeq<'a, 'stmt> {
    row: &'a Row<'stmt>,
    current: &'a Cell<Option<usize>>,
    idx: usize,
}

impl<'a> SeqAccess<'a> for RowSeq<'a, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if self.idx >= self.row.len() {
            return Ok(None);
        }
        let idx = self.idx;
        self.idx += 1;
        self.current.set(Some(idx));
        seed.deserialize(ColumnDeserializer::new(self.row, idx)?)
            .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.len() - self.idx)
    }
}

/// One column's value. Its name is looked up only for an error.
struct ColumnDeserializer<'a, 'stmt> {
    value: ValueRef<'a>,
    idx: usize,
    row: &'a Row<'stmt>,
}

impl<'a, 'stmt> ColumnDeserializer<'a, 'stmt> {
    fn new(row: &'a Row<'stmt>, idx: usize) -> Result<ColumnDeserializer<'a, 'stmt>, DeError> {
        Ok(ColumnDeserializer {
            value: row.get_ref(idx)?,
            idx,
            row,
        })
    }

    fn name(&self) -> &'a str {
        column_name(self.row, self.idx)
    }

    #[cold]
    fn invalid_type(&self) -> DeError {
        DeError::Ferrolite(Error::InvalidColumnType(
            self.idx,
            self.name().to_owned(),
            self.value.data_type(),
        ))
    }

    /// Ties an error raised by the visitor to this column.
    #[cold]
    fn attach(&self, e: DeError) -> DeError {
        match e {
            DeError::Ferrolite(e) => DeError::Ferrolite(e),
            DeError::MissingField(f) => self.failure(format!("missing field `{f}`")),
            DeError::Custom(msg) => self.failure(msg),
        }
    }

    #[cold]
    fn failure(&self, msg: String) -> DeError {
        DeError::Ferrolite(column_failure(
            self.idx,
            self.name(),
            self.value.data_type(),
            msg,
        ))
    }

    fn text(&self) -> Result<&'a str, DeError> {
        match self.value {
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map_err(|e| DeError::Ferrolite(Error::Utf8Error(self.idx, e))),
            _ => Err(self.invalid_type()),
        }
    }

    fn integer(&self) -> Result<i64, DeError> {
        match self.value {
            ValueRef::Integer(i) => Ok(i),
            _ => Err(self.invalid_type()),
        }
    }

    /// Nested data stored as JSON text (feature `serde_json`).
    #[cfg(feature = "serde_json")]
    fn json<T>(
        &self,
        what: &str,
        f: impl FnOnce(
            &mut serde_json::Deserializer<serde_json::de::StrRead<'a>>,
        ) -> serde_json::Result<T>,
    ) -> Result<T, DeError> {
        let s = self.text()?;
        let mut de = serde_json::Deserializer::from_str(s);
        f(&mut de)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| self.failure(format!("invalid JSON text for {what}: {e}")))
    }

    /// Without feature `serde_json`, nested data can't be read.
    #[cfg(not(feature = "serde_json"))]
    #[cold]
    fn no_json<T>(&self, what: &str) -> Result<T, DeError> {
        match self.value {
            ValueRef::Text(_) => Err(self.failure(format!(
                "reading {what} from JSON text needs ferrolite's `serde_json` feature"
            ))),
            _ => Err(self.invalid_type()),
        }
    }
}

/// Nested data from the column's JSON text, or an error without feature
/// `serde_json`.
#[cfg(feature = "serde_json")]
macro_rules! from_json {
    ($self:ident, $what:literal, $method:ident($($arg:expr),*)) => {
        $self.json($what, |de| de::Deserializer::$method(de, $($arg),*))
    };
}

#[cfg(not(feature = "serde_json"))]
macro_rules! from_json {
    ($self:ident, $what:literal, $method:ident($($arg:expr),*)) => {{
        let _ = ($($arg,)*);
        $self.no_json($what)
    }};
}

macro_rules! deserialize_int {
    ($($method:ident $visit:ident $ty:ty;)*) => {$(
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
            let i = self.integer()?;
            let v = <$ty>::try_from(i)
                .map_err(|_| DeError::Ferrolite(Error::IntegralValueOutOfRange(self.idx, i)))?;
            visitor.$visit(v).map_err(|e| self.attach(e))
        }
    )*};
}

impl<'a> de::Deserializer<'a> for ColumnDeserializer<'a, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match self.value {
            ValueRef::Null => visitor.visit_unit(),
            ValueRef::Integer(i) => visitor.visit_i64(i),
            ValueRef::Real(f) => visitor.visit_f64(f),
            ValueRef::Text(_) => visitor.visit_borrowed_str(self.text()?),
            ValueRef::Blob(b) => visitor.visit_borrowed_bytes(b),
        };
        r.map_err(|e| self.attach(e))
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let i = self.integer()?;
        visitor.visit_bool(i != 0).map_err(|e| self.attach(e))
    }

    deserialize_int! {
        deserialize_i8 visit_i8 i8;
        deserialize_i16 visit_i16 i16;
        deserialize_i32 visit_i32 i32;
        deserialize_i64 visit_i64 i64;
        deserialize_i128 visit_i128 i128;
        deserialize_u8 visit_u8 u8;
        deserialize_u16 visit_u16 u16;
        deserialize_u32 visit_u32 u32;
        deserialize_u64 visit_u64 u64;
        deserialize_u128 visit_u128 u128;
    }

    fn deserialize_f32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let f = match self.value {
            ValueRef::Integer(i) => i as f32,
            ValueRef::Real(f) => f as f32,
            _ => return Err(self.invalid_type()),
        };
        visitor.visit_f32(f).map_err(|e| self.attach(e))
    }

    fn deserialize_f64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let f = match self.value {
            ValueRef::Integer(i) => i as f64,
            ValueRef::Real(f) => f,
            _ => return Err(self.invalid_type()),
        };
        visitor.visit_f64(f).map_err(|e| self.attach(e))
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.text()?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c).map_err(|e| self.attach(e)),
            _ => Err(self.failure(format!("expected a single character, got {s:?}"))),
        }
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.text()?;
        visitor.visit_borrowed_str(s).map_err(|e| self.attach(e))
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            ValueRef::Blob(b) => visitor.visit_borrowed_bytes(b).map_err(|e| self.attach(e)),
            _ => Err(self.invalid_type()),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            ValueRef::Null => visitor.visit_none().map_err(|e| self.attach(e)),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            ValueRef::Null => visitor.visit_unit().map_err(|e| self.attach(e)),
            _ => Err(self.invalid_type()),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            // A BLOB is a sequence of bytes (`Vec<u8>`, `[u8; N]`).
            ValueRef::Blob(b) => {
                let seq = de::value::SeqDeserializer::<_, DeError>::new(b.iter().copied());
                visitor.visit_seq(seq).map_err(|e| self.attach(e))
            }
            _ => from_json!(self, "a sequence", deserialize_seq(visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            ValueRef::Blob(_) => self.deserialize_seq(visitor),
            _ => from_json!(self, "a tuple", deserialize_tuple(len, visitor)),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        from_json!(
            self,
            "a tuple struct",
            deserialize_tuple_struct(name, len, visitor)
        )
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        from_json!(self, "a map", deserialize_map(visitor))
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        from_json!(self, "a struct", deserialize_struct(name, fields, visitor))
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let s = self.text()?;
        // `{"Variant": ...}` is a data-carrying variant as JSON; any other
        // text names a unit variant.
        #[cfg(feature = "serde_json")]
        if s.trim_start().starts_with('{') {
            return from_json!(self, "an enum", deserialize_enum(name, variants, visitor));
        }
        let _ = (name, variants);
        let variant = BorrowedStrDeserializer::<'a, DeError>::new(s);
        visitor.visit_enum(variant).map_err(|e| self.attach(e))
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

// ======================= Rust values into parameters =======================

/// Named parameters built by [`to_params`]: the fields of a struct (or the
/// entries of a map), each bound to the statement's parameter of the same
/// name with any prefix (`:x`, `@x` or `$x` for field `x`).
///
/// Fields no parameter uses are ignored; a named parameter no field fills
/// (or a nameless `?`) is `Error::ToSqlConversionFailure` naming it.
/// `&NamedParams` is `Params` too, to bind the same values several times.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NamedParams {
    /// Field names are borrowed for structs (`&'static str`), owned for maps.
    fields: Vec<(Cow<'static, str>, Value)>,
}

impl NamedParams {
    /// The fields and their values, in order.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(k, v)| (&**k, v))
    }

    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Binds every parameter of `stmt` from the field of the same name.
    pub(crate) fn bind_to(&self, stmt: &mut Statement<'_>, borrow: bool) -> Result<()> {
        for i in 1..=stmt.parameter_count() {
            let found = match stmt.parameter_name(i) {
                Some(param) => {
                    let field = param.strip_prefix([':', '@', '$']).unwrap_or(param);
                    self.get(field)
                        .ok_or_else(|| format!("no field named `{field}` for parameter `{param}`"))
                }
                None => Err(format!(
                    "parameter {i} is a nameless `?`; to_params fills named parameters only"
                )),
            };
            let value = found.map_err(|msg| Error::ToSqlConversionFailure(msg.into()))?;
            stmt.bind_one(i, value, borrow)?;
        }
        // Every parameter was bound afresh: nothing stale from an earlier
        // zero-copy call remains to be cleared before the next step.
        stmt.stmt.all_rebound();
        Ok(())
    }
}

/// Serializes a struct (or a map with string keys) into named parameters:
/// field `x` fills parameter `:x` (or `@x`, `$x`).
///
/// ```
/// use ferrolite::Connection;
/// use ferrolite::serde::to_params;
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct Item<'a> { sku: &'a str, qty: u32, note: Option<&'a str> }
///
/// let conn = Connection::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE item (sku TEXT, qty INTEGER, note TEXT)")?;
/// let item = Item { sku: "A-1", qty: 3, note: None };
/// conn.execute("INSERT INTO item VALUES (:sku, :qty, :note)", to_params(&item)?)?;
/// // Unused fields are fine: only :sku is needed here.
/// let qty: u32 = conn.query_row("SELECT qty FROM item WHERE sku = :sku", to_params(&item)?, |r| r.get(0))?;
/// assert_eq!(qty, 3);
/// # Ok::<(), ferrolite::Error>(())
/// ```
///
/// # Errors
/// `ToSqlConversionFailure` when `value` is not a struct or map, a map key
/// is not a string, an integer does not fit `i64`, or a field holds nested
/// data (a sequence, map, struct or data-carrying enum variant) without
/// feature `serde_json`, which stores those as JSON text.
pub fn to_params<T: Serialize + ?Sized>(value: &T) -> Result<NamedParams> {
    value
        .serialize(ParamsSerializer)
        .map_err(|e| Error::ToSqlConversionFailure(e.0.into()))
}

/// The serializer's error: a message.
#[derive(Debug)]
struct SerError(String);

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

#[cold]
fn not_a_struct(what: &str) -> SerError {
    SerError(format!(
        "to_params needs a struct or a map with string keys, not {what}"
    ))
}

/// The top level: a struct or a map.
struct ParamsSerializer;

macro_rules! refuse {
    ($($method:ident($($arg:ty),*) $what:literal;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<NamedParams, SerError> {
            Err(not_a_struct($what))
        }
    )*};
}

impl ser::Serializer for ParamsSerializer {
    type Ok = NamedParams;
    type Error = SerError;
    type SerializeSeq = Impossible<NamedParams, SerError>;
    type SerializeTuple = Impossible<NamedParams, SerError>;
    type SerializeTupleStruct = Impossible<NamedParams, SerError>;
    type SerializeTupleVariant = Impossible<NamedParams, SerError>;
    type SerializeMap = FieldCollector;
    type SerializeStruct = FieldCollector;
    type SerializeStructVariant = Impossible<NamedParams, SerError>;

    refuse! {
        serialize_bool(bool) "a bool";
        serialize_i8(i8) "an integer";
        serialize_i16(i16) "an integer";
        serialize_i32(i32) "an integer";
        serialize_i64(i64) "an integer";
        serialize_u8(u8) "an integer";
        serialize_u16(u16) "an integer";
        serialize_u32(u32) "an integer";
        serialize_u64(u64) "an integer";
        serialize_f32(f32) "a float";
        serialize_f64(f64) "a float";
        serialize_char(char) "a char";
        serialize_str(&str) "a string";
        serialize_bytes(&[u8]) "bytes";
        serialize_none() "None";
        serialize_unit() "()";
        serialize_unit_struct(&'static str) "a unit struct";
        serialize_unit_variant(&'static str, u32, &'static str) "an enum";
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<NamedParams, SerError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<NamedParams, SerError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<NamedParams, SerError> {
        Err(not_a_struct("an enum"))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        Err(not_a_struct("a sequence"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, SerError> {
        Err(not_a_struct("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, SerError> {
        Err(not_a_struct("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        Err(not_a_struct("an enum"))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<FieldCollector, SerError> {
        Ok(FieldCollector::with_capacity(len.unwrap_or(0)))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<FieldCollector, SerError> {
        Ok(FieldCollector::with_capacity(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        Err(not_a_struct("an enum"))
    }
}

/// Collects `(field, value)` pairs.
struct FieldCollector {
    params: NamedParams,
    pending_key: Option<Cow<'static, str>>,
}

impl FieldCollector {
    fn with_capacity(n: usize) -> FieldCollector {
        FieldCollector {
            params: NamedParams {
                fields: Vec::with_capacity(n),
            },
            pending_key: None,
        }
    }

    fn push<T: Serialize + ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: &T,
    ) -> Result<(), SerError> {
        let v = field_value(&key, value)?;
        self.params.fields.push((key, v));
        Ok(())
    }
}

impl ser::SerializeStruct for FieldCollector {
    type Ok = NamedParams;
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        self.push(Cow::Borrowed(key), value)
    }

    /// A field skipped at run time (`skip_serializing_if`) binds NULL, so
    /// `#[serde(skip_serializing_if = "Option::is_none")]` stays usable.
    fn skip_field(&mut self, key: &'static str) -> Result<(), SerError> {
        self.params.fields.push((Cow::Borrowed(key), Value::Null));
        Ok(())
    }

    fn end(self) -> Result<NamedParams, SerError> {
        Ok(self.params)
    }
}

impl ser::SerializeMap for FieldCollector {
    type Ok = NamedParams;
    type Error = SerError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        match field_value("(map key)", key)? {
            Value::Text(k) => {
                self.pending_key = Some(Cow::Owned(k));
                Ok(())
            }
            _ => Err(SerError("to_params needs map keys that are strings".into())),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| SerError("map value without a key".into()))?;
        self.push(key, value)
    }

    fn end(self) -> Result<NamedParams, SerError> {
        Ok(self.params)
    }
}

/// One field's value: a scalar directly, nested data as JSON text.
fn field_value<T: Serialize + ?Sized>(field: &str, value: &T) -> Result<Value, SerError> {
    match value.serialize(ValueSerializer) {
        Ok(v) => Ok(v),
        Err(ValueError::Nested) => nested_as_json(field, value),
        Err(ValueError::Other(msg)) => Err(SerError(format!("field `{field}`: {msg}"))),
    }
}

#[cfg(feature = "serde_json")]
fn nested_as_json<T: Serialize + ?Sized>(field: &str, value: &T) -> Result<Value, SerError> {
    serde_json::to_string(value)
        .map(Value::Text)
        .map_err(|e| SerError(format!("field `{field}`: {e}")))
}

#[cfg(not(feature = "serde_json"))]
fn nested_as_json<T: Serialize + ?Sized>(field: &str, _value: &T) -> Result<Value, SerError> {
    Err(SerError(format!(
        "field `{field}` holds nested data, which is stored as JSON text \
         with ferrolite's `serde_json` feature"
    )))
}

/// Why a value is not a scalar.
#[derive(Debug)]
enum ValueError {
    /// A sequence, map, struct or data-carrying variant.
    Nested,
    Other(String),
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::Nested => f.write_str("nested data"),
            ValueError::Other(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for ValueError {}

impl ser::Error for ValueError {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueError::Other(msg.to_string())
    }
}

/// A scalar into a [`Value`].
struct ValueSerializer;

#[cold]
fn too_big(v: impl fmt::Display) -> ValueError {
    ValueError::Other(format!(
        "{v} does not fit in SQLite's 64-bit signed INTEGER"
    ))
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = Impossible<Value, ValueError>;
    type SerializeTuple = Impossible<Value, ValueError>;
    type SerializeTupleStruct = Impossible<Value, ValueError>;
    type SerializeTupleVariant = Impossible<Value, ValueError>;
    type SerializeMap = Impossible<Value, ValueError>;
    type SerializeStruct = Impossible<Value, ValueError>;
    type SerializeStructVariant = Impossible<Value, ValueError>;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::Integer(i64::from(v)))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        Ok(Value::Integer(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        Ok(Value::Integer(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        Ok(Value::Integer(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::Integer(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, ValueError> {
        i64::try_from(v).map(Value::Integer).map_err(|_| too_big(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        Ok(Value::Integer(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        Ok(Value::Integer(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        Ok(Value::Integer(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        i64::try_from(v).map(Value::Integer).map_err(|_| too_big(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, ValueError> {
        i64::try_from(v).map(Value::Integer).map_err(|_| too_big(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        Ok(Value::Real(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        Ok(Value::Real(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::Text(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(Value::Text(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::Blob(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ValueError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(Value::Text(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Value, ValueError> {
        Err(ValueError::Nested)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, ValueError> {
        Err(ValueError::Nested)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, ValueError> {
        Err(ValueError::Nested)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, ValueError> {
        Err(ValueError::Nested)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Err(ValueError::Nested)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, ValueError> {
        Err(ValueError::Nested)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, ValueError> {
        Err(ValueError::Nested)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Err(ValueError::Nested)
    }
}

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
