// A field whose type can't be read from a column: the error points at the
// field's type.
use ferrolite::FromRow;

struct Money {
    _cents: i64,
}

#[derive(FromRow)]
struct Order {
    id: i64,
    total: Money,
}

fn main() {}
