//! What every command and every stage gets: the Helm SDK, the printer and
//! the process's shutdown state, and how a run ends.

use std::sync::Arc;

use crate::exec::{Shutdown, Signal};
use crate::helm::HelmBackend;
use crate::output::Printer;

/// What every command gets.
#[derive(Clone)]
pub struct Context {
    /// The Helm SDK (the Go shim, or a fake in tests).
    pub backend: Arc<dyn HelmBackend>,
    /// Where output goes.
    pub printer: Printer,
    /// SIGINT/SIGTERM, owned once by `main`.
    pub shutdown: Arc<Shutdown>,
    /// Webhook deliveries, off the caller's path.
    pub outbox: Arc<crate::notify::Outbox>,
    /// `--kubeconfig` and `--kube-context`, for what reaches the cluster
    /// outside a release operation (`kubectlApply` hooks).
    pub cluster: ClusterFlags,
}

/// The command line's choice of cluster, over what the state says.
#[derive(Debug, Clone, Default)]
pub struct ClusterFlags {
    /// `--kubeconfig`.
    pub kubeconfig: Option<std::path::PathBuf>,
    /// `--kube-context` (or HELMFILE_KUBE_CONTEXT).
    pub kube_context: Option<String>,
}

impl Context {
    /// The same context printing at another verbosity (the loops' quiet
    /// reruns).
    pub fn with_verbosity(&self, verbosity: crate::output::Verbosity) -> Context {
        Context { printer: self.printer.with_verbosity(verbosity), ..self.clone() }
    }
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
    /// A signal stopped the run after the operations in flight settled.
    Interrupted(Signal),
}

impl ExitStatus {
    /// The process exit code (helmfile's; 128 + the signal's number for a
    /// signal).
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
            ExitStatus::NoMatch => 3,
            ExitStatus::Interrupted(signal) => signal.exit_code(),
        }
    }

    /// Whether it was stopped by a signal.
    pub fn interrupted(self) -> bool {
        matches!(self, ExitStatus::Interrupted(_))
    }
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
