//! A cursor can borrow its table (`&'vtab Tab`) but can't keep the borrow
//! past its own life: storing it in a thread_local (to read after
//! `DROP TABLE`) does not compile.
use std::borrow::Cow;
use std::cell::Cell;
use std::ffi::{CStr, c_int};

use ferrolite::vtab::{Context, Filters, IndexInfo, VTab, VTabConnection, VTabCursor};
use ferrolite::Result;

struct Tab(i64);

thread_local! {
    static LEAK: Cell<Option<&'static Tab>> = const { Cell::new(None) };
}

struct Cur<'vtab> {
    tab: &'vtab Tab,
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
        Ok((c"CREATE TABLE x(a)".into(), Tab(1)))
    }
    fn best_index(&self, _: &mut IndexInfo) -> Result<bool> {
        Ok(true)
    }
    fn open(&'vtab self) -> Result<Cur<'vtab>> {
        Ok(Cur { tab: self })
    }
}

impl VTabCursor for Cur<'_> {
    fn filter(&mut self, _: c_int, _: Option<&str>, _: &Filters<'_>) -> Result<()> {
        LEAK.with(|l| l.set(Some(self.tab)));
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
        Ok(self.tab.0)
    }
}

fn main() {}
