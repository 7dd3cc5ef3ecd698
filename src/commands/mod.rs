//! The commands: each is a struct of settings plus the shared [`Context`],
//! with a `run()` that returns an [`ExitStatus`].
//!
//! Commands tie the layers together: they load the state (`state`), turn
//! releases into Helm requests (`release_request`), run them (`exec`,
//! `helm`) and print (`output`).

use std::sync::Arc;

use crate::cli::GlobalSettings;
use crate::helm::HelmBackend;
use crate::output::Printer;
use crate::plan::Selectors;
use crate::state::{self, LoadOptions, StateError, StateFile};

pub use apply::ApplyCommand;
pub use build::{BuildCommand, EmbedValues};
pub use cache_command::{CacheAction, CacheCommand, parse_age};
pub use daemon_command::{DaemonAction, DaemonCommand, DaemonOptions};
pub use deps::DepsCommand;
pub use destroy::DestroyCommand;
pub use diff::{DiffCommand, DiffFormat, DiffOptions};
pub use drift_command::DriftCommand;
pub use engine::ShimEngine;
pub use fetch::FetchCommand;
pub use lint::LintCommand;
pub use list::ListCommand;
pub use print_env::PrintEnvCommand;
pub use repos_command::ReposCommand;
pub use show_dag::ShowDagCommand;
pub use status::StatusCommand;
pub use substitute_command::{SubstituteAction, SubstituteCommand};
pub use sync::SyncCommand;
pub use template::TemplateCommand;
pub use test_command::TestCommand;
pub use version::VersionCommand;
pub use watch_loop::WatchLoop;
pub use write_values::WriteValuesCommand;

mod apply;
mod build;
mod cache_command;
mod chart_cache;
mod charts;
mod cluster;
mod daemon_command;
mod deps;
mod destroy;
mod diff;
mod drift_check;
mod drift_command;
mod engine;
mod fetch;
mod hooks;
mod lint;
mod list;
mod lock_file;
mod output_paths;
mod print_env;
mod registry;
mod release_options;
mod release_request;
mod repos;
mod repos_command;
mod selection;
mod show_dag;
mod status;
mod substitute_command;
mod sync;
mod template;
mod template_data;
mod test_command;
mod version;
mod watch_loop;
mod write_values;

/// What every command gets.
#[derive(Clone)]
pub struct Context {
    /// The Helm SDK (the Go shim, or a fake in tests).
    pub backend: Arc<dyn HelmBackend>,
    /// Where output goes.
    pub printer: Printer,
}

/// How a command ended, when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything asked for was done.
    Success,
    /// Some releases failed; each was reported.
    Failure,
    /// The selectors matched no release (helmfile's exit code 3).
    NoMatch,
    /// `--detailed-exitcode` and there are changes (helmfile's exit code 2).
    Changes,
    /// SIGINT or SIGTERM stopped the run after the operations in flight
    /// settled (128 + SIGINT, as shells report an interrupt).
    Interrupted,
}

impl ExitStatus {
    /// The process exit code (helmfile's).
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
            ExitStatus::NoMatch => 3,
            ExitStatus::Interrupted => 130,
        }
    }
}

/// Loads the state the global flags designate, rendering templates in the shim.
pub(crate) fn load_state(global: &GlobalSettings, ctx: &Context) -> Result<Vec<StateFile>, StateError> {
    let engine = engine::ShimEngine::new(Arc::clone(&ctx.backend));
    let namespace = global.namespace_override.as_deref().unwrap_or_default();
    let selectors_conflict = |own: &[String]| {
        // helmfile compares only with selectors given on the command line.
        !global.selectors.is_empty()
            && Selectors::parse(own.iter().map(String::as_str)).is_ok_and(|own| !global.selectors.compatible_with(&own))
    };
    let opts = LoadOptions {
        environment: &global.environment,
        overrides: &global.state_overrides,
        namespace,
        engine: &engine,
        render_yaml: global.render_yaml,
        selectors_conflict: &selectors_conflict,
    };
    let mut files = state::load(&global.source, &opts)?;
    // `helmfire chart ORIGINAL PATH`: the local chart stands in for the
    // chart as written, in every command.
    for release in files.iter_mut().flat_map(|f| f.releases.iter_mut()) {
        if let Some(path) = global.substitutions.chart_for(&release.chart_ref) {
            release.chart = state::ChartSource::Local(path.to_path_buf());
        }
    }
    Ok(files)
}

/// helmfile's `-i`: lists what is about to change and asks on the terminal.
/// Anything but `y` or `yes` declines.
pub(crate) fn confirm(printer: &Printer, verb: &str, changes: &[String]) -> std::io::Result<bool> {
    printer.info(&format!("helmfire is about to {verb}:"));
    for change in changes {
        printer.info(&format!("  {change}"));
    }
    printer.prompt("Do you really want to continue? [y/N]: ")?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}
