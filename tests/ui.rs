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

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
    #[cfg(feature = "serde")]
    t.compile_fail("tests/ui/serde/*.rs");
    // The session extension and the pre-update hook (their features).
    #[cfg(all(feature = "session", feature = "preupdate_hook"))]
    t.compile_fail("tests/ui/session/*.rs");
    // The derive macros (feature `derive`): a subfolder, since the cases
    // above are built without it.
    #[cfg(feature = "derive")]
    t.compile_fail("tests/ui/derive/*.rs");
}
