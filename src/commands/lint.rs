//! `helmfire lint`: `helm lint` of every selected release's chart with the
//! release's values, in-process.

use std::sync::Arc;

use super::charts::{PreparedCharts, prepare_selected};
use super::release_request::template_request;
use super::selection::{check_any_matched, plan};
use super::{Context, ExitStatus};
use crate::cli::{GlobalSettings, TemplateSettings};
use crate::exec::call_helm;
use crate::helm::LintRequest;
use crate::output::report;
use crate::state::{ChartSource, Release};

/// Lints releases.
pub struct LintCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// The flags lint shares with template (`--set`, `--values`, needs...).
    pub settings: TemplateSettings,
    /// Shared context.
    pub ctx: Context,
}

impl LintCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let files = super::load_state(&self.global, &self.ctx)?;
        let selected = plan(&files, &self.global, self.settings.needs)?;
        if let Some(status) = check_any_matched(&selected, &self.global, &self.ctx.printer) {
            return Ok(status);
        }
        let (_repositories, charts) = prepare_selected(
            &files,
            &selected,
            &self.ctx,
            &self.global,
            self.settings.skip_deps,
            self.settings.skip_refresh,
        )
        .await?;
        let mut failed = false;
        for release in selected.iter().flat_map(|s| s.releases.iter().copied()).filter(|r| r.installed) {
            self.ctx.printer.info(&format!("Linting release={}, chart={}", release.name, release.chart_ref));
            match self.lint_one(release, &charts).await {
                Ok(output) => {
                    self.ctx.printer.stdout(&output.output)?;
                    if output.failed {
                        failed = true;
                        let error = anyhow::anyhow!("release `{}`: 1 chart(s) linted, 1 chart(s) failed", release.name);
                        report(&self.ctx.printer, &error);
                    }
                }
                Err(error) => {
                    failed = true;
                    report(&self.ctx.printer, &error);
                }
            }
        }
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }

    async fn lint_one(&self, release: &Release, charts: &PreparedCharts) -> anyhow::Result<crate::helm::LintOutput> {
        let chart = match (charts.chart_for(release), &release.chart) {
            (Some(wrapper), _) => wrapper.to_string(),
            (None, ChartSource::Local(path)) => path.display().to_string(),
            (None, ChartSource::Remote(reference)) => anyhow::bail!(
                "release `{}`: linting chart `{reference}` from a repository is not supported by helmfire yet; lint a local copy",
                release.name
            ),
        };
        let template = template_request(
            release,
            charts.values_for(release),
            self.global.namespace_override.as_deref(),
            &self.settings,
        );
        let request = LintRequest {
            chart,
            namespace: template.namespace,
            values: template.values,
            overrides: template.overrides,
            kube_version: template.kube_version,
        };
        Ok(call_helm(Arc::clone(&self.ctx.backend), move |helm, call| helm.lint(call, &request)).await?)
    }
}
