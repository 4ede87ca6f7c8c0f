//! Compile-time guarantees, each pinned by a file in `tests/ui/` whose
//! `.stderr` shows why the misuse is rejected. The expected messages match
//! the installed rustc (1.95); regenerate with `TRYBUILD=overwrite cargo
//! test --test ui` after a toolchain change and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
