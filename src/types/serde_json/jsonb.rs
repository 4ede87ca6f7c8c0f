//! A decoder for SQLite's binary JSON, JSONB (what `jsonb()` returns),
//! following the format described at <https://sqlite.org/jsonb.html>.
//!
//! Every element is a header — the low nibble of its first byte is the
//! type, the high nibble the payload size or, for 12..=15, how many
//! big-endian bytes (1, 2, 4, 8) after it hold the size — then the payload.
//! The decoder checks every length against the input and limits nesting,
//! so any byte string gives `Some(value)` or `None`, never a panic.

use serde_json::{Map, Number, Value};

/// SQLite's own nesting limit for JSON (`JSON_MAX_DEPTH`).
const MAX_DEPTH: usize = 1000;

/// Decodes a whole JSONB blob; `None` unless it is exactly one valid element.
///
/// Iterative, with the open arrays and objects on a heap stack, so deep
/// nesting can't overflow the thread's stack.
pub(super) fn decode(b: &[u8]) -> Option<Value> {
    let mut stack: Vec<Open> = Vec::new();
    let mut pos = 0;
    loop {
        let limit = stack.last().map_or(b.len(), |o| o.end);
        let value = if stack.last().is_some_and(|o| pos == o.end) {
            match stack.pop()? {
                Open {
                    kind: Kind::Array(items),
                    ..
                } => Value::Array(items),
                Open {
                    kind: Kind::Object(map, None),
                    ..
                } => Value::Object(map),
                Open {
                    kind: Kind::Object(_, Some(_)),
                    ..
                } => return None, // label without value
            }
        } else {
            let (ty, header, size) = header(b.get(pos..limit)?)?;
            let start = pos + header;
            let end = start.checked_add(size)?;
            if end > limit {
                return None;
            }
            if ty == 11 || ty == 12 {
                if stack.len() >= MAX_DEPTH {
                    return None;
                }
                let kind = if ty == 11 {
                    Kind::Array(Vec::new())
                } else {
                    Kind::Object(Map::new(), None)
                };
                stack.push(Open { kind, end });
                pos = start;
                continue;
            }
            pos = end;
            scalar(ty, &b[start..end])?
        };
        match stack.last_mut() {
            None => return (pos == b.len()).then_some(value),
            Some(Open {
                kind: Kind::Array(items),
                ..
            }) => items.push(value),
            Some(Open {
                kind: Kind::Object(map, key),
                ..
            }) => match key.take() {
                Some(k) => {
                    map.insert(k, value);
                }
                None => match value {
                    Value::String(k) => *key = Some(k),
                    _ => return None, // labels are text
                },
            },
        }
    }
}

/// An array or object being decoded, ending at byte `end`.
struct Open {
    kind: Kind,
    end: usize,
}

enum Kind {
    Array(Vec<Value>),
    /// The map so far and a label waiting for its value.
    Object(Map<String, Value>, Option<String>),
}

/// A non-container element of type `ty` with this payload.
fn scalar(ty: u8, payload: &[u8]) -> Option<Value> {
    let text = || std::str::from_utf8(payload).ok();
    Some(match ty {
        0 if payload.is_empty() => Value::Null,
        1 if payload.is_empty() => Value::Bool(true),
        2 if payload.is_empty() => Value::Bool(false),
        3 | 5 => number(text()?)?,
        4 => Value::Number(int5(text()?)?),
        6 => float5(text()?)?,
        7 | 10 => Value::String(text()?.to_owned()),
        8 => Value::String(unescape(text()?, false)?),
        9 => Value::String(unescape(text()?, true)?),
        _ => return None, // reserved types, or a payload on null/true/false
    })
}

/// `(type, header length, payload size)`.
fn header(b: &[u8]) -> Option<(u8, usize, usize)> {
    let first = *b.first()?;
    let ty = first & 0x0f;
    let (header, size) = match first >> 4 {
        n @ 0..=11 => (1, u64::from(n)),
        12 => (2, u64::from(*b.get(1)?)),
        13 => (
            3,
            u64::from(u16::from_be_bytes(b.get(1..3)?.try_into().ok()?)),
        ),
        14 => (
            5,
            u64::from(u32::from_be_bytes(b.get(1..5)?.try_into().ok()?)),
        ),
        _ => (9, u64::from_be_bytes(b.get(1..9)?.try_into().ok()?)),
    };
    Some((ty, header, usize::try_from(size).ok()?))
}

