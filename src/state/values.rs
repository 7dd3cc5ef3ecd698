//! Values as helmfile handles them before Helm sees them: environment values
//! and state values, merged as helmfile merges them.

use serde_yaml_ng::{Mapping, Value};

/// Merges `overlay` into `base` as helmfile's mergo merge with override
/// does for values: maps merge key by key, recursively; anything else in
/// `overlay` (scalars, lists) replaces what `base` had.
pub fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Mapping(base), Value::Mapping(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_mapping() && value.is_mapping() => merge(existing, value),
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

/// helmfile's `mergeStrategy: fallback`: what `base` already holds wins;
/// `overlay` only fills gaps (missing keys and explicit nulls); maps are
/// merged deeply.
pub fn merge_fallback(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Mapping(base), Value::Mapping(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_mapping() && value.is_mapping() => merge_fallback(existing, value),
                    Some(existing) if existing.is_null() => *existing = value,
                    Some(_) => {}
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) if base.is_null() => *base = overlay,
        _ => {}
    }
}

/// How a `--state-values-set` value is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--state-values-set`: `true`, `false`, integers and `null` are typed.
    Typed,
    /// `--state-values-set-string`: always a string.
    String,
}

/// Parses `a.b=1,c=x` into a mapping, as helmfile's `--state-values-set`.
pub fn parse_set(expression: &str, kind: SetKind) -> Result<Value, String> {
    let mut out = Value::Mapping(Mapping::new());
    for assignment in split_unescaped(expression, ',') {
        let (path, raw) =
            assignment.split_once('=').ok_or_else(|| format!("`{assignment}` is not of the form key=value"))?;
        if path.is_empty() {
            return Err(format!("`{assignment}` has an empty key"));
        }
        let value = match kind {
            SetKind::String => Value::String(raw.to_string()),
            SetKind::Typed => typed_scalar(raw),
        };
        let mut nested = value;
        for key in path.split('.').rev() {
            let mut map = Mapping::new();
            map.insert(Value::String(key.to_string()), nested);
            nested = Value::Mapping(map);
        }
        merge(&mut out, nested);
    }
    Ok(out)
}

fn typed_scalar(raw: &str) -> Value {
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => raw.parse::<i64>().map(|n| Value::Number(n.into())).unwrap_or_else(|_| Value::String(raw.to_string())),
    }
}

/// Splits on `sep` except where it is escaped with a backslash.
fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            c if c == sep => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
}

/// An empty mapping.
pub fn empty() -> Value {
    Value::Mapping(Mapping::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml_ng::from_str(text).unwrap()
    }

    #[test]
    fn maps_merge_deeply_and_lists_are_replaced() {
        let mut base = yaml("a: {x: 1, y: [1, 2]}\nb: keep\n");
        merge(&mut base, yaml("a: {y: [3], z: 2}\nc: new\n"));
        assert_eq!(base, yaml("a: {x: 1, y: [3], z: 2}\nb: keep\nc: new\n"));
    }

    #[test]
    fn fallback_keeps_what_is_there_and_fills_gaps() {
        let mut base = yaml("a: {x: 1, n: null}\nb: keep\nl: []\n");
        merge_fallback(&mut base, yaml("a: {x: 2, n: 3, y: 4}\nb: lose\nc: new\nl: [1]\n"));
        assert_eq!(base, yaml("a: {x: 1, n: 3, y: 4}\nb: keep\nc: new\nl: []\n"));
    }

    #[test]
    fn state_values_set_types_scalars_and_nests_paths() {
        let v = parse_set("a.b=1,c=true,d=text,e=1\\,5", SetKind::Typed).unwrap();
        assert_eq!(v, yaml("a: {b: 1}\nc: true\nd: text\ne: '1,5'\n"));
        let s = parse_set("a=1", SetKind::String).unwrap();
        assert_eq!(s, yaml("a: '1'\n"));
        assert!(parse_set("novalue", SetKind::Typed).is_err());
    }
}
