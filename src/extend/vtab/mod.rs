//! Virtual tables (TEMPORARY minimal module of branch `carray`, replaced by
//! branch `vtab`'s when merged).

pub mod carray;
pub mod series;
