//! `helmfire sync`: every selected release installed or upgraded (or
//! uninstalled when `installed: false`), in needs order, concurrently where
//! the graph allows, all in-process (`pipeline/deploy.rs`); with `--watch`,
//! keep syncing what file changes touch.

use super::ExitStatus;
use crate::cli::{DeploySettings, GlobalSettings};
use crate::pipeline::{Context, Session};

/// Installs, upgrades and uninstalls releases.
pub struct SyncCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Deploy settings.
    pub settings: DeploySettings,
    /// Shared context.
    pub ctx: Context,
}

impl SyncCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let first = crate::pipeline::deploy::sync(&session, &self.settings).await?;
        if !self.settings.watch {
            return Ok(first);
        }
        crate::watch::WatchLoop { global: self.global, settings: self.settings, ctx: self.ctx }.run(first).await
    }
}
