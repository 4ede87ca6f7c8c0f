#![allow(unsafe_code)] // FTS5's C API: fts5_api, tokenizer and auxiliary-function trampolines
//! FTS5 from Rust: custom tokenizers and auxiliary (ranking, highlighting)
//! functions for SQLite's full-text search engine, which the vendored
//! SQLite has compiled in.
//!
//! * [`Connection::create_fts5_tokenizer`] registers a [`Tokenizer`] that
//!   `CREATE VIRTUAL TABLE … USING fts5(…, tokenize='name args…')` can name;
//!   [`Connection::create_fts5_tokenizer_fn`] is the closure form.
//! * [`Connection::create_fts5_token_filter`] registers a Rust step after
//!   another tokenizer (`tokenize='name unicode61 remove_diacritics 2'`):
//!   stop words, synonyms, folding on top of `unicode61` or `porter`.
//! * [`Connection::create_fts5_function`] registers an auxiliary function
//!   (`SELECT myrank(t) FROM t WHERE t MATCH …`) that reads the current
//!   match through a safe [`Fts5Context`]: phrase and instance positions,
//!   column sizes, column text, the table's own tokenizer, and
//!   [`query_phrase`](Fts5Context::query_phrase) for document frequencies:
//!   enough for `bm25()` (`tests/extend/fts5.rs` recomputes it exactly)
//!   and `highlight()` (`examples/fts5.rs`).
//!
//! Everything a tokenizer hands to FTS5 is checked: token offsets must lie
//! inside the text and on `char` boundaries, the text given to a tokenizer
//! must be UTF-8 (an FTS5 column can hold a BLOB), and an error or a panic
//! in any callback makes the SQL statement fail with that error
//! ([`Error::UnwindingPanic`] for a panic), never unwinding into C.
//!
//! ```
//! use ferrolite::fts5::{TokenSink, TokenizeReason};
//! use ferrolite::Connection;
//!
//! let conn = Connection::open_in_memory()?;
//! // Words of ASCII letters, lower-cased.
//! conn.create_fts5_tokenizer_fn("words", |_reason: TokenizeReason, text: &str, sink: &mut TokenSink<'_>| {
//!     let mut start = None;
//!     for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
//!         match (c.is_ascii_alphabetic(), start) {
//!             (true, None) => start = Some(i),
//!             (false, Some(s)) => {
//!                 sink.push(&text[s..i].to_ascii_lowercase(), s..i)?;
//!                 start = None;
//!             }
//!             _ => {}
//!         }
//!     }
//!     Ok(())
//! })?;
//! // A ranking function: how many phrase instances the row matched.
//! conn.create_fts5_function("hits", |ctx, _args| ctx.inst_count().map(|n| n as i64))?;
//!
//! conn.execute_batch(
//!     "CREATE VIRTUAL TABLE docs USING fts5(body, tokenize='words');
//!      INSERT INTO docs(body) VALUES ('Rust and SQLite'), ('SQLITE, sqlite, SQLite!');",
//! )?;
//! let best: (String, i64) = conn.query_row(
//!     "SELECT body, hits(docs) FROM docs WHERE docs MATCH 'sqlite' ORDER BY hits(docs) DESC",
//!     [],
//!     |r| Ok((r.get(0)?, r.get(1)?)),
//! )?;
//! assert_eq!(best, ("SQLITE, sqlite, SQLite!".to_owned(), 3));
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! # Lifetimes
//!
//! A [`Fts5Context`], the `&str` its [`column_text`](Fts5Context::column_text)
//! returns and a [`TokenSink`] live only for the callback that received
//! them: the callbacks are `'static` and their results may not borrow from
//! their arguments, so none of them can be kept for later (see
//! `tests/ui/extend_fts5_*.rs`).
//!
//! # Backends
//!
//! With the `libsqlite3-sys` backend FTS5 is there only if that library
//! was built with it; otherwise registering fails with an error saying so.

use std::ffi::{c_char, c_int, c_void};
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::Arc;

use crate::callback::boxed::CallbackBox;
use crate::callback::error_stash::Stash;
use crate::callback::panic::{catch_panic, drop_payload, panic_message};
use crate::extend::functions::{error_code, stashed};
use crate::ffi::{self, sqlite3_context, sqlite3_value};
use crate::types::{ToSql, ToSqlOutput, ValueRef};
use crate::{Connection, Error, Name, Result};

// The FTS5 constants of sqlite3.h, which bindgen does not emit (they are
// `#define`s next to the FTS5 structs, outside the generated allowlist).
/// `FTS5_TOKENIZE_QUERY`: tokenizing a MATCH query.
const FTS5_TOKENIZE_QUERY: c_int = 0x0001;
/// `FTS5_TOKENIZE_PREFIX`: with QUERY, the token is a prefix query (`abc*`).
const FTS5_TOKENIZE_PREFIX: c_int = 0x0002;
/// `FTS5_TOKENIZE_DOCUMENT`: tokenizing a document to index it.
const FTS5_TOKENIZE_DOCUMENT: c_int = 0x0004;
/// `FTS5_TOKENIZE_AUX`: tokenizing for an auxiliary function.
const FTS5_TOKENIZE_AUX: c_int = 0x0008;
/// `FTS5_TOKEN_COLOCATED`: the token is a synonym at the previous position.
const FTS5_TOKEN_COLOCATED: c_int = 0x0001;

/// The C signature of FTS5's per-token callback (`xToken`).
type XToken = unsafe extern "C" fn(*mut c_void, c_int, *const c_char, c_int, c_int, c_int) -> c_int;

// ---------------------------------------------------------------------------
// Getting the fts5_api
// ---------------------------------------------------------------------------

/// The connection's `fts5_api`, fetched the documented way
/// (`SELECT fts5(?1)` with a pointer bound as `"fts5_api_ptr"`).
fn fts5_api(conn: &Connection) -> Result<*mut ffi::fts5_api> {
    let mut api: *mut ffi::fts5_api = std::ptr::null_mut();
    let unavailable = || {
        Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_ERROR),
            Some(
                "FTS5 is not available: this SQLite was built without SQLITE_ENABLE_FTS5 \
                 (it has no fts5() function)"
                    .to_owned(),
            ),
        )
    };
    {
        // SAFETY: fts5(?1) writes one `fts5_api*` through the pointer, during
        // the step below, on this thread; `api` outlives the statement,
        // which is finalized at the end of this block.
        let ptr = unsafe {
            ToSqlOutput::from_raw_pointer((&raw mut api).cast::<c_void>(), c"fts5_api_ptr")
        };
        let mut stmt = conn
            .prepare("SELECT fts5(?1)")
            .map_err(|e| no_fts5_function(e, unavailable))?;
        stmt.query_row([ptr], |_| Ok(()))?;
    }
    if api.is_null() {
        return Err(unavailable());
    }
    // SAFETY: non-null, set by FTS5 to its global object, which lives as
    // long as the connection.
    let version = unsafe { (*api).iVersion };
    if version < 2 {
        return Err(Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_ERROR),
            Some(format!(
                "FTS5 API version {version} is too old (2 or later needed)"
            )),
        ));
    }
    Ok(api)
}

/// The error of preparing `SELECT fts5(?1)`: "no such function" means
/// this SQLite has no FTS5.
fn no_fts5_function(e: Error, unavailable: impl FnOnce() -> Error) -> Error {
    match e {
        Error::SqlInputError { ref msg, .. } if msg.starts_with("no such function") => {
            unavailable()
        }
        e => e,
    }
}

fn missing_method(name: &str) -> Error {
    Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_MISUSE),
        Some(format!("FTS5 does not provide {name}")),
    )
}

/// The extension API's method `$name` (of `$ctx.api`), or the error that
/// FTS5 does not provide it.
macro_rules! api_method {
    ($ctx:expr, $name:ident) => {
        $ctx.api
            .$name
            .ok_or_else(|| missing_method(stringify!($name)))
    };
}

/// A user-facing error for something a callback did wrong.
fn user_error(msg: String) -> Error {
    Error::UserFunctionError(msg.into())
}

