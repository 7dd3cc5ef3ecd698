//! `helmfire repos`: refreshes the indexes of the state's chart
//! repositories in helm's cache. Unlike helmfile, which runs `helm repo
//! add`, helmfire never writes the user's repositories.yaml: the state's
//! repositories are registered for each run only.

use super::ExitStatus;
use crate::cli::GlobalSettings;
use crate::pipeline::charts::repos::{Refresh, prepare};
use crate::pipeline::{Context, Session};

/// Refreshes repository indexes.
pub struct ReposCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Shared context.
    pub ctx: Context,
}

impl ReposCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        match prepare(&session.files, &self.ctx, Refresh::Always).await? {
            Some(_) => self.ctx.printer.info("Update Complete. Repository indexes are cached for later runs."),
            None => self.ctx.printer.info("The state declares no repositories."),
        }
        Ok(ExitStatus::Success)
    }
}
