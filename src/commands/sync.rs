//! `helmfire sync`: every selected release installed or upgraded (or
//! uninstalled when `installed: false`), in needs order, concurrently where
//! the graph allows, all in-process.

use std::sync::Arc;
use std::time::Instant;

use super::charts::{PreparedCharts, prepare_selected};
use super::cluster::{Direction, SummaryRow, kube_target, namespace_of, release_tasks, summary};
use super::hooks::{Event, trigger};
use super::release_options::{unsupported_keys, upgrade_options};
use super::release_request::template_request;
use super::selection::{check_any_matched, plan};
use super::{Context, ExitStatus, confirm};
use crate::cli::{DeploySettings, GlobalSettings};
use crate::exec::{Interrupts, run_dag};
use crate::helm::{HelmError, UninstallRequest, UpgradeRequest};
use crate::output::report;
use crate::state::HelmDefaults;
use crate::state::Release;

/// Installs, upgrades and uninstalls releases.
pub struct SyncCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Deploy settings.
    pub settings: DeploySettings,
    /// Shared context.
    pub ctx: Context,
}

/// What each release task needs, shared by all of them.
struct Shared {
    global: GlobalSettings,
    settings: DeploySettings,
    ctx: Context,
    charts: PreparedCharts,
    repository_config: String,
    interrupts: Arc<Interrupts>,
    files: Arc<Vec<crate::state::StateFile>>,
}

impl SyncCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let files = Arc::new(super::load_state(&self.global, &self.ctx)?);
        let selected = plan(&files, &self.global, self.settings.needs)?;
        if let Some(status) = check_any_matched(&selected, &self.global, &self.ctx.printer) {
            return Ok(status);
        }
        let tasks = release_tasks(&selected, Direction::NeedsFirst);
        if self.settings.interactive {
            let names: Vec<String> = tasks.iter().map(|t| describe(&t.input)).collect();
            if !confirm(&self.ctx.printer, "sync", &names)? {
                return Ok(ExitStatus::Success);
            }
        }
        let render = &self.settings.render;
        let (repositories, charts) =
            prepare_selected(&files, &selected, &self.ctx, &self.global, render.skip_deps, render.skip_refresh).await?;
        let status = self.deploy(&files, &selected, repositories.as_ref(), charts).await?;
        super::hooks::cleanup(&self.ctx, &selected);
        Ok(status)
    }

    /// Installs, upgrades or uninstalls `selected` (already planned, charts
    /// prepared) in needs order, then prints the summary. `apply` calls it
    /// with the releases its diff found changed.
    pub(crate) async fn deploy(
        &self,
        files: &Arc<Vec<crate::state::StateFile>>,
        selected: &[super::selection::Selected<'_>],
        repositories: Option<&super::repos::PreparedRepositories>,
        charts: PreparedCharts,
    ) -> anyhow::Result<ExitStatus> {
        let render = &self.settings.render;
        for group in selected {
            for release in &group.releases {
                if let Some(key) = unsupported_keys(release, &group.file.doc.helm_defaults).first() {
                    anyhow::bail!(
                        "release `{}` ({}): `{key}` is not supported by helmfire's cluster commands yet; remove it or deploy this release with helmfile",
                        release.name,
                        release.location
                    );
                }
            }
        }
        let tasks = release_tasks(selected, Direction::NeedsFirst);
        let printer = self.ctx.printer;
        let interrupts = Interrupts::install(
            move || {
                printer.warn("interrupted: cancelling the releases in progress and waiting for Helm to settle them (press Ctrl-C again to exit at once)")
            },
            move |left| {
                printer.warn(&format!(
                    "interrupted again: exiting now; these releases may be left pending: {}",
                    if left.is_empty() { "none".to_string() } else { left.join(", ") }
                ))
            },
        );
        let shared = Arc::new(Shared {
            global: self.global.clone(),
            settings: self.settings.clone(),
            ctx: self.ctx.clone(),
            charts,
            repository_config: repositories.map(|r| r.config.clone()).unwrap_or_default(),
            interrupts: Arc::clone(&interrupts),
            files: Arc::clone(files),
        });
        let stop: Arc<dyn crate::exec::StopSignal> = interrupts.clone();
        let limit = render.concurrency.for_in_process(2);
        let outcomes = run_dag(tasks.clone(), limit, stop, |release: Release| {
            let shared = Arc::clone(&shared);
            async move { shared.sync_one(release).await }
        })
        .await;

        for outcome in &outcomes {
            if let crate::exec::TaskOutcome::Failed((row, error)) = outcome {
                report(&self.ctx.printer, &anyhow::Error::msg(format!("release `{}`: {error}", row.release)));
            }
        }
        let (table, failed) = summary(&tasks, &outcomes, &self.global);
        // Watch mode's quiet reruns say what happened in one line instead.
        let quiet_rerun = self.settings.watch && self.ctx.printer.verbosity() == crate::output::Verbosity::Quiet;
        if !quiet_rerun {
            self.ctx.printer.stdout(&table)?;
        }
        if interrupts.interrupted() {
            return Ok(ExitStatus::Interrupted);
        }
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }
}

