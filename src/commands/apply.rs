//! `helmfire apply`: diff every selected release against the live cluster,
//! then upgrade only those that would change and uninstall those marked
//! `installed: false` that are still there. Because the diff sees the live
//! objects, a change made by hand in the cluster is taken back (helmfile's
//! apply, comparing with the last release only, misses it).

use std::collections::HashSet;
use std::sync::Arc;

use super::charts::prepare_selected;
use super::cluster::{kube_target, namespace_of};
use super::diff::{DiffOptions, diff_releases, print_diffs};
use super::hooks::{Event, trigger};
use super::selection::{Selected, check_any_matched, plan};
use super::sync::SyncCommand;
use super::{Context, ExitStatus, confirm};
use crate::cli::{DeploySettings, GlobalSettings};
use crate::exec::call_helm;
use crate::helm::{HelmError, StatusRequest};
use crate::state::Release;

/// Applies what changed.
pub struct ApplyCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Deploy settings.
    pub settings: DeploySettings,
    /// How the diff is shown.
    pub options: DiffOptions,
    /// Shared context.
    pub ctx: Context,
}

fn key(release: &Release) -> (String, String, String) {
    (release.kube_context.clone(), release.namespace.clone(), release.name.clone())
}

impl ApplyCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let files = Arc::new(super::load_state(&self.global, &self.ctx)?);
        let selected = plan(&files, &self.global, self.settings.needs)?;
        if let Some(status) = check_any_matched(&selected, &self.global, &self.ctx.printer) {
            return Ok(status);
        }
        let render = &self.settings.render;
        let (repositories, charts) =
            prepare_selected(&files, &selected, &self.ctx, &self.global, render.skip_deps, render.skip_refresh).await?;
        // helmfile's `preapply` hooks run before anything is compared.
        for group in &selected {
            for release in &group.releases {
                trigger(&self.ctx, Event::Preapply, group.file, Some(release), None)?;
            }
        }
        let config = repositories.as_ref().map(|r| r.config.clone()).unwrap_or_default();
        let diffs =
            diff_releases(&self.global, &self.settings, &self.options, &selected, &charts, &config, &self.ctx).await;
        let (_, failed) = print_diffs(&self.ctx, &self.options, &diffs)?;
        if failed {
            super::hooks::cleanup(&self.ctx, &selected);
            return Ok(ExitStatus::Failure);
        }
        let mut affected: HashSet<(String, String, String)> = diffs
            .iter()
            .filter(|(_, d)| d.as_ref().is_ok_and(|d| !d.changes.is_empty()))
            .map(|(release, _)| key(release))
            .collect();
        for release in selected.iter().flat_map(|s| s.releases.iter()).filter(|r| !r.installed) {
            if self.is_installed(release).await? {
                affected.insert(key(release));
            }
        }
        if affected.is_empty() {
            self.ctx.printer.info("No affected releases");
            super::hooks::cleanup(&self.ctx, &selected);
            return Ok(ExitStatus::Success);
        }
        let to_apply: Vec<Selected<'_>> = selected
            .iter()
            .map(|s| Selected {
                file: s.file,
                releases: s.releases.iter().copied().filter(|r| affected.contains(&key(r))).collect(),
            })
            .collect();
        if self.settings.interactive {
            let names: Vec<String> = to_apply
                .iter()
                .flat_map(|s| &s.releases)
                .map(|r| format!("{} {}", if r.installed { "upgrade" } else { "uninstall" }, r.name))
                .collect();
            if !confirm(&self.ctx.printer, "apply", &names)? {
                return Ok(ExitStatus::Success);
            }
        }
        let sync = SyncCommand { global: self.global.clone(), settings: self.settings.clone(), ctx: self.ctx.clone() };
        let status = sync.deploy(&files, &to_apply, repositories.as_ref(), charts).await?;
        super::hooks::cleanup(&self.ctx, &selected);
        Ok(match status {
            ExitStatus::Success if self.options.detailed_exitcode => ExitStatus::Changes,
            other => other,
        })
    }

    async fn is_installed(&self, release: &Release) -> anyhow::Result<bool> {
        let mut kube = kube_target(&self.global, release);
        kube.namespace = namespace_of(&self.global, release);
        let request = StatusRequest { kube, release_name: release.name.clone() };
        match call_helm(Arc::clone(&self.ctx.backend), move |helm, call| helm.status(call, &request)).await {
            Ok(status) => Ok(status.status != "uninstalled"),
            Err(HelmError::Release { .. }) => Ok(false),
            Err(e) => Err(anyhow::anyhow!("release `{}`: {e}", release.name)),
        }
    }
}
