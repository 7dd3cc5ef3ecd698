//! Settings: the command line resolved with the environment into the typed
//! values commands use. Parsing (args.rs) only checks syntax; this is where
//! defaults and environment variables are applied.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::env_vars;
use crate::exec::Concurrency;
use crate::output::{ColorChoice, Verbosity};
use crate::plan::{NeedsFlags, NeedsMode, Selectors};
use crate::state::StateSource;
use crate::substitute::Substitutions;

use super::args::{DeployArgs, GlobalArgs, TemplateArgs};

/// Settings every command uses.
#[derive(Debug, Clone)]
pub struct GlobalSettings {
    /// Where the state comes from.
    pub source: StateSource,
    /// `-n`: overrides every release's namespace.
    pub namespace_override: Option<String>,
    /// `--kube-context`: overrides every release's kube context.
    pub kube_context: Option<String>,
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// `-e`.
    pub environment: String,
    /// `-l`.
    pub selectors: Selectors,
    /// `--allow-no-matching-release`.
    pub no_match: NoMatch,
    /// The `--state-values-*` flags, as given (the session reads the files).
    pub state_values: StateValueFlags,
    /// Render plain `.yaml` state files as templates too.
    pub render_yaml: bool,
    /// How much goes to stderr.
    pub verbosity: Verbosity,
    /// Colour.
    pub color: ColorChoice,
    /// `--oci-plain-http`.
    pub oci_plain_http: bool,
    /// The chart cache directory (HELMFIRE_CACHE_HOME).
    pub cache_dir: PathBuf,
    /// The substitutions file beside the state (`helmfire chart|image`).
    pub substitutions_file: PathBuf,
}

/// `--state-values-file`, `--state-values-set`, `--state-values-set-string`.
#[derive(Debug, Clone, Default)]
pub struct StateValueFlags {
    /// Files, merged in order.
    pub files: Vec<PathBuf>,
    /// `key=value` expressions, typed.
    pub set: Vec<String>,
    /// `key=value` expressions, strings.
    pub set_string: Vec<String>,
}

impl GlobalSettings {
    /// Resolves the global flags. The default search starts in the current
    /// directory, and found files keep relative names, as helmfile's do
    /// (they show in messages and in `--output-dir` paths). Reads no file:
    /// the session reads what the flags name.
    pub fn resolve(args: &GlobalArgs) -> anyhow::Result<Self> {
        let source = match &args.file {
            None => StateSource::Search(PathBuf::from(".")),
            Some(path) if path.as_os_str() == "-" => StateSource::Stdin,
            Some(path) => StateSource::Path(path.clone()),
        };
        let verbosity = if args.debug {
            Verbosity::Debug
        } else if args.quiet {
            Verbosity::Quiet
        } else {
            Verbosity::Normal
        };
        let color = if args.no_color {
            ColorChoice::Never
        } else if args.color {
            ColorChoice::Always
        } else {
            ColorChoice::Auto
        };
        let substitutions_file = Substitutions::file_in(&state_dir(&source));
        Ok(GlobalSettings {
            source,
            namespace_override: args.namespace.clone(),
            kube_context: args.kube_context.clone(),
            kubeconfig: args.kubeconfig.clone(),
            environment: args.environment.clone(),
            selectors: Selectors::parse(args.selector.iter().map(String::as_str))?,
            no_match: if args.allow_no_matching_release { NoMatch::Allowed } else { NoMatch::Error },
            state_values: StateValueFlags {
                files: args.state_values_file.clone(),
                set: args.state_values_set.clone(),
                set_string: args.state_values_set_string.clone(),
            },
            render_yaml: std::env::var(env_vars::HELMFILE_RENDER_YAML).is_ok_and(|v| v == "true"),
            verbosity,
            color,
            oci_plain_http: args.oci_plain_http,
            cache_dir: cache_dir()?,
            substitutions_file,
        })
    }
}

/// The directory the state lives in: where substitutions are kept.
fn state_dir(source: &StateSource) -> PathBuf {
    match source {
        StateSource::Path(path) if path.is_dir() => path.clone(),
        StateSource::Path(path) => {
            path.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), PathBuf::from)
        }
        StateSource::Search(dir) => dir.clone(),
        StateSource::Stdin => PathBuf::from("."),
    }
}

/// The chart cache: HELMFIRE_CACHE_HOME, else `helmfire` under the user's
/// cache directory (XDG_CACHE_HOME, else ~/.cache). Made absolute, since
/// the shim requires it.
fn cache_dir() -> anyhow::Result<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = if let Some(dir) = non_empty(env_vars::HELMFIRE_CACHE_HOME) {
        dir
    } else if let Some(xdg) = non_empty(env_vars::XDG_CACHE_HOME) {
        xdg.join("helmfire")
    } else if let Some(home) = std::env::home_dir() {
        home.join(".cache/helmfire")
    } else {
        anyhow::bail!("cannot tell where the chart cache goes: set HELMFIRE_CACHE_HOME (or HOME)")
    };
    std::path::absolute(&dir).with_context(|| format!("resolving the chart cache directory {}", dir.display()))
}

