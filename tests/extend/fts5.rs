//! FTS5 from Rust: custom tokenizers and auxiliary functions.

use crate::common::memory_db;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ferrolite::fts5::{Fts5Context, Inst, TokenSink, TokenizeReason, Tokenizer};
use ferrolite::types::ValueRef;
use ferrolite::{Connection, Error, Result};

fn one<T: ferrolite::types::FromSql>(conn: &Connection, sql: &str) -> Result<T> {
    conn.query_row(sql, [], |r| r.get(0))
}

fn strings(conn: &Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        c => c.to_ascii_lowercase(),
    }
}

/// Splits on non-alphanumeric characters; pushes folded, lower-cased words.
fn words(text: &str, sink: &mut TokenSink<'_>) -> Result<()> {
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let token: String = text[s..i].chars().map(fold).collect();
                sink.push(&token, s..i)?;
                start = None;
            }
            _ => {}
        }
    }
    Ok(())
}

fn folding_db() -> Connection {
    let conn = memory_db();
    conn.create_fts5_tokenizer_fn("fold", |_, text: &str, sink: &mut TokenSink<'_>| {
        words(text, sink)
    })
    .unwrap();
    conn
}

/// Counts drops.
struct Counted<T>(T, Arc<AtomicUsize>);
impl<T> Drop for Counted<T> {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

impl<T: Tokenizer> Tokenizer for Counted<T> {
    fn tokenize(&mut self, r: TokenizeReason, text: &str, sink: &mut TokenSink<'_>) -> Result<()> {
        self.0.tokenize(r, text, sink)
    }
}

// ---- tokenizers ----

#[test]
fn a_folding_tokenizer_finds_accented_words() -> Result<()> {
    let conn = folding_db();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='fold');
         INSERT INTO t VALUES ('Un Café crème'), ('the cafeteria'), ('NAÏVE approach');",
    )?;
    assert_eq!(
        strings(&conn, "SELECT body FROM t WHERE t MATCH 'cafe'")?,
        ["Un Café crème"]
    );
    assert_eq!(
        strings(&conn, "SELECT body FROM t WHERE t MATCH 'CAFÉ'")?,
        ["Un Café crème"]
    );
    assert_eq!(
        strings(&conn, "SELECT body FROM t WHERE t MATCH 'naive'")?,
        ["NAÏVE approach"]
    );
    assert_eq!(
        strings(
            &conn,
            "SELECT body FROM t WHERE t MATCH 'caf*' ORDER BY rowid"
        )?,
        ["Un Café crème", "the cafeteria"]
    );
    // The byte ranges are right: the built-in highlight() cuts the original text.
    assert_eq!(
        strings(
            &conn,
            "SELECT highlight(t, 0, '[', ']') FROM t WHERE t MATCH 'creme'"
        )?,
        ["Un Café [crème]"]
    );
    Ok(())
}

#[test]
fn the_tokenizer_sees_why_it_is_called() -> Result<()> {
    let conn = memory_db();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    conn.create_fts5_tokenizer_fn(
        "logged",
        move |reason, text: &str, sink: &mut TokenSink<'_>| {
            log.lock().unwrap().push(reason);
            words(text, sink)
        },
    )?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='logged');
         INSERT INTO t VALUES ('alpha beta');",
    )?;
    assert_eq!(seen.lock().unwrap().as_slice(), [TokenizeReason::Document]);
    seen.lock().unwrap().clear();
    one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'alpha'")?;
    assert_eq!(seen.lock().unwrap().as_slice(), [TokenizeReason::Query]);
    seen.lock().unwrap().clear();
    one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'alp*'")?;
    assert_eq!(seen.lock().unwrap().as_slice(), [TokenizeReason::Prefix]);
    seen.lock().unwrap().clear();
    one::<String>(
        &conn,
        "SELECT highlight(t, 0, '<', '>') FROM t WHERE t MATCH 'beta'",
    )?;
    assert!(seen.lock().unwrap().contains(&TokenizeReason::Aux));
    Ok(())
}

/// Keeps words of at least `min` characters; the argument is `min`.
struct MinLen {
    min: usize,
}

impl Tokenizer for MinLen {
    fn tokenize(&mut self, _: TokenizeReason, text: &str, sink: &mut TokenSink<'_>) -> Result<()> {
        let mut pos = 0;
        for w in text.split(' ') {
            if w.chars().count() >= self.min {
                sink.push(&w.to_lowercase(), pos..pos + w.len())?;
            }
            pos += w.len() + 1;
        }
        Ok(())
    }
}

fn minlen_db(args_seen: Arc<Mutex<Vec<Vec<String>>>>) -> Connection {
    let conn = memory_db();
    conn.create_fts5_tokenizer("minlen", move |args: &[&str]| {
        args_seen
            .lock()
            .unwrap()
            .push(args.iter().map(|s| s.to_string()).collect());
        match args {
            [n] => n.parse().map(|min| MinLen { min }).map_err(|e| {
                Error::UserFunctionError(format!("minlen: bad length {n:?}: {e}").into())
            }),
            _ => Err(Error::UserFunctionError("minlen takes one argument".into())),
        }
    })
    .unwrap();
    conn
}

