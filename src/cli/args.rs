//! clap definitions. Flags keep helmfile's names and meanings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Deploys the Helm releases declared in a helmfile.yaml, with the Helm SDK
/// compiled in: no helm binary, no plugins.
#[derive(Debug, Parser)]
#[command(
    name = "helmfire",
    version,
    about,
    propagate_version = true,
    after_help = "helmfile's commands are helmfire's, with the same flags, except `unittest` (helm-unittest) and `doctor`, which helmfire does not have."
)]
pub struct Cli {
    /// Flags every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags before or after the command: helmfile's global flags, with
/// helmfile's names, short forms and environment variables (read in
/// settings.rs, as helmfile reads them: a flag wins over its variable).
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The state file or directory to load; `-` reads stdin. Default:
    /// helmfile.yaml, helmfile.yaml.gotmpl or helmfile.d/ in the current
    /// directory (also HELMFILE_FILE_PATH).
    #[arg(short = 'f', long = "file", global = true, value_name = "FILE|DIR|-")]
    pub file: Option<PathBuf>,
    /// The environment to load (also HELMFILE_ENVIRONMENT; default `default`).
    #[arg(short = 'e', long, global = true)]
    pub environment: Option<String>,
    /// Override state values: `key.path=value,other=value` (repeatable).
    #[arg(long = "state-values-set", global = true, value_name = "KEY=VALUE")]
    pub state_values_set: Vec<String>,
    /// Like --state-values-set, but every value is a string (repeatable).
    #[arg(long = "state-values-set-string", global = true, value_name = "KEY=VALUE")]
    pub state_values_set_string: Vec<String>,
    /// Override state values from YAML files, merged in order (repeatable).
    #[arg(long = "state-values-file", global = true, value_name = "FILE")]
    pub state_values_file: Vec<PathBuf>,
    /// Only releases matching this selector: `key=value,key!=value` (comma
    /// is AND; repeat the flag for OR). `name`, `namespace` and `chart` are
    /// implicit labels.
    #[arg(short = 'l', long = "selector", global = true, value_name = "SELECTOR")]
    pub selector: Vec<String>,
    /// Exit 0 instead of 3 when the selectors match no release.
    #[arg(long, global = true)]
    pub allow_no_matching_release: bool,
    /// Keep going when a release's chart cannot be prepared (helmfire always
    /// does: every other release is still processed and each failure is
    /// reported at the end).
    #[arg(long, global = true)]
    pub allow_failed_releases: bool,
    /// Use this chart for every release (available to templates as `{{ .Chart }}`).
    #[arg(short = 'c', long, global = true, value_name = "CHART")]
    pub chart: Option<String>,
    /// The kube context to use, overriding the state's kubeContext settings
    /// (also HELMFILE_KUBE_CONTEXT).
    #[arg(long, global = true, value_name = "CONTEXT")]
    pub kube_context: Option<String>,
    /// The kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Put every release in this namespace, overriding the state file (also
    /// HELMFILE_NAMESPACE).
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// Ask before changing anything (also HELMFILE_INTERACTIVE=true).
    #[arg(short = 'i', long, global = true)]
    pub interactive: bool,
    /// Do not build the dependencies of local charts (nor refresh repositories).
    #[arg(long, global = true)]
    pub skip_deps: bool,
    /// Use the chart repository indexes already cached instead of refreshing them.
    #[arg(long, global = true)]
    pub skip_refresh: bool,
    /// Show debug output, including the Helm SDK's log lines (also HELMFILE_DEBUG=true).
    #[arg(long, global = true)]
    pub debug: bool,
    /// Show only warnings and errors on stderr (also HELMFILE_QUIET=true).
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// debug, info (default), warn or error (also HELMFILE_LOG_LEVEL).
    #[arg(long, global = true, value_name = "LEVEL", value_parser = ["debug", "info", "warn", "error"])]
    pub log_level: Option<String>,
    /// Colour the output even when it is not a terminal.
    #[arg(long, global = true, conflicts_with = "no_color")]
    pub color: bool,
    /// Never colour the output (also NO_COLOR, HELMFILE_NO_COLOR=true).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Ignore the development substitutions (`helmfire chart|image`) kept
    /// beside the state: deploy exactly what the state says.
    #[arg(long, global = true)]
    pub no_substitutions: bool,
    /// Talk plain HTTP to OCI registries (local or insecure registries).
    #[arg(long, global = true)]
    pub oci_plain_http: bool,
    /// Retry chart repository and registry requests that fail this many
    /// times, backing off exponentially (also HELMFILE_REPO_RETRIES).
    #[arg(long, global = true, value_name = "N")]
    pub repo_retries: Option<u32>,
    /// Load the files of helmfile.d one after another in alphabetical order
    /// (helmfire always does).
    #[arg(long, global = true)]
    pub sequential_helmfiles: bool,
    /// Accepted for helmfile compatibility; no effect: the Helm SDK is compiled in.
    #[arg(short = 'b', long, global = true, value_name = "PATH")]
    pub helm_binary: Option<String>,
    /// Accepted for helmfile compatibility; no effect: kustomize is linked in.
    #[arg(short = 'k', long, global = true, value_name = "PATH")]
    pub kustomize_binary: Option<String>,
    /// Accepted for helmfile compatibility; no effect: Helm runs in-process
    /// and its output is always shown as it happens.
    #[arg(long, global = true)]
    pub enable_live_output: bool,
    /// Accepted for helmfile compatibility; no effect: helmfire never runs
    /// `helm repo add`.
    #[arg(long, global = true)]
    pub disable_force_update: bool,
    /// Accepted for helmfile compatibility; no effect: helmfire installs no plugins.
    #[arg(long, global = true)]
    pub enforce_plugin_verification: bool,
    /// Accepted for helmfile compatibility; helmfire exports no OpenTelemetry
    /// data (its daemon serves Prometheus metrics).
    #[arg(long, global = true)]
    pub otel_tracing: bool,
    /// Accepted for helmfile compatibility; helmfire never puts values on a
    /// command line, so its errors hold none to strip.
    #[arg(long, global = true, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub strip_args_values_on_exit_error: Option<bool>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the releases' manifests locally, as `helm template` would.
    Template(TemplateArgs),
    /// Show helmfire's version and the embedded Helm SDK's.
    Version(VersionArgs),
    /// Install or upgrade every selected release (and uninstall those with
    /// `installed: false`), in needs order.
    Sync(SyncArgs),
    /// Show what sync would change in the live cluster (no plugin needed).
    Diff(DiffArgs),
    /// Diff, then sync only the releases that would change (and uninstall
    /// those marked `installed: false`).
    Apply(ApplyArgs),
    /// Uninstall the selected releases, in reverse needs order.
    Destroy(DestroyArgs),
    /// Show the status of the selected releases in the cluster.
    Status(StatusArgs),
    /// Run the selected releases' tests (`helm test`).
    Test(TestArgs),
    /// Refresh the indexes of the state's chart repositories (helmfire never
    /// writes your helm repositories.yaml).
    Repos(ReposArgs),
    /// Lint the selected releases' charts with their values (`helm lint`).
    Lint(LintArgs),
    /// Print the state as helmfile understands it, after rendering,
    /// layering, inheritance and templating.
    Build(BuildArgs),
    /// Write each release's merged values to a file.
    WriteValues(WriteValuesArgs),
    /// Print the environment (name, kube context, values) of each state file.
    PrintEnv(PrintEnvArgs),
    /// List the releases of the state (name, namespace, enabled, installed,
    /// labels, chart, version).
    List(ListArgs),
    /// Show the releases' needs graph: the batches they run in.
    ShowDag(ShowDagArgs),
    /// Resolve every remote chart's version constraint and write the lock
    /// file (helmfile's format; `lockFilePath` or `<name>.lock`).
    Deps(DepsArgs),
    /// Download the selected releases' remote charts for offline use.
    Fetch(FetchArgs),
    /// Inspect or empty the chart cache (HELMFIRE_CACHE_HOME).
    #[command(subcommand)]
    Cache(CacheArgs),
    /// Use a local chart directory instead of a chart (development loop;
    /// kept in .helmfire-substitutions.yaml beside the state).
    Chart {
        /// The chart as written in releases: `repo/chart`, `oci://...`, a path.
        original: String,
        /// The local chart directory to use instead.
        path: PathBuf,
    },
    /// Use another container image wherever an image matches (development loop).
    Image {
        /// The image to match: `nginx`, `docker.io/library/nginx:1.25`, `repo/app@sha256:...`.
        original: String,
        /// The image to use instead, as written.
        replacement: String,
    },
    /// Show how the live objects differ from the releases' last deployed
    /// manifests (exit 2 when they do); `--heal` takes them back.
    Drift(DriftArgs),
    /// Hold the cluster at the declared state: sync, watch files, check
    /// drift, and serve an HTTP API on loopback. In the foreground unless
    /// `start`; `stop`, `status` and `logs` manage a background one.
    Daemon(Box<DaemonArgs>),
    /// Print a shell completion script: `source <(helmfire completion bash)`.
    Completion {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print helmfire's manual page (roff): `helmfire man > helmfire.1`.
    Man,
    /// Check what helmfire needs: nothing to install (Helm, its plugins and
    /// kustomize are compiled in); reports the kubeconfig and the chart cache.
    Init {
        /// Accepted for helmfile compatibility (install without asking):
        /// there is nothing to install.
        #[arg(long)]
        force: bool,
    },
    /// Create a helmfile project scaffold (helmfile.yaml, environments,
    /// values) in a directory.
    Create(CreateArgs),
    /// Stop a chart or image substitution.
    Remove {
        /// `chart` or `image`.
        #[arg(value_enum)]
        kind: SubstitutionKind,
        /// The chart or image as given to `helmfire chart|image`.
        original: String,
    },
}

/// `--watch` and what goes with it.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// After the first run, watch every file the state depends on and
    /// apply the releases a change touches (sync and apply only).
    #[arg(long)]
    pub watch: bool,
    /// While watching, check for drift this often: 30s, 5m, 1h.
    #[arg(long, value_name = "AGE", value_parser = super::grammar::parse_age, requires = "watch")]
    pub drift_interval: Option<u64>,
    /// With --drift-interval, take drift back when it is found.
    #[arg(long, requires = "drift_interval")]
    pub heal: bool,
}

