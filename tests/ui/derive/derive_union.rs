// Unions are refused by every derive.
use ferrolite::{FromRow, Params, ToSql};

#[derive(FromRow)]
union Row {
    a: i64,
    b: f64,
}

#[derive(Params)]
union Bind {
    a: i64,
}

#[derive(ToSql)]
union Value {
    a: i64,
}

fn main() {}
