//! Every environment variable helmfire reads, in one place.

/// Disables colour when set to anything (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// helmfile's switch that turns `exec`, `readFile` and friends into errors.
pub const HELMFILE_DISABLE_INSECURE_FEATURES: &str = "HELMFILE_DISABLE_INSECURE_FEATURES";
/// helmfile's switch to render plain `.yaml` state files as templates too.
pub const HELMFILE_RENDER_YAML: &str = "HELMFILE_RENDER_YAML";
/// helmfile's default environment when `-e` is not given.
pub const HELMFILE_ENVIRONMENT: &str = "HELMFILE_ENVIRONMENT";
/// A file to write a CPU profile of the Go half to (go-shim/profile.go);
/// for finding where time goes, nothing else.
pub const HELMFIRE_SHIM_CPUPROFILE: &str = "HELMFIRE_SHIM_CPUPROFILE";
/// Where helmfire's chart cache lives (default: `$XDG_CACHE_HOME/helmfire`,
/// else `~/.cache/helmfire`).
pub const HELMFIRE_CACHE_HOME: &str = "HELMFIRE_CACHE_HOME";
/// The user's cache directory (XDG).
pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
/// `-f` when not given.
pub const HELMFILE_FILE_PATH: &str = "HELMFILE_FILE_PATH";
/// `-n` when not given.
pub const HELMFILE_NAMESPACE: &str = "HELMFILE_NAMESPACE";
/// `--kube-context` when not given.
pub const HELMFILE_KUBE_CONTEXT: &str = "HELMFILE_KUBE_CONTEXT";
/// `--debug` when `true`.
pub const HELMFILE_DEBUG: &str = "HELMFILE_DEBUG";
/// `-q` when `true`.
pub const HELMFILE_QUIET: &str = "HELMFILE_QUIET";
/// `--log-level` when not given.
pub const HELMFILE_LOG_LEVEL: &str = "HELMFILE_LOG_LEVEL";
/// `--no-color` when `true`.
pub const HELMFILE_NO_COLOR: &str = "HELMFILE_NO_COLOR";
/// `-i` when `true`.
pub const HELMFILE_INTERACTIVE: &str = "HELMFILE_INTERACTIVE";
/// `--repo-retries` when not given.
pub const HELMFILE_REPO_RETRIES: &str = "HELMFILE_REPO_RETRIES";
/// `--otel-tracing` when `true` (which helmfire says it does not do).
pub const HELMFILE_OTEL_TRACING: &str = "HELMFILE_OTEL_TRACING";
/// Where helmfire makes its temporary directories (else the system's).
pub const HELMFILE_TEMPDIR: &str = "HELMFILE_TEMPDIR";
/// helmfile's cache directory: helmfire's cache goes under it (in
/// `helmfire/`) when HELMFIRE_CACHE_HOME is not set.
pub const HELMFILE_CACHE_HOME: &str = "HELMFILE_CACHE_HOME";
/// When set to anything, every object of a diff gets its dry-run apply:
/// no-change proofs (docs/ARCHITECTURE.md, "Read-only phases") are neither
/// used nor kept. For clusters whose admission webhooks answer differently
/// while their configuration stays the same.
pub const HELMFIRE_NO_DIFF_PROOFS: &str = "HELMFIRE_NO_DIFF_PROOFS";
/// When true, any hook that would run is an error instead, as in helmfile.
pub const HELMFILE_DISABLE_HOOKS: &str = "HELMFILE_DISABLE_HOOKS";

// Read by the Go shim (go-shim/internal), listed here so this file stays
// the one index: HELMFILE_DISABLE_INSECURE_TEMPLATE_FUNCTIONS,
// HELMFILE_VALS_FAIL_ON_MISSING_KEY_IN_MAP, HELMFILE_AWS_SDK_LOG_LEVEL.
//
// helmfile variables with no meaning in helmfire, ignored:
// HELMFILE_HELM_BINARY and HELMFILE_KUSTOMIZE_BINARY (both are linked in),
// HELMFILE_UPGRADE_NOTICE_DISABLED (helmfire checks for no upgrades),
// HELMFILE_GO_YAML_V3 (helmfire always reads YAML as go-yaml v3 does),
// HELMFILE_EXPERIMENTAL, HELMFILE_DISABLE_RUNNER_UNIQUE_ID,
// HELMFILE_USE_HELM_STATUS_TO_CHECK_RELEASE_EXISTENCE,
// HELMFILE_OTEL_METRICS_PER_RELEASE.

/// The directory temporary files go to: HELMFILE_TEMPDIR, else the system's.
pub fn temp_dir() -> std::path::PathBuf {
    std::env::var_os(HELMFILE_TEMPDIR).filter(|v| !v.is_empty()).map_or_else(std::env::temp_dir, Into::into)
}
