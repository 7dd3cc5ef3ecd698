//! Which releases a command acts on: selectors, conditions and, with
//! `--include-transitive-needs`, the needs of what they pick
//! (`markExcludedReleases`, `unmarkNeedsAndTransitives` in
//! pkg/state/state.go; `getSelectedReleases`, `processFilteredReleases` in
//! pkg/app/app.go).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_yaml_ng::Value;

use super::condition::condition_enabled;
use super::error::PlanError;
use super::labels::release_labels;
use super::needs::{release_id, resolved_needs};
use super::needs_mode::NeedsMode;
use super::selector::Selectors;
use crate::state::Release;

/// What decides whether a release is selected.
#[derive(Debug, Clone, Copy)]
pub struct Criteria<'a> {
    /// The `-l` selectors (any may match; none given keeps every release).
    pub selectors: &'a Selectors,
    /// The state's `commonLabels` (they win over a release's own labels).
    pub common_labels: &'a BTreeMap<String, String>,
    /// The environment values that `condition: foo.enabled` looks into.
    pub values: &'a Value,
}

/// The outcome of selection, as indices into the release slice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// The selected releases, in declaration order.
    pub selected: Vec<usize>,
    /// The releases the needs graph is built over: every release, except
    /// that of several releases sharing one id only the selected one stays
    /// (helmfile's `deduplicated`, roboll/helmfile#1818).
    pub considered: Vec<usize>,
}

/// Selects releases as helmfile's `getSelectedReleases` does.
///
/// A release is selected when a selector matches its labels (see
/// [`release_labels`](super::release_labels)) and its `condition` holds.
/// With [`NeedsMode::IncludeTransitive`] the needs of selected releases, and
/// their needs in turn, are selected too, whatever their labels and
/// conditions; like helmfile, the walk from a need to its own needs follows
/// every release with the need's name. `installed: false` does not affect
/// selection: such releases are selected so that commands can uninstall
/// them.
///
/// Every release's condition is evaluated, selected or not, and the first
/// bad one is an error. Two selected releases with one id are an error.
pub fn select_releases(
    releases: &[Release],
    criteria: &Criteria<'_>,
    needs: NeedsMode,
) -> Result<Selection, PlanError> {
    let mut excluded = Vec::with_capacity(releases.len());
    for release in releases {
        let matched = criteria.selectors.matches(&release_labels(release, criteria.common_labels));
        let enabled = condition_enabled(&release.condition, criteria.values)
            .map_err(|source| PlanError::Condition { release: release.name.clone(), source })?;
        excluded.push(!matched || !enabled);
    }
    if needs.selects_transitive_needs() {
        let mut wanted = HashSet::new();
        for (release, _) in releases.iter().zip(&excluded).filter(|(_, excluded)| !**excluded) {
            collect_needs(release, releases, &mut wanted);
        }
        for (release, excluded) in releases.iter().zip(excluded.iter_mut()) {
            if wanted.contains(&release_id(release)) {
                *excluded = false;
            }
        }
    }
    let selected: Vec<usize> = (0..releases.len()).filter(|&i| !excluded[i]).collect();
    let considered = deduplicate(releases, &selected)?;
    check_duplicates(releases, &considered)?;
    Ok(Selection { selected, considered })
}

/// The releases a command that filters first works on (helmfile's
/// `processFilteredReleases`, used by `show-dag`, `status`, `test`, `list`):
/// with selectors, the selected ones; without, every release, whatever its
/// `condition`. Releases sharing name, namespace and kube context are an
/// error.
pub fn filter_releases(releases: &[Release], criteria: &Criteria<'_>) -> Result<Vec<usize>, PlanError> {
    let kept = if criteria.selectors.is_empty() {
        (0..releases.len()).collect()
    } else {
        select_releases(releases, criteria, NeedsMode::Skip)?.selected
    };
    check_duplicates(releases, &kept)?;
    Ok(kept)
}

/// Adds the resolved needs of `release` to `wanted`, then the needs of every
/// release named like each new need (helmfile matches on the name alone).
fn collect_needs(release: &Release, releases: &[Release], wanted: &mut HashSet<String>) {
    for need in resolved_needs(release) {
        if !wanted.insert(need.clone()) {
            continue;
        }
        let name = need.rsplit('/').next().unwrap_or(&need);
        for other in releases.iter().filter(|r| r.name == name) {
            collect_needs(other, releases, wanted);
        }
    }
}

/// helmfile's `getSelectedReleases` deduplication: a release whose id is
/// unique stays; of several sharing an id, only the selected one stays, at
/// the place of the first.
fn deduplicate(releases: &[Release], selected: &[usize]) -> Result<Vec<usize>, PlanError> {
    let mut selected_by_id: HashMap<String, usize> = HashMap::new();
    for &index in selected {
        let id = release_id(&releases[index]);
        if selected_by_id.insert(id.clone(), index).is_some() {
            return Err(PlanError::DuplicateId { count: 2, id });
        }
    }
    let ids: Vec<String> = releases.iter().map(release_id).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &ids {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let mut done = HashSet::new();
    let mut considered = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        if counts[id.as_str()] == 1 {
            considered.push(index);
        } else if let Some(&chosen) = selected_by_id.get(id)
            && done.insert(id.as_str())
        {
            considered.push(chosen);
        }
    }
    Ok(considered)
}

