//! `helmfire lint`: `helm lint` of every selected release's chart with the
//! release's values, in-process. Charts from repositories and registries
//! are linted from the chart cache, as prepared for rendering.

use std::sync::Arc;

use super::ExitStatus;
use crate::cli::{GlobalSettings, TemplateSettings};
use crate::exec::call_helm;
use crate::helm::{LintOutput, LintRequest};
use crate::output::report;
use crate::pipeline::prepare::{PrepareOptions, Prepared, prepare};
use crate::pipeline::requests::template_request;
use crate::pipeline::{Context, ReleaseError, ReleaseFailed, Session};
use crate::state::Release;

/// Lints releases.
pub struct LintCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// The flags lint shares with template (`--set`, `--values`, needs...).
    pub settings: TemplateSettings,
    /// Shared context.
    pub ctx: Context,
}

/// A chart helm lint found errors in.
#[derive(Debug, thiserror::Error)]
#[error("release `{0}`: 1 chart(s) linted, 1 chart(s) failed")]
struct LintFailed(String);

impl LintCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let selected = session.plan(self.settings.needs)?;
        if let Some(status) = session.no_match(&selected) {
            return Ok(status);
        }
        let options = PrepareOptions {
            skip_deps: self.settings.skip_deps,
            skip_refresh: self.settings.skip_refresh,
            ..PrepareOptions::default()
        };
        let prepared = prepare(&session, &selected, options).await?;
        let mut failed = false;
        for release in selected.iter().flat_map(|s| s.releases.iter().copied()).filter(|r| r.installed) {
            self.ctx.printer.info(&format!("Linting release={}, chart={}", release.name, release.chart_ref));
            match self.lint_one(&session, &prepared, release).await {
                Ok(output) => {
                    self.ctx.printer.stdout(&output.output)?;
                    if output.failed {
                        failed = true;
                        report(&self.ctx.printer, &anyhow::Error::new(LintFailed(release.name.clone())));
                    }
                }
                Err(error) => {
                    failed = true;
                    report(&self.ctx.printer, &anyhow::Error::new(ReleaseFailed::new(release, error)));
                }
            }
        }
        if let Some(signal) = self.ctx.shutdown.signal() {
            return Ok(ExitStatus::Interrupted(signal));
        }
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }

    async fn lint_one(
        &self,
        session: &Session,
        prepared: &Prepared,
        release: &Release,
    ) -> Result<LintOutput, ReleaseError> {
        let template = template_request(session, prepared, release, &self.settings);
        let request = LintRequest {
            chart: template.chart,
            namespace: template.namespace,
            values: template.values,
            overrides: template.overrides,
            kube_version: template.kube_version,
        };
        Ok(call_helm(Arc::clone(&self.ctx.backend), move |helm, call| helm.lint(call, &request)).await?)
    }
}