#[test]
fn a_tokenizer_gets_its_arguments() -> Result<()> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let conn = minlen_db(seen.clone());
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='minlen 4');
         INSERT INTO t VALUES ('the quick brown fox');",
    )?;
    assert_eq!(seen.lock().unwrap()[0], ["4"]);
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'quick'")?,
        1
    );
    // "fox" was too short to be indexed.
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'fox'")?,
        0
    );
    // Quoted arguments arrive unquoted.
    conn.execute_batch("CREATE VIRTUAL TABLE u USING fts5(body, tokenize = \"minlen '2'\")")?;
    assert!(seen.lock().unwrap().iter().any(|a| a == &["2"]));
    Ok(())
}

#[test]
fn a_failing_constructor_fails_the_create_with_its_error() {
    let conn = minlen_db(Arc::default());
    let err = conn
        .execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='minlen many')")
        .unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e) if e.to_string().starts_with("minlen: bad length \"many\"")),
        "{err:?}"
    );
    let err = conn
        .execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='minlen')")
        .unwrap_err();
    assert!(
        err.to_string().contains("minlen takes one argument"),
        "{err}"
    );
    // The closure form takes no arguments.
    let conn = folding_db();
    let err = conn
        .execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='fold x')")
        .unwrap_err();
    assert!(err.to_string().contains("takes no arguments"), "{err}");
}

#[test]
fn an_unknown_tokenizer_is_an_error() {
    let conn = memory_db();
    let err = conn
        .execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='nosuch')")
        .unwrap_err();
    assert!(
        err.to_string().contains("no such tokenizer: nosuch"),
        "{err}"
    );
}

/// Pushes `range` for every text.
fn fixed_range_db(range: std::ops::Range<usize>) -> Connection {
    let conn = memory_db();
    conn.create_fts5_tokenizer_fn("fixed", move |_, _text: &str, sink: &mut TokenSink<'_>| {
        sink.push("tok", range.clone())
    })
    .unwrap();
    conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='fixed')")
        .unwrap();
    conn
}

#[test]
fn bad_token_ranges_are_errors() -> Result<()> {
    // Past the end.
    let conn = fixed_range_db(0..99);
    let err = conn
        .execute("INSERT INTO t VALUES ('short')", [])
        .unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e)
            if e.to_string().contains("byte range 0..99") && e.to_string().contains("5-byte text")),
        "{err:?}"
    );
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t")?,
        0,
        "nothing inserted"
    );
    // Inside a character.
    let conn = fixed_range_db(0..1);
    let err = conn.execute("INSERT INTO t VALUES ('é')", []).unwrap_err();
    assert!(err.to_string().contains("byte range 0..1"), "{err}");
    // Reversed.
    #[allow(clippy::reversed_empty_ranges)]
    let conn = fixed_range_db(3..1);
    let err = conn
        .execute("INSERT INTO t VALUES ('abcd')", [])
        .unwrap_err();
    assert!(err.to_string().contains("byte range 3..1"), "{err}");
    // A valid range works on the same kind of table.
    let conn = fixed_range_db(0..2);
    conn.execute("INSERT INTO t VALUES ('abcd')", [])?;
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'tok'")?,
        1
    );
    Ok(())
}

#[test]
fn a_tokenizer_ignoring_a_rejected_push_still_fails() {
    let conn = memory_db();
    let second = Arc::new(Mutex::new(None));
    let s = second.clone();
    conn.create_fts5_tokenizer_fn("stubborn", move |_, _: &str, sink: &mut TokenSink<'_>| {
        let _ = sink.push("a", 0..1000);
        // Every later push fails too, without reaching FTS5.
        *s.lock().unwrap() = Some(sink.push("b", 0..0).is_err());
        Ok(())
    })
    .unwrap();
    conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='stubborn')")
        .unwrap();
    let err = conn.execute("INSERT INTO t VALUES ('x')", []).unwrap_err();
    assert!(err.to_string().contains("byte range 0..1000"), "{err}");
    assert_eq!(*second.lock().unwrap(), Some(true));
}

#[test]
fn an_error_in_the_tokenizer_fails_the_statement() -> Result<()> {
    let conn = memory_db();
    conn.create_fts5_tokenizer_fn("picky", |reason, text: &str, sink: &mut TokenSink<'_>| {
        if text.contains("forbidden") {
            return Err(Error::UserFunctionError(
                format!("picky refuses {reason:?} text").into(),
            ));
        }
        words(text, sink)
    })?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='picky');
         INSERT INTO t VALUES ('fine words');",
    )?;
    let err = conn
        .execute("INSERT INTO t VALUES ('forbidden words')", [])
        .unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e) if e.to_string() == "picky refuses Document text"),
        "{err:?}"
    );
    let err = one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'forbidden'").unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e) if e.to_string() == "picky refuses Query text"),
        "{err:?}"
    );
    // The table still works.
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'fine'")?,
        1
    );
    Ok(())
}

