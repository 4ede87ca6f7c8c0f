//! `#[derive(FromRow, Params, ToSql, FromSql)]` (feature `derive`): every
//! attribute, the error paths with their messages, and the generated code
//! used through `query_as`, `query_row_as`, `Row::get_as` and `&T` as
//! parameters.

mod from_row;
mod params;
mod sql;

#[allow(dead_code)]
#[path = "../../examples/derive.rs"]
mod example;

#[test]
fn example_runs() {
    example::main().unwrap();
}
