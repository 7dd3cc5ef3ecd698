//! Sync along the needs graph, shared by `sync`, `apply`, `destroy`, watch
//! mode and the daemon: each release starts as soon as every release it
//! needs succeeded (not batch by batch), at most `--concurrency` at once,
//! between its `presync`/`postsync` (or `preuninstall`/`postuninstall`)
//! hooks; a failure skips only its dependents; a signal stops new starts
//! while Helm settles the releases in flight; a summary table closes the
//! run.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::context::{ExitStatus, confirm};
use super::error::{ReleaseError, ReleaseFailed};
use super::hooks::{Event, trigger};
use super::kube::{kube_target, namespace_of};
use super::prepare::{PrepareOptions, Prepared, prepare};
use super::release_options::unsupported_keys;
use super::requests::upgrade_request;
use super::selection::Selected;
use super::session::Session;
use crate::cli::{DeploySettings, GlobalSettings};
use crate::exec::{StopSignal, Task, TaskOutcome, call_helm, run_dag};
use crate::helm::UninstallRequest;
use crate::output::{Progress, render_table};
use crate::plan::{release_id, resolved_needs};
use crate::state::{Release, StateFile};

/// `helmfire sync`: every selected release installed or upgraded (or
/// uninstalled when `installed: false`).
pub(crate) async fn sync(session: &Session, settings: &DeploySettings) -> anyhow::Result<ExitStatus> {
    session.announce_substitutions()?;
    let selected = session.plan(settings.needs)?;
    session.enforce_needs_installed(&selected, settings.render.enforce_needs_are_installed)?;
    check_deploy_keys(session, &selected)?;
    if let Some(status) = session.no_match(&selected) {
        return Ok(status);
    }
    super::kube::probe_clusters(
        &session.ctx,
        &session.global,
        selected.iter().flat_map(|g| g.releases.iter().copied()),
    )
    .await?;
    if settings.interactive {
        let tasks = release_tasks(&selected, Direction::NeedsFirst);
        let names: Vec<String> = tasks.iter().map(|t| describe(&t.input)).collect();
        if !confirm(&session.ctx.printer, "sync", &names)? {
            return Ok(ExitStatus::Success);
        }
    }
    let options = PrepareOptions {
        skip_deps: settings.render.skip_deps,
        skip_refresh: settings.render.skip_refresh,
        verify_provenance: true,
    };
    let prepared = Arc::new(prepare(session, &selected, options).await?);
    let status = deploy(session, &selected, prepared, settings).await?;
    super::hooks::cleanup(&session.ctx, &selected);
    // `sync --detailed-exitcode`: helmfile exits 2 when it synced anything.
    let synced = selected.iter().any(|group| !group.releases.is_empty());
    Ok(if settings.detailed_exitcode && synced && status == ExitStatus::Success { ExitStatus::Changes } else { status })
}

fn describe(release: &Release) -> String {
    if release.installed {
        format!("install or upgrade {} ({})", release.name, release.chart_ref)
    } else {
        format!("uninstall {}", release.name)
    }
}

/// Installs, upgrades or uninstalls `selected` (planned, prepared) in needs
/// order, then prints the summary. `apply` calls it with the releases its
/// diff found changed.
pub(crate) async fn deploy(
    session: &Session,
    selected: &[Selected<'_>],
    prepared: Arc<Prepared>,
    settings: &DeploySettings,
) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let tasks = release_tasks(selected, Direction::NeedsFirst);
    let releases = Arc::new(Releases { session: session.clone(), prepared, settings: settings.clone() });
    let stop: Arc<dyn StopSignal> = session.ctx.shutdown.clone();
    let limit = settings.render.concurrency.for_in_process(2);
    let progress = Arc::new(Progress::start(&session.ctx.printer, "syncing", tasks.len()));
    let outcomes = run_dag(tasks.clone(), limit, stop, |release: Release| {
        let releases = Arc::clone(&releases);
        let progress = Arc::clone(&progress);
        async move {
            let _shown = InFlight::new(&progress, &release.name);
            releases.sync_one(release).await
        }
    })
    .await;
    drop(progress);
    // Watch mode's quiet reruns say what happened in one line instead.
    let quiet_rerun = settings.watch && session.ctx.printer.verbosity() == crate::output::Verbosity::Quiet;
    finish(session, &tasks, outcomes, !quiet_rerun, started)
}

