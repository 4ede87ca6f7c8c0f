// A misspelled or misplaced attribute: the error points at it, suggests
// the closest valid one and lists them.
use ferrolite::{FromRow, FromSql};

#[derive(FromRow)]
struct Person {
    #[ferrolite(renam = "full_name")]
    name: String,
    #[ferrolite(flaten)]
    other: i64,
}

#[derive(FromRow)]
#[ferrolite(rename_all = "snakecase")]
struct Wrong {
    a: i64,
}

#[derive(FromSql)]
#[ferrolite(integr)]
enum Level {
    Low,
    High,
}

#[derive(FromSql)]
enum Mode {
    Fast,
    #[ferrolite(skip)]
    Slow,
    #[ferrolite(rename = "Fast")]
    Quick,
}

#[derive(FromRow)]
struct Tuple(#[ferrolite(rename = "a")] i64);

fn main() {}
