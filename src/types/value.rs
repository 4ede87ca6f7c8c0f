use super::{Null, Type, ValueRef};

/// An owned SQLite value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// NULL
    Null,
    /// INTEGER
    Integer(i64),
    /// REAL
    Real(f64),
    /// TEXT
    Text(String),
    /// BLOB
    Blob(Vec<u8>),
}

impl Value {
    /// The storage class of this value.
    #[inline]
    pub fn data_type(&self) -> Type {
        match self {
            Value::Null => Type::Null,
            Value::Integer(_) => Type::Integer,
            Value::Real(_) => Type::Real,
            Value::Text(_) => Type::Text,
            Value::Blob(_) => Type::Blob,
        }
    }

    /// Borrows this value as a [`ValueRef`].
    #[inline]
    pub fn as_ref(&self) -> ValueRef<'_> {
        ValueRef::from(self)
    }
}

impl From<Null> for Value {
    #[inline]
    fn from(_: Null) -> Value {
        Value::Null
    }
}
impl From<bool> for Value {
    #[inline]
    fn from(b: bool) -> Value {
        Value::Integer(i64::from(b))
    }
}
macro_rules! from_int {
    ($($t:ty)*) => {$(
        impl From<$t> for Value {
            #[inline]
            fn from(i: $t) -> Value { Value::Integer(i64::from(i)) }
        }
    )*};
}
from_int!(i8 i16 i32 i64 u8 u16 u32);

impl From<isize> for Value {
    /// `isize` is at most 64 bits on every platform Rust supports.
    #[inline]
    fn from(i: isize) -> Value {
        Value::Integer(i as i64)
    }
}
impl From<f32> for Value {
    #[inline]
    fn from(f: f32) -> Value {
        Value::Real(f64::from(f))
    }
}
impl From<f64> for Value {
    #[inline]
    fn from(f: f64) -> Value {
        Value::Real(f)
    }
}
impl From<String> for Value {
    #[inline]
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}
impl From<&str> for Value {
    #[inline]
    fn from(s: &str) -> Value {
        Value::Text(s.to_owned())
    }
}
impl From<Vec<u8>> for Value {
    #[inline]
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    #[inline]
    fn from(v: Option<T>) -> Value {
        match v {
            Some(x) => x.into(),
            None => Value::Null,
        }
    }
}