/// helmfile's tracking modes.
const TRACK_MODES: [&str; 3] = ["helm", "helm-legacy", "kubedog"];

/// The deploy keys of `selected` that helmfire refuses (named, with why) or
/// ignores (said once), checked before anything runs: sync, apply and diff
/// treat a release's keys alike.
pub(crate) fn check_deploy_keys(session: &Session, selected: &[Selected<'_>]) -> anyhow::Result<()> {
    let mut said = std::collections::HashSet::new();
    for group in selected {
        for release in &group.releases {
            let defaults = &group.file.doc.helm_defaults;
            if let Some(key) = unsupported_keys(release, defaults).first() {
                let why = match *key {
                    "recreatePods" => {
                        "has no meaning with Helm 3 and 4 (they have no --recreate-pods), and helmfile fails on it too; remove it (a changed pod template restarts pods)"
                    }
                    "adopt" => {
                        "is helm-x's --adopt, which Helm 3 and 4 do not have (helmfile passes it and helm refuses it); use `takeOwnership: true`"
                    }
                    _ => {
                        "is not supported by helmfire's cluster commands yet; remove it or deploy this release with helmfile"
                    }
                };
                anyhow::bail!("release `{}` ({}): `{key}` {why}", release.name, release.location);
            }
            let modes = [release.spec.deferred_value("trackMode"), defaults.deferred_value("trackMode")];
            if let Some(mode) =
                modes.into_iter().flatten().filter_map(|v| v.as_str()).find(|m| !TRACK_MODES.contains(m))
            {
                anyhow::bail!(
                    "release `{}` ({}): trackMode must be 'helm', 'helm-legacy', or 'kubedog', got: {mode}",
                    release.name,
                    release.location
                );
            }
            if let Some(strategy) = release
                .spec
                .deferred_value("updateStrategy")
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty() && *s != REINSTALL_IF_FORBIDDEN)
            {
                anyhow::bail!(
                    "release `{}` ({}): updateStrategy \"{strategy}\" is invalid, valid values are: {REINSTALL_IF_FORBIDDEN} or not set",
                    release.name,
                    release.location
                );
            }
            if let Some(why) = super::release_options::malformed_track_lists(release) {
                anyhow::bail!("release `{}` ({}): {why}", release.name, release.location);
            }
            if let Some(why) = super::release_options::conflicting_keys(release, defaults) {
                anyhow::bail!("release `{}` ({}): {why}", release.name, release.location);
            }
            for (key, why) in super::release_options::INERT {
                let uses = release.spec.deferred_value(key).is_some() || defaults.deferred_value(key).is_some();
                if uses && said.insert(*key) {
                    session.ctx.printer.info(&format!("{key} has no effect: {why}"));
                }
            }
        }
    }
    Ok(())
}

/// `helmfire destroy`: the selected releases uninstalled, dependents before
/// what they need (the needs graph in reverse).
pub(crate) async fn destroy(
    session: &Session,
    concurrency: crate::exec::Concurrency,
    interactive: bool,
    how: UninstallOptions,
) -> anyhow::Result<ExitStatus> {
    let selected = session.filter()?;
    if let Some(status) = session.no_match(&selected) {
        return Ok(status);
    }
    super::kube::probe_clusters(
        &session.ctx,
        &session.global,
        selected.iter().flat_map(|g| g.releases.iter().copied()),
    )
    .await?;
    let started = Instant::now();
    let tasks = release_tasks(&selected, Direction::DependentsFirst);
    if interactive {
        let names: Vec<String> = tasks.iter().map(|t| format!("uninstall {}", t.input.name)).collect();
        if !confirm(&session.ctx.printer, "destroy", &names)? {
            return Ok(ExitStatus::Success);
        }
    }
    let stop: Arc<dyn StopSignal> = session.ctx.shutdown.clone();
    let shared = Arc::new(session.clone());
    let progress = Arc::new(Progress::start(&session.ctx.printer, "deleting", tasks.len()));
    let outcomes = run_dag(tasks.clone(), concurrency, stop, |release: Release| {
        let session = Arc::clone(&shared);
        let how = how.clone();
        let progress = Arc::clone(&progress);
        async move {
            let _shown = InFlight::new(&progress, &release.name);
            let started = Instant::now();
            let _tracked = session.ctx.shutdown.track(&release.name);
            session.ctx.printer.info(&format!("Deleting {}", release.name));
            let file = session.file_of(&release);
            let uninstall = uninstall(&session, &release, &how);
            let result =
                hooked(&session.ctx, file, &release, Event::Preuninstall, Event::Postuninstall, uninstall).await;
            let row = |action| SummaryRow { action, duration: started.elapsed() };
            match result {
                Ok(action) => Ok(row(action)),
                Err(e) => Err((row("uninstall"), e)),
            }
        }
    })
    .await;
    drop(progress);
    finish(session, &tasks, outcomes, true, started)
}

