//! `filter`'s arguments live for the call only: a cursor can't keep a
//! borrowed value (a `ValueRef` into SQLite's memory) for later rows.
use std::borrow::Cow;
use std::ffi::{CStr, c_int};

use ferrolite::types::ValueRef;
use ferrolite::vtab::{Context, Filters, IndexInfo, VTab, VTabConnection, VTabCursor};
use ferrolite::Result;

struct Tab;

struct Cur<'vtab> {
    arg: Option<ValueRef<'vtab>>,
}

impl<'vtab> VTab<'vtab> for Tab {
    type Aux = ();
    type Cursor = Cur<'vtab>;
    fn connect(
        _: &mut VTabConnection,
        _: Option<&()>,
        _: &[u8],
        _: &[u8],
        _: &[u8],
        _: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)> {
        Ok((c"CREATE TABLE x(a)".into(), Tab))
    }
    fn best_index(&self, _: &mut IndexInfo) -> Result<bool> {
        Ok(true)
    }
    fn open(&'vtab self) -> Result<Cur<'vtab>> {
        Ok(Cur { arg: None })
    }
}

impl<'vtab> VTabCursor for Cur<'vtab> {
    fn filter(&mut self, _: c_int, _: Option<&str>, args: &Filters<'_>) -> Result<()> {
        self.arg = args.get_raw(0);
        Ok(())
    }
    fn next(&mut self) -> Result<()> {
        Ok(())
    }
    fn eof(&self) -> bool {
        true
    }
    fn column(&self, ctx: &mut Context, _: c_int) -> Result<()> {
        ctx.set_result(self.arg)
    }
    fn rowid(&self) -> Result<i64> {
        Ok(0)
    }
}

fn main() {}
