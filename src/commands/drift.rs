//! `helmfire drift`: how the live objects differ from the releases' last
//! deployed manifests (changed fields, objects deleted outside Helm), with
//! `--heal` to take them back. Exit code 2 when drift is found (healed or
//! not), as `diff --detailed-exitcode` does for changes; 1 when a release
//! could not be checked or healed.

use super::ExitStatus;
use crate::cli::{GlobalSettings, OutputFormat};
use crate::exec::Concurrency;
use crate::pipeline::drift::{check_drift, notify_webhooks};
use crate::pipeline::{Context, Session};
use crate::plan::NeedsMode;

/// Detects (and heals) drift.
pub struct DriftCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Re-apply drifted objects.
    pub heal: bool,
    /// Text or JSON.
    pub format: OutputFormat,
    /// Releases checked at once.
    pub concurrency: Concurrency,
    /// Shared context.
    pub ctx: Context,
}

impl DriftCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        session.announce_substitutions()?;
        let selected = session.plan(NeedsMode::default())?;
        if let Some(status) = session.no_match(&selected) {
            return Ok(status);
        }
        let report = check_drift(&selected, &self.global, &self.ctx, self.heal, self.concurrency).await;
        match self.format {
            OutputFormat::Json => self.ctx.printer.stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?,
            OutputFormat::Text => self.ctx.printer.stdout(&report.to_text())?,
        }
        for error in &report.errors {
            let error = anyhow::anyhow!("release `{}`: drift not checked: {}", error.release, error.error);
            crate::output::report(&self.ctx.printer, &error);
        }
        let heal_failed = report.releases.iter().flat_map(|r| &r.objects).any(|o| !o.heal_error.is_empty());
        notify_webhooks(&session.files, &report, &self.ctx);
        // A one-shot command waits for its notifications, within reason.
        let outbox = std::sync::Arc::clone(&self.ctx.outbox);
        tokio::task::spawn_blocking(move || outbox.flush(crate::notify::EVENT_DEADLINE)).await?;
        Ok(if !report.errors.is_empty() || heal_failed {
            ExitStatus::Failure
        } else if report.drifted() > 0 {
            ExitStatus::Changes
        } else {
            ExitStatus::Success
        })
    }
}
