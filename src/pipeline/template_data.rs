//! `.Release` as helmfile's command-time templates see it (output paths,
//! hooks): the resolved release's name, namespace, chart, version, kube
//! context and labels.

use serde_yaml_ng::{Mapping, Value};

use crate::state::Release;

/// The `.Release` mapping of `release`.
pub(crate) fn release_data(release: &Release) -> Value {
    let mut rel = Mapping::new();
    rel.insert("Name".into(), release.name.clone().into());
    rel.insert("Namespace".into(), release.namespace.clone().into());
    rel.insert("Chart".into(), release.chart_ref.clone().into());
    rel.insert("Version".into(), release.version.clone().into());
    rel.insert("KubeContext".into(), release.kube_context.clone().into());
    let labels: Mapping =
        release.labels.iter().map(|(k, v)| (Value::from(k.clone()), Value::from(v.clone()))).collect();
    rel.insert("Labels".into(), Value::Mapping(labels));
    Value::Mapping(rel)
}
