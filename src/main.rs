//! The helmfire binary: parse → resolve settings → run → render errors →
//! exit code.

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use clap::Parser as _;

use helmfire::cli::{
    CacheArgs, Cli, Command, DaemonActionArg, DeploySettings, GlobalSettings, ListWhat, SubstitutionKind,
    TemplateSettings,
};
use helmfire::commands::{
    ApplyCommand, BuildCommand, CacheAction, CacheCommand, ClusterFlags, Context, CreateCommand, DaemonAction,
    DaemonCommand, DaemonOptions, DepsCommand, DestroyCommand, DiffCommand, DiffOptions, DriftCommand, EmbedValues,
    ExitStatus, FetchCommand, InitCommand, LintCommand, ListCommand, PrintEnvCommand, ReposCommand, ShowDagCommand,
    StatusCommand, SubstituteAction, SubstituteCommand, SyncCommand, TemplateCommand, TestCommand, VersionCommand,
    WriteValuesCommand,
};
use helmfire::env_vars;
use helmfire::exec::{Shutdown, ShutdownHooks};
use helmfire::helm::{self, HelmBackend, ShimBackend, ShimLogLevel};
use helmfire::notify::Outbox;
use helmfire::output::{ColorChoice, Printer, Verbosity, exit_code_for, report};

/// Whether the command exits when its work is done: not the daemon, not
/// sync or apply with `--watch`, which keep Go's default for their days.
fn runs_once(command: &Command) -> bool {
    match command {
        Command::Daemon(_) => false,
        Command::Sync(args) => !args.sync.watch.watch,
        Command::Apply(args) => !args.sync.watch.watch,
        _ => true,
    }
}

/// Commands that change nothing before their first call into Go (they
/// read, print, or write only what Go rendered), and so may load the state
/// while Go starts (helm::startup). Every other command waits for the
/// signal handling to be in place before it runs: `daemon run` writes its
/// pid and token files, `init` and `chart`/`image` write or delete files,
/// `write-values` may write without Go, and a signal then must reach
/// Shutdown, not end the process half-way.
fn changes_nothing_before_go(command: &Command) -> bool {
    matches!(command, Command::List(_) | Command::Build(_) | Command::Template(_) | Command::Lint(_) | Command::Diff(_))
}

