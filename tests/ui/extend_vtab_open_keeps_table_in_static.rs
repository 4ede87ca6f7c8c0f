//! `open` gets `&'vtab self` for a `'vtab` chosen by ferrolite, not by the
//! implementation: putting it in a `static` does not compile.
use std::borrow::Cow;
use std::ffi::{CStr, c_int};
use std::sync::Mutex;

use ferrolite::vtab::{Context, Filters, IndexInfo, VTab, VTabConnection, VTabCursor};
use ferrolite::Result;

struct Tab(i64);

static LEAK: Mutex<Vec<&'static Tab>> = Mutex::new(Vec::new());

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
        Ok((c"CREATE TABLE x(a)".into(), Tab(1)))
    }
    fn best_index(&self, _: &mut IndexInfo) -> Result<bool> {
        Ok(true)
    }
    fn open(&'vtab self) -> Result<Cur> {
        LEAK.lock().unwrap().push(self);
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