/// helmfile's `checkDuplicates`: no two of `kept` share name, namespace and
/// kube context. The first such release in declaration order is named.
fn check_duplicates(releases: &[Release], kept: &[usize]) -> Result<(), PlanError> {
    let mut counts: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for &i in kept {
        let r = &releases[i];
        *counts.entry((&r.name, &r.namespace, &r.kube_context)).or_default() += 1;
    }
    for &i in kept {
        let r = &releases[i];
        let count = counts[&(r.name.as_str(), r.namespace.as_str(), r.kube_context.as_str())];
        if count > 1 {
            return Err(PlanError::DuplicateRelease {
                name: r.name.clone(),
                namespace: r.namespace.clone(),
                kube_context: r.kube_context.clone(),
                count,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::error::ConditionError;
    use crate::plan::test_support::release;

    fn values(yaml: &str) -> Value {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    fn select(
        releases: &[Release],
        selectors: &[&str],
        values: &Value,
        needs: NeedsMode,
    ) -> Result<Selection, PlanError> {
        let selectors = Selectors::parse(selectors.iter().copied()).unwrap();
        let common = BTreeMap::new();
        select_releases(releases, &Criteria { selectors: &selectors, common_labels: &common, values }, needs)
    }

    fn labelled(name: &str, label: &str, needs: &[&str]) -> Release {
        let mut r = release(name, "", needs);
        r.labels.insert("app".into(), label.into());
        r
    }

    #[test]
    fn selectors_and_conditions_both_decide() {
        let mut off = labelled("off", "web", &[]);
        off.condition = "off.enabled".into();
        let mut not_installed = labelled("gone", "web", &[]);
        not_installed.installed = false;
        let releases = vec![labelled("a", "web", &[]), labelled("b", "db", &[]), off, not_installed];
        let v = values("off: {enabled: false}");
        let selection = select(&releases, &["app=web"], &v, NeedsMode::Skip).unwrap();
        assert_eq!(selection.selected, [0, 3]);
        assert_eq!(selection.considered, [0, 1, 2, 3]);
        assert_eq!(select(&releases, &[], &v, NeedsMode::Skip).unwrap().selected, [0, 1, 3]);
        assert_eq!(select(&releases, &["name=b", "name=gone"], &v, NeedsMode::Skip).unwrap().selected, [1, 3]);
    }

    #[test]
    fn a_bad_condition_fails_even_on_an_unselected_release() {
        let mut bad = labelled("bad", "db", &[]);
        bad.condition = "missing.enabled".into();
        let releases = vec![labelled("a", "web", &[]), bad];
        let error = select(&releases, &["app=web"], &Value::Null, NeedsMode::Skip).unwrap_err();
        assert_eq!(
            error,
            PlanError::Condition {
                release: "bad".into(),
                source: ConditionError::NotFound { field: ".missing".into() }
            }
        );
        assert_eq!(error.to_string(), "failed to parse condition in release `bad`");
    }

    #[test]
    fn transitive_needs_are_selected_over_labels_and_conditions() {
        let mut disabled = labelled("base", "db", &[]);
        disabled.condition = "false".into();
        let releases = vec![
            labelled("top", "web", &["mid"]),
            labelled("mid", "db", &["base"]),
            disabled,
            labelled("other", "db", &[]),
        ];
        let v = Value::Null;
        assert_eq!(select(&releases, &["app=web"], &v, NeedsMode::Include).unwrap().selected, [0]);
        assert_eq!(select(&releases, &["app=web"], &v, NeedsMode::IncludeTransitive).unwrap().selected, [0, 1, 2]);
    }

    #[test]
    fn the_transitive_walk_follows_every_release_with_the_needs_name() {
        let releases = vec![
            labelled("top", "web", &["a/mid"]),
            release("mid", "a", &[]),
            release("mid", "b", &["b/deep"]),
            release("deep", "b", &[]),
        ];
        let selection = select(&releases, &["app=web"], &Value::Null, NeedsMode::IncludeTransitive).unwrap();
        assert_eq!(selection.selected, [0, 1, 3]);
    }

    #[test]
    fn duplicates_keep_the_selected_one() {
        let releases = vec![labelled("a", "one", &[]), labelled("b", "x", &[]), labelled("a", "two", &[])];
        let v = Value::Null;
        let selection = select(&releases, &["app=two"], &v, NeedsMode::Skip).unwrap();
        assert_eq!(selection, Selection { selected: vec![2], considered: vec![2, 1] });
        let unselected = select(&releases, &["name=b"], &v, NeedsMode::Skip).unwrap();
        assert_eq!(unselected.considered, [1]);
        let error = select(&releases, &["name=a"], &v, NeedsMode::Skip).unwrap_err();
        assert_eq!(error.to_string(), "found 2 duplicate releases with ID `a`");
    }

    #[test]
    fn filtering_keeps_everything_without_selectors_and_refuses_duplicates() {
        let mut off = release("off", "", &[]);
        off.condition = "false".into();
        let releases = vec![release("a", "ns", &[]), off, release("a", "ns", &[])];
        let selectors = Selectors::default();
        let common = BTreeMap::new();
        let criteria = Criteria { selectors: &selectors, common_labels: &common, values: &Value::Null };
        let error = filter_releases(&releases, &criteria).unwrap_err();
        assert_eq!(
            error,
            PlanError::DuplicateRelease {
                name: "a".into(),
                namespace: "ns".into(),
                kube_context: String::new(),
                count: 2
            }
        );
        assert_eq!(filter_releases(&releases[..2], &criteria).unwrap(), [0, 1]);
        let selectors = Selectors::parse(["name!=a"]).unwrap();
        let criteria = Criteria { selectors: &selectors, ..criteria };
        assert!(filter_releases(&releases, &criteria).unwrap().is_empty());
    }
}