/// The error for a non-OK code SQLite returned to us.
fn sqlite_error(rc: c_int, what: &str) -> Error {
    let err = ffi::Error::new(rc);
    Error::SqliteFailure(err, Some(format!("{what}: {err}")))
}

fn c_index(i: usize) -> Option<c_int> {
    c_int::try_from(i).ok()
}

fn c_usize(n: c_int) -> usize {
    usize::try_from(n).unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Tokenizers
// ---------------------------------------------------------------------------

/// Why FTS5 asks a [`Tokenizer`] to tokenize a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenizeReason {
    /// A document being inserted into (or removed from) the index.
    Document,
    /// A term of a MATCH query.
    Query,
    /// A term of a MATCH query followed by `*` (a prefix query): the
    /// tokenizer should not, e.g., stem it.
    Prefix,
    /// Text an auxiliary function asked to tokenize
    /// ([`Fts5Context::tokenize`], or FTS5's own `highlight()`/`snippet()`).
    Aux,
}

impl TokenizeReason {
    fn from_flags(flags: c_int) -> TokenizeReason {
        if flags & FTS5_TOKENIZE_QUERY != 0 {
            if flags & FTS5_TOKENIZE_PREFIX != 0 {
                TokenizeReason::Prefix
            } else {
                TokenizeReason::Query
            }
        } else if flags & FTS5_TOKENIZE_AUX != 0 {
            TokenizeReason::Aux
        } else {
            debug_assert!(flags & FTS5_TOKENIZE_DOCUMENT != 0 || flags == 0);
            TokenizeReason::Document
        }
    }
}

/// A tokenizer for FTS5 tables, created per table by the factory given to
/// [`Connection::create_fts5_tokenizer`] from the table's `tokenize=`
/// arguments.
///
/// For each text FTS5 calls [`tokenize`](Self::tokenize), which reports
/// the text's tokens in order through [`TokenSink::push`], each with the
/// byte range of `text` it came from (FTS5's `highlight()` and
/// `snippet()` use the ranges to cut the original text).
pub trait Tokenizer: Send + 'static {
    /// Splits `text` into tokens, pushed in order into `sink`.
    ///
    /// # Errors
    /// Any error makes the statement that needed the tokens (an `INSERT`,
    /// a `MATCH` query, an auxiliary function) fail with it. An error from
    /// [`TokenSink::push`] should be returned as is (with `?`).
    fn tokenize(
        &mut self,
        reason: TokenizeReason,
        text: &str,
        sink: &mut TokenSink<'_>,
    ) -> Result<()>;
}

/// How a tokenizer's output failed, to return from `xTokenize`.
enum SinkState {
    /// Every push went through.
    Ok,
    /// FTS5's callback returned this code (an error, or `SQLITE_DONE` to
    /// stop early): `xTokenize` must return it.
    Stopped(c_int),
    /// A push was invalid (bad range, token too long): this is the error.
    Rejected(Error),
}

/// Where a [`Tokenizer`] reports the tokens of one text. It lives only for
/// one call of [`Tokenizer::tokenize`].
pub struct TokenSink<'a> {
    text: &'a str,
    locale: Option<&'a str>,
    ctx: *mut c_void,
    x_token: XToken,
    state: SinkState,
    /// The tokenizer's name, for messages.
    name: &'a str,
    /// Not `Send`/`Sync`: FTS5's callback belongs to this thread's call.
    _not_send: PhantomData<*mut ()>,
}

impl TokenSink<'_> {
    /// Reports the next token: `token` (the text FTS5 indexes or looks up,
    /// e.g. case-folded) found at `range`, a byte range of the text being
    /// tokenized.
    ///
    /// # Errors
    /// A `range` outside the text or not on `char` boundaries (an error
    /// naming the tokenizer and the range; nothing is pushed); a token
    /// longer than `i32::MAX` bytes; FTS5's own error, or its request to
    /// stop (e.g. `SQLITE_DONE` once `highlight()` has what it needs): the
    /// tokenizer should then return the error as is. After an error every
    /// later push fails the same way.
    pub fn push(&mut self, token: &str, range: Range<usize>) -> Result<()> {
        self.emit(token, range, 0)
    }

    /// Reports a synonym of the token pushed just before, at the same
    /// position (FTS5's `FTS5_TOKEN_COLOCATED`), e.g. "1st" after "first".
    ///
    /// # Errors
    /// As [`push`](Self::push).
    pub fn push_colocated(&mut self, token: &str, range: Range<usize>) -> Result<()> {
        self.emit(token, range, FTS5_TOKEN_COLOCATED)
    }

    /// The locale FTS5 passed with the text (see `fts5_locale()` in
    /// SQLite's documentation), if any and if it is UTF-8.
    #[must_use]
    pub fn locale(&self) -> Option<&str> {
        self.locale
    }

    fn emit(&mut self, token: &str, range: Range<usize>, flags: c_int) -> Result<()> {
        match &self.state {
            SinkState::Ok => {}
            SinkState::Stopped(rc) => return Err(sqlite_error(*rc, "FTS5 stopped tokenizing")),
            SinkState::Rejected(e) => return Err(user_error(e.to_string())),
        }
        let text_len = self.text.len();
        if range.start > range.end
            || range.end > text_len
            || !self.text.is_char_boundary(range.start)
            || !self.text.is_char_boundary(range.end)
        {
            let err = user_error(format!(
                "fts5 tokenizer '{}' pushed token {:?} with byte range {}..{}, which is not \
                 a range of whole characters of the {}-byte text",
                self.name, token, range.start, range.end, text_len
            ));
            self.state = SinkState::Rejected(user_error(err.to_string()));
            return Err(err);
        }
        let Ok(len) = c_int::try_from(token.len()) else {
            let err = user_error(format!(
                "fts5 tokenizer '{}' pushed a token of {} bytes, too long for FTS5",
                self.name,
                token.len()
            ));
            self.state = SinkState::Rejected(user_error(err.to_string()));
            return Err(err);
        };
        // The text's length fits c_int (FTS5 passed it as one), so do the
        // in-range offsets.
        let (start, end) = (range.start as c_int, range.end as c_int);
        // SAFETY: `x_token` and `ctx` are the callback and context FTS5
        // passed to the running xTokenize; `token` is valid for `len` bytes
        // during the call (FTS5 copies what it keeps). If `x_token` is one
        // of ferrolite's trampolines it catches its own panics.
        let rc = unsafe { (self.x_token)(self.ctx, flags, token.as_ptr().cast(), len, start, end) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            self.state = SinkState::Stopped(rc);
            Err(sqlite_error(rc, "FTS5 stopped tokenizing"))
        }
    }
}

/// What SQLite's factory pointer (`pUserData` of the tokenizer module)
/// points to: the user's factory.
struct Factory<F> {
    create: F,
    name: Arc<str>,
    /// The connection's stash, for the instances.
    stash: Arc<Stash>,
}

/// What an `Fts5Tokenizer*` points to: one tokenizer instance.
struct Instance<T> {
    tokenizer: T,
    name: Arc<str>,
}

/// The closure form of [`Tokenizer`] (see
/// [`Connection::create_fts5_tokenizer_fn`]), shared by every table.
struct FnTokenizer<F>(Arc<F>);

