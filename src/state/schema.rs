//! The helmfile.yaml schema, as serde types.
//!
//! Every key helmfile v1.7 accepts is declared, so that an unknown key is an
//! error with a suggestion and a key helmfile knows but helmfire does not
//! implement yet is reported as such instead of being silently ignored.
//! Implemented keys are typed; the others are listed under `pending` and only
//! recorded as present.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value;

/// Whether a field is left out of `build` output (helmfile's `omitempty`).
pub(crate) trait Omit {
    fn omit(&self) -> bool;
}

impl Omit for String {
    fn omit(&self) -> bool {
        self.is_empty()
    }
}
impl Omit for bool {
    fn omit(&self) -> bool {
        !*self
    }
}
impl<T> Omit for Vec<T> {
    fn omit(&self) -> bool {
        self.is_empty()
    }
}
impl<K, V> Omit for BTreeMap<K, V> {
    fn omit(&self) -> bool {
        self.is_empty()
    }
}
impl Omit for HelmDefaults {
    fn omit(&self) -> bool {
        *self == HelmDefaults::default()
    }
}
impl Omit for super::helmfire_section::HelmfireSection {
    fn omit(&self) -> bool {
        self.is_empty()
    }
}
impl<T> Omit for Option<T> {
    fn omit(&self) -> bool {
        self.is_none()
    }
}

fn omit<T: Omit>(value: &T) -> bool {
    value.omit()
}

/// helmfile's `DefaultInherits`: one name or a list of names, trimmed, empty
/// ones dropped.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged, expecting = "a template name or a list of template names")]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let names = match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(name)) => vec![name],
        Some(OneOrMany::Many(names)) => names,
    };
    Ok(names.into_iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect())
}

/// Declares a schema struct from three lists of keys:
/// - `implemented`: typed fields helmfire acts on;
/// - `deferred`: keys that only matter to cluster operations (waits,
///   timeouts, tracking...). They are kept as data and shown by `build`;
///   offline commands ignore them as helmfile's do; cluster commands must
///   refuse those they do not implement (see `deferred_keys()`);
/// - `pending`: keys that would change what offline commands produce and
///   are not implemented yet: using one is an error.
///
/// It generates the list of every valid key (for suggestions),
/// `pending_keys()` and `deferred_keys()`.
macro_rules! helmfile_schema {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            implemented { $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $key:literal ),* $(,)? }
            deferred { $( $dfield:ident = $dkey:literal ),* $(,)? }
            pending { $( $pfield:ident = $pkey:literal ),* $(,)? }
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[$fmeta])* #[serde(rename = $key, default, skip_serializing_if = "omit")] pub $field: $ty, )*
            $( #[serde(rename = $dkey, default, skip_serializing_if = "Option::is_none")] $dfield: Option<Value>, )*
            $( #[serde(rename = $pkey, default, skip_serializing_if = "Option::is_none")] $pfield: Option<Value>, )*
        }

        impl $name {
            /// Every key this part of the schema accepts.
            pub const KEYS: &'static [&'static str] = &[ $($key,)* $($dkey,)* $($pkey,)* ];

            /// The keys helmfire implements.
            #[allow(dead_code)]
            pub const IMPLEMENTED: &'static [&'static str] = &[ $($key,)* ];

            /// The keys present that helmfire does not implement yet.
            #[allow(unused_mut)]
            pub fn pending_keys(&self) -> Vec<&'static str> {
                let mut present = Vec::new();
                $( if self.$pfield.is_some() { present.push($pkey); } )*
                present
            }

            /// Takes the deferred keys a later part sets (the later one wins).
            #[allow(dead_code, unused_variables)]
            pub(crate) fn merge_deferred(&mut self, later: &Self) {
                $( if later.$dfield.is_some() { self.$dfield = later.$dfield.clone(); } )*
            }

            /// The value of a deferred key, when set.
            #[allow(unused_variables)]
            pub fn deferred_value(&self, key: &str) -> Option<&Value> {
                match key {
                    $( $dkey => self.$dfield.as_ref(), )*
                    _ => None,
                }
            }

            /// Sets, replaces or (with None) removes a deferred key's value
            /// (what a `*Template` key renders to); an unknown key is ignored.
            #[allow(dead_code, unused_variables)]
            pub(crate) fn set_deferred(&mut self, key: &str, value: Option<Value>) {
                match key {
                    $( $dkey => self.$dfield = value, )*
                    _ => {}
                }
            }

            /// The keys present that only cluster operations use.
            pub fn deferred_keys(&self) -> Vec<&'static str> {
                #[allow(unused_mut)]
                let mut present = Vec::new();
                $( if self.$dfield.is_some() { present.push($dkey); } )*
                present
            }
        }
    };
}

