//! The JSON shapes of the cluster actions (go-shim/internal/release,
//! internal/diff, internal/drift). Same contract rules as
//! `wire.rs`: the shim decodes strictly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::wire::TemplateRequest;

/// Which cluster and namespace an action talks to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KubeTarget {
    /// Kubeconfig path; empty means $KUBECONFIG (as the process started) or
    /// ~/.kube/config.
    pub kubeconfig: String,
    /// Context; empty means the kubeconfig's current-context.
    pub context: String,
    /// The release namespace; empty means the context's, else `default`.
    pub namespace: String,
}

/// How a release's objects are followed while it deploys
/// (go-shim/internal/track): helmfile's `trackMode` and `track*` keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrackOptions {
    /// `helm` (lines while helm waits) or `kubedog` (lines while the
    /// release deploys, then until its objects are ready).
    pub mode: String,
    /// How long kubedog tracking goes on after helm returns (0: 300 s).
    #[serde(skip_serializing_if = "is_zero")]
    pub timeout_seconds: u64,
    /// Stream every tracked container's log.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub logs: bool,
    /// Show the last log lines of containers that fail.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub failed_logs: bool,
    /// Only these kinds (kubedog mode).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Not these kinds (kubedog mode).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skip_kinds: Vec<String>,
    /// Only these objects (kubedog mode).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<TrackResource>,
    /// kubedog tracking that does not converge fails the release.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fail_on_error: bool,
}

/// One entry of `trackResources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackResource {
    /// Its kind.
    #[serde(default)]
    pub kind: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its namespace (any when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// Options of `helm upgrade --install`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpgradeOptions {
    /// Create the namespace if missing (helmfile's default: true).
    pub create_namespace: bool,
    /// Wait for resources to be ready.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub wait: bool,
    /// Also wait for Jobs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub wait_for_jobs: bool,
    /// Operation timeout; 0 is helm's 300 s.
    #[serde(skip_serializing_if = "is_zero")]
    pub timeout_seconds: u64,
    /// Roll back (or uninstall) on failure.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub atomic: bool,
    /// Replace resources that cannot be updated.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    /// Revisions to keep; None is helm's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_max: Option<u32>,
    /// Delete resources created by a failed upgrade.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cleanup_on_fail: bool,
    /// Reuse the last release's values.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reuse_values: bool,
    /// Reset the values to the chart's defaults plus the given ones.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reset_values: bool,
    /// Do not run the chart's hooks.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable_hooks: bool,
    /// Skip the chart's CRDs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_crds: bool,
    /// Skip OpenAPI validation of the manifests.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable_validation: bool,
    /// Adopt resources that exist without a release.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub take_ownership: bool,
    /// Take fields other field managers own (what undoes a manual change).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub force_conflicts: bool,
    /// `auto`, `true` or `false`; empty is helm's default (`auto`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub server_side: String,
    /// Release labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The description recorded with the revision.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// How its objects are followed while it deploys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<TrackOptions>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `helm upgrade --install` of one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpgradeRequest {
    /// What to render, as for `template` (template-only fields left empty).
    #[serde(flatten)]
    pub render: TemplateRequest,
    /// Where.
    pub kube: KubeTarget,
    /// How.
    pub options: UpgradeOptions,
    /// helmfire's cache, where the shim keeps what the validator learns of
    /// the server's OpenAPI schemas for later runs (empty: nothing kept).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cache_home: String,
}

/// What the upgrade did.
#[derive(Debug, Clone, Deserialize)]
pub struct UpgradeOutput {
    /// The new revision.
    pub revision: u32,
    /// Its status (`deployed`...).
    pub status: String,
    /// `name-version` of the chart.
    pub chart: String,
    /// The chart's appVersion.
    #[serde(default)]
    pub app_version: String,
    /// The chart's rendered NOTES.txt.
    #[serde(default)]
    pub notes: String,
    /// Whether this was an install.
    pub first_install: bool,
}

