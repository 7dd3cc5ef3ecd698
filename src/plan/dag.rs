//! The graph of `needs` between the releases of one state file, and its
//! batches, as helmfile builds them (`GroupReleasesByDependency` in
//! pkg/state/state_run.go over variantdev/dag v1.1.0 `Sort`).
//!
//! A batch is a depth of the whole graph: a release's batch is the length of
//! the longest chain of needs below it. Selection then keeps or drops
//! releases without moving them to another depth, and empty depths vanish.
//! Within a batch, releases keep their declaration order.

use std::collections::{HashMap, HashSet};

use petgraph::Direction::{Incoming, Outgoing};
use petgraph::graph::{DiGraph, NodeIndex};

use super::cycle::find_cycle;
use super::error::PlanError;
use super::needs::{release_id, resolved_needs};
use super::needs_mode::{NeedsMode, Order};
use crate::state::Release;

/// Batches of releases, as indices into the release slice: each batch may
/// run concurrently, a batch starts when the one before it is done.
pub type Batches = Vec<Vec<usize>>;

/// The `needs` graph over some releases of one state file.
///
/// Edges run from a need to the release that needs it. Releases sharing one
/// id share a node, as in helmfile.
#[derive(Debug, Clone)]
pub struct ReleaseGraph {
    graph: DiGraph<Node, ()>,
    by_release: HashMap<usize, NodeIndex>,
}

#[derive(Debug, Clone)]
struct Node {
    id: String,
    /// Indices of the releases with this id, in declaration order.
    releases: Vec<usize>,
    /// Position of the last of them among the graph's members: the order
    /// within a batch.
    position: usize,
    /// The batch (0-based) in the whole graph.
    depth: usize,
}

impl ReleaseGraph {
    /// Builds the graph over `members` (indices into `releases`, in
    /// declaration order).
    ///
    /// Errors, in helmfile's order: a need naming no member
    /// ([`PlanError::UndefinedNeed`], the first in declaration order, with
    /// every member that needs it), then a cycle ([`PlanError::Cycle`]).
    /// A need written twice counts once.
    pub fn new(releases: &[Release], members: &[usize]) -> Result<ReleaseGraph, PlanError> {
        let mut graph = DiGraph::new();
        let mut by_id: HashMap<String, NodeIndex> = HashMap::new();
        let mut by_release = HashMap::new();
        for (position, &index) in members.iter().enumerate() {
            let id = release_id(&releases[index]);
            let node = *by_id
                .entry(id.clone())
                .or_insert_with(|| graph.add_node(Node { id, releases: Vec::new(), position, depth: 0 }));
            graph[node].releases.push(index);
            graph[node].position = position;
            by_release.insert(index, node);
        }
        let mut undefined: Vec<(String, Vec<String>, String)> = Vec::new();
        for &index in members {
            let dependent = by_release[&index];
            for need in resolved_needs(&releases[index]) {
                if let Some(&need_node) = by_id.get(&need) {
                    graph.update_edge(need_node, dependent, ());
                    continue;
                }
                let dependent_id = &graph[dependent].id;
                match undefined.iter_mut().find(|(n, _, _)| *n == need) {
                    Some((_, dependents, _)) if dependents.contains(dependent_id) => {}
                    Some((_, dependents, _)) => dependents.push(dependent_id.clone()),
                    None => {
                        let location = releases[index].location.to_string();
                        undefined.push((need, vec![dependent_id.clone()], location));
                    }
                }
            }
        }
        if let Some((need, dependents, location)) = undefined.into_iter().next() {
            return Err(PlanError::UndefinedNeed { dependents, need, location });
        }
        assign_depths(&mut graph)?;
        Ok(ReleaseGraph { graph, by_release })
    }

    /// The batches that run `selected` (indices into the release slice;
    /// those not in the graph are ignored), with their needs treated as
    /// `needs` says. Empty when `selected` is: helmfile never plans an empty
    /// selection (variantdev/dag would take it as "everything").
    ///
    /// A release not selected but needed by a selected one is left out
    /// ([`NeedsMode::Skip`]), added with its own needs in turn
    /// ([`NeedsMode::Include`], [`NeedsMode::IncludeTransitive`]), or
    /// refused ([`NeedsMode::Fail`], [`PlanError::UnselectedNeed`] for the
    /// first found from the last batch up, as helmfile looks).
    pub fn batches(&self, selected: &[usize], needs: NeedsMode, order: Order) -> Result<Batches, PlanError> {
        if selected.is_empty() {
            return Ok(Vec::new());
        }
        let mut only: HashSet<NodeIndex> = selected.iter().filter_map(|i| self.by_release.get(i).copied()).collect();
        let layers = self.layers();
        let mut kept: Vec<Vec<NodeIndex>> = vec![Vec::new(); layers.len()];
        for (depth, layer) in layers.iter().enumerate().rev() {
            for &node in layer {
                if only.contains(&node) {
                    kept[depth].push(node);
                    continue;
                }
                if needs == NeedsMode::Skip {
                    continue;
                }
                let mut dependents: Vec<&str> = self
                    .graph
                    .neighbors_directed(node, Outgoing)
                    .filter(|n| only.contains(n))
                    .map(|n| self.graph[n].id.as_str())
                    .collect();
                if dependents.is_empty() {
                    continue;
                }
                if !needs.includes_needs() {
                    dependents.sort_unstable();
                    return Err(PlanError::UnselectedNeed {
                        dependents: dependents.into_iter().map(String::from).collect(),
                        need: self.graph[node].id.clone(),
                    });
                }
                only.insert(node);
                kept[depth].push(node);
            }
        }
        Ok(self.to_batches(kept, order))
    }