helmfile_schema! {
    /// One YAML document (one `---` part) of a helmfile.
    pub struct HelmfileDoc {
        implemented {
            /// The releases to deploy.
            releases: Vec<ReleaseSpec> = "releases",
            /// Environments by name; `-e NAME` selects one.
            environments: BTreeMap<String, Option<EnvironmentSpec>> = "environments",
            /// Default values of every environment, merged before its own.
            values: Vec<ValuesEntry> = "values",
            /// Labels added to every release (they win over a release's own, as in helmfile).
            common_labels: BTreeMap<String, String> = "commonLabels",
            /// `.Capabilities.APIVersions` additions for every release.
            api_versions: Vec<String> = "apiVersions",
            /// `.Capabilities.KubeVersion` for every release.
            kube_version: String = "kubeVersion",
            /// State files merged under this part: their lists come first.
            bases: Vec<String> = "bases",
            /// Defaults for every release.
            helm_defaults: HelmDefaults = "helmDefaults",
            /// Commands run on the state's events (prepare, cleanup).
            hooks: Vec<HookSpec> = "hooks",
            /// Sub-helmfiles, loaded before this file's releases.
            helmfiles: Vec<SubHelmfileEntry> = "helmfiles",
            /// Chart repositories (`repo/chart` references resolve against them).
            repositories: Vec<RepositorySpec> = "repositories",
            /// Release templates, reused through `inherit:` or YAML anchors.
            templates: BTreeMap<String, ReleaseSpec> = "templates",
            /// Templates every release inherits, before its own `inherit:`
            /// (a name, or a list of names, as helmfile accepts).
            #[serde(deserialize_with = "one_or_many")]
            default_inherit: Vec<String> = "defaultInherit",
            /// Where `deps` writes the lock file (default `<name>.lock`
            /// beside the state file), relative to the state file.
            lock_file_path: String = "lockFilePath",
            /// helmfire's own settings (drift, webhooks); not helmfile's.
            helmfire: super::helmfire_section::HelmfireSection = "helmfire",
            /// Every release of this file goes to this namespace (helmfile's
            /// `-n` for one file; using both is an error).
            namespace: String = "namespace",
            /// Every release of this file goes to this kube context.
            kube_context: String = "kubeContext",
            /// Every release of this file uses this chart (helmfile's `--chart`).
            chart: String = "chart",
            /// What a missing values file or `helmfiles:` glob means for the
            /// releases that set none: Error (default), Warn, Info, Debug.
            missing_file_handler: Option<String> = "missingFileHandler",
            /// `ignoreMissingGitBranch` for remote values files of releases
            /// that set none.
            missing_file_handler_config: Option<MissingFileHandlerConfig> = "missingFileHandlerConfig",
            /// helmfile's settings for its `doctor` command (an LLM endpoint);
            /// helmfire has no `doctor`, so they are kept for `build` only.
            llm: Option<Value> = "llm",
        }
        deferred {
            helm_binary = "helmBinary",
            kustomize_binary = "kustomizeBinary",
            // What helmfile's `build` and `fetch --write-output` print about
            // the file; read back, helmfile ignores them, and so does helmfire.
            filepath = "filepath",
            renderedvalues = "renderedvalues",
        }
        pending {
        }
    }
}

