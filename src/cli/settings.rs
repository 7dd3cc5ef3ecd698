//! Settings: the command line resolved with the environment into the typed
//! values commands use. Parsing (args.rs) only checks syntax; this is where
//! defaults and environment variables are applied.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::env_vars;
use crate::exec::Concurrency;
use crate::output::{ColorChoice, Verbosity};
use crate::plan::{NeedsFlags, NeedsMode, Selectors};
use crate::state::StateSource;
use crate::substitute::Substitutions;

use super::args::{
    ApplyArgs, DiffViewArgs, GlobalArgs, LintArgs, NeedsArgs, RenderArgs, SyncArgs, SyncFlags, TemplateArgs,
};
use crate::helm::HelmFlags;

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
    /// `-i` (or HELMFILE_INTERACTIVE=true): ask before changing anything.
    pub interactive: bool,
    /// `--skip-deps`.
    pub skip_deps: bool,
    /// `--skip-refresh`.
    pub skip_refresh: bool,
    /// `--no-substitutions`: the substitutions file is not read.
    pub no_substitutions: bool,
    /// `-c`: the chart every release uses.
    pub chart_override: Option<String>,
    /// `--repo-retries` (or HELMFILE_REPO_RETRIES).
    pub repo_retries: u32,
    /// One line for each flag given that changes nothing in helmfire, and why.
    pub notices: Vec<String>,
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
        let file = args.file.clone().or_else(|| env_value(env_vars::HELMFILE_FILE_PATH).map(PathBuf::from));
        let source = match file {
            None => StateSource::Search(PathBuf::from(".")),
            Some(path) if path.as_os_str() == "-" => StateSource::Stdin,
            Some(path) => StateSource::Path(path),
        };
        let substitutions_file = Substitutions::file_in(&state_dir(&source));
        let repo_retries = match args.repo_retries {
            Some(n) => n,
            None => env_value(env_vars::HELMFILE_REPO_RETRIES).and_then(|v| v.parse().ok()).unwrap_or(0),
        };
        Ok(GlobalSettings {
            source,
            namespace_override: args.namespace.clone().or_else(|| env_value(env_vars::HELMFILE_NAMESPACE)),
            kube_context: args.kube_context.clone().or_else(|| env_value(env_vars::HELMFILE_KUBE_CONTEXT)),
            kubeconfig: args.kubeconfig.clone(),
            environment: args
                .environment
                .clone()
                .or_else(|| env_value(env_vars::HELMFILE_ENVIRONMENT))
                .unwrap_or_else(|| crate::state::DEFAULT_ENVIRONMENT.to_string()),
            selectors: Selectors::parse(args.selector.iter().map(String::as_str))?,
            no_match: if args.allow_no_matching_release { NoMatch::Allowed } else { NoMatch::Error },
            state_values: StateValueFlags {
                files: args.state_values_file.clone(),
                set: args.state_values_set.clone(),
                set_string: args.state_values_set_string.clone(),
            },
            render_yaml: env_is_true(env_vars::HELMFILE_RENDER_YAML),
            verbosity: verbosity(args)?,
            color: color(args),
            oci_plain_http: args.oci_plain_http,
            cache_dir: cache_dir()?,
            substitutions_file,
            interactive: args.interactive || env_is_true(env_vars::HELMFILE_INTERACTIVE),
            skip_deps: args.skip_deps,
            skip_refresh: args.skip_refresh,
            no_substitutions: args.no_substitutions,
            chart_override: args.chart.clone(),
            repo_retries,
            notices: notices(args),
        })
    }
}

/// An environment variable's value, when set and not empty.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// helmfile's boolean variables are on only when they are exactly `true`.
fn env_is_true(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "true")
}

/// `--debug`, then `-q`, then `--log-level`, each with its variable, as
/// helmfile decides: debug wins over quiet; quiet is log level warn.
fn verbosity(args: &GlobalArgs) -> anyhow::Result<Verbosity> {
    if args.debug || env_is_true(env_vars::HELMFILE_DEBUG) {
        return Ok(Verbosity::Debug);
    }
    if args.quiet || env_is_true(env_vars::HELMFILE_QUIET) {
        return Ok(Verbosity::Quiet);
    }
    let level = args.log_level.clone().or_else(|| env_value(env_vars::HELMFILE_LOG_LEVEL));
    match level.as_deref() {
        None | Some("info") => Ok(Verbosity::Normal),
        Some("debug") => Ok(Verbosity::Debug),
        Some("warn" | "error") => Ok(Verbosity::Quiet),
        Some(other) => anyhow::bail!(
            "{} is `{other}`, which is not a log level; write debug, info, warn or error",
            env_vars::HELMFILE_LOG_LEVEL
        ),
    }
}

