//! The JSON wire types of chart acquisition: pulling remote charts into the
//! chart cache (go-shim/internal/charts/pull.go), resolving lock files (lock.go),
//! and inspecting the cache (cache.go).

use serde::{Deserialize, Serialize};

/// How OCI registries are reached (go-shim/internal/charts/registry.go).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct RegistryAccess {
    /// Registries the state names, with credentials and TLS settings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registries: Vec<RegistryHost>,
    /// `--oci-plain-http`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
}

/// One registry host and how to talk to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct RegistryHost {
    /// `host[:port]`.
    pub host: String,
    /// The state repository's name, for messages.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Basic auth user.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// Basic auth password.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password: String,
    /// CA bundle to verify the registry with.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ca_file: String,
    /// Client certificate.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cert_file: String,
    /// Client key.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key_file: String,
    /// Skip TLS verification.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub insecure_skip_tls_verify: bool,
    /// Plain HTTP instead of HTTPS.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
    /// The repository's own registry config (`registryConfig`), absolute.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub credentials_file: String,
}

/// One remote chart version, wanted in the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct ChartPullRequest {
    /// `oci://host/path/chart` or `repo/chart`.
    pub chart: String,
    /// Exact version, constraint, or empty for the newest.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// The repositories file of the run.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub repository_config: String,
    /// The chart cache directory.
    pub cache_dir: String,
    /// How OCI registries are reached.
    pub registry: RegistryAccess,
    /// Resolve constraints against the cache before the network.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub offline: bool,
    /// The versions of this chart the lock file records (with `lock_file`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locked: Vec<String>,
    /// The lock file that applies, when there is one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lock_file: String,
    /// Also unpack the chart into this directory (`fetch`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub untar_to: String,
    /// An empty `version` takes development versions too (`--devel`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub devel: bool,
    /// The provenance must verify against `keyring` (`--verify`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub verify: bool,
    /// The public keyring; empty is helm's default.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub keyring: String,
    /// Skip TLS verification for this chart's source.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub insecure_skip_tls_verify: bool,
    /// Talk plain HTTP to this chart's registry.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
}

/// A chart version in the cache.
#[derive(Debug, Clone, Deserialize)]
pub struct ChartPullOutput {
    /// The cached archive (never modified).
    pub path: String,
    /// The chart's name.
    pub name: String,
    /// The version.
    pub version: String,
    /// sha256 digest.
    pub digest: String,
    /// The repository part of the source, as lock files record it.
    pub repository: String,
    /// Nothing was downloaded.
    pub cached: bool,
    /// What helm prints when it pulls.
    pub log: String,
}

/// The remote charts of a state file, to resolve for its lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LockResolveRequest {
    /// The charts to resolve, in order.
    pub dependencies: Vec<LockDependency>,
    /// The repositories file of the run.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub repository_config: String,
    /// How OCI registries are reached.
    pub registry: RegistryAccess,
}

/// One remote chart and its constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LockDependency {
    /// What [`ChartPullRequest::chart`] takes.
    pub chart: String,
    /// The name and repository the lock file records.
    pub name: String,
    /// The repository URL.
    pub repository: String,
    /// The version.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// The alias (helmfile: `<namespace>-<release>`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub alias: String,
}

/// The resolved versions and helm's digest of them.
#[derive(Debug, Clone, Deserialize)]
pub struct LockResolveOutput {
    /// The resolved versions, in request order.
    pub resolved: Vec<LockedDependency>,
    /// sha256 digest.
    pub digest: String,
    /// When it was resolved (RFC 3339).
    pub generated: String,
}

/// One resolved chart.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LockedDependency {
    /// The chart's name.
    pub name: String,
    /// The repository URL.
    pub repository: String,
    /// The version.
    pub version: String,
}

/// `cache_info` and `cache_cleanup`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CacheRequest {
    /// The chart cache directory.
    pub cache_dir: String,
    /// For cleanup: only charts fetched longer ago (0: all).
    #[serde(skip_serializing_if = "is_zero")]
    pub older_than_seconds: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What the cache holds.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CacheInfoOutput {
    /// The cache directory.
    pub root: String,
    /// Cached chart versions.
    pub charts: u64,
    /// Archives on disk.
    pub archives: u64,
    /// Their total size.
    pub bytes: u64,
    /// Archives no chart version names.
    pub orphans: u64,
    /// Leftover temporary files.
    pub temp_files: u64,
    /// Every cached chart version.
    pub entries: Vec<CacheEntry>,
}

/// One cached chart version.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CacheEntry {
    /// Where it came from (repository + chart).
    pub source: String,
    /// The chart's name.
    pub name: String,
    /// The version.
    pub version: String,
    /// sha256 digest.
    pub digest: String,
    /// Archive size in bytes.
    pub size: u64,
    /// When it was fetched (RFC 3339).
    pub fetched: String,
}

/// `kustomize_helm`: one helm command line kustomize ran to inflate a
/// kustomization's `helmCharts:` (go-shim/internal/charts/kustomize_helm.go).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KustomizeHelmRequest {
    /// helm's arguments, the command first (`version`, `pull`, `template`).
    pub args: Vec<String>,
    /// The chart cache directory, which `pull` goes through.
    pub cache_dir: String,
}

/// What helm would have printed on stdout.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KustomizeHelmOutput {
    /// helm's standard output.
    pub stdout: String,
}

/// What cleanup removed.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CacheCleanupOutput {
    /// Archives removed.
    pub removed_archives: u64,
    /// Bytes freed.
    pub removed_bytes: u64,
    /// Fetched remote sources removed.
    #[serde(default)]
    pub removed_sources: u64,
}
