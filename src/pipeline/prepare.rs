//! The prepare stage, between selecting releases and rendering them, as
//! helmfile orders it: `prepare` hooks, chart repositories registered (and
//! refreshed unless `--skip-refresh`/`--skip-deps`), remote charts pulled
//! into the chart cache, each release's values resolved, then charts built
//! (wrapper charts, dependency builds). What `template`, `lint` and the
//! cluster commands do before rendering.

use std::collections::HashMap;

use super::charts::build::{Dependencies, Preparation, PreparedCharts, RenderedPatches, build};
use super::charts::cache::{PullSettings, ReleaseKey, pull_selected, release_key};
use super::charts::registry::registry_access;
use super::charts::repos::{PreparedRepositories, Refresh};
use super::hooks::{Event, trigger};
use super::selection::Selected;
use super::session::Session;
use super::values::{Notices, ReleaseValues, ValuesContext, release_values};
use crate::state::{ChartSource, Fetched, Release, SourceKind, StateFile, TemplateEngine as _};

/// Whether the network may be used to refresh what is cached.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PrepareOptions {
    /// `--skip-deps`: no dependency builds, no repository refresh.
    pub skip_deps: bool,
    /// `--skip-refresh`: no repository refresh.
    pub skip_refresh: bool,
    /// Check chart provenance where releases ask for it (`verify`): the
    /// commands that deploy, as helmfile passes `--verify` to them only.
    pub verify_provenance: bool,
}

/// What preparation produced for the selected releases.
pub(crate) struct Prepared {
    /// The repositories registered for the run (None when there are none).
    pub repositories: Option<PreparedRepositories>,
    /// The charts to render instead of the ones written, and each release's
    /// resolved values.
    pub charts: PreparedCharts,
}

impl Prepared {
    /// The repositories file the SDK resolves `repo/chart` against.
    pub(crate) fn repository_config(&self) -> String {
        self.repositories.as_ref().map(|r| r.config.clone()).unwrap_or_default()
    }
}