#[test]
fn a_panic_in_the_tokenizer_is_an_error_and_nothing_leaks() -> Result<()> {
    let factories = Arc::new(AtomicUsize::new(0));
    let instances = Arc::new(AtomicUsize::new(0));
    let created = Arc::new(AtomicUsize::new(0));
    {
        let conn = memory_db();
        let (f, i, c) = (factories.clone(), instances.clone(), created.clone());
        let guard = Counted((), f);
        conn.create_fts5_tokenizer("boom", move |args: &[&str]| {
            let _ = &guard;
            if args == ["ctor"] {
                panic!("constructor boom");
            }
            c.fetch_add(1, Ordering::SeqCst);
            struct Boom;
            impl Tokenizer for Boom {
                fn tokenize(
                    &mut self,
                    _: TokenizeReason,
                    text: &str,
                    sink: &mut TokenSink<'_>,
                ) -> Result<()> {
                    if text.contains("boom") {
                        panic!("tokenizer boom");
                    }
                    words(text, sink)
                }
            }
            Ok(Counted(Boom, i.clone()))
        })?;
        let err = conn
            .execute_batch("CREATE VIRTUAL TABLE c USING fts5(body, tokenize='boom ctor')")
            .unwrap_err();
        assert!(matches!(err, Error::UnwindingPanic), "{err:?}");
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='boom');
             INSERT INTO t VALUES ('calm');",
        )?;
        let err = conn
            .execute("INSERT INTO t VALUES ('boom')", [])
            .unwrap_err();
        assert!(matches!(err, Error::UnwindingPanic), "{err:?}");
        let err = one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'boom'").unwrap_err();
        assert!(matches!(err, Error::UnwindingPanic), "{err:?}");
        assert_eq!(
            one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'calm'")?,
            1
        );
        assert_eq!(factories.load(Ordering::SeqCst), 0);
        conn.execute_batch("DROP TABLE t")?;
        let made = created.load(Ordering::SeqCst);
        assert!(made >= 1);
        assert_eq!(
            instances.load(Ordering::SeqCst),
            made,
            "every instance of the dropped table freed"
        );
        conn.close().map_err(|(_, e)| e)?;
    }
    assert_eq!(
        factories.load(Ordering::SeqCst),
        1,
        "the factory is freed once, at close"
    );
    assert_eq!(
        instances.load(Ordering::SeqCst),
        created.load(Ordering::SeqCst)
    );
    Ok(())
}

#[test]
fn text_that_is_not_utf8_is_an_error() -> Result<()> {
    let conn = folding_db();
    conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='fold')")?;
    let err = conn
        .execute("INSERT INTO t VALUES (x'41ff42')", [])
        .unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e)
            if e.to_string().contains("not valid UTF-8 (invalid byte at offset 1)")),
        "{err:?}"
    );
    // A BLOB that is UTF-8 is tokenized as text.
    conn.execute("INSERT INTO t VALUES (x'636166c3a9')", [])?; // "café"
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'cafe'")?,
        1
    );
    Ok(())
}

#[test]
fn colocated_tokens_are_synonyms() -> Result<()> {
    let conn = memory_db();
    conn.create_fts5_tokenizer_fn("syn", |_, text: &str, sink: &mut TokenSink<'_>| {
        let mut pos = 0;
        for w in text.split(' ') {
            let r = pos..pos + w.len();
            sink.push(w, r.clone())?;
            if w == "1st" {
                sink.push_colocated("first", r)?;
            }
            pos += w.len() + 1;
        }
        Ok(())
    })?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='syn');
         INSERT INTO t VALUES ('the 1st prize');",
    )?;
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'first'")?,
        1
    );
    assert_eq!(
        one::<i64>(
            &conn,
            "SELECT count(*) FROM t WHERE t MATCH '\"the first prize\"'"
        )?,
        1
    );
    Ok(())
}

#[test]
fn registering_again_replaces_for_new_tables() -> Result<()> {
    let conn = memory_db();
    conn.create_fts5_tokenizer_fn("v", |_, _: &str, _: &mut TokenSink<'_>| {
        Err(Error::UserFunctionError("the old one".into()))
    })?;
    conn.create_fts5_tokenizer_fn("v", |_, text: &str, sink: &mut TokenSink<'_>| {
        words(text, sink)
    })?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='v'); INSERT INTO t VALUES ('x');",
    )?;
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'x'")?,
        1
    );
    Ok(())
}

#[test]
fn names_with_nul_are_refused() {
    let conn = memory_db();
    let err = conn
        .create_fts5_tokenizer_fn("a\0b", |_, _: &str, _: &mut TokenSink<'_>| Ok(()))
        .unwrap_err();
    assert!(matches!(err, Error::NulError(_)), "{err:?}");
    let err = conn.create_fts5_function("a\0b", |_, _| Ok(0)).unwrap_err();
    assert!(matches!(err, Error::NulError(_)), "{err:?}");
}

// ---- auxiliary functions ----

const CORPUS: &[&str] = &[
    "sqlite is a small fast reliable database engine",
    "rust is a language empowering everyone to build reliable software",
    "the sqlite database file format is stable and cross platform",
    "a full text search engine: sqlite fts5 indexes text for search",
    "rust and sqlite: rust bindings for sqlite, safe rust over sqlite",
    "nothing relevant here at all, just filler words about cooking",
];

fn corpus_db() -> Connection {
    let conn = memory_db();
    conn.execute_batch("CREATE VIRTUAL TABLE docs USING fts5(body)")
        .unwrap();
    for d in CORPUS {
        conn.execute("INSERT INTO docs(body) VALUES (?1)", [d])
            .unwrap();
    }
    conn
}

/// Okapi BM25 as FTS5's built-in `bm25()` computes it (k1 = 1.2,
/// b = 0.75, all column weights 1), negated like `bm25()` (lower is better).
fn bm25(ctx: &Fts5Context<'_>) -> Result<f64> {
    let (k1, b) = (1.2, 0.75);
    let n = ctx.row_count()? as f64;
    let mut total = 0i64;
    let mut len = 0usize;
    for c in 0..ctx.column_count() {
        total += ctx.column_total_size(c)?;
        len += ctx.column_size(c)?;
    }
    let avgdl = total as f64 / n;
    let mut score = 0.0;
    for p in 0..ctx.phrase_count() {
        // Rows holding the phrase, for its idf.
        let mut n_hit = 0.0;
        ctx.query_phrase(p, |_| {
            n_hit += 1.0;
            Ok(true)
        })?;
        let idf = ((n - n_hit + 0.5) / (n_hit + 0.5)).ln().max(1e-6);
        let tf = ctx.phrase_hits(p)?.count() as f64;
        score += idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * len as f64 / avgdl));
    }
    Ok(-score)
}

