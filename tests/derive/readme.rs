//! README's "Derives" snippet (the same code, rustfmt-formatted; `main` becomes a test).
//! (README.md shows it as `rust,ignore` because its doctests also run
//! without the feature).

use ferrolite::{Connection, FromRow, FromSql, Params, Result, ToSql};

#[derive(Debug, PartialEq, ToSql, FromSql)]
struct UserId(i64); // stored as its field

#[derive(Debug, PartialEq, ToSql, FromSql)]
#[ferrolite(rename_all = "snake_case")]
enum Status {
    Active,
    OnLeave,
} // TEXT 'active', 'on_leave'

#[derive(Debug, FromRow, Params)]
struct User {
    id: UserId,
    #[ferrolite(rename = "full_name")]
    name: String,
    status: Status,
    #[ferrolite(default)]
    email: Option<String>, // the column may be absent
}

#[test]
fn readme_snippet() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE user (id INTEGER, full_name TEXT, status TEXT, email TEXT)")?;
    let ada = User {
        id: UserId(1),
        name: "Ada".into(),
        status: Status::OnLeave,
        email: None,
    };
    conn.execute(
        "INSERT INTO user VALUES (:id, :full_name, :status, :email)",
        &ada,
    )?;
    let users: Vec<User> = conn
        .prepare("SELECT id, full_name, status FROM user")?
        .query_as([])?
        .collect::<Result<_>>()?;
    assert_eq!(users[0].status, Status::OnLeave);
    Ok(())
}
