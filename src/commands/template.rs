//! `helmfire template`: renders every release offline, concurrently, and
//! prints the manifests in declaration order.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::anyhow;

use super::release_request::template_request;
use super::{Context, ExitStatus};
use crate::cli::{GlobalSettings, TemplateSettings};
use crate::exec::{Reporter, call_helm, run_ordered};
use crate::helm::{HelmError, TemplateOutput};
use crate::output::{TemplateReporter, report};
use crate::state::{self, Release, StateFile};

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
    release_name: String,
    request: crate::helm::TemplateRequest,
}

impl TemplateCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let files = state::load(&self.global.source)?;
        let jobs = self.jobs(&files);
        let reporter: Arc<dyn Reporter> = Arc::new(TemplateReporter::new(self.ctx.printer));
        let backend = Arc::clone(&self.ctx.backend);

        let mut failures: Vec<(String, HelmError)> = Vec::new();
        let mut write_error: Option<std::io::Error> = None;
        run_ordered(
            jobs,
            self.settings.concurrency,
            |job: Job| {
                let backend = Arc::clone(&backend);
                let reporter = Arc::clone(&reporter);
                async move {
                    let id = reporter.on_release_start(&job.label);
                    let request = job.request;
                    let result = call_helm(backend, move |helm, call| helm.template(call, &request)).await;
                    reporter.on_release_complete(id, result.is_ok());
                    (job.release_name, result)
                }
            },
            |_, (release, result): (String, Result<TemplateOutput, HelmError>)| match result {
                Ok(output) if write_error.is_none() => {
                    if let Err(e) = self.ctx.printer.stdout(&output.stdout) {
                        write_error = Some(e);
                    }
                }
                Ok(_) => {}
                Err(e) => failures.push((release, e)),
            },
        )
        .await;

        if let Some(e) = write_error {
            return Err(anyhow::Error::new(e).context("writing the manifests to stdout"));
        }
        for (release, error) in &failures {
            report(&self.ctx.printer, &anyhow!("{error}").context(format!("rendering release `{release}` failed")));
        }
        Ok(if failures.is_empty() { ExitStatus::Success } else { ExitStatus::Failure })
    }

    fn jobs(&self, files: &[StateFile]) -> Vec<Job> {
        let namespace = self.global.namespace_override.as_deref();
        files
            .iter()
            .flat_map(|file| file.releases.iter().map(move |release| (file, release)))
            .map(|(file, release)| {
                let mut request = template_request(release, namespace, &self.settings);
                if let Some(dir) = &self.settings.output_dir {
                    request.output_dir = release_output_dir(dir, &file.path, release).display().to_string();
                }
                Job {
                    label: format!("release={}, chart={}", release.name, release.chart_ref),
                    release_name: release.name.clone(),
                    request,
                }
            })
            .collect()
    }
}

/// helmfile's default `--output-dir-template`:
/// `{{ .OutputDir }}/{{ .State.BaseName }}-{{ .State.AbsPathSHA1 }}-{{ .Release.Name }}`,
/// where BaseName is the state path as given without its extension and
/// AbsPathSHA1 the first 8 hex digits of the SHA-1 of its absolute path.
fn release_output_dir(output_dir: &Path, state_path: &Path, release: &Release) -> PathBuf {
    let absolute = std::path::absolute(state_path).unwrap_or_else(|_| state_path.to_path_buf());
    let digest = sha1_smol::Sha1::from(absolute.to_string_lossy().as_bytes()).digest().to_string();
    let as_given = state_path.to_string_lossy();
    let base = match state_path.extension() {
        Some(ext) => &as_given[..as_given.len() - ext.len() - 1],
        None => &as_given[..],
    };
    output_dir.join(format!("{base}-{}-{}", &digest[..8], release.name))
}