helmfile_schema! {
    /// A release as written under `releases:`.
    pub struct ReleaseSpec {
        implemented {
            /// Release name.
            name: String = "name",
            /// Target namespace.
            namespace: String = "namespace",
            /// Chart: a local path or `repo/chart`.
            chart: String = "chart",
            /// Chart version constraint.
            version: String = "version",
            /// Values files and inline documents, merged in order.
            values: Vec<ValuesEntry> = "values",
            /// `--set` entries.
            set: Vec<SetValue> = "set",
            /// `--set-string` entries.
            set_string: Vec<SetValue> = "setString",
            /// Labels for selectors.
            labels: BTreeMap<String, String> = "labels",
            /// Releases this one must come after: `[[kubecontext/]namespace/]name`.
            needs: Vec<String> = "needs",
            /// The kube context to deploy to.
            kube_context: String = "kubeContext",
            /// `false` removes the release (apply, sync) or leaves it out (template).
            installed: Option<bool> = "installed",
            /// `foo.enabled`: the release is enabled when that environment value is true.
            condition: String = "condition",
            /// Values documents rendered with `.Release` before use, merged before `values`.
            values_template: Vec<ValuesEntry> = "valuesTemplate",
            /// A template rendering to `true` or `false`, overriding `installed`.
            installed_template: Option<String> = "installedTemplate",
            /// A template rendering to the `condition`.
            condition_template: Option<String> = "conditionTemplate",
            /// Release templates to inherit from, in order.
            inherit: Vec<InheritSpec> = "inherit",
            /// Commands run on helmfile's events (prepare, presync, ...).
            hooks: Vec<HookSpec> = "hooks",
            /// Charts added as subcharts of a wrapper chart (helmfile's
            /// chartify `dependencies:`).
            dependencies: Vec<DependencySpec> = "dependencies",
            /// Do not build the chart's dependencies.
            skip_deps: Option<bool> = "skipDeps",
            /// Server-side apply takes fields other managers own.
            force_conflicts: Option<bool> = "forceConflicts",
            /// A program the rendered manifests are piped through.
            post_renderer: String = "postRenderer",
            /// Its arguments.
            post_renderer_args: Vec<String> = "postRendererArgs",
            /// `set` entries rendered with `.Release` first.
            set_template: Vec<SetValue> = "setTemplate",
            /// `.Capabilities.APIVersions` additions (else the state's).
            api_versions: Vec<String> = "apiVersions",
            /// `.Capabilities.KubeVersion` (else the state's).
            kube_version: String = "kubeVersion",
            /// Use cached repository indexes.
            skip_refresh: Option<bool> = "skipRefresh",
            /// Kubernetes objects merged (kustomize's strategic merge) into
            /// the rendered manifests; a string entry is a file holding one.
            strategic_merge_patches: Vec<Value> = "strategicMergePatches",
            /// What a missing values file means (else the state's).
            missing_file_handler: Option<String> = "missingFileHandler",
            /// sops-encrypted values files, decrypted in memory and merged
            /// after `values` (helm-secrets' meaning).
            secrets: Vec<ValuesEntry> = "secrets",
            /// Prepended, as written, to every values and secrets path.
            values_path_prefix: String = "valuesPathPrefix",
            /// Allow development (pre-release) versions when `version` is
            /// empty (else helmDefaults').
            devel: Option<bool> = "devel",
            /// Verify the chart's provenance (else the repository's, else
            /// helmDefaults').
            verify: Option<bool> = "verify",
            /// A template rendering to `true` or `false`, overriding `verify`.
            verify_template: Option<String> = "verifyTemplate",
            /// The public keyring provenance is verified with.
            keyring: String = "keyring",
            /// Skip the chart's values.schema.json (or helmDefaults', or the
            /// command line's: any of them).
            skip_schema_validation: Option<bool> = "skipSchemaValidation",
            /// Skip TLS verification when fetching the chart.
            insecure_skip_tls_verify: bool = "insecureSkipTLSVerify",
            /// Fetch the chart over plain HTTP.
            plain_http: bool = "plainHttp",
            /// helmfile resolves an OCI version constraint before pulling to
            /// key its cache; helmfire always resolves constraints against the
            /// registry's tags, so either value gives the same chart.
            resolve_oci_versions: Option<bool> = "resolveOCIVersions",
            /// `ignoreMissingGitBranch` for remote values files.
            missing_file_handler_config: Option<MissingFileHandlerConfig> = "missingFileHandlerConfig",
            /// Let templates look up host names (helm's `--enable-dns`;
            /// else helmDefaults').
            enable_dns: Option<bool> = "enableDNS",
            /// The chart to use instead of `chart` (helmfile's prepared-chart
            /// path; written by hand it replaces `chart`, as in helmfile).
            chart_path: String = "chartPath",
            /// Documented by helmfile as `chart` by another name; helmfile
            /// 1.8 never reads it (a release needs `chart`), nor does helmfire.
            directory: String = "directory",
            /// `chart` must be a go-getter URL: one that is not is an error
            /// instead of being read as a chart name.
            force_go_getter: bool = "forceGoGetter",
            /// `set:` entries whose `value` names an environment variable
            /// holding the value (helmfile's older form of `set:`).
            env: Vec<SetValue> = "env",
            /// JSON patches (`{target, patch}`, or a file holding one) applied
            /// with kustomize to the rendered manifests, before
            /// `strategicMergePatches`.
            json_patches: Vec<Value> = "jsonPatches",
            /// kustomize transformer configurations (inline, or a file)
            /// applied after the patches.
            transformers: Vec<Value> = "transformers",
            /// Every rendered object that names no namespace gets this one.
            force_namespace: String = "forceNamespace",
        }
        deferred {
            wait = "wait",
            wait_retries = "waitRetries",
            wait_for_jobs = "waitForJobs",
            timeout = "timeout",
            recreate_pods = "recreatePods",
            force = "force",
            update_strategy = "updateStrategy",
            atomic = "atomic",
            rollback_on_failure = "rollbackOnFailure",
            cleanup_on_fail = "cleanupOnFail",
            history_max = "historyMax",
            create_namespace = "createNamespace",
            reuse_values = "reuseValues",
            disable_open_api_validation = "disableOpenAPIValidation",
            disable_validation = "disableValidation",
            disable_validation_on_install = "disableValidationOnInstall",
            unit_tests = "unitTests",
            description = "description",
            wait_template = "waitTemplate",
            adopt = "adopt",
            cascade = "cascade",
            suppress_output_line_regex = "suppressOutputLineRegex",
            disable_auto_detected_kube_version_for_diff = "disableAutoDetectedKubeVersionForDiff",
            suppress_diff = "suppressDiff",
            delete_wait = "deleteWait",
            delete_timeout = "deleteTimeout",
            sync_release_labels = "syncReleaseLabels",
            take_ownership = "takeOwnership",
            server_side = "serverSide",
            track_mode = "trackMode",
            track_timeout = "trackTimeout",
            track_logs = "trackLogs",
            track_failed_logs = "trackFailedLogs",
            helm_stuck_grace = "helmStuckGrace",
            track_kinds = "trackKinds",
            skip_kinds = "skipKinds",
            track_resources = "trackResources",
            kubedog_qps = "kubedogQPS",
            kubedog_burst = "kubedogBurst",
            track_fail_on_error = "trackFailOnError",
        }
        pending {
        }
    }
}

