//! A cursor type that implements `VTabCursor` only when it borrows its
//! table for `'static` can't be the cursor of a table usable for every
//! `'vtab`.
use std::borrow::Cow;
use std::ffi::{CStr, c_int};

use ferrolite::vtab::{Context, Filters, IndexInfo, VTab, VTabConnection, VTabCursor};
use ferrolite::Result;

struct Tab(i64);

struct Cur<'vtab>(&'vtab Tab);

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
        Ok((c"CREATE TABLE x(a)".into(), Tab(1)))
    }
    fn best_index(&self, _: &mut IndexInfo) -> Result<bool> {
        Ok(true)
    }
    fn open(&'vtab self) -> Result<Cur<'vtab>> {
        Ok(Cur(self))
    }
}

impl VTabCursor for Cur<'static> {
    fn filter(&mut self, _: c_int, _: Option<&str>, _: &Filters<'_>) -> Result<()> {
        Ok(())
    }
    fn next(&mut self) -> Result<()> {
        Ok(())
    }
    fn eof(&self) -> bool {
        true
    }
    fn column(&self, _: &mut Context, _: c_int) -> Result<()> {
        Ok(())
    }
    fn rowid(&self) -> Result<i64> {
        Ok(self.0 .0)
    }
}

fn main() {}