impl<F> Tokenizer for FnTokenizer<F>
where
    F: Fn(TokenizeReason, &str, &mut TokenSink<'_>) -> Result<()> + Send + Sync + 'static,
{
    fn tokenize(
        &mut self,
        reason: TokenizeReason,
        text: &str,
        sink: &mut TokenSink<'_>,
    ) -> Result<()> {
        (self.0)(reason, text, sink)
    }
}

impl Connection {
    /// Registers (or replaces, for tables created from now on) the FTS5
    /// tokenizer `name`. For each FTS5 table declared with
    /// `tokenize='name arg1 arg2…'`, `factory` gets the arguments after the
    /// name (`["arg1", "arg2"]`) and returns the table's [`Tokenizer`]; an
    /// error makes FTS5 fail with "error in tokenizer constructor" and this
    /// error is what the statement returns.
    ///
    /// ```
    /// use ferrolite::fts5::{TokenSink, TokenizeReason, Tokenizer};
    /// use ferrolite::{Connection, Error, Result};
    ///
    /// /// Splits on one separator character, given as the argument.
    /// struct Split(char);
    ///
    /// impl Tokenizer for Split {
    ///     fn tokenize(&mut self, _: TokenizeReason, text: &str, sink: &mut TokenSink<'_>) -> Result<()> {
    ///         let mut start = 0;
    ///         for part in text.split(self.0) {
    ///             if !part.is_empty() {
    ///                 sink.push(part, start..start + part.len())?;
    ///             }
    ///             start += part.len() + self.0.len_utf8();
    ///         }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let conn = Connection::open_in_memory()?;
    /// conn.create_fts5_tokenizer("split", |args: &[&str]| match args {
    ///     [sep] if sep.chars().count() == 1 => Ok(Split(sep.chars().next().unwrap())),
    ///     _ => Err(Error::UserFunctionError("split takes one character".into())),
    /// })?;
    /// conn.execute_batch(
    ///     "CREATE VIRTUAL TABLE tags USING fts5(list, tokenize = \"split ';'\");
    ///      INSERT INTO tags VALUES ('red wine;cheese'), ('white wine;fish');",
    /// )?;
    /// let n: i64 = conn.query_row(
    ///     "SELECT count(*) FROM tags WHERE tags MATCH '\"red wine\"'", [], |r| r.get(0))?;
    /// assert_eq!(n, 1);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// `NulError` for a name with a NUL; an error if this SQLite has no
    /// FTS5 (possible with the `libsqlite3-sys` backend); SQLite's error
    /// (`SQLITE_NOMEM`).
    #[doc(alias = "xCreateTokenizer_v2")]
    pub fn create_fts5_tokenizer<N, F, T>(&self, name: N, factory: F) -> Result<()>
    where
        N: Name,
        F: Fn(&[&str]) -> Result<T> + Send + 'static,
        T: Tokenizer,
    {
        let cname = name.as_cstr()?;
        let api = fts5_api(self)?;
        let display: Arc<str> = cname.to_string_lossy().into();
        let p = CallbackBox::into_raw(
            Factory {
                create: factory,
                name: display,
                stash: self.callbacks.stash.clone(),
            },
            self.callbacks.stash.clone(),
        );
        // SAFETY: `api` is the connection's live fts5_api (version >= 2).
        let version = unsafe { (*api).iVersion };
        // Both interfaces register alike; the module type and entry differ.
        macro_rules! register {
            ($entry:ident, $module:expr) => {{
                let mut module = $module;
                // SAFETY: `api` is the connection's live fts5_api, and the
                // entry is one of its version's (checked below: >= 3 for
                // xCreateTokenizer_v2). FTS5 copies `module`; it owns `p` on
                // success and releases it with `CallbackBox::destroy` once
                // (when the connection closes).
                unsafe {
                    match (*api).$entry {
                        Some(create) => create(
                            api,
                            cname.as_ptr(),
                            p.cast(),
                            &raw mut module,
                            Some(CallbackBox::<Factory<F>>::destroy),
                        ),
                        None => ffi::SQLITE_MISUSE,
                    }
                }
            }};
        }
        let rc = if version >= 3 {
            register!(
                xCreateTokenizer_v2,
                ffi::fts5_tokenizer_v2 {
                    iVersion: 2,
                    xCreate: Some(tokenizer_create::<F, T>),
                    xDelete: Some(tokenizer_delete::<T>),
                    xTokenize: Some(tokenizer_tokenize_v2::<T>),
                }
            )
        } else {
            register!(
                xCreateTokenizer,
                ffi::fts5_tokenizer {
                    xCreate: Some(tokenizer_create::<F, T>),
                    xDelete: Some(tokenizer_delete::<T>),
                    xTokenize: Some(tokenizer_tokenize_v1::<T>),
                }
            )
        };
        if rc != ffi::SQLITE_OK {
            // FTS5 does not call the destructor when registration fails.
            // SAFETY: FTS5 did not take `p`.
            unsafe { CallbackBox::free(p) };
            return Err(sqlite_error(rc, "registering the FTS5 tokenizer failed"));
        }
        Ok(())
    }

    /// Registers the FTS5 tokenizer `name` as one closure, shared by every
    /// table using it (which can give it no arguments). See
    /// [`create_fts5_tokenizer`](Self::create_fts5_tokenizer) for a tokenizer
    /// with per-table state or arguments, and the [module](crate::fts5)
    /// documentation for an example.
    ///
    /// # Errors
    /// As [`create_fts5_tokenizer`](Self::create_fts5_tokenizer). A table
    /// that passes arguments fails to open with an error.
    pub fn create_fts5_tokenizer_fn<N, F>(&self, name: N, f: F) -> Result<()>
    where
        N: Name,
        F: Fn(TokenizeReason, &str, &mut TokenSink<'_>) -> Result<()> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let shown = format!("{name:?}");
        self.create_fts5_tokenizer(name, move |args: &[&str]| {
            if args.is_empty() {
                Ok(FnTokenizer(Arc::clone(&f)))
            } else {
                Err(user_error(format!(
                    "fts5 tokenizer {shown} takes no arguments, got {args:?}"
                )))
            }
        })
    }
}

/// Runs a tokenizer callback's body: a panic or an error is recorded for
/// the statement and becomes an SQLite error code.
fn tokenizer_outcome(stash: &Stash, outcome: std::thread::Result<Result<c_int>>) -> c_int {
    stashed(stash, outcome).unwrap_or_else(|code| code)
}

/// `xCreate`: a tokenizer instance for one table.
unsafe extern "C" fn tokenizer_create<F, T>(
    user: *mut c_void,
    az_arg: *mut *const c_char,
    n_arg: c_int,
    pp_out: *mut *mut ffi::Fts5Tokenizer,
) -> c_int
where
    F: Fn(&[&str]) -> Result<T> + Send + 'static,
    T: Tokenizer,
{
    if pp_out.is_null() || user.is_null() {
        return ffi::SQLITE_MISUSE;
    }
    // SAFETY: FTS5 passes a writable out-pointer; null until success.
    unsafe { *pp_out = std::ptr::null_mut() };
    // SAFETY: `user` is the box registered by `create_fts5_tokenizer`,
    // alive while FTS5 can call this.
    let call = unsafe { CallbackBox::enter(user.cast::<CallbackBox<Factory<F>>>()) };
    let outcome = catch_panic(|| {
        // SAFETY: FTS5 passes `n_arg` NUL-terminated strings, valid for
        // this call.
        let raw = unsafe { crate::raw::slice_of(az_arg.cast_const(), c_usize(n_arg)) };
        // SAFETY: the factory is only ever used through `&` (`Fn`).
        let factory = unsafe { call.get() };
        let mut args = Vec::with_capacity(raw.len());
        for (i, &p) in raw.iter().enumerate() {
            // SAFETY: each is a NUL-terminated string valid for this call.
            let s = unsafe { crate::raw::cstr(p) }.unwrap_or_default();
            let s = s.to_str().map_err(|_| {
                user_error(format!(
                    "argument {} of fts5 tokenizer '{}' is not valid UTF-8",
                    i + 1,
                    factory.name
                ))
            })?;
            args.push(s);
        }
        let tokenizer = (factory.create)(&args)?;
        let instance = Instance {
            tokenizer,
            name: Arc::clone(&factory.name),
        };
        let p = CallbackBox::into_raw(instance, Arc::clone(&factory.stash));
        // SAFETY: checked non-null above; FTS5 now owns `p` and frees it
        // once with xDelete.
        unsafe { *pp_out = p.cast() };
        Ok(ffi::SQLITE_OK)
    });
    tokenizer_outcome(call.stash(), outcome)
}

/// `xDelete`.
unsafe extern "C" fn tokenizer_delete<T: Tokenizer>(p: *mut ffi::Fts5Tokenizer) {
    // SAFETY: `p` is an instance from `tokenizer_create`, deleted once by
    // FTS5; `destroy` defers the drop should a call still run, and
    // catches a panic of the tokenizer's Drop.
    unsafe { CallbackBox::<Instance<T>>::destroy(p.cast()) };
}

unsafe extern "C" fn tokenizer_tokenize_v1<T: Tokenizer>(
    p: *mut ffi::Fts5Tokenizer,
    ctx: *mut c_void,
    flags: c_int,
    text: *const c_char,
    n_text: c_int,
    x_token: Option<XToken>,
) -> c_int {
    // SAFETY: forwarded from FTS5.
    unsafe { tokenize_impl::<T>(p, ctx, flags, text, n_text, None, x_token) }
}

#[allow(clippy::too_many_arguments)] // FTS5's signature
unsafe extern "C" fn tokenizer_tokenize_v2<T: Tokenizer>(
    p: *mut ffi::Fts5Tokenizer,
    ctx: *mut c_void,
    flags: c_int,
    text: *const c_char,
    n_text: c_int,
    locale: *const c_char,
    n_locale: c_int,
    x_token: Option<XToken>,
) -> c_int {
    // SAFETY: FTS5 passes the locale as (pointer, length) valid for the
    // call, or (NULL, 0).
    let locale = unsafe { crate::raw::slice_from_raw(locale.cast(), n_locale) };
    let locale = std::str::from_utf8(locale).ok().filter(|l| !l.is_empty());
    // SAFETY: forwarded from FTS5.
    unsafe { tokenize_impl::<T>(p, ctx, flags, text, n_text, locale, x_token) }
}

/// `xTokenize`, both versions.
///
/// # Safety
/// The arguments of FTS5's `xTokenize`: `p` from `tokenizer_create`,
/// `(text, n_text)` valid for the call.
unsafe fn tokenize_impl<T: Tokenizer>(
    p: *mut ffi::Fts5Tokenizer,
    ctx: *mut c_void,
    flags: c_int,
    text: *const c_char,
    n_text: c_int,
    locale: Option<&str>,
    x_token: Option<XToken>,
) -> c_int {
    if p.is_null() {
        return ffi::SQLITE_MISUSE;
    }
    let Some(x_token) = x_token else {
        return ffi::SQLITE_MISUSE;
    };
    // SAFETY: a live instance (FTS5 calls xTokenize only before xDelete).
    let call = unsafe { CallbackBox::enter(p.cast::<CallbackBox<Instance<T>>>()) };
    let outcome = catch_panic(|| {
        // SAFETY: FTS5's text, `n_text` bytes valid for this call.
        let bytes = unsafe { crate::raw::slice_from_raw(text.cast(), n_text) };
        // SAFETY: called once for this `Call`; never mixed with `get`.
        let Some(instance) = (unsafe { call.get_mut() }) else {
            return Err(user_error(
                "an fts5 tokenizer was called again while it was running (re-entrant call)"
                    .to_owned(),
            ));
        };
        let text = std::str::from_utf8(bytes).map_err(|e| {
            user_error(format!(
                "fts5 tokenizer '{}' was given text that is not valid UTF-8 \
                 (invalid byte at offset {})",
                instance.name,
                e.valid_up_to()
            ))
        })?;
        let mut sink = TokenSink {
            text,
            locale,
            ctx,
            x_token,
            state: SinkState::Ok,
            name: &instance.name,
            _not_send: PhantomData,
        };
        let result =
            instance
                .tokenizer
                .tokenize(TokenizeReason::from_flags(flags), text, &mut sink);
        match (std::mem::replace(&mut sink.state, SinkState::Ok), result) {
            // FTS5 asked to stop (or failed): give it its own code back.
            (SinkState::Stopped(rc), _) => Ok(rc),
            (SinkState::Rejected(_), Err(e)) | (SinkState::Ok, Err(e)) => Err(e),
            // The tokenizer ignored the rejection: still an error.
            (SinkState::Rejected(e), Ok(())) => Err(e),
            (SinkState::Ok, Ok(())) => Ok(ffi::SQLITE_OK),
        }
    });
    tokenizer_outcome(call.stash(), outcome)
}

// ---------------------------------------------------------------------------
// Token filters: a Rust step after another FTS5 tokenizer
// ---------------------------------------------------------------------------

/// An instance of another FTS5 tokenizer (`unicode61`, `porter`, …) that
/// a token filter owns.
struct BaseTokenizer {
    module: *mut ffi::fts5_tokenizer_v2,
    instance: *mut ffi::Fts5Tokenizer,
}

// SAFETY: the instance belongs to the connection's FTS5, which is used by
// one thread at a time and moves with the `Connection` (which is `Send`);
// the filter instance holding it is only used by FTS5 on that thread.
unsafe impl Send for BaseTokenizer {}

impl Drop for BaseTokenizer {
    fn drop(&mut self) {
        // SAFETY: `instance` was created by `module.xCreate` and is deleted
        // once, here. The module lives in the connection's FTS5 object,
        // which outlives every table (and so every filter instance).
        unsafe {
            if let Some(delete) = (*self.module).xDelete {
                delete(self.instance);
            }
        }
    }
}

/// One table's token filter: the shared filter and its base tokenizer.
struct FilterInstance<F> {
    filter: Arc<F>,
    base: BaseTokenizer,
}

/// The state of one base-tokenizer run inside [`FilterInstance`].
struct FilterRun<'s, 't, 'k, F> {
    filter: &'s F,
    reason: TokenizeReason,
    text: &'t str,
    sink: &'s mut TokenSink<'k>,
    error: Option<Error>,
    panic: Option<Box<dyn std::any::Any + Send>>,
}

