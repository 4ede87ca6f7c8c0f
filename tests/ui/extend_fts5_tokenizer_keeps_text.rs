//! The text a tokenizer is given, and its `TokenSink`, last only for one
//! call of `tokenize`: a tokenizer can't keep them.
use ferrolite::fts5::{TokenSink, TokenizeReason, Tokenizer};
use ferrolite::Result;

struct Keeper {
    last: Option<&'static str>,
}

impl Tokenizer for Keeper {
    fn tokenize(&mut self, _: TokenizeReason, text: &str, _sink: &mut TokenSink<'_>) -> Result<()> {
        self.last = Some(text);
        Ok(())
    }
}

fn main() {}
