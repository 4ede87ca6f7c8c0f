//! `examples/shell.rs`, driven as a program through pipes, as in
//! `echo 'select 1;' | cargo run --example shell -- test.db`.
//!
//! The example is built (or found up to date) with `cargo build --example
//! shell` and the same features as this test, then run as a child process.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `cargo build` flags that match the features this test was built
/// with (the library and example must not be rebuilt differently).
fn feature_args() -> Vec<String> {
    // Every feature that can be on in a build that compiles (not
    // `--all-features`: some rusqlite feature names stop the build).
    macro_rules! enabled {
        ($($name:literal)*) => { [$((cfg!(feature = $name), $name)),*] };
    }
    let features: Vec<&str> = enabled!(
        "bundled" "libsqlite3-sys" "bundled-libsqlite3-sys" "load_extension" "chrono"
        "serde_json" "serde" "unlock_notify" "with-asan" "backup" "blob" "cache" "collation"
        "column_decltype" "fallible_uint" "functions" "hooks" "limits" "serialize" "trace"
        "wal" "window" "extra_check" "modern_sqlite" "series" "pointer" "csv" "hashlink"
        "ffi-sqlite-wasm-rs" "buildtime_bindgen" "bundled-windows"
    )
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    vec![
        "--no-default-features".to_owned(),
        "--features".to_owned(),
        features.join(" "),
    ]
}

fn shell_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--example", "shell", "--message-format=json"])
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .args(feature_args())
            .stderr(Stdio::inherit());
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let out = cmd.output().expect("run cargo build --example shell");
        assert!(out.status.success(), "cargo build --example shell failed");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let line = stdout
            .lines()
            .find(|l| {
                l.contains(r#""reason":"compiler-artifact""#)
                    && l.contains(r#""kind":["example"]"#)
                    && l.contains(r#""name":"shell""#)
            })
            .expect("cargo reported the shell example");
        let key = r#""executable":""#;
        let start = line.find(key).expect("an executable") + key.len();
        let end = start + line[start..].find('"').unwrap();
        PathBuf::from(&line[start..end])
    })
}

/// Runs the shell with `args`, `input` on its stdin (then closed).
fn run(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(shell_binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The shell may exit before reading it all (`.quit`, a bad database).
    if let Err(e) = stdin.write_all(input) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn piped_select_prints_an_aligned_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("test.db");
    let db = db.to_str().unwrap();
    let out = run(&[db], b"select 1;\n");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "1\n-\n1\n");
    assert_eq!(text(&out.stderr), "");

    let out = run(
        &[db],
        b"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB);
          INSERT INTO t VALUES (1, 'ann', 1.5, X'CAFE'), (22, NULL, -0.25, NULL),
                               (3, 'two
lines', 100.0, zeroblob(40));
          SELECT * FROM t ORDER BY id;",
    );
    assert!(out.status.success(), "{out:?}");
    // The widest cell: X' + 64 hex digits + ' + "... (40 bytes)" = 81.
    let expected = format!(
        "id  name        score  data\n\
         --  ----------  -----  {}\n \
         1  ann           1.5  X'CAFE'\n \
         3  two\\nlines  100.0  X'{}'... (40 bytes)\n\
         22  NULL        -0.25  NULL\n",
        "-".repeat(81),
        "0".repeat(64)
    );
    assert_eq!(text(&out.stdout), expected);
}

#[test]
fn statements_may_span_lines_and_share_them() {
    let input = b"SELECT 'a;b'
  AS s; SELECT 2 AS two;
CREATE TABLE log (x);
CREATE TRIGGER tr AFTER INSERT ON log BEGIN
  SELECT 1;
  SELECT 2;
END;
INSERT INTO log VALUES (1); SELECT count(*) AS n FROM log;
";
    let out = run(&[], input);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "s\n---\na;b\ntwo\n---\n  2\nn\n-\n1\n");
}

#[test]
fn sql_left_without_a_semicolon_runs_at_the_end() {
    let out = run(&[], b"SELECT 'last'\n  AS word");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "word\n----\nlast\n");
}