/// `helmfire daemon`.
#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// run (default: in the foreground), start, stop, status, logs.
    #[arg(value_enum, default_value = "run")]
    pub action: DaemonActionArg,
    /// The deploy flags of its syncs.
    #[command(flatten)]
    pub deploy: SyncArgs,
    /// Where the API listens.
    #[arg(long, default_value = "127.0.0.1:7474", value_name = "HOST:PORT")]
    pub listen: String,
    /// Allow --listen on a non-loopback address (requires --tls-cert and --tls-key).
    #[arg(long)]
    pub allow_remote: bool,
    /// TLS certificate (PEM) for the API.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for the API.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Read the API's bearer token from this file (a mounted Secret)
    /// instead of generating one.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Also serve /health, /ready and /metrics, read-only and without a
    /// token, on this address (any interface, plain HTTP): for kubelet
    /// probes and Prometheus.
    #[arg(long, value_name = "HOST:PORT")]
    pub probe_listen: Option<String>,
    /// Sync (apply what differs) this often: 30s, 5m, 1h.
    #[arg(long, value_name = "AGE", value_parser = super::grammar::parse_age)]
    pub sync_interval: Option<u64>,
    /// Check drift this often: 30s, 5m, 1h.
    #[arg(long = "check-drift-every", value_name = "AGE", value_parser = super::grammar::parse_age)]
    pub drift_every: Option<u64>,
    /// Take back the drift it finds.
    #[arg(long = "heal-drift")]
    pub heal_drift: bool,
    /// Take the state from this remote source (go-getter, as `-f` takes
    /// one: git::https://host/org/repo.git@path/helmfile.yaml?ref=main),
    /// fetched again every --source-interval and applied when it changes.
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
    /// How often to fetch --source again: 30s, 5m, 1h.
    #[arg(long, value_name = "AGE", default_value = "1m", value_parser = super::grammar::parse_age, requires = "source")]
    pub source_interval: u64,
    /// Run as one of several replicas: act only while holding a
    /// coordination.k8s.io Lease (the others answer reads and say who leads).
    #[arg(long)]
    pub leader_elect: bool,
    /// The Lease's namespace (default: the Pod's in a cluster, else the kube context's).
    #[arg(long, value_name = "NAMESPACE", requires = "leader_elect")]
    pub lease_namespace: Option<String>,
    /// The Lease's name.
    #[arg(long, value_name = "NAME", default_value = "helmfire", requires = "leader_elect")]
    pub lease_name: String,
}