fn reason_flags(reason: TokenizeReason) -> c_int {
    match reason {
        TokenizeReason::Document => FTS5_TOKENIZE_DOCUMENT,
        TokenizeReason::Query => FTS5_TOKENIZE_QUERY,
        TokenizeReason::Prefix => FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX,
        TokenizeReason::Aux => FTS5_TOKENIZE_AUX,
    }
}

impl<F> Tokenizer for FilterInstance<F>
where
    F: Fn(TokenizeReason, Token<'_>, &mut TokenSink<'_>) -> Result<()> + Send + Sync + 'static,
{
    fn tokenize(
        &mut self,
        reason: TokenizeReason,
        text: &str,
        sink: &mut TokenSink<'_>,
    ) -> Result<()> {
        let len = crate::raw::len_as_c_int(text.len())?;
        let (locale, n_locale) = match sink.locale {
            Some(l) => (
                l.as_ptr().cast::<c_char>(),
                crate::raw::len_as_c_int(l.len())?,
            ),
            None => (std::ptr::null(), 0),
        };
        // SAFETY: the module is the base tokenizer's, alive with the
        // connection's FTS5.
        let x_tokenize = unsafe { (*self.base.module).xTokenize }
            .ok_or_else(|| missing_method("the base tokenizer's xTokenize"))?;
        let mut run = FilterRun {
            filter: &*self.filter,
            reason,
            text,
            sink,
            error: None,
            panic: None,
        };
        let ptr = if text.is_empty() {
            c"".as_ptr()
        } else {
            text.as_ptr().cast()
        };
        // SAFETY: the base instance is live (owned by `self`); `text` and
        // the locale are valid for the call; `run` outlives it and
        // `filter_token::<F>` matches its type.
        let rc = unsafe {
            x_tokenize(
                self.base.instance,
                (&raw mut run).cast(),
                reason_flags(reason),
                ptr,
                len,
                locale,
                n_locale,
                Some(filter_token::<F>),
            )
        };
        if let Some(payload) = run.panic {
            std::panic::resume_unwind(payload);
        }
        if let Some(err) = run.error {
            return Err(err);
        }
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(sqlite_error(rc, "the base fts5 tokenizer failed"))
        }
    }
}

/// A token from a C tokenizer as `&str` with its byte range in `text`;
/// an error (naming `who`) if it is not UTF-8 or the range is not one of
/// whole characters of `text`.
fn checked_token<'b>(
    bytes: &'b [u8],
    text: &str,
    start: c_int,
    end: c_int,
    who: &str,
) -> Result<(&'b str, Range<usize>)> {
    let token = std::str::from_utf8(bytes)
        .map_err(|_| user_error(format!("{who} produced a token that is not UTF-8")))?;
    let range = c_usize(start)..c_usize(end);
    if start < 0
        || start > end
        || range.end > text.len()
        || !text.is_char_boundary(range.start)
        || !text.is_char_boundary(range.end)
    {
        return Err(user_error(format!(
            "{who} produced token {token:?} with byte range {start}..{end}, not a range of \
             whole characters of the {}-byte text",
            text.len()
        )));
    }
    Ok((token, range))
}

