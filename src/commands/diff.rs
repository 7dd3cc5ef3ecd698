//! `helmfire diff`: what upgrading each selected release would change in
//! the live cluster, computed in-process (no helm-diff plugin): the desired
//! objects from a server dry run, compared with the live objects through a
//! server-side dry-run apply, so changes made by hand in the cluster show up.

use std::sync::Arc;

use serde::Serialize;

use super::charts::{PreparedCharts, prepare_selected};
use super::selection::{Selected, check_any_matched, plan};
use super::sync::upgrade_request;
use super::{Context, ExitStatus};
use crate::cli::{DeploySettings, GlobalSettings};
use crate::exec::{call_helm, run_ordered};
use crate::helm::{DiffOutput, DiffRequest, HelmError};
use crate::output::report;
use crate::state::Release;

/// How `diff` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum DiffFormat {
    /// helm-diff's unified diff.
    #[default]
    Diff,
    /// One line per changed object.
    Simple,
    /// JSON.
    Json,
}

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

/// Shows what would change.
pub struct DiffCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Deploy settings (what the upgrade would use).
    pub settings: DeploySettings,
    /// Diff options.
    pub options: DiffOptions,
    /// Shared context.
    pub ctx: Context,
}

impl DiffCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let files = super::load_state(&self.global, &self.ctx)?;
        let selected = plan(&files, &self.global, self.settings.needs.for_with_needs())?;
        if let Some(status) = check_any_matched(&selected, &self.global, &self.ctx.printer) {
            return Ok(status);
        }
        let render = &self.settings.render;
        let (repositories, charts) =
            prepare_selected(&files, &selected, &self.ctx, &self.global, render.skip_deps, render.skip_refresh).await?;
        let config = repositories.as_ref().map(|r| r.config.clone()).unwrap_or_default();
        let diffs =
            diff_releases(&self.global, &self.settings, &self.options, &selected, &charts, &config, &self.ctx).await;
        let (changed, failed) = print_diffs(&self.ctx, &self.options, &diffs)?;
        super::hooks::cleanup(&self.ctx, &selected);
        Ok(if failed {
            ExitStatus::Failure
        } else if changed && self.options.detailed_exitcode {
            ExitStatus::Changes
        } else {
            ExitStatus::Success
        })
    }
}

/// The diff of every selected release that is to be installed, in order.
pub(crate) async fn diff_releases(
    global: &GlobalSettings,
    settings: &DeploySettings,
    options: &DiffOptions,
    selected: &[Selected<'_>],
    charts: &PreparedCharts,
    repository_config: &str,
    ctx: &Context,
) -> Vec<(Release, Result<DiffOutput, HelmError>)> {
    let requests: Vec<(Release, DiffRequest)> = selected
        .iter()
        .flat_map(|s| s.releases.iter().filter(|r| r.installed).map(move |r| (s, r)))
        .map(|(s, release)| {
            let upgrade =
                upgrade_request(global, settings, &s.file.doc.helm_defaults, release, charts, repository_config);
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
            async move { (release, call_helm(backend, move |helm, call| helm.diff(call, &request)).await) }
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

/// Prints the diffs; returns whether anything changes and whether a diff
/// failed (each failure is reported).
pub(crate) fn print_diffs(
    ctx: &Context,
    options: &DiffOptions,
    diffs: &[(Release, Result<DiffOutput, HelmError>)],
) -> anyhow::Result<(bool, bool)> {
    let mut changed = false;
    let mut failed = false;
    let mut json = Vec::new();
    for (release, result) in diffs {
        let output = match result {
            Ok(output) => output,
            Err(error) => {
                failed = true;
                report(&ctx.printer, &anyhow::anyhow!("release `{}`: {error}", release.name));
                continue;
            }
        };
        changed |= !output.changes.is_empty();
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
    Ok((changed, failed))
}
