// A field whose type can't be bound as a parameter: the error points at
// the field's type.
use ferrolite::Params;

struct Money {
    _cents: i64,
}

#[derive(Params)]
struct NewOrder {
    id: i64,
    total: Money,
}

fn main() {}
