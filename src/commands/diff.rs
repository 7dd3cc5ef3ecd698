//! `helmfire diff`: what a sync would change in the live cluster
//! (`pipeline/diff.rs`).

use super::ExitStatus;
use crate::cli::{DeploySettings, GlobalSettings};
use crate::pipeline::diff::DiffOptions;
use crate::pipeline::{Context, Session};

/// Shows what would change.
pub struct DiffCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Deploy settings (what the upgrade would use).
    pub settings: DeploySettings,
    /// Diff options.
    pub options: DiffOptions,
    /// Shared context.
    pub ctx: Context,
}

impl DiffCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        crate::pipeline::diff::diff(&session, &self.settings, &self.options).await
    }
}