#[test]
fn dot_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dots.db");
    let db = db.to_str().unwrap();
    let out = run(
        &[db],
        b"CREATE TABLE b (x); CREATE TABLE a (y); CREATE VIEW v AS SELECT * FROM a;
CREATE INDEX a_y ON a (y);
.tables
.tables a%
.schema a
.timeout 250
.help
",
    );
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    let (listing, help) = stdout.split_at(stdout.find(".backup FILE").unwrap());
    assert_eq!(
        listing,
        "a\nb\nv\na\nCREATE TABLE a (y);\nCREATE INDEX a_y ON a (y);\n"
    );
    for command in [
        ".schema", ".tables", ".timeout", ".quit", ".read", ".backup", ".restore",
    ] {
        assert!(help.contains(command), "{help}");
    }
}

#[test]
fn timeout_sets_how_long_to_wait_for_a_lock() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("locked.db");
    let holder = ferrolite::Connection::open(&db).unwrap();
    holder
        .execute_batch("CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);")
        .unwrap();
    let started = Instant::now();
    let out = run(
        &[db.to_str().unwrap()],
        b".timeout 300\nSELECT count(*) FROM t;\n",
    );
    let waited = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("locked"), "{out:?}");
    // Waited about 300 ms, not the default 5 s.
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(4), "{waited:?}");
    holder.execute_batch("COMMIT").unwrap();
}

#[test]
fn dump_output_restores_through_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.db");
    let copy = dir.path().join("copy.db");
    let (src, copy) = (src.to_str().unwrap(), copy.to_str().unwrap());
    let setup = run(
        &[src],
        b"CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, b BLOB);
          INSERT INTO t VALUES (1, 'it''s; here', X'00'), (2, 'line
break', NULL);",
    );
    assert!(setup.status.success(), "{setup:?}");
    let dump = run(&[src], b".dump\n");
    assert!(dump.status.success(), "{dump:?}");
    assert!(text(&dump.stdout).starts_with("BEGIN TRANSACTION;\n"));
    let restore = run(&[copy], &dump.stdout);
    assert!(restore.status.success(), "{restore:?}");
    let query = b"SELECT id, s, hex(b) FROM t ORDER BY id;";
    let a = run(&[src], query);
    let b = run(&[copy], query);
    assert_eq!(text(&a.stdout), text(&b.stdout));
    assert!(text(&a.stdout).contains("it's; here"));
}

#[test]
fn read_backup_and_restore_files() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.sql");
    std::fs::write(
        &script,
        "CREATE TABLE t (x);\nINSERT INTO t VALUES ('from a file');\n",
    )
    .unwrap();
    let backup = dir.path().join("backup.db");
    let input = format!(
        ".read {}\n.backup {}\nDELETE FROM t;\n.restore {}\nSELECT x FROM t;\n",
        script.display(),
        backup.display(),
        backup.display()
    );
    let out = run(&[], input.as_bytes());
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "x\n-----------\nfrom a file\n");

    let missing = dir.path().join("missing");
    let input = format!(
        ".read {}\n.restore {}\n",
        missing.display(),
        missing.display()
    );
    let out = run(&[], input.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).lines().count(), 2, "{out:?}");
    assert!(!missing.exists(), ".restore must not create its source");
}

#[test]
fn errors_are_reported_and_the_input_goes_on() {
    let out = run(
        &[],
        b"SELECT nope;
.bogus
.timeout soon
.tables a b
SELECT 1 AS still_running;
",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed statement fails the run"
    );
    assert_eq!(
        text(&out.stdout),
        "still_running\n-------------\n            1\n"
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 4, "{stderr}");
    assert!(stderr.lines().all(|l| l.starts_with("Error: ")), "{stderr}");
    assert!(stderr.contains("no such column: nope"), "{stderr}");
    assert!(stderr.contains(".bogus"), "{stderr}");
    assert!(stderr.contains("soon"), "{stderr}");
}

