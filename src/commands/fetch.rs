//! `helmfire fetch`: downloads every selected release's remote chart, for
//! offline use. Each chart lands in the chart cache (so a later
//! `template`/`apply --skip-deps` needs no network) and is unpacked under
//! `--output-dir`, laid out by helmfile's `--output-dir-template`; local
//! charts are copied there, as helmfile copies them. `--write-output`
//! prints the state with each release's chart replaced by its copy.

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
    /// `--write-output`: print the state with each fetched chart in place
    /// of the remote one, as helmfile does: `--output-dir` as given
    /// (relative paths stay relative in what is printed).
    pub write_output: Option<String>,
    /// Shared context.
    pub ctx: Context,
}

impl FetchCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let files = &session.files[..];
        if self.write_output.is_some() && files.len() != 1 {
            anyhow::bail!(
                "--write-output prints one state file, and {} were loaded; name a single state file with -f (not a directory or a state with `helmfiles:`)",
                files.len()
            );
        }
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
        // Where each fetched chart is, as --write-output prints it.
        let mut fetched_at: Vec<(&crate::state::Release, String)> = Vec::new();
        for (group, lock) in selected.iter().zip(&locks) {
            for release in group.releases.iter().filter(|r| r.installed) {
                let render_dir = |base: &str, chart_name: &str| {
                    render_fetch_path(&engine, template, base, chart_name, group.file, release)
                        .map_err(|e| anyhow::anyhow!("rendering the --output-dir-template: {e}"))
                };
                if let crate::state::ChartSource::Local(path) = &release.chart {
                    // helmfile copies a local chart into the output directory
                    // too, named by its directory.
                    let base = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let dir = render_dir(&output_dir.display().to_string(), &base)?;
                    copy_chart(path, &dir)?;
                    if let Some(given) = &self.write_output {
                        fetched_at.push((release, render_dir(given, &base)?.display().to_string()));
                    }
                    continue;
                }
                let Some(mut request) = pull_request(group.file, release, lock.as_ref(), &settings) else {
                    continue;
                };
                let remote = group.file.remote_chart(release);
                let name = remote.as_ref().map(|r| r.name.clone()).unwrap_or_default();
                // helmfile's `.ChartName`: the chart as written for charts of
                // repositories (`myrepo/raw`), the name for OCI ones.
                let chart_name = match &remote {
                    Some(r) if !r.oci => release.chart_ref.clone(),
                    _ => name.clone(),
                };
                let dir = render_dir(&output_dir.display().to_string(), &chart_name)?;
                if let Some(given) = &self.write_output {
                    fetched_at.push((release, format!("{}/{name}", render_dir(given, &chart_name)?.display())));
                }
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
        if failed {
            return Ok(ExitStatus::Failure);
        }
        if self.write_output.is_some()
            && let Some(group) = selected.first()
        {
            let releases: Vec<crate::state::Release> = group
                .releases
                .iter()
                .map(|release| {
                    let mut copy = (*release).clone();
                    if let Some((_, path)) = fetched_at.iter().find(|(r, _)| std::ptr::eq(*r, *release)) {
                        copy.spec.chart.clone_from(path);
                    }
                    copy
                })
                .collect();
            let refs: Vec<&crate::state::Release> = releases.iter().collect();
            let build = super::BuildCommand {
                global: self.global.clone(),
                embed_values: super::EmbedValues::No,
                ctx: self.ctx.clone(),
            };
            self.ctx.printer.stdout(&build.state_text(group.file, &refs, &engine)?)?;
        }
        Ok(ExitStatus::Success)
    }
}

/// Copies a local chart directory to `to` (files and directories; links
/// are followed), as helmfile's fetch copies local charts.
fn copy_chart(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading the chart {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_chart(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {} to {}", entry.path().display(), target.display()))?;
        }
    }
    Ok(())
}