/// `helm uninstall`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UninstallRequest {
    /// Where.
    pub kube: KubeTarget,
    /// The release.
    pub release_name: String,
    /// Wait for the resources to be gone.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub wait: bool,
    /// Timeout; 0 is helm's default.
    #[serde(skip_serializing_if = "is_zero")]
    pub timeout_seconds: u64,
    /// Succeed when the release does not exist.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignore_not_found: bool,
    /// How dependents are deleted: `background` (empty: helm's default),
    /// `foreground` or `orphan`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cascade: String,
}

/// What the uninstall did.
#[derive(Debug, Clone, Deserialize)]
pub struct UninstallOutput {
    /// Whether there was a release to uninstall.
    pub existed: bool,
    /// helm's note about kept resources.
    #[serde(default)]
    pub info: String,
}

/// `helm status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusRequest {
    /// Where.
    pub kube: KubeTarget,
    /// The release.
    pub release_name: String,
}

/// A release's stored status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusOutput {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Latest revision.
    pub revision: u32,
    /// Status.
    pub status: String,
    /// Description of the last operation.
    #[serde(default)]
    pub description: String,
    /// When it was last deployed (RFC 3339).
    #[serde(default)]
    pub last_deployed: String,
    /// `name-version` of the chart.
    #[serde(default)]
    pub chart: String,
    /// The chart's appVersion.
    #[serde(default)]
    pub app_version: String,
}

/// `helm test` of one release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestRequest {
    /// Where.
    pub kube: KubeTarget,
    /// The release.
    pub release_name: String,
    /// Timeout; 0 is helm's default.
    #[serde(skip_serializing_if = "is_zero")]
    pub timeout_seconds: u64,
}

/// One test hook's outcome.
#[derive(Debug, Clone, Deserialize)]
pub struct TestHook {
    /// Its name.
    pub name: String,
    /// Its kind (Pod, Job...).
    pub kind: String,
    /// Succeeded, Failed, Running, Unknown; empty when skipped.
    #[serde(default)]
    pub phase: String,
}

/// What `helm test` found.
#[derive(Debug, Clone, Deserialize)]
pub struct TestOutput {
    /// Whether every test passed.
    pub passed: bool,
    /// The test hooks.
    #[serde(default)]
    pub hooks: Vec<TestHook>,
    /// Why they did not pass.
    #[serde(default)]
    pub failure: String,
    /// The test pods' logs.
    #[serde(default)]
    pub logs: String,
}

/// What an upgrade of a release would change in the live cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffRequest {
    /// The upgrade that would run.
    #[serde(flatten)]
    pub upgrade: UpgradeRequest,
    /// Lines of context around changes.
    pub context_lines: i32,
    /// Show Secret values instead of `REDACTED # (N bytes)`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub show_secrets: bool,
    /// Include the chart's test hooks.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub include_tests: bool,
    /// Lines differing only by a final carriage return are the same.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub strip_trailing_cr: bool,
    /// Skip OpenAPI validation when the release is not installed yet.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable_validation_on_install: bool,
    /// The read-only phase the diff belongs to: diffs of one phase, between
    /// which nothing in the cluster is changed by helmfire, share what the
    /// shim reads about the cluster's shape (its version, API groups and
    /// release storage) instead of reading it again for every release.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub phase: String,
    /// helmfire's cache, where the shim keeps, per release, which objects'
    /// dry runs showed no change and under what conditions, so that an
    /// unchanged object skips its dry run in a later phase
    /// (go-shim/internal/diff/proofs.go).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cache_dir: String,
}

/// One object that would change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiffChange {
    /// Kind.
    pub kind: String,
    /// apiVersion.
    pub api_version: String,
    /// Namespace; empty for cluster-scoped objects.
    #[serde(default)]
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// helm-diff's text for the object (header and unified diff lines).
    pub diff: String,
    /// Why the upgrade would fail on this object, if it would.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub conflict: String,
}

/// The diff of one release.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiffOutput {
    /// Release name.
    pub release: String,
    /// Its namespace.
    pub namespace: String,
    /// Whether it is installed.
    pub exists: bool,
    /// The objects that would change.
    pub changes: Vec<DiffChange>,
    /// How many objects would not change.
    pub unchanged: u32,
}