#[test]
fn a_bm25_in_rust_equals_the_builtin() -> Result<()> {
    let conn = corpus_db();
    conn.create_fts5_function("rustrank", |ctx, _| bm25(ctx))?;
    for q in [
        "sqlite",
        "rust",
        "reliable OR engine",
        "search text",
        "\"sqlite database\" OR rust",
    ] {
        let mut stmt = conn.prepare(
            "SELECT rowid, rustrank(docs), bm25(docs) FROM docs WHERE docs MATCH ?1 ORDER BY rustrank(docs), rowid",
        )?;
        let rows = stmt
            .query_map([q], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, f64>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>>>()?;
        assert!(!rows.is_empty(), "{q}");
        for (rowid, mine, builtin) in &rows {
            assert!(
                (mine - builtin).abs() <= 1e-9 * builtin.abs().max(1.0),
                "{q}: row {rowid}: {mine} vs {builtin}"
            );
        }
        let builtin_order: Vec<i64> = conn
            .prepare("SELECT rowid FROM docs WHERE docs MATCH ?1 ORDER BY bm25(docs), rowid")?
            .query_map([q], |r| r.get(0))?
            .collect::<Result<_>>()?;
        assert_eq!(
            rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            builtin_order,
            "{q}"
        );
    }
    // The row with the most "sqlite" ranks first.
    let best: i64 = one(
        &conn,
        "SELECT rowid FROM docs WHERE docs MATCH 'sqlite' ORDER BY rustrank(docs) LIMIT 1",
    )?;
    assert_eq!(best, 5);
    Ok(())
}

#[test]
fn query_phrase_visits_the_matching_rows() -> Result<()> {
    let conn = corpus_db();
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let l = log.clone();
    conn.create_fts5_function("visit", move |ctx, args| {
        let limit = match args.first() {
            Some(ValueRef::Integer(n)) => *n as usize,
            _ => usize::MAX,
        };
        let mut rows = Vec::new();
        ctx.query_phrase(0, |row| {
            rows.push(format!("{}:{}", row.rowid(), row.phrase_hits(0)?.count()));
            Ok(rows.len() < limit)
        })?;
        l.lock().unwrap().push(rows.join(" "));
        Ok(ctx.rowid())
    })?;
    conn.create_fts5_function("visit_fails", |ctx, args| {
        ctx.query_phrase(0, |_| match args.first() {
            Some(ValueRef::Integer(1)) => panic!("row boom"),
            _ => Err(Error::UserFunctionError("row says no".into())),
        })?;
        Ok(0)
    })?;
    one::<i64>(
        &conn,
        "SELECT visit(docs) FROM docs WHERE docs MATCH 'rust' LIMIT 1",
    )?;
    one::<i64>(
        &conn,
        "SELECT visit(docs, 1) FROM docs WHERE docs MATCH 'rust' LIMIT 1",
    )?;
    assert_eq!(log.lock().unwrap().as_slice(), ["2:1 5:3", "2:1"]);
    let err = one::<i64>(
        &conn,
        "SELECT visit_fails(docs) FROM docs WHERE docs MATCH 'rust'",
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e) if e.to_string() == "row says no"),
        "{err:?}"
    );
    let err = one::<i64>(
        &conn,
        "SELECT visit_fails(docs, 1) FROM docs WHERE docs MATCH 'rust'",
    )
    .unwrap_err();
    assert!(matches!(err, Error::UnwindingPanic), "{err:?}");
    let err = one::<i64>(&conn, "SELECT visit(docs) FROM docs").unwrap_err();
    assert!(
        err.to_string().contains("phrase index 0 out of range"),
        "{err}"
    );
    Ok(())
}