/// `--no-color`, `--color`, then HELMFILE_NO_COLOR=true; NO_COLOR (any
/// non-empty value) and TERM=dumb are the printer's to apply.
fn color(args: &GlobalArgs) -> ColorChoice {
    if args.no_color {
        ColorChoice::Never
    } else if args.color {
        ColorChoice::Always
    } else if env_is_true(env_vars::HELMFILE_NO_COLOR) {
        ColorChoice::Never
    } else {
        ColorChoice::Auto
    }
}

/// The flags (and variables) helmfile users set out of habit that change
/// nothing here, each with the reason, said once at start-up.
fn notices(args: &GlobalArgs) -> Vec<String> {
    let mut lines = Vec::new();
    let mut say = |given: bool, what: &str, why: &str| {
        if given {
            lines.push(format!("{what} has no effect: {why}"));
        }
    };
    say(args.helm_binary.is_some(), "--helm-binary", "the Helm SDK is compiled into helmfire");
    say(args.kustomize_binary.is_some(), "--kustomize-binary", "kustomize is linked into helmfire");
    say(args.enable_live_output, "--enable-live-output", "Helm runs in-process and its output is shown as it happens");
    say(args.disable_force_update, "--disable-force-update", "helmfire never runs `helm repo add`");
    say(args.enforce_plugin_verification, "--enforce-plugin-verification", "helmfire installs no plugins");
    say(
        args.otel_tracing || env_is_true(env_vars::HELMFILE_OTEL_TRACING),
        "--otel-tracing",
        "helmfire exports no OpenTelemetry data (the daemon serves Prometheus metrics)",
    );
    lines
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

/// The chart cache: HELMFIRE_CACHE_HOME, else `helmfire` under
/// HELMFILE_CACHE_HOME, else under the user's cache directory (XDG_CACHE_HOME, else ~/.cache). Made absolute, since
/// the shim requires it.
pub fn cache_dir() -> anyhow::Result<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = if let Some(dir) = non_empty(env_vars::HELMFIRE_CACHE_HOME) {
        dir
    } else if let Some(helmfile) = non_empty(env_vars::HELMFILE_CACHE_HOME) {
        helmfile.join("helmfire")
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
#[derive(Debug, Clone, Default)]
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
    /// `--reuse-values`/`--reset-values`: Some(true) reuses, Some(false)
    /// resets, None follows the state.
    pub reuse_values: Option<bool>,
    /// `--server-side`.
    pub server_side: Option<String>,
    /// `--take-ownership`.
    pub take_ownership: bool,
    /// `--description`.
    pub description: Option<String>,
    /// `--cascade` of uninstalls.
    pub cascade: Option<String>,
    /// `--sync-release-labels`.
    pub sync_release_labels: bool,
    /// `--suppress-diff`.
    pub suppress_diff: bool,
    /// `--skip-diff-on-install`.
    pub skip_diff_on_install: bool,
    /// `--track-*`: how each release's objects are followed.
    pub track: TrackFlags,
    /// `--sync-args`, parsed.
    pub sync_args: HelmFlags,
    /// `--args`, parsed (applied after `--sync-args`, as helmfile appends it last).
    pub args: HelmFlags,
    /// `sync --detailed-exitcode`: exit 2 when releases were synced.
    pub detailed_exitcode: bool,
    /// `--watch`.
    pub watch: bool,
    /// `--drift-interval` in seconds, while watching.
    pub drift_interval_seconds: Option<u64>,
    /// `--heal` of drift found while watching.
    pub heal: bool,
}

impl DeploySettings {
    /// Resolves the flags of `sync` (and of the daemon's syncs).
    pub fn resolve(args: SyncArgs, global: &GlobalSettings, cwd: &Path) -> anyhow::Result<Self> {
        Self::from_parts(args.render, &args.view, args.sync, global, cwd)
    }

    /// Resolves the flags of `apply`.
    pub fn resolve_apply(args: ApplyArgs, global: &GlobalSettings, cwd: &Path) -> anyhow::Result<Self> {
        Self::from_parts(args.render, &args.view, args.sync, global, cwd)
    }

    /// Resolves the flags of `diff` (no install flags).
    pub fn resolve_diff(
        render: RenderArgs,
        view: &DiffViewArgs,
        global: &GlobalSettings,
        cwd: &Path,
    ) -> anyhow::Result<Self> {
        let needs = needs_mode(&render.needs);
        let (mut render, args) = TemplateSettings::from_render(render, global, cwd)?;
        render.apply(&args);
        render.check_files()?;
        Ok(DeploySettings { needs, interactive: global.interactive, args, ..Self::view_settings(render, view) })
    }

    /// The settings a diff's flags decide.
    fn view_settings(render: TemplateSettings, view: &DiffViewArgs) -> Self {
        DeploySettings {
            render,
            force_conflicts: view.force_conflicts,
            reuse_values: if view.reuse_values {
                Some(true)
            } else if view.reset_values {
                Some(false)
            } else {
                None
            },
            server_side: view.server_side.clone(),
            take_ownership: view.take_ownership,
            skip_diff_on_install: view.skip_diff_on_install,
            detailed_exitcode: view.detailed_exitcode,
            ..DeploySettings::default()
        }
    }

    fn from_parts(
        render: RenderArgs,
        view: &DiffViewArgs,
        sync: SyncFlags,
        global: &GlobalSettings,
        cwd: &Path,
    ) -> anyhow::Result<Self> {
        let needs = needs_mode(&render.needs);
        let (mut render, args) = TemplateSettings::from_render(render, global, cwd)?;
        render.skip_schema_validation |= sync.skip_schema_validation;
        let sync_args = parse_flags(sync.sync_args.as_deref(), "--sync-args")?;
        // The values and rendering flags of --sync-args go to the upgrade's
        // render, then --args again (helmfile appends it after them).
        render.apply(&sync_args);
        render.apply(&args);
        render.check_files()?;
        Ok(DeploySettings {
            needs,
            wait: sync.wait || sync.wait_for_jobs,
            wait_for_jobs: sync.wait_for_jobs,
            timeout_seconds: sync.timeout.unwrap_or(0),
            interactive: global.interactive,
            skip_crds: sync.skip_crds,
            description: sync.description,
            cascade: sync.cascade,
            sync_release_labels: sync.sync_release_labels,
            suppress_diff: sync.suppress_diff,
            track: TrackFlags {
                mode: sync.track_mode,
                timeout_seconds: sync.track_timeout,
                logs: sync.track_logs,
                failed_logs: sync.track_failed_logs,
                fail_on_error: sync.track_fail_on_error,
            },
            sync_args,
            args,
            watch: sync.watch.watch,
            drift_interval_seconds: sync.watch.drift_interval,
            heal: sync.watch.heal,
            ..Self::view_settings(render, view)
        })
    }
}

/// The command line's tracking flags (helmfile's `--track-*`); a release's
/// own keys win over them (pipeline/release_options.rs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackFlags {
    /// `--track-mode`.
    pub mode: Option<String>,
    /// `--track-timeout`.
    pub timeout_seconds: Option<u64>,
    /// `--track-logs`.
    pub logs: bool,
    /// `--track-failed-logs`.
    pub failed_logs: bool,
    /// `--track-fail-on-error`.
    pub fail_on_error: bool,
}

