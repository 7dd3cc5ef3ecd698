//! What upgrading each selected release would change in the live cluster,
//! computed in-process (no helm-diff plugin): the desired objects from a
//! server dry run, compared with the live objects through a server-side
//! dry-run apply, so changes made by hand in the cluster show up. Shared by
//! `diff`, `apply` and the daemon.

use std::sync::Arc;

use serde::Serialize;

use super::context::ExitStatus;
use super::error::{ReleaseError, ReleaseFailed};
use super::prepare::{PrepareOptions, Prepared, prepare};
use super::requests::upgrade_request;
use super::selection::Selected;
use super::session::Session;
use crate::cli::{DeploySettings, DiffFormat};
use crate::exec::{call_helm, run_ordered};
use crate::helm::{DiffOutput, DiffRequest};
use crate::state::Release;

/// Options of `diff` (and of the diff `apply` shows).
#[derive(Debug, Clone, Default)]
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
    /// `--suppress KIND`: objects of these kinds are left out.
    pub suppress_kinds: Vec<String>,
    /// `--suppress-output-line-regex`: changed lines matching one of these
    /// are left out, and a change left with no changed line with them.
    pub suppress_lines: Vec<regex::Regex>,
    /// `--strip-trailing-cr`: lines differing only by a final carriage
    /// return are the same.
    pub strip_trailing_cr: bool,
    /// `apply --suppress-diff`: compare, but print no diff.
    pub hide_all: bool,
    /// `--skip-diff-on-install`: print no diff for releases not installed
    /// yet (they are still installed).
    pub hide_new_releases: bool,
    /// `--skip-diff-validation-on-install`: no OpenAPI validation in the
    /// diff of a release not installed yet.
    pub skip_validation_on_install: bool,
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
            suppress_kinds: Vec::new(),
            suppress_lines: Vec::new(),
            strip_trailing_cr: false,
            hide_all: false,
            hide_new_releases: false,
            skip_validation_on_install: false,
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
    session.announce_substitutions()?;
    let selected = session.plan(settings.needs.for_with_needs())?;
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
        PrepareOptions { skip_deps: render.skip_deps, skip_refresh: render.skip_refresh, verify_provenance: false };
    let prepared = prepare(session, &selected, prepare_options).await?;
    let diffs = diff_releases(session, &selected, &prepared, settings, options).await;
    let shown = print_diffs(session, options, diffs)?;
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

