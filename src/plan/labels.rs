//! The labels a selector sees on a release.

use std::collections::BTreeMap;

use crate::state::Release;

/// A release's labels as helmfile matches selectors against them: the
/// release's `labels`, then `commonLabels` over them, then the implicit
/// `name`, `namespace` and `chart` over both.
///
/// `commonLabels` win over the release's own labels because helmfile copies
/// them onto every release while templating (pkg/state/state_exec_tmpl.go,
/// `ExecuteTemplates`) and `GetReleasesWithLabels` (pkg/state/state.go) lays
/// the result over them again. `chart` is the last `/`-separated segment of
/// the chart as written (`stable/envoy` gives `envoy`, `./charts/web/` gives
/// an empty value). `namespace` is the release's namespace, possibly empty.
pub fn release_labels(release: &Release, common_labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut labels = release.labels.clone();
    labels.extend(common_labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    labels.insert("name".into(), release.name.clone());
    labels.insert("namespace".into(), release.namespace.clone());
    let chart = release.chart_ref.rsplit('/').next().unwrap_or_default();
    labels.insert("chart".into(), chart.to_string());
    labels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::test_support::release;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn implicit_labels_are_name_namespace_and_the_charts_last_segment() {
        let mut r = release("web", "front", &[]);
        r.chart_ref = "stable/envoy".into();
        let labels = release_labels(&r, &BTreeMap::new());
        assert_eq!(labels, map(&[("name", "web"), ("namespace", "front"), ("chart", "envoy")]));

        r.chart_ref = "./charts/web/".into();
        assert_eq!(release_labels(&r, &BTreeMap::new())["chart"], "");
        r.chart_ref = "oci://registry/charts/app".into();
        assert_eq!(release_labels(&r, &BTreeMap::new())["chart"], "app");
    }

    #[test]
    fn common_labels_win_over_release_labels_and_implicit_labels_over_both() {
        let mut r = release("web", "", &[]);
        r.labels = map(&[("tier", "mine"), ("name", "written"), ("own", "yes")]);
        let labels = release_labels(&r, &map(&[("tier", "common"), ("team", "a"), ("chart", "x")]));
        assert_eq!(
            labels,
            map(&[
                ("tier", "common"),
                ("team", "a"),
                ("own", "yes"),
                ("name", "web"),
                ("namespace", ""),
                ("chart", "c")
            ])
        );
    }
}
