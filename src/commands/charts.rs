//! Getting each release's chart ready before it is rendered, as helmfile's
//! chart preparation does: remote charts pulled into the chart cache (all
//! at once, see `chart_cache.rs`), then a wrapper chart for ad-hoc
//! `dependencies:` (helmfile's chartify), then `helm dependency build` of
//! local charts (unless `--skip-deps` / `skipDeps`). The last two run in
//! release order, one at a time, as helmfile does them, so the log reads
//! the same.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

use super::Context;
use super::chart_cache::{PullSettings, ReleaseKey, pull_selected, release_key as key};
use super::hooks::{Event, trigger};
use super::registry::registry_access;
use super::repos::{PreparedRepositories, Refresh};
use crate::cli::GlobalSettings;
use crate::exec::call_helm;
use crate::helm::{AdhocDependency, ChartPullOutput, ChartifyRequest, DepsBuildRequest, RegistryAccess, ValueSource};
use crate::state::{ChartSource, Release, StateFile};

/// Whether local charts get their dependencies built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dependencies {
    /// Build them (helmfile's default).
    Build,
    /// `--skip-deps`.
    Skip,
}

/// The charts to render instead of the ones written, and the work
/// directory holding wrapper charts (removed when dropped).
pub(crate) struct PreparedCharts {
    _work: tempfile::TempDir,
    replaced: HashMap<ReleaseKey, String>,
    values: HashMap<ReleaseKey, Vec<ValueSource>>,
}

impl PreparedCharts {
    /// The resolved values of `release` (empty for a release that was not
    /// prepared).
    pub(crate) fn values_for(&self, release: &Release) -> Vec<ValueSource> {
        self.values.get(&key(release)).cloned().unwrap_or_default()
    }

    /// The chart to render for `release`, when preparation replaced it (a
    /// cached archive of a remote chart, or a wrapper chart).
    pub(crate) fn chart_for(&self, release: &Release) -> Option<&str> {
        self.replaced.get(&key(release)).map(String::as_str)
    }
}

