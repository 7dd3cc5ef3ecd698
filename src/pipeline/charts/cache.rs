//! Pulling the selected releases' remote charts (chart repositories and OCI
//! registries) into helmfire's chart cache before anything renders: each
//! chart version once per run however many releases use it, in parallel,
//! with the state file's lock file applied. The cache itself (content
//! addressed, shared between processes with file locks) is go-shim's
//! `internal/chartcache`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

use super::lock_file::LockFile;
use crate::exec::{Concurrency, call_helm, run_ordered};
use crate::helm::{ChartPullOutput, ChartPullRequest, RegistryAccess};
use crate::pipeline::Context;
use crate::pipeline::selection::Selected;
use crate::state::{Release, StateFile};

/// How many pulls run at once: enough to hide latency, few enough to be
/// polite to a registry.
const PULLS_AT_ONCE: usize = 8;

/// A release, as the cache knows it: kube context, namespace, name.
pub(crate) type ReleaseKey = (String, String, String);

pub(crate) fn release_key(release: &Release) -> ReleaseKey {
    (release.kube_context.clone(), release.namespace.clone(), release.name.clone())
}

/// Where the pulls go and how.
pub(crate) struct PullSettings<'a> {
    pub cache_dir: &'a Path,
    pub repository_config: &'a str,
    pub registry: &'a RegistryAccess,
    /// Resolve version constraints from the cache first (--skip-deps,
    /// --skip-refresh).
    pub offline: bool,
    /// Check provenance of releases that ask for it: the commands that
    /// deploy or fetch, where helmfile passes `--verify`.
    pub verify_provenance: bool,
}

/// The pull request of a release's remote chart (None for a local chart),
/// with its state file's lock file applied.
pub(crate) fn pull_request(
    file: &StateFile,
    release: &Release,
    lock: Option<&LockFile>,
    settings: &PullSettings<'_>,
) -> Option<ChartPullRequest> {
    let remote = file.remote_chart(release)?;
    let mut request = ChartPullRequest {
        chart: remote.pull.clone(),
        version: release.version.clone(),
        repository_config: settings.repository_config.to_string(),
        cache_dir: settings.cache_dir.display().to_string(),
        registry: settings.registry.clone(),
        offline: settings.offline,
        devel: release.chart_options.devel,
        verify: settings.verify_provenance && release.chart_options.verify,
        keyring: if settings.verify_provenance { release.chart_options.keyring.clone() } else { String::new() },
        insecure_skip_tls_verify: release.chart_options.insecure_skip_tls_verify,
        plain_http: release.chart_options.plain_http,
        ..ChartPullRequest::default()
    };
    // helmfile locks only charts of the state's own repositories.
    if let (Some(lock), Some(_)) = (lock, &remote.repository_name) {
        request.locked = lock.versions_of(&remote.name);
        request.lock_file = file.lock_file().display().to_string();
    }
    Some(request)
}

/// The lock file of each state file that has one.
pub(crate) fn lock_files<'a>(files: impl IntoIterator<Item = &'a StateFile>) -> anyhow::Result<Vec<Option<LockFile>>> {
    files
        .into_iter()
        .map(|file| {
            let path = file.lock_file();
            LockFile::read(&path).with_context(|| format!("state file {}", file.path.display()))
        })
        .collect()
}

/// Pulls the remote charts of the selected releases that are to be
/// installed, and returns where each release's chart is in the cache.
pub(crate) async fn pull_selected(
    selected: &[Selected<'_>],
    ctx: &Context,
    settings: &PullSettings<'_>,
) -> anyhow::Result<HashMap<ReleaseKey, ChartPullOutput>> {
    let locks = lock_files(selected.iter().map(|s| s.file))?;
    let mut wanted: Vec<(ReleaseKey, String, ChartPullRequest)> = Vec::new();
    for (group, lock) in selected.iter().zip(&locks) {
        for release in group.releases.iter().filter(|r| r.installed) {
            if let Some(request) = pull_request(group.file, release, lock.as_ref(), settings) {
                let what = format!("release `{}` ({}): chart {}", release.name, release.location, release.chart_ref);
                wanted.push((release_key(release), what, request));
            }
        }
    }
    // One pull per distinct request, in first-use order.
    let mut unique: Vec<ChartPullRequest> = Vec::new();
    let mut index_of: HashMap<ChartPullRequest, usize> = HashMap::new();
    for (_, _, request) in &wanted {
        if !index_of.contains_key(request) {
            index_of.insert(request.clone(), unique.len());
            unique.push(request.clone());
        }
    }
    let mut results: Vec<Option<Result<ChartPullOutput, crate::helm::HelmError>>> =
        std::iter::repeat_with(|| None).take(unique.len()).collect();
    let backend = Arc::clone(&ctx.backend);
    run_ordered(
        unique.clone(),
        Concurrency::from_flag(PULLS_AT_ONCE),
        move |request| {
            let backend = Arc::clone(&backend);
            async move { call_helm(backend, move |helm, call| helm.chart_pull(call, &request)).await }
        },
        |index, result| {
            if let Ok(out) = &result {
                for line in out.log.lines() {
                    ctx.printer.info(line);
                }
            }
            results[index] = Some(result);
        },
    )
    .await;

    // Every failed pull is named (one line each), not just the first.
    let mut pulled = HashMap::new();
    let mut failures: Vec<anyhow::Error> = Vec::new();
    let mut reported = std::collections::HashSet::new();
    for (key, what, request) in wanted {
        let index = index_of[&request];
        match &results[index] {
            Some(Ok(out)) => {
                pulled.insert(key, out.clone());
            }
            Some(Err(e)) => failures.push(anyhow::anyhow!("{e}").context(what)),
            None if reported.insert(index) => {
                failures.push(anyhow::anyhow!("{what}: the pull did not run (a helmfire bug)"))
            }
            None => {}
        }
    }
    if let Some(last) = failures.pop() {
        for failure in &failures {
            crate::output::report(&ctx.printer, failure);
        }
        return Err(last);
    }
    Ok(pulled)
}
