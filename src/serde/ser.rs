//! `Serialize` types into statement parameters: [`to_params`] and
//! [`NamedParams`].

use std::borrow::Cow;
use std::fmt;

use ::serde::ser::{self, Impossible, Serialize};

use crate::types::Value;
use crate::{Error, Result, Statement};

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