/// `xToken` of the base tokenizer of a filter: validates the token and
/// hands it to the filter.
unsafe extern "C" fn filter_token<F>(
    p: *mut c_void,
    tflags: c_int,
    token: *const c_char,
    n_token: c_int,
    start: c_int,
    end: c_int,
) -> c_int
where
    F: Fn(TokenizeReason, Token<'_>, &mut TokenSink<'_>) -> Result<()> + Send + Sync + 'static,
{
    // SAFETY: `p` is the `FilterRun` of the running `tokenize`, not
    // otherwise accessed while the base tokenizer runs.
    let run = unsafe { &mut *p.cast::<FilterRun<'_, '_, '_, F>>() };
    if run.error.is_some() || run.panic.is_some() {
        return ffi::SQLITE_ERROR;
    }
    // SAFETY: `n_token` bytes valid for this call.
    let bytes = unsafe { crate::raw::slice_from_raw(token.cast(), n_token) };
    let text = run.text;
    let (filter, reason) = (run.filter, run.reason);
    let sink = &mut *run.sink;
    let outcome = catch_panic(|| {
        let (token, range) = checked_token(bytes, text, start, end, "the base fts5 tokenizer")?;
        filter(
            reason,
            Token {
                text: token,
                range,
                colocated: tflags & FTS5_TOKEN_COLOCATED != 0,
            },
            sink,
        )
    });
    match outcome {
        Ok(Ok(())) => ffi::SQLITE_OK,
        Ok(Err(e)) => {
            let rc = match run.sink.state {
                // FTS5 asked to stop: pass its code down to the base.
                SinkState::Stopped(rc) => rc,
                _ => ffi::SQLITE_ERROR,
            };
            run.error = Some(e);
            rc
        }
        Err(payload) => {
            run.panic = Some(payload);
            ffi::SQLITE_ERROR
        }
    }
}

impl Connection {
    /// Registers the FTS5 tokenizer `name` as a Rust step after another
    /// tokenizer, as FTS5's own `porter` works: a table declared with
    /// `tokenize='name base args…'` runs tokenizer `base` (default
    /// `unicode61`) with `args`, and `filter` gets each of its tokens and
    /// pushes what to index instead: the token changed, several tokens
    /// (synonyms with [`TokenSink::push_colocated`]), or nothing (a stop
    /// word).
    ///
    /// ```
    /// use ferrolite::fts5::{Token, TokenSink, TokenizeReason};
    /// use ferrolite::Connection;
    ///
    /// let conn = Connection::open_in_memory()?;
    /// // Drops English stop words from what unicode61 produces.
    /// conn.create_fts5_token_filter(
    ///     "nostop",
    ///     |_: TokenizeReason, token: Token<'_>, sink: &mut TokenSink<'_>| {
    ///         if ["the", "a", "of"].contains(&token.text) {
    ///             return Ok(());
    ///         }
    ///         sink.push(token.text, token.range)
    ///     },
    /// )?;
    /// conn.execute_batch(
    ///     "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='nostop unicode61 remove_diacritics 2');
    ///      INSERT INTO t VALUES ('The Lord of the Rings');",
    /// )?;
    /// let tokens: i64 = conn.query_row(
    ///     "SELECT count(*) FROM t WHERE t MATCH 'lord AND rings'", [], |r| r.get(0))?;
    /// assert_eq!(tokens, 1);
    /// // "the" is not indexed, and dropped from the query too.
    /// let n: i64 = conn.query_row("SELECT count(*) FROM t WHERE t MATCH 'the'", [], |r| r.get(0))?;
    /// assert_eq!(n, 0);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`create_fts5_tokenizer`](Self::create_fts5_tokenizer); an error
    /// if this FTS5 is older than SQLite 3.47 (no version 2 tokenizers).
    /// A table naming an unknown base tokenizer fails to open with an error.
    pub fn create_fts5_token_filter<N, F>(&self, name: N, filter: F) -> Result<()>
    where
        N: Name,
        F: Fn(TokenizeReason, Token<'_>, &mut TokenSink<'_>) -> Result<()> + Send + Sync + 'static,
    {
        let api = fts5_api(self)?;
        // SAFETY: live fts5_api.
        if unsafe { (*api).iVersion } < 3 {
            return Err(Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_ERROR),
                Some("FTS5 token filters need FTS5 API version 3 (SQLite 3.47)".to_owned()),
            ));
        }
        // The fts5_api lives as long as the connection's FTS5, which owns
        // the factory: it is valid whenever the factory runs.
        let api_addr = api as usize;
        let filter = Arc::new(filter);
        self.create_fts5_tokenizer(name, move |args: &[&str]| {
            let api = api_addr as *mut ffi::fts5_api;
            let (base, base_args) = args
                .split_first()
                .map_or(("unicode61", &[][..]), |(b, a)| (*b, a));
            let base_c = std::ffi::CString::new(base)
                .map_err(|_| user_error(format!("fts5 tokenizer name {base:?} contains a NUL")))?;
            let args_c = base_args
                .iter()
                .map(|a| std::ffi::CString::new(*a))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|_| user_error("an fts5 tokenizer argument contains a NUL".to_owned()))?;
            let mut argv: Vec<*const c_char> = args_c.iter().map(|a| a.as_ptr()).collect();
            let n_arg = crate::raw::len_as_c_int(argv.len())?;
            let mut user: *mut c_void = std::ptr::null_mut();
            let mut module: *mut ffi::fts5_tokenizer_v2 = std::ptr::null_mut();
            // SAFETY: live fts5_api of version >= 3; valid out-pointers.
            let rc = unsafe {
                match (*api).xFindTokenizer_v2 {
                    Some(find) => find(api, base_c.as_ptr(), &raw mut user, &raw mut module),
                    None => ffi::SQLITE_MISUSE,
                }
            };
            if rc != ffi::SQLITE_OK || module.is_null() {
                return Err(user_error(format!("no such fts5 tokenizer: {base}")));
            }
            // SAFETY: `module` is FTS5's, alive with the connection.
            let Some(create) = (unsafe { (*module).xCreate }) else {
                return Err(missing_method("the base tokenizer's xCreate"));
            };
            let mut instance: *mut ffi::Fts5Tokenizer = std::ptr::null_mut();
            // SAFETY: FTS5's xCreate with its own user data; `argv` holds
            // `n_arg` NUL-terminated strings alive for the call.
            let rc = unsafe { create(user, argv.as_mut_ptr(), n_arg, &raw mut instance) };
            if rc != ffi::SQLITE_OK || instance.is_null() {
                return Err(Error::SqliteFailure(
                    ffi::Error::new(if rc == ffi::SQLITE_OK {
                        ffi::SQLITE_ERROR
                    } else {
                        rc
                    }),
                    Some(format!(
                        "fts5 tokenizer {base} failed to start with arguments {base_args:?}"
                    )),
                ));
            }
            Ok(FilterInstance {
                filter: Arc::clone(&filter),
                base: BaseTokenizer { module, instance },
            })
        })
    }
}

// ---------------------------------------------------------------------------
// Auxiliary functions
// ---------------------------------------------------------------------------

/// One phrase instance of the current row ([`Fts5Context::inst`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Inst {
    /// The phrase of the query (from 0).
    pub phrase: usize,
    /// The column (from 0).
    pub column: usize,
    /// The token offset in the column (from 0).
    pub offset: usize,
}

/// One token produced by [`Fts5Context::tokenize`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token (as the table's tokenizer made it, e.g. case-folded).
    pub text: &'a str,
    /// Its byte range in the text tokenized.
    pub range: Range<usize>,
    /// A synonym at the same position as the previous token.
    pub colocated: bool,
}

