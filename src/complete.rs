#![allow(unsafe_code)] // sqlite3_complete on a NUL-terminated copy
//! [`complete_statement`]: does this text end a complete SQL statement?
//!
//! What an interactive shell asks before running what was typed so far
//! (Python's `sqlite3.complete_statement`).
//!
//! ```
//! use ferrolite::complete_statement;
//! assert!(!complete_statement("SELECT 1"));
//! assert!(complete_statement("SELECT 1;"));
//! assert!(!complete_statement("SELECT ';"));      // inside a string literal
//! assert!(!complete_statement("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1;"));
//! assert!(complete_statement("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;"));
//! ```

use std::ffi::CString;

use crate::ffi;

/// True if `sql` ends with a complete SQL statement: a semicolon that is
/// not inside a string literal, quoted identifier, comment or the body of
/// a `CREATE TRIGGER`, followed only by whitespace and comments. It does
/// not check that the SQL is valid: `"garbage;"` is complete.
///
/// Empty or blank text is not complete. Text with an interior NUL byte is
/// never complete: SQLite would stop reading at the NUL, and ferrolite
/// refuses such SQL anyway (`prepare` fails with `Error::NulError`), so
/// there is nothing sensible to run.
#[doc(alias = "sqlite3_complete")]
pub fn complete_statement(sql: &str) -> bool {
    let Ok(c) = CString::new(sql) else {
        return false;
    };
    // SAFETY: `c` is NUL-terminated and lives across the call;
    // sqlite3_complete only reads it.
    unsafe { ffi::sqlite3_complete(c.as_ptr()) != 0 }
}

#[cfg(test)]
mod tests {
    use super::complete_statement;

    #[test]
    fn blank_and_nul_are_not_complete() {
        assert!(!complete_statement(""));
        assert!(!complete_statement("   \n"));
        assert!(!complete_statement("SELECT 1;\0"));
        assert!(!complete_statement("SELECT '\0';"));
    }
}
