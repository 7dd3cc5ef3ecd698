//! `apply`: diff every selected release against the live cluster, then
//! upgrade only those that would change and uninstall those marked
//! `installed: false` that are still there. Because the diff sees the live
//! objects, a change made by hand in the cluster is taken back (helmfile's
//! apply, comparing with the last release only, misses it). Shared by the
//! `apply` command and the daemon's syncs.

use std::collections::HashSet;
use std::sync::Arc;

use super::context::{ExitStatus, confirm};
use super::deploy::deploy;
use super::diff::{DiffOptions, diff_releases, print_diffs};
use super::error::ReleaseFailed;
use super::hooks::{Event, trigger};
use super::kube::{kube_target, namespace_of};
use super::prepare::{PrepareOptions, prepare};
use super::selection::Selected;
use super::session::Session;
use crate::cli::DeploySettings;
use crate::exec::call_helm;
use crate::helm::{HelmError, StatusRequest};
use crate::state::Release;

fn key(release: &Release) -> (String, String, String) {
    (release.kube_context.clone(), release.namespace.clone(), release.name.clone())
}

/// Applies what changed.
pub(crate) async fn apply(
    session: &Session,
    settings: &DeploySettings,
    options: &DiffOptions,
) -> anyhow::Result<ExitStatus> {
    let ctx = &session.ctx;
    session.announce_substitutions()?;
    let selected = session.plan(settings.needs)?;
    session.enforce_needs_installed(&selected, settings.render.enforce_needs_are_installed)?;
    super::deploy::check_deploy_keys(session, &selected)?;
    if let Some(status) = session.no_match(&selected) {
        return Ok(status);
    }
    super::kube::probe_clusters(
        &session.ctx,
        &session.global,
        selected.iter().flat_map(|g| g.releases.iter().copied()),
    )
    .await?;
    let render = &settings.render;
    let prepare_options =
        PrepareOptions { skip_deps: render.skip_deps, skip_refresh: render.skip_refresh, verify_provenance: true };
    let prepared = Arc::new(prepare(session, &selected, prepare_options).await?);
    // helmfile's `preapply` hooks run before anything is compared.
    for group in &selected {
        for release in &group.releases {
            trigger(ctx, Event::Preapply, group.file, Some(release), None)?;
        }
    }
    let diffs = diff_releases(session, &selected, &prepared, settings, options).await;
    let shown = print_diffs(session, options, diffs)?;
    if let Some(signal) = ctx.shutdown.signal() {
        super::hooks::cleanup(ctx, &selected);
        return Ok(ExitStatus::Interrupted(signal));
    }
    if shown.failed {
        super::hooks::cleanup(ctx, &selected);
        return Ok(ExitStatus::Failure);
    }
    let mut affected: HashSet<(String, String, String)> = shown.changed.iter().map(key).collect();
    for release in selected.iter().flat_map(|s| s.releases.iter()).filter(|r| !r.installed) {
        if is_installed(session, release).await? {
            affected.insert(key(release));
        }
    }
    if affected.is_empty() {
        ctx.printer.info("No affected releases");
        super::hooks::cleanup(ctx, &selected);
        return Ok(ExitStatus::Success);
    }
    let to_apply: Vec<Selected<'_>> = selected
        .iter()
        .map(|s| Selected {
            file: s.file,
            releases: s.releases.iter().copied().filter(|r| affected.contains(&key(r))).collect(),
        })
        .collect();
    if settings.interactive {
        let names: Vec<String> = to_apply
            .iter()
            .flat_map(|s| &s.releases)
            .map(|r| format!("{} {}", if r.installed { "upgrade" } else { "uninstall" }, r.name))
            .collect();
        if !confirm(&ctx.printer, "apply", &names)? {
            return Ok(ExitStatus::Success);
        }
    }
    let status = deploy(session, &to_apply, prepared, settings).await?;
    super::hooks::cleanup(ctx, &selected);
    Ok(match status {
        ExitStatus::Success if options.detailed_exitcode => ExitStatus::Changes,
        other => other,
    })
}

/// Whether `release` is installed in the cluster: absent only when the SDK
/// says so, any other failure is an error.
async fn is_installed(session: &Session, release: &Release) -> Result<bool, ReleaseFailed> {
    let mut kube = kube_target(&session.global, release);
    kube.namespace = namespace_of(&session.global, release);
    let request = StatusRequest { kube, release_name: release.name.clone() };
    match call_helm(Arc::clone(&session.ctx.backend), move |helm, call| helm.status(call, &request)).await {
        Ok(status) => Ok(status.status != "uninstalled"),
        Err(HelmError::ReleaseNotFound { .. }) => Ok(false),
        Err(e) => Err(ReleaseFailed::new(release, e)),
    }
}
