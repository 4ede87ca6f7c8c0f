//! SQL names (schemas, tables, functions, collations, savepoints) without
//! allocating for short names.

use std::ffi::{CStr, CString};
use std::fmt;
use std::ops::Deref;

use crate::Result;
use crate::raw::SmallCString;

/// The `main` schema: a [`Name`], and a `&str` where one is taken
/// (`Some(MAIN_DB)` for the `pragma_*` methods' `Option<&str>`).
pub const MAIN_DB: &SchemaName = &SchemaName {
    c: c"main",
    s: "main",
};
/// The `temp` schema: a [`Name`], and a `&str` where one is taken.
pub const TEMP_DB: &SchemaName = &SchemaName {
    c: c"temp",
    s: "temp",
};

/// The type of [`MAIN_DB`] and [`TEMP_DB`]: a built-in schema name that
/// works as a [`Name`] (every API taking a schema), derefs to `str` (so
/// `Some(MAIN_DB)` fits an `Option<&str>`, as the `pragma_*` methods take)
/// and gives its C string with [`as_c_str`](Self::as_c_str).
///
/// rusqlite's `MAIN_DB` is a `&CStr`; code that used it as a `&CStr`
/// value rather than as a `Name` writes `MAIN_DB.as_c_str()`.
pub struct SchemaName {
    c: &'static CStr,
    s: &'static str,
}

impl SchemaName {
    /// The name as a C string (`c"main"`).
    #[inline]
    pub const fn as_c_str(&self) -> &'static CStr {
        self.c
    }

    /// The name as a string (`"main"`).
    #[inline]
    pub const fn as_str(&self) -> &'static str {
        self.s
    }

    /// As [`CStr::to_str`], for code written when `MAIN_DB` was a `&CStr`:
    /// always `Ok`.
    ///
    /// # Errors
    /// None: the built-in names are ASCII.
    #[inline]
    pub const fn to_str(&self) -> std::result::Result<&'static str, std::str::Utf8Error> {
        Ok(self.s)
    }

    /// As [`CStr::to_bytes`]: the bytes without the NUL.
    #[inline]
    pub const fn to_bytes(&self) -> &'static [u8] {
        self.s.as_bytes()
    }

    /// As [`CStr::to_bytes_with_nul`].
    #[inline]
    pub const fn to_bytes_with_nul(&self) -> &'static [u8] {
        self.c.to_bytes_with_nul()
    }

    /// As [`CStr::as_ptr`]: the NUL-terminated name (this shadows `str`'s
    /// `as_ptr`, so the pointer is the C string's, as it was).
    #[inline]
    pub const fn as_ptr(&self) -> *const std::ffi::c_char {
        self.c.as_ptr()
    }
}

impl Deref for SchemaName {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.s
    }
}

impl AsRef<str> for SchemaName {
    #[inline]
    fn as_ref(&self) -> &str {
        self.s
    }
}

impl AsRef<CStr> for SchemaName {
    #[inline]
    fn as_ref(&self) -> &CStr {
        self.c
    }
}

impl fmt::Debug for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.s.fmt(f)
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.s)
    }
}

impl PartialEq<str> for SchemaName {
    fn eq(&self, other: &str) -> bool {
        self.s == other
    }
}

impl PartialEq<&str> for SchemaName {
    fn eq(&self, other: &&str) -> bool {
        self.s == *other
    }
}

impl PartialEq<CStr> for SchemaName {
    fn eq(&self, other: &CStr) -> bool {
        self.c == other
    }
}

impl PartialEq<&CStr> for SchemaName {
    fn eq(&self, other: &&CStr) -> bool {
        self.c == *other
    }
}

impl Name for &SchemaName {
    #[inline]
    fn as_cstr(&self) -> Result<Named<'_>> {
        Ok(Named::C(self.c))
    }
}

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
            DatabaseName::Main => Ok(Named::C(MAIN_DB.as_c_str())),
            DatabaseName::Temp => Ok(Named::C(TEMP_DB.as_c_str())),
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
        assert_eq!(MAIN_DB.as_c_str(), c"main");
        assert_eq!(TEMP_DB.as_str(), "temp");
        assert_eq!(MAIN_DB.to_str(), Ok("main"));
        assert_eq!(MAIN_DB.to_bytes_with_nul(), b"main\0");
        assert_eq!(TEMP_DB.to_bytes(), b"temp");
        assert_eq!(MAIN_DB.as_ptr(), MAIN_DB.as_c_str().as_ptr());
        assert_eq!(*MAIN_DB, *"main");
        assert!(*MAIN_DB == c"main");
        assert_eq!(format!("{MAIN_DB} {TEMP_DB:?}"), "main \"temp\"");
        let as_str: Option<&str> = Some(MAIN_DB);
        assert_eq!(as_str, Some("main"));
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
