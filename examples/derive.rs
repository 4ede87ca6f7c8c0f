//! The derive macros (feature `derive`): a small task list.
//!
//! * `#[derive(ToSql, FromSql)]` on a newtype (`TaskId`, stored as its
//!   INTEGER), an enum stored as TEXT (`Status`, `rename_all`) and one stored
//!   as INTEGER (`Priority`, `integer`);
//! * `#[derive(Params)]`: `&task` binds `:title`, `:status`, … by name;
//! * `#[derive(FromRow)]`: rows into structs by column name, with `rename`,
//!   `default`, `skip` and a `flatten`ed struct, through `query_as` (column
//!   names looked up once per statement), `query_row_as` and `Row::get_as`;
//! * the errors: a missing column names the field and the column; a stored
//!   value the enum doesn't have names the value.
//!
//! Run: `cargo run --example derive --features derive`

use ferrolite::{Connection, Error, FromRow, FromSql, Params, Result, ToSql};

#[derive(Debug, Clone, Copy, PartialEq, ToSql, FromSql)]
struct TaskId(i64);

#[derive(Debug, Clone, Copy, PartialEq, ToSql, FromSql)]
#[ferrolite(rename_all = "snake_case")]
enum Status {
    Todo,
    InProgress,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, ToSql, FromSql)]
#[ferrolite(integer)]
enum Priority {
    Low = 1,
    Normal = 5,
    Urgent = 9,
}

/// What an insert binds: field `x` fills parameter `:x`.
#[derive(Params)]
struct NewTask<'a> {
    title: &'a str,
    status: Status,
    priority: Priority,
    #[ferrolite(rename = "owner")]
    assignee: Option<&'a str>,
}

/// Audit columns shared by several tables, read from the same row.
#[derive(Debug, FromRow)]
struct Audit {
    created: String,
    #[ferrolite(default)] // queries without it read None
    updated: Option<String>,
}

#[derive(Debug, FromRow)]
struct Task {
    id: TaskId,
    title: String,
    status: Status,
    priority: Priority,
    #[ferrolite(rename = "owner")]
    assignee: Option<String>,
    #[ferrolite(flatten)]
    audit: Audit,
    #[ferrolite(skip)] // computed, not a column
    overdue: bool,
}

/// Runs the example (also from `tests/derive`).
pub fn main() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE task (id INTEGER PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL,
                            priority INTEGER NOT NULL, owner TEXT,
                            created TEXT NOT NULL DEFAULT '2026-01-01', updated TEXT)",
    )?;

    let mut insert = conn.prepare(
        "INSERT INTO task (title, status, priority, owner) VALUES (:title, :status, :priority, :owner)",
    )?;
    for t in [
        NewTask {
            title: "write docs",
            status: Status::Todo,
            priority: Priority::Normal,
            assignee: None,
        },
        NewTask {
            title: "fix bug",
            status: Status::InProgress,
            priority: Priority::Urgent,
            assignee: Some("ada"),
        },
        NewTask {
            title: "release",
            status: Status::Done,
            priority: Priority::Low,
            assignee: Some("grace"),
        },
    ] {
        insert.execute(&t)?;
    }

    // Many rows: positions looked up on the first row, reused for the rest.
    let mut stmt = conn.prepare("SELECT * FROM task WHERE status != ?1 ORDER BY priority DESC")?;
    let open: Vec<Task> = stmt.query_as([Status::Done])?.collect::<Result<_>>()?;
    for t in &open {
        println!(
            "{:?} {:<10} {:?}/{:?} owner={:?} created={}",
            t.id, t.title, t.status, t.priority, t.assignee, t.audit.created
        );
    }
    assert_eq!(open.len(), 2);
    assert_eq!(open[0].priority, Priority::Urgent);
    assert!(!open[0].overdue && open[0].audit.updated.is_none());

    // One row, and `Row::get_as` inside a closure.
    let t: Task = conn.query_row_as("SELECT * FROM task WHERE id = ?1", [TaskId(3)])?;
    assert_eq!(
        (t.status, t.assignee.as_deref()),
        (Status::Done, Some("grace"))
    );
    let (task, n) = conn.query_row("SELECT *, 42 FROM task WHERE id = 1", [], |row| {
        Ok((row.get_as::<Task>()?, row.get::<_, i64>(7)?))
    })?;
    assert_eq!((task.title.as_str(), n), ("write docs", 42));

    // The stored forms.
    let (status, priority): (String, i64) =
        conn.query_row_as("SELECT status, priority FROM task WHERE id = 2", [])?;
    assert_eq!((status.as_str(), priority), ("in_progress", 9));

    // A missing column names the field and the column.
    let err = conn
        .query_row_as::<Task>("SELECT id, title, status, priority, created FROM task", [])
        .unwrap_err();
    println!("{err}");
    assert!(matches!(
        err,
        Error::FromRowField {
            field: "assignee",
            column: "owner",
            ..
        }
    ));

    // A value the enum doesn't have names the value.
    conn.execute("UPDATE task SET status = 'blocked' WHERE id = 1", [])?;
    let err = conn
        .query_row_as::<Task>("SELECT * FROM task WHERE id = 1", [])
        .unwrap_err();
    println!("{err}");
    assert!(
        err.to_string()
            .contains("unknown value \"blocked\" for Status")
    );

    // A parameter no field fills is an error, and nothing runs.
    let t = NewTask {
        title: "x",
        status: Status::Todo,
        priority: Priority::Low,
        assignee: None,
    };
    let err = conn.execute("INSERT INTO task (title, status, priority, updated) VALUES (:title, :status, :priority, :updated)", &t).unwrap_err();
    println!("{err}");
    assert_eq!(err, Error::MissingParameter(":updated".into()));
    Ok(())
}
