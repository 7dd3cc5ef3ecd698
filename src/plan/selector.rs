//! `-l`/`--selector` values, as helmfile's `ParseLabels` and
//! `LabelFilter.Match` (pkg/state/release_filters.go) read and apply them.
//!
//! One selector is a comma-separated list of `k=v` and `k!=v` parts, all of
//! which must hold (AND). Several selectors match a release when any one
//! does (OR). `k!=v` holds for a release without the label `k`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::error::PlanError;

/// One `-l` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    text: String,
    positive: Vec<(String, String)>,
    negative: Vec<(String, String)>,
}

/// Every `-l` value of a command line; a release matches when any matches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selectors(Vec<Selector>);

impl Selector {
    /// Parses `k=v,k2!=v2`. Keys and values are non-empty runs of
    /// `[a-zA-Z0-9_./+-]`, as helmfile's validation regexes require.
    pub fn parse(text: &str) -> Result<Selector, PlanError> {
        let mut selector = Selector { text: text.to_string(), positive: Vec::new(), negative: Vec::new() };
        for label in text.split(',') {
            match split_label(label) {
                Some((Polarity::Equal, key, value)) => selector.positive.push((key.into(), value.into())),
                Some((Polarity::NotEqual, key, value)) => selector.negative.push((key.into(), value.into())),
                None => return Err(PlanError::MalformedLabel { label: label.to_string() }),
            }
        }
        Ok(selector)
    }

    /// Whether every part holds for `labels` (a release's labels with the
    /// implicit ones, see [`release_labels`](super::release_labels)).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let positive = self.positive.iter().all(|(k, v)| labels.get(k) == Some(v));
        let negative = self.negative.iter().all(|(k, v)| labels.get(k) != Some(v));
        positive && negative
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether some release could match both: no key is required to equal
    /// two different values (helmfile's `positiveLabelsCompatibleWith`).
    fn compatible_with(&self, other: &Selector) -> bool {
        self.positive.iter().all(|(k, v)| other.positive.iter().all(|(k2, v2)| k != k2 || v == v2))
    }
}

impl FromStr for Selector {
    type Err = PlanError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Selector::parse(text)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Selectors {
    /// Parses each `-l` value; the first malformed part is the error.
    pub fn parse<I, S>(texts: I) -> Result<Selectors, PlanError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        texts.into_iter().map(|t| Selector::parse(t.as_ref())).collect::<Result<Vec<_>, _>>().map(Selectors)
    }

    /// No `-l` was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The selectors, in command-line order.
    pub fn iter(&self) -> impl Iterator<Item = &Selector> {
        self.0.iter()
    }

    /// Whether any selector matches `labels`; true when there are none, as
    /// helmfile keeps every release when no `-l` is given.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.is_empty() || self.0.iter().any(|s| s.matches(labels))
    }

    /// Whether some selector of each set could match one release (helmfile's
    /// `SelectorsAreCompatible`, used to skip sub-helmfiles whose
    /// `selectors` conflict with the command line). Only `k=v` parts count;
    /// an empty set is compatible with anything.
    pub fn compatible_with(&self, other: &Selectors) -> bool {
        if self.is_empty() || other.is_empty() {
            return true;
        }
        self.0.iter().any(|a| other.0.iter().any(|b| a.compatible_with(b)))
    }
}

impl fmt::Display for Selectors {
    /// The selectors joined with `,`, as helmfile prints them in "no releases
    /// found that matches specified selector(...)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts: Vec<&str> = self.0.iter().map(Selector::as_str).collect();
        f.write_str(&texts.join(","))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Polarity {
    Equal,
    NotEqual,
}

/// Splits one part; `None` when it matches neither of helmfile's regexes
/// `^[a-zA-Z0-9_\.\/\+-]+!=[a-zA-Z0-9_\.\/\+-]+$` and the `=` one. The class
/// holds neither `!` nor `=`, so splitting at the first operator and
/// checking both sides is the same test.
fn split_label(label: &str) -> Option<(Polarity, &str, &str)> {
    let valid = |s: &str| !s.is_empty() && s.chars().all(is_label_char);
    if let Some((key, value)) = label.split_once("!=")
        && valid(key)
        && valid(value)
    {
        return Some((Polarity::NotEqual, key, value));
    }
    match label.split_once('=') {
        Some((key, value)) if valid(key) && valid(value) => Some((Polarity::Equal, key, value)),
        _ => None,
    }
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '+' | '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn malformed_parts_are_named_as_helmfile_names_them() {
        for (text, part) in
            [("name=", "name="), ("name!=", "name!="), ("name", "name"), ("", ""), ("a=b,c", "c"), ("a==b", "a==b")]
        {
            let error = Selector::parse(text).unwrap_err();
            assert_eq!(error, PlanError::MalformedLabel { label: part.into() }, "{text}");
            assert_eq!(error.to_string(), format!("malformed label: `{part}`. Expected label in form k=v or k!=v"));
        }
        for bad in ["a=b=c", "a!=b!=c", "a b=c", "a=b c", "a=é", "a=b,"] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_and_values_take_helmfiles_character_class() {
        let selector = Selector::parse("app.kubernetes.io/name=my-app_1+2,tier!=a/b").unwrap();
        assert!(selector.matches(&labels(&[("app.kubernetes.io/name", "my-app_1+2"), ("tier", "c")])));
        assert_eq!(selector.to_string(), "app.kubernetes.io/name=my-app_1+2,tier!=a/b");
    }

    #[test]
    fn comma_is_and() {
        let selector = Selector::parse("app=web,tier=front").unwrap();
        assert!(selector.matches(&labels(&[("app", "web"), ("tier", "front")])));
        assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "back")])));
        assert!(!selector.matches(&labels(&[("app", "web")])));
    }

    #[test]
    fn several_selectors_are_or() {
        let selectors = Selectors::parse(["app=web", "tier=back"]).unwrap();
        assert!(selectors.matches(&labels(&[("app", "web")])));
        assert!(selectors.matches(&labels(&[("tier", "back")])));
        assert!(!selectors.matches(&labels(&[("app", "db"), ("tier", "front")])));
        assert_eq!(selectors.to_string(), "app=web,tier=back");
    }

    #[test]
    fn no_selectors_match_everything() {
        let selectors = Selectors::parse(Vec::<String>::new()).unwrap();
        assert!(selectors.is_empty());
        assert!(selectors.matches(&labels(&[])));
    }

    #[test]
    fn a_negative_label_holds_when_the_label_is_missing() {
        let selector = Selector::parse("tier!=backend").unwrap();
        assert!(selector.matches(&labels(&[])));
        assert!(selector.matches(&labels(&[("tier", "frontend")])));
        assert!(!selector.matches(&labels(&[("tier", "backend")])));
        let both = Selector::parse("app=web,tier!=backend").unwrap();
        assert!(both.matches(&labels(&[("app", "web")])));
        assert!(!both.matches(&labels(&[("tier", "frontend")])));
    }

    #[test]
    fn compatibility_compares_positive_labels_only() {
        let sets = |a: &[&str], b: &[&str]| {
            Selectors::parse(a.iter().copied()).unwrap().compatible_with(&Selectors::parse(b.iter().copied()).unwrap())
        };
        assert!(sets(&[], &["a=1"]));
        assert!(sets(&["a=1"], &["a=1,b=2"]));
        assert!(!sets(&["a=1"], &["a=2"]));
        assert!(sets(&["a=1", "a=3"], &["a=2", "a=3"]));
        assert!(sets(&["a!=1"], &["a=1"]));
    }
}