/// A release shown in flight on the progress line until dropped.
pub(crate) struct InFlight<'a> {
    progress: &'a Progress,
    release: String,
}

impl<'a> InFlight<'a> {
    pub(crate) fn new(progress: &'a Progress, release: &str) -> Self {
        progress.begin(release);
        InFlight { progress, release: release.to_string() }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.progress.end(&self.release);
    }
}

/// Reports the failures and prints the summary (unless told not to); the
/// status of the run.
fn finish(
    session: &Session,
    tasks: &[Task<Release>],
    outcomes: Vec<TaskOutcome<SummaryRow, (SummaryRow, ReleaseError)>>,
    print_summary: bool,
    started: Instant,
) -> anyhow::Result<ExitStatus> {
    let ctx = &session.ctx;
    let (table, failed) = summary(tasks, &outcomes, &session.global);
    let totals = totals(&outcomes, started.elapsed());
    let failures = tasks.iter().zip(outcomes).filter_map(|(task, outcome)| match outcome {
        TaskOutcome::Failed((_, error)) if !error.cancelled() => Some(ReleaseFailed::new(&task.input, error)),
        _ => None,
    });
    super::error::report_failures(&ctx.printer, failures.collect());
    if print_summary {
        ctx.printer.stdout(&table)?;
        ctx.printer.info(&totals);
    }
    if let Some(signal) = ctx.shutdown.signal() {
        return Ok(ExitStatus::Interrupted(signal));
    }
    Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
}