/// A name no earlier read-only phase of this process had.
fn read_only_phase() -> String {
    static PHASES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!("diff-{}", PHASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
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
    // No hook runs and nothing is written while the diffs run: they form
    // one read-only phase (go-shim/internal/kube/phase.go).
    let phase = read_only_phase();
    let proofs_dir = if std::env::var_os(crate::env_vars::HELMFIRE_NO_DIFF_PROOFS).is_some() {
        String::new()
    } else {
        session.global.cache_dir.display().to_string()
    };
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
                strip_trailing_cr: options.strip_trailing_cr,
                disable_validation_on_install: options.skip_validation_on_install
                    || release.spec.deferred_value("disableValidationOnInstall").and_then(|v| v.as_bool())
                        == Some(true),
                phase: phase.clone(),
                cache_dir: proofs_dir.clone(),
            };
            ((*release).clone(), request)
        })
        .collect();
    let mut out = Vec::with_capacity(requests.len());
    let backend = Arc::clone(&ctx.backend);
    let progress = Arc::new(crate::output::Progress::start(&ctx.printer, "comparing", requests.len()));
    run_ordered(
        requests,
        // Diffs wait on the API server as much as they compute.
        settings.render.concurrency.for_in_process(2),
        |(release, request)| {
            let backend = Arc::clone(&backend);
            let progress = Arc::clone(&progress);
            ctx.printer.info(&format!("Comparing release={}, chart={}", release.name, release.chart_ref));
            async move {
                let _shown = super::deploy::InFlight::new(&progress, &release.name);
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

/// An error with its causes, each said once (a cause that repeats the one
/// before it, as wrapped SDK errors do, is left out).
fn chain_text(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause = Some(error);
    while let Some(error) = cause {
        let text = error.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        cause = error.source();
    }
    parts.join(": ")
}

/// A release whose diff failed, in `--output json`.
#[derive(Serialize)]
struct JsonError {
    release: String,
    message: String,
}

/// `diff --output json`: `{"changes": [...], "errors": [...]}`; each change
/// is one object that would change, with its release; each error a release
/// that could not be diffed (also reported on stderr; the exit code is 1).
#[derive(Serialize)]
struct JsonReport<'a> {
    changes: Vec<JsonChange<'a>>,
    errors: Vec<JsonError>,
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
    session: &Session,
    options: &DiffOptions,
    diffs: Vec<(Release, Result<DiffOutput, ReleaseError>)>,
) -> anyhow::Result<Shown> {
    let ctx = &session.ctx;
    let mut shown = Shown { changed: Vec::new(), failed: false };
    let mut outputs = Vec::new();
    let mut errors = Vec::new();
    let mut failures = Vec::new();
    for (release, result) in diffs {
        match result {
            Ok(mut output) => {
                let patterns = release_line_patterns(session, &release)?;
                suppress(&mut output, options, &patterns);
                outputs.push((release, output));
            }
            Err(error) => {
                shown.failed = true;
                if !error.cancelled() {
                    let failure = ReleaseFailed::new(&release, error);
                    errors.push(JsonError { release: release.name.clone(), message: chain_text(&failure) });
                    failures.push(failure);
                }
            }
        }
    }
    super::error::report_failures(&ctx.printer, failures);
    let mut json = Vec::new();
    for (release, output) in &outputs {
        // A release's own `suppressDiff: true` hides its diff too.
        let suppressed = release.spec.deferred_value("suppressDiff").and_then(serde_yaml_ng::Value::as_bool);
        let hidden = options.hide_all || (options.hide_new_releases && !output.exists) || suppressed == Some(true);
        for change in &output.changes {
            let secret = change.kind == "Secret";
            match options.format {
                _ if hidden => {}
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
        let report = JsonReport { changes: json, errors };
        ctx.printer.stdout(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    }
    shown.changed = outputs.into_iter().filter(|(_, o)| !o.changes.is_empty()).map(|(r, _)| r).collect();
    Ok(shown)
}

/// Leaves out what `--suppress` and `--suppress-output-line-regex` ask to,
/// as helm-diff does: a suppressed change is no change (for the exit code
/// and for what apply upgrades).
fn suppress(output: &mut DiffOutput, options: &DiffOptions, release_patterns: &[regex::Regex]) {
    output.changes.retain(|change| !options.suppress_kinds.contains(&change.kind));
    let patterns: Vec<regex::Regex> = options.suppress_lines.iter().chain(release_patterns).cloned().collect();
    if patterns.is_empty() {
        return;
    }
    for change in &mut output.changes {
        change.diff = suppress_lines(&change.diff, &patterns);
    }
    output.changes.retain(|change| change.diff.lines().skip(1).any(is_changed_line));
}

/// The release's `suppressOutputLineRegex`, else helmDefaults', compiled.
fn release_line_patterns(session: &Session, release: &Release) -> anyhow::Result<Vec<regex::Regex>> {
    let defaults = session.file_of(release).map(|f| &f.doc.helm_defaults);
    let written = release
        .spec
        .deferred_value("suppressOutputLineRegex")
        .or_else(|| defaults.and_then(|d| d.deferred_value("suppressOutputLineRegex")));
    let Some(serde_yaml_ng::Value::Sequence(items)) = written else { return Ok(Vec::new()) };
    items
        .iter()
        .map(|item| {
            let text = item.as_str().unwrap_or_default();
            regex::Regex::new(text).map_err(|e| {
                anyhow::anyhow!(
                    "release `{}` ({}): suppressOutputLineRegex `{text}` is not a regular expression: {e}",
                    release.name,
                    release.location
                )
            })
        })
        .collect()
}

/// helm-diff's lines: a header, then lines prefixed `+ `, `- ` or `  `.
fn is_changed_line(line: &str) -> bool {
    line.starts_with("+ ") || line.starts_with("- ") || line == "+" || line == "-"
}

/// The diff text without the changed lines whose content (after the
/// prefix) matches one of `patterns`.
fn suppress_lines(diff: &str, patterns: &[regex::Regex]) -> String {
    let mut kept = String::with_capacity(diff.len());
    for (i, line) in diff.split_inclusive('\n').enumerate() {
        let content = line.trim_end_matches('\n');
        let suppressed =
            i > 0 && is_changed_line(content) && patterns.iter().any(|p| p.is_match(content.get(2..).unwrap_or("")));
        if !suppressed {
            kept.push_str(line);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: &str, diff: &str) -> crate::helm::DiffChange {
        crate::helm::DiffChange {
            kind: kind.to_string(),
            api_version: "v1".to_string(),
            namespace: "ns".to_string(),
            name: "x".to_string(),
            action: "update".to_string(),
            diff: diff.to_string(),
            conflict: String::new(),
        }
    }

    fn options(kinds: &[&str], lines: &[&str]) -> DiffOptions {
        DiffOptions {
            suppress_kinds: kinds.iter().map(ToString::to_string).collect(),
            suppress_lines: lines.iter().map(|l| regex::Regex::new(l).unwrap()).collect(),
            ..DiffOptions::quiet()
        }
    }

    fn output(changes: Vec<crate::helm::DiffChange>) -> DiffOutput {
        serde_json::from_value(serde_json::json!({
            "release": "r", "namespace": "ns", "exists": true, "changes": changes, "unchanged": 0
        }))
        .unwrap()
    }

    #[test]
    fn suppressed_kinds_are_no_change() {
        let mut out = output(vec![change("Secret", "h\n- a: 1\n+ a: 2\n"), change("ConfigMap", "h\n+ b: 1\n")]);
        suppress(&mut out, &options(&["Secret"], &[]), &[]);
        assert_eq!(out.changes.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>(), ["ConfigMap"]);
    }

    #[test]
    fn a_change_whose_changed_lines_are_all_suppressed_is_no_change() {
        let diff = "ns, x, ConfigMap (v1) has changed:\n  data:\n-   stamp: \"1\"\n+   stamp: \"2\"\n    keep: a\n";
        let mut out = output(vec![change("ConfigMap", diff), change("ConfigMap", "h\n- v: 1\n+ v: 2\n")]);
        suppress(&mut out, &options(&[], &["stamp:"]), &[]);
        assert_eq!(out.changes.len(), 1);
        assert_eq!(out.changes[0].diff, "h\n- v: 1\n+ v: 2\n");
        let mut partly = output(vec![change("ConfigMap", "h\n- stamp: 1\n+ stamp: 2\n+ v: 3\n")]);
        suppress(&mut partly, &options(&[], &["^stamp"]), &[]);
        assert_eq!(partly.changes[0].diff, "h\n+ v: 3\n");
    }
}
