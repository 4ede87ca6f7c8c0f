//! `#[derive(ToSql)]` and `#[derive(FromSql)]`: newtypes and unit enums.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use crate::attrs;
use crate::{combine, ident_name};

/// What the type is.
enum Shape<'a> {
    /// One field: its member (`0` or a name) and type.
    Newtype(syn::Member, &'a syn::Type),
    /// A unit enum: variant identifiers and their stored names.
    Enum(Vec<(&'a syn::Ident, String)>),
}

fn shape<'a>(input: &'a DeriveInput, derive: &str) -> syn::Result<(attrs::Container, Shape<'a>)> {
    let container = attrs::container(&input.attrs)?;
    let shape = match &input.data {
        Data::Struct(s) => {
            let mut it = s.fields.iter();
            let (Some(f), None) = (it.next(), it.next()) else {
                return Err(syn::Error::new(
                    input.ident.span(),
                    format!(
                        "{derive} can be derived for a newtype (a struct of one field, stored as \
                         that field) or an enum of unit variants; this struct has {} fields",
                        s.fields.len()
                    ),
                ));
            };
            let a = attrs::field(&f.attrs)?;
            if let Some(sp) = a.skip.or(a.flatten).or(a.default) {
                return Err(syn::Error::new(
                    sp,
                    "a newtype's field is stored as the whole value: this attribute does not apply",
                ));
            }
            if let Some(r) = &a.rename {
                return Err(syn::Error::new(
                    r.span(),
                    "a newtype's field is stored as the whole value: `rename` does not apply",
                ));
            }
            if container.rename_all.is_some() {
                return Err(syn::Error::new(
                    input.ident.span(),
                    "`rename_all` is for unit enums (their variant names), not newtypes",
                ));
            }
            if let Some(sp) = container.integer {
                return Err(syn::Error::new(
                    sp,
                    "`integer` is for unit enums; a newtype is stored as its field",
                ));
            }
            let member = match &f.ident {
                Some(i) => syn::Member::Named(i.clone()),
                None => syn::Member::Unnamed(0.into()),
            };
            Shape::Newtype(member, &f.ty)
        }
        Data::Enum(e) => {
            let mut errors = Vec::new();
            let mut variants = Vec::new();
            for v in &e.variants {
                if !matches!(v.fields, Fields::Unit) {
                    errors.push(syn::Error::new(
                        v.fields.span(),
                        format!(
                            "{derive} can be derived for enums of unit variants only: \
                             variant `{}` carries data",
                            v.ident
                        ),
                    ));
                    continue;
                }
                let a = match attrs::variant(&v.attrs) {
                    Ok(a) => a,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                if container.integer.is_some() {
                    if let Some(r) = &a.rename {
                        errors.push(syn::Error::new(
                            r.span(),
                            "`rename` names the TEXT form; an `integer` enum stores discriminants",
                        ));
                    }
                }
                let n = ident_name(&v.ident);
                let stored = match (&a.rename, container.rename_all) {
                    (Some(r), _) => r.value(),
                    (None, Some(rule)) => rule.apply(&n),
                    (None, None) => n,
                };
                variants.push((&v.ident, stored));
            }
            if container.integer.is_some() && container.rename_all.is_some() {
                errors.push(syn::Error::new(
                    input.ident.span(),
                    "`rename_all` names the TEXT form; an `integer` enum stores discriminants",
                ));
            }
            for (i, (_, a)) in variants.iter().enumerate() {
                if container.integer.is_none() && variants[..i].iter().any(|(_, b)| a == b) {
                    errors.push(syn::Error::new(
                        variants[i].0.span(),
                        format!("two variants are stored as \"{a}\""),
                    ));
                }
            }
            combine(errors)?;
            Shape::Enum(variants)
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                format!("{derive} can't be derived for a union: use a newtype or a unit enum"),
            ));
        }
    };
    Ok((container, shape))
}

