//! `helmfire destroy`: the selected releases uninstalled, dependents
//! before what they need (`pipeline/deploy.rs`).

use super::ExitStatus;
use crate::cli::GlobalSettings;
use crate::exec::Concurrency;
use crate::pipeline::{Context, Session};

/// Uninstalls releases.
pub struct DestroyCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `--concurrency`.
    pub concurrency: Concurrency,
    /// `-i`.
    pub interactive: bool,
    /// Shared context.
    pub ctx: Context,
}

impl DestroyCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        crate::pipeline::deploy::destroy(&session, self.concurrency, self.interactive).await
    }
}
