//! A release's `condition`, as helmfile's `ConditionEnabled`
//! (pkg/state/state.go) evaluates it against the environment values.

use serde_yaml_ng::{Mapping, Value};

use super::error::ConditionError;

/// Whether a release with this `condition` is enabled.
///
/// - empty: enabled;
/// - `true` / `false` in any case: that value;
/// - `a.b.enabled`: `a` and `b` must be maps in `values` (else an error
///   naming the path so far, `.a` or `.a.b`); the release is enabled only
///   when `enabled` there is the boolean `true` (missing or not a boolean
///   is disabled, not an error);
/// - anything else, for instance `a.b`, is an error.
pub fn condition_enabled(condition: &str, values: &Value) -> Result<bool, ConditionError> {
    if condition.is_empty() {
        return Ok(true);
    }
    match condition.to_lowercase().as_str() {
        "true" => return Ok(true),
        "false" => return Ok(false),
        _ => {}
    }
    let keys: Vec<&str> = condition.split('.').collect();
    let Some((&"enabled", path)) = keys.split_last() else {
        return Err(ConditionError::Form { condition: condition.to_string() });
    };
    let empty = Mapping::new();
    let mut current = values.as_mapping().unwrap_or(&empty);
    let mut field = String::new();
    for key in path {
        field.push('.');
        field.push_str(key);
        let value = current.get(*key).ok_or_else(|| ConditionError::NotFound { field: field.clone() })?;
        current = value.as_mapping().ok_or_else(|| ConditionError::NotAMap { field: field.clone() })?;
    }
    Ok(matches!(current.get("enabled"), Some(Value::Bool(true))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(yaml: &str) -> Value {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn empty_and_boolean_literals() {
        let v = Value::Null;
        assert_eq!(condition_enabled("", &v), Ok(true));
        assert_eq!(condition_enabled("true", &v), Ok(true));
        assert_eq!(condition_enabled("TRUE", &v), Ok(true));
        assert_eq!(condition_enabled("False", &v), Ok(false));
    }

    #[test]
    fn enabled_is_looked_up_along_the_path() {
        let v = values(
            "a: {enabled: true}\nb: {enabled: false}\nc: {}\nd: {enabled: 'true'}\ne: {f: {enabled: true}}\nenabled: true\n",
        );
        assert_eq!(condition_enabled("a.enabled", &v), Ok(true));
        assert_eq!(condition_enabled("b.enabled", &v), Ok(false));
        assert_eq!(condition_enabled("c.enabled", &v), Ok(false), "a missing `enabled` disables");
        assert_eq!(condition_enabled("d.enabled", &v), Ok(false), "only a boolean enables");
        assert_eq!(condition_enabled("e.f.enabled", &v), Ok(true));
        assert_eq!(condition_enabled("enabled", &v), Ok(true));
    }

    #[test]
    fn errors_name_the_path_so_far() {
        let v = values("a: {b: 1}\nn: null\n");
        assert_eq!(condition_enabled("x.enabled", &v), Err(ConditionError::NotFound { field: ".x".into() }));
        assert_eq!(condition_enabled("a.x.enabled", &v), Err(ConditionError::NotFound { field: ".a.x".into() }));
        assert_eq!(condition_enabled("a.b.enabled", &v), Err(ConditionError::NotAMap { field: ".a.b".into() }));
        assert_eq!(condition_enabled("n.enabled", &v), Err(ConditionError::NotAMap { field: ".n".into() }));
        assert_eq!(condition_enabled("x.enabled", &Value::Null), Err(ConditionError::NotFound { field: ".x".into() }));
        let error = condition_enabled("a.b", &v).unwrap_err();
        assert_eq!(error, ConditionError::Form { condition: "a.b".into() });
        assert!(error.to_string().contains("must be in the form 'foo.enabled'"));
        assert_eq!(error_text(".a.b"), "environment values field `.a.b` is not a map");
    }

    fn error_text(field: &str) -> String {
        ConditionError::NotAMap { field: field.into() }.to_string()
    }
}
