//! Every cargo feature rusqlite 0.41.1 declares is declared by ferrolite
//! too, so crates that forward rusqlite's features (`rusqlite = { package =
//! "ferrolite", ... }`) resolve: cargo rejects a forwarded feature the
//! dependency doesn't declare, even when nobody enables it.
//!
//! The ones ferrolite can't honour yet stop the build with a
//! `compile_error!` when enabled (src/lib.rs); `.ci/run` checks that they
//! do.

use std::collections::BTreeSet;

/// rusqlite 0.41.1's features: its `[features]` table plus the implicit
/// features of its optional dependencies.
const RUSQLITE_FEATURES: &[&str] = &[
    "array",
    "backup",
    "blob",
    "buildtime_bindgen",
    "bundled",
    "bundled-full",
    "bundled-sqlcipher",
    "bundled-sqlcipher-vendored-openssl",
    "bundled-windows",
    "cache",
    "chrono",
    "collation",
    "column_decltype",
    "column_metadata",
    "csv",
    "csvtab",
    "default",
    "extra_check",
    "fallible_uint",
    "ffi-sqlite-wasm-rs",
    "functions",
    "hashlink",
    "hooks",
    "i128_blob",
    "in_gecko",
    "jiff",
    "libsqlite3-sys",
    "limits",
    "load_extension",
    "loadable_extension",
    "modern-full",
    "modern_sqlite",
    "pointer",
    "preupdate_hook",
    "rusqlite-macros",
    "serde_json",
    "serialize",
    "series",
    "session",
    "sqlcipher",
    "time",
    "trace",
    "unlock_notify",
    "url",
    "uuid",
    "vtab",
    "wal",
    "wasm32-wasi-vfs",
    "window",
    "with-asan",
];

/// The ones that fail the build when enabled, and only those.
const UNSUPPORTED: &[&str] = &[
    "bundled-sqlcipher",
    "bundled-sqlcipher-vendored-openssl",
    "in_gecko",
    "loadable_extension",
    "rusqlite-macros",
    "sqlcipher",
    "wasm32-wasi-vfs",
];

const MANIFEST: &str = include_str!("../Cargo.toml");
const LIB_RS: &str = include_str!("../src/lib.rs");

/// The `[features]` table of Cargo.toml: name -> the features it enables.
fn declared() -> Vec<(String, Vec<String>)> {
    let start = MANIFEST.find("\n[features]\n").expect("a [features] table");
    let body = &MANIFEST[start + "\n[features]\n".len()..];
    let body = &body[..body.find("\n[").unwrap_or(body.len())];
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in body.lines() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        if let Some((name, mut list)) = open.take() {
            list.push_str(line);
            if line.ends_with(']') {
                out.push((name, parse_list(&list)));
            } else {
                open = Some((name, list));
            }
            continue;
        }
        let (name, rest) = line.split_once('=').expect("name = [...]");
        let (name, rest) = (name.trim().to_owned(), rest.trim().to_owned());
        if rest.ends_with(']') {
            out.push((name, parse_list(&rest)));
        } else {
            open = Some((name, rest));
        }
    }
    assert!(open.is_none(), "unterminated feature list");
    out
}

fn parse_list(list: &str) -> Vec<String> {
    list.trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The feature names given to `unsupported_features!` in src/lib.rs.
fn compile_error_features() -> BTreeSet<String> {
    let start = LIB_RS
        .find("unsupported_features! {")
        .expect("the unsupported_features! list");
    let body = &LIB_RS[start..];
    let body = &body[..body.find("\n}").unwrap()];
    body.lines()
        .filter_map(|l| l.trim().strip_prefix('"'))
        .filter_map(|l| l.split_once("\" =>"))
        .map(|(name, _)| name.to_owned())
        .collect()
}

#[test]
fn every_rusqlite_feature_name_is_declared() {
    let names: BTreeSet<String> = declared().into_iter().map(|(n, _)| n).collect();
    let missing: Vec<&&str> = RUSQLITE_FEATURES
        .iter()
        .filter(|f| !names.contains(**f))
        .collect();
    assert!(missing.is_empty(), "not declared: {missing:?}");
}

#[test]
fn exactly_the_unsupported_features_fail_the_build() {
    let expected: BTreeSet<String> = UNSUPPORTED.iter().map(|s| s.to_string()).collect();
    assert_eq!(compile_error_features(), expected);
    // Each is declared, so enabling it reaches the compile_error!.
    let names: BTreeSet<String> = declared().into_iter().map(|(n, _)| n).collect();
    assert!(expected.is_subset(&names));
}

#[test]
fn supported_features_never_pull_in_an_unsupported_one() {
    let table = declared();
    let deps = |name: &str| -> Vec<String> {
        table
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.clone())
            .unwrap_or_default()
    };
    // Everything a feature enables, transitively (within this crate).
    let closure = |name: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![name.to_owned()];
        while let Some(f) = todo.pop() {
            if seen.insert(f.clone()) {
                todo.extend(deps(&f).into_iter().filter(|d| !d.contains(['/', ':'])));
            }
        }
        seen
    };
    for (name, _) in &table {
        let pulled = closure(name);
        let bad: Vec<&str> = UNSUPPORTED
            .iter()
            .copied()
            .filter(|u| pulled.contains(*u))
            .collect();
        let unsupported =
            UNSUPPORTED.contains(&name.as_str()) || name == "modern-full" || name == "bundled-full";
        assert!(
            unsupported || bad.is_empty(),
            "feature `{name}` enables unsupported {bad:?}"
        );
    }
    // The default build and the docs.rs build stay buildable.
    let docs = MANIFEST
        .split("[package.metadata.docs.rs]")
        .nth(1)
        .expect("docs.rs metadata");
    let docs = docs.lines().find(|l| l.starts_with("features")).unwrap();
    assert!(!docs.contains("all-features"));
    for f in parse_list(docs.split_once('=').unwrap().1.trim()) {
        assert!(
            closure(&f)
                .iter()
                .all(|d| !UNSUPPORTED.contains(&d.as_str())),
            "{f}"
        );
    }
    assert!(
        closure("default")
            .iter()
            .all(|d| !UNSUPPORTED.contains(&d.as_str()))
    );
}