fn main() -> ExitCode {
    // Started by kustomize as its helm (to inflate `helmCharts:`): that
    // and nothing else.
    if let Some(args) = helmfire::commands::invoked_as_kustomize_helm(std::env::args_os()) {
        let backend = ShimBackend::new();
        let _ = backend.tune_gc(helm::ONE_SHOT_GC_PERCENT);
        return helmfire::commands::run_as_kustomize_helm(&backend, args);
    }
    // Signals first: the registration is made as soon as Go has started
    // (helm::startup), before any call into Go, and from then on SIGINT and
    // SIGTERM have one owner for the whole run.
    let backend: Arc<dyn HelmBackend> = Arc::new(ShimBackend::new());
    let speaker = Arc::new(OnceLock::new());
    let hooks = ShutdownNotices { backend: Arc::clone(&backend), printer: Arc::clone(&speaker) };
    let shutdown = Shutdown::install(Box::new(hooks), helm::on_termination_signal);

    let commands: Vec<String> =
        <Cli as clap::CommandFactory>::command().get_subcommands().map(|c| c.get_name().to_string()).collect();
    let commands: Vec<&str> = commands.iter().map(String::as_str).collect();
    let cli = match Cli::try_parse_from(helmfire::cli::move_command_flags(std::env::args_os().collect(), &commands)) {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    // NO_COLOR set to anything but the empty string (no-color.org), or a
    // dumb terminal.
    let no_color = std::env::var_os(env_vars::NO_COLOR).is_some_and(|v| !v.is_empty())
        || std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    let early_printer = Printer::new(Verbosity::Normal, ColorChoice::Auto, no_color);
    let (cwd, global) = match std::env::current_dir()
        .map_err(|e| anyhow::Error::new(e).context("cannot read the current directory"))
        .and_then(|cwd| Ok((cwd, GlobalSettings::resolve(&cli.global)?)))
    {
        Ok(resolved) => resolved,
        Err(error) => {
            report(&early_printer, &error);
            return ExitCode::FAILURE;
        }
    };
    let printer = Printer::new(global.verbosity, global.color, no_color);
    let _ = speaker.set(printer);
    route_sdk_logs(printer);
    for notice in &global.notices {
        printer.info(notice);
    }

    let outbox = Arc::new(Outbox::new(Arc::new(move |line: &str| printer.warn(line))));
    let cluster = ClusterFlags { kubeconfig: global.kubeconfig.clone(), kube_context: global.kube_context.clone() };
    let ctx = Context { backend, printer, shutdown: Arc::clone(&shutdown), outbox, cluster };
    let sync_flags = match &cli.command {
        Command::Sync(a) => Some(&a.sync),
        Command::Apply(a) => Some(&a.sync),
        _ => None,
    };
    if sync_flags.is_some_and(|s| s.helm_stuck_grace.is_some()) {
        printer.info("--helm-stuck-grace has no effect: it interrupts a stuck helm process, and helmfire runs none");
    }
    for text in helm_flag_strings(&cli.command) {
        for notice in helm::HelmFlags::without_effect(text) {
            printer.info(&notice);
        }
    }
    // Go starts with its collector off (go-shim/internal/boot) until
    // the command sets its own. A failure here only costs speed: past its
    // start-up memory limit Go collects anyway.
    let gc_percent = if runs_once(&cli.command) { helm::ONE_SHOT_GC_PERCENT } else { helm::LONG_RUNNING_GC_PERCENT };
    let tuned = Arc::clone(&ctx.backend);
    helm::before_first_call(Box::new(move || {
        let _ = tuned.tune_gc(gc_percent);
    }));
    if !changes_nothing_before_go(&cli.command) {
        helm::wait_for_registrations();
    }
    let profiled = std::env::var_os(env_vars::HELMFIRE_SHIM_CPUPROFILE).map(|_| Arc::clone(&ctx.backend));
    let result = run(cli.command, global, &cwd, ctx);
    if let Some(backend) = profiled {
        let _ = backend.stop_profile();
    }
    // A signal decides the exit code, whatever the command made of the
    // cancellation (an error, usually).
    if let Some(signal) = shutdown.signal() {
        return ExitCode::from(signal.exit_code());
    }
    match result {
        Ok(status) => ExitCode::from(status.code()),
        Err(error) => {
            let code = exit_code_for(&error);
            if code != 0 {
                report(&printer, &error);
            }
            ExitCode::from(code)
        }
    }
}

/// A command line clap refuses (or `--help`/`--version`, which it prints).
/// A usage error exits 3, as helmfile's do: never 2, which `diff` and
/// `apply --detailed-exitcode` use for "there are changes", so a CI gate
/// never reads a typo as changes.
fn usage_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let _ = error.print();
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            ExitCode::SUCCESS
        }
        _ => ExitCode::from(3),
    }
}

/// What shutting down says (on stderr, through the command's printer once
/// it exists) and cancels (every shim call).
struct ShutdownNotices {
    backend: Arc<dyn HelmBackend>,
    printer: Arc<OnceLock<Printer>>,
}

impl ShutdownHooks for ShutdownNotices {
    fn cancel_calls(&self) {
        self.backend.cancel_all();
    }

    fn say(&self, line: &str) {
        let printer =
            self.printer.get().copied().unwrap_or_else(|| Printer::new(Verbosity::Normal, ColorChoice::Auto, false));
        printer.warn(line);
    }
}

