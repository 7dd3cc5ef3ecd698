//! What upgrading each selected release would change in the live cluster,
//! computed in-process (no helm-diff plugin): the desired objects from a
//! server dry run, compared with the live objects through a server-side
//! dry-run apply, so changes made by hand in the cluster show up. Shared by
//! `diff`, `apply` and the daemon.

use std::sync::Arc;

use serde::Serialize;

use super::context::{Context, ExitStatus};
use super::error::{ReleaseError, ReleaseFailed};
use super::prepare::{PrepareOptions, Prepared, prepare};
use super::requests::upgrade_request;
use super::selection::Selected;
use super::session::Session;
use crate::cli::{DeploySettings, DiffFormat};
use crate::exec::{call_helm, run_ordered};
use crate::helm::{DiffOutput, DiffRequest};
use crate::output::report;
use crate::state::Release;

/// Options of `diff` (and of the diff `apply` shows).
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// `--context`: lines of context.
    pub context_lines: i32,
    /// `--show-secrets`.
    pub show_secrets: bool,
    /// `--suppress-secrets`: leave Secret diffs out.
    pub suppress_secrets: bool,
    /// `--include-tests`.
    pub include_tests: bool,
    /// `--output`.
    pub format: DiffFormat,
    /// `--detailed-exitcode`: exit 2 when there are changes.
    pub detailed_exitcode: bool,
    /// `--force-conflicts`: a conflict the diff finds is taken over, not a
    /// failure to warn about.
    pub force_conflicts: bool,
}

impl DiffOptions {
    /// What the daemon's syncs show: one line per changed object, Secrets
    /// left out.
    pub(crate) fn quiet() -> DiffOptions {
        DiffOptions {
            context_lines: 3,
            show_secrets: false,
            suppress_secrets: true,
            include_tests: false,
            format: DiffFormat::Simple,
            detailed_exitcode: false,
            force_conflicts: false,
        }
    }
}

/// `helmfire diff`: prints what a sync would change; the status says whether
/// anything would (with `--detailed-exitcode`).
pub(crate) async fn diff(
    session: &Session,
    settings: &DeploySettings,
    options: &DiffOptions,
) -> anyhow::Result<ExitStatus> {
    let selected = session.plan(settings.needs.for_with_needs())?;
    if let Some(status) = session.no_match(&selected) {
        return Ok(status);
    }
    let render = &settings.render;
    let prepare_options =
        PrepareOptions { skip_deps: render.skip_deps, skip_refresh: render.skip_refresh, verify_provenance: false };
    let prepared = prepare(session, &selected, prepare_options).await?;
    let diffs = diff_releases(session, &selected, &prepared, settings, options).await;
    let shown = print_diffs(&session.ctx, options, diffs)?;
    super::hooks::cleanup(&session.ctx, &selected);
    Ok(if let Some(signal) = session.ctx.shutdown.signal() {
        ExitStatus::Interrupted(signal)
    } else if shown.failed {
        ExitStatus::Failure
    } else if !shown.changed.is_empty() && options.detailed_exitcode {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// The diff of every selected release that is to be installed, in order.
pub(crate) async fn diff_releases(
    session: &Session,
    selected: &[Selected<'_>],
    prepared: &Prepared,
    settings: &DeploySettings,
    options: &DiffOptions,
) -> Vec<(Release, Result<DiffOutput, ReleaseError>)> {
    let ctx = &session.ctx;
    let requests: Vec<(Release, DiffRequest)> = selected
        .iter()
        .flat_map(|s| s.releases.iter().filter(|r| r.installed))
        .map(|release| {
            let upgrade = upgrade_request(session, prepared, release, settings);
            let request = DiffRequest {
                upgrade,
                context_lines: options.context_lines,
                show_secrets: options.show_secrets,
                include_tests: options.include_tests,
            };
            ((*release).clone(), request)
        })
        .collect();
    let mut out = Vec::with_capacity(requests.len());
    let backend = Arc::clone(&ctx.backend);
    run_ordered(
        requests,
        // Diffs wait on the API server as much as they compute.
        settings.render.concurrency.for_in_process(2),
        |(release, request)| {
            let backend = Arc::clone(&backend);
            ctx.printer.info(&format!("Comparing release={}, chart={}", release.name, release.chart_ref));
            async move {
                let result = call_helm(backend, move |helm, call| helm.diff(call, &request)).await;
                (release, result.map_err(ReleaseError::from))
            }
        },
        |_, result| out.push(result),
    )
    .await;
    out
}

#[derive(Serialize)]
struct JsonChange<'a> {
    release: &'a str,
    #[serde(flatten)]
    change: &'a crate::helm::DiffChange,
}

/// What the diffs showed.
pub(crate) struct Shown {
    /// The releases whose diff found changes.
    pub changed: Vec<Release>,
    /// Whether a diff failed (each failure was reported).
    pub failed: bool,
}

/// Prints the diffs and reports the failures.
pub(crate) fn print_diffs(
    ctx: &Context,
    options: &DiffOptions,
    diffs: Vec<(Release, Result<DiffOutput, ReleaseError>)>,
) -> anyhow::Result<Shown> {
    let mut shown = Shown { changed: Vec::new(), failed: false };
    let mut outputs = Vec::new();
    for (release, result) in diffs {
        match result {
            Ok(output) => outputs.push((release, output)),
            Err(error) => {
                shown.failed = true;
                if !error.cancelled() {
                    report(&ctx.printer, &anyhow::Error::new(ReleaseFailed::new(&release, error)));
                }
            }
        }
    }
    let mut json = Vec::new();
    for (release, output) in &outputs {
        for change in &output.changes {
            let secret = change.kind == "Secret";
            match options.format {
                DiffFormat::Json => json.push(JsonChange { release: &output.release, change }),
                DiffFormat::Simple => ctx.printer.stdout(&format!(
                    "{}: {} {} {}/{}\n",
                    output.release, change.action, change.kind, change.namespace, change.name
                ))?,
                DiffFormat::Diff if secret && options.suppress_secrets => ctx.printer.stdout(&format!(
                    "{}, {}, Secret has changed, but the diff is hidden (--suppress-secrets)\n",
                    change.namespace, change.name
                ))?,
                DiffFormat::Diff => {
                    let mut text = change.diff.clone();
                    if !text.ends_with('\n') {
                        text.push('\n');
                    }
                    ctx.printer.stdout(&ctx.printer.colorize_diff(&text))?;
                }
            }
            let forced = options.force_conflicts || release.force_conflicts;
            if !change.conflict.is_empty() && !forced {
                ctx.printer.warn(&format!(
                    "{} {} of release `{}`: the upgrade would fail: {}; pass --force-conflicts (or set forceConflicts) to take the fields back",
                    change.kind, change.name, release.name, change.conflict
                ));
            }
        }
    }
    if options.format == DiffFormat::Json {
        ctx.printer.stdout(&(serde_json::to_string_pretty(&json)? + "\n"))?;
    }
    shown.changed = outputs.into_iter().filter(|(_, o)| !o.changes.is_empty()).map(|(r, _)| r).collect();
    Ok(shown)
}
