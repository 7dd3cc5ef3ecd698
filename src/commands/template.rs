//! `helmfire template`: renders every release offline, concurrently, and
//! prints the manifests in declaration order.

use std::sync::Arc;

use super::charts::{self, PreparedCharts};
use super::engine::ShimEngine;
use super::output_paths::{DEFAULT_OUTPUT_DIR_TEMPLATE, render_output_path};
use super::release_request::template_request;
use super::selection::{Selected, check_any_matched, plan};
use super::{Context, ExitStatus};
use crate::cli::{GlobalSettings, TemplateSettings};
use crate::exec::{Reporter, call_helm, run_ordered};
use crate::helm::{HelmError, TemplateOutput};
use crate::output::{TemplateReporter, report};
use crate::state::Location;

/// Renders the releases of the state.
pub struct TemplateCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `template`'s own settings.
    pub settings: TemplateSettings,
    /// Shared context.
    pub ctx: Context,
}

/// One release to render, with what is needed to report on it.
struct Job {
    label: String,
    release: ReleaseId,
    request: crate::helm::TemplateRequest,
}

/// A release failed to render: one line naming it and where it is declared.
#[derive(Debug, thiserror::Error)]
#[error("release `{}` ({}): {source}", .release.name, .release.location)]
struct ReleaseFailed {
    release: ReleaseId,
    #[source]
    source: HelmError,
}

/// Names a release in messages.
#[derive(Debug, Clone)]
struct ReleaseId {
    name: String,
    location: Location,
}

impl TemplateCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let files = super::load_state(&self.global, &self.ctx)?;
        let selected = plan(&files, &self.global, self.settings.needs)?;
        if let Some(status) = check_any_matched(&selected, &self.global, &self.ctx.printer) {
            return Ok(status);
        }
        let (repositories, charts) = charts::prepare_selected(
            &files,
            &selected,
            &self.ctx,
            &self.global,
            self.settings.skip_deps,
            self.settings.skip_refresh,
        )
        .await?;
        let mut jobs = self.jobs(&selected, &charts)?;
        if let Some(repositories) = &repositories {
            for job in &mut jobs {
                job.request.repository_config = repositories.config.clone();
            }
        }
        let reporter: Arc<dyn Reporter> = Arc::new(TemplateReporter::new(self.ctx.printer));
        let backend = Arc::clone(&self.ctx.backend);

        let mut failures: Vec<ReleaseFailed> = Vec::new();
        let mut write_error: Option<std::io::Error> = None;
        run_ordered(
            jobs,
            // Renders are CPU-bound: one per CPU when no limit is given.
            self.settings.concurrency.for_in_process(1),
            |job: Job| {
                let backend = Arc::clone(&backend);
                let reporter = Arc::clone(&reporter);
                async move {
                    let id = reporter.on_release_start(&job.label);
                    let request = job.request;
                    let result = call_helm(backend, move |helm, call| helm.template(call, &request)).await;
                    reporter.on_release_complete(id, result.is_ok());
                    (job.release, result)
                }
            },
            |_, (release, result): (ReleaseId, Result<TemplateOutput, HelmError>)| match result {
                Ok(output) if write_error.is_none() && !output.stdout.is_empty() => {
                    // helmfile prints each release's `helm template` output
                    // followed by a newline (helmexec's write).
                    if let Err(e) = self.ctx.printer.stdout(&format!("{}\n", output.stdout)) {
                        write_error = Some(e);
                    }
                }
                Ok(_) => {}
                Err(source) => failures.push(ReleaseFailed { release, source }),
            },
        )
        .await;

        super::hooks::cleanup(&self.ctx, &selected);
        if let Some(e) = write_error {
            return Err(anyhow::Error::new(e).context("writing the manifests to stdout"));
        }
        let failed = !failures.is_empty();
        for failure in failures.drain(..) {
            report(&self.ctx.printer, &anyhow::Error::new(failure));
        }
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }

    fn jobs(&self, selected: &[Selected<'_>], charts: &PreparedCharts) -> anyhow::Result<Vec<Job>> {
        let engine = ShimEngine::new(Arc::clone(&self.ctx.backend));
        let dir_template = self.settings.output_dir_template.as_deref().unwrap_or(DEFAULT_OUTPUT_DIR_TEMPLATE);
        let namespace = self.global.namespace_override.as_deref();
        selected
            .iter()
            // helmfile templates only releases that are to be installed.
            .flat_map(|s| s.releases.iter().filter(|r| r.installed).map(move |release| (s.file, *release)))
            .map(|(file, release)| {
                let mut request = template_request(release, charts.values_for(release), namespace, &self.settings);
                if let Some(chart) = charts.chart_for(release) {
                    request.chart = chart.to_string();
                    // The wrapper is a local chart; its version is its own.
                    request.chart_version.clear();
                }
                if let Some(dir) = &self.settings.output_dir {
                    let dir = render_output_path(&engine, dir_template, &dir.display().to_string(), file, release)
                        .map_err(|e| anyhow::anyhow!("rendering the --output-dir-template: {e}"))?;
                    request.output_dir = dir.display().to_string();
                }
                Ok(Job {
                    label: format!("release={}, chart={}", release.name, release.chart_ref),
                    release: ReleaseId { name: release.name.clone(), location: release.location.clone() },
                    request,
                })
            })
            .collect()
    }
}
