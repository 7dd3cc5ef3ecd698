//! Where each release goes in the cluster: the kubeconfig, context and
//! namespace the command line and the state give it.

use crate::cli::GlobalSettings;
use crate::helm::KubeTarget;
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

/// The namespace `release` lives in.
pub(crate) fn namespace_of(global: &GlobalSettings, release: &Release) -> String {
    global.namespace_override.clone().unwrap_or_else(|| release.namespace.clone())
}
