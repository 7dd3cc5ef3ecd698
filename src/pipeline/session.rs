//! The opening every command shares: the state loaded as the global flags
//! say (state values files read, development substitutions applied), then
//! the releases the command acts on selected, and helmfile's exit code 3
//! when the selectors match nothing.

use std::sync::Arc;

use anyhow::Context as _;
use serde_yaml_ng::Value;

use super::context::{Context, ExitStatus};
use super::engine::{RunId, ShimEngine};
use super::selection::{Selected, check_any_matched, filter, plan};
use crate::cli::GlobalSettings;
use crate::plan::{NeedsMode, PlanError, Selectors};
use crate::state::{self, LoadOptions, SetKind, StateFile, merge_values, parse_set};
use crate::substitute::Substitutions;

/// A loaded state and what every stage after loading needs.
#[derive(Clone)]
pub struct Session {
    /// The global flags.
    pub global: GlobalSettings,
    /// The SDK, the printer, the shutdown state.
    pub ctx: Context,
    /// The development substitutions in force (`helmfire chart|image`).
    pub substitutions: Substitutions,
    /// The state files, in helmfile's order.
    pub files: Arc<Vec<StateFile>>,
    /// This run: secret references are fetched once in it.
    pub run: RunId,
}

impl Session {
    /// Reads the substitutions file and the `--state-values-*` flags, then
    /// loads the state, rendering templates in the shim. Chart
    /// substitutions replace the charts they name in every release.
    pub fn open(global: &GlobalSettings, ctx: &Context) -> anyhow::Result<Session> {
        let substitutions = if global.no_substitutions {
            Substitutions::default()
        } else {
            Substitutions::load(&global.substitutions_file)?
        };
        let overrides = state_overrides(global)?;
        let run = RunId::next();
        let engine = ShimEngine::for_run(Arc::clone(&ctx.backend), run).with_cache(&global.cache_dir);
        let namespace = global.namespace_override.as_deref().unwrap_or_default();
        let selectors_conflict = |own: &[String]| {
            // helmfile compares only with selectors given on the command line.
            !global.selectors.is_empty()
                && Selectors::parse(own.iter().map(String::as_str))
                    .is_ok_and(|own| !global.selectors.compatible_with(&own))
        };
        let opts = LoadOptions {
            environment: &global.environment,
            overrides: &overrides,
            namespace,
            chart: global.chart_override.as_deref().unwrap_or_default(),
            engine: &engine,
            render_yaml: global.render_yaml,
            selectors_conflict: &selectors_conflict,
            inherited: None,
        };
        let mut files = state::load(&global.source, &opts)?;
        for file in &files {
            super::release_options::check_default_args(file)?;
        }
        if let Some(file) = files.iter().find(|f| !f.doc.kube_context.is_empty())
            && global.kube_context.is_some()
        {
            anyhow::bail!(
                "{} sets `kubeContext: {}` for every release, and --kube-context sets another; use one of them",
                file.path.display(),
                file.doc.kube_context
            );
        }
        for skipped in files.iter().flat_map(|f| &f.skipped) {
            say_skipped(&ctx.printer, skipped);
        }
        for release in files.iter_mut().flat_map(|f| f.releases.iter_mut()) {
            if let Some(path) = substitutions.chart_for(&release.chart_ref) {
                release.chart = state::ChartSource::Local(path.to_path_buf());
            }
        }
        Ok(Session { global: global.clone(), ctx: ctx.clone(), substitutions, files: Arc::new(files), run })
    }