#[test]
fn bad_input_bytes_are_errors_not_hangs() {
    // A line that is not UTF-8 is skipped; SQL with a NUL can't complete,
    // so it runs (and fails) at the end of the input.
    let out = run(&[], b"SELECT 'ok' AS a;\nSELECT '\xff';\nSELECT 'x\0y';\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "a\n--\nok\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("not valid UTF-8"), "{stderr}");
    assert!(stderr.to_lowercase().contains("nul"), "{stderr}");
}

#[test]
fn quit_stops_reading() {
    let out = run(&[], b"SELECT 1 AS one;\n.quit\nSELECT 2 AS two;\n");
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "one\n---\n  1\n");
}

#[test]
fn sql_argument_and_file_persistence() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kept.db");
    let db = db.to_str().unwrap();
    let out = run(
        &[db, "CREATE TABLE k (v); INSERT INTO k VALUES ('kept');"],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let out = run(&[db, "SELECT v FROM k"], b"SELECT 'stdin is ignored';");
    assert_eq!(text(&out.stdout), "v\n----\nkept\n");
}

#[test]
fn a_database_that_cannot_be_opened_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("no").join("such").join("dir.db");
    let out = run(&[bad.to_str().unwrap()], b"SELECT 1;");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("Error: cannot open"));
    assert_eq!(text(&out.stdout), "");
}

/// Ctrl-C (SIGINT) stops the running statement; the shell reports it and
/// goes on with the next input.
#[cfg(unix)]
#[test]
fn ctrl_c_interrupts_a_running_query() {
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    const SIGINT: i32 = 2;

    let mut child = Command::new(shell_binary())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(
            b"SELECT 'started' AS state;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;
",
        )
        .unwrap();
    stdin.flush().unwrap();

    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("started") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "shell ended early"
        );
    }
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    // The endless query is running (or about to): press Ctrl-C until the
    // shell says it was interrupted.
    let deadline = Instant::now() + Duration::from_secs(20);
    let pid = i32::try_from(child.id()).unwrap();
    let mut errors = Vec::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "no interrupt reported: {errors:?}"
        );
        // SAFETY: sends a signal to our own child process.
        assert_eq!(unsafe { kill(pid, SIGINT) }, 0);
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            errors.push(l);
            if errors.iter().any(|l| l == "Error: interrupted") {
                break;
            }
        }
    }

    // Still alive and usable after the interrupt.
    stdin.write_all(b"SELECT 'after' AS state;\n").unwrap();
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "state\n-----\nafter\n");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "the interrupted statement failed");
}

/// On a terminal the shell greets, prompts, and shows a continuation
/// prompt while a statement is incomplete.
#[cfg(target_os = "linux")]
#[test]
fn interactive_mode_on_a_terminal() {
    use std::ffi::{CStr, c_char, c_int};
    use std::fs::{File, OpenOptions};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::fs::OpenOptionsExt;

    unsafe extern "C" {
        fn posix_openpt(flags: c_int) -> c_int;
        fn grantpt(fd: c_int) -> c_int;
        fn unlockpt(fd: c_int) -> c_int;
        fn ptsname(fd: c_int) -> *const c_char;
    }
    const O_RDWR: c_int = 2;
    const O_NOCTTY: c_int = 0o400;

    // SAFETY: plain libc calls; the returned descriptor is owned below.
    let fd = unsafe { posix_openpt(O_RDWR | O_NOCTTY) };
    assert!(fd >= 0, "posix_openpt failed");
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    let master = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: `master` is an open pseudo-terminal master.
    let name = unsafe {
        assert_eq!(grantpt(master.as_raw_fd()), 0);
        assert_eq!(unlockpt(master.as_raw_fd()), 0);
        CStr::from_ptr(ptsname(master.as_raw_fd()))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let terminal = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(O_NOCTTY)
        .open(&name)
        .unwrap();
    let child = Command::new(shell_binary())
        .stdin(Stdio::from(terminal))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut master = File::from(master);
    master.write_all(b"SELECT 1\n  AS one;\n.quit\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("ferrolite shell, SQLite "), "{stdout}");
    assert!(
        stdout.ends_with("ferrolite>       ...> one\n---\n  1\nferrolite> "),
        "{stdout}"
    );
}
