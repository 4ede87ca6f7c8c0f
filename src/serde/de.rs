//! Rows into `Deserialize` types: [`from_row`], [`Statement::query_deserialize`]
//! and its iterator [`DeserializeRows`], and the row and column deserializers.

use std::cell::{Cell, Ref, RefCell};
use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;

use ::serde::de::value::BorrowedStrDeserializer;
use ::serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::types::{Type, ValueRef};
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
/// docs](crate::serde).
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
