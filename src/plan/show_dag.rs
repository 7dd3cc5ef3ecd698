//! `show-dag`: the batches of every release, as helmfile's `PrintDAGState`
//! (pkg/app/app.go `dag`, `printDAG`) computes and prints them, plus JSON and
//! DOT renderings helmfile does not have.

use serde::Serialize;

use super::condition::condition_enabled;
use super::dag::{Batches, ReleaseGraph};
use super::error::PlanError;
use super::needs::{release_id, resolved_needs};
use super::needs_mode::{NeedsMode, Order};
use super::select::{Criteria, filter_releases};
use crate::state::Release;

/// One line of `show-dag`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DagRow {
    /// The batch, from 1.
    pub group: usize,
    /// The release id.
    pub release: String,
    /// Its `needs`, resolved to ids, in the order written.
    pub dependencies: Vec<String>,
}

/// The rows of `show-dag` for one state file.
///
/// As helmfile: the releases are those [`filter_releases`](super::filter_releases)
/// keeps (with selectors, the selected ones; without, all, whatever their
/// `condition`; `installed: false` ones included), and the graph holds
/// only them, so a need on a release the selectors left out is an
/// [`PlanError::UndefinedNeed`]. Their conditions are evaluated (helmfile's
/// `PlanReleases` marks releases first), so a malformed one is an error even
/// without selectors.
pub fn show_dag(releases: &[Release], criteria: &Criteria<'_>) -> Result<Vec<DagRow>, PlanError> {
    let members = filter_releases(releases, criteria)?;
    for &index in &members {
        let release = &releases[index];
        condition_enabled(&release.condition, criteria.values)
            .map_err(|source| PlanError::Condition { release: release.name.clone(), source })?;
    }
    let graph = ReleaseGraph::new(releases, &members)?;
    let batches = graph.batches(&members, NeedsMode::Include, Order::Forward)?;
    let mut rows = Vec::new();
    for (group, batch) in batches.iter().enumerate() {
        for &index in batch {
            let release = &releases[index];
            rows.push(DagRow { group: group + 1, release: release_id(release), dependencies: resolved_needs(release) });
        }
    }
    Ok(rows)
}

/// helmfile's table, byte for byte: `GROUP`, `RELEASE`, `DEPENDENCIES`
/// columns aligned by Go's tabwriter, dependencies joined with `, `,
/// trailing whitespace trimmed from every line, ending with a newline.
pub fn render_table(rows: &[DagRow]) -> String {
    let mut cells = vec![vec!["GROUP".to_string(), "RELEASE".to_string(), "DEPENDENCIES".to_string()]];
    for row in rows {
        cells.push(vec![row.group.to_string(), row.release.clone(), row.dependencies.join(", ")]);
    }
    let table = super::tabwriter::align(&cells);
    table.split('\n').map(|line| line.trim_end_matches([' ', '\t'])).collect::<Vec<_>>().join("\n")
}

/// The rows as a pretty-printed JSON array of
/// `{"group", "release", "dependencies"}` objects, with a final newline.
pub fn render_json(rows: &[DagRow]) -> String {
    // Numbers, strings and lists of strings always serialise.
    let mut json = serde_json::to_string_pretty(rows).unwrap_or_default();
    json.push('\n');
    json
}

/// The rows as a Graphviz digraph: one `rank=same` subgraph per group, and
/// an edge from each dependency to the release that needs it.
pub fn render_dot(rows: &[DagRow]) -> String {
    let mut out = String::from("digraph helmfile {\n");
    let mut groups: Vec<(usize, Vec<&DagRow>)> = Vec::new();
    for row in rows {
        match groups.last_mut() {
            Some((group, members)) if *group == row.group => members.push(row),
            _ => groups.push((row.group, vec![row])),
        }
    }
    for (group, members) in &groups {
        out.push_str(&format!("  subgraph group_{group} {{\n    rank=same;\n"));
        for row in members {
            out.push_str(&format!("    {};\n", dot_id(&row.release)));
        }
        out.push_str("  }\n");
    }
    for row in rows {
        for dependency in &row.dependencies {
            out.push_str(&format!("  {} -> {};\n", dot_id(dependency), dot_id(&row.release)));
        }
    }
    out.push_str("}\n");
    out
}