/// Runs the prepare stage for `selected`.
pub(crate) async fn prepare(
    session: &Session,
    selected: &[Selected<'_>],
    options: PrepareOptions,
) -> anyhow::Result<Prepared> {
    let ctx = &session.ctx;
    let global = &session.global;
    check_names(selected)?;
    // helmfile's `prepare` hooks: the state's, then each release's, before
    // anything is fetched or built.
    for group in selected {
        trigger(ctx, Event::Prepare, group.file, None, None)?;
        for release in group.releases.iter().filter(|r| r.installed) {
            trigger(ctx, Event::Prepare, group.file, Some(release), None)?;
        }
    }
    // helmfile skips `helm repo add/update` with either flag.
    let offline = options.skip_refresh || options.skip_deps;
    let refresh = if offline { Refresh::Skip } else { Refresh::Always };
    let repositories = super::charts::repos::prepare(&session.files, ctx, refresh).await?;
    let registry = registry_access(&session.files, global.oci_plain_http);
    let repository_config = repositories.as_ref().map(|r| r.config.clone()).unwrap_or_default();
    let pull = PullSettings {
        cache_dir: &global.cache_dir,
        repository_config: &repository_config,
        registry: &registry,
        offline,
        verify_provenance: options.verify_provenance,
    };
    let pulled = pull_selected(selected, ctx, &pull).await?;
    let fetched = fetch_charts(session, selected)?;
    let template_data = generated_chart_data(session, selected);
    let values = resolve_selected_values(session, selected)?;
    let patches = render_patch_templates(session, selected)?;
    let to_render = selected.iter().flat_map(|s| s.releases.iter().copied()).filter(|r| r.installed);
    let how = Preparation {
        repository_config,
        registry,
        dependencies: if options.skip_deps { Dependencies::Skip } else { Dependencies::Build },
        skip_refresh: options.skip_refresh,
        pulled,
        fetched,
        template_data,
        namespace_override: global.namespace_override.clone(),
        image_substitutions: session.image_substitutions(),
        values,
        patches,
    };
    let charts = build(to_render, ctx, &how).await?;
    Ok(Prepared { repositories, charts })
}

/// Release names and namespaces are checked before anything is rendered
/// or written under them.
pub(crate) fn check_names(selected: &[Selected<'_>]) -> Result<(), crate::state::StateError> {
    selected.iter().flat_map(|s| s.releases.iter()).try_for_each(|r| r.check_names())
}

/// The go-getter charts of the selected releases, fetched into the source
/// cache (as helmfile fetches them before rendering).
fn fetch_charts(
    session: &Session,
    selected: &[Selected<'_>],
) -> anyhow::Result<HashMap<ReleaseKey, std::path::PathBuf>> {
    let engine = session.engine();
    let mut fetched = HashMap::new();
    for release in selected.iter().flat_map(|s| s.releases.iter()).filter(|r| r.installed) {
        let ChartSource::Fetched(source) = &release.chart else { continue };
        let path = match engine.fetch_source(source, SourceKind::Charts, false) {
            Ok(Fetched::Path(path)) if path.exists() => path,
            Ok(Fetched::Path(path)) => anyhow::bail!(
                "release `{}` ({}): chart {source}: what was fetched has no {}",
                release.name,
                release.location,
                path.display()
            ),
            Ok(Fetched::MissingRef) => {
                anyhow::bail!(
                    "release `{}` ({}): chart {source}: its ref does not exist",
                    release.name,
                    release.location
                )
            }
            Err(message) => anyhow::bail!("release `{}` ({}): {message}", release.name, release.location),
        };
        fetched.insert(release_key(release), path);
    }
    Ok(fetched)
}

/// The template data of releases whose chart is a directory of manifests
/// (its `.gotmpl` files are rendered with it when chartify makes the chart).
fn generated_chart_data(session: &Session, selected: &[Selected<'_>]) -> HashMap<ReleaseKey, serde_json::Value> {
    let engine = session.engine();
    let namespace = session.global.namespace_override.as_deref().unwrap_or_default();
    let mut data = HashMap::new();
    for group in selected {
        for release in group.releases.iter().filter(|r| r.installed) {
            if let ChartSource::Local(path) = &release.chart
                && path.is_dir()
                && !path.join("Chart.yaml").exists()
            {
                if !has_manifests(path) {
                    session.ctx.printer.warn(&format!(
                        "release `{}` ({}): chart {} is a directory with no Chart.yaml and no manifests; it renders nothing (as in helmfile)",
                        release.name, release.location, release.chart_ref
                    ));
                }
                data.insert(release_key(release), group.file.release_template_data(release, namespace, &engine));
            }
        }
    }
    data
}

/// Whether a directory holds a manifest chartify would use (a YAML file,
/// a `.gotmpl` one, or a kustomization).
fn has_manifests(dir: &std::path::Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            return has_manifests(&path);
        }
        let name = path.to_string_lossy();
        name.ends_with("yaml") || name.ends_with("yml") || name.ends_with("gotmpl")
    })
}

/// The patches of the selected releases whose `strategicMergePatches`,
/// `jsonPatches` or `transformers` name `.gotmpl` files: each file rendered with the
/// release's data (as helmfile renders them, like values templates) and
/// read as one YAML object.
fn render_patch_templates(
    session: &Session,
    selected: &[Selected<'_>],
) -> anyhow::Result<HashMap<ReleaseKey, RenderedPatches>> {
    let engine = session.engine();
    let namespace = session.global.namespace_override.as_deref().unwrap_or_default();
    let mut rendered = HashMap::new();
    for group in selected {
        for release in group.releases.iter().filter(|r| r.installed) {
            let templated = |entries: &[serde_yaml_ng::Value]| entries.iter().any(serde_yaml_ng::Value::is_string);
            let templated_transformers = release.transformers.iter().any(|t| t.template.is_some());
            if !templated(&release.strategic_merge_patches)
                && !templated(&release.json_patches)
                && !templated_transformers
            {
                continue;
            }
            // helmfile's patch data: the state's values, the release's own
            // `values:` merged over them (not its secrets).
            let cx = ValuesContext {
                file: group.file,
                namespace,
                engine: &engine,
                notices: Notices::Say(&session.ctx.printer),
            };
            let mut merged = group.file.environment.values.clone();
            for document in super::values::embedded_values(&cx, release)?.values {
                crate::state::merge_values(&mut merged, document);
            }
            let render = |key: &str, entries: &[serde_yaml_ng::Value]| -> anyhow::Result<Vec<serde_yaml_ng::Value>> {
                entries
                    .iter()
                    .map(|entry| {
                        let serde_yaml_ng::Value::String(path) = entry else { return Ok(entry.clone()) };
                        let local = local_patch_file(&engine, release, path)?;
                        let text = if local.extension().is_some_and(|e| e == "gotmpl") {
                            group.file.render_patch_template(release, &local, merged.clone(), namespace, &engine)?
                        } else {
                            crate::state::read_input(&local)
                                .map_err(|e| anyhow::anyhow!("release `{}`: `{key}`: {e}", release.name))?
                        };
                        let object: serde_yaml_ng::Value = crate::yaml::from_str(&text).map_err(|e| {
                            anyhow::anyhow!(
                                "release `{}`: `{key}`: {path} does not render to a YAML object: {e}",
                                release.name
                            )
                        })?;
                        if key == "jsonPatches" {
                            crate::state::check_json_patch(&object)
                                .map_err(|e| anyhow::anyhow!("release `{}`: `{key}`: {path}: {e}", release.name))?;
                        }
                        Ok(object)
                    })
                    .collect()
            };
            let mut transformers = Vec::with_capacity(release.transformers.len());
            for transformer in &release.transformers {
                let mut transformer = transformer.clone();
                if let Some(path) = transformer.template.take() {
                    let local = local_patch_file(&engine, release, &path.to_string_lossy())?;
                    transformer.text = if local.extension().is_some_and(|e| e == "gotmpl") {
                        group.file.render_patch_template(release, &local, merged.clone(), namespace, &engine)?
                    } else {
                        crate::state::read_input(&local)
                            .map_err(|e| anyhow::anyhow!("release `{}`: `transformers`: {e}", release.name))?
                    };
                }
                transformers.push(transformer);
            }
            let patches = RenderedPatches {
                strategic_merge: render("strategicMergePatches", &release.strategic_merge_patches)?,
                json: render("jsonPatches", &release.json_patches)?,
                transformers,
            };
            rendered.insert(release_key(release), patches);
        }
    }
    Ok(rendered)
}

/// Where a patch file is on disk: a remote reference (go-getter) is fetched
/// into the source cache, as values files are.
fn local_patch_file(
    engine: &dyn crate::state::TemplateEngine,
    release: &crate::state::Release,
    path: &str,
) -> anyhow::Result<std::path::PathBuf> {
    if !crate::state::is_remote(path) {
        return Ok(std::path::PathBuf::from(path));
    }
    match engine.fetch_source(path, crate::state::SourceKind::Values, release.ignore_missing_git_branch) {
        Ok(crate::state::Fetched::Path(local)) => Ok(local),
        Ok(crate::state::Fetched::MissingRef) => {
            anyhow::bail!("release `{}`: the git ref of the patch file {path} does not exist", release.name)
        }
        Err(e) => {
            anyhow::bail!("release `{}` ({}): fetching the patch file {path}: {e}", release.name, release.location)
        }
    }
}

/// The values of the selected releases that are to be installed, resolved
/// in release order (templates rendered, secrets decrypted, references
/// resolved), as helmfile resolves them when it builds each release's
/// flags.
fn resolve_selected_values(
    session: &Session,
    selected: &[Selected<'_>],
) -> anyhow::Result<HashMap<ReleaseKey, ReleaseValues>> {
    let engine = session.engine();
    let namespace = session.global.namespace_override.as_deref().unwrap_or_default();
    let releases: Vec<(&StateFile, &Release)> = selected
        .iter()
        .flat_map(|group| group.releases.iter().filter(|r| r.installed).map(move |release| (group.file, *release)))
        .collect();
    // Each release's `.gotmpl` values render in the shim, which blocks the
    // calling thread: one thread per CPU instead of one loop. What each
    // says about skipped files is said afterwards in declaration order,
    // and the first release (in that order) that fails stops the command,
    // as in a loop.
    let resolved = crate::exec::map_in_order(&releases, |(file, release)| {
        let kept = std::cell::RefCell::new(Vec::new());
        let cx = ValuesContext { file, namespace, engine: &engine, notices: Notices::Keep(&kept) };
        (release_values(&cx, release), kept.into_inner())
    });
    let mut values = HashMap::new();
    for ((_, release), (result, skipped)) in releases.iter().zip(resolved) {
        for notice in &skipped {
            super::session::say_skipped(&session.ctx.printer, notice);
        }
        values.insert(release_key(release), result?);
    }
    Ok(values)
}