#[test]
fn the_context_reports_the_match() -> Result<()> {
    let conn = memory_db();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(title, body);
         INSERT INTO t VALUES ('alpha beta', 'beta gamma beta delta');
         INSERT INTO t VALUES ('other', 'words entirely');",
    )?;
    type Report = (
        usize,
        i64,
        i64,
        Vec<usize>,
        usize,
        Vec<usize>,
        Vec<Inst>,
        i64,
        Vec<Vec<(usize, usize)>>,
    );
    let out: Arc<Mutex<Option<Report>>> = Arc::default();
    let o = out.clone();
    conn.create_fts5_function("report", move |ctx, _| {
        let cols = ctx.column_count();
        let sizes = (0..cols)
            .map(|c| ctx.column_size(c))
            .collect::<Result<Vec<_>>>()?;
        let phrases = ctx.phrase_count();
        let psizes = (0..phrases)
            .map(|p| ctx.phrase_size(p))
            .collect::<Result<Vec<_>>>()?;
        let insts = (0..ctx.inst_count()?)
            .map(|i| ctx.inst(i))
            .collect::<Result<Vec<_>>>()?;
        let hits = (0..phrases)
            .map(|p| Ok(ctx.phrase_hits(p)?.collect()))
            .collect::<Result<Vec<_>>>()?;
        *o.lock().unwrap() = Some((
            cols,
            ctx.row_count()?,
            ctx.column_total_size(1)?,
            sizes,
            phrases,
            psizes,
            insts,
            ctx.rowid(),
            hits,
        ));
        Ok(ctx.column_text(0)?.to_owned())
    })?;
    let title: String = one(
        &conn,
        "SELECT report(t) FROM t WHERE t MATCH 'beta OR \"gamma beta\"'",
    )?;
    assert_eq!(title, "alpha beta");
    let (cols, rows, total1, sizes, phrases, psizes, insts, rowid, hits) =
        out.lock().unwrap().take().unwrap();
    assert_eq!((cols, rows, total1), (2, 2, 6));
    assert_eq!(sizes, [2, 4]);
    assert_eq!((phrases, psizes), (2, vec![1, 2]));
    let inst = |phrase, column, offset| Inst {
        phrase,
        column,
        offset,
    };
    assert_eq!(
        insts,
        [inst(0, 0, 1), inst(0, 1, 0), inst(1, 1, 1), inst(0, 1, 2)]
    );
    assert_eq!(rowid, 1);
    assert_eq!(hits, [vec![(0, 1), (1, 0), (1, 2)], vec![(1, 1)]]);
    Ok(())
}

#[test]
fn out_of_range_indexes_are_errors() -> Result<()> {
    let conn = corpus_db();
    let checks: Arc<Mutex<Vec<String>>> = Arc::default();
    let c = checks.clone();
    conn.create_fts5_function("probe", move |ctx, _| {
        let mut v = c.lock().unwrap();
        v.push(format!("{:?}", ctx.column_text(1).unwrap_err()));
        v.push(format!("{:?}", ctx.column_size(usize::MAX).unwrap_err()));
        v.push(format!("{:?}", ctx.column_total_size(7).unwrap_err()));
        v.push(ctx.phrase_size(1).unwrap_err().to_string());
        v.push(ctx.phrase_hits(usize::MAX).err().unwrap().to_string());
        v.push(ctx.inst(ctx.inst_count()?).unwrap_err().to_string());
        v.push(ctx.inst(usize::MAX).unwrap_err().to_string());
        Ok(0)
    })?;
    one::<i64>(
        &conn,
        "SELECT probe(docs) FROM docs WHERE docs MATCH 'stable'",
    )?;
    let v = checks.lock().unwrap();
    assert_eq!(v[0], "InvalidColumnIndex(1)");
    assert_eq!(v[1], format!("InvalidColumnIndex({})", usize::MAX));
    assert_eq!(v[2], "InvalidColumnIndex(7)");
    assert!(
        v[3].contains("phrase index 1 out of range (the query has 1 phrases)"),
        "{}",
        v[3]
    );
    assert!(v[4].contains("out of range"), "{}", v[4]);
    assert!(
        v[5].contains("instance index 1 out of range (the row has 1 instances)"),
        "{}",
        v[5]
    );
    assert!(v[6].contains("out of range"), "{}", v[6]);
    Ok(())
}

