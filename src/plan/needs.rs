//! Release ids and `needs` entries, as helmfile forms and resolves them
//! (`ReleaseToID` and `reformat` in pkg/state/state.go).
//!
//! An id is `kubecontext/namespace/name` with the empty parts left out,
//! except that a kube context without a namespace keeps the empty namespace
//! (`ctx//name`), so that it cannot be confused with namespace `ctx`.
//!
//! Releases must arrive with `--namespace` / `--kube-context` overrides
//! already applied (helmfile's `ApplyOverrides` runs before ids are formed).

use std::fmt;

use crate::state::Release;

/// The id helmfile gives a release: `name`, `ns/name`, `ctx//name` or
/// `ctx/ns/name`.
pub fn release_id(release: &Release) -> String {
    format_id(&release.kube_context, &release.namespace, &release.name)
}

/// Resolves one `needs` entry of `release` to a release id.
///
/// `name` takes the namespace and kube context of `release`; `ns/name` takes
/// its kube context; `ctx/ns/name` is taken as written. With more than three
/// parts, everything before the last two is the kube context (helmfile joins
/// them back with `/`).
pub fn resolve_need(release: &Release, need: &str) -> String {
    let (kube_context, namespace, name) = need_parts(release, need);
    format_id(&kube_context, &namespace, name)
}

/// Every `needs` entry of `release`, resolved, in the order written
/// (duplicates kept, as helmfile's `show-dag` prints them).
pub fn resolved_needs(release: &Release) -> Vec<String> {
    release.needs.iter().map(|need| resolve_need(release, need)).collect()
}

/// An installed release that needs a release marked `installed: false`:
/// helmfile warns about it when it loads the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UninstalledNeed {
    /// The name of the release with the need.
    pub release: String,
    /// The name of the needed release.
    pub need: String,
}

impl fmt::Display for UninstalledNeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (release, need) = (&self.release, &self.need);
        write!(
            f,
            "release `{release}` needs `{need}`, but `{need}` is not installed due to installed: false. \
             Either mark `{need}` as installed or remove `{need}` from `{release}`'s needs"
        )
    }
}

/// The needs of installed releases that point at `installed: false`
/// releases, in declaration order.
pub fn uninstalled_needs(releases: &[Release]) -> Vec<UninstalledNeed> {
    let mut found = Vec::new();
    for release in releases.iter().filter(|r| r.installed) {
        for need in &release.needs {
            let (kube_context, namespace, name) = need_parts(release, need);
            let uninstalled = releases
                .iter()
                .any(|r| !r.installed && r.name == name && r.namespace == namespace && r.kube_context == kube_context);
            if uninstalled {
                found.push(UninstalledNeed { release: release.name.clone(), need: name.to_string() });
            }
        }
    }
    found
}

fn need_parts<'a>(release: &Release, need: &'a str) -> (String, String, &'a str) {
    let parts: Vec<&str> = need.split('/').collect();
    match parts.as_slice() {
        [.., namespace, name] if parts.len() > 2 => (parts[..parts.len() - 2].join("/"), namespace.to_string(), name),
        [namespace, name] => (release.kube_context.clone(), namespace.to_string(), name),
        _ => (release.kube_context.clone(), release.namespace.clone(), need),
    }
}

fn format_id(kube_context: &str, namespace: &str, name: &str) -> String {
    match (kube_context.is_empty(), namespace.is_empty()) {
        (true, true) => name.to_string(),
        (true, false) => format!("{namespace}/{name}"),
        (false, _) => format!("{kube_context}/{namespace}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::test_support::{release, release_in};

    #[test]
    fn ids_keep_an_empty_namespace_after_a_kube_context() {
        assert_eq!(release_id(&release_in("", "", "a", &[])), "a");
        assert_eq!(release_id(&release_in("", "ns", "a", &[])), "ns/a");
        assert_eq!(release_id(&release_in("ctx", "", "a", &[])), "ctx//a");
        assert_eq!(release_id(&release_in("ctx", "ns", "a", &[])), "ctx/ns/a");
    }

    #[test]
    fn one_part_takes_namespace_and_kube_context_from_the_release() {
        assert_eq!(resolve_need(&release_in("ctx", "ns", "a", &[]), "b"), "ctx/ns/b");
        assert_eq!(resolve_need(&release_in("", "ns", "a", &[]), "b"), "ns/b");
        assert_eq!(resolve_need(&release_in("ctx", "", "a", &[]), "b"), "ctx//b");
        assert_eq!(resolve_need(&release("a", "", &[]), "b"), "b");
    }

    #[test]
    fn two_parts_take_the_kube_context_from_the_release() {
        assert_eq!(resolve_need(&release_in("ctx", "ns", "a", &[]), "other/b"), "ctx/other/b");
        assert_eq!(resolve_need(&release_in("", "ns", "a", &[]), "other/b"), "other/b");
        assert_eq!(resolve_need(&release_in("ctx", "ns", "a", &[]), "/b"), "ctx//b");
        assert_eq!(resolve_need(&release_in("", "ns", "a", &[]), "/b"), "b");
    }

    #[test]
    fn three_or_more_parts_are_taken_as_written() {
        assert_eq!(resolve_need(&release_in("ctx", "ns", "a", &[]), "c2/n2/b"), "c2/n2/b");
        assert_eq!(resolve_need(&release_in("ctx", "ns", "a", &[]), "c2//b"), "c2//b");
        assert_eq!(resolve_need(&release_in("ctx", "ns", "a", &[]), "/n2/b"), "n2/b");
        assert_eq!(resolve_need(&release("a", "", &[]), "arn:aws:eks/cluster/n2/b"), "arn:aws:eks/cluster/n2/b");
    }

    #[test]
    fn resolved_needs_keep_order_and_duplicates() {
        let r = release("a", "ns", &["b", "x/c", "b"]);
        assert_eq!(resolved_needs(&r), ["ns/b", "x/c", "ns/b"]);
    }

    #[test]
    fn needs_on_uninstalled_releases_are_reported() {
        let mut disabled = release("disabled", "kube-system", &[]);
        disabled.installed = false;
        let mut also_off = release("off", "", &["kube-system/disabled"]);
        also_off.installed = false;
        let releases = [disabled, release("test2", "", &["kube-system/disabled", "missing"]), also_off];
        let found = uninstalled_needs(&releases);
        assert_eq!(found, [UninstalledNeed { release: "test2".into(), need: "disabled".into() }]);
        assert_eq!(
            found[0].to_string(),
            "release `test2` needs `disabled`, but `disabled` is not installed due to installed: false. \
             Either mark `disabled` as installed or remove `disabled` from `test2`'s needs"
        );
    }
}