/// What `helmfire daemon` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DaemonActionArg {
    /// In the foreground.
    Run,
    /// In the background.
    Start,
    /// Stop the background daemon.
    Stop,
    /// Whether it runs, and what it did last.
    Status,
    /// Print its log.
    Logs,
}

/// `helmfire drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Re-apply the drifted objects (server-side apply, taking fields back
    /// from whichever manager changed them).
    #[arg(long)]
    pub heal: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: super::grammar::OutputFormat,
    /// Releases checked at once; 0 is no limit.
    #[arg(long, default_value_t = 0)]
    pub concurrency: usize,
}

/// What `remove` and `list` act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SubstitutionKind {
    /// A chart substitution.
    Chart,
    /// An image substitution.
    Image,
}

/// What `list` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListWhat {
    /// The releases (default).
    Releases,
    /// The chart substitutions.
    Charts,
    /// The image substitutions.
    Images,
}

/// `helmfire fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Where charts are unpacked (default: a temporary directory, removed at exit).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Go template of each chart's directory (default
    /// `{{ .OutputDir }}[/namespace][/kube context]/{{ .Release.Name }}/{{ .ChartName }}/{{ or .Release.Version "latest" }}`).
    #[arg(long, value_name = "TEMPLATE")]
    pub output_dir_template: Option<String>,
    /// Downloads at once; 0 is no limit.
    #[arg(long, default_value_t = 0)]
    pub concurrency: usize,
    /// Print the state with each chart replaced by its local copy (needs --output-dir).
    #[arg(long, requires = "output_dir")]
    pub write_output: bool,
}

