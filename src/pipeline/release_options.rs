//! The deploy settings a release carries (`wait`, `timeout`, `atomic`...),
//! with `helmDefaults` as the fallback, as helmfile resolves them, and the
//! check that refuses the ones helmfire's cluster commands do not honour
//! yet instead of ignoring them.

use serde_yaml_ng::Value;

use crate::cli::{DeploySettings, TrackFlags};
use crate::helm::{HelmFlags, TrackOptions, TrackResource, UpgradeOptions};
use crate::state::{HelmDefaults, Release, StateFile};

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
    "syncReleaseLabels",
    "cascade",
    "deleteWait",
    "deleteTimeout",
    "suppressDiff",
    "suppressOutputLineRegex",
    "trackMode",
    "trackTimeout",
    "trackLogs",
    "trackFailedLogs",
    "trackKinds",
    "skipKinds",
    "trackResources",
    "trackFailOnError",
    "disableValidationOnInstall",
    "updateStrategy",
    "waitTemplate",
];

/// Deploy-time keys accepted with no effect, each said once (deploy.rs)
/// with the reason.
pub(crate) const INERT: &[(&str, &str)] = &[
    ("waitRetries", "Helm removed --wait-retries, and helmfile 1.8 ignores the key too"),
    ("helmStuckGrace", "it interrupts a stuck helm process, and helmfire runs none"),
    ("kubedogQPS", "helmfire's tracking polls every 2 s with the release's own client"),
    ("kubedogBurst", "helmfire's tracking polls every 2 s with the release's own client"),
    ("unitTests", "it names helm-unittest suites, and helmfire has no unittest command"),
    (
        "disableAutoDetectedKubeVersionForDiff",
        "helmfire's diff renders against the API server itself, so no detected version is passed",
    ),
];

/// The release's deferred keys that cluster commands would ignore; using
/// one is an error rather than a silent no-op.
pub(crate) fn unsupported_keys(release: &Release, defaults: &HelmDefaults) -> Vec<&'static str> {
    release
        .spec
        .deferred_keys()
        .into_iter()
        .chain(defaults.deferred_keys())
        .filter(|k| !HONOURED.contains(k) && !INERT.iter().any(|(inert, _)| inert == k))
        .collect()
}

/// helmfile refuses `atomic` with `rollbackOnFailure` (Helm 4's name for
/// it): one of them, not both.
pub(crate) fn conflicting_keys(release: &Release, defaults: &HelmDefaults) -> Option<&'static str> {
    (flag(release, defaults, "atomic") && flag(release, defaults, "rollbackOnFailure")).then_some(
        "`atomic` and `rollbackOnFailure` are the same setting (Helm 4 renamed it) and helmfile refuses both at once; keep `rollbackOnFailure`",
    )
}

/// How `release` is uninstalled: the command line's `--cascade`, else the
/// release's (or helmDefaults') `cascade`; `deleteWait` from either; the
/// release's `deleteTimeout` over the command line's.
pub(crate) fn uninstall_options(
    base: &super::deploy::UninstallOptions,
    release: &Release,
    defaults: &HelmDefaults,
) -> super::deploy::UninstallOptions {
    let cascade = if base.cascade.is_empty() {
        lookup(release, defaults, "cascade").and_then(Value::as_str).unwrap_or_default().to_string()
    } else {
        base.cascade.clone()
    };
    super::deploy::UninstallOptions {
        wait: base.wait || flag(release, defaults, "deleteWait"),
        timeout_seconds: lookup(release, defaults, "deleteTimeout")
            .and_then(Value::as_u64)
            .unwrap_or(base.timeout_seconds),
        cascade,
    }
}

fn lookup<'a>(release: &'a Release, defaults: &'a HelmDefaults, key: &str) -> Option<&'a Value> {
    release.spec.deferred_value(key).or_else(|| defaults.deferred_value(key))
}

fn flag(release: &Release, defaults: &HelmDefaults, key: &str) -> bool {
    lookup(release, defaults, key).and_then(Value::as_bool).unwrap_or(false)
}

/// What is wrong with `release`'s track lists, which would otherwise be
/// dropped and track everything: `trackKinds`/`skipKinds` are lists of
/// kinds, `trackResources` a list of `{kind, name, namespace}`.
pub(crate) fn malformed_track_lists(release: &Release) -> Option<String> {
    for key in ["trackKinds", "skipKinds"] {
        let Some(value) = release.spec.deferred_value(key) else { continue };
        if !value.as_sequence().is_some_and(|items| items.iter().all(|i| i.as_str().is_some())) {
            return Some(format!("`{key}` must be a list of kinds, such as [Deployment, Job]"));
        }
    }
    let value = release.spec.deferred_value("trackResources")?;
    serde_yaml_ng::from_value::<Vec<TrackResource>>(value.clone())
        .err()
        .map(|e| format!("`trackResources` must be a list of {{kind, name, namespace}} entries ({e})"))
}