fn run(command: Command, global: GlobalSettings, cwd: &std::path::Path, ctx: Context) -> anyhow::Result<ExitStatus> {
    use helmfire::exec::Concurrency;
    match command {
        Command::Version(args) => VersionCommand { format: args.output, ctx }.run(),
        Command::Build(args) => {
            let embed_values = if args.embed_values { EmbedValues::Yes } else { EmbedValues::No };
            BuildCommand { global, embed_values, ctx }.run()
        }
        Command::Lint(args) => {
            let settings = TemplateSettings::resolve_lint(args, &global, cwd)?;
            runtime()?.block_on(LintCommand { global, settings, ctx }.run())
        }
        Command::Sync(args) => {
            let settings = DeploySettings::resolve(args, &global, cwd)?;
            runtime()?.block_on(SyncCommand { global, settings, ctx }.run())
        }
        Command::Diff(args) => {
            let options = diff_options(&args.view)?;
            let settings = DeploySettings::resolve_diff(args.render, &args.view, &global, cwd)?;
            runtime()?.block_on(DiffCommand { global, settings, options, ctx }.run())
        }
        Command::Apply(args) => {
            let mut options = diff_options(&args.view)?;
            options.hide_all = args.sync.suppress_diff;
            let settings = DeploySettings::resolve_apply(args, &global, cwd)?;
            runtime()?.block_on(ApplyCommand { global, settings, options, ctx }.run())
        }
        Command::Destroy(args) => {
            refuse_helm_args(&args.helm, "destroy")?;
            let command = DestroyCommand {
                concurrency: Concurrency::from_flag(args.concurrency),
                interactive: global.interactive,
                delete_wait: args.delete_wait,
                delete_timeout_seconds: args.delete_timeout,
                cascade: args.cascade,
                global,
                ctx,
            };
            runtime()?.block_on(command.run())
        }
        Command::Status(args) => {
            refuse_helm_args(&args.helm, "status")?;
            let concurrency = Concurrency::from_flag(args.concurrency);
            runtime()?.block_on(StatusCommand { global, concurrency, format: args.output, ctx }.run())
        }
        Command::Test(args) => {
            refuse_helm_args(&args.helm, "test")?;
            if args.cleanup {
                ctx.printer.info(
                    "--cleanup has no effect: since Helm 3, test pods are deleted by their helm.sh/hook-delete-policy",
                );
            }
            let concurrency = Concurrency::from_flag(args.concurrency);
            let timeout_seconds = args.timeout.unwrap_or(0);
            runtime()?.block_on(TestCommand { global, concurrency, logs: args.logs, timeout_seconds, ctx }.run())
        }
        Command::Repos(args) => {
            refuse_helm_args(&args.helm, "repos")?;
            runtime()?.block_on(ReposCommand { global, ctx }.run())
        }
        Command::WriteValues(args) => {
            let values = args.values.values.iter().map(|v| cwd.join(v)).collect();
            let command = WriteValuesCommand {
                global,
                output_file_template: args.output_file_template,
                values,
                set: args.values.set,
                ctx,
            };
            command.run()
        }
        Command::PrintEnv(args) => PrintEnvCommand { global, format: args.output.into(), ctx }.run(),
        Command::List(args) => match args.what {
            ListWhat::Releases => ListCommand { global, format: args.output, cluster: args.cluster, ctx }.run(),
            ListWhat::Charts => {
                SubstituteCommand { global, action: SubstituteAction::ListCharts(args.output), ctx }.run()
            }
            ListWhat::Images => {
                SubstituteCommand { global, action: SubstituteAction::ListImages(args.output), ctx }.run()
            }
        },
        Command::Chart { original, path } => {
            let action = SubstituteAction::AddChart { original, path: cwd.join(path) };
            SubstituteCommand { global, action, ctx }.run()
        }
        Command::Image { original, replacement } => {
            SubstituteCommand { global, action: SubstituteAction::AddImage { original, replacement }, ctx }.run()
        }
        Command::Drift(args) => {
            let concurrency = Concurrency::from_flag(args.concurrency);
            let command = DriftCommand { global, heal: args.heal, format: args.output, concurrency, ctx };
            runtime()?.block_on(command.run())
        }
        Command::Daemon(args) => {
            let args = *args;
            let action = match args.action {
                DaemonActionArg::Run => DaemonAction::Run,
                DaemonActionArg::Start => DaemonAction::Start,
                DaemonActionArg::Stop => DaemonAction::Stop,
                DaemonActionArg::Status => DaemonAction::Status,
                DaemonActionArg::Logs => DaemonAction::Logs,
            };
            let mut settings = DeploySettings::resolve(args.deploy, &global, cwd)?;
            // The daemon always watches; watch mode's drift flags mean the
            // same as its own.
            let options = DaemonOptions {
                listen: args.listen,
                allow_remote: args.allow_remote,
                tls_cert: args.tls_cert.map(|p| cwd.join(p)),
                tls_key: args.tls_key.map(|p| cwd.join(p)),
                token_file: args.token_file.map(|p| cwd.join(p)),
                probe_listen: args.probe_listen,
                sync_interval: args.sync_interval,
                drift_interval: args.drift_every.or(settings.drift_interval_seconds),
                heal: args.heal_drift || settings.heal,
                source: args
                    .source
                    .clone()
                    .map(|url| helmfire::daemon::SourceOptions { url, every_seconds: args.source_interval.max(1) }),
                election: args.leader_elect.then(|| helmfire::daemon::ElectionOptions {
                    namespace: args.lease_namespace.clone(),
                    name: args.lease_name.clone(),
                }),
            };
            settings.watch = true;
            runtime()?.block_on(DaemonCommand { global, settings, options, action, ctx }.run())
        }
        Command::Remove { kind, original } => {
            let action = match kind {
                SubstitutionKind::Chart => SubstituteAction::RemoveChart(original),
                SubstitutionKind::Image => SubstituteAction::RemoveImage(original),
            };
            SubstituteCommand { global, action, ctx }.run()
        }
        Command::ShowDag(args) => ShowDagCommand { global, format: args.output, ctx }.run(),
        Command::Deps(args) => {
            refuse_helm_args(&args.helm, "deps")?;
            runtime()?.block_on(DepsCommand { global, skip_repos: args.skip_repos, ctx }.run())
        }
        Command::Fetch(args) => {
            let output_dir = args.output_dir.as_ref().map(|d| cwd.join(d));
            let concurrency = Concurrency::from_flag(args.concurrency);
            let output_dir_template = args.output_dir_template;
            let write_output =
                if args.write_output { args.output_dir.as_ref().map(|d| d.display().to_string()) } else { None };
            let command = FetchCommand { global, output_dir, output_dir_template, concurrency, write_output, ctx };
            runtime()?.block_on(command.run())
        }
        Command::Cache(CacheArgs::Info { output }) => {
            CacheCommand { global, action: CacheAction::Info(output), ctx }.run()
        }
        Command::Cache(CacheArgs::Cleanup { older_than }) => {
            let action = CacheAction::Cleanup { older_than_seconds: older_than.unwrap_or(0) };
            CacheCommand { global, action, ctx }.run()
        }
        Command::Template(args) => {
            let settings = TemplateSettings::resolve(args, &global, cwd)?;
            runtime()?.block_on(TemplateCommand { global, settings, ctx }.run())
        }
        Command::Completion { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "helmfire", &mut script);
            ctx.printer.stdout(&String::from_utf8_lossy(&script))?;
            Ok(ExitStatus::Success)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut page)?;
            ctx.printer.stdout(&String::from_utf8_lossy(&page))?;
            Ok(ExitStatus::Success)
        }
        Command::Init { force } => {
            if force {
                ctx.printer.info("--force has no effect: helmfire has nothing to install");
            }
            InitCommand { global, ctx }.run()
        }
        Command::Create(args) => {
            let command =
                CreateCommand { name: args.name, output_dir: args.output_dir, force: args.force, cwd: cwd.into(), ctx };
            command.run()
        }
    }
}

