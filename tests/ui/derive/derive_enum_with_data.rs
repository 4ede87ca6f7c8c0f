// ToSql/FromSql: unit enums only; FromRow: structs only.
use ferrolite::{FromRow, FromSql, ToSql};

#[derive(ToSql, FromSql)]
enum Shape {
    Point,
    Circle(f64),
    Rect { w: f64, h: f64 },
}

#[derive(FromRow)]
enum NotARow {
    A,
}

fn main() {}