/// What an auxiliary function sees of the current FTS5 match: a safe
/// wrapper over SQLite's `Fts5ExtensionApi` and `Fts5Context`. It lives
/// only for one call of the function.
///
/// Indexes are checked: a column, phrase or instance index out of range
/// is an error, never a read out of bounds.
pub struct Fts5Context<'a> {
    api: &'a ffi::Fts5ExtensionApi,
    ctx: *mut ffi::Fts5Context,
    /// Set while [`tokenize`](Fts5Context::tokenize) runs: the table's
    /// tokenizer is busy (a C tokenizer such as `unicode61` hands out
    /// tokens in a buffer that a nested tokenization would overwrite, and
    /// several FTS5 calls tokenize internally), so FTS5 is not called
    /// again until it returns. Shared with the contexts
    /// [`query_phrase`](Fts5Context::query_phrase) makes (same tokenizer).
    tokenizing: &'a std::cell::Cell<bool>,
    /// Not `Send`/`Sync`: only the thread running the query may use it.
    _not_send: PhantomData<*mut ()>,
}

/// The iterator of [`Fts5Context::phrase_hits`]: `(column, offset)` of
/// each instance of one phrase in the current row.
pub struct PhraseHits<'c> {
    ctx: &'c Fts5Context<'c>,
    iter: ffi::Fts5PhraseIter,
    /// The current `(column, offset)` as FTS5 reports it (`xPhraseNext`
    /// advances from it); negative once done.
    col: c_int,
    off: c_int,
}

impl Iterator for PhraseHits<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        if self.col < 0 || self.off < 0 {
            return None;
        }
        let item = (c_usize(self.col), c_usize(self.off));
        match self.ctx.api.xPhraseNext {
            // SAFETY: the iterator was initialised by xPhraseFirst for the
            // current row of this context, which can't move while the
            // function (and so this borrow) runs; FTS5 only reads the
            // position list it points into, which stays put for the row.
            // `col`/`off` are the previous position, which FTS5 advances.
            Some(next) => unsafe {
                next(
                    self.ctx.ctx,
                    &raw mut self.iter,
                    &raw mut self.col,
                    &raw mut self.off,
                );
            },
            None => self.col = -1,
        }
        Some(item)
    }
}

impl<'a> Fts5Context<'a> {
    /// The number of columns of the table.
    #[must_use]
    pub fn column_count(&self) -> usize {
        // SAFETY: live context of the running call.
        self.api
            .xColumnCount
            .map_or(0, |f| c_usize(unsafe { f(self.ctx) }))
    }

    /// Refuses a call into FTS5 from inside a [`tokenize`](Self::tokenize)
    /// callback.
    fn idle(&self) -> Result<()> {
        if self.tokenizing.get() {
            Err(user_error(
                "this Fts5Context method can't be called from inside an Fts5Context::tokenize \
                 callback (the table's tokenizer is running)"
                    .to_owned(),
            ))
        } else {
            Ok(())
        }
    }

    fn check_column(&self, col: usize) -> Result<c_int> {
        if col < self.column_count() {
            c_index(col).ok_or(Error::InvalidColumnIndex(col))
        } else {
            Err(Error::InvalidColumnIndex(col))
        }
    }