/// The helm-flag strings given to the command (`--args`, `--sync-args`,
/// `--template-args`, `--diff-args`), for the notices of flags that change
/// nothing in-process.
fn helm_flag_strings(command: &Command) -> Vec<&str> {
    fn render(r: &helmfire::cli::RenderArgs) -> [Option<&str>; 2] {
        [r.args.as_deref(), r.template_args.as_deref()]
    }
    let strings: Vec<Option<&str>> = match command {
        Command::Template(a) => render(&a.render).to_vec(),
        Command::Diff(a) => [&render(&a.render)[..], &[a.view.diff_args.as_deref()]].concat(),
        Command::Apply(a) => {
            [&render(&a.render)[..], &[a.view.diff_args.as_deref(), a.sync.sync_args.as_deref()]].concat()
        }
        Command::Sync(a) => [&render(&a.render)[..], &[a.sync.sync_args.as_deref()]].concat(),
        Command::Lint(a) => vec![a.helm.args.as_deref()],
        _ => Vec::new(),
    };
    strings.into_iter().flatten().collect()
}

/// The commands whose helm call takes no flag helmfire could map: `--args`
/// is accepted only when it is empty or holds flags that change nothing,
/// so a flag is never dropped silently.
fn refuse_helm_args(args: &helmfire::cli::HelmArgs, command: &str) -> anyhow::Result<()> {
    let Some(text) = args.args.as_deref() else { return Ok(()) };
    let flags = helm::HelmFlags::parse(text, "--args").map_err(anyhow::Error::msg)?;
    if flags != helm::HelmFlags::default() {
        anyhow::bail!("--args: `{}` has no meaning for `helmfire {command}`; remove it", text.trim());
    }
    Ok(())
}