/// Parses one of the helm-flags strings, naming the flag it came from.
fn parse_flags(text: Option<&str>, origin: &str) -> anyhow::Result<HelmFlags> {
    text.map_or_else(|| Ok(HelmFlags::default()), |t| HelmFlags::parse(t, origin)).map_err(anyhow::Error::msg)
}

fn needs_mode(args: &NeedsArgs) -> NeedsMode {
    NeedsFlags {
        skip_needs: args.skip_needs,
        include_needs: args.include_needs,
        include_transitive_needs: args.include_transitive_needs,
    }
    .mode()
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
    /// `--set-string` for every release (from helm flags).
    pub set_string: Vec<String>,
    /// `--set-file` for every release (from helm flags).
    pub set_file: Vec<String>,
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
    /// `--no-hooks`: leave the charts' hooks out.
    pub no_hooks: bool,
    /// `--enable-dns` given in helm flags (else each release's `enableDNS`).
    pub enable_dns: Option<bool>,
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
    /// `--enforce-needs-are-installed`.
    pub enforce_needs_are_installed: bool,
    /// Where relative paths of helm flags are taken from.
    pub cwd: PathBuf,
    /// `--template-args` was given: helmDefaults.templateArgs then do not
    /// apply (helmfile uses one or the other).
    pub template_args_given: bool,
    /// `--validate`: template checks the manifests against the cluster
    /// (diff, sync and apply always do).
    pub validate: bool,
}