/// How `release`'s objects are followed, as helmfile resolves it: the
/// release's `trackMode`, then `--track-mode`, then helmDefaults', then
/// helm; the release's other `track*` keys over the command line's.
fn track_options(flags: &TrackFlags, release: &Release, defaults: &HelmDefaults) -> TrackOptions {
    let key = |k: &str| release.spec.deferred_value(k);
    let mode = key("trackMode")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| flags.mode.clone())
        .or_else(|| defaults.deferred_value("trackMode").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "helm".into());
    let strings = |k: &str| -> Vec<String> {
        key(k)
            .and_then(Value::as_sequence)
            .map(|items| items.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    };
    TrackOptions {
        // helm-legacy is helm's older waiter; its lines are the same.
        mode: if mode == "kubedog" { mode } else { "helm".into() },
        timeout_seconds: key("trackTimeout")
            .and_then(Value::as_u64)
            .filter(|s| *s > 0)
            .or(flags.timeout_seconds)
            .unwrap_or(0),
        logs: key("trackLogs").and_then(Value::as_bool).unwrap_or(flags.logs),
        failed_logs: key("trackFailedLogs").and_then(Value::as_bool).unwrap_or(flags.failed_logs),
        kinds: strings("trackKinds"),
        skip_kinds: strings("skipKinds"),
        resources: key("trackResources")
            .and_then(|v| serde_yaml_ng::from_value::<Vec<TrackResource>>(v.clone()).ok())
            .unwrap_or_default(),
        fail_on_error: key("trackFailOnError").and_then(Value::as_bool).unwrap_or(flags.fail_on_error),
    }
}

/// The upgrade options of `release`: the command line's flags, else the
/// release's keys, else `helmDefaults`; then the helm flags of
/// `--sync-args`, `--args` and `helmDefaults.args`, in the order helmfile
/// appends them to the helm command line (a later flag wins).
pub(crate) fn upgrade_options(settings: &DeploySettings, release: &Release, defaults: &HelmDefaults) -> UpgradeOptions {
    let wait_for_jobs = settings.wait_for_jobs || flag(release, defaults, "waitForJobs");
    let sync_labels = settings.sync_release_labels || flag(release, defaults, "syncReleaseLabels");
    let mut options = UpgradeOptions {
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
        reuse_values: settings.reuse_values.unwrap_or_else(|| flag(release, defaults, "reuseValues")),
        reset_values: settings.reuse_values == Some(false),
        disable_validation: flag(release, defaults, "disableValidation")
            || flag(release, defaults, "disableOpenAPIValidation"),
        take_ownership: settings.take_ownership || flag(release, defaults, "takeOwnership"),
        server_side: match (&settings.server_side, lookup(release, defaults, "serverSide")) {
            (Some(mode), _) => mode.clone(),
            (None, Some(Value::Bool(b))) => b.to_string(),
            (None, Some(Value::String(s))) => s.clone(),
            _ => String::new(),
        },
        force_conflicts: settings.force_conflicts || release.force_conflicts,
        skip_crds: settings.skip_crds || flag(release, defaults, "skipCRDs"),
        description: settings.description.clone().unwrap_or_else(|| {
            lookup(release, defaults, "description").and_then(Value::as_str).unwrap_or_default().to_string()
        }),
        labels: if sync_labels { release.labels.clone() } else { Default::default() },
        disable_hooks: settings.render.no_hooks,
        track: Some(track_options(&settings.track, release, defaults)),
    };
    for flags in [&settings.sync_args, &settings.args, &defaults_args(defaults).1] {
        flags.apply_to_upgrade(&mut options);
    }
    options
}

/// `helmDefaults.args` and `templateArgs` are helm flags helmfire maps onto
/// the SDK's options: one it cannot map is an error when the session opens,
/// before any release is touched.
pub(crate) fn check_default_args(file: &StateFile) -> anyhow::Result<()> {
    let defaults = &file.doc.helm_defaults;
    for (key, args) in [("args", &defaults.args), ("templateArgs", &defaults.template_args)] {
        if !args.is_empty() {
            let origin = format!("{}: helmDefaults.{key}", file.path.display());
            HelmFlags::parse(&args.join(" "), &origin).map_err(anyhow::Error::msg)?;
        }
    }
    Ok(())
}

/// `helmDefaults.templateArgs` and `helmDefaults.args`, parsed. Both were
/// checked when the session opened ([`check_default_args`]), so a parse
/// error cannot happen here; were it to, the flags would be dropped, hence
/// the debug assertion.
pub(crate) fn defaults_args(defaults: &HelmDefaults) -> (HelmFlags, HelmFlags) {
    let parse = |args: &[String], origin: &str| {
        if args.is_empty() {
            return HelmFlags::default();
        }
        let parsed = HelmFlags::parse(&args.join(" "), origin);
        debug_assert!(parsed.is_ok(), "{origin} was checked at load: {parsed:?}");
        parsed.unwrap_or_default()
    };
    (parse(&defaults.template_args, "helmDefaults.templateArgs"), parse(&defaults.args, "helmDefaults.args"))
}
