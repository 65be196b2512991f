//! `rename_all`: serde's case conventions, applied to Rust field names
//! (snake_case) and variant names (PascalCase).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenameRule {
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
    pub(crate) fn from_name(name: &str) -> Option<RenameRule> {
        RULES.iter().find(|(n, _)| *n == name).map(|&(_, r)| r)
    }

    /// The names `from_name` accepts, for error messages.
    pub(crate) fn names() -> impl fmt::Display {
        struct Names;
        impl fmt::Display for Names {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for (i, (name, _)) in RULES.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "\"{name}\"")?;
                }
                Ok(())
            }
        }
        Names
    }

    /// A snake_case Rust field name in this convention.
    pub(crate) fn apply_to_field(self, field: &str) -> String {
        match self {
            // As serde: a field's case changes, its underscores stay.
            RenameRule::Lower => field.to_lowercase(),
            RenameRule::Upper => field.to_uppercase(),
            _ => self.join(field.split('_').filter(|w| !w.is_empty())),
        }
    }

    /// A PascalCase Rust variant name in this convention.
    pub(crate) fn apply_to_variant(self, variant: &str) -> String {
        self.join(pascal_words(variant).into_iter())
    }

    fn join<'a>(self, words: impl Iterator<Item = &'a str>) -> String {
        let words: Vec<&str> = words.collect();
        let lower = |w: &str| w.to_lowercase();
        let upper = |w: &str| w.to_uppercase();
        let capital = |w: &str| {
            let mut chars = w.chars();
            match chars.next() {
                Some(c) => c
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        };
        match self {
            RenameRule::Lower => words.iter().map(|w| lower(w)).collect(),
            RenameRule::Upper => words.iter().map(|w| upper(w)).collect(),
            RenameRule::Pascal => words.iter().map(|w| capital(w)).collect(),
            RenameRule::Camel => words
                .iter()
                .enumerate()
                .map(|(i, w)| if i == 0 { lower(w) } else { capital(w) })
                .collect(),
            RenameRule::Snake => sep(&words, "_", lower),
            RenameRule::ScreamingSnake => sep(&words, "_", upper),
            RenameRule::Kebab => sep(&words, "-", lower),
            RenameRule::ScreamingKebab => sep(&words, "-", upper),
        }
    }
}

fn sep(words: &[&str], by: &str, case: impl Fn(&str) -> String) -> String {
    words.iter().map(|w| case(w)).collect::<Vec<_>>().join(by)
}

/// `HttpRequest2Fast` → `Http`, `Request2`, `Fast`: a new word at each
/// uppercase letter, as serde splits variant names.
fn pascal_words(name: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    for (i, c) in name.char_indices() {
        if i > start && c.is_uppercase() {
            words.push(&name[start..i]);
            start = i;
        }
    }
    if start < name.len() {
        words.push(&name[start..]);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::RenameRule::{self, *};

    #[test]
    fn every_rule_on_fields_and_variants() {
        let cases: &[(RenameRule, &str, &str)] = &[
            (Lower, "outcome_code", "veryfasthorse"),
            (Upper, "OUTCOME_CODE", "VERYFASTHORSE"),
            (Pascal, "OutcomeCode", "VeryFastHorse"),
            (Camel, "outcomeCode", "veryFastHorse"),
            (Snake, "outcome_code", "very_fast_horse"),
            (ScreamingSnake, "OUTCOME_CODE", "VERY_FAST_HORSE"),
            (Kebab, "outcome-code", "very-fast-horse"),
            (ScreamingKebab, "OUTCOME-CODE", "VERY-FAST-HORSE"),
        ];
        for &(rule, field, variant) in cases {
            assert_eq!(rule.apply_to_field("outcome_code"), field, "{rule:?}");
            assert_eq!(rule.apply_to_variant("VeryFastHorse"), variant, "{rule:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for name in ["lowercase", "camelCase", "SCREAMING-KEBAB-CASE"] {
            assert!(RenameRule::from_name(name).is_some());
        }
        assert!(RenameRule::from_name("Title Case").is_none());
    }
}
