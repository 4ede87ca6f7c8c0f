//! `#[ferrolite(...)]` attributes: parsing, validation, and the errors that
//! point at a misspelled or misplaced key.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr, Path};

use crate::case::RenameRule;

/// Keys valid on a struct or enum.
pub const CONTAINER_KEYS: &[&str] = &["crate", "rename_all", "integer"];
/// Keys valid on a field.
pub const FIELD_KEYS: &[&str] = &["rename", "default", "flatten", "skip"];
/// Keys valid on an enum variant.
pub const VARIANT_KEYS: &[&str] = &["rename"];

/// Attributes of the struct or enum.
#[derive(Default)]
pub struct Container {
    /// `crate = "path"`: where ferrolite is (default `::ferrolite`).
    pub krate: Option<Path>,
    /// `rename_all = "..."`.
    pub rename_all: Option<RenameRule>,
    /// `integer`: a unit enum stored as its discriminant.
    pub integer: Option<Span>,
}

/// Attributes of a field.
#[derive(Default)]
pub struct Field {
    pub rename: Option<LitStr>,
    pub default: Option<Span>,
    pub flatten: Option<Span>,
    pub skip: Option<Span>,
}

/// Attributes of an enum variant.
#[derive(Default)]
pub struct Variant {
    pub rename: Option<LitStr>,
}

/// The error for a key not in `valid`: names it, suggests the closest valid
/// key, and lists them all.
pub fn unknown_key(path: &Path, place: &str, valid: &[&str]) -> syn::Error {
    let name = path
        .get_ident()
        .map(|i| i.to_string())
        .unwrap_or_else(|| quote::quote!(#path).to_string().replace(' ', ""));
    let list = valid
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let hint = closest(&name, valid)
        .map(|k| format!("; did you mean `{k}`?"))
        .unwrap_or_default();
    syn::Error::new(
        path.span(),
        format!("unknown ferrolite attribute `{name}` on {place}{hint} (valid here: {list})"),
    )
}

/// The valid key within edit distance 2 of `name`, if any.
fn closest<'a>(name: &str, valid: &[&'a str]) -> Option<&'a str> {
    valid
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn duplicate(path: &Path) -> syn::Error {
    syn::Error::new(path.span(), "duplicate ferrolite attribute")
}

/// Calls `each` for every key of every `#[ferrolite(...)]` in `attrs`,
/// collecting all errors.
fn for_each_key(
    attrs: &[Attribute],
    mut each: impl FnMut(syn::meta::ParseNestedMeta<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    let mut errors: Option<syn::Error> = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("ferrolite")) {
        if let Err(e) = attr.parse_nested_meta(&mut each) {
            match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            }
        }
    }
    errors.map_or(Ok(()), Err)
}

/// Parses the container's attributes.
pub fn container(attrs: &[Attribute]) -> syn::Result<Container> {
    let mut out = Container::default();
    for_each_key(attrs, |meta| {
        if meta.path.is_ident("crate") {
            if out.krate.is_some() {
                return Err(duplicate(&meta.path));
            }
            let s: LitStr = meta.value()?.parse()?;
            out.krate = Some(s.parse()?);
        } else if meta.path.is_ident("rename_all") {
            if out.rename_all.is_some() {
                return Err(duplicate(&meta.path));
            }
            let s: LitStr = meta.value()?.parse()?;
            out.rename_all = Some(RenameRule::parse(&s)?);
        } else if meta.path.is_ident("integer") {
            if out.integer.is_some() {
                return Err(duplicate(&meta.path));
            }
            out.integer = Some(meta.path.span());
        } else {
            return Err(unknown_key(&meta.path, "a struct or enum", CONTAINER_KEYS));
        }
        Ok(())
    })?;
    Ok(out)
}

/// Parses a field's attributes.
pub fn field(attrs: &[Attribute]) -> syn::Result<Field> {
    let mut out = Field::default();
    for_each_key(attrs, |meta| {
        let flag = |slot: &mut Option<Span>| {
            if slot.is_some() {
                return Err(duplicate(&meta.path));
            }
            *slot = Some(meta.path.span());
            Ok(())
        };
        if meta.path.is_ident("rename") {
            if out.rename.is_some() {
                return Err(duplicate(&meta.path));
            }
            out.rename = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("default") {
            flag(&mut out.default)
        } else if meta.path.is_ident("flatten") {
            flag(&mut out.flatten)
        } else if meta.path.is_ident("skip") {
            flag(&mut out.skip)
        } else {
            Err(unknown_key(&meta.path, "a field", FIELD_KEYS))
        }
    })?;
    Ok(out)
}

/// Parses a variant's attributes.
pub fn variant(attrs: &[Attribute]) -> syn::Result<Variant> {
    let mut out = Variant::default();
    for_each_key(attrs, |meta| {
        if meta.path.is_ident("rename") {
            if out.rename.is_some() {
                return Err(duplicate(&meta.path));
            }
            out.rename = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(unknown_key(&meta.path, "an enum variant", VARIANT_KEYS))
        }
    })?;
    Ok(out)
}

/// The path to ferrolite the generated code uses.
pub fn krate(c: &Container) -> proc_macro2::TokenStream {
    match &c.krate {
        Some(p) => quote::quote!(#p),
        None => quote::quote!(::ferrolite),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(closest("renam", FIELD_KEYS), Some("rename"));
        assert_eq!(closest("flaten", FIELD_KEYS), Some("flatten"));
        assert_eq!(closest("defualt", FIELD_KEYS), Some("default"));
        assert_eq!(closest("colour", FIELD_KEYS), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn field_attrs() {
        let item: syn::DeriveInput = syn::parse_quote! {
            struct S {
                #[ferrolite(rename = "full_name", default)]
                a: i64,
                #[ferrolite(skip)]
                b: i64,
            }
        };
        let syn::Data::Struct(s) = item.data else {
            unreachable!()
        };
        let f: Vec<_> = s.fields.iter().map(|f| field(&f.attrs).unwrap()).collect();
        assert_eq!(f[0].rename.as_ref().unwrap().value(), "full_name");
        assert!(f[0].default.is_some() && f[0].skip.is_none());
        assert!(f[1].skip.is_some() && f[1].rename.is_none());
    }

    #[test]
    fn errors() {
        let attrs: Vec<Attribute> = vec![syn::parse_quote!(#[ferrolite(renam = "x")])];
        let e = field(&attrs).err().unwrap().to_string();
        assert_eq!(
            e,
            "unknown ferrolite attribute `renam` on a field; did you mean `rename`? \
             (valid here: `rename`, `default`, `flatten`, `skip`)"
        );
        let attrs: Vec<Attribute> = vec![syn::parse_quote!(#[ferrolite(skip, skip)])];
        assert_eq!(
            field(&attrs).err().unwrap().to_string(),
            "duplicate ferrolite attribute"
        );
        let attrs: Vec<Attribute> = vec![syn::parse_quote!(#[ferrolite(rename_all = "Snake")])];
        assert!(
            container(&attrs)
                .err()
                .unwrap()
                .to_string()
                .contains("snake_case")
        );
        // Other attributes are not ours.
        let attrs: Vec<Attribute> = vec![syn::parse_quote!(#[serde(whatever)])];
        assert!(field(&attrs).is_ok());
    }
}