/// `helmfire cache`.
#[derive(Debug, Subcommand)]
pub enum CacheArgs {
    /// Show where the chart cache is and what it holds.
    Info {
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value = "text")]
        output: super::grammar::OutputFormat,
    },
    /// Remove cached charts (all, or those fetched longer ago than --older-than).
    Cleanup {
        /// Only charts fetched longer ago than this: 30d, 12h, 90m, 60s.
        #[arg(long, value_name = "AGE", value_parser = super::grammar::parse_age)]
        older_than: Option<u64>,
    },
}

/// `--skip-needs`, `--include-needs`, `--include-transitive-needs`.
#[derive(Debug, Args)]
pub struct NeedsArgs {
    /// Leave out the releases the selected ones need (the default; pass
    /// `--skip-needs=false` to make an unselected need an error).
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub skip_needs: bool,
    /// Also process the releases the selected ones need.
    #[arg(long)]
    pub include_needs: bool,
    /// Also process their needs, transitively.
    #[arg(long)]
    pub include_transitive_needs: bool,
}

/// `--set` and `--values`, for every release.
#[derive(Debug, Args, Default)]
pub struct ValuesArgs {
    /// Additional values for every release, as helm's `--set` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Additional values files for every release, merged last (repeatable).
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
}

/// Flags of every command that renders releases: template, diff, apply, sync.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// How `needs` of the selected releases are handled.
    #[command(flatten)]
    pub needs: NeedsArgs,
    /// `--set` and `--values`.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Helm flags for every Helm operation, as one string
    /// (`--args "--wait --timeout 10m"`); each must have a meaning in the
    /// SDK calls, or it is an error naming it.
    #[arg(long, value_name = "HELM FLAGS", allow_hyphen_values = true)]
    pub args: Option<String>,
    /// Helm flags for rendering only (`helm template`'s).
    #[arg(long, value_name = "HELM FLAGS", allow_hyphen_values = true)]
    pub template_args: Option<String>,
    /// Pipe every release's manifests through this program (stdin to
    /// stdout), overriding the state's postRenderer.
    #[arg(long, value_name = "PROGRAM")]
    pub post_renderer: Option<String>,
    /// Arguments of --post-renderer (repeatable).
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    pub post_renderer_args: Vec<String>,
    /// Fail when a selected release needs one that is `installed: false`.
    #[arg(long)]
    pub enforce_needs_are_installed: bool,
    /// Leave out the manifests of the charts' hooks.
    #[arg(long)]
    pub no_hooks: bool,
    /// Validate the manifests against the cluster (template).
    #[arg(long)]
    pub validate: bool,
    /// How many releases are handled at once; 0 means no limit.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub concurrency: usize,
}

