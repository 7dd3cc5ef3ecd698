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
    Release::resolve(spec, &[], Path::new("/base"), location).expect("a valid test release")
}

/// The names of the releases in each batch.
pub(crate) fn names<'a>(releases: &'a [Release], batches: &[Vec<usize>]) -> Vec<Vec<&'a str>> {
    batches.iter().map(|batch| batch.iter().map(|&i| releases[i].name.as_str()).collect()).collect()
}
