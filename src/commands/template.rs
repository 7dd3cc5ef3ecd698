//! `helmfire template`: renders every release offline, concurrently, and
//! prints the manifests in declaration order.

use std::sync::Arc;

use super::ExitStatus;
use crate::cli::{GlobalSettings, TemplateSettings};
use std::ops::ControlFlow;

use crate::exec::{Reporter, call_helm, run_ordered_until};
use crate::helm::TemplateOutput;
use crate::output::TemplateReporter;
use crate::pipeline::output_paths::{DEFAULT_OUTPUT_DIR_TEMPLATE, render_output_path};
use crate::pipeline::prepare::{PrepareOptions, Prepared, prepare};
use crate::pipeline::requests::template_request;
use crate::pipeline::selection::Selected;
use crate::pipeline::{Context, ReleaseError, Session};
use crate::state::Release;

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
    release: Release,
    request: crate::helm::TemplateRequest,
}

impl TemplateCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let selected = session.plan(self.settings.needs)?;
        session.enforce_needs_installed(&selected, self.settings.enforce_needs_are_installed)?;
        if let Some(status) = session.no_match(&selected) {
            return Ok(status);
        }
        let options = PrepareOptions {
            skip_deps: self.settings.skip_deps,
            skip_refresh: self.settings.skip_refresh,
            ..PrepareOptions::default()
        };
        let prepared = prepare(&session, &selected, options).await?;
        let jobs = self.jobs(&session, &selected, &prepared)?;
        let reporter: Arc<dyn Reporter> = Arc::new(TemplateReporter::new(self.ctx.printer, jobs.len()));
        let backend = Arc::clone(&self.ctx.backend);

        let mut failures: Vec<(Release, ReleaseError)> = Vec::new();
        let mut write_error: Option<std::io::Error> = None;
        run_ordered_until(
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
            |_, (release, result): (Release, Result<TemplateOutput, crate::helm::HelmError>)| {
                match result {
                    Ok(output) if !output.stdout.is_empty() => {
                        // helmfile prints each release's `helm template`
                        // output followed by a newline (helmexec's write).
                        if let Err(e) = self.ctx.printer.stdout(&format!("{}\n", output.stdout)) {
                            // Nobody reads any more (`| head`): stop rendering.
                            write_error = Some(e);
                            return ControlFlow::Break(());
                        }
                    }
                    Ok(_) => {}
                    Err(source) => failures.push((release, source.into())),
                }
                ControlFlow::Continue(())
            },
        )
        .await;

        crate::pipeline::hooks::cleanup(&self.ctx, &selected);
        if let Some(e) = write_error {
            return Err(anyhow::Error::new(e).context("writing the manifests to stdout"));
        }
        if let Some(signal) = self.ctx.shutdown.signal() {
            return Ok(ExitStatus::Interrupted(signal));
        }
        let failed = !failures.is_empty();
        let failures =
            failures.into_iter().map(|(release, error)| crate::pipeline::ReleaseFailed::new(&release, error));
        crate::pipeline::report_failures(&self.ctx.printer, failures.collect());
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }

    fn jobs(&self, session: &Session, selected: &[Selected<'_>], prepared: &Prepared) -> anyhow::Result<Vec<Job>> {
        let engine = session.engine();
        let dir_template = self.settings.output_dir_template.as_deref().unwrap_or(DEFAULT_OUTPUT_DIR_TEMPLATE);
        selected
            .iter()
            // helmfile templates only releases that are to be installed.
            .flat_map(|s| s.releases.iter().filter(|r| r.installed).map(move |release| (s.file, *release)))
            .map(|(file, release)| {
                let mut request = template_request(session, prepared, release, &self.settings);
                if let Some(dir) = &self.settings.output_dir {
                    let dir = render_output_path(&engine, dir_template, &dir.display().to_string(), file, release)
                        .map_err(|e| anyhow::anyhow!("rendering the --output-dir-template: {e}"))?;
                    request.output_dir = dir.display().to_string();
                }
                Ok(Job {
                    label: format!("release={}, chart={}", release.name, release.chart_ref),
                    release: release.clone(),
                    request,
                })
            })
            .collect()
    }
}
