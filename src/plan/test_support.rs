//! Releases for the plan layer's unit tests, built through the state layer's
//! own resolution so that new `Release` fields need no change here.

use std::path::Path;

use crate::state::{Location, Release, ReleaseSpec};

/// A release with a local chart `./c` and no kube context.
pub(crate) fn release(name: &str, namespace: &str, needs: &[&str]) -> Release {
    release_in("", namespace, name, needs)
}

/// A release in a kube context.
pub(crate) fn release_in(kube_context: &str, namespace: &str, name: &str, needs: &[&str]) -> Release {
    let mut spec = ReleaseSpec::default();
    spec.name = name.into();
    spec.namespace = namespace.into();
    spec.chart = "./c".into();
    spec.kube_context = kube_context.into();
    spec.needs = needs.iter().map(|n| n.to_string()).collect();
    let location = Location { path: "helmfile.yaml".into(), line: None, column: None };
    Release::resolve(spec, Path::new("/base"), location).expect("a valid test release")
}

/// The names of the releases in each batch.
pub(crate) fn names<'a>(releases: &'a [Release], batches: &[Vec<usize>]) -> Vec<Vec<&'a str>> {
    batches.iter().map(|batch| batch.iter().map(|&i| releases[i].name.as_str()).collect()).collect()
}

/// The state of helmfile's pkg/app tests (app_template_test.go,
/// app_diff_test.go, dag_test.go), run with `--kube-context default`:
/// a needs chain, a release with `installed: false`, and two labelled
/// `app=test`.
pub(crate) fn helmfile_app_fixture() -> Vec<Release> {
    let mut releases = vec![
        release_in("default", "kube-system", "logging", &[]),
        release_in("default", "kube-system", "kubernetes-external-secrets", &["kube-system/logging"]),
        release_in("default", "default", "external-secrets", &["kube-system/kubernetes-external-secrets"]),
        release_in("default", "default", "my-release", &["default/external-secrets"]),
        release_in("default", "kube-system", "disabled", &[]),
        release_in("default", "", "test2", &["kube-system/disabled"]),
        release_in("default", "", "test3", &["test2"]),
    ];
    releases[2].labels.insert("app".into(), "test".into());
    releases[3].labels.insert("app".into(), "test".into());
    releases[4].installed = false;
    releases
}