/// The closing count: `4 releases: 1 installed, 2 upgraded, 1 failed in 3.2s`
/// (each kind named only when there is one).
fn totals(outcomes: &[TaskOutcome<SummaryRow, (SummaryRow, ReleaseError)>], took: Duration) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    let mut count = |kind: &'static str| match counts.iter_mut().find(|(k, _)| *k == kind) {
        Some((_, n)) => *n += 1,
        None => counts.push((kind, 1)),
    };
    for outcome in outcomes {
        match outcome {
            TaskOutcome::Done(row) => {
                count(match row.action {
                    "install" => "installed",
                    "upgrade" => "upgraded",
                    "uninstall" => "uninstalled",
                    _ => "unchanged",
                });
            }
            TaskOutcome::Failed(_) => count("failed"),
            TaskOutcome::Skipped { .. } => count("skipped"),
            TaskOutcome::Cancelled => count("not started"),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
    let noun = if outcomes.len() == 1 { "release" } else { "releases" };
    format!("{} {noun}: {} in {:.1}s", outcomes.len(), parts.join(", "), took.as_secs_f64())
}

/// What each release task needs.
struct Releases {
    session: Session,
    prepared: Arc<Prepared>,
    settings: DeploySettings,
}

impl Releases {
    async fn sync_one(&self, release: Release) -> Result<SummaryRow, (SummaryRow, ReleaseError)> {
        let started = Instant::now();
        let _tracked = self.session.ctx.shutdown.track(&release.name);
        let row = |action| SummaryRow { action, duration: started.elapsed() };
        let file = self.session.file_of(&release);
        let result = if release.installed {
            hooked(&self.session.ctx, file, &release, Event::Presync, Event::Postsync, self.upgrade(&release)).await
        } else {
            let how = UninstallOptions {
                wait: self.settings.wait,
                timeout_seconds: self.settings.timeout_seconds,
                cascade: self.settings.cascade.clone().unwrap_or_default(),
            };
            let uninstall = uninstall(&self.session, &release, &how);
            hooked(&self.session.ctx, file, &release, Event::Preuninstall, Event::Postuninstall, uninstall).await
        };
        match result {
            Ok(action) => Ok(row(action)),
            // A failed deploy may have been an install or an upgrade; the
            // error says which revision it left.
            Err(e) => Err((row(if release.installed { "deploy" } else { "uninstall" }), e)),
        }
    }

    async fn upgrade(&self, release: &Release) -> Result<&'static str, ReleaseError> {
        let ctx = &self.session.ctx;
        ctx.printer.info(&format!("Upgrading release={}, chart={}", release.name, release.chart_ref));
        let request = upgrade_request(&self.session, &self.prepared, release, &self.settings);
        let retry = request.clone();
        let out = match call_helm(Arc::clone(&ctx.backend), move |helm, call| helm.upgrade(call, &request)).await {
            Err(error) if reinstall_if_forbidden(release) && forbidden_update(&error.to_string()) => {
                // helmfile's updateStrategy: an upgrade the API server
                // refuses for an immutable field becomes an uninstall (with
                // its hooks, waiting) and a fresh install.
                ctx.printer.info(&format!(
                    "Failed to sync due to forbidden updates, attempting to reinstall \"{}\" allowed by update strategy",
                    release.name
                ));
                let file = self.session.file_of(release);
                let how = UninstallOptions { wait: true, ..UninstallOptions::default() };
                let removal = uninstall(&self.session, release, &how);
                hooked(ctx, file, release, Event::Preuninstall, Event::Postuninstall, removal).await?;
                call_helm(Arc::clone(&ctx.backend), move |helm, call| helm.upgrade(call, &retry)).await?
            }
            result => result?,
        };
        let verb = if out.first_install { "installed" } else { "upgraded" };
        ctx.printer
            .info(&format!("Release \"{}\" has been {verb} (revision {}, {})", release.name, out.revision, out.status));
        Ok(if out.first_install { "install" } else { "upgrade" })
    }
}

/// The release's `updateStrategy: reinstallIfForbidden`.
fn reinstall_if_forbidden(release: &Release) -> bool {
    release.spec.deferred_value("updateStrategy").and_then(|v| v.as_str()) == Some(REINSTALL_IF_FORBIDDEN)
}

const REINSTALL_IF_FORBIDDEN: &str = "reinstallIfForbidden";

/// An upgrade the API server refused because it changes what cannot
/// change. helmfile looks for "Forbidden: updates" only; newer API servers
/// say "field is immutable" for the same kind of change (a StatefulSet's
/// serviceName, a Job's template), which helmfire reinstalls too.
fn forbidden_update(message: &str) -> bool {
    message.contains("Forbidden: updates") || message.contains("field is immutable")
}

/// How releases are uninstalled (destroy's flags, or sync's for
/// `installed: false`).
#[derive(Debug, Clone, Default)]
pub struct UninstallOptions {
    /// Wait until the release's resources are gone.
    pub wait: bool,
    /// How long the uninstall may take; 0 is helm's default.
    pub timeout_seconds: u64,
    /// `--cascade`: background (empty), foreground or orphan.
    pub cascade: String,
}

/// Uninstalls `release` (nothing to do when it is not installed).
pub(crate) async fn uninstall(
    session: &Session,
    release: &Release,
    how: &UninstallOptions,
) -> Result<&'static str, ReleaseError> {
    let mut kube = kube_target(&session.global, release);
    kube.namespace = namespace_of(&session.global, release);
    let defaults = session.file_of(release).map(|f| f.doc.helm_defaults.clone()).unwrap_or_default();
    let how = super::release_options::uninstall_options(how, release, &defaults);
    let request = UninstallRequest {
        kube,
        release_name: release.name.clone(),
        ignore_not_found: true,
        wait: how.wait,
        timeout_seconds: how.timeout_seconds,
        cascade: how.cascade,
    };
    let out = call_helm(Arc::clone(&session.ctx.backend), move |helm, call| helm.uninstall(call, &request)).await?;
    if out.existed {
        session.ctx.printer.info(&format!("Deleted release \"{}\"", release.name));
        Ok("uninstall")
    } else {
        Ok("none (not installed)")
    }
}

