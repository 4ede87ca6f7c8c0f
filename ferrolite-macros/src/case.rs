//! `rename_all`: names of fields and variants in another case.

use syn::LitStr;

/// A `rename_all` rule (serde's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

const RULES: &[(&str, RenameRule)] = &[
    ("lowercase", RenameRule::Lower),
    ("UPPERCASE", RenameRule::Upper),
    ("PascalCase", RenameRule::Pascal),
    ("camelCase", RenameRule::Camel),
    ("snake_case", RenameRule::Snake),
    ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
    ("kebab-case", RenameRule::Kebab),
    ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
];

impl RenameRule {
    /// Parses the attribute's value; an unknown one lists the valid ones.
    pub fn parse(s: &LitStr) -> syn::Result<RenameRule> {
        let v = s.value();
        RULES
            .iter()
            .find(|(n, _)| *n == v)
            .map(|(_, r)| *r)
            .ok_or_else(|| {
                let list = RULES
                    .iter()
                    .map(|(n, _)| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                syn::Error::new(
                    s.span(),
                    format!("unknown rename_all rule \"{v}\" (valid: {list})"),
                )
            })
    }

    /// `name` (a Rust identifier, without `r#`) in this case.
    pub fn apply(self, name: &str) -> String {
        let words = words(name);
        let join = |sep: &str, f: fn(&str) -> String| {
            words.iter().map(|w| f(w)).collect::<Vec<_>>().join(sep)
        };
        match self {
            RenameRule::Lower => name.to_lowercase(),
            RenameRule::Upper => name.to_uppercase(),
            RenameRule::Pascal => join("", capitalize),
            RenameRule::Camel => {
                let mut s = join("", capitalize);
                if let Some(first) = words.first() {
                    s.replace_range(..first.len(), first);
                }
                s
            }
            RenameRule::Snake => join("_", str::to_owned),
            RenameRule::ScreamingSnake => join("_", str::to_uppercase),
            RenameRule::Kebab => join("-", str::to_owned),
            RenameRule::ScreamingKebab => join("-", str::to_uppercase),
        }
    }
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The lowercase words of `snake_case` or `PascalCase` names: split at `_`
/// and where a capital starts a word (`HTTPServer` is `http`, `server`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RenameRule::*;

    #[test]
    fn variants() {
        assert_eq!(Snake.apply("InProgress"), "in_progress");
        assert_eq!(Lower.apply("InProgress"), "inprogress");
        assert_eq!(Upper.apply("InProgress"), "INPROGRESS");
        assert_eq!(Camel.apply("InProgress"), "inProgress");
        assert_eq!(Pascal.apply("InProgress"), "InProgress");
        assert_eq!(Kebab.apply("InProgress"), "in-progress");
        assert_eq!(ScreamingSnake.apply("InProgress"), "IN_PROGRESS");
        assert_eq!(ScreamingKebab.apply("InProgress"), "IN-PROGRESS");
        assert_eq!(Snake.apply("HTTPServer"), "http_server");
        assert_eq!(Snake.apply("Utf8Text"), "utf8_text");
    }

    #[test]
    fn fields() {
        assert_eq!(Camel.apply("user_id"), "userId");
        assert_eq!(Pascal.apply("user_id"), "UserId");
        assert_eq!(ScreamingSnake.apply("user_id"), "USER_ID");
        assert_eq!(Kebab.apply("user_id"), "user-id");
        assert_eq!(Lower.apply("user_id"), "user_id");
        assert_eq!(Snake.apply("x"), "x");
    }
}