    fn check_phrase(&self, phrase: usize) -> Result<c_int> {
        let n = self.phrase_count();
        match c_index(phrase) {
            Some(p) if phrase < n => Ok(p),
            _ => Err(Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_RANGE),
                Some(format!(
                    "fts5 phrase index {phrase} out of range (the query has {n} phrases)"
                )),
            )),
        }
    }

    fn rc(rc: c_int, what: &str) -> Result<()> {
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(sqlite_error(rc, what))
        }
    }

    /// The number of rows in the table.
    ///
    /// # Errors
    /// SQLite's error reading the table's statistics.
    pub fn row_count(&self) -> Result<i64> {
        self.idle()?;
        let f = api_method!(self, xRowCount)?;
        let mut n: i64 = 0;
        // SAFETY: live context; `n` is a valid out-pointer.
        Self::rc(unsafe { f(self.ctx, &raw mut n) }, "fts5 xRowCount")?;
        Ok(n)
    }

    /// The total number of tokens in column `col` over all rows.
    ///
    /// # Errors
    /// [`Error::InvalidColumnIndex`] for a column out of range; SQLite's
    /// error reading the statistics.
    pub fn column_total_size(&self, col: usize) -> Result<i64> {
        self.idle()?;
        let c = self.check_column(col)?;
        let f = api_method!(self, xColumnTotalSize)?;
        let mut n: i64 = 0;
        // SAFETY: live context; `c` in range; valid out-pointer.
        let rc = unsafe { f(self.ctx, c, &raw mut n) };
        Self::rc(rc, "fts5 xColumnTotalSize")?;
        Ok(n)
    }

    /// The number of tokens in column `col` of the current row.
    ///
    /// # Errors
    /// [`Error::InvalidColumnIndex`] for a column out of range; SQLite's
    /// error (e.g. from the tokenizer, when the table has
    /// `columnsize=0`).
    pub fn column_size(&self, col: usize) -> Result<usize> {
        self.idle()?;
        let c = self.check_column(col)?;
        let f = api_method!(self, xColumnSize)?;
        let mut n: c_int = 0;
        // SAFETY: live context; `c` in range; valid out-pointer.
        Self::rc(unsafe { f(self.ctx, c, &raw mut n) }, "fts5 xColumnSize")?;
        Ok(c_usize(n))
    }

    /// The text of column `col` of the current row (`""` for a
    /// contentless table, which stores no text).
    ///
    /// # Errors
    /// [`Error::InvalidColumnIndex`] for a column out of range; an error
    /// if the value is not valid UTF-8 (a BLOB); SQLite's error.
    pub fn column_text(&self, col: usize) -> Result<&str> {
        self.idle()?;
        let c = self.check_column(col)?;
        let f = api_method!(self, xColumnText)?;
        let mut p: *const c_char = std::ptr::null();
        let mut n: c_int = 0;
        // SAFETY: live context; `c` in range; valid out-pointers.
        let rc = unsafe { f(self.ctx, c, &raw mut p, &raw mut n) };
        Self::rc(rc, "fts5 xColumnText")?;
        // SAFETY: FTS5 returns the text of the current row's column,
        // `n` bytes owned by its cursor and unchanged until the cursor
        // moves, which can't happen while this function runs (the borrow
        // of `self`); no other method of this API rewrites it.
        let bytes = unsafe { crate::raw::slice_from_raw(p.cast(), n) };
        std::str::from_utf8(bytes).map_err(|e| {
            Error::FromSqlConversionFailure(
                col,
                crate::types::Type::Text,
                format!("fts5 column {col} is not valid UTF-8: {e}").into(),
            )
        })
    }

    /// The number of phrases in the MATCH query (0 without one).
    #[must_use]
    pub fn phrase_count(&self) -> usize {
        // SAFETY: live context.
        self.api
            .xPhraseCount
            .map_or(0, |f| c_usize(unsafe { f(self.ctx) }))
    }

    /// The number of tokens in phrase `phrase` of the query.
    ///
    /// # Errors
    /// An `SQLITE_RANGE` error for a phrase out of range.
    pub fn phrase_size(&self, phrase: usize) -> Result<usize> {
        let p = self.check_phrase(phrase)?;
        let f = api_method!(self, xPhraseSize)?;
        // SAFETY: live context; `p` in range.
        Ok(c_usize(unsafe { f(self.ctx, p) }))
    }

    /// The number of phrase instances in the current row.
    ///
    /// # Errors
    /// SQLite's error (tables with `detail=none` or `detail=column` have
    /// no positions).
    pub fn inst_count(&self) -> Result<usize> {
        self.idle()?;
        let f = api_method!(self, xInstCount)?;
        let mut n: c_int = 0;
        // SAFETY: live context; valid out-pointer.
        Self::rc(unsafe { f(self.ctx, &raw mut n) }, "fts5 xInstCount")?;
        Ok(c_usize(n))
    }

    /// Phrase instance `i` of the current row (in position order, `i <
    /// inst_count()`).
    ///
    /// # Errors
    /// An `SQLITE_RANGE` error for an index out of range; SQLite's error.
    pub fn inst(&self, i: usize) -> Result<Inst> {
        self.idle()?;
        let f = api_method!(self, xInst)?;
        let n = self.inst_count()?;
        let idx = match c_index(i) {
            Some(idx) if i < n => idx,
            _ => {
                return Err(Error::SqliteFailure(
                    ffi::Error::new(ffi::SQLITE_RANGE),
                    Some(format!(
                        "fts5 instance index {i} out of range (the row has {n} instances)"
                    )),
                ));
            }
        };
        let (mut phrase, mut col, mut off): (c_int, c_int, c_int) = (0, 0, 0);
        // SAFETY: live context; valid out-pointers.
        let rc = unsafe { f(self.ctx, idx, &raw mut phrase, &raw mut col, &raw mut off) };
        Self::rc(rc, "fts5 xInst")?;
        Ok(Inst {
            phrase: c_usize(phrase),
            column: c_usize(col),
            offset: c_usize(off),
        })
    }

    /// The rowid of the current row.
    #[must_use]
    pub fn rowid(&self) -> i64 {
        // SAFETY: live context.
        self.api.xRowid.map_or(0, |f| unsafe { f(self.ctx) })
    }

    /// The `(column, token offset)` of each instance of phrase `phrase`
    /// in the current row, in order.
    ///
    /// # Errors
    /// An `SQLITE_RANGE` error for a phrase out of range; SQLite's error.
    pub fn phrase_hits(&self, phrase: usize) -> Result<PhraseHits<'_>> {
        self.idle()?;
        let p = self.check_phrase(phrase)?;
        let f = api_method!(self, xPhraseFirst)?;
        let mut iter = ffi::Fts5PhraseIter {
            a: std::ptr::null(),
            b: std::ptr::null(),
        };
        let (mut col, mut off): (c_int, c_int) = (-1, -1);
        // SAFETY: live context; `p` in range; valid out-pointers.
        let rc = unsafe { f(self.ctx, p, &raw mut iter, &raw mut col, &raw mut off) };
        Self::rc(rc, "fts5 xPhraseFirst")?;
        Ok(PhraseHits {
            ctx: self,
            iter,
            col,
            off,
        })
    }

    /// Runs the query of phrase `phrase` alone over the whole table,
    /// calling `f` with a context for each matching row, in rowid order,
    /// until `f` returns `Ok(false)`. Counting the rows gives the document
    /// frequency of the phrase, as `bm25()` needs for its idf.
    ///
    /// # Errors
    /// An `SQLITE_RANGE` error for a phrase out of range; the error of
    /// `f`; SQLite's error. A panic in `f` goes on unwinding.
    pub fn query_phrase<F>(&self, phrase: usize, f: F) -> Result<()>
    where
        F: FnMut(&Fts5Context<'_>) -> Result<bool>,
    {
        self.idle()?;
        let p = self.check_phrase(phrase)?;
        let x = api_method!(self, xQueryPhrase)?;
        let mut state = QueryPhrase {
            f,
            tokenizing: self.tokenizing,
            error: None,
            panic: None,
        };
        // SAFETY: live context; `p` in range; `state` outlives the call
        // and `query_phrase_row::<F>` matches its type.
        let rc = unsafe {
            x(
                self.ctx,
                p,
                (&raw mut state).cast(),
                Some(query_phrase_row::<F>),
            )
        };
        if let Some(payload) = state.panic {
            std::panic::resume_unwind(payload);
        }
        if let Some(err) = state.error {
            return Err(err);
        }
        Self::rc(rc, "fts5 xQueryPhrase")
    }

    /// Tokenizes `text` with the table's own tokenizer (reason
    /// [`TokenizeReason::Aux`]), calling `f` for each token. An error from
    /// `f` stops the tokenizer and is returned. While the tokenizer runs,
    /// the methods of this context that call into FTS5 fail with an error
    /// if `f` calls them (the tokenizer's buffers are in use); collect
    /// what you need first.
    ///
    /// # Errors
    /// The error of `f`; the tokenizer's error; an error if the tokenizer
    /// produced a token that is not UTF-8 or a range that is not one of
    /// whole characters of `text`. A panic in `f` goes on unwinding
    /// (ferrolite carries it across SQLite's C code). An error or panic of
    /// a Rust [`Tokenizer`] is also recorded for the statement, which then
    /// fails with it even if this function handles the `Err`.
    pub fn tokenize<F>(&self, text: &str, f: F) -> Result<()>
    where
        F: FnMut(Token<'_>) -> Result<()>,
    {
        self.idle()?;
        let x = api_method!(self, xTokenize)?;
        let len = crate::raw::len_as_c_int(text.len())?;
        let mut state = AuxTokenize {
            text,
            f,
            error: None,
            panic: None,
        };
        let ptr = if text.is_empty() {
            c"".as_ptr()
        } else {
            text.as_ptr().cast()
        };
        /// Clears `tokenizing` however the call ends.
        struct Busy<'c>(&'c std::cell::Cell<bool>);
        impl Drop for Busy<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        self.tokenizing.set(true);
        let busy = Busy(self.tokenizing);
        // SAFETY: live context; `text` valid for `len` bytes during the
        // call; `state` outlives it and `aux_token::<F>` matches its type.
        // While it runs `f` can't call FTS5 through this context (`idle`).
        let rc = unsafe {
            x(
                self.ctx,
                ptr,
                len,
                (&raw mut state).cast(),
                Some(aux_token::<F>),
            )
        };
        drop(busy);
        if let Some(payload) = state.panic {
            std::panic::resume_unwind(payload);
        }
        if let Some(err) = state.error {
            return Err(err);
        }
        Self::rc(rc, "fts5 xTokenize")
    }
}

/// The state of one [`Fts5Context::query_phrase`] call.
struct QueryPhrase<'b, F> {
    f: F,
    tokenizing: &'b std::cell::Cell<bool>,
    error: Option<Error>,
    panic: Option<Box<dyn std::any::Any + Send>>,
}