/// Registers the state's repositories, then prepares the charts of the
/// selected releases that are to be installed: what `template`, `lint`
/// and the cluster commands do before rendering.
pub(crate) async fn prepare_selected(
    files: &[StateFile],
    selected: &[super::selection::Selected<'_>],
    ctx: &Context,
    global: &GlobalSettings,
    skip_deps: bool,
    skip_refresh: bool,
) -> anyhow::Result<(Option<PreparedRepositories>, PreparedCharts)> {
    // helmfile's `prepare` hooks: the state's, then each release's, before
    // anything is fetched or built.
    for group in selected {
        trigger(ctx, Event::Prepare, group.file, None, None)?;
        for release in group.releases.iter().filter(|r| r.installed) {
            trigger(ctx, Event::Prepare, group.file, Some(release), None)?;
        }
    }
    // helmfile skips `helm repo add/update` with either flag.
    let offline = skip_refresh || skip_deps;
    let refresh = if offline { Refresh::Skip } else { Refresh::Always };
    let repositories = super::repos::prepare(files, ctx, refresh).await?;
    let registry = registry_access(files, global.oci_plain_http);
    let repository_config = repositories.as_ref().map(|r| r.config.clone()).unwrap_or_default();
    let pull = PullSettings {
        cache_dir: &global.cache_dir,
        repository_config: &repository_config,
        registry: &registry,
        offline,
    };
    let pulled = pull_selected(selected, ctx, &pull).await?;
    let values = resolve_selected_values(selected, ctx, global)?;
    let to_render = selected.iter().flat_map(|s| s.releases.iter().copied()).filter(|r| r.installed);
    let dependencies = if skip_deps { Dependencies::Skip } else { Dependencies::Build };
    let namespace_override = global.namespace_override.clone();
    let how =
        Preparation { repository_config, registry, dependencies, skip_refresh, pulled, namespace_override, values };
    let charts = prepare(to_render, ctx, &how).await?;
    Ok((repositories, charts))
}

/// What [`prepare`] works with.
pub(crate) struct Preparation {
    pub repository_config: String,
    pub registry: RegistryAccess,
    pub dependencies: Dependencies,
    pub skip_refresh: bool,
    /// The releases' remote charts, already in the cache.
    pub pulled: HashMap<ReleaseKey, ChartPullOutput>,
    /// `-n`, for the render strategicMergePatches apply to.
    pub namespace_override: Option<String>,
    /// The releases' resolved values.
    pub values: HashMap<ReleaseKey, Vec<ValueSource>>,
}

/// The values of the selected releases that are to be installed, resolved
/// in release order (templates rendered), as helmfile resolves them when
/// it builds each release's flags.
fn resolve_selected_values(
    selected: &[super::selection::Selected<'_>],
    ctx: &Context,
    global: &GlobalSettings,
) -> anyhow::Result<HashMap<ReleaseKey, Vec<ValueSource>>> {
    let engine = super::engine::ShimEngine::new(Arc::clone(&ctx.backend));
    let namespace = global.namespace_override.as_deref().unwrap_or_default();
    let mut values = HashMap::new();
    for group in selected {
        for release in group.releases.iter().filter(|r| r.installed) {
            let resolved = crate::pipeline::resolve_values(group.file, release, namespace, &engine)?;
            values.insert(key(release), resolved.iter().map(|v| v.to_source()).collect());
        }
    }
    Ok(values)
}

/// Prepares the charts of `releases` (in order).
pub(crate) async fn prepare<'a>(
    releases: impl IntoIterator<Item = &'a Release>,
    ctx: &Context,
    how: &Preparation,
) -> anyhow::Result<PreparedCharts> {
    let work = tempfile::Builder::new().prefix("helmfire-charts-").tempdir().context("creating a temp directory")?;
    let repository_config = how.repository_config.clone();
    let mut replaced = HashMap::new();
    let mut built = std::collections::HashSet::new();
    for (index, release) in releases.into_iter().enumerate() {
        let base_dir = release.location.path.parent().unwrap_or(Path::new("."));
        let pulled = how.pulled.get(&key(release));
        let mut chart = match (&release.chart, pulled) {
            (ChartSource::Local(path), _) => path.display().to_string(),
            (ChartSource::Remote(_), Some(pulled)) => {
                replaced.insert(key(release), pulled.path.clone());
                pulled.path.clone()
            }
            (ChartSource::Remote(reference), None) => {
                anyhow::bail!("release `{}`: chart {reference} was not pulled (a helmfire bug)", release.name)
            }
        };
        let refresh = how.skip_refresh || release.skip_refresh;
        if !release.dependencies.is_empty() || !release.strategic_merge_patches.is_empty() {
            let patches: Vec<serde_json::Value> = release
                .strategic_merge_patches
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()
                .with_context(|| format!("release `{}`: strategicMergePatches", release.name))?;
            // chartify renders with helm's --include-crds unless told otherwise.
            let render = (!patches.is_empty()).then(|| {
                let settings = crate::cli::TemplateSettings { include_crds: true, ..Default::default() };
                let values = how.values.get(&key(release)).cloned().unwrap_or_default();
                let mut request = super::release_request::template_request(
                    release,
                    values,
                    how.namespace_override.as_deref(),
                    &settings,
                );
                request.repository_config = repository_config.clone();
                request
            });
            let request = ChartifyRequest {
                release_name: release.name.clone(),
                chart: chart.clone(),
                remote: pulled.is_some(),
                dependencies: release.dependencies.iter().map(|d| adhoc(d, base_dir)).collect(),
                repository_config: repository_config.clone(),
                work_dir: work.path().join(index.to_string()).display().to_string(),
                skip_refresh: refresh,
                registry: how.registry.clone(),
                strategic_merge_patches: patches,
                render,
                skip_deps: how.dependencies == Dependencies::Skip || release.skip_deps,
            };
            let out = call_helm(Arc::clone(&ctx.backend), move |helm, call| helm.chartify(call, &request))
                .await
                .with_context(|| {
                    format!("release `{}`: building the wrapper chart for its dependencies", release.name)
                })?;
            ctx.printer.debug(out.log.trim_end());
            chart = out.chart;
            replaced.insert(key(release), chart.clone());
        }
        let local = matches!(release.chart, ChartSource::Local(_));
        if local && how.dependencies == Dependencies::Build && !release.skip_deps {
            let shown = if release.dependencies.is_empty() { release.chart_ref.clone() } else { chart.clone() };
            ctx.printer.info(&format!("Building dependency release={}, chart={shown}", release.name));
            // Many releases often share one chart: helmfile builds it again
            // for each; once per run is enough (wrapper charts are unique).
            if !built.insert(chart.clone()) {
                continue;
            }
            let request = DepsBuildRequest {
                chart: chart.clone(),
                repository_config: repository_config.clone(),
                skip_refresh: refresh,
                registry: how.registry.clone(),
            };
            let out = call_helm(Arc::clone(&ctx.backend), move |helm, call| helm.deps_build(call, &request))
                .await
                .with_context(|| {
                    format!("release `{}`: building the dependencies of chart {}", release.name, release.chart_ref)
                })?;
            for line in out.log.lines() {
                ctx.printer.info(line);
            }
        }
    }
    Ok(PreparedCharts { _work: work, replaced, values: how.values.clone() })
}

/// A dependency as chartify takes it: local paths made absolute.
fn adhoc(dependency: &crate::state::DependencySpec, base_dir: &Path) -> AdhocDependency {
    let chart = &dependency.chart;
    let local = chart.starts_with('.') || chart.starts_with('/') || base_dir.join(chart).is_dir();
    let chart = if local {
        let path = base_dir.join(chart);
        std::path::absolute(&path).unwrap_or(path).display().to_string()
    } else {
        chart.clone()
    };
    AdhocDependency { chart, version: dependency.version.clone(), alias: dependency.alias.clone() }
}
