//! `helmfire fetch`: downloads every selected release's remote chart, for
//! offline use. Each chart lands in the chart cache (so a later
//! `template`/`apply --skip-deps` needs no network) and is unpacked under
//! `--output-dir`, laid out by helmfile's `--output-dir-template`. Local
//! charts are already on disk and are left where they are.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use super::ExitStatus;
use crate::cli::GlobalSettings;
use crate::exec::{Concurrency, call_helm, run_ordered};
use crate::pipeline::charts::cache::{PullSettings, lock_files, pull_request};
use crate::pipeline::charts::registry::registry_access;
use crate::pipeline::charts::repos::{Refresh, prepare};
use crate::pipeline::output_paths::{DEFAULT_FETCH_OUTPUT_DIR_TEMPLATE, render_fetch_path};
use crate::pipeline::{Context, Session};
use crate::plan::NeedsMode;

/// Fetches charts.
pub struct FetchCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Where charts go; a temporary directory (removed at exit) when None,
    /// as in helmfile.
    pub output_dir: Option<PathBuf>,
    /// helmfile's `--output-dir-template`.
    pub output_dir_template: Option<String>,
    /// Downloads at once (0: no limit).
    pub concurrency: Concurrency,
    /// Shared context.
    pub ctx: Context,
}

impl FetchCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let files = &session.files[..];
        let selected = session.plan(NeedsMode::default())?;
        if let Some(status) = session.no_match(&selected) {
            return Ok(status);
        }
        crate::pipeline::prepare::check_names(&selected)?;
        let repositories = prepare(files, &self.ctx, Refresh::Always).await?;
        let repository_config = repositories.as_ref().map(|r| r.config.clone()).unwrap_or_default();
        let registry = registry_access(files, self.global.oci_plain_http);
        let settings = PullSettings {
            cache_dir: &self.global.cache_dir,
            repository_config: &repository_config,
            registry: &registry,
            offline: false,
            // helmfile's `helm fetch` gets `--verify`.
            verify_provenance: true,
        };
        let scratch;
        let output_dir = match &self.output_dir {
            Some(dir) => dir.clone(),
            None => {
                scratch = tempfile::Builder::new()
                    .prefix("helmfire-fetch-")
                    .tempdir_in(crate::env_vars::temp_dir())
                    .context("creating a temp directory")?;
                scratch.path().to_path_buf()
            }
        };
        let template = self.output_dir_template.as_deref().unwrap_or(DEFAULT_FETCH_OUTPUT_DIR_TEMPLATE);
        let engine = session.engine();
        let locks = lock_files(selected.iter().map(|s| s.file))?;
        let mut jobs = Vec::new();
        for (group, lock) in selected.iter().zip(&locks) {
            for release in group.releases.iter().filter(|r| r.installed) {
                let Some(mut request) = pull_request(group.file, release, lock.as_ref(), &settings) else {
                    continue;
                };
                let name = group.file.remote_chart(release).map(|r| r.name).unwrap_or_default();
                let dir =
                    render_fetch_path(&engine, template, &output_dir.display().to_string(), &name, group.file, release)
                        .map_err(|e| anyhow::anyhow!("rendering the --output-dir-template: {e}"))?;
                request.untar_to = std::path::absolute(&dir).unwrap_or(dir).display().to_string();
                jobs.push((format!("release `{}`: chart {}", release.name, release.chart_ref), request));
            }
        }
        let backend = Arc::clone(&self.ctx.backend);
        let mut failures = Vec::new();
        run_ordered(
            jobs,
            self.concurrency,
            move |(what, request)| {
                let backend = Arc::clone(&backend);
                async move {
                    let dir = request.untar_to.clone();
                    let out = call_helm(backend, move |helm, call| helm.chart_pull(call, &request)).await;
                    (what, dir, out)
                }
            },
            |_, (what, dir, out)| match out {
                Ok(out) => {
                    for line in out.log.lines() {
                        self.ctx.printer.info(line);
                    }
                    self.ctx.printer.info(&format!("Fetched {} {} into {dir}", out.name, out.version));
                }
                Err(e) => failures.push(anyhow::Error::new(e).context(what)),
            },
        )
        .await;
        let failed = !failures.is_empty();
        for failure in failures {
            crate::output::report(&self.ctx.printer, &failure);
        }
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }
}
