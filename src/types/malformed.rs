//! The error of a stored value that has the right storage class but is not
//! a valid value of the Rust type (`time`, `jiff`, `uuid` text): it quotes
//! the value, names the type, and keeps the parsing crate's own error as
//! its `source()`.

use std::error::Error as StdError;
use std::fmt;

use super::FromSqlError;

/// How much of a long stored text the message quotes.
const QUOTE_MAX: usize = 64;

/// `"2016-13-01" is not a valid time::Date: <the parser's reason>`.
#[derive(Debug)]
pub(crate) struct Malformed {
    /// The value as the message shows it: text quoted (and cut at
    /// [`QUOTE_MAX`] bytes), an integer as is.
    value: String,
    target: &'static str,
    source: Box<dyn StdError + Send + Sync + 'static>,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not a valid {}: {}",
            self.value, self.target, self.source
        )
    }
}

impl StdError for Malformed {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

/// A stored text that `target` can't be parsed from.
#[cold]
pub(crate) fn text<E>(text: &str, target: &'static str, source: E) -> FromSqlError
where
    E: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    let value = if text.len() > QUOTE_MAX {
        let mut cut = QUOTE_MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{:?}…", &text[..cut])
    } else {
        format!("{text:?}")
    };
    FromSqlError::Other(Box::new(Malformed {
        value,
        target,
        source: source.into(),
    }))
}

/// A stored INTEGER outside the range `target` can represent.
#[cold]
pub(crate) fn integer<E>(value: i64, target: &'static str, source: E) -> FromSqlError
where
    E: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    FromSqlError::Other(Box::new(Malformed {
        value: format!("integer {value}"),
        target,
        source: source.into(),
    }))
}
