//! Each release's chart made ready to render, after the pulls: a wrapper
//! chart for ad-hoc `dependencies:` and `strategicMergePatches` (helmfile's
//! chartify), then `helm dependency build` of local charts (unless
//! `--skip-deps` / `skipDeps`). Both run in release order, one at a time,
//! as helmfile does them, so the log reads the same.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

use super::cache::{ReleaseKey, release_key as key};
use crate::exec::call_helm;
use crate::helm::{
    AdhocDependency, ChartPullOutput, ChartifyRequest, DepsBuildRequest, RegistryAccess, TransformerConfig,
};
use crate::pipeline::{Context, ReleaseValues};
use crate::state::{ChartSource, Release};

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
    values: HashMap<ReleaseKey, ReleaseValues>,
}

impl PreparedCharts {
    /// The resolved values of `release` (empty for a release that was not
    /// prepared).
    pub(crate) fn values_for(&self, release: &Release) -> ReleaseValues {
        self.values.get(&key(release)).cloned().unwrap_or_default()
    }

    /// The chart to render for `release`, when preparation replaced it (a
    /// cached archive of a remote chart, or a wrapper chart).
    pub(crate) fn chart_for(&self, release: &Release) -> Option<&str> {
        self.replaced.get(&key(release)).map(String::as_str)
    }
}

/// What [`prepare`] works with.
/// A release's patches with its `.gotmpl` files rendered.
#[derive(Debug, Clone, Default)]
pub(crate) struct RenderedPatches {
    /// `strategicMergePatches`.
    pub strategic_merge: Vec<serde_yaml_ng::Value>,
    /// `jsonPatches`.
    pub json: Vec<serde_yaml_ng::Value>,
    /// `transformers`.
    pub transformers: Vec<crate::state::Transformer>,
}

pub(crate) struct Preparation {
    pub repository_config: String,
    pub registry: RegistryAccess,
    pub dependencies: Dependencies,
    pub skip_refresh: bool,
    /// The releases' remote charts, already in the cache.
    pub pulled: HashMap<ReleaseKey, ChartPullOutput>,
    /// `-n`, for the render strategicMergePatches apply to.
    pub namespace_override: Option<String>,
    /// Image substitutions in force, for that render.
    pub image_substitutions: Vec<(String, String)>,
    /// The releases' resolved values.
    pub values: HashMap<ReleaseKey, ReleaseValues>,
    /// The patches of releases with `.gotmpl` patch files, rendered.
    pub patches: HashMap<ReleaseKey, RenderedPatches>,
    /// Where the go-getter charts were fetched.
    pub fetched: HashMap<ReleaseKey, std::path::PathBuf>,
    /// The template data of releases whose chart is a directory chartify
    /// turns into a chart (kustomize or plain manifests).
    pub template_data: HashMap<ReleaseKey, serde_json::Value>,
}

/// Prepares the charts of `releases` (in order).
pub(crate) async fn build<'a>(
    releases: impl IntoIterator<Item = &'a Release>,
    ctx: &Context,
    how: &Preparation,
) -> anyhow::Result<PreparedCharts> {
    let work = tempfile::Builder::new()
        .prefix("helmfire-charts-")
        .tempdir_in(crate::env_vars::temp_dir())
        .context("creating a temp directory")?;
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
            (ChartSource::Fetched(reference), _) => {
                let Some(path) = how.fetched.get(&key(release)) else {
                    anyhow::bail!("release `{}`: chart {reference} was not fetched (a helmfire bug)", release.name)
                };
                let path = path.display().to_string();
                replaced.insert(key(release), path.clone());
                path
            }
        };
        let refresh = how.skip_refresh || release.skip_refresh;
        // What makes helmfile run chartify on a release: a directory that is
        // not a chart (kustomize, plain manifests), patches, a namespace.
        let generated = how.template_data.get(&key(release));
        let rewrites = generated.is_some()
            || !release.strategic_merge_patches.is_empty()
            || !release.json_patches.is_empty()
            || !release.transformers.is_empty()
            || !release.force_namespace.is_empty();
        if !release.dependencies.is_empty() || rewrites {
            let as_json = |patches: &[serde_yaml_ng::Value]| -> Vec<serde_json::Value> {
                patches.iter().map(crate::yaml::to_json).collect()
            };
            // chartify renders with helm's --include-crds unless told otherwise.
            let render = rewrites.then(|| {
                let settings = crate::cli::TemplateSettings { include_crds: true, ..Default::default() };
                let values = how.values.get(&key(release)).cloned().unwrap_or_default();
                let mut request = crate::pipeline::requests::render_request(
                    release,
                    values,
                    how.namespace_override.as_deref(),
                    &settings,
                    &how.image_substitutions,
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
                strategic_merge_patches: as_json(
                    how.patches.get(&key(release)).map_or(&release.strategic_merge_patches, |p| &p.strategic_merge),
                ),
                json_patches: as_json(how.patches.get(&key(release)).map_or(&release.json_patches, |p| &p.json)),
                transformers: how
                    .patches
                    .get(&key(release))
                    .map_or(&release.transformers, |p| &p.transformers)
                    .iter()
                    .map(|t| TransformerConfig { text: t.text.clone(), dir: t.dir.display().to_string() })
                    .collect(),
                force_namespace: release.force_namespace.clone(),
                template_data: generated.cloned(),
                render,
                skip_deps: how.dependencies == Dependencies::Skip || release.skip_deps,
            };
            let out = call_helm(Arc::clone(&ctx.backend), move |helm, call| helm.chartify(call, &request))
                .await
                .with_context(|| format!("release `{}`: building its chart with chartify", release.name))?;
            ctx.printer.debug(out.log.trim_end());
            chart = out.chart;
            replaced.insert(key(release), chart.clone());
        }
        // A fetched chart is a local one once fetched, as in helmfile.
        let local = matches!(release.chart, ChartSource::Local(_) | ChartSource::Fetched(_));
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
