//! SQL names (schemas, tables, functions, collations, savepoints) without
//! allocating for short names.

use std::ffi::{CStr, CString};
use std::fmt;
use std::ops::Deref;

use crate::Result;
use crate::raw::SmallCString;

/// The `main` schema, as a [`Name`] (a C string, as in rusqlite). For the
/// `pragma_*` methods, whose schema is an `Option<&str>`, write `None` or
/// `Some("main")`.
pub const MAIN_DB: &CStr = c"main";
/// The `temp` schema, as a [`Name`].
pub const TEMP_DB: &CStr = c"temp";

/// A NUL-terminated name ready for SQLite: borrowed, or a short copy.
#[derive(Debug)]
pub enum Named<'a> {
    /// A short copy on the stack.
    Small(SmallCString),
    /// Borrowed from the caller.
    C(&'a CStr),
}

impl Deref for Named<'_> {
    type Target = CStr;
    #[inline]
    fn deref(&self) -> &CStr {
        match self {
            Named::Small(s) => s.as_cstr(),
            Named::C(c) => c,
        }
    }
}

impl fmt::Debug for SmallCString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_cstr().fmt(f)
    }
}

/// A type usable as an SQL name: `&str`, `String`, `&CStr` (`c"main"`) or
/// `CString`. A Rust string with an interior NUL is `Error::NulError`.
pub trait Name: fmt::Debug {
    /// The name as a C string.
    ///
    /// # Errors
    /// [`Error::NulError`](crate::Error::NulError) for an interior NUL.
    fn as_cstr(&self) -> Result<Named<'_>>;
}

impl Name for &str {
    #[inline]
    fn as_cstr(&self) -> Result<Named<'_>> {
        Ok(Named::Small(SmallCString::new(self)?))
    }
}

impl Name for String {
    #[inline]
    fn as_cstr(&self) -> Result<Named<'_>> {
        Ok(Named::Small(SmallCString::new(self)?))
    }
}

impl Name for &String {
    #[inline]
    fn as_cstr(&self) -> Result<Named<'_>> {
        Ok(Named::Small(SmallCString::new(self)?))
    }
}

impl Name for &CStr {
    #[inline]
    fn as_cstr(&self) -> Result<Named<'_>> {
        Ok(Named::C(self))
    }
}

impl Name for CString {
    #[inline]
    fn as_cstr(&self) -> Result<Named<'_>> {
        Ok(Named::C(self.as_c_str()))
    }
}

impl Name for &CString {
    #[inline]
    fn as_cstr(&self) -> Result<Named<'_>> {
        Ok(Named::C(self.as_c_str()))
    }
}

/// A schema name as rusqlite before 0.37 spelled it. Kept so code written
/// for those versions compiles (with a warning); it works wherever a
/// [`Name`] is taken.
#[deprecated(
    note = "use `ferrolite::MAIN_DB` for `DatabaseName::Main`, `ferrolite::TEMP_DB` for \
            `DatabaseName::Temp`, and the name itself (a `&str`) for \
            `DatabaseName::Attached(name)`; where an `Option<&str>` is taken (the \
            `pragma_*` methods) write `Some(\"main\")` or `None`"
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseName<'a> {
    /// The `main` schema: [`MAIN_DB`].
    Main,
    /// The `temp` schema: [`TEMP_DB`].
    Temp,
    /// An attached database, by the name given to `ATTACH`.
    Attached(&'a str),
}

#[allow(deprecated)]
impl Name for DatabaseName<'_> {
    #[inline]
    fn as_cstr(&self) -> Result<Named<'_>> {
        match *self {
            DatabaseName::Main => Ok(Named::C(MAIN_DB)),
            DatabaseName::Temp => Ok(Named::C(TEMP_DB)),
            DatabaseName::Attached(s) => Ok(Named::Small(SmallCString::new(s)?)),
        }
    }
}

/// Quotes `name` as an SQL identifier: `"` + name with `"` doubled + `"`.
/// Used wherever a name must be spliced into SQL text.
pub(crate) fn quote_identifier(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_quotes() {
        assert_eq!(quote_identifier("a"), "\"a\"");
        assert_eq!(
            quote_identifier("a\"; DROP TABLE t; --"),
            "\"a\"\"; DROP TABLE t; --\""
        );
    }

    #[test]
    fn names_convert() {
        assert_eq!(&*"main".as_cstr().unwrap(), c"main");
        assert_eq!(&*String::from("x").as_cstr().unwrap(), c"x");
        assert_eq!(&*MAIN_DB.as_cstr().unwrap(), c"main");
        assert_eq!(&*TEMP_DB.as_cstr().unwrap(), c"temp");
        assert!("a\0b".as_cstr().is_err());
        // rusqlite's type: a `&CStr`.
        let main: &CStr = MAIN_DB;
        assert_eq!(main.to_str(), Ok("main"));
    }

    #[test]
    #[allow(deprecated)]
    fn database_name_converts() {
        assert_eq!(&*DatabaseName::Main.as_cstr().unwrap(), c"main");
        assert_eq!(&*DatabaseName::Temp.as_cstr().unwrap(), c"temp");
        assert_eq!(&*DatabaseName::Attached("aux").as_cstr().unwrap(), c"aux");
        assert!(DatabaseName::Attached("a\0b").as_cstr().is_err());
    }
}