impl TemplateSettings {
    /// Resolves `template`'s flags; relative paths are taken from `cwd`, as
    /// helm takes them.
    pub fn resolve(args: TemplateArgs, global: &GlobalSettings, cwd: &Path) -> anyhow::Result<Self> {
        let (mut settings, args_flags) = Self::from_render(args.render, global, cwd)?;
        settings.output_dir = args.output_dir;
        settings.output_dir_template = args.output_dir_template;
        settings.kube_version = args.kube_version.or(settings.kube_version);
        settings.api_versions.extend(args.api_versions.into_iter().filter(|a| !a.is_empty()));
        settings.include_crds |= args.include_crds;
        settings.skip_tests |= args.skip_tests;
        settings.skip_schema_validation |= args.skip_schema_validation;
        settings.show_only.extend(args.show_only);
        // helmfile appends --args last: its flags win over these.
        settings.apply(&args_flags);
        settings.check_files()?;
        Ok(settings)
    }

    /// Resolves `lint`'s flags.
    pub fn resolve_lint(args: LintArgs, global: &GlobalSettings, cwd: &Path) -> anyhow::Result<Self> {
        let flags = parse_flags(args.helm.args.as_deref(), "--args")?;
        let mut settings = TemplateSettings {
            concurrency: Concurrency::from_flag(args.concurrency),
            needs: needs_mode(&args.needs).for_with_needs(),
            skip_refresh: global.skip_refresh,
            skip_deps: global.skip_deps,
            cwd: cwd.to_path_buf(),
            ..TemplateSettings::default()
        };
        settings.add_values(args.values.set, &args.values.values);
        settings.apply(&flags);
        settings.check_files()?;
        Ok(settings)
    }

    /// The settings every rendering command shares, with `--args` parsed
    /// (returned for the commands that also install) and `--template-args`
    /// applied.
    pub(crate) fn from_render(
        args: RenderArgs,
        global: &GlobalSettings,
        cwd: &Path,
    ) -> anyhow::Result<(Self, HelmFlags)> {
        let helm_args = parse_flags(args.args.as_deref(), "--args")?;
        let template_args = parse_flags(args.template_args.as_deref(), "--template-args")?;
        let mut settings = TemplateSettings {
            concurrency: Concurrency::from_flag(args.concurrency),
            skip_refresh: global.skip_refresh,
            skip_deps: global.skip_deps,
            post_renderer: args
                .post_renderer
                .map(|p| if p.contains('/') { cwd.join(p).display().to_string() } else { p }),
            post_renderer_args: args.post_renderer_args,
            needs: needs_mode(&args.needs).for_with_needs(),
            no_hooks: args.no_hooks,
            enforce_needs_are_installed: args.enforce_needs_are_installed,
            cwd: cwd.to_path_buf(),
            template_args_given: args.template_args.is_some(),
            validate: args.validate,
            ..TemplateSettings::default()
        };
        settings.add_values(args.values.set, &args.values.values);
        settings.apply(&template_args);
        Ok((settings, helm_args))
    }

    /// Every `--values` file (and `--set-file` file) given on the command
    /// line must exist: said once here, not once per release.
    pub fn check_files(&self) -> anyhow::Result<()> {
        let set_files =
            self.set_file.iter().filter_map(|entry| entry.split_once('=').map(|(_, path)| self.cwd.join(path)));
        for path in self.values.iter().cloned().chain(set_files) {
            if !path.exists() {
                anyhow::bail!(
                    "the values file {} does not exist; fix the path given to --values or --set-file",
                    path.display()
                );
            }
        }
        Ok(())
    }

    /// `--set` and `--values` of the command line.
    fn add_values(&mut self, set: Vec<String>, values: &[PathBuf]) {
        self.set.extend(set);
        self.values.extend(values.iter().map(|v| self.cwd.join(v)));
    }

    /// Applies the rendering part of helm flags (the later flag wins).
    pub fn apply(&mut self, flags: &HelmFlags) {
        self.set.extend(flags.set.iter().cloned());
        self.set_string.extend(flags.set_string.iter().cloned());
        self.set_file.extend(flags.set_file.iter().cloned());
        self.values.extend(flags.values.iter().map(|v| self.cwd.join(v)));
        if let Some(version) = &flags.kube_version {
            self.kube_version = Some(version.clone());
        }
        self.api_versions.extend(flags.api_versions.iter().filter(|a| !a.is_empty()).cloned());
        self.show_only.extend(flags.show_only.iter().cloned());
        let set = |field: &mut bool, flag: Option<bool>| {
            if let Some(value) = flag {
                *field = value;
            }
        };
        set(&mut self.include_crds, flags.include_crds);
        set(&mut self.skip_tests, flags.skip_tests);
        set(&mut self.skip_schema_validation, flags.skip_schema_validation);
        set(&mut self.no_hooks, flags.no_hooks);
        if flags.enable_dns.is_some() {
            self.enable_dns = flags.enable_dns;
        }
    }
}