/// What the diff shows, from the diff flags and then `--diff-args` (which
/// helmfile appends last, so its flags win).
fn diff_options(view: &helmfire::cli::DiffViewArgs) -> anyhow::Result<DiffOptions> {
    let extra = match view.diff_args.as_deref() {
        Some(text) => helm::HelmFlags::parse(text, "--diff-args").map_err(anyhow::Error::msg)?,
        None => helm::HelmFlags::default(),
    };
    let mut patterns = view.suppress_output_line_regex.clone();
    patterns.extend(extra.suppress_output_line_regex.iter().cloned());
    let suppress_lines = patterns
        .iter()
        .map(|p| {
            regex::Regex::new(p)
                .map_err(|e| anyhow::anyhow!("--suppress-output-line-regex `{p}` is not a regular expression: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut suppress_kinds = view.suppress.clone();
    suppress_kinds.extend(extra.suppress.iter().cloned());
    Ok(DiffOptions {
        context_lines: extra.context.unwrap_or(view.context),
        show_secrets: extra.show_secrets.unwrap_or(view.show_secrets),
        suppress_secrets: extra.suppress_secrets.unwrap_or(view.suppress_secrets),
        include_tests: extra.include_tests.unwrap_or(view.include_tests),
        format: view.output,
        detailed_exitcode: extra.detailed_exitcode.unwrap_or(view.detailed_exitcode),
        force_conflicts: view.force_conflicts,
        suppress_kinds,
        suppress_lines,
        strip_trailing_cr: extra.strip_trailing_cr.unwrap_or(view.strip_trailing_cr),
        hide_all: false,
        hide_new_releases: view.skip_diff_on_install,
        skip_validation_on_install: view.skip_diff_validation_on_install,
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// The SDK's warnings always reach stderr (helm prints them too); its debug
/// lines only with --debug.
fn route_sdk_logs(printer: Printer) {
    let min = if printer.verbosity() >= Verbosity::Debug { ShimLogLevel::Debug } else { ShimLogLevel::Progress };
    helm::set_log_sink(
        Some(Box::new(move |level, line| match level {
            ShimLogLevel::Debug | ShimLogLevel::Info => printer.debug(line),
            ShimLogLevel::Progress => printer.info(line),
            ShimLogLevel::Warn | ShimLogLevel::Error => printer.warn(line),
        })),
        min,
    );
}
