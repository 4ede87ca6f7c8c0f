//! A connection (and the FTS5 tables holding its tokenizers) can move to
//! another thread, so a tokenizer must be `Send`.
use std::rc::Rc;

use ferrolite::fts5::{TokenSink, TokenizeReason, Tokenizer};
use ferrolite::Result;

struct Shared(Rc<String>);

impl Tokenizer for Shared {
    fn tokenize(&mut self, _: TokenizeReason, text: &str, sink: &mut TokenSink<'_>) -> Result<()> {
        sink.push(&self.0, 0..text.len())
    }
}

fn main() {}
