//! `#[derive(Params)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use crate::attrs;
use crate::{add_bounds, combine, ident_name};

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let container = attrs::container(&input.attrs)?;
    let k = attrs::krate(&container);
    let name = &input.ident;
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(_) => &s.fields,
            _ => {
                return Err(syn::Error::new(
                    input.ident.span(),
                    "Params can be derived for a struct with named fields only (its fields \
                     bind the parameters of the same name); bind a tuple struct's fields \
                     by position with a tuple: `(&v.0, &v.1)`",
                ));
            }
        },
        Data::Enum(e) => {
            return Err(syn::Error::new(
                e.enum_token.span,
                "Params can't be derived for an enum: derive it for a struct with named fields",
            ));
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "Params can't be derived for a union: derive it for a struct with named fields",
            ));
        }
    };
    if let Some(span) = container.integer {
        return Err(syn::Error::new(
            span,
            "`integer` is for `#[derive(ToSql, FromSql)]` on unit enums, not for Params",
        ));
    }
    let mut errors = Vec::new();
    let mut arms = Vec::new();
    let mut flats = Vec::new();
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
        if a.skip.is_some() {
            continue;
        }
        if a.flatten.is_some() {
            flats.push(quote_spanned!(ty.span()=>
                if <#ty as #k::__private::BindFields>::bind_field(&self.#ident, __name, __b)? {
                    return ::core::result::Result::Ok(true);
                }
            ));
            bounds.push((ty.clone(), quote!(#k::__private::BindFields)));
            continue;
        }
        let field_str = ident_name(ident);
        let param = match (&a.rename, container.rename_all) {
            (Some(r), _) => r.value(),
            (None, Some(rule)) => rule.apply(&field_str),
            (None, None) => field_str,
        };
        arms.push(quote_spanned!(ty.span()=> #param => __b.bind::<#ty>(&self.#ident),));
        bounds.push((ty.clone(), quote!(#k::ToSql)));
    }
    combine(errors)?;
    let generics = add_bounds(&input.generics, bounds);
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    // `impl Params for &'r T`: the same generics plus the reference's.
    let mut ref_generics = generics.clone();
    ref_generics
        .params
        .insert(0, syn::parse_quote!('__ferrolite_ref));
    let (ref_impl_g, _, _) = ref_generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #ref_impl_g #k::__private::Sealed for &'__ferrolite_ref #name #ty_g #where_c {}

        #[automatically_derived]
        impl #ref_impl_g #k::Params for &'__ferrolite_ref #name #ty_g #where_c {
            #[inline]
            fn __bind_in(self, __stmt: &mut #k::Statement<'_>) -> #k::Result<()> {
                #k::__private::bind_in(self, __stmt)
            }

            #[inline]
            fn __with_bound<__R, __Run>(
                self,
                __stmt: &mut #k::Statement<'_>,
                __run: __Run,
            ) -> #k::Result<__R>
            where
                __Run: ::core::ops::FnOnce(&mut #k::Statement<'_>) -> #k::Result<__R>,
            {
                #k::__private::with_bound(self, __stmt, __run)
            }
        }

        #[automatically_derived]
        impl #impl_g #k::__private::BindFields for #name #ty_g #where_c {
            #[inline]
            fn bind_field(
                &self,
                __name: &str,
                __b: &mut #k::__private::FieldBinder<'_, '_>,
            ) -> #k::Result<bool> {
                match __name {
                    #(#arms)*
                    _ => {
                        #(#flats)*
                        ::core::result::Result::Ok(false)
                    }
                }
            }
        }
    })
}
