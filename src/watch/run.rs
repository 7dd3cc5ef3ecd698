//! `sync --watch` and `apply --watch`: after the first run, watch every
//! file the state depends on; on a change, reload, work out which
//! releases' desired state changed (their fingerprint: rendered manifests
//! plus deploy options) and sync only those, in needs order. A broken file
//! while editing is reported and the last good state kept; a failed
//! release is reported and retried on the next change; a signal stops.
//! Optionally, drift is checked (and healed) every `--drift-interval`.
//! The daemon runs the same reloads.
//!
//! Output: one line per change, quiet while idle.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{ChangeStream, Dependencies, Fingerprints, Ignore, dependencies};
use crate::cli::{DeploySettings, GlobalSettings};
use crate::exec::{Concurrency, call_helm};
use crate::output::Verbosity;
use crate::pipeline::drift::{check_drift, notify_webhooks};
use crate::pipeline::prepare::{PrepareOptions, prepare};
use crate::pipeline::requests::upgrade_request;
use crate::pipeline::{Context, ExitStatus, Session};
use crate::plan::Selectors;

/// How long a burst of file events must be quiet before it counts.
pub const QUIET: Duration = Duration::from_millis(300);

/// The watch loop of sync and apply.
pub struct WatchLoop {
    /// Global settings.
    pub global: GlobalSettings,
    /// Deploy settings (`watch` set).
    pub settings: DeploySettings,
    /// Shared context.
    pub ctx: Context,
}