/// Settings of the commands that change the cluster.
#[derive(Debug, Clone)]
pub struct DeploySettings {
    /// The rendering settings shared with `template`.
    pub render: TemplateSettings,
    /// How needs are handled (sync and apply select transitive needs when
    /// asked, unlike template).
    pub needs: NeedsMode,
    /// `--wait`.
    pub wait: bool,
    /// `--wait-for-jobs`.
    pub wait_for_jobs: bool,
    /// `--timeout` in seconds; 0 is helm's default (300).
    pub timeout_seconds: u64,
    /// `-i`.
    pub interactive: bool,
    /// `--force-conflicts`.
    pub force_conflicts: bool,
    /// `--skip-crds`.
    pub skip_crds: bool,
    /// `--watch`.
    pub watch: bool,
    /// `--drift-interval` in seconds, while watching.
    pub drift_interval_seconds: Option<u64>,
    /// `--heal` of drift found while watching.
    pub heal: bool,
}

impl DeploySettings {
    /// Resolves the deploy flags.
    pub fn resolve(args: DeployArgs, cwd: &std::path::Path) -> Self {
        let needs = NeedsFlags {
            skip_needs: args.render.needs.skip_needs,
            include_needs: args.render.needs.include_needs,
            include_transitive_needs: args.render.needs.include_transitive_needs,
        }
        .mode();
        DeploySettings {
            render: TemplateSettings::resolve(args.render, cwd),
            needs,
            wait: args.wait || args.wait_for_jobs,
            wait_for_jobs: args.wait_for_jobs,
            timeout_seconds: args.timeout.unwrap_or(0),
            interactive: args.interactive,
            force_conflicts: args.force_conflicts,
            skip_crds: args.skip_crds,
            watch: args.watch.watch,
            drift_interval_seconds: args.watch.drift_interval,
            heal: args.watch.heal,
        }
    }
}

/// What it means when the selectors match no release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoMatch {
    /// Exit 3, as helmfile.
    Error,
    /// Exit 0 (`--allow-no-matching-release`).
    Allowed,
}

/// Settings of `template`.
#[derive(Debug, Clone, Default)]
pub struct TemplateSettings {
    /// `--set` for every release.
    pub set: Vec<String>,
    /// `--values` for every release, absolute.
    pub values: Vec<PathBuf>,
    /// `--output-dir`.
    pub output_dir: Option<PathBuf>,
    /// `--output-dir-template`.
    pub output_dir_template: Option<String>,
    /// `--kube-version`.
    pub kube_version: Option<String>,
    /// `--api-versions`.
    pub api_versions: Vec<String>,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--skip-schema-validation`.
    pub skip_schema_validation: bool,
    /// `--show-only`.
    pub show_only: Vec<String>,
    /// `--concurrency`.
    pub concurrency: Concurrency,
    /// `--skip-refresh`.
    pub skip_refresh: bool,
    /// `--skip-deps`.
    pub skip_deps: bool,
    /// `--post-renderer`, absolute when given as a path.
    pub post_renderer: Option<String>,
    /// `--post-renderer-args`.
    pub post_renderer_args: Vec<String>,
    /// How needs are handled.
    pub needs: NeedsMode,
}

impl TemplateSettings {
    /// Resolves `template`'s flags; relative paths are taken from `cwd`, as
    /// helm takes them.
    pub fn resolve(args: TemplateArgs, cwd: &std::path::Path) -> Self {
        TemplateSettings {
            set: args.set,
            values: args.values.into_iter().map(|v| cwd.join(v)).collect(),
            output_dir: args.output_dir,
            output_dir_template: args.output_dir_template,
            kube_version: args.kube_version,
            api_versions: args.api_versions.into_iter().filter(|a| !a.is_empty()).collect(),
            include_crds: args.include_crds,
            skip_tests: args.skip_tests,
            skip_schema_validation: args.skip_schema_validation,
            show_only: args.show_only,
            concurrency: Concurrency::from_flag(args.concurrency),
            skip_refresh: args.skip_refresh,
            skip_deps: args.skip_deps,
            post_renderer: args
                .post_renderer
                .map(|p| if p.contains('/') { cwd.join(p).display().to_string() } else { p }),
            post_renderer_args: args.post_renderer_args,
            needs: NeedsFlags {
                skip_needs: args.needs.skip_needs,
                include_needs: args.needs.include_needs,
                include_transitive_needs: args.needs.include_transitive_needs,
            }
            .mode()
            .for_with_needs(),
        }
    }
}