helmfile_schema! {
    /// An entry of `environments:`.
    pub struct EnvironmentSpec {
        implemented {
            /// Values files and inline documents, merged in order.
            values: Vec<ValuesEntry> = "values",
            /// The kube context releases of this environment deploy to.
            kube_context: String = "kubeContext",
            /// What a missing values file means: Error (default), Warn, Info, Debug.
            missing_file_handler: String = "missingFileHandler",
            /// `override` (default: later values files win) or `fallback`
            /// (earlier files win; later ones only fill gaps).
            merge_strategy: String = "mergeStrategy",
            /// sops-encrypted values files (globs allowed), decrypted in
            /// memory; they override the environment's `values`.
            secrets: Vec<String> = "secrets",
        }
        deferred {
        }
        pending {
        }
    }
}

helmfile_schema! {
    /// An entry of `repositories:`.
    pub struct RepositorySpec {
        implemented {
            /// The name releases use: `NAME/chart`.
            name: String = "name",
            /// The repository's URL.
            url: String = "url",
            /// CA bundle to verify the server with.
            ca_file: String = "caFile",
            /// Client certificate.
            cert_file: String = "certFile",
            /// Client key.
            key_file: String = "keyFile",
            /// Basic auth user; else `<NAME>_USERNAME` from the environment.
            username: String = "username",
            /// Basic auth password; else `<NAME>_PASSWORD` from the environment.
            password: String = "password",
            /// Send credentials to other hosts the index points at.
            pass_credentials: bool = "passCredentials",
            /// Skip TLS verification.
            skip_tls_verify: bool = "skipTLSVerify",
            /// An OCI registry (`url` is `host[:port]/path`): `NAME/chart`
            /// means `oci://url/chart`.
            oci: bool = "oci",
            /// Talk plain HTTP to this OCI registry.
            plain_http: bool = "plainHttp",
            /// Verify the provenance of this repository's charts.
            verify: bool = "verify",
            /// The public keyring to verify them with.
            keyring: String = "keyring",
            /// A registry config (Docker's config.json format) holding this
            /// OCI registry's credentials, read instead of helm's own when
            /// the repository gives no username (helm's `--registry-config`).
            registry_config: String = "registryConfig",
        }
        deferred {
        }
        pending {
            managed = "managed",
        }
    }
}