    /// The selected releases of every file in needs order (`needs` says
    /// how needs widen or narrow the selection).
    pub(crate) fn plan(&self, needs: NeedsMode) -> Result<Vec<Selected<'_>>, PlanError> {
        plan(&self.files, &self.global, needs)
    }

    /// The selected releases of every file in declaration order, as
    /// helmfile's list-like commands select them.
    pub(crate) fn filter(&self) -> Result<Vec<Selected<'_>>, PlanError> {
        filter(&self.files, &self.global)
    }

    /// `--enforce-needs-are-installed` (when `enforce`): a selected release
    /// that needs one marked `installed: false` is an error, before
    /// anything runs.
    pub(crate) fn enforce_needs_installed(&self, selected: &[Selected<'_>], enforce: bool) -> anyhow::Result<()> {
        if !enforce {
            return Ok(());
        }
        let uninstalled: std::collections::HashSet<String> =
            self.files.iter().flat_map(|f| &f.releases).filter(|r| !r.installed).map(crate::plan::release_id).collect();
        for release in selected.iter().flat_map(|s| s.releases.iter()).filter(|r| r.installed) {
            if let Some(need) = crate::plan::resolved_needs(release).into_iter().find(|n| uninstalled.contains(n)) {
                anyhow::bail!(
                    "{}: release `{}` needs `{need}`, which is `installed: false`, and --enforce-needs-are-installed is given; install it or drop the need",
                    release.location,
                    release.name
                );
            }
        }
        Ok(())
    }

    /// helmfile's exit code 3 when the selectors matched nothing (reported).
    pub(crate) fn no_match(&self, selected: &[Selected<'_>]) -> Option<ExitStatus> {
        check_any_matched(selected, &self.global, &self.ctx.printer)
    }

    /// Says which substitutions are in force, before a command acts on the
    /// cluster with them: a development chart or image is never deployed
    /// without a word (shown even with `-q`), and never in an environment
    /// a state file forbids them in (`helmfire.substitutions.forbidIn`).
    pub(crate) fn announce_substitutions(&self) -> anyhow::Result<()> {
        let subs = &self.substitutions;
        if subs.charts.is_empty() && subs.images.is_empty() {
            return Ok(());
        }
        let file = self.global.substitutions_file.display();
        let environment = &self.global.environment;
        if let Some(state) = self.files.iter().find(|f| f.doc.helmfire.substitutions.forbid_in.contains(environment)) {
            anyhow::bail!(
                "{} forbids substitutions in environment `{environment}` (helmfire.substitutions.forbidIn), and {file} has some; remove them (`helmfire list charts|images`, `helmfire remove`) or pass --no-substitutions",
                state.path.display()
            );
        }
        for (original, path) in &subs.charts {
            self.ctx.printer.always(&format!(
                "substitution in force: chart `{original}` is the local chart {} ({file}; --no-substitutions ignores it)",
                path.display()
            ));
        }
        for (original, replacement) in &subs.images {
            self.ctx.printer.always(&format!(
                "substitution in force: image `{original}` is `{replacement}` ({file}; --no-substitutions ignores it)"
            ));
        }
        Ok(())
    }

    /// The image substitutions in force, original first.
    pub fn image_substitutions(&self) -> Vec<(String, String)> {
        self.substitutions.image_pairs()
    }

    /// The template engine of this run.
    pub fn engine(&self) -> ShimEngine {
        ShimEngine::for_run(Arc::clone(&self.ctx.backend), self.run).with_cache(&self.global.cache_dir)
    }

    /// The state file a release comes from.
    pub(crate) fn file_of(&self, release: &state::Release) -> Option<&StateFile> {
        self.files.iter().find(|f| f.path == release.location.path)
    }
}

/// A line about a file `missingFileHandler` skipped, at its level.
pub(crate) fn say_skipped(printer: &crate::output::Printer, skipped: &state::Skipped) {
    match skipped.level {
        state::MissingFileHandler::Warn => printer.warn(&skipped.message),
        state::MissingFileHandler::Info => printer.info(&skipped.message),
        state::MissingFileHandler::Debug | state::MissingFileHandler::Error => printer.debug(&skipped.message),
    }
}

/// The state values the command line sets, in helmfile's order of
/// precedence (later wins): files, `--state-values-set`,
/// `--state-values-set-string`.
fn state_overrides(global: &GlobalSettings) -> anyhow::Result<Value> {
    let flags = &global.state_values;
    let mut merged = Value::Mapping(Default::default());
    for file in &flags.files {
        let text = crate::state::read_input(file).context("reading --state-values-file")?;
        let value = crate::yaml::values_from_str(&text)
            .with_context(|| format!("parsing --state-values-file {}", file.display()))?;
        merge_values(&mut merged, value);
    }
    let sets = flags.set.iter().map(|s| (s, SetKind::Typed));
    let strings = flags.set_string.iter().map(|s| (s, SetKind::String));
    for (expression, kind) in sets.chain(strings) {
        let value = parse_set(expression, kind)
            .map_err(|e| anyhow::anyhow!("invalid --state-values-set `{expression}`: {e}"))?;
        merge_values(&mut merged, value);
    }
    Ok(merged)
}
