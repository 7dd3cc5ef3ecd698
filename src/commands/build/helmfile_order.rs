//! The order helmfile's `build` prints keys in (its Go structs' field
//! order, as go-yaml encodes them) and the keys it prints even when zero
//! (fields without `omitempty`). Keys helmfire knows that helmfile's
//! structs do not have follow, in the order they came.

use serde_yaml_ng::{Mapping, Value};

/// ReleaseSetSpec (pkg/state/state.go): the top level of a state file.
const TOP_LEVEL: &[&str] = &[
    "helmBinary",
    "kustomizeBinary",
    "values",
    "environments",
    "bases",
    "helmDefaults",
    "helmfiles",
    "kubeContext",
    "namespace",
    "chart",
    "repositories",
    "commonLabels",
    "releases",
    "llm",
    "apiVersions",
    "kubeVersion",
    "hooks",
    "templates",
    "defaultInherit",
    "missingFileHandler",
    "missingFileHandlerConfig",
    "lockFilePath",
];

/// HelmSpec: `helmDefaults`.
const HELM_DEFAULTS: &[&str] = &[
    "kubeContext",
    "args",
    "diffArgs",
    "syncArgs",
    "templateArgs",
    "verify",
    "keyring",
    "enableDNS",
    "skipSchemaValidation",
    "devel",
    "wait",
    "waitRetries",
    "waitForJobs",
    "timeout",
    "recreatePods",
    "force",
    "atomic",
    "rollbackOnFailure",
    "cleanupOnFail",
    "forceConflicts",
    "historyMax",
    "createNamespace",
    "skipCRDs",
    "skipDeps",
    "skipRefresh",
    "resolveOCIVersions",
    "reuseValues",
    "postRenderer",
    "postRendererArgs",
    "cascade",
    "suppressOutputLineRegex",
    "disableAutoDetectedKubeVersionForDiff",
    "disableValidation",
    "disableOpenAPIValidation",
    "insecureSkipTLSVerify",
    "plainHttp",
    "deleteWait",
    "deleteTimeout",
    "syncReleaseLabels",
    "takeOwnership",
    "serverSide",
    "trackMode",
    "helmStuckGrace",
];

/// HelmSpec fields without `omitempty`: printed when zero.
const HELM_DEFAULTS_ALWAYS: &[&str] = &[
    "verify",
    "enableDNS",
    "devel",
    "wait",
    "waitRetries",
    "waitForJobs",
    "timeout",
    "recreatePods",
    "force",
    "atomic",
    "rollbackOnFailure",
    "forceConflicts",
    "skipDeps",
    "skipRefresh",
    "reuseValues",
];

/// ReleaseSpec: a release.
const RELEASE: &[&str] = &[
    "chart",
    "chartPath",
    "directory",
    "version",
    "verify",
    "keyring",
    "enableDNS",
    "devel",
    "wait",
    "waitRetries",
    "waitForJobs",
    "timeout",
    "recreatePods",
    "force",
    "installed",
    "updateStrategy",
    "atomic",
    "rollbackOnFailure",
    "cleanupOnFail",
    "forceConflicts",
    "historyMax",
    "condition",
    "createNamespace",
    "reuseValues",
    "disableOpenAPIValidation",
    "disableValidation",
    "disableValidationOnInstall",
    "missingFileHandler",
    "missingFileHandlerConfig",
    "needs",
    "hooks",
    "unitTests",
    "name",
    "description",
    "namespace",
    "labels",
    "values",
    "secrets",
    "set",
    "setString",
    "valuesTemplate",
    "setTemplate",
    "apiVersions",
    "kubeVersion",
    "env",
    "valuesPathPrefix",
    "kubeContext",
    "insecureSkipTLSVerify",
    "plainHttp",
    "verifyTemplate",
    "waitTemplate",
    "installedTemplate",
    "conditionTemplate",
    "dependencies",
    "jsonPatches",
    "strategicMergePatches",
    "transformers",
    "adopt",
    "forceGoGetter",
    "forceNamespace",
    "skipDeps",
    "skipRefresh",
    "resolveOCIVersions",
    "postRenderer",
    "skipSchemaValidation",
    "postRendererArgs",
    "cascade",
    "suppressOutputLineRegex",
    "disableAutoDetectedKubeVersionForDiff",
    "inherit",
    "suppressDiff",
    "deleteWait",
    "deleteTimeout",
    "syncReleaseLabels",
    "takeOwnership",
    "serverSide",
    "trackMode",
    "trackTimeout",
    "trackLogs",
    "trackFailedLogs",
    "helmStuckGrace",
    "trackKinds",
    "skipKinds",
    "trackResources",
    "kubedogQPS",
    "kubedogBurst",
    "trackFailOnError",
];

/// event.Hook: a hook; `name`, `events`, `command`, `args` and
/// `showlogs` are always printed.
const HOOK: &[&str] = &["name", "events", "command", "kubectlApply", "args", "showlogs"];

/// EnvironmentSpec.
const ENVIRONMENT: &[&str] =
    &["values", "secrets", "kubeContext", "missingFileHandler", "missingFileHandlerConfig", "mergeStrategy"];

/// `map`'s keys in `order`, then the rest as they came.
fn ordered(mut map: Mapping, order: &[&str]) -> Mapping {
    let mut out = Mapping::new();
    for key in order {
        if let Some(value) = map.remove(*key) {
            out.insert((*key).into(), value);
        }
    }
    out.extend(map);
    out
}

/// The top level of a state file, `templates` always (helmfile prints
/// `templates: {}`).
pub(super) fn top_level(mut doc: Mapping) -> Mapping {
    doc.entry("templates".into()).or_insert_with(|| Value::Mapping(Mapping::new()));
    ordered(doc, TOP_LEVEL)
}

/// `helmDefaults`, with helmfile's always-printed fields zero when unset.
pub(super) fn helm_defaults(mut defaults: Mapping) -> Mapping {
    for key in HELM_DEFAULTS_ALWAYS {
        let zero = if matches!(*key, "waitRetries" | "timeout") { Value::from(0) } else { Value::Bool(false) };
        defaults.entry((*key).into()).or_insert(zero);
    }
    ordered(defaults, HELM_DEFAULTS)
}

/// A release.
pub(super) fn release(release: Mapping) -> Mapping {
    ordered(release, RELEASE)
}

/// An environment.
pub(super) fn environment(environment: Mapping) -> Mapping {
    ordered(environment, ENVIRONMENT)
}

/// A hook, with `name`, `events`, `command`, `args` and `showlogs` always.
pub(super) fn hook(hook: Value) -> Value {
    let Value::Mapping(mut map) = hook else { return hook };
    map.entry("name".into()).or_insert_with(|| "".into());
    map.entry("events".into()).or_insert_with(|| Value::Sequence(Vec::new()));
    map.entry("command".into()).or_insert_with(|| "".into());
    map.entry("args".into()).or_insert_with(|| Value::Sequence(Vec::new()));
    map.entry("showlogs".into()).or_insert(Value::Bool(false));
    Value::Mapping(ordered(map, HOOK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_defaults_print_zero_values_in_helmfile_order() {
        let defaults: Mapping = serde_yaml_ng::from_str("wait: true\nkubeContext: c\n").unwrap();
        let keys: Vec<String> = helm_defaults(defaults).keys().map(|k| k.as_str().unwrap().to_string()).collect();
        assert_eq!(keys[..3], ["kubeContext", "verify", "enableDNS"]);
        assert_eq!(keys.len(), 2 + HELM_DEFAULTS_ALWAYS.len() - 1);
    }
}