/// What a diff shows: flags of diff, apply, and sync's interactive preview.
#[derive(Debug, Args)]
pub struct DiffViewArgs {
    /// Exit 2 when there are changes (0 when none).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Lines of context around each change.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub context: i32,
    /// Output format.
    #[arg(long, value_enum, default_value = "diff")]
    pub output: super::grammar::DiffFormat,
    /// helm-diff flags, as one string (`--diff-args "--context 5"`).
    #[arg(long, value_name = "DIFF FLAGS", allow_hyphen_values = true)]
    pub diff_args: Option<String>,
    /// Show Secret values in diffs instead of `REDACTED # (N bytes)`.
    #[arg(long)]
    pub show_secrets: bool,
    /// Leave Secret diffs out entirely.
    #[arg(long)]
    pub suppress_secrets: bool,
    /// Leave objects of this kind out of the diff (repeatable: `--suppress Secret`).
    #[arg(long, value_name = "KIND")]
    pub suppress: Vec<String>,
    /// Leave diff lines matching this regular expression out (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub suppress_output_line_regex: Vec<String>,
    /// Ignore carriage returns at the ends of lines.
    #[arg(long)]
    pub strip_trailing_cr: bool,
    /// Include the charts' test hooks.
    #[arg(long)]
    pub include_tests: bool,
    /// Do not diff releases that are not installed yet (they are installed).
    #[arg(long)]
    pub skip_diff_on_install: bool,
    /// Do not validate the manifests of releases not installed yet while diffing.
    #[arg(long)]
    pub skip_diff_validation_on_install: bool,
    /// Reuse the last release's values (overrides helmDefaults.reuseValues).
    #[arg(long, conflicts_with = "reset_values")]
    pub reuse_values: bool,
    /// Reset the values to the chart's defaults plus the state's.
    #[arg(long)]
    pub reset_values: bool,
    /// Server-side apply: true, false or auto.
    #[arg(long, value_name = "MODE", value_parser = ["true", "false", "auto"])]
    pub server_side: Option<String>,
    /// Adopt resources that exist without a release.
    #[arg(long)]
    pub take_ownership: bool,
    /// Take fields that other field managers own (puts back changes made
    /// by hand in the cluster, which server-side apply refuses otherwise).
    #[arg(long)]
    pub force_conflicts: bool,
}

/// Flags of the commands that install and upgrade: sync, apply, the daemon.
#[derive(Debug, Args)]
pub struct SyncFlags {
    /// Watch mode (sync and apply).
    #[command(flatten)]
    pub watch: WatchArgs,
    /// Wait until the releases' resources are ready (helm's --wait).
    #[arg(long)]
    pub wait: bool,
    /// With --wait, also wait for Jobs to complete.
    #[arg(long)]
    pub wait_for_jobs: bool,
    /// How long one release operation may take, in seconds (helm's default: 300).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Helm flags for installs and upgrades, as one string.
    #[arg(long, value_name = "HELM FLAGS", allow_hyphen_values = true)]
    pub sync_args: Option<String>,
    /// How uninstalls (`installed: false`) delete dependents: background,
    /// orphan or foreground.
    #[arg(long, value_name = "POLICY", value_parser = ["background", "orphan", "foreground"])]
    pub cascade: Option<String>,
    /// The description recorded with every release's revision.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Do not print the charts' NOTES (helmfire never prints them).
    #[arg(long)]
    pub hide_notes: bool,
    /// Do not install the charts' CRDs (`crds/`).
    #[arg(long)]
    pub skip_crds: bool,
    /// Do not validate values against the charts' values.schema.json.
    #[arg(long)]
    pub skip_schema_validation: bool,
    /// Do not print the diff of what changes.
    #[arg(long)]
    pub suppress_diff: bool,
    /// Record each release's labels on its Helm release.
    #[arg(long)]
    pub sync_release_labels: bool,
    /// How resources are tracked: helm (progress lines while helm waits, the
    /// default), helm-legacy (the same), kubedog (progress lines while the
    /// release deploys, then until its objects are ready).
    #[arg(long, value_name = "MODE", value_parser = ["helm", "helm-legacy", "kubedog"])]
    pub track_mode: Option<String>,
    /// Tracking timeout in seconds (kubedog tracking).
    #[arg(long, value_name = "SECONDS")]
    pub track_timeout: Option<u64>,
    /// Stream all pods' logs while tracking (kubedog tracking).
    #[arg(long)]
    pub track_logs: bool,
    /// Stream the logs of failing pods while tracking (kubedog tracking).
    #[arg(long)]
    pub track_failed_logs: bool,
    /// Fail when tracking fails (kubedog tracking).
    #[arg(long)]
    pub track_fail_on_error: bool,
    /// Accepted for helmfile compatibility: it kills a stuck helm process,
    /// and helmfire runs none.
    #[arg(long, value_name = "SECONDS")]
    pub helm_stuck_grace: Option<u64>,
}