impl WatchLoop {
    /// Watches until a signal; `first` is the exit status of the first run.
    pub async fn run(self, first: ExitStatus) -> anyhow::Result<ExitStatus> {
        if first.interrupted() {
            return Ok(first);
        }
        // Reloads reuse the repository indexes the first run refreshed.
        let mut reload_settings = self.settings.clone();
        reload_settings.render.skip_refresh = true;
        let (mut fingerprints, mut deps) = match self.fingerprint(&reload_settings).await {
            Ok(state) => state,
            Err(e) => {
                crate::output::report(&self.ctx.printer, &e.context("watch: reading the state"));
                return Ok(ExitStatus::Failure);
            }
        };
        let ignore = Ignore { dirs: vec![self.global.cache_dir.clone()] };
        let mut stream = ChangeStream::watch(&deps, ignore, QUIET)?;
        self.ctx.printer.always(&format!("{} watching {} path(s) for changes; Ctrl-C stops", clock(), deps.len()));
        let drift_every = self.settings.drift_interval_seconds.map(Duration::from_secs);
        let mut next_drift = drift_every.map(|d| tokio::time::Instant::now() + d);
        let shutdown = Arc::clone(&self.ctx.shutdown);
        loop {
            let drift_due = async {
                match next_drift {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = drift_due => {
                    let _ = self.drift_round().await;
                    next_drift = drift_every.map(|d| tokio::time::Instant::now() + d);
                }
                change = stream.next() => {
                    let Some(paths) = change else { break };
                    let status = self.on_change(&paths, &reload_settings, &mut fingerprints, &mut deps).await;
                    if status.interrupted() {
                        return Ok(status);
                    }
                    if let Err(e) = stream.set_dependencies(&deps) {
                        self.ctx.printer.warn(&format!("watch: {e}"));
                    }
                }
            }
        }
        self.ctx.printer.always(&format!("{} stopped watching", clock()));
        Ok(match shutdown.signal() {
            Some(signal) => ExitStatus::Interrupted(signal),
            None => ExitStatus::Success,
        })
    }

    /// Reloads after `paths` changed and syncs what changed.
    pub async fn on_change(
        &self,
        paths: &BTreeSet<PathBuf>,
        settings: &DeploySettings,
        fingerprints: &mut Fingerprints,
        deps: &mut Dependencies,
    ) -> ExitStatus {
        let started = Instant::now();
        let what = describe_paths(paths);
        let (latest, latest_deps) = match self.fingerprint(settings).await {
            Ok(state) => state,
            Err(e) => {
                let cause = e.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ");
                self.ctx.printer.always(&format!("{} {what}: {cause}; keeping the last good state", clock()));
                return ExitStatus::Failure;
            }
        };
        *deps = latest_deps;
        let changed = latest.changed_since(fingerprints);
        if changed.is_empty() {
            self.ctx.printer.always(&format!("{} {what}: no release changed", clock()));
            *fingerprints = latest;
            return ExitStatus::Success;
        }
        let mut global = self.global.clone();
        let selectors: Vec<String> = changed.iter().map(|id| selector_of(id)).collect();
        global.selectors = match Selectors::parse(selectors.iter().map(String::as_str)) {
            Ok(s) => s,
            Err(e) => {
                self.ctx.printer.always(&format!("{} {what}: cannot select the changed releases: {e}", clock()));
                return ExitStatus::Failure;
            }
        };
        let ctx = self.ctx.with_verbosity(Verbosity::Quiet);
        let status = match Session::open(&global, &ctx) {
            Ok(session) => crate::pipeline::deploy::sync(&session, settings).await,
            Err(e) => Err(e),
        };
        let status = status.unwrap_or_else(|e| {
            crate::output::report(&self.ctx.printer, &e);
            ExitStatus::Failure
        });
        let names: Vec<&str> = changed.iter().map(|id| id.rsplit('/').next().unwrap_or(id)).collect();
        let result = match status {
            ExitStatus::Success => "applied",
            ExitStatus::Interrupted(_) => "interrupted",
            _ => "failed (retried on the next change)",
        };
        self.ctx.printer.always(&format!(
            "{} {what} -> {}: {result} in {:.1}s",
            clock(),
            names.join(", "),
            started.elapsed().as_secs_f64()
        ));
        *fingerprints = latest;
        if status != ExitStatus::Success {
            // Forgotten, they count as changed next time: retried.
            for id in &changed {
                fingerprints.forget(id);
            }
        }
        status
    }

    /// Checks drift (and heals it with `--heal`), in one line unless
    /// something drifted.
    pub async fn drift_round(&self) -> anyhow::Result<crate::drift::DriftReport> {
        let session = match Session::open(&self.global, &self.ctx) {
            Ok(session) => session,
            Err(e) => {
                self.ctx.printer.always(&format!("{} drift check skipped: {e}", clock()));
                return Err(e);
            }
        };
        let selected = session.plan(self.settings.needs)?;
        let report = check_drift(&selected, &self.global, &self.ctx, self.settings.heal, Concurrency::default()).await;
        if report.drifted() > 0 {
            let _ = self.ctx.printer.stdout(&report.to_text());
        }
        self.ctx.printer.always(&format!(
            "{} drift: {} object(s){}",
            clock(),
            report.drifted(),
            if self.settings.heal && report.drifted() > 0 { " healed" } else { "" }
        ));
        notify_webhooks(&session.files, &report, &self.ctx);
        Ok(report)
    }

    /// The fingerprints of the selected releases, and what to watch.
    /// The session reads the substitutions file again, so a change to it
    /// (`helmfire chart|image`, the daemon's API, an edit) counts.
    pub async fn fingerprint(&self, settings: &DeploySettings) -> anyhow::Result<(Fingerprints, Dependencies)> {
        let ctx = self.ctx.with_verbosity(Verbosity::Quiet);
        let session = Session::open(&self.global, &ctx)?;
        let selected = session.plan(settings.needs)?;
        let options =
            PrepareOptions { skip_deps: settings.render.skip_deps, skip_refresh: true, verify_provenance: true };
        let prepared = prepare(&session, &selected, options).await?;
        let mut fingerprints = Fingerprints::default();
        for group in &selected {
            for release in &group.releases {
                let id = format!("{}/{}/{}", release.kube_context, release.namespace, release.name);
                if !release.installed {
                    fingerprints.insert(id, &[b"not installed"]);
                    continue;
                }
                let request = upgrade_request(&session, &prepared, release, settings);
                let options = serde_json::to_vec(&(&request.options, &request.kube))?;
                let render = request.render;
                let rendered = call_helm(Arc::clone(&ctx.backend), move |helm, call| helm.template(call, &render))
                    .await
                    .map_err(|e| crate::pipeline::ReleaseFailed::new(release, e))?;
                fingerprints.insert(id, &[rendered.stdout.as_bytes(), &options]);
            }
        }
        let deps = dependencies(&session.files, std::slice::from_ref(&self.global.substitutions_file));
        Ok((fingerprints, deps))
    }
}

/// `name=web,namespace=apps` for a release id `context/namespace/name`.
fn selector_of(id: &str) -> String {
    let mut parts = id.rsplitn(3, '/');
    let name = parts.next().unwrap_or_default();
    let namespace = parts.next().unwrap_or_default();
    if namespace.is_empty() { format!("name={name}") } else { format!("name={name},namespace={namespace}") }
}

fn describe_paths(paths: &BTreeSet<PathBuf>) -> String {
    let names: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned()))
        .collect();
    if paths.len() > 3 {
        format!("{} and {} more changed", names.join(", "), paths.len() - 3)
    } else {
        format!("{} changed", names.join(", "))
    }
}

/// Local wall-clock time, HH:MM:SS (UTC; no time zone database needed).
pub fn clock() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("{:02}:{:02}:{:02}", secs / 3600 % 24, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_id_becomes_a_selector() {
        assert_eq!(selector_of("/apps/web"), "name=web,namespace=apps");
        assert_eq!(selector_of("ctx//web"), "name=web");
    }
}