/// What `drift` compares: one release's last deployed manifest with the
/// live objects (go-shim/internal/drift).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DriftRequest {
    /// Release name.
    pub release_name: String,
    /// Release namespace.
    pub namespace: String,
    /// The cluster.
    pub kube: KubeTarget,
    /// Re-apply the drifted objects.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub heal: bool,
    /// Managers whose changes are expected (not drift).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_managers: Vec<String>,
    /// Show Secret values instead of redacting them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub show_secrets: bool,
}

/// The drift of one release.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DriftOutput {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// The deployed revision compared.
    pub revision: i64,
    /// The drifted objects.
    pub objects: Vec<DriftObject>,
    /// How many objects were compared.
    pub checked: u64,
    /// A remark, e.g. that the last revision is not the deployed one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// One object that differs from its release.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DriftObject {
    /// apiVersion.
    pub api_version: String,
    /// kind.
    pub kind: String,
    /// Namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `changed` or `deleted`.
    pub state: String,
    /// The changed fields.
    #[serde(default)]
    pub fields: Vec<DriftField>,
    /// Re-applied by `--heal`.
    #[serde(default)]
    pub healed: bool,
    /// Managers whose fields `--heal` took back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taken_from: Vec<String>,
    /// Why healing failed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub heal_error: String,
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DriftField {
    /// JSON pointer.
    pub path: String,
    /// The value the release declares (null when absent).
    pub declared: serde_json::Value,
    /// The live value (null when absent).
    pub live: serde_json::Value,
    /// The live field's manager.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manager: String,
}

/// Marks a release whose last operation was cut short as failed
/// (go-shim/internal/release/recover.go).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecoverRequest {
    /// The cluster and the release namespace.
    pub kube: KubeTarget,
    /// Release name.
    pub release_name: String,
    /// Why, for the revision's description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// A cluster checked once per run before its releases
/// (go-shim/internal/kube/probe.go).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClusterProbeRequest {
    /// The cluster (its namespace is unused).
    pub kube: KubeTarget,
    /// The release namespaces; "" is the context's own.
    pub namespaces: Vec<String>,
}

/// The cluster that answered.
#[derive(Debug, Clone, Deserialize)]
pub struct ClusterProbeOutput {
    /// Its API server URL.
    pub server: String,
}

/// `kubectl apply -f FILENAME` or `-k DIR` for a helmfile `kubectlApply`
/// hook (go-shim/internal/kubectl).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KubectlApplyRequest {
    /// The cluster (its namespace is unused: objects keep theirs).
    pub kube: KubeTarget,
    /// A file, a directory or an http(s) URL.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filename: String,
    /// A kustomization directory.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kustomize: String,
    /// Where relative paths start (the state file's directory).
    pub base_dir: String,
}

/// What `kubectl apply` printed.
#[derive(Debug, Clone, Deserialize)]
pub struct KubectlApplyOutput {
    /// "configmap/x created", one line per object.
    pub output: String,
}

/// What recovering found.
#[derive(Debug, Clone, Deserialize)]
pub struct RecoverOutput {
    /// The last revision was pending and is now failed.
    pub recovered: bool,
    /// Its status now ("" when the release does not exist).
    pub status: String,
    /// Its revision.
    pub revision: i64,
    /// The pending status it had.
    #[serde(default)]
    pub was: String,
}

/// `lease_start`: campaign for a coordination.k8s.io Lease
/// (go-shim/internal/lease).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LeaseStartRequest {
    /// The cluster holding the Lease; its namespace is the Lease's.
    pub kube: KubeTarget,
    /// The Lease's name.
    pub name: String,
    /// This candidate's identity, unique among the candidates.
    pub identity: String,
}

/// A running election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseHandle {
    /// The shim's id for it.
    pub id: String,
}

/// What an election knows now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LeaseStatus {
    /// This candidate.
    pub identity: String,
    /// It holds the Lease.
    pub leading: bool,
    /// Who holds the Lease, as last seen ("" before anyone is seen).
    pub holder: String,
    /// It led and could not renew in time: it must stop acting.
    pub lost: bool,
    /// The election is over (lost or released).
    pub ended: bool,
}