/// `helmfire sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Rendering flags.
    #[command(flatten)]
    pub render: RenderArgs,
    /// The interactive preview's diff flags.
    #[command(flatten)]
    pub view: DiffViewArgs,
    /// Install and upgrade flags.
    #[command(flatten)]
    pub sync: SyncFlags,
}

/// `helmfire apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Rendering flags.
    #[command(flatten)]
    pub render: RenderArgs,
    /// The diff's flags.
    #[command(flatten)]
    pub view: DiffViewArgs,
    /// Install and upgrade flags.
    #[command(flatten)]
    pub sync: SyncFlags,
    /// Accepted for helmfile compatibility: helmfire keeps values in
    /// memory, so there are no temporary files to keep.
    #[arg(long)]
    pub skip_cleanup: bool,
}

/// `helmfire diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Rendering flags.
    #[command(flatten)]
    pub render: RenderArgs,
    /// The diff's flags.
    #[command(flatten)]
    pub view: DiffViewArgs,
}

/// `--args`, for the commands that take nothing else from helm.
#[derive(Debug, Args, Default)]
pub struct HelmArgs {
    /// Helm flags, as one string; each must have a meaning in the SDK
    /// call, or it is an error naming it.
    #[arg(long, value_name = "HELM FLAGS", allow_hyphen_values = true)]
    pub args: Option<String>,
}

/// `helmfire lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// How `needs` of the selected releases are handled.
    #[command(flatten)]
    pub needs: NeedsArgs,
    /// `--set` and `--values`.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// `--args`.
    #[command(flatten)]
    pub helm: HelmArgs,
    /// Releases linted at once; 0 is no limit.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub concurrency: usize,
}

/// `helmfire test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// `--args`.
    #[command(flatten)]
    pub helm: HelmArgs,
    /// Releases tested at once; 0 is no limit.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub concurrency: usize,
    /// Print the test pods' logs.
    #[arg(long)]
    pub logs: bool,
    /// Delete the test pods when they are done.
    #[arg(long)]
    pub cleanup: bool,
    /// How long the tests may take, in seconds (helm's default: 300).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

/// `helmfire destroy`.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// `--args`.
    #[command(flatten)]
    pub helm: HelmArgs,
    /// Releases uninstalled at once; 0 is no limit.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub concurrency: usize,
    /// How dependents are deleted: background, orphan or foreground.
    #[arg(long, value_name = "POLICY", value_parser = ["background", "orphan", "foreground"])]
    pub cascade: Option<String>,
    /// Wait until the releases' resources are deleted.
    #[arg(long = "deleteWait")]
    pub delete_wait: bool,
    /// How long each uninstall may take, in seconds.
    #[arg(long = "deleteTimeout", value_name = "SECONDS", default_value_t = 300)]
    pub delete_timeout: u64,
    /// Accepted for helmfile compatibility: destroy never prepares charts.
    #[arg(long)]
    pub skip_charts: bool,
}

/// `helmfire status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// `--args`.
    #[command(flatten)]
    pub helm: HelmArgs,
    /// Output format: a table, or JSON (one object per release).
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: super::grammar::OutputFormat,
    /// Releases read at once; 0 is no limit.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub concurrency: usize,
}

