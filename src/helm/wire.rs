//! The JSON shapes exchanged with the Go shim. Field names are the contract
//! with go-shim/*.go; the shim decodes params strictly, so a mismatch fails
//! loudly instead of being ignored.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What the shim answers to every call.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    pub ok: bool,
    #[serde(default)]
    pub result: Option<serde_json::Value>,
    #[serde(default)]
    pub error: Option<WireError>,
}

/// A structured error from the shim.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WireError {
    pub kind: String,
    pub message: String,
    #[serde(default)]
    pub details: BTreeMap<String, String>,
}

#[derive(Serialize)]
pub(crate) struct Request<'a, P: Serialize> {
    pub method: &'a str,
    pub params: &'a P,
}

/// One entry of a release's ordered values list. Its `Debug` shows where
/// an inline document came from, never its text: it may hold decrypted
/// secrets or resolved references.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ValueSource {
    /// A values file on disk.
    File {
        /// Absolute path of the file.
        file: PathBuf,
    },
    /// A YAML document written inline in the state file.
    Inline {
        /// The document as YAML text.
        inline: String,
        /// Where it was written, for error messages (`helmfile.yaml: release foo`).
        origin: String,
        /// It holds decrypted secrets or resolved references: a parse
        /// error names the origin only, never quotes the text.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        sensitive: bool,
    },
}

impl std::fmt::Debug for ValueSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueSource::File { file } => f.debug_struct("File").field("file", file).finish(),
            ValueSource::Inline { inline, origin, .. } => {
                write!(f, "Inline {{ origin: {origin:?}, {} bytes }}", inline.len())
            }
        }
    }
}

/// helm's `--set`, `--set-string` and `--set-file`, already escaped. Its
/// `Debug` shows the names only: a value may be a resolved reference.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValueOverrides {
    /// `--set` entries, applied after all values documents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<String>,
    /// `--set-string` entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set_string: Vec<String>,
    /// `--set-file` entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set_file: Vec<String>,
}

impl std::fmt::Debug for ValueOverrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |entries: &[String]| -> Vec<String> {
            entries.iter().map(|e| e.split_once('=').map_or(e.as_str(), |(name, _)| name).to_string()).collect()
        };
        f.debug_struct("ValueOverrides")
            .field("set", &names(&self.set))
            .field("set_string", &names(&self.set_string))
            .field("set_file", &self.set_file)
            .finish()
    }
}

/// One release to render offline, as `helm template NAME CHART` would.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TemplateRequest {
    /// Release name (`.Release.Name`).
    pub release_name: String,
    /// Namespace (`.Release.Namespace`); empty means `default`.
    pub namespace: String,
    /// Chart reference: for now an absolute path to a chart directory or archive.
    pub chart: String,
    /// Chart version constraint, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub chart_version: String,
    /// Values documents in merge order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ValueSource>,
    /// `--set`-style overrides applied after the documents.
    pub overrides: ValueOverrides,
    /// `.Capabilities.KubeVersion`, e.g. `v1.30.0`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kube_version: String,
    /// Extra `.Capabilities.APIVersions`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_versions: Vec<String>,
    /// Include the chart's `crds/` in the output.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub include_crds: bool,
    /// Leave out test hooks.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_tests: bool,
    /// Render as an upgrade (`.Release.IsUpgrade`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_upgrade: bool,
    /// Only show manifests from these template paths (globs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub show_only: Vec<String>,
    /// Write files under this directory instead of returning manifests.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub output_dir: String,
    /// The repositories file from [`ReposRequest`], to resolve `repo/chart`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub repository_config: String,
    /// A program the manifests are piped through.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub post_renderer: String,
    /// Its arguments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_renderer_args: Vec<String>,
    /// Container images to rewrite after rendering (go-shim/internal/render/images.go).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_substitutions: Vec<ImageSubstitution>,
    /// `--skip-schema-validation`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_schema_validation: bool,
    /// Verify a chart archive on disk against its `.prov` (remote charts
    /// are verified when pulled).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub verify: bool,
    /// The keyring for `verify`; empty is helm's default.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub keyring: String,
    /// Templates may look up host names (`--enable-dns`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub enable_dns: bool,
    /// Leave the chart's hooks out (`--no-hooks`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable_hooks: bool,
    /// `--validate`: the API server of this cluster checks the manifests
    /// (helm's `--dry-run=server`); None renders offline.
    #[serde(rename = "validate_kube", skip_serializing_if = "Option::is_none")]
    pub validate_against: Option<crate::helm::KubeTarget>,
    /// Set with `validate_against`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub validate: bool,
}

