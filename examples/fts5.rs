//! FTS5 from Rust: a tokenizer that folds accents, so that "cafe" finds
//! "Café", and a `highlight` auxiliary function written in Rust that marks
//! the matched words using the phrase instances and the tokenizer's byte
//! ranges.
//!
//! Run with `cargo run --example fts5`.

use std::ops::Range;

use ferrolite::fts5::{Fts5Context, TokenSink, TokenizeReason, Tokenizer};
use ferrolite::types::ValueRef;
use ferrolite::{Connection, Error, Result};

/// The unaccented lower-case letter for the common Latin-1 letters (a
/// hand-written table: no Unicode normalisation crate needed).
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        c => c.to_lowercase().next().unwrap_or(c),
    }
}

/// Words are runs of alphanumeric characters; each is pushed folded, with
/// the byte range of the original word. The table may set a minimum word
/// length: `tokenize='fold 2'` skips one-letter words.
struct FoldTokenizer {
    min_chars: usize,
}

impl Tokenizer for FoldTokenizer {
    fn tokenize(
        &mut self,
        _reason: TokenizeReason,
        text: &str,
        sink: &mut TokenSink<'_>,
    ) -> Result<()> {
        let mut word = String::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            if c.is_alphanumeric() {
                start.get_or_insert(i);
                word.push(fold(c));
            } else if let Some(s) = start.take() {
                if word.chars().count() >= self.min_chars {
                    sink.push(&word, s..i)?;
                }
                word.clear();
            }
        }
        Ok(())
    }
}

/// `rust_highlight(table, column, open, close)`: the column's text with
/// every matched phrase wrapped in `open` … `close`.
fn highlight(ctx: &Fts5Context<'_>, args: &[ValueRef<'_>]) -> Result<String> {
    let (col, open, close) = match args {
        [
            ValueRef::Integer(col),
            ValueRef::Text(open),
            ValueRef::Text(close),
        ] => (
            usize::try_from(*col).map_err(|_| Error::InvalidColumnIndex(0))?,
            String::from_utf8_lossy(open),
            String::from_utf8_lossy(close),
        ),
        _ => {
            return Err(Error::UserFunctionError(
                "usage: rust_highlight(table, column, open, close)".into(),
            ));
        }
    };
    let text = ctx.column_text(col)?;

    // Token spans (first, last) of the phrase instances in this column,
    // merged where they touch.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for i in 0..ctx.inst_count()? {
        let inst = ctx.inst(i)?;
        if inst.column != col {
            continue;
        }
        let last = inst.offset + ctx.phrase_size(inst.phrase)?.max(1) - 1;
        match spans.last_mut() {
            Some(span) if inst.offset <= span.1 + 1 => span.1 = span.1.max(last),
            _ => spans.push((inst.offset, last)),
        }
    }

    // Byte ranges of those spans, from the table's own tokenizer.
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut position = 0;
    ctx.tokenize(text, |token| {
        if token.colocated {
            return Ok(());
        }
        for &(first, last) in &spans {
            if position == first {
                ranges.push(token.range.clone());
            }
            if position == last {
                if let Some(r) = ranges.last_mut() {
                    r.end = token.range.end;
                }
            }
        }
        position += 1;
        Ok(())
    })?;

    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in ranges {
        out.push_str(&text[at..r.start]);
        out.push_str(&open);
        out.push_str(&text[r.clone()]);
        out.push_str(&close);
        at = r.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

fn main() -> Result<()> {
    let conn = Connection::open_in_memory()?;

    conn.create_fts5_tokenizer("fold", |args: &[&str]| {
        let min_chars = match args {
            [] => 1,
            [n] => n.parse().map_err(|_| {
                Error::UserFunctionError(format!("fold: {n:?} is not a word length").into())
            })?,
            _ => {
                return Err(Error::UserFunctionError(
                    "fold takes at most one argument".into(),
                ));
            }
        };
        Ok(FoldTokenizer { min_chars })
    })?;
    conn.create_fts5_function("rust_highlight", highlight)?;

    conn.execute_batch(
        "CREATE VIRTUAL TABLE menu USING fts5(dish, notes, tokenize='fold 2');
         INSERT INTO menu VALUES
           ('Crème brûlée', 'Vanilla custard, caramelised sugar on top'),
           ('Café liégeois', 'Iced coffee with whipped CRÈME chantilly'),
           ('Smørrebrød', 'Open sandwich: rye bread, butter and a topping'),
           ('Piña colada sorbet', 'Pineapple and coconut, no café here');",
    )?;

    for query in ["creme", "cafe", "smorrebrod", "\"whipped creme\"", "pin*"] {
        println!("MATCH {query}:");
        let mut stmt = conn.prepare(
            "SELECT rust_highlight(menu, 0, '[', ']'), rust_highlight(menu, 1, '[', ']')
             FROM menu WHERE menu MATCH ?1 ORDER BY rank",
        )?;
        let mut rows = stmt.query([query])?;
        while let Some(row) = rows.next()? {
            let (dish, notes): (String, String) = (row.get(0)?, row.get(1)?);
            println!("  {dish:<22} {notes}");
        }
    }

    // Errors stay errors: a bad tokenizer argument fails the CREATE.
    let err = conn
        .execute_batch("CREATE VIRTUAL TABLE bad USING fts5(x, tokenize='fold many')")
        .unwrap_err();
    println!("tokenize='fold many': {err}");
    Ok(())
}