/// Highlights the phrase instances of column `col` using the instance
/// token offsets and the byte ranges of the table's tokenizer.
fn highlight(ctx: &Fts5Context<'_>, col: usize, open: &str, close: &str) -> Result<String> {
    let text = ctx.column_text(col)?;
    // Token spans [first, last] of the instances in this column, merged
    // where they overlap (as the built-in highlight() does).
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for i in 0..ctx.inst_count()? {
        let inst = ctx.inst(i)?;
        if inst.column == col {
            let last = inst.offset + ctx.phrase_size(inst.phrase)?.max(1) - 1;
            match spans.last_mut() {
                Some(s) if inst.offset <= s.1 => s.1 = s.1.max(last),
                _ => spans.push((inst.offset, last)),
            }
        }
    }
    // Byte ranges of the spans, from the table's tokenizer.
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    let mut pos = 0;
    ctx.tokenize(text, |tok| {
        if tok.colocated {
            return Ok(());
        }
        for &(first, last) in &spans {
            if pos == first {
                ranges.push(tok.range.clone());
            }
            if pos == last {
                if let Some(r) = ranges.last_mut() {
                    r.end = tok.range.end;
                }
            }
        }
        pos += 1;
        Ok(())
    })?;
    let mut out = String::new();
    let mut last = 0;
    for r in ranges {
        out.push_str(&text[last..r.start]);
        out.push_str(open);
        out.push_str(&text[r.clone()]);
        out.push_str(close);
        last = r.end;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

fn text_arg(args: &[ValueRef<'_>], i: usize) -> Result<String> {
    match args.get(i) {
        Some(ValueRef::Text(t)) => Ok(String::from_utf8_lossy(t).into_owned()),
        _ => Err(Error::UserFunctionError(
            format!("argument {i} must be text").into(),
        )),
    }
}

#[test]
fn a_rust_highlight_matches_the_builtin() -> Result<()> {
    let conn = folding_db();
    conn.create_fts5_function("hl", |ctx, args| {
        let col = match args.first() {
            Some(ValueRef::Integer(i)) => {
                usize::try_from(*i).map_err(|_| Error::InvalidColumnIndex(0))?
            }
            _ => 0,
        };
        highlight(ctx, col, &text_arg(args, 1)?, &text_arg(args, 2)?)
    })?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='fold');
         INSERT INTO t VALUES ('Le café, la crème et le CAFÉ noir'), ('rien');",
    )?;
    for q in ["cafe", "creme OR noir", "\"cafe noir\"", "caf*"] {
        let sql = format!(
            "SELECT hl(t, 0, '[', ']'), highlight(t, 0, '[', ']') FROM t WHERE t MATCH '{}'",
            q.replace('\'', "''")
        );
        let (mine, builtin): (String, String) =
            conn.query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        assert_eq!(mine, builtin, "query {q}");
    }
    let h: String = one(
        &conn,
        "SELECT hl(t, 0, '<b>', '</b>') FROM t WHERE t MATCH 'cafe'",
    )?;
    assert_eq!(h, "Le <b>café</b>, la crème et le <b>CAFÉ</b> noir");
    // A bad argument is the function's error.
    let err =
        one::<String>(&conn, "SELECT hl(t, 0, 1, 2) FROM t WHERE t MATCH 'cafe'").unwrap_err();
    assert!(err.to_string().contains("argument 1 must be text"), "{err}");
    Ok(())
}

#[test]
fn errors_and_panics_of_an_aux_function_fail_the_query() -> Result<()> {
    let conn = corpus_db();
    conn.create_fts5_function("fails", |_, _| {
        Err::<i64, _>(Error::UserFunctionError("no rank today".into()))
    })?;
    conn.create_fts5_function("panics", |_, _| -> Result<i64> { panic!("rank boom") })?;
    conn.create_fts5_function("tok_panics", |ctx, _| {
        ctx.tokenize("a b c", |_| panic!("token boom"))?;
        Ok(0)
    })?;
    conn.create_fts5_function("tok_fails", |ctx, _| {
        let mut n = 0;
        let r = ctx.tokenize("a b c", |_| {
            n += 1;
            Err(Error::UserFunctionError("enough".into()))
        });
        assert_eq!(n, 1, "the tokenizer stops at the first error");
        r.map(|()| 0)
    })?;
    let err = one::<i64>(
        &conn,
        "SELECT fails(docs) FROM docs WHERE docs MATCH 'rust'",
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e) if e.to_string() == "no rank today"),
        "{err:?}"
    );
    let err = one::<i64>(
        &conn,
        "SELECT panics(docs) FROM docs WHERE docs MATCH 'rust'",
    )
    .unwrap_err();
    assert!(matches!(err, Error::UnwindingPanic), "{err:?}");
    let err = one::<i64>(
        &conn,
        "SELECT tok_panics(docs) FROM docs WHERE docs MATCH 'rust'",
    )
    .unwrap_err();
    assert!(matches!(err, Error::UnwindingPanic), "{err:?}");
    let err = one::<i64>(
        &conn,
        "SELECT tok_fails(docs) FROM docs WHERE docs MATCH 'rust'",
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e) if e.to_string() == "enough"),
        "{err:?}"
    );
    // The connection still works.
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM docs WHERE docs MATCH 'rust'")?,
        2
    );
    Ok(())
}

#[test]
fn tokenize_in_an_aux_function_runs_a_rust_tokenizer() -> Result<()> {
    let conn = folding_db();
    conn.create_fts5_function("tokens", |ctx, _| {
        let mut out = Vec::new();
        ctx.tokenize(ctx.column_text(0)?, |t| {
            out.push(format!("{}@{}..{}", t.text, t.range.start, t.range.end));
            Ok(())
        })?;
        Ok(out.join(" "))
    })?;
    conn.create_fts5_function("tok_panics", |ctx, _| {
        ctx.tokenize("x y", |_| panic!("nested boom"))?;
        Ok(0)
    })?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='fold');
         INSERT INTO t VALUES ('Déjà vu');",
    )?;
    let s: String = one(&conn, "SELECT tokens(t) FROM t WHERE t MATCH 'deja'")?;
    assert_eq!(s, "deja@0..6 vu@7..9");
    // A panic in the callback crosses the Rust tokenizer and C twice and
    // comes out as the query's error.
    let err = one::<i64>(&conn, "SELECT tok_panics(t) FROM t WHERE t MATCH 'deja'").unwrap_err();
    assert!(matches!(err, Error::UnwindingPanic), "{err:?}");
    Ok(())
}