fn describe(release: &Release) -> String {
    if release.installed {
        format!("install or upgrade {} ({})", release.name, release.chart_ref)
    } else {
        format!("uninstall {}", release.name)
    }
}

impl Shared {
    async fn sync_one(&self, release: Release) -> Result<SummaryRow, (SummaryRow, HelmError)> {
        let started = Instant::now();
        let _tracked = self.interrupts.track(&release.name);
        let row = |action| SummaryRow { release: release.name.clone(), action, duration: started.elapsed() };
        let file = self.file_of(&release);
        let result = if release.installed {
            self.hooked(file, &release, Event::Presync, Event::Postsync, self.upgrade(&release)).await
        } else {
            self.hooked(file, &release, Event::Preuninstall, Event::Postuninstall, self.uninstall(&release)).await
        };
        match result {
            Ok(action) => Ok(row(action)),
            Err(e) => Err((row(if release.installed { "upgrade" } else { "uninstall" }), e)),
        }
    }

    /// The state file `release` comes from.
    fn file_of(&self, release: &Release) -> Option<&crate::state::StateFile> {
        self.files.iter().find(|f| f.path == release.location.path)
    }

    /// Runs `operation` between the release's `before` and `after` hooks
    /// (`after` sees the operation's error as `.Event.Error`). A failing
    /// hook fails the release.
    async fn hooked(
        &self,
        file: Option<&crate::state::StateFile>,
        release: &Release,
        before: Event,
        after: Event,
        operation: impl std::future::Future<Output = Result<&'static str, HelmError>>,
    ) -> Result<&'static str, HelmError> {
        let hook = |event, error: Option<&str>| match file {
            Some(file) => tokio::task::block_in_place(|| trigger(&self.ctx, event, file, Some(release), error))
                .map_err(|e| HelmError::Hook(format!("{e:#}"))),
            None => Ok(()),
        };
        hook(before, None)?;
        let result = operation.await;
        let error = result.as_ref().err().map(ToString::to_string);
        hook(after, error.as_deref())?;
        result
    }

    async fn upgrade(&self, release: &Release) -> Result<&'static str, HelmError> {
        self.ctx.printer.info(&format!("Upgrading release={}, chart={}", release.name, release.chart_ref));
        let defaults = self.file_of(release).map(|f| f.doc.helm_defaults.clone()).unwrap_or_default();
        let request =
            upgrade_request(&self.global, &self.settings, &defaults, release, &self.charts, &self.repository_config);
        let out =
            crate::exec::call_helm_interruptible(Arc::clone(&self.ctx.backend), &self.interrupts, move |helm, call| {
                helm.upgrade(call, &request)
            })
            .await?;
        let verb = if out.first_install { "installed" } else { "upgraded" };
        self.ctx
            .printer
            .info(&format!("Release \"{}\" has been {verb} (revision {}, {})", release.name, out.revision, out.status));
        Ok(if out.first_install { "install" } else { "upgrade" })
    }

    async fn uninstall(&self, release: &Release) -> Result<&'static str, HelmError> {
        let mut kube = kube_target(&self.global, release);
        kube.namespace = namespace_of(&self.global, release);
        let request = UninstallRequest {
            kube,
            release_name: release.name.clone(),
            ignore_not_found: true,
            wait: self.settings.wait,
            timeout_seconds: self.settings.timeout_seconds,
        };
        let out =
            crate::exec::call_helm_interruptible(Arc::clone(&self.ctx.backend), &self.interrupts, move |helm, call| {
                helm.uninstall(call, &request)
            })
            .await?;
        if out.existed {
            self.ctx.printer.info(&format!("Deleted release \"{}\"", release.name));
            Ok("uninstall")
        } else {
            Ok("none (not installed)")
        }
    }
}

/// The `helm upgrade --install` of `release`, as sync runs it and diff
/// previews it.
pub(crate) fn upgrade_request(
    global: &GlobalSettings,
    settings: &DeploySettings,
    defaults: &HelmDefaults,
    release: &Release,
    charts: &PreparedCharts,
    repository_config: &str,
) -> UpgradeRequest {
    let mut render =
        template_request(release, charts.values_for(release), global.namespace_override.as_deref(), &settings.render);
    // Capabilities come from the cluster when deploying.
    render.kube_version.clear();
    render.api_versions.clear();
    render.skip_tests = false;
    render.show_only.clear();
    render.repository_config = repository_config.to_string();
    if let Some(chart) = charts.chart_for(release) {
        render.chart = chart.to_string();
        render.chart_version.clear();
    }
    UpgradeRequest { render, kube: kube_target(global, release), options: upgrade_options(settings, release, defaults) }
}
