//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/`)
//! through the same harness the cargo-fuzz targets run, on stable Rust and
//! in both backends. A corpus file that once crashed a target stays here as
//! a regression test.

#[path = "../fuzz/harness/mod.rs"]
mod harness;

use std::path::PathBuf;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "{target}: only {} corpus files",
        files.len()
    );
    for file in &files {
        let data = std::fs::read(file).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", file.display());
    }
    eprintln!("{target}: replayed {} inputs", files.len());
}

#[test]
fn sql_text_params_corpus() {
    replay("sql_text_params", harness::sql_text_params::run);
}

#[test]
fn deserialize_db_corpus() {
    replay("deserialize_db", harness::deserialize_db::run);
}

#[test]
fn api_sequence_corpus() {
    replay("api_sequence", harness::api_sequence::run);
}

#[cfg(feature = "dqlite")]
#[test]
fn dqlite_decode_corpus() {
    replay("dqlite_decode", harness::dqlite_decode::run);
}