/// One image substitution: every image matching `original` becomes
/// `replacement`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageSubstitution {
    /// The image reference to match (with or without registry, tag, digest).
    pub original: String,
    /// The image to use instead, as written.
    pub replacement: String,
}

/// An HTTP(S) chart repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Repository {
    /// Its name in `name/chart` references.
    pub name: String,
    /// Its URL.
    pub url: String,
    /// Basic auth user.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// Basic auth password.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password: String,
    /// Client certificate.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cert_file: String,
    /// Client key.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key_file: String,
    /// CA bundle.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ca_file: String,
    /// Skip TLS verification.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub insecure_skip_tls_verify: bool,
    /// Send credentials to other hosts.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pass_credentials: bool,
}

/// Registers repositories (without touching the user's helm config) and
/// refreshes their indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReposRequest {
    /// The repositories of the state.
    pub repositories: Vec<Repository>,
    /// Where to write the merged repositories file (user's + state's).
    pub repository_config: String,
    /// Keep indexes already cached (`--skip-refresh`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_refresh: bool,
}

/// What `repos` did.
#[derive(Debug, Clone, Deserialize)]
pub struct ReposOutput {
    /// Repositories whose index was downloaded.
    pub refreshed: Vec<String>,
}

/// What `helm template` would have printed on stdout.
#[derive(Debug, Clone, Deserialize)]
pub struct TemplateOutput {
    /// The manifests, or the `wrote FILE` lines when writing to a directory.
    pub stdout: String,
}

/// Versions of the Go half.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SdkVersion {
    /// The embedded Helm SDK module version, e.g. `v4.3.1`.
    pub helm_sdk: String,
    /// The Go toolchain the shim was built with.
    pub go: String,
    /// The client-go module version.
    pub kube_client: String,
    /// The Kubernetes version offline rendering assumes by default.
    pub default_kube_version: String,
    /// The vals secret provider groups compiled in; `None` when every one
    /// is (build.rs, HELMFIRE_SECRET_PROVIDERS).
    pub secret_providers: Option<Vec<String>>,
}

/// A Go template to render with helmfile's functions (`.gotmpl` files,
/// templated release fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RenderTemplateRequest {
    /// The file the template comes from; named in errors.
    pub name: String,
    /// The template text.
    pub text: String,
    /// The data as JSON, typed as helmfile's YAML library typed it (Go
    /// decodes it with that library, so integers stay integers; JSON
    /// strings are never re-typed, so `"off"` stays a string).
    pub data: serde_json::Value,
    /// Relative paths in `readFile`, `exec`... resolve against this, and the
    /// `_*.tpl` helpers `include` can use are the ones in it.
    pub base_dir: String,
    /// helmfile's `HELMFILE_DISABLE_INSECURE_FEATURES`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable_insecure: bool,
    /// The run this render belongs to: `fetchSecretValue` fetches each
    /// reference once per run.
    pub run: u64,
    /// The text is the content (or a `---` part) of the file `name` as it
    /// is on disk, so the shim may keep its parsed form for the next render
    /// of the same text. Never set for a text that was decrypted or
    /// rendered (`state::TextSource`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub file_content: bool,
}

/// The rendered text.
#[derive(Debug, Clone, Deserialize)]
pub struct RenderTemplateOutput {
    /// What the template produced.
    pub text: String,
}

/// A sops-encrypted file to decrypt in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DecryptRequest {
    /// The file (absolute); for an inline document, the state file that
    /// holds it.
    pub file: String,
    /// An encrypted YAML document written inline in a state file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inline: Option<String>,
}

/// A decrypted file: plaintext that only ever lives in memory. Its
/// `Debug` never shows the text.
#[derive(Clone, Deserialize)]
pub struct DecryptOutput {
    /// The plaintext.
    pub text: String,
}

impl std::fmt::Debug for DecryptOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DecryptOutput {{ {} bytes }}", self.text.len())
    }
}

/// A remote (go-getter) source to fetch into the source cache.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemoteFetchRequest {
    /// The reference as written.
    pub source: String,
    /// helmfire's cache directory (sources go under `sources/`).
    pub cache_dir: String,
    /// `states`, `values` or `charts`.
    pub kind: String,
    /// The run: a `?cache=false` source is fetched once per run.
    pub run: u64,
    /// A git ref that does not exist counts as a missing file.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignore_missing_git_branch: bool,
    /// `HELMFILE_DISABLE_INSECURE_FEATURES`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable_insecure: bool,
}

/// Where a fetched source's file is.
#[derive(Debug, Clone, Deserialize)]
pub struct RemoteFetchOutput {
    /// The file (or directory, or glob pattern) in the cache.
    pub path: String,
    /// The ref does not exist and that was to be ignored.
    #[serde(default)]
    pub missing: bool,
    /// The network was used.
    #[serde(default)]
    pub fetched: bool,
}