#[test]
fn aux_functions_get_their_arguments_and_any_result_type() -> Result<()> {
    let conn = corpus_db();
    conn.create_fts5_function("echo", |ctx, args| {
        Ok(match args {
            [] => ferrolite::types::Value::Integer(ctx.rowid()),
            [ValueRef::Null] => ferrolite::types::Value::Null,
            [v] => ferrolite::types::Value::from(*v),
            _ => ferrolite::types::Value::Blob(vec![args.len() as u8]),
        })
    })?;
    let q = |a: &str| format!("SELECT echo(docs{a}) FROM docs WHERE docs MATCH 'stable'");
    assert_eq!(one::<i64>(&conn, &q(""))?, 3);
    assert_eq!(one::<Option<i64>>(&conn, &q(", NULL"))?, None);
    assert_eq!(one::<f64>(&conn, &q(", 2.5"))?, 2.5);
    assert_eq!(one::<String>(&conn, &q(", 'x'"))?, "x");
    assert_eq!(one::<Vec<u8>>(&conn, &q(", 1, 2"))?, [2]);
    Ok(())
}

#[test]
fn an_aux_function_is_freed_once_at_close() -> Result<()> {
    let drops = Arc::new(AtomicUsize::new(0));
    let conn = corpus_db();
    let guard = Counted((), drops.clone());
    conn.create_fts5_function("g", move |_, _| {
        let _ = &guard;
        Ok(1)
    })?;
    assert_eq!(
        one::<i64>(&conn, "SELECT g(docs) FROM docs WHERE docs MATCH 'stable'")?,
        1
    );
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    conn.close().map_err(|(_, e)| e)?;
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    Ok(())
}

#[test]
fn calling_an_aux_function_outside_fts5_is_an_error() {
    let conn = corpus_db();
    conn.create_fts5_function("g", |_, _| Ok(1)).unwrap();
    let err = one::<i64>(&conn, "SELECT g(1)").unwrap_err();
    assert!(
        err.to_string().contains("unable to use function g"),
        "{err}"
    );
}

#[test]
fn fts5_is_not_reentered_from_a_tokenize_callback() -> Result<()> {
    // The built-in unicode61 tokenizer hands out tokens in a buffer that a
    // nested tokenization would overwrite: ferrolite refuses the nesting.
    let conn = memory_db();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, columnsize=0);
         INSERT INTO t VALUES ('Aaaa bbbb cccc');",
    )?;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let s = seen.clone();
    conn.create_fts5_function("nest", move |ctx, _| {
        let text = ctx.column_text(0)?.to_owned();
        let mut tokens = Vec::new();
        ctx.tokenize(&text, |t| {
            let nested = ctx.tokenize(
                "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
                |_| Ok(()),
            );
            s.lock().unwrap().push(nested.unwrap_err().to_string());
            // columnsize=0: FTS5 would tokenize the row to answer this.
            s.lock()
                .unwrap()
                .push(ctx.column_size(0).unwrap_err().to_string());
            // Nor through a query_phrase context (same tokenizer).
            s.lock()
                .unwrap()
                .push(ctx.query_phrase(0, |_| Ok(true)).unwrap_err().to_string());
            tokens.push(t.text.to_owned());
            Ok(())
        })?;
        // Usable again once tokenize returned.
        assert_eq!(ctx.column_size(0)?, 3);
        // A query_phrase context shares the flag: tokenizing through the
        // outer context inside it can't reach FTS5 through the inner one.
        let mut inner_errors = Vec::new();
        ctx.query_phrase(0, |row| {
            ctx.tokenize("qqq", |_| {
                inner_errors.push(row.column_size(0).is_err());
                Ok(())
            })?;
            Ok(true)
        })?;
        assert_eq!(inner_errors, [true]);
        Ok(tokens.join(","))
    })?;
    let tokens: String = one(&conn, "SELECT nest(t) FROM t WHERE t MATCH 'bbbb'")?;
    assert_eq!(tokens, "aaaa,bbbb,cccc");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 9);
    assert!(
        seen.iter()
            .all(|m| m.contains("can't be called from inside")),
        "{seen:?}"
    );
    Ok(())
}

// ---- token filters over another tokenizer ----

fn stop_filter_db() -> Connection {
    let conn = memory_db();
    conn.create_fts5_token_filter(
        "nostop",
        |_, token: ferrolite::fts5::Token<'_>, sink: &mut TokenSink<'_>| {
            if ["the", "of", "a"].contains(&token.text) {
                return Ok(());
            }
            if token.text == "rings" {
                sink.push(token.text, token.range.clone())?;
                return sink.push_colocated("ring", token.range);
            }
            sink.push(token.text, token.range)
        },
    )
    .unwrap();
    conn
}

