//! Compile-time guarantees, each pinned by a file in `tests/ui/` whose
//! `.stderr` shows why the misuse is rejected. The expected messages match
//! the installed rustc (1.95); regenerate with `TRYBUILD=overwrite cargo
//! test --test ui` after a toolchain change and review the diff.
//!
//! `tests/ui/serde/` holds the cases whose messages list trait impls that
//! exist only with feature `serde` (`&NamedParams: Params`): they run when
//! it is on, with the CI feature set (`--features "chrono serde serde_json
//! load_extension"`), which is how their `.stderr` was made.
//!
//! `tests/ui/derive/` holds the derive macros' errors (feature `derive`).
//!
//! With feature `tokio`, two public types are named `Connection`
//! (`ferrolite::Connection`, `ferrolite::tokio::Connection`) and two
//! `Pool`, and rustc then prints those types with their paths
//! (`ferrolite::Connection`). The cases whose messages name one of them
//! have a second expectation for that build in a `tokio/` folder beside
//! them: a symbolic link to the case, with its own `.stderr` (made with the
//! CI feature set, `tokio` included).

use std::path::{Path, PathBuf};

/// The `.rs` cases of `dir`, each replaced by its `tokio/` twin when
/// feature `tokio` is on and the twin exists.
fn cases(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let twin = Path::new(dir).join("tokio").join(p.file_name().unwrap());
            if cfg!(feature = "tokio") && twin.exists() {
                twin
            } else {
                p
            }
        })
        .collect()
}

#[test]
fn ui() {
    // Feature `dqlite` adds a second `Connection`, `Statement` and `Rows`
    // (`ferrolite::dqlite::*`), so rustc names ferrolite's own types by
    // their paths and every expected message that names one changes. The
    // cases run in the builds without it (CI: default features, and the
    // libsqlite3-sys step with `tokio`, whose twins are above); dqlite has
    // no compile-fail cases of its own.
    if cfg!(feature = "dqlite") {
        eprintln!("tests/ui: not run with feature `dqlite` (see the comment in tests/ui.rs)");
        return;
    }
    let t = trybuild::TestCases::new();
    for case in cases("tests/ui") {
        t.compile_fail(case);
    }
    t.pass("tests/ui/pass/*.rs");
    #[cfg(feature = "serde")]
    for case in cases("tests/ui/serde") {
        t.compile_fail(case);
    }
    // The session extension and the pre-update hook (their features).
    #[cfg(all(feature = "session", feature = "preupdate_hook"))]
    t.compile_fail("tests/ui/session/*.rs");
    // The derive macros (feature `derive`): a subfolder, since the cases
    // above are built without it.
    #[cfg(feature = "derive")]
    t.compile_fail("tests/ui/derive/*.rs");
}
