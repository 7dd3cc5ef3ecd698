//! Selection plus batches: helmfile's `GetPlannedAndSelectedReleasesWithNeeds`
//! (pkg/app/app.go), which `apply` and `sync` plan with, and which `template`,
//! `lint`, `diff` and `unittest` match through `withNeeds` with
//! [`NeedsMode::for_with_needs`].

use super::dag::{Batches, ReleaseGraph};
use super::error::PlanError;
use super::needs_mode::{NeedsMode, Order};
use super::select::{Criteria, select_releases};
use crate::state::Release;

/// What a command runs, as indices into the release slice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The releases the selectors (and conditions) picked, in declaration
    /// order. Empty means nothing matched: helmfile plans nothing then.
    pub selected: Vec<usize>,
    /// The releases the graph was built over (see
    /// [`Selection::considered`](super::Selection::considered)); build a
    /// [`ReleaseGraph`] over them for later passes, such as deleting in
    /// [`Order::Reverse`] with [`NeedsMode::Skip`].
    pub considered: Vec<usize>,
    /// The selected releases and, as the mode says, their needs, in batches.
    pub batches: Batches,
}

impl Plan {
    /// Every release to run, batch after batch (helmfile's
    /// `releasesWithNeeds`).
    pub fn releases(&self) -> Vec<usize> {
        self.batches.iter().flatten().copied().collect()
    }
}

/// Selects releases and orders them by `needs`.
///
/// Every considered release is in the graph, so a need on a release the
/// selectors or its `condition` left out still resolves, and
/// [`NeedsMode::Include`] adds it. `installed: false` releases are planned
/// like the others; commands uninstall them.
pub fn plan_with_needs(releases: &[Release], criteria: &Criteria<'_>, needs: NeedsMode) -> Result<Plan, PlanError> {
    let selection = select_releases(releases, criteria, needs)?;
    if selection.selected.is_empty() {
        return Ok(Plan::default());
    }
    let graph = ReleaseGraph::new(releases, &selection.considered)?;
    let batches = graph.batches(&selection.selected, needs, Order::Forward)?;
    Ok(Plan { selected: selection.selected, considered: selection.considered, batches })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_yaml_ng::Value;

    use super::*;
    use crate::plan::selector::Selectors;
    use crate::plan::test_support::{helmfile_app_fixture, names, release_in};

    /// The state of helmfile's pkg/app/app_template_test.go and
    /// app_diff_test.go, run with `--kube-context default`.
    fn fixture() -> Vec<Release> {
        helmfile_app_fixture()
    }

    fn plan(releases: &[Release], selectors: &[&str], needs: NeedsMode) -> Result<Plan, PlanError> {
        let selectors = Selectors::parse(selectors.iter().copied()).unwrap();
        let common = BTreeMap::new();
        plan_with_needs(
            releases,
            &Criteria { selectors: &selectors, common_labels: &common, values: &Value::Null },
            needs,
        )
    }

    #[test]
    fn skip_needs_runs_the_selection_only() {
        let releases = fixture();
        let planned = plan(&releases, &["app=test"], NeedsMode::Skip).unwrap();
        assert_eq!(planned.selected, [2, 3]);
        assert_eq!(names(&releases, &planned.batches), [vec!["external-secrets"], vec!["my-release"]]);
    }

    #[test]
    fn include_needs_and_include_transitive_needs_add_the_chain() {
        let releases = fixture();
        let expected =
            [vec!["logging"], vec!["kubernetes-external-secrets"], vec!["external-secrets"], vec!["my-release"]];
        let include = plan(&releases, &["app=test"], NeedsMode::Include).unwrap();
        assert_eq!(include.selected, [2, 3]);
        assert_eq!(names(&releases, &include.batches), expected);
        let transitive = plan(&releases, &["app=test"], NeedsMode::IncludeTransitive).unwrap();
        assert_eq!(transitive.selected, [0, 1, 2, 3], "transitive needs are selected, not only planned");
        assert_eq!(names(&releases, &transitive.batches), expected);
        assert_eq!(transitive.releases(), [0, 1, 2, 3]);
    }

    #[test]
    fn the_default_without_skip_fails_on_an_unselected_need() {
        let releases = fixture();
        let error = plan(&releases, &["app=test"], NeedsMode::Fail).unwrap_err();
        assert_eq!(
            error.to_string(),
            "release `default/default/external-secrets` depends on `default/kube-system/kubernetes-external-secrets` \
             which does not match the selectors. Please add a selector like \"--selector name=kubernetes-external-secrets\", \
             or indicate whether to skip (--skip-needs) or include (--include-needs) these dependencies"
        );
    }

    #[test]
    fn an_uninstalled_need_is_planned_for_commands_to_uninstall() {
        let releases = fixture();
        let planned = plan(&releases, &["name=test3"], NeedsMode::Include).unwrap();
        assert_eq!(names(&releases, &planned.batches), [vec!["disabled"], vec!["test2"], vec!["test3"]]);
    }

    #[test]
    fn nothing_selected_plans_nothing_even_with_a_broken_graph() {
        let mut releases = fixture();
        releases.push(release_in("default", "", "broken", &["nowhere"]));
        assert_eq!(plan(&releases, &["app=none"], NeedsMode::Skip).unwrap(), Plan::default());
        assert!(matches!(plan(&releases, &["app=test"], NeedsMode::Skip), Err(PlanError::UndefinedNeed { .. })));
    }
}