#[test]
fn a_token_filter_post_processes_a_builtin_tokenizer() -> Result<()> {
    let conn = stop_filter_db();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='nostop unicode61 remove_diacritics 2');
         CREATE VIRTUAL TABLE p USING fts5(body, tokenize='nostop porter');
         CREATE VIRTUAL TABLE d USING fts5(body, tokenize='nostop');
         INSERT INTO t VALUES ('The Lord of the Rings: Frodo Sacquet, né à la Comté');
         INSERT INTO p VALUES ('The running of the rings');
         INSERT INTO d VALUES ('The Fellowship of the Ring');",
    )?;
    let count = |sql: &str| one::<i64>(&conn, sql);
    assert_eq!(
        count("SELECT count(*) FROM t WHERE t MATCH 'comte AND ne'")?,
        1,
        "base arguments apply"
    );
    assert_eq!(
        count("SELECT count(*) FROM t WHERE t MATCH 'the'")?,
        0,
        "stop word dropped"
    );
    assert_eq!(
        count("SELECT count(*) FROM t WHERE t MATCH 'ring'")?,
        1,
        "colocated synonym"
    );
    assert_eq!(
        count("SELECT count(*) FROM p WHERE p MATCH 'run'")?,
        1,
        "porter stems under the filter"
    );
    assert_eq!(
        count("SELECT count(*) FROM d WHERE d MATCH 'fellowship'")?,
        1,
        "unicode61 by default"
    );
    assert_eq!(
        strings(
            &conn,
            "SELECT highlight(t, 0, '[', ']') FROM t WHERE t MATCH 'comte'"
        )?,
        ["The Lord of the Rings: Frodo Sacquet, né à la [Comté]"]
    );
    // Over a Rust tokenizer too.
    conn.create_fts5_tokenizer_fn("fold", |_, text: &str, sink: &mut TokenSink<'_>| {
        words(text, sink)
    })?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE f USING fts5(body, tokenize='nostop fold');
         INSERT INTO f VALUES ('Le Café of the Rings');",
    )?;
    assert_eq!(
        count("SELECT count(*) FROM f WHERE f MATCH 'cafe AND ring'")?,
        1
    );
    Ok(())
}

#[test]
fn token_filter_failures_are_errors() -> Result<()> {
    let conn = stop_filter_db();
    let err = conn
        .execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='nostop nosuch')")
        .unwrap_err();
    assert!(
        err.to_string().contains("no such fts5 tokenizer: nosuch"),
        "{err}"
    );
    let err = conn
        .execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='nostop unicode61 bogus 1')",
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("fts5 tokenizer unicode61 failed to start"),
        "{err}"
    );

    conn.create_fts5_token_filter(
        "fussy",
        |_, token: ferrolite::fts5::Token<'_>, sink: &mut TokenSink<'_>| match token.text {
            "panic" => panic!("filter boom"),
            "error" => Err(Error::UserFunctionError("filter says no".into())),
            "range" => sink.push("x", 0..10_000),
            t => sink.push(t, token.range),
        },
    )?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='fussy');
         INSERT INTO t VALUES ('all fine');",
    )?;
    let err = conn
        .execute("INSERT INTO t VALUES ('a panic here')", [])
        .unwrap_err();
    assert!(matches!(err, Error::UnwindingPanic), "{err:?}");
    let err = conn
        .execute("INSERT INTO t VALUES ('an error here')", [])
        .unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e) if e.to_string() == "filter says no"),
        "{err:?}"
    );
    let err = conn
        .execute("INSERT INTO t VALUES ('out of range')", [])
        .unwrap_err();
    assert!(err.to_string().contains("byte range 0..10000"), "{err}");
    let err = one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'panic'").unwrap_err();
    assert!(matches!(err, Error::UnwindingPanic), "{err:?}");
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'fine'")?,
        1
    );
    Ok(())
}

#[test]
fn tokenizers_move_with_the_connection_to_another_thread() -> Result<()> {
    let conn = folding_db();
    conn.create_fts5_function("first", |ctx, _| Ok(ctx.column_text(0)?.to_owned()))?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='fold');
         INSERT INTO t VALUES ('Été indien');",
    )?;
    let conn = std::thread::spawn(move || -> Result<Connection> {
        conn.execute("INSERT INTO t VALUES ('Hiver précoce')", [])?;
        let s: String = one(&conn, "SELECT first(t) FROM t WHERE t MATCH 'ete'")?;
        assert_eq!(s, "Été indien");
        Ok(conn)
    })
    .join()
    .unwrap()?;
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'precoce'")?,
        1
    );
    Ok(())
}

#[test]
fn a_tokenizer_error_fails_the_query_even_if_the_function_ignores_it() -> Result<()> {
    let conn = memory_db();
    conn.create_fts5_tokenizer_fn(
        "aux_fails",
        |reason, text: &str, sink: &mut TokenSink<'_>| {
            if reason == TokenizeReason::Aux {
                return Err(Error::UserFunctionError("no aux tokens".into()));
            }
            words(text, sink)
        },
    )?;
    conn.create_fts5_function("ignores", |ctx, _| {
        let r = ctx.tokenize("some text", |_| Ok(()));
        Ok(r.is_err())
    })?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='aux_fails');
         INSERT INTO t VALUES ('some text');",
    )?;
    let err = one::<bool>(&conn, "SELECT ignores(t) FROM t WHERE t MATCH 'text'").unwrap_err();
    assert!(
        matches!(&err, Error::UserFunctionError(e) if e.to_string() == "no aux tokens"),
        "{err:?}"
    );
    // The next statement is not affected.
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM t WHERE t MATCH 'text'")?,
        1
    );
    Ok(())
}

#[test]
fn a_contentless_table_has_no_column_text() -> Result<()> {
    let conn = folding_db();
    conn.create_fts5_function("txt", |ctx, _| Ok(ctx.column_text(0)?.to_owned()))?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(body, content='', tokenize='fold');
         INSERT INTO t(rowid, body) VALUES (7, 'Crème fraîche');",
    )?;
    let s: String = one(&conn, "SELECT txt(t) FROM t WHERE t MATCH 'creme'")?;
    assert_eq!(s, "");
    Ok(())
}
