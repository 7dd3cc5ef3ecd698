//! The deploy settings a release carries (`wait`, `timeout`, `atomic`...),
//! with `helmDefaults` as the fallback, as helmfile resolves them, and the
//! check that refuses the ones helmfire's cluster commands do not honour
//! yet instead of ignoring them.

use serde_yaml_ng::Value;

use crate::cli::DeploySettings;
use crate::helm::UpgradeOptions;
use crate::state::{HelmDefaults, Release};

/// Deploy-time keys the cluster commands honour.
const HONOURED: &[&str] = &[
    "wait",
    "waitForJobs",
    "timeout",
    "atomic",
    "rollbackOnFailure",
    "force",
    "historyMax",
    "cleanupOnFail",
    "reuseValues",
    "createNamespace",
    "disableValidation",
    "disableOpenAPIValidation",
    "takeOwnership",
    "serverSide",
    "description",
    "skipCRDs",
];

/// The release's deferred keys that cluster commands would ignore; using
/// one is an error rather than a silent no-op.
pub(crate) fn unsupported_keys(release: &Release, defaults: &HelmDefaults) -> Vec<&'static str> {
    release.spec.deferred_keys().into_iter().chain(defaults.deferred_keys()).filter(|k| !HONOURED.contains(k)).collect()
}

fn lookup<'a>(release: &'a Release, defaults: &'a HelmDefaults, key: &str) -> Option<&'a Value> {
    release.spec.deferred_value(key).or_else(|| defaults.deferred_value(key))
}

fn flag(release: &Release, defaults: &HelmDefaults, key: &str) -> bool {
    lookup(release, defaults, key).and_then(Value::as_bool).unwrap_or(false)
}

/// The upgrade options of `release`: the command line's flags, else the
/// release's keys, else `helmDefaults`.
pub(crate) fn upgrade_options(settings: &DeploySettings, release: &Release, defaults: &HelmDefaults) -> UpgradeOptions {
    let wait_for_jobs = settings.wait_for_jobs || flag(release, defaults, "waitForJobs");
    UpgradeOptions {
        create_namespace: lookup(release, defaults, "createNamespace").and_then(Value::as_bool).unwrap_or(true),
        wait: settings.wait || wait_for_jobs || flag(release, defaults, "wait"),
        wait_for_jobs,
        timeout_seconds: if settings.timeout_seconds > 0 {
            settings.timeout_seconds
        } else {
            lookup(release, defaults, "timeout").and_then(Value::as_u64).unwrap_or(0)
        },
        atomic: flag(release, defaults, "atomic") || flag(release, defaults, "rollbackOnFailure"),
        force: flag(release, defaults, "force"),
        history_max: lookup(release, defaults, "historyMax")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        cleanup_on_fail: flag(release, defaults, "cleanupOnFail"),
        reuse_values: flag(release, defaults, "reuseValues"),
        disable_validation: flag(release, defaults, "disableValidation")
            || flag(release, defaults, "disableOpenAPIValidation"),
        take_ownership: flag(release, defaults, "takeOwnership"),
        server_side: match lookup(release, defaults, "serverSide") {
            Some(Value::Bool(b)) => b.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        force_conflicts: settings.force_conflicts || release.force_conflicts,
        skip_crds: settings.skip_crds || flag(release, defaults, "skipCRDs"),
        description: lookup(release, defaults, "description").and_then(Value::as_str).unwrap_or_default().to_string(),
        ..UpgradeOptions::default()
    }
}