pub fn expand_to_sql(input: &DeriveInput) -> syn::Result<TokenStream> {
    let (container, shape) = shape(input, "ToSql")?;
    let k = attrs::krate(&container);
    let name = &input.ident;
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    let body = match shape {
        Shape::Newtype(member, ty) => {
            let to = quote_spanned!(ty.span()=> <#ty as #k::ToSql>::to_sql(&self.#member));
            let bind =
                quote_spanned!(ty.span()=> <#ty as #k::ToSql>::__bind_to(&self.#member, __b, __i));
            quote! {
                #[inline]
                fn to_sql(&self) -> #k::Result<#k::types::ToSqlOutput<'_>> {
                    #to
                }
                #[inline]
                fn __bind_to(
                    &self,
                    __b: &mut #k::types::Binder<'_>,
                    __i: ::std::ffi::c_int,
                ) -> #k::Result<::std::ffi::c_int> {
                    #bind
                }
            }
        }
        Shape::Enum(variants) if container.integer.is_some() => {
            let arms = variants
                .iter()
                .map(|(v, _)| quote!(#name::#v => #name::#v as ::core::primitive::i64,));
            quote! {
                #[inline]
                fn to_sql(&self) -> #k::Result<#k::types::ToSqlOutput<'_>> {
                    let __v: ::core::primitive::i64 = match self { #(#arms)* };
                    ::core::result::Result::Ok(#k::types::ToSqlOutput::Owned(
                        #k::types::Value::Integer(__v),
                    ))
                }
            }
        }
        Shape::Enum(variants) => {
            let arms = variants.iter().map(|(v, s)| quote!(#name::#v => #s,));
            quote! {
                #[inline]
                fn to_sql(&self) -> #k::Result<#k::types::ToSqlOutput<'_>> {
                    let __s: &'static str = match self { #(#arms)* };
                    ::core::result::Result::Ok(#k::types::ToSqlOutput::Borrowed(
                        #k::types::ValueRef::Text(__s.as_bytes()),
                    ))
                }
            }
        }
    };
    Ok(quote! {
        #[automatically_derived]
        impl #impl_g #k::ToSql for #name #ty_g #where_c {
            #body
        }
    })
}

pub fn expand_from_sql(input: &DeriveInput) -> syn::Result<TokenStream> {
    let (container, shape) = shape(input, "FromSql")?;
    let k = attrs::krate(&container);
    let name = &input.ident;
    let name_str = name.to_string();
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    let body = match shape {
        Shape::Newtype(member, ty) => {
            let read = quote_spanned!(ty.span()=> <#ty as #k::types::FromSql>::column_result(__v));
            let expected = quote_spanned!(ty.span()=> <#ty as #k::types::FromSql>::__EXPECTED_TYPE);
            quote! {
                const __EXPECTED_TYPE: ::std::ffi::c_int = #expected;
                #[inline]
                fn column_result(
                    __v: #k::types::ValueRef<'_>,
                ) -> #k::types::FromSqlResult<Self> {
                    #read.map(|__x| #name { #member: __x })
                }
            }
        }
        Shape::Enum(variants) if container.integer.is_some() => {
            let checks = variants.iter().map(|(v, _)| {
                quote!(if __i == #name::#v as ::core::primitive::i64 {
                    return ::core::result::Result::Ok(#name::#v);
                })
            });
            let all = variants
                .iter()
                .map(|(v, _)| quote!(#name::#v as ::core::primitive::i64));
            quote! {
                #[inline]
                fn column_result(
                    __v: #k::types::ValueRef<'_>,
                ) -> #k::types::FromSqlResult<Self> {
                    let __i = __v.as_i64()?;
                    #(#checks)*
                    ::core::result::Result::Err(#k::__private::unknown_integer(
                        #name_str,
                        __i,
                        &[#(#all),*],
                    ))
                }
            }
        }
        Shape::Enum(variants) => {
            let arms = variants
                .iter()
                .map(|(v, s)| quote!(#s => ::core::result::Result::Ok(#name::#v),));
            let all = variants.iter().map(|(_, s)| s);
            quote! {
                #[inline]
                fn column_result(
                    __v: #k::types::ValueRef<'_>,
                ) -> #k::types::FromSqlResult<Self> {
                    match __v.as_str()? {
                        #(#arms)*
                        __other => ::core::result::Result::Err(#k::__private::unknown_text(
                            #name_str,
                            __other,
                            &[#(#all),*],
                        )),
                    }
                }
            }
        }
    };
    Ok(quote! {
        #[automatically_derived]
        impl #impl_g #k::types::FromSql for #name #ty_g #where_c {
            #body
        }
    })
}
