//! Where each release goes in the cluster: the kubeconfig, context and
//! namespace the command line and the state give it.

use std::sync::Arc;

use anyhow::Context as _;

use crate::cli::GlobalSettings;
use crate::exec::call_helm;
use crate::helm::{ClusterProbeRequest, KubeTarget};
use crate::state::Release;

/// The cluster and namespace of `release`: `--kubeconfig`, then
/// `--kube-context` over the release's `kubeContext`, then `-n` over its
/// namespace.
pub(crate) fn kube_target(global: &GlobalSettings, release: &Release) -> KubeTarget {
    KubeTarget {
        kubeconfig: global.kubeconfig.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        context: global.kube_context.clone().unwrap_or_else(|| release.cluster_context.clone()),
        namespace: String::new(),
    }
}

/// Checks each cluster the releases go to once, before any of them runs:
/// the context, the API server, the credentials and access to Helm's
/// release storage in every namespace used. A failure is one error naming
/// the releases it stops, instead of one identical error per release after
/// each has timed out on its own.
pub(crate) async fn probe_clusters<'a>(
    ctx: &super::Context,
    global: &GlobalSettings,
    releases: impl IntoIterator<Item = &'a Release>,
) -> anyhow::Result<()> {
    let mut clusters: Vec<(KubeTarget, Vec<String>, Vec<&'a str>)> = Vec::new();
    for release in releases {
        let target = kube_target(global, release);
        let namespace = namespace_of(global, release);
        let index = match clusters.iter().position(|(t, _, _)| *t == target) {
            Some(index) => index,
            None => {
                clusters.push((target, Vec::new(), Vec::new()));
                clusters.len() - 1
            }
        };
        let (_, namespaces, names) = &mut clusters[index];
        if !namespaces.contains(&namespace) {
            namespaces.push(namespace);
        }
        names.push(&release.name);
    }
    for (kube, namespaces, names) in clusters {
        let request = ClusterProbeRequest { kube, namespaces };
        call_helm(Arc::clone(&ctx.backend), move |helm, call| helm.cluster_probe(call, &request))
            .await
            .map_err(anyhow::Error::new)
            .with_context(|| match names.as_slice() {
                [one] => format!("release `{one}` was not started: its cluster failed the check made first"),
                [first, rest @ ..] => format!(
                    "releases `{first}` and {} more were not started: their cluster failed the check made first",
                    rest.len()
                ),
                [] => String::new(),
            })?;
    }
    Ok(())
}

/// The namespace `release` lives in.
pub(crate) fn namespace_of(global: &GlobalSettings, release: &Release) -> String {
    global.namespace_override.clone().unwrap_or_else(|| release.namespace.clone())
}
