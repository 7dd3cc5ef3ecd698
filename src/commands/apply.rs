//! `helmfire apply`: diff against the live cluster, then sync only what
//! changed (`pipeline/apply.rs`); with `--watch`, keep applying what file
//! changes touch.

use super::ExitStatus;
use crate::cli::{DeploySettings, GlobalSettings};
use crate::pipeline::diff::DiffOptions;
use crate::pipeline::{Context, Session};

/// Applies what changed.
pub struct ApplyCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Deploy settings.
    pub settings: DeploySettings,
    /// How the diff is shown.
    pub options: DiffOptions,
    /// Shared context.
    pub ctx: Context,
}

impl ApplyCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let first = crate::pipeline::apply::apply(&session, &self.settings, &self.options).await?;
        if !self.settings.watch {
            return Ok(first);
        }
        crate::watch::WatchLoop { global: self.global, settings: self.settings, ctx: self.ctx }.run(first).await
    }
}