    /// Every release of the graph in batches.
    pub fn all_batches(&self, order: Order) -> Batches {
        self.to_batches(self.layers(), order)
    }

    /// The nodes by depth, each depth in declaration order.
    fn layers(&self) -> Vec<Vec<NodeIndex>> {
        let count = self.graph.node_weights().map(|n| n.depth + 1).max().unwrap_or(0);
        let mut layers = vec![Vec::new(); count];
        for node in self.graph.node_indices() {
            layers[self.graph[node].depth].push(node);
        }
        for layer in &mut layers {
            layer.sort_by_key(|&n| self.graph[n].position);
        }
        layers
    }

    fn to_batches(&self, layers: Vec<Vec<NodeIndex>>, order: Order) -> Batches {
        let mut batches: Batches = layers
            .into_iter()
            .filter(|layer| !layer.is_empty())
            .map(|layer| {
                let mut layer = layer;
                layer.sort_by_key(|&n| self.graph[n].position);
                layer.into_iter().flat_map(|n| self.graph[n].releases.iter().copied()).collect()
            })
            .collect();
        if order == Order::Reverse {
            batches.reverse();
        }
        batches
    }
}

/// Kahn's algorithm by layers: a node's depth is one more than the deepest
/// of its needs. A node never reached is on, or behind, a cycle.
fn assign_depths(graph: &mut DiGraph<Node, ()>) -> Result<(), PlanError> {
    let mut missing: Vec<usize> = graph.node_indices().map(|n| graph.neighbors_directed(n, Incoming).count()).collect();
    let mut current: Vec<NodeIndex> = graph.node_indices().filter(|n| missing[n.index()] == 0).collect();
    let mut placed = 0;
    let mut depth = 0;
    while !current.is_empty() {
        let mut next = Vec::new();
        for &node in &current {
            graph[node].depth = depth;
            placed += 1;
            for dependent in graph.neighbors_directed(node, Outgoing) {
                missing[dependent.index()] -= 1;
                if missing[dependent.index()] == 0 {
                    next.push(dependent);
                }
            }
        }
        current = next;
        depth += 1;
    }
    if placed < graph.node_count() {
        return Err(PlanError::Cycle { path: find_cycle(graph, |n| n.id.as_str()) });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::test_support::{names, release};

    fn diamond() -> Vec<Release> {
        vec![
            release("top", "", &["left", "right"]),
            release("right", "", &["base"]),
            release("left", "", &["base"]),
            release("base", "", &[]),
            release("alone", "", &[]),
        ]
    }

    fn all(releases: &[Release]) -> Vec<usize> {
        (0..releases.len()).collect()
    }

    fn graph(releases: &[Release]) -> ReleaseGraph {
        ReleaseGraph::new(releases, &all(releases)).unwrap()
    }

    #[test]
    fn a_diamond_runs_in_three_batches_in_declaration_order() {
        let releases = diamond();
        let batches = graph(&releases).all_batches(Order::Forward);
        assert_eq!(names(&releases, &batches), [vec!["base", "alone"], vec!["right", "left"], vec!["top"]]);
    }

    #[test]
    fn reverse_runs_dependents_first() {
        let releases = diamond();
        let batches = graph(&releases).all_batches(Order::Reverse);
        assert_eq!(names(&releases, &batches), [vec!["top"], vec!["right", "left"], vec!["base", "alone"]]);
        let selected = graph(&releases).batches(&[0, 3], NeedsMode::Skip, Order::Reverse).unwrap();
        assert_eq!(names(&releases, &selected), [vec!["top"], vec!["base"]]);
    }

    #[test]
    fn a_batch_is_the_longest_chain_of_needs() {
        let releases = vec![
            release("c", "", &["b", "a"]),
            release("b", "", &["a"]),
            release("a", "", &[]),
            release("d", "", &["a"]),
        ];
        let batches = graph(&releases).all_batches(Order::Forward);
        assert_eq!(names(&releases, &batches), [vec!["a"], vec!["b", "d"], vec!["c"]]);
    }

    #[test]
    fn skip_keeps_the_selection_at_its_depth() {
        let releases = diamond();
        let batches = graph(&releases).batches(&[0, 3], NeedsMode::Skip, Order::Forward).unwrap();
        assert_eq!(names(&releases, &batches), [vec!["base"], vec!["top"]]);
    }

    #[test]
    fn include_adds_needs_of_needs() {
        let releases = diamond();
        let batches = graph(&releases).batches(&[0], NeedsMode::Include, Order::Forward).unwrap();
        assert_eq!(names(&releases, &batches), [vec!["base"], vec!["right", "left"], vec!["top"]]);
        let batches = graph(&releases).batches(&[2], NeedsMode::Include, Order::Forward).unwrap();
        assert_eq!(names(&releases, &batches), [vec!["base"], vec!["left"]]);
    }

    #[test]
    fn fail_names_the_unselected_need_and_its_dependents() {
        let releases = diamond();
        let error = graph(&releases).batches(&[1, 2], NeedsMode::Fail, Order::Forward).unwrap_err();
        assert_eq!(
            error,
            PlanError::UnselectedNeed { dependents: vec!["left".into(), "right".into()], need: "base".into() }
        );
        assert_eq!(
            error.to_string(),
            "release `left` and `right` depend on `base` which does not match the selectors. Please add a selector like \
             \"--selector name=base\", or indicate whether to skip (--skip-needs) or include (--include-needs) these dependencies"
        );
        let batches = graph(&releases).batches(&[1, 2, 3], NeedsMode::Fail, Order::Forward).unwrap();
        assert_eq!(names(&releases, &batches), [vec!["base"], vec!["right", "left"]]);
    }

    #[test]
    fn an_empty_selection_plans_nothing() {
        let releases = diamond();
        assert!(graph(&releases).batches(&[], NeedsMode::Include, Order::Forward).unwrap().is_empty());
    }

    #[test]
    fn a_missing_need_names_the_releases_and_the_need() {
        let releases =
            vec![release("a", "ns", &["other/x"]), release("b", "", &["ns/y"]), release("c", "", &["other/x"])];
        let error = ReleaseGraph::new(&releases, &all(&releases)).unwrap_err();
        assert_eq!(
            error,
            PlanError::UndefinedNeed {
                dependents: vec!["ns/a".into(), "c".into()],
                need: "other/x".into(),
                location: releases[0].location.to_string(),
            }
        );
        assert_eq!(
            error.to_string(),
            format!("{}: ", releases[0].location)
                + "release(s) `ns/a`, `c` depend(s) on an undefined release `other/x`. Perhaps you made a typo in \"needs\" \
             or forgot defining a release named `x` with appropriate \"namespace\" and \"kubeContext\"?"
        );
    }

    #[test]
    fn a_need_outside_the_members_is_missing() {
        let releases = vec![release("a", "", &[]), release("b", "", &["a"])];
        let error = ReleaseGraph::new(&releases, &[1]).unwrap_err();
        assert!(matches!(error, PlanError::UndefinedNeed { .. }));
    }

    #[test]
    fn a_cycle_prints_its_path() {
        let releases = vec![
            release("a", "", &["c"]),
            release("b", "", &["a"]),
            release("c", "", &["b"]),
            release("d", "", &["a"]),
        ];
        let error = ReleaseGraph::new(&releases, &all(&releases)).unwrap_err();
        assert_eq!(error.to_string(), "cycle detected: `a -> b -> c -> a`");
        let releases = vec![release("a", "", &["b"]), release("b", "", &["a"])];
        assert_eq!(
            ReleaseGraph::new(&releases, &all(&releases)).unwrap_err(),
            PlanError::Cycle { path: vec!["a".into(), "b".into(), "a".into()] }
        );
        let releases = vec![release("a", "", &["a"])];
        assert_eq!(ReleaseGraph::new(&releases, &[0]).unwrap_err().to_string(), "cycle detected: `a -> a`");
    }

    #[test]
    fn a_need_written_twice_counts_once() {
        let releases = vec![release("a", "", &[]), release("b", "", &["a", "a"])];
        assert_eq!(names(&releases, &graph(&releases).all_batches(Order::Forward)), [vec!["a"], vec!["b"]]);
    }

    #[test]
    fn releases_sharing_an_id_share_a_batch() {
        let releases = vec![release("a", "", &[]), release("b", "", &["a"]), release("a", "", &[])];
        let batches = graph(&releases).all_batches(Order::Forward);
        assert_eq!(batches, [vec![0, 2], vec![1]]);
    }
}
