//! `#[derive(FromRow)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use crate::attrs;
use crate::{add_bounds, combine, ident_name};

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let container = attrs::container(&input.attrs)?;
    let k = attrs::krate(&container);
    let s = match &input.data {
        Data::Struct(s) => s,
        Data::Enum(e) => {
            return Err(syn::Error::new(
                e.enum_token.span,
                "FromRow can't be derived for an enum: derive it for a struct with named \
                 fields (read by column name) or a tuple struct (read by position); \
                 `#[derive(FromSql)]` reads a unit enum from one column",
            ));
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "FromRow can't be derived for a union: derive it for a struct with named \
                 fields or a tuple struct",
            ));
        }
    };
    if let Some(span) = container.integer {
        return Err(syn::Error::new(
            span,
            "`integer` is for `#[derive(ToSql, FromSql)]` on unit enums, not for FromRow",
        ));
    }
    match &s.fields {
        Fields::Named(_) => named(input, &container, &k, &s.fields),
        Fields::Unnamed(_) => tuple(input, &k, &s.fields),
        Fields::Unit => Err(syn::Error::new(
            input.ident.span(),
            "FromRow can't be derived for a unit struct: it reads no column",
        )),
    }
}

fn named(
    input: &DeriveInput,
    container: &attrs::Container,
    k: &TokenStream,
    fields: &Fields,
) -> syn::Result<TokenStream> {
    let name = &input.ident;
    let name_str = name.to_string();
    let mut errors = Vec::new();
    let mut counts = Vec::new(); // how many positions each field before this one takes
    let mut resolve = Vec::new();
    let mut inits = Vec::new();
    let mut bounds = Vec::new();
    for f in fields {
        let ident = f.ident.as_ref().expect("named field");
        let ty = &f.ty;
        let a = match attrs::field(&f.attrs) {
            Ok(a) => a,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let offset = quote!(0usize #(+ #counts)*);
        if a.skip.is_some() {
            for (other, what) in [(a.default, "default"), (a.flatten, "flatten")] {
                if let Some(sp) = other {
                    errors.push(syn::Error::new(
                        sp,
                        format!("`{what}` has no effect with `skip`"),
                    ));
                }
            }
            if let Some(r) = &a.rename {
                errors.push(syn::Error::new(
                    r.span(),
                    "`rename` has no effect with `skip`",
                ));
            }
            inits.push(
                quote_spanned!(ty.span()=> #ident: <#ty as ::core::default::Default>::default()),
            );
            bounds.push((ty.clone(), quote!(::core::default::Default)));
            continue;
        }
        if a.flatten.is_some() {
            if let Some(r) = &a.rename {
                errors.push(syn::Error::new(
                    r.span(),
                    "`rename` has no effect with `flatten`",
                ));
            }
            if let Some(sp) = a.default {
                errors.push(syn::Error::new(
                    sp,
                    "`default` can't be combined with `flatten`",
                ));
            }
            resolve.push(quote_spanned!(ty.span()=>
                <#ty as #k::FromRow>::resolve_columns(__stmt, __out);
            ));
            inits.push(quote_spanned!(ty.span()=>
                #ident: <#ty as #k::FromRow>::from_row_resolved(
                    __row,
                    __cols.get(#offset..).unwrap_or(&[]),
                )?
            ));
            counts.push(quote_spanned!(ty.span()=> <#ty as #k::FromRow>::COLUMNS));
            bounds.push((ty.clone(), quote!(#k::FromRow)));
            continue;
        }
        let field_str = ident_name(ident);
        let column = match (&a.rename, container.rename_all) {
            (Some(r), _) => r.value(),
            (None, Some(rule)) => rule.apply(&field_str),
            (None, None) => field_str.clone(),
        };
        resolve.push(quote!(
            __out.push(#k::__private::column_position(__stmt, #column));
        ));
        let read = if a.default.is_some() {
            quote_spanned!(ty.span()=> #k::__private::read_field_or_default::<#ty>)
        } else {
            quote_spanned!(ty.span()=> #k::__private::read_field::<#ty>)
        };
        inits.push(quote!(
            #ident: #read(
                __row,
                __cols.get(#offset).copied().unwrap_or(::core::primitive::usize::MAX),
                #name_str,
                #field_str,
                #column,
            )?
        ));
        counts.push(quote!(1usize));
        bounds.push((ty.clone(), quote!(#k::types::FromSql)));
        if a.default.is_some() {
            bounds.push((ty.clone(), quote!(::core::default::Default)));
        }
    }
    combine(errors)?;
    let generics = add_bounds(&input.generics, bounds);
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_g #k::FromRow for #name #ty_g #where_c {
            const COLUMNS: ::core::primitive::usize = 0usize #(+ #counts)*;

            #[inline]
            fn from_row(__row: &#k::Row<'_>) -> #k::Result<Self> {
                #k::__private::from_row_resolving::<Self>(__row)
            }

            fn resolve_columns(
                __stmt: &#k::Statement<'_>,
                __out: &mut ::std::vec::Vec<::core::primitive::usize>,
            ) {
                #(#resolve)*
            }

            #[inline]
            fn from_row_resolved(__row: &#k::Row<'_>, __cols: &[::core::primitive::usize]) -> #k::Result<Self> {
                ::core::result::Result::Ok(#name { #(#inits,)* })
            }
        }
    })
}

fn tuple(input: &DeriveInput, k: &TokenStream, fields: &Fields) -> syn::Result<TokenStream> {
    let name = &input.ident;
    let mut errors = Vec::new();
    let mut inits = Vec::new();
    let mut bounds = Vec::new();
    let mut pos = 0usize;
    for f in fields {
        let ty = &f.ty;
        let a = match attrs::field(&f.attrs) {
            Ok(a) => a,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if let Some(r) = &a.rename {
            errors.push(syn::Error::new(
                r.span(),
                "`rename` is for named fields: a tuple struct reads its fields by position",
            ));
        }
        for (sp, what) in [(a.default, "default"), (a.flatten, "flatten")] {
            if let Some(sp) = sp {
                errors.push(syn::Error::new(
                    sp,
                    format!(
                        "`{what}` is not supported on a tuple struct's fields (use named fields)"
                    ),
                ));
            }
        }
        if a.skip.is_some() {
            inits.push(quote_spanned!(ty.span()=> <#ty as ::core::default::Default>::default()));
            bounds.push((ty.clone(), quote!(::core::default::Default)));
            continue;
        }
        inits.push(quote_spanned!(ty.span()=> #k::__private::read_position::<#ty>(__row, #pos)?));
        bounds.push((ty.clone(), quote!(#k::types::FromSql)));
        pos += 1;
    }
    combine(errors)?;
    let generics = add_bounds(&input.generics, bounds);
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_g #k::FromRow for #name #ty_g #where_c {
            #[inline]
            fn from_row(__row: &#k::Row<'_>) -> #k::Result<Self> {
                #k::__private::ensure_columns(__row, #pos)?;
                ::core::result::Result::Ok(#name(#(#inits,)*))
            }
        }
    })
}