helmfile_schema! {
    /// `helmDefaults:`, applied to every release that does not say otherwise.
    pub struct HelmDefaults {
        implemented {
            /// The kube context of releases that set none.
            kube_context: String = "kubeContext",
            /// Do not build chart dependencies.
            skip_deps: bool = "skipDeps",
            /// Use cached repository indexes.
            skip_refresh: bool = "skipRefresh",
            /// A program every release's manifests are piped through.
            post_renderer: String = "postRenderer",
            /// Its arguments.
            post_renderer_args: Vec<String> = "postRendererArgs",
            /// Verify chart provenance.
            verify: bool = "verify",
            /// The public keyring provenance is verified with.
            keyring: String = "keyring",
            /// Allow development versions when a release gives no version.
            devel: bool = "devel",
            /// Skip values.schema.json validation.
            skip_schema_validation: Option<bool> = "skipSchemaValidation",
            /// Skip TLS verification when fetching charts.
            insecure_skip_tls_verify: bool = "insecureSkipTLSVerify",
            /// Fetch charts over plain HTTP.
            plain_http: bool = "plainHttp",
            /// See the release key of the same name.
            resolve_oci_versions: Option<bool> = "resolveOCIVersions",
            /// Let templates look up host names (helm's `--enable-dns`).
            enable_dns: bool = "enableDNS",
            /// Helm flags for every Helm operation, as helmfile appends them
            /// after the command line's `--args`; each is mapped onto the
            /// SDK's options (checked at load, helm/flags.rs).
            args: Vec<String> = "args",
            /// Helm flags for rendering (template, and the charts' renders of
            /// diff and sync), used when the command line gives no
            /// `--template-args`.
            template_args: Vec<String> = "templateArgs",
        }
        deferred {
            skip_crds = "skipCRDs",
            wait = "wait",
            wait_retries = "waitRetries",
            wait_for_jobs = "waitForJobs",
            timeout = "timeout",
            recreate_pods = "recreatePods",
            force = "force",
            atomic = "atomic",
            rollback_on_failure = "rollbackOnFailure",
            cleanup_on_fail = "cleanupOnFail",
            force_conflicts = "forceConflicts",
            history_max = "historyMax",
            create_namespace = "createNamespace",
            reuse_values = "reuseValues",
            cascade = "cascade",
            suppress_output_line_regex = "suppressOutputLineRegex",
            disable_auto_detected_kube_version_for_diff = "disableAutoDetectedKubeVersionForDiff",
            disable_validation = "disableValidation",
            disable_open_a_p_i_validation = "disableOpenAPIValidation",
            delete_wait = "deleteWait",
            delete_timeout = "deleteTimeout",
            sync_release_labels = "syncReleaseLabels",
            take_ownership = "takeOwnership",
            server_side = "serverSide",
            track_mode = "trackMode",
            helm_stuck_grace = "helmStuckGrace",
            diff_args = "diffArgs",
            sync_args = "syncArgs",
        }
        pending {
        }
    }
}

/// An entry of `helmfiles:`: a path (or glob), or a spec.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum SubHelmfileEntry {
    /// `- path/to/helmfile.yaml`
    Path(String),
    /// `- path: ...` with values.
    Spec(Box<SubHelmfileSpec>),
}

impl SubHelmfileEntry {
    /// The path or glob.
    pub fn path(&self) -> &str {
        match self {
            SubHelmfileEntry::Path(p) => p,
            SubHelmfileEntry::Spec(s) => &s.path,
        }
    }