/// `helmfire repos`.
#[derive(Debug, Args)]
pub struct ReposArgs {
    /// `--args`.
    #[command(flatten)]
    pub helm: HelmArgs,
}

/// `helmfire deps`.
#[derive(Debug, Args)]
pub struct DepsArgs {
    /// `--args`.
    #[command(flatten)]
    pub helm: HelmArgs,
    /// Resolutions at once; 0 is no limit.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub concurrency: usize,
    /// Use the chart repository indexes already cached instead of refreshing them.
    #[arg(long)]
    pub skip_repos: bool,
}

/// `helmfire create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The project's name: it is created in a new directory of that name
    /// (default: the current directory).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Where to create the project instead (default: NAME, else the
    /// current directory).
    #[arg(short = 'o', long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Overwrite the scaffold's files (helmfile.yaml,
    /// environments/default.yaml, values/.gitkeep) when they exist.
    #[arg(long)]
    pub force: bool,
}

/// `helmfire build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Show the content of values files instead of their names.
    #[arg(long)]
    pub embed_values: bool,
}

/// `helmfire write-values`.
#[derive(Debug, Args)]
pub struct WriteValuesArgs {
    /// Go template of each file's path (default
    /// `{{ .State.BaseName }}-{{ .State.AbsPathSHA1 }}/{{ .Release.Name }}.yaml`).
    #[arg(long, value_name = "TEMPLATE")]
    pub output_file_template: Option<String>,
    /// `--set` and `--values` for every release.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Releases handled at once; 0 is no limit.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub concurrency: usize,
}

/// `helmfire print-env`.
#[derive(Debug, Args)]
pub struct PrintEnvArgs {
    /// Output format: yaml or json.
    #[arg(short = 'o', long, value_enum, default_value = "yaml")]
    pub output: super::grammar::PrintEnvFormat,
}

/// `helmfire list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// What to list: the releases, or the chart or image substitutions.
    #[arg(value_enum, default_value = "releases")]
    pub what: ListWhat,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: super::grammar::OutputFormat,
    /// Accepted for helmfile compatibility: list never prepares charts.
    #[arg(long)]
    pub skip_charts: bool,
    /// Accepted for helmfile compatibility: list makes no temporary directory.
    #[arg(long)]
    pub keep_temp_dir: bool,
    /// Also show each release's status and revision in the cluster.
    #[arg(long)]
    pub cluster: bool,
}

/// `helmfire show-dag`.
#[derive(Debug, Args)]
pub struct ShowDagArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: DagFormat,
}

/// Formats of `show-dag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DagFormat {
    /// helmfile's table.
    Table,
    /// A JSON array of {group, release, dependencies}.
    Json,
    /// A Graphviz digraph.
    Dot,
}

/// `helmfire template`.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Flags shared with diff, apply and sync.
    #[command(flatten)]
    pub render: RenderArgs,
    /// Write each release's manifests under this directory instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Go template of each release's directory under --output-dir
    /// (default `{{ .OutputDir }}/{{ .State.BaseName }}-{{ .State.AbsPathSHA1 }}-{{ .Release.Name}}`).
    #[arg(long, value_name = "TEMPLATE", requires = "output_dir")]
    pub output_dir_template: Option<String>,
    /// Kubernetes version for `.Capabilities.KubeVersion`.
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Kubernetes API versions for `.Capabilities.APIVersions` (repeatable,
    /// or comma-separated).
    #[arg(long = "api-versions", short = 'a', value_name = "GROUP/VERSION", value_delimiter = ',')]
    pub api_versions: Vec<String>,
    /// Include the charts' CRDs in the output.
    #[arg(long)]
    pub include_crds: bool,
    /// Leave test hooks out of the output.
    #[arg(long)]
    pub skip_tests: bool,
    /// Do not validate values against the charts' values.schema.json.
    #[arg(long)]
    pub skip_schema_validation: bool,
    /// Only show manifests rendered from these templates (repeatable).
    #[arg(long, value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// Accepted for helmfile compatibility: helmfire keeps values in
    /// memory, so there are no temporary files to keep.
    #[arg(long)]
    pub skip_cleanup: bool,
}

/// `helmfire version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: super::grammar::OutputFormat,
}
