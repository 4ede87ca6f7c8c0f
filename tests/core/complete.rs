//! `ferrolite::complete_statement` (`sqlite3_complete`).

use ferrolite::complete_statement;

#[test]
fn complete_and_incomplete_statements() {
    let cases: &[(&str, bool)] = &[
        ("SELECT 1;", true),
        ("SELECT 1", false),
        ("SELECT 1;   \n\t ", true),
        ("SELECT 1; -- a comment\n", true),
        // A line comment is only over at its newline (SQLite 3.5x).
        ("SELECT 1; -- a comment", false),
        ("SELECT 1; /* a comment */", true),
        ("SELECT 1; /* unterminated comment", false),
        ("SELECT 1 -- ;", false),
        ("SELECT 1 /* ; */", false),
        ("SELECT 1; SELECT 2", false),
        ("SELECT 1; SELECT 2;", true),
        ("SELECT ';'", false),
        ("SELECT ';';", true),
        ("SELECT 'it''s;'", false),
        ("SELECT \"a;b\" FROM t", false),
        ("SELECT [a;b] FROM t;", true),
        ("SELECT `a;b` FROM t", false),
        ("SELECT 'ünï;cödé';", true),
        // Trigger bodies hold semicolons of their own.
        (
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END",
            false,
        ),
        (
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END;",
            true,
        ),
        (
            "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;",
            false,
        ),
        // Not a validity check: any text ending in `;` outside a literal.
        ("this is not sql;", true),
        (";", true),
    ];
    for &(sql, expected) in cases {
        assert_eq!(complete_statement(sql), expected, "{sql:?}");
    }
}

#[test]
fn blank_text_and_interior_nuls_are_never_complete() {
    for sql in [
        "",
        " ",
        "\n\n",
        "-- only a comment\n",
        "SELECT 1;\0",
        "SELECT '\0';",
        "\0;",
    ] {
        assert!(!complete_statement(sql), "{sql:?}");
    }
}

#[test]
fn long_input_is_fine() {
    let mut sql = "SELECT ".to_owned() + &"1 + ".repeat(100_000) + "1";
    assert!(!complete_statement(&sql));
    sql.push(';');
    assert!(complete_statement(&sql));
}
