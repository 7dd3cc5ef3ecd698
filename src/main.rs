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
    ApplyCommand, BuildCommand, CacheAction, CacheCommand, Context, DaemonAction, DaemonCommand, DaemonOptions,
    DepsCommand, DestroyCommand, DiffCommand, DiffOptions, DriftCommand, EmbedValues, ExitStatus, FetchCommand,
    LintCommand, ListCommand, PrintEnvCommand, ReposCommand, ShowDagCommand, StatusCommand, SubstituteAction,
    SubstituteCommand, SyncCommand, TemplateCommand, TestCommand, VersionCommand, WriteValuesCommand,
};
use helmfire::env_vars;
use helmfire::exec::{Shutdown, ShutdownHooks};
use helmfire::helm::{self, HelmBackend, ShimBackend, ShimLogLevel};
use helmfire::notify::Outbox;
use helmfire::output::{ColorChoice, Printer, Verbosity, exit_code_for, report};

fn main() -> ExitCode {
    // Signals first: from here on, SIGINT and SIGTERM have one owner for the
    // whole run (start-up and state loading included).
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
    let no_color = std::env::var_os(env_vars::NO_COLOR).is_some();
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

    let outbox = Arc::new(Outbox::new(Arc::new(move |line: &str| printer.warn(line))));
    let ctx = Context { backend, printer, shutdown: Arc::clone(&shutdown), outbox };
    let result = run(cli.command, global, &cwd, ctx);
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
    match command {
        Command::Version(args) => VersionCommand { format: args.output, ctx }.run(),
        Command::Build(args) => {
            let embed_values = if args.embed_values { EmbedValues::Yes } else { EmbedValues::No };
            BuildCommand { global, embed_values, ctx }.run()
        }
        Command::Lint(args) => {
            let settings = TemplateSettings::resolve(args, cwd);
            runtime()?.block_on(LintCommand { global, settings, ctx }.run())
        }
        Command::Sync(args) => {
            let settings = DeploySettings::resolve(args, cwd);
            runtime()?.block_on(SyncCommand { global, settings, ctx }.run())
        }
        Command::Diff(args) => {
            let options = diff_options(&args);
            let settings = DeploySettings::resolve(args.deploy, cwd);
            if settings.watch {
                anyhow::bail!("--watch works with sync and apply, not with diff; run `helmfire apply --watch`");
            }
            runtime()?.block_on(DiffCommand { global, settings, options, ctx }.run())
        }
        Command::Apply(args) => {
            let options = diff_options(&args);
            let settings = DeploySettings::resolve(args.deploy, cwd);
            runtime()?.block_on(ApplyCommand { global, settings, options, ctx }.run())
        }
        Command::Destroy(args) => {
            let concurrency = helmfire::exec::Concurrency::from_flag(args.cluster.concurrency);
            runtime()?.block_on(DestroyCommand { global, concurrency, interactive: args.interactive, ctx }.run())
        }
        Command::Status(args) => {
            let concurrency = helmfire::exec::Concurrency::from_flag(args.concurrency);
            runtime()?.block_on(StatusCommand { global, concurrency, ctx }.run())
        }
        Command::Test(args) => {
            let concurrency = helmfire::exec::Concurrency::from_flag(args.cluster.concurrency);
            let timeout_seconds = args.timeout.unwrap_or(0);
            runtime()?.block_on(TestCommand { global, concurrency, logs: args.logs, timeout_seconds, ctx }.run())
        }
        Command::Repos => runtime()?.block_on(ReposCommand { global, ctx }.run()),
        Command::WriteValues(args) => {
            let values = args.values.iter().map(|v| cwd.join(v)).collect();
            WriteValuesCommand { global, output_file_template: args.output_file_template, values, ctx }.run()
        }
        Command::PrintEnv(args) => PrintEnvCommand { global, format: args.output, ctx }.run(),
        Command::List(args) => match args.what {
            ListWhat::Releases => ListCommand { global, format: args.output, cluster: args.cluster, ctx }.run(),
            ListWhat::Charts => SubstituteCommand { global, action: SubstituteAction::ListCharts, ctx }.run(),
            ListWhat::Images => SubstituteCommand { global, action: SubstituteAction::ListImages, ctx }.run(),
        },
        Command::Chart { original, path } => {
            let action = SubstituteAction::AddChart { original, path: cwd.join(path) };
            SubstituteCommand { global, action, ctx }.run()
        }
        Command::Image { original, replacement } => {
            SubstituteCommand { global, action: SubstituteAction::AddImage { original, replacement }, ctx }.run()
        }
        Command::Drift(args) => {
            let concurrency = helmfire::exec::Concurrency::from_flag(args.concurrency);
            let command = DriftCommand { global, heal: args.heal, format: args.output, concurrency, ctx };
            runtime()?.block_on(command.run())
        }
        Command::Daemon(args) => {
            let action = match args.action {
                DaemonActionArg::Run => DaemonAction::Run,
                DaemonActionArg::Start => DaemonAction::Start,
                DaemonActionArg::Stop => DaemonAction::Stop,
                DaemonActionArg::Status => DaemonAction::Status,
                DaemonActionArg::Logs => DaemonAction::Logs,
            };
            let mut settings = DeploySettings::resolve(args.deploy, cwd);
            // The daemon always watches; watch mode's drift flags mean the
            // same as its own.
            let options = DaemonOptions {
                listen: args.listen,
                allow_remote: args.allow_remote,
                tls_cert: args.tls_cert.map(|p| cwd.join(p)),
                tls_key: args.tls_key.map(|p| cwd.join(p)),
                sync_interval: args.sync_interval,
                drift_interval: args.drift_every.or(settings.drift_interval_seconds),
                heal: args.heal_drift || settings.heal,
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
        Command::Deps => runtime()?.block_on(DepsCommand { global, ctx }.run()),
        Command::Fetch(args) => {
            let output_dir = args.output_dir.map(|d| cwd.join(d));
            let concurrency = helmfire::exec::Concurrency::from_flag(args.concurrency);
            let output_dir_template = args.output_dir_template;
            runtime()?.block_on(FetchCommand { global, output_dir, output_dir_template, concurrency, ctx }.run())
        }
        Command::Cache(CacheArgs::Info { output }) => {
            CacheCommand { global, action: CacheAction::Info(output), ctx }.run()
        }
        Command::Cache(CacheArgs::Cleanup { older_than }) => {
            let action = CacheAction::Cleanup { older_than_seconds: older_than.unwrap_or(0) };
            CacheCommand { global, action, ctx }.run()
        }
        Command::Template(args) => {
            let settings = TemplateSettings::resolve(args, cwd);
            runtime()?.block_on(TemplateCommand { global, settings, ctx }.run())
        }
    }
}

fn diff_options(args: &helmfire::cli::DiffArgs) -> DiffOptions {
    DiffOptions {
        context_lines: args.context,
        show_secrets: args.show_secrets,
        suppress_secrets: args.suppress_secrets,
        include_tests: args.include_tests,
        format: args.output,
        detailed_exitcode: args.detailed_exitcode,
        force_conflicts: args.deploy.force_conflicts,
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// The SDK's warnings always reach stderr (helm prints them too); its debug
/// lines only with --debug.
fn route_sdk_logs(printer: Printer) {
    let min = if printer.verbosity() >= Verbosity::Debug { ShimLogLevel::Debug } else { ShimLogLevel::Warn };
    helm::set_log_sink(
        Some(Box::new(move |level, line| match level {
            ShimLogLevel::Debug | ShimLogLevel::Info => printer.debug(line),
            ShimLogLevel::Warn | ShimLogLevel::Error => printer.warn(line),
        })),
        min,
    );
}