/// Runs `operation` between the release's `before` and `after` hooks
/// (`after` sees the operation's error as `.Event.Error`). A failing hook
/// fails the release.
pub(crate) async fn hooked(
    ctx: &super::Context,
    file: Option<&StateFile>,
    release: &Release,
    before: Event,
    after: Event,
    operation: impl std::future::Future<Output = Result<&'static str, ReleaseError>>,
) -> Result<&'static str, ReleaseError> {
    let hook = |event, error: Option<&str>| -> Result<(), ReleaseError> {
        match file {
            Some(file) => Ok(tokio::task::block_in_place(|| trigger(ctx, event, file, Some(release), error))?),
            None => Ok(()),
        }
    };
    hook(before, None)?;
    let result = operation.await;
    let error = result.as_ref().err().map(ToString::to_string);
    hook(after, error.as_deref())?;
    result
}

/// Which way the needs edges point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// A release runs after what it needs (install, upgrade).
    NeedsFirst,
    /// A release runs after what needs it (uninstall).
    DependentsFirst,
}

/// The selected releases as tasks whose needs are the edges of the needs
/// graph among them (a need outside the selection does not hold a release
/// back, as with helmfile's --skip-needs).
pub(crate) fn release_tasks(selected: &[Selected<'_>], direction: Direction) -> Vec<Task<Release>> {
    let mut tasks: Vec<Task<Release>> = Vec::new();
    for group in selected {
        let offset = tasks.len();
        let index: HashMap<String, usize> =
            group.releases.iter().enumerate().map(|(i, r)| (release_id(r), offset + i)).collect();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); group.releases.len()];
        for (i, release) in group.releases.iter().enumerate() {
            for need in resolved_needs(release) {
                if let Some(&needed) = index.get(&need) {
                    match direction {
                        Direction::NeedsFirst => edges[i].push(needed),
                        Direction::DependentsFirst => edges[needed - offset].push(offset + i),
                    }
                }
            }
        }
        for (release, needs) in group.releases.iter().zip(edges) {
            tasks.push(Task { input: (*release).clone(), needs });
        }
    }
    tasks
}

/// One line of the closing summary.
pub(crate) struct SummaryRow {
    pub action: &'static str,
    pub duration: Duration,
}

/// The closing table (release, namespace, action, result, duration) and
/// whether anything did not succeed.
pub(crate) fn summary(
    tasks: &[Task<Release>],
    outcomes: &[TaskOutcome<SummaryRow, (SummaryRow, ReleaseError)>],
    global: &GlobalSettings,
) -> (String, bool) {
    let mut rows = Vec::with_capacity(outcomes.len());
    let mut failed = false;
    for (task, outcome) in tasks.iter().zip(outcomes) {
        let release = &task.input;
        let (action, result, duration) = match outcome {
            TaskOutcome::Done(row) => (row.action, "ok".to_string(), format!("{:.1}s", row.duration.as_secs_f64())),
            TaskOutcome::Failed((row, _)) => {
                failed = true;
                (row.action, "FAILED".to_string(), format!("{:.1}s", row.duration.as_secs_f64()))
            }
            TaskOutcome::Skipped { because } => {
                failed = true;
                ("-", format!("skipped: `{}` did not succeed", tasks[*because].input.name), String::new())
            }
            TaskOutcome::Cancelled => {
                failed = true;
                ("-", "not started: interrupted".to_string(), String::new())
            }
        };
        rows.push(vec![release.name.clone(), namespace_of(global, release), action.to_string(), result, duration]);
    }
    (render_table(&["RELEASE", "NAMESPACE", "ACTION", "RESULT", "DURATION"], &rows), failed)
}