/// helmfile's debug table of batches (`printBatches`): `GROUP`, `RELEASES`
/// with the ids of each batch joined with `, `.
pub fn render_groups(releases: &[Release], batches: &Batches) -> String {
    let mut cells = vec![vec!["GROUP".to_string(), "RELEASES".to_string()]];
    for (group, batch) in batches.iter().enumerate() {
        let ids: Vec<String> = batch.iter().map(|&i| release_id(&releases[i])).collect();
        cells.push(vec![(group + 1).to_string(), ids.join(", ")]);
    }
    super::tabwriter::align(&cells)
}

fn dot_id(id: &str) -> String {
    format!("\"{}\"", id.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_yaml_ng::Value;

    use super::*;
    use crate::plan::selector::Selectors;
    use crate::plan::test_support::{helmfile_app_fixture, release_in};

    /// helmfile's pkg/app/dag_test.go state, run with `--kube-context default`.
    fn fixture() -> Vec<Release> {
        let mut releases = helmfile_app_fixture();
        releases.push(release_in("default", "", "test4", &["test2", "test3"]));
        releases
    }

    fn rows(releases: &[Release], selectors: &[&str]) -> Result<Vec<DagRow>, PlanError> {
        let selectors = Selectors::parse(selectors.iter().copied()).unwrap();
        let common = BTreeMap::new();
        show_dag(releases, &Criteria { selectors: &selectors, common_labels: &common, values: &Value::Null })
    }

    #[test]
    fn the_table_matches_helmfiles_dag_test_byte_for_byte() {
        let table = render_table(&rows(&fixture(), &[]).unwrap());
        // pkg/app/dag_test.go, "DAG lists dependencies in order".
        let expected = "\
GROUP RELEASE                                         DEPENDENCIES
1     default/kube-system/logging
1     default/kube-system/disabled
2     default/kube-system/kubernetes-external-secrets default/kube-system/logging
2     default//test2                                  default/kube-system/disabled
3     default/default/external-secrets                default/kube-system/kubernetes-external-secrets
3     default//test3                                  default//test2
4     default/default/my-release                      default/default/external-secrets
4     default//test4                                  default//test2, default//test3
";
        similar_asserts::assert_eq!(table, expected);
    }

    #[test]
    fn conditions_do_not_filter_without_selectors_but_must_parse() {
        let mut releases = fixture();
        releases[0].condition = "false".into();
        assert_eq!(rows(&releases, &[]).unwrap().len(), 8);
        releases[0].condition = "logging".into();
        assert!(matches!(rows(&releases, &[]), Err(PlanError::Condition { .. })));
    }

    #[test]
    fn an_empty_dag_prints_the_header() {
        assert_eq!(render_table(&[]), "GROUP RELEASE DEPENDENCIES\n");
    }

    #[test]
    fn selectors_shrink_the_graph_so_outside_needs_are_undefined() {
        let releases = fixture();
        let picked = rows(&releases, &["name=logging", "name=kubernetes-external-secrets"]).unwrap();
        assert_eq!(picked.iter().map(|r| r.group).collect::<Vec<_>>(), [1, 2]);
        let error = rows(&releases, &["app=test"]).unwrap_err();
        assert_eq!(
            error,
            PlanError::UndefinedNeed {
                dependents: vec!["default/default/external-secrets".into()],
                need: "default/kube-system/kubernetes-external-secrets".into(),
                location: releases.iter().find(|r| r.name == "external-secrets").unwrap().location.to_string(),
            }
        );
    }

    #[test]
    fn json_and_dot_carry_the_same_rows() {
        let releases = vec![release_in("", "ns", "a", &[]), release_in("", "ns", "b", &["a"])];
        let rows = rows(&releases, &[]).unwrap();
        assert_eq!(
            render_json(&rows),
            "[\n  {\n    \"group\": 1,\n    \"release\": \"ns/a\",\n    \"dependencies\": []\n  },\n  {\n    \"group\": 2,\n    \"release\": \"ns/b\",\n    \"dependencies\": [\n      \"ns/a\"\n    ]\n  }\n]\n"
        );
        assert_eq!(
            render_dot(&rows),
            "digraph helmfile {\n  subgraph group_1 {\n    rank=same;\n    \"ns/a\";\n  }\n  subgraph group_2 {\n    rank=same;\n    \"ns/b\";\n  }\n  \"ns/a\" -> \"ns/b\";\n}\n"
        );
    }

    #[test]
    fn the_groups_table_matches_helmfiles_debug_log() {
        let releases = fixture();
        let batches = vec![vec![0, 4], vec![1]];
        assert_eq!(
            render_groups(&releases, &batches),
            "GROUP RELEASES\n1     default/kube-system/logging, default/kube-system/disabled\n2     default/kube-system/kubernetes-external-secrets\n"
        );
    }
}