    /// The selectors the entry sets, when it sets its own: `None` when the
    /// sub-helmfile uses its parent's (helmfile's legacy inheritance, or
    /// `selectorsInherited: true`).
    pub fn own_selectors(&self) -> Option<&[String]> {
        match self {
            SubHelmfileEntry::Path(_) => None,
            SubHelmfileEntry::Spec(s) if s.selectors_inherited => None,
            SubHelmfileEntry::Spec(s) => s.selectors.as_deref(),
        }
    }

    /// What the sub-helmfile inherits from its parent.
    pub fn inherits(&self) -> &[String] {
        match self {
            SubHelmfileEntry::Path(_) => &[],
            SubHelmfileEntry::Spec(s) => &s.inherits,
        }
    }

    /// Values layered over the sub-helmfile's environment values.
    pub fn values(&self) -> &[ValuesEntry] {
        match self {
            SubHelmfileEntry::Path(_) => &[],
            SubHelmfileEntry::Spec(s) => &s.values,
        }
    }
}

helmfile_schema! {
    /// `helmfiles: - path: ...`
    pub struct SubHelmfileSpec {
        implemented {
            /// Path or glob of the sub-helmfiles, relative to this file.
            path: String = "path",
            /// Values overriding the sub-helmfile's environment values.
            values: Vec<ValuesEntry> = "values",
            /// Selectors for the sub-helmfile's releases instead of the
            /// parent's (`[]` selects all of them).
            selectors: Option<Vec<String>> = "selectors",
            /// Use the parent's (or the command line's) selectors.
            selectors_inherited: bool = "selectorsInherited",
            /// What the sub-helmfile takes from this file (`repositories`,
            /// `helmDefaults`, `commonLabels`, `apiVersions`, `kubeVersion`,
            /// `templates`, `environments`).
            inherits: Vec<String> = "inherits",
        }
        deferred {
        }
        pending {
        }
    }
}

helmfile_schema! {
    /// A hook: a command run on helmfile's events.
    pub struct HookSpec {
        implemented {
            /// Its name in messages (default: the command).
            name: String = "name",
            /// prepare, preapply, presync, postsync, preuninstall,
            /// postuninstall, cleanup.
            events: Vec<String> = "events",
            /// The program (a Go template).
            command: String = "command",
            /// Its arguments (Go templates).
            args: Vec<String> = "args",
            /// Show the command's output.
            showlogs: bool = "showlogs",
            /// `filename` or `kustomize`: the hook is `kubectl apply -f` or
            /// `-k` of it, run in-process (pipeline/hooks.rs).
            kubectl_apply: BTreeMap<String, String> = "kubectlApply",
        }
        deferred {
        }
        pending {
        }
    }
}

/// One entry of a release's `dependencies:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DependencySpec {
    /// `repo/chart`, a local path, or `oci://...`.
    pub chart: String,
    /// Version constraint.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Name of the subchart in the wrapper (and of its values key).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias: String,
}

/// One entry of a release's `inherit:` list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InheritSpec {
    /// The name of an entry of `templates:`.
    pub template: String,
    /// Fields not to inherit: labels, values, valuesTemplate, set, setString...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

/// One entry of a release's `values:` list.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ValuesEntry {
    /// A values file, relative to the state file's directory.
    File(String),
    /// A values document written inline.
    Inline(serde_yaml_ng::Mapping),
}

/// `missingFileHandlerConfig:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MissingFileHandlerConfig {
    /// A remote values file whose git branch does not exist counts as a
    /// missing file (then `missingFileHandler` decides).
    #[serde(rename = "ignoreMissingGitBranch", default)]
    pub ignore_missing_git_branch: bool,
}

/// One `set:` or `setString:` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SetValue {
    /// The value path, e.g. `image.tag`.
    pub name: String,
    /// A single value; YAML scalars keep their literal text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A file whose content becomes the value (`--set-file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A list value (`name={a,b}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

impl DependencySpec {
    /// Every key a dependency accepts.
    pub const KEYS: &'static [&'static str] = &["chart", "version", "alias"];
}

impl InheritSpec {
    /// Every key an `inherit` entry accepts.
    pub const KEYS: &'static [&'static str] = &["template", "except"];
}

impl SetValue {
    /// Every key a set entry accepts.
    pub const KEYS: &'static [&'static str] = &["name", "value", "file", "values"];
}
