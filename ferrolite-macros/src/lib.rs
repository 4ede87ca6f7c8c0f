//! Derive macros for [ferrolite](https://docs.rs/ferrolite): `FromRow`,
//! `Params`, `ToSql` and `FromSql`.
//!
//! Use them through ferrolite's `derive` feature (`ferrolite::FromRow`,
//! …), not by depending on this crate: the generated code names
//! `::ferrolite` items (or the path given by `#[ferrolite(crate = "…")]`).
//! The attributes and the generated code are documented in ferrolite's
//! `derive` module.

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod attrs;
mod case;
mod from_row;
mod params;
mod sql;

/// Reads a struct from a row: named fields by column name, tuple structs
/// by position. See ferrolite's `derive` module.
#[proc_macro_derive(FromRow, attributes(ferrolite))]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    from_row::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Binds `&T` to a statement's named parameters, field `x` to `:x`, `@x`
/// or `$x`. See ferrolite's `derive` module.
#[proc_macro_derive(Params, attributes(ferrolite))]
pub fn derive_params(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    params::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Writes a newtype as its field, a unit enum as TEXT (or INTEGER with
/// `#[ferrolite(integer)]`). See ferrolite's `derive` module.
#[proc_macro_derive(ToSql, attributes(ferrolite))]
pub fn derive_to_sql(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    sql::expand_to_sql(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Reads a newtype as its field, a unit enum from TEXT (or INTEGER with
/// `#[ferrolite(integer)]`). See ferrolite's `derive` module.
#[proc_macro_derive(FromSql, attributes(ferrolite))]
pub fn derive_from_sql(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    sql::expand_from_sql(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The name of a field or variant as written (without `r#`).
fn ident_name(ident: &syn::Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

/// Adds `bound` for each type in `tys` to the where clause, when the item
/// is generic over types (concrete field types need no bound: the calls
/// in the generated code check them, with the error at the field).
fn add_bounds(
    generics: &syn::Generics,
    tys: impl IntoIterator<Item = (syn::Type, proc_macro2::TokenStream)>,
) -> syn::Generics {
    let mut g = generics.clone();
    if g.type_params().next().is_none() {
        return g;
    }
    let wc = g.make_where_clause();
    for (ty, bound) in tys {
        wc.predicates.push(syn::parse_quote!(#ty: #bound));
    }
    g
}

/// Combines errors into one.
fn combine(errors: Vec<syn::Error>) -> syn::Result<()> {
    let mut it = errors.into_iter();
    match it.next() {
        None => Ok(()),
        Some(mut first) => {
            for e in it {
                first.combine(e);
            }
            Err(first)
        }
    }
}
