//! The table object lives in the connection, which may move to another
//! thread: it must be `Send`.
use std::borrow::Cow;
use std::ffi::{CStr, c_int};
use std::rc::Rc;

use ferrolite::vtab::{Context, Filters, IndexInfo, VTab, VTabConnection, VTabCursor};
use ferrolite::Result;

struct Tab(Rc<i64>);

struct Cur;

impl<'vtab> VTab<'vtab> for Tab {
    type Aux = ();
    type Cursor = Cur;
    fn connect(
        _: &mut VTabConnection,
        _: Option<&()>,
        _: &[u8],
        _: &[u8],
        _: &[u8],
        _: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)> {
        Ok((c"CREATE TABLE x(a)".into(), Tab(Rc::new(1))))
    }
    fn best_index(&self, _: &mut IndexInfo) -> Result<bool> {
        Ok(true)
    }
    fn open(&'vtab self) -> Result<Cur> {
        Ok(Cur)
    }
}

impl VTabCursor for Cur {
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
        Ok(0)
    }
}

fn main() {}
