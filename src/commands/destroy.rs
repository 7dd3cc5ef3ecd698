//! `helmfire destroy`: the selected releases uninstalled, dependents
//! before what they need (`pipeline/deploy.rs`).

use super::ExitStatus;
use crate::cli::GlobalSettings;
use crate::exec::Concurrency;
use crate::pipeline::deploy::UninstallOptions;
use crate::pipeline::{Context, Session};

/// Uninstalls releases.
pub struct DestroyCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `--concurrency`.
    pub concurrency: Concurrency,
    /// `-i`.
    pub interactive: bool,
    /// `--deleteWait`: wait until each release's resources are gone.
    pub delete_wait: bool,
    /// `--deleteTimeout` in seconds.
    pub delete_timeout_seconds: u64,
    /// `--cascade`: background (default), foreground or orphan.
    pub cascade: Option<String>,
    /// Shared context.
    pub ctx: Context,
}

impl DestroyCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let how = UninstallOptions {
            wait: self.delete_wait,
            timeout_seconds: self.delete_timeout_seconds,
            cascade: self.cascade.unwrap_or_default(),
        };
        crate::pipeline::deploy::destroy(&session, self.concurrency, self.interactive, how).await
    }
}
