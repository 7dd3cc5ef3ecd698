//! The deploy keys helmfire keeps unread until a cluster command needs them
//! (`wait`, `timeout`, ...) still have helmfile's types: helmfile reads them
//! into typed Go fields, so `timeout: 5m` fails there at load. Checked here
//! at load too, so a wrongly typed value is an error naming the key, never
//! helm's default taken silently.

use serde_yaml_ng::Value;

/// What a deferred key holds.
#[derive(Clone, Copy)]
enum Expected {
    Bool,
    Seconds,
    Count,
    Text,
    TextList,
    BoolOrText,
}

/// helmfile's type of each deferred key (release and helmDefaults keys).
const TYPES: &[(&str, Expected)] = &[
    ("wait", Expected::Bool),
    ("waitForJobs", Expected::Bool),
    ("atomic", Expected::Bool),
    ("rollbackOnFailure", Expected::Bool),
    ("force", Expected::Bool),
    ("recreatePods", Expected::Bool),
    ("cleanupOnFail", Expected::Bool),
    ("reuseValues", Expected::Bool),
    ("createNamespace", Expected::Bool),
    ("disableValidation", Expected::Bool),
    ("disableOpenAPIValidation", Expected::Bool),
    ("disableValidationOnInstall", Expected::Bool),
    ("disableAutoDetectedKubeVersionForDiff", Expected::Bool),
    ("takeOwnership", Expected::Bool),
    ("skipCRDs", Expected::Bool),
    ("syncReleaseLabels", Expected::Bool),
    ("deleteWait", Expected::Bool),
    ("forceConflicts", Expected::Bool),
    ("trackLogs", Expected::Bool),
    ("timeout", Expected::Seconds),
    ("deleteTimeout", Expected::Seconds),
    ("trackTimeout", Expected::Seconds),
    ("helmStuckGrace", Expected::Seconds),
    ("historyMax", Expected::Count),
    ("waitRetries", Expected::Count),
    ("cascade", Expected::Text),
    ("description", Expected::Text),
    ("trackMode", Expected::Text),
    ("serverSide", Expected::BoolOrText),
    ("suppressOutputLineRegex", Expected::TextList),
];

/// The first of `keys` whose value (from `value_of`) is not of helmfile's
/// type, as a message naming the key, the value and what to write.
pub(crate) fn check<'v>(keys: &[&'static str], value_of: impl Fn(&str) -> Option<&'v Value>) -> Result<(), String> {
    for key in keys {
        let Some((_, expected)) = TYPES.iter().find(|(k, _)| k == key) else { continue };
        let Some(value) = value_of(key) else { continue };
        let fits = match expected {
            Expected::Bool => value.is_bool(),
            Expected::Seconds | Expected::Count => value.as_u64().is_some(),
            Expected::Text => value.is_string(),
            Expected::TextList => value.as_sequence().is_some_and(|items| items.iter().all(Value::is_string)),
            Expected::BoolOrText => value.is_bool() || value.is_string(),
        };
        if !fits && !value.is_null() {
            let shown = crate::yaml::to_string(value, crate::yaml::KeyOrder::AsGiven);
            let want = match expected {
                Expected::Bool => "true or false",
                Expected::Seconds => "a whole number of seconds (300, not 5m)",
                Expected::Count => "a whole number",
                Expected::Text => "a string",
                Expected::TextList => "a list of strings",
                Expected::BoolOrText => "true, false or auto",
            };
            return Err(format!("`{key}` is `{}`; write {want}", shown.trim_end()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(key: &'static str, yaml: &str) -> Result<(), String> {
        let value: Value = crate::yaml::from_str(yaml).unwrap();
        check(&[key], |_| Some(&value))
    }

    #[test]
    fn values_of_the_wrong_type_name_the_key_and_the_fix() {
        let err = checked("timeout", "5m").unwrap_err();
        assert!(err.contains("`timeout` is `5m`") && err.contains("seconds"), "{err}");
        assert!(checked("timeout", "600").is_ok());
        assert!(checked("wait", "\"yes\"").is_err());
        assert!(checked("wait", "true").is_ok());
        assert!(checked("serverSide", "auto").is_ok());
        assert!(checked("historyMax", "-1").is_err());
    }
}