/// A values tree whose strings may hold vals `ref+` references.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValsRequest {
    /// A JSON object.
    pub values: serde_json::Value,
    /// Where relative `ref+file://` and `ref+sops://` paths resolve from.
    pub base_dir: String,
    /// The run it belongs to: each reference is fetched once per run, and
    /// a new run (a watch or daemon cycle) fetches afresh.
    pub run: u64,
}

/// The tree with every reference resolved. Its `Debug` never shows it.
#[derive(Clone, Deserialize)]
pub struct ValsOutput {
    /// A JSON object.
    pub values: serde_json::Value,
}

impl std::fmt::Debug for ValsOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ValsOutput { .. }")
    }
}

/// HCL values files of one `values:` list, evaluated together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HclValuesRequest {
    /// The `.hcl` files, in the order listed.
    pub files: Vec<String>,
    /// Relative file paths resolve against this.
    pub base_dir: String,
    /// sops-encrypted `.hcl` secrets files (absolute), decrypted in memory
    /// and evaluated before `files`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
}

/// The evaluated values.
#[derive(Debug, Clone, Deserialize)]
pub struct HclValuesOutput {
    /// One YAML mapping (numbers are floats, as in helmfile).
    pub values_yaml: String,
}

/// `helm dependency build` of a local chart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DepsBuildRequest {
    /// Absolute chart directory.
    pub chart: String,
    /// The repositories file from [`ReposRequest`], or empty for helm's.
    pub repository_config: String,
    /// Use cached indexes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_refresh: bool,
    /// How OCI dependencies are reached.
    pub registry: super::RegistryAccess,
}

/// What the build printed.
#[derive(Debug, Clone, Deserialize)]
pub struct DepsBuildOutput {
    /// helm's output ("Saving 1 charts", ...).
    pub log: String,
    /// Whether a build ran.
    pub updated: bool,
}

/// One ad-hoc dependency of a release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdhocDependency {
    /// `repo/chart`, an absolute local path or `oci://...`.
    pub chart: String,
    /// Version constraint.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Subchart alias.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub alias: String,
}

/// Builds the wrapper chart of a release with `dependencies:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChartifyRequest {
    /// Release name (the wrapper's directory).
    pub release_name: String,
    /// The release's chart: an absolute local path (a remote chart is
    /// pulled into the cache first).
    pub chart: String,
    /// The chart is the cached archive of a remote chart.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub remote: bool,
    /// The dependencies to add.
    pub dependencies: Vec<AdhocDependency>,
    /// The repositories file.
    pub repository_config: String,
    /// Where the wrapper is built.
    pub work_dir: String,
    /// Use cached indexes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_refresh: bool,
    /// How OCI dependencies are reached.
    pub registry: super::RegistryAccess,
    /// `strategicMergePatches`, applied with kustomize to the rendered chart.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub strategic_merge_patches: Vec<serde_json::Value>,
    /// `jsonPatches`, each `{target, patch}`, applied before them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub json_patches: Vec<serde_json::Value>,
    /// `transformers`, applied after the patches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transformers: Vec<TransformerConfig>,
    /// `forceNamespace`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub force_namespace: String,
    /// The release's template data, for a chart that is a directory of
    /// manifests with `.gotmpl` files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_data: Option<serde_json::Value>,
    /// The first render's request (release, namespace, values), with patches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub render: Option<TemplateRequest>,
    /// Do not update a local chart's own dependencies (`--skip-deps`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_deps: bool,
}

/// One kustomize transformer configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransformerConfig {
    /// Its YAML text.
    pub text: String,
    /// Where a `path:` in it is relative to.
    pub dir: String,
}

/// The wrapper chart.
#[derive(Debug, Clone, Deserialize)]
pub struct ChartifyOutput {
    /// Path of the chart to render.
    pub chart: String,
    /// What helm printed.
    pub log: String,
}

/// `helm lint` of one local chart with a release's values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LintRequest {
    /// Local chart directory or archive.
    pub chart: String,
    /// Namespace.
    pub namespace: String,
    /// Values documents in merge order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ValueSource>,
    /// `--set`-style overrides.
    pub overrides: ValueOverrides,
    /// `.Capabilities.KubeVersion`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kube_version: String,
}

/// What `helm lint` printed.
#[derive(Debug, Clone, Deserialize)]
pub struct LintOutput {
    /// helm's report, summary line included.
    pub output: String,
    /// Whether helm lint would fail.
    pub failed: bool,
}