/// The `xQueryPhrase` callback: one matching row.
unsafe extern "C" fn query_phrase_row<F>(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    p: *mut c_void,
) -> c_int
where
    F: FnMut(&Fts5Context<'_>) -> Result<bool>,
{
    // SAFETY: `p` is the `QueryPhrase` of the running `query_phrase`, not
    // otherwise accessed while FTS5 runs the query.
    let state = unsafe { &mut *p.cast::<QueryPhrase<'_, F>>() };
    if api.is_null() || fts.is_null() {
        return ffi::SQLITE_MISUSE;
    }
    // SAFETY: FTS5's API table, valid for the call.
    let api = unsafe { &*api };
    let context = Fts5Context {
        api,
        ctx: fts,
        tokenizing: state.tokenizing,
        _not_send: PhantomData,
    };
    let f = &mut state.f;
    match catch_panic(|| f(&context)) {
        Ok(Ok(true)) => ffi::SQLITE_OK,
        Ok(Ok(false)) => ffi::SQLITE_DONE,
        Ok(Err(e)) => {
            state.error = Some(e);
            ffi::SQLITE_ERROR
        }
        Err(payload) => {
            state.panic = Some(payload);
            ffi::SQLITE_ERROR
        }
    }
}

/// The state of one [`Fts5Context::tokenize`] call.
struct AuxTokenize<'t, F> {
    text: &'t str,
    f: F,
    error: Option<Error>,
    panic: Option<Box<dyn std::any::Any + Send>>,
}

/// `xToken` for [`Fts5Context::tokenize`].
unsafe extern "C" fn aux_token<F>(
    p: *mut c_void,
    tflags: c_int,
    token: *const c_char,
    n_token: c_int,
    start: c_int,
    end: c_int,
) -> c_int
where
    F: FnMut(Token<'_>) -> Result<()>,
{
    // SAFETY: `p` is the `AuxTokenize<F>` of the running `tokenize` call,
    // not otherwise accessed while FTS5 runs the tokenizer.
    let state = unsafe { &mut *p.cast::<AuxTokenize<'_, F>>() };
    if state.error.is_some() || state.panic.is_some() {
        return ffi::SQLITE_ERROR;
    }
    // SAFETY: the token is `n_token` bytes valid for this call.
    let bytes = unsafe { crate::raw::slice_from_raw(token.cast(), n_token) };
    let text = state.text;
    let f = &mut state.f;
    match catch_panic(|| {
        let (token, range) = checked_token(bytes, text, start, end, "the fts5 tokenizer")?;
        f(Token {
            text: token,
            range,
            colocated: tflags & FTS5_TOKEN_COLOCATED != 0,
        })
    }) {
        Ok(Ok(())) => ffi::SQLITE_OK,
        Ok(Err(e)) => {
            state.error = Some(e);
            ffi::SQLITE_ERROR
        }
        Err(payload) => {
            state.panic = Some(payload);
            ffi::SQLITE_ERROR
        }
    }
}

impl Connection {
    /// Registers (or replaces) the FTS5 auxiliary function `name`, called
    /// as `name(table, args…)` in a query on an FTS5 table. `f` gets the
    /// current match as an [`Fts5Context`] and the extra arguments, and
    /// returns the function's value.
    ///
    /// ```
    /// use ferrolite::Connection;
    ///
    /// let conn = Connection::open_in_memory()?;
    /// // The first column's length in tokens, plus the first argument.
    /// conn.create_fts5_function("len_plus", |ctx, args| {
    ///     let extra = args.first().map_or(Ok(0), |v| v.as_i64())?;
    ///     Ok(ctx.column_size(0)? as i64 + extra)
    /// })?;
    /// conn.execute_batch(
    ///     "CREATE VIRTUAL TABLE t USING fts5(body);
    ///      INSERT INTO t VALUES ('one two three');",
    /// )?;
    /// let n: i64 = conn.query_row("SELECT len_plus(t, 10) FROM t WHERE t MATCH 'two'", [], |r| r.get(0))?;
    /// assert_eq!(n, 13);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// `NulError` for a name with a NUL; an error if this SQLite has no
    /// FTS5; SQLite's error (`SQLITE_NOMEM`, or `SQLITE_BUSY` while a
    /// statement runs). An error or a panic of `f` makes the query fail
    /// with that error (or [`Error::UnwindingPanic`]).
    #[doc(alias = "xCreateFunction")]
    pub fn create_fts5_function<N, F, T>(&self, name: N, f: F) -> Result<()>
    where
        N: Name,
        F: Fn(&Fts5Context<'_>, &[ValueRef<'_>]) -> Result<T> + Send + 'static,
        T: ToSql,
    {
        let cname = name.as_cstr()?;
        let api = fts5_api(self)?;
        let p = CallbackBox::into_raw(f, self.callbacks.stash.clone());
        // SAFETY: live fts5_api; on success FTS5 owns `p` and releases it
        // with `CallbackBox::destroy` once (when the connection closes).
        let rc = unsafe {
            match (*api).xCreateFunction {
                Some(create) => create(
                    api,
                    cname.as_ptr(),
                    p.cast(),
                    Some(aux_function::<F, T>),
                    Some(CallbackBox::<F>::destroy),
                ),
                None => ffi::SQLITE_MISUSE,
            }
        };
        if rc != ffi::SQLITE_OK {
            // FTS5 does not call the destructor when registration fails.
            // SAFETY: FTS5 did not take `p`.
            unsafe { CallbackBox::free(p) };
            return Err(if rc == ffi::SQLITE_MISUSE {
                missing_method("xCreateFunction")
            } else {
                // SAFETY: live handle.
                self.decode_result(rc)
                    .err()
                    .unwrap_or_else(|| sqlite_error(rc, "fts5"))
            });
        }
        Ok(())
    }
}

/// The message SQLite shows for `err` (up to any NUL).
fn error_message(err: &Error) -> String {
    let mut msg = match catch_panic(|| err.to_string()) {
        Ok(msg) => msg,
        Err(payload) => {
            drop_payload(payload);
            "fts5 function error (its Display implementation panicked)".to_owned()
        }
    };
    if let Some(nul) = msg.find('\0') {
        msg.truncate(nul);
    }
    msg
}

/// Makes the running function fail with `message` and `code`.
///
/// # Safety
/// `ctx` is the live context of the running function.
unsafe fn set_error(ctx: *mut sqlite3_context, code: c_int, message: &str) {
    let len = c_int::try_from(message.len()).unwrap_or(c_int::MAX);
    // SAFETY: live context; SQLite copies `len` bytes of `message`.
    unsafe { ffi::sqlite3_result_error(ctx, message.as_ptr().cast(), len) };
    if code != ffi::SQLITE_ERROR {
        // SAFETY: live context.
        unsafe { ffi::sqlite3_result_error_code(ctx, code) };
    }
}

/// The `fts5_extension_function` trampoline.
unsafe extern "C" fn aux_function<F, T>(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut sqlite3_context,
    n_val: c_int,
    ap_val: *mut *mut sqlite3_value,
) where
    F: Fn(&Fts5Context<'_>, &[ValueRef<'_>]) -> Result<T> + Send + 'static,
    T: ToSql,
{
    if api.is_null() || fts.is_null() || ctx.is_null() {
        return;
    }
    // SAFETY: FTS5 passes its API table, valid for the call.
    let api = unsafe { &*api };
    let Some(user_data) = api.xUserData else {
        return;
    };
    // SAFETY: live context; the user data is the box registered by
    // `create_fts5_function`, alive while FTS5 can call it.
    let user = unsafe { user_data(fts) }.cast::<CallbackBox<F>>();
    if user.is_null() {
        return;
    }
    // SAFETY: as above.
    let call = unsafe { CallbackBox::enter(user) };
    let outcome = catch_panic(|| {
        // SAFETY: `n_val` live argument values for this call.
        let raw = unsafe { crate::raw::slice_of(ap_val.cast_const(), c_usize(n_val)) };
        // SAFETY: each a live value for the call.
        let args: Vec<ValueRef<'_>> = raw
            .iter()
            .map(|&v| unsafe { crate::raw::value_ref(v) })
            .collect();
        let tokenizing = std::cell::Cell::new(false);
        let context = Fts5Context {
            api,
            ctx: fts,
            tokenizing: &tokenizing,
            _not_send: PhantomData,
        };
        // SAFETY: the function is only ever used through `&` (`Fn`).
        let f = unsafe { call.get() };
        let value = f(&context, &args)?;
        let out = value.to_sql()?;
        // SAFETY: live context; no argument values are referenced by index
        // beyond `raw`.
        unsafe { crate::extend::functions::set_output(ctx, raw, &out) }
    });
    let stash = call.stash();
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            let message = error_message(&err);
            // SAFETY: live context.
            unsafe { set_error(ctx, error_code(&err), &message) };
            stash.record(err, Some(&message));
        }
        Err(payload) => {
            let message = panic_message(&*payload);
            drop_payload(payload);
            // SAFETY: live context.
            unsafe { set_error(ctx, ffi::SQLITE_ERROR, &message) };
            stash.record(Error::UnwindingPanic, Some(&message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_from_flags() {
        assert_eq!(
            TokenizeReason::from_flags(FTS5_TOKENIZE_DOCUMENT),
            TokenizeReason::Document
        );
        assert_eq!(
            TokenizeReason::from_flags(FTS5_TOKENIZE_QUERY),
            TokenizeReason::Query
        );
        assert_eq!(
            TokenizeReason::from_flags(FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX),
            TokenizeReason::Prefix
        );
        assert_eq!(
            TokenizeReason::from_flags(FTS5_TOKENIZE_AUX),
            TokenizeReason::Aux
        );
    }

    #[test]
    fn a_missing_fts5_function_is_reported_as_such() {
        let conn = Connection::open_in_memory().unwrap();
        let err = conn
            .prepare("SELECT no_fts5_here(?1)")
            .map(drop)
            .unwrap_err();
        let err = no_fts5_function(err, || Error::InvalidQuery);
        assert_eq!(err, Error::InvalidQuery);
        let err = conn.prepare("SELEC 1").map(drop).unwrap_err();
        assert!(matches!(
            no_fts5_function(err, || Error::InvalidQuery),
            Error::SqlInputError { .. }
        ));
    }

    #[test]
    fn the_api_is_found() {
        let conn = Connection::open_in_memory().unwrap();
        let api = fts5_api(&conn).unwrap();
        assert!(!api.is_null());
    }
}