/// A JSON number literal (INT or FLOAT).
fn number(s: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(s).ok()? {
        v @ Value::Number(_) => Some(v),
        _ => None,
    }
}

/// A JSON5 integer: optionally signed, decimal or `0x` hexadecimal.
fn int5(s: &str) -> Option<Number> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<u64>().ok()?,
    };
    if negative {
        let v = 0i64.checked_sub_unsigned(magnitude)?;
        Some(Number::from(v))
    } else {
        Some(Number::from(magnitude))
    }
}

/// A JSON5 float: a leading `+`, a leading or trailing `.`, hexadecimal
/// integers; `Infinity` and `NaN` have no JSON value.
fn float5(s: &str) -> Option<Value> {
    let t = s.strip_prefix('+').unwrap_or(s);
    if let Some(n) = int5(t) {
        return Some(Value::Number(n));
    }
    let f: f64 = t.parse().ok()?; // Rust accepts ".5", "5.", "-.5"
    Number::from_f64(f).map(Value::Number)
}

/// The contents of a JSON string (TEXTJ) or, with `json5`, a JSON5 string
/// (TEXT5: also `\'`, `\v`, `\0`, `\xHH` and escaped line breaks).
fn unescape(s: &str, json5: bool) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        match e {
            '"' | '\\' | '/' => out.push(e),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let hi = hex4(&mut chars)?;
                let c = if (0xD800..0xDC00).contains(&hi) {
                    // A surrogate pair: `\uD83D\uDE00`.
                    if chars.next()? != '\\' || chars.next()? != 'u' {
                        return None;
                    }
                    let lo = hex4(&mut chars)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                } else {
                    char::from_u32(hi)?
                };
                out.push(c);
            }
            '\'' if json5 => out.push('\''),
            'v' if json5 => out.push('\u{b}'),
            '0' if json5 => out.push('\0'),
            'x' if json5 => {
                let h = chars.next()?.to_digit(16)?;
                let l = chars.next()?.to_digit(16)?;
                out.push(char::from_u32(h * 16 + l)?);
            }
            // Line continuations: the escaped line break disappears.
            '\n' | '\u{2028}' | '\u{2029}' if json5 => {}
            '\r' if json5 => {
                let mut look = chars.clone();
                if look.next() == Some('\n') {
                    chars = look;
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_scalars() {
        assert_eq!(decode(&[0x00]), Some(Value::Null));
        assert_eq!(decode(&[0x01]), Some(Value::Bool(true)));
        assert_eq!(decode(&[0x02]), Some(Value::Bool(false)));
        assert_eq!(decode(b"\x133"), Some(Value::from(3)));
        assert_eq!(decode(b"\x440x1F"), Some(Value::from(31)));
        assert_eq!(decode(b"\x45-2.5"), Some(Value::from(-2.5)));
        assert_eq!(decode(b"\x27ab"), Some(Value::from("ab")));
        assert_eq!(decode(b"\x48a\\nb"), Some(Value::from("a\nb")));
        // The 1-byte size form.
        let mut long = vec![0xc7, 20];
        long.extend_from_slice(&[b'x'; 20]);
        assert_eq!(decode(&long), Some(Value::from("x".repeat(20))));
    }

    #[test]
    fn malformed_blobs_are_none() {
        for bad in [
            &b""[..],
            &[0x0d],                                                 // reserved type
            &[0x10, 0],                                              // null with a payload
            &[0x53, b'1'],                                           // payload past the end
            &[0xc3],                                                 // size byte missing
            &[0xf3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // huge size
            b"\x13x",                                                // not a number
            b"\x00\x00",                                             // trailing bytes
            b"\x2b\x23\x31", // array whose element overruns it
            b"\x2c\x13\x31", // object label that is not text
            b"\x28\\q",      // bad escape
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
        // Deep nesting is refused, not a stack overflow.
        let mut deep = vec![0x0b];
        for _ in 0..5000 {
            let mut outer = vec![0xeb];
            outer.extend_from_slice(&(deep.len() as u32).to_be_bytes());
            outer.extend_from_slice(&deep);
            deep = outer;
        }
        assert_eq!(decode(&deep), None);
    }
}
