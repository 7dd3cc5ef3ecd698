//! The path helmfile prints for a cycle of `needs`.

use petgraph::Direction::Outgoing;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// A cycle of `graph` (edges run from a need to the release that needs it),
/// as ids: `a -> b -> a`, the first repeated at the end.
///
/// helmfile (variantdev/dag `Sort`) starts from the smallest id left
/// unsorted and follows an arbitrary edge, so its path can vary between runs
/// and can start outside the cycle. This starts from the smallest id on a
/// cycle and follows the smallest next id on it: the same cycle every time.
/// Empty when the graph has no cycle.
pub(super) fn find_cycle<N>(graph: &DiGraph<N, ()>, id: impl Fn(&N) -> &str) -> Vec<String> {
    let mut component = vec![usize::MAX; graph.node_count()];
    let mut on_cycle = Vec::new();
    for (c, nodes) in tarjan_scc(graph).into_iter().enumerate() {
        let cyclic = nodes.len() > 1 || graph.contains_edge(nodes[0], nodes[0]);
        for &node in &nodes {
            component[node.index()] = c;
            if cyclic {
                on_cycle.push(node);
            }
        }
    }
    let Some(start) = on_cycle.into_iter().min_by(|a, b| id(&graph[*a]).cmp(id(&graph[*b]))) else {
        return Vec::new();
    };
    let mut path: Vec<NodeIndex> = vec![start];
    let mut current = start;
    loop {
        let next = graph
            .neighbors_directed(current, Outgoing)
            .filter(|n| component[n.index()] == component[start.index()])
            .min_by(|a, b| id(&graph[*a]).cmp(id(&graph[*b])));
        let Some(next) = next else { break };
        if let Some(seen) = path.iter().position(|&n| n == next) {
            path.push(next);
            path.drain(..seen);
            break;
        }
        path.push(next);
        current = next;
    }
    path.into_iter().map(|n| id(&graph[n]).to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&'static str, &'static str)]) -> DiGraph<&'static str, ()> {
        let mut graph = DiGraph::new();
        let node = |graph: &mut DiGraph<&'static str, ()>, name| {
            graph.node_indices().find(|&n| graph[n] == name).unwrap_or_else(|| graph.add_node(name))
        };
        for &(from, to) in edges {
            let (a, b) = (node(&mut graph, from), node(&mut graph, to));
            graph.add_edge(a, b, ());
        }
        graph
    }

    #[test]
    fn the_cycle_starts_at_its_smallest_id() {
        let g = graph(&[("c", "a"), ("a", "b"), ("b", "c"), ("x", "a"), ("c", "z")]);
        assert_eq!(find_cycle(&g, |n| n), ["a", "b", "c", "a"]);
    }

    #[test]
    fn a_self_need_is_a_cycle_of_one() {
        let g = graph(&[("a", "b"), ("b", "b")]);
        assert_eq!(find_cycle(&g, |n| n), ["b", "b"]);
    }

    #[test]
    fn the_walk_keeps_only_the_loop() {
        // From `a` the smallest steps are `b`, `c`, then `b` again: the loop
        // `b -> c -> b` does not pass through `a`.
        let g = graph(&[("a", "b"), ("b", "c"), ("c", "b"), ("c", "d"), ("d", "a")]);
        assert_eq!(find_cycle(&g, |n| n), ["b", "c", "b"]);
    }

    #[test]
    fn no_cycle_no_path() {
        assert!(find_cycle(&graph(&[("a", "b")]), |n| n).is_empty());
    }
}
