//! [`Params`]: everything that can be bound to a statement's parameters.

use crate::statement::{BindIndex, BorrowedBindings};
use crate::types::ToSql;
use crate::{Result, Statement};

pub(crate) mod sealed {
    /// Only this crate implements `Params`.
    pub trait Sealed {}
}
use sealed::Sealed;

/// A set of parameters for a statement: `()`, `[]`, tuples of [`ToSql`]
/// values (up to 16), arrays `[T; N]`, slices `&[&dyn ToSql]` (what
/// [`params!`](crate::params) builds), named pairs `&[(&str, &dyn ToSql)]`
/// (what [`named_params!`](crate::named_params) builds) and
/// [`params_from_iter`].
///
/// Positional sets must match the statement's parameter count
/// (`Error::InvalidParameterCount(given, expected)`) and are for `?` and
/// `?NNN` placeholders: given to a statement with a `:a`, `@a` or `$a`
/// parameter they are `Error::NamedParameterByPosition`. Named sets must
/// give every named parameter of the statement a value (else
/// `Error::MissingParameter` names the first one left out; a value is
/// never kept from an earlier run, nor replaced by NULL); a name the
/// statement doesn't have is `Error::InvalidParameterName`. Only
/// [`Statement::raw_bind_parameter`] binds some parameters and keeps the
/// values of the others, as in rusqlite.
///
/// Calls that finish before returning (`execute`, `insert`, `query_row`,
/// `exists`, …) bind borrowed text and BLOBs without copying them;
/// `query` copies, since its rows outlive the call.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be used as the parameters of a statement",
    label = "not a parameter list",
    note = "pass `[]` or `()` for none, `params![a, b]` or a tuple `(a, b)` for positional parameters, an array `[a, b]` of one type, or `named_params! {{\":a\": a}}` for named ones",
    note = "a single value `x` is written `[x]` or `(x,)`; a struct goes through `ferrolite::serde::to_params(&value)?` (feature `serde`)"
)]
pub trait Params: Sealed {
    /// Binds the parameters, copying text and BLOBs.
    #[doc(hidden)]
    fn __bind_in(self, stmt: &mut Statement<'_>) -> Result<()>;

    /// Binds the parameters without copying borrowed text and BLOBs, runs
    /// `run`, then resets the statement and clears the bindings (also on
    /// error or panic).
    #[doc(hidden)]
    fn __with_bound<R, Run>(self, stmt: &mut Statement<'_>, run: Run) -> Result<R>
    where
        Run: FnOnce(&mut Statement<'_>) -> Result<R>,
        Self: Sized;
}

/// Binding from a shared reference, which lets the values outlive the run.
trait BindRef {
    fn bind_ref(&self, stmt: &mut Statement<'_>, borrow: bool) -> Result<()>;
}

macro_rules! params_via_ref {
    ($([$($gen:tt)*] $ty:ty;)*) => {$(
        impl<$($gen)*> Sealed for $ty {}
        impl<$($gen)*> Params for $ty {
            #[inline]
            fn __bind_in(self, stmt: &mut Statement<'_>) -> Result<()> {
                self.bind_ref(stmt, false)
            }
            #[inline]
            fn __with_bound<R, Run>(self, stmt: &mut Statement<'_>, run: Run) -> Result<R>
            where
                Run: FnOnce(&mut Statement<'_>) -> Result<R>,
            {
                // `self` (the borrowed values) outlives `guard`, which
                // clears the borrowed bindings when dropped.
                let guard = BorrowedBindings(stmt);
                self.bind_ref(guard.0, true)?;
                run(guard.0)
            }
        }
    )*};
}

impl BindRef for () {
    #[inline]
    fn bind_ref(&self, stmt: &mut Statement<'_>, _: bool) -> Result<()> {
        stmt.ensure_parameter_count(0)?;
        stmt.stmt.all_rebound();
        Ok(())
    }
}

impl BindRef for [&(dyn ToSql + Send + Sync); 0] {
    #[inline]
    fn bind_ref(&self, stmt: &mut Statement<'_>, _: bool) -> Result<()> {
        stmt.ensure_parameter_count(0)?;
        stmt.stmt.all_rebound();
        Ok(())
    }
}

impl BindRef for &[&dyn ToSql] {
    #[inline]
    fn bind_ref(&self, stmt: &mut Statement<'_>, borrow: bool) -> Result<()> {
        stmt.ensure_parameter_count(self.len())?;
        for (i, v) in self.iter().enumerate() {
            stmt.bind_one(i + 1, *v, borrow)?;
        }
        stmt.stmt.all_rebound();
        Ok(())
    }
}

impl<S: BindIndex, T: ToSql> BindRef for &[(S, T)] {
    #[inline]
    fn bind_ref(&self, stmt: &mut Statement<'_>, borrow: bool) -> Result<()> {
        bind_named(stmt, self.iter().map(|(s, t)| (s, t)), borrow)
    }
}

#[inline]
fn bind_named<'a, S: BindIndex + 'a, T: ToSql + ?Sized + 'a>(
    stmt: &mut Statement<'_>,
    pairs: impl Iterator<Item = (&'a S, &'a T)>,
    borrow: bool,
) -> Result<()> {
    // Nameless parameters (which no name can bind) must read as NULL, not
    // as a buffer a finished zero-copy call borrowed.
    stmt.stmt.clear_if_stale();
    let mut bound = BoundSet::default();
    for (name, value) in pairs {
        let idx = name.idx(stmt)?;
        stmt.bind_one(idx, value, borrow)?;
        if name.__is_name() || stmt.stmt.bind_parameter_name(idx).is_some() {
            bound.insert(idx);
        }
    }
    // Every named parameter must have been given a value now: one left
    // out would read a value of an earlier run, or NULL, silently.
    if bound.count != stmt.stmt.named_parameter_count() {
        if let Some(err) = stmt.missing_parameter(|i| bound.contains(i)) {
            return Err(err);
        }
    }
    Ok(())
}

/// The 1-based indexes of the named parameters a named set bound, each
/// counted once (a name may be given twice).
#[derive(Default)]
struct BoundSet {
    /// Indexes 1 to 64.
    low: u64,
    /// Indexes from 65 on, as a bit set (rarely used: no allocation until
    /// then).
    high: Vec<u64>,
    /// How many distinct indexes are in the set.
    count: usize,
}

impl BoundSet {
    #[inline]
    fn insert(&mut self, idx: usize) {
        let fresh = match idx {
            1..=64 => {
                let bit = 1u64 << (idx - 1);
                let fresh = self.low & bit == 0;
                self.low |= bit;
                fresh
            }
            _ => self.insert_high(idx),
        };
        self.count += usize::from(fresh);
    }

    #[cold]
    fn insert_high(&mut self, idx: usize) -> bool {
        let Some(i) = idx.checked_sub(65) else {
            return false; // index 0: no parameter (binding it failed)
        };
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        if self.high.len() <= word {
            self.high.resize(word + 1, 0);
        }
        let fresh = self.high[word] & bit == 0;
        self.high[word] |= bit;
        fresh
    }

    fn contains(&self, idx: usize) -> bool {
        match idx {
            1..=64 => self.low & (1u64 << (idx - 1)) != 0,
            0 => false,
            _ => {
                let i = idx - 65;
                self.high
                    .get(i / 64)
                    .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
            }
        }
    }
}

params_via_ref! {
    [] ();
    [] [&(dyn ToSql + Send + Sync); 0];
    [] &[&dyn ToSql];
    [S: BindIndex, T: ToSql] &[(S, T)];
}

macro_rules! count {
    () => { 0usize };
    ($head:tt $($tail:tt)*) => { 1usize + count!($($tail)*) };
}

macro_rules! tuple_params {
    ($(($($field:tt $ftype:ident),+))+) => {$(
        impl<$($ftype: ToSql),+> BindRef for ($($ftype,)+) {
            #[inline]
            fn bind_ref(&self, stmt: &mut Statement<'_>, borrow: bool) -> Result<()> {
                stmt.ensure_parameter_count(count!($($field)+))?;
                $(stmt.bind_one($field + 1, &self.$field, borrow)?;)+
                stmt.stmt.all_rebound();
                Ok(())
            }
        }
        params_via_ref! { [$($ftype: ToSql),+] ($($ftype,)+); }
    )+};
}

for_each_tuple!(tuple_params);

macro_rules! array_params {
    ($($n:literal)*) => {$(
        impl<T: ToSql + ?Sized> BindRef for &[&T; $n] {
            #[inline]
            fn bind_ref(&self, stmt: &mut Statement<'_>, borrow: bool) -> Result<()> {
                stmt.ensure_parameter_count($n)?;
                for (i, v) in self.iter().enumerate() {
                    stmt.bind_one(i + 1, *v, borrow)?;
                }
                stmt.stmt.all_rebound();
                Ok(())
            }
        }
        impl<S: BindIndex, T: ToSql + ?Sized> BindRef for &[(S, &T); $n] {
            #[inline]
            fn bind_ref(&self, stmt: &mut Statement<'_>, borrow: bool) -> Result<()> {
                bind_named(stmt, self.iter().map(|(s, t)| (s, *t)), borrow)
            }
        }
        impl<T: ToSql> BindRef for [T; $n] {
            #[inline]
            fn bind_ref(&self, stmt: &mut Statement<'_>, borrow: bool) -> Result<()> {
                stmt.ensure_parameter_count($n)?;
                for (i, v) in self.iter().enumerate() {
                    stmt.bind_one(i + 1, v, borrow)?;
                }
                stmt.stmt.all_rebound();
                Ok(())
            }
        }
        params_via_ref! {
            [T: ToSql + ?Sized] &[&T; $n];
            [S: BindIndex, T: ToSql + ?Sized] &[(S, &T); $n];
            [T: ToSql] [T; $n];
        }
    )*};
}

array_params!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);

/// Parameters from an iterator of [`ToSql`] values (for a number of
/// parameters known only at run time). Values are copied as they are bound.
///
/// ```
/// use ferrolite::{Connection, params_from_iter};
/// let conn = Connection::open_in_memory()?;
/// let ids = vec![1, 2, 3];
/// let sql = format!("SELECT {}", vec!["?"; ids.len()].join(" + "));
/// let sum: i64 = conn.query_row(&sql, params_from_iter(ids.iter()), |r| r.get(0))?;
/// assert_eq!(sum, 6);
/// # Ok::<(), ferrolite::Error>(())
/// ```
pub fn params_from_iter<I>(iter: I) -> ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    ParamsFromIter(iter)
}

/// See [`params_from_iter`].
#[derive(Clone, Debug)]
pub struct ParamsFromIter<I>(I);

impl<I> Sealed for ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
}

impl<I> Params for ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    fn __bind_in(self, stmt: &mut Statement<'_>) -> Result<()> {
        let expected = stmt.parameter_count();
        if expected != 0 && stmt.stmt.has_word_names() {
            // Positions for named parameters: the count error first, as
            // for the other positional sets.
            let n = self.0.into_iter().count();
            return stmt.ensure_parameter_count(n);
        }
        let mut n = 0;
        for value in self.0 {
            n += 1;
            if n > expected {
                continue; // count them all for the error
            }
            // Items are temporaries: always copy.
            stmt.bind_one(n, &value, false)?;
        }
        if n != expected {
            return Err(crate::Error::InvalidParameterCount(n, expected));
        }
        stmt.stmt.all_rebound();
        Ok(())
    }

    fn __with_bound<R, Run>(self, stmt: &mut Statement<'_>, run: Run) -> Result<R>
    where
        Run: FnOnce(&mut Statement<'_>) -> Result<R>,
    {
        let guard = BorrowedBindings(stmt);
        self.__bind_in(guard.0)?;
        run(guard.0)
    }
}

// `ferrolite::serde::to_params`: fields bound by parameter name. Owned by
// value or borrowed (`&NamedParams`) to bind the same fields again.
#[cfg(feature = "serde")]
mod serde_params {
    use super::{Params, Sealed};
    use crate::serde::NamedParams;
    use crate::statement::BorrowedBindings;
    use crate::{Result, Statement};

    impl Sealed for NamedParams {}
    impl Sealed for &NamedParams {}

    impl Params for NamedParams {
        #[inline]
        fn __bind_in(self, stmt: &mut Statement<'_>) -> Result<()> {
            self.bind_to(stmt, false)
        }

        #[inline]
        fn __with_bound<R, Run>(self, stmt: &mut Statement<'_>, run: Run) -> Result<R>
        where
            Run: FnOnce(&mut Statement<'_>) -> Result<R>,
        {
            (&self).__with_bound(stmt, run)
        }
    }

    impl Params for &NamedParams {
        #[inline]
        fn __bind_in(self, stmt: &mut Statement<'_>) -> Result<()> {
            self.bind_to(stmt, false)
        }

        #[inline]
        fn __with_bound<R, Run>(self, stmt: &mut Statement<'_>, run: Run) -> Result<R>
        where
            Run: FnOnce(&mut Statement<'_>) -> Result<R>,
        {
            // The values outlive `guard`, which clears the borrowed
            // bindings when dropped.
            let guard = BorrowedBindings(stmt);
            self.bind_to(guard.0, true)?;
            run(guard.0)
        }
    }
}

/// Builds positional parameters: `params![1, "two", 3.0]` is a
/// `&[&dyn ToSql]`.
///
/// The macro takes each argument **by reference** (it writes `&arg`), so
/// `params![name]` borrows `name` and does not move it: a `String` or
/// `Vec<u8>` stays usable after the call, with no `.clone()` or `&name`
/// needed (`&name` works too).
///
/// ```
/// use ferrolite::{Connection, params};
/// let conn = Connection::open_in_memory()?;
/// let s: String = conn.query_row("SELECT ?1 || ?2", params!["a", 1], |r| r.get(0))?;
/// assert_eq!(s, "a1");
///
/// conn.execute("CREATE TABLE people (name TEXT, photo BLOB)", [])?;
/// let name = String::from("Ada");
/// let photo = vec![0x89u8, b'P', b'N', b'G'];
/// conn.execute("INSERT INTO people VALUES (?1, ?2)", params![name, photo])?;
/// // Not moved: both are still ours.
/// assert_eq!(name, "Ada");
/// assert_eq!(photo.len(), 4);
/// # Ok::<(), ferrolite::Error>(())
/// ```
#[macro_export]
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::ToSql]
    };
    ($($param:expr),+ $(,)?) => {
        &[$(&$param as &dyn $crate::ToSql),+] as &[&dyn $crate::ToSql]
    };
}

/// Builds named parameters: `named_params! { ":id": 1, "@name": "x" }` is a
/// `&[(&str, &dyn ToSql)]`.
///
/// Like [`params!`](crate::params), it takes each value **by reference**
/// (`&value`): `named_params! { ":name": name }` borrows `name`, which stays
/// usable afterwards.
///
/// ```
/// use ferrolite::{Connection, named_params};
/// let conn = Connection::open_in_memory()?;
/// let s: i64 = conn.query_row("SELECT :a + @b", named_params! { ":a": 1, "@b": 2 }, |r| r.get(0))?;
/// assert_eq!(s, 3);
///
/// let name = String::from("Ada");
/// let greeting: String =
///     conn.query_row("SELECT 'hello ' || :name", named_params! { ":name": name }, |r| r.get(0))?;
/// assert_eq!(greeting, "hello Ada");
/// assert_eq!(name, "Ada"); // not moved
/// # Ok::<(), ferrolite::Error>(())
/// ```
#[macro_export]
macro_rules! named_params {
    () => {
        &[] as &[(&str, &dyn $crate::ToSql)]
    };
    ($($param_name:literal: $param_val:expr),+ $(,)?) => {
        &[$(($param_name, &$param_val as &dyn $crate::ToSql)),+] as &[(&str, &dyn $crate::ToSql)]
    };
}
