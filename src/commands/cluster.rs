//! What the commands that change the cluster share: where each release
//! goes, its place in the needs graph as exec tasks, and the closing
//! summary.

use std::collections::HashMap;
use std::time::Duration;

use super::selection::Selected;
use crate::cli::GlobalSettings;
use crate::exec::{Task, TaskOutcome};
use crate::helm::{HelmError, KubeTarget};
use crate::output::render_table;
use crate::plan::{release_id, resolved_needs};
use crate::state::Release;

/// The cluster and namespace of `release`: `--kubeconfig`, then
/// `--kube-context` over the release's `kubeContext`, then `-n` over its
/// namespace.
pub(crate) fn kube_target(global: &GlobalSettings, release: &Release) -> KubeTarget {
    KubeTarget {
        kubeconfig: global.kubeconfig.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        context: global.kube_context.clone().unwrap_or_else(|| release.kube_context.clone()),
        namespace: String::new(),
    }
}

/// The namespace `release` lives in.
pub(crate) fn namespace_of(global: &GlobalSettings, release: &Release) -> String {
    global.namespace_override.clone().unwrap_or_else(|| release.namespace.clone())
}

/// Which way the needs edges point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// A release runs after what it needs (install, upgrade).
    NeedsFirst,
    /// A release runs after what needs it (uninstall).
    DependentsFirst,
}

/// The selected releases as tasks whose needs are the edges of the needs
/// graph among them (a need outside the selection does not hold a release
/// back, as with helmfile's --skip-needs).
pub(crate) fn release_tasks(selected: &[Selected<'_>], direction: Direction) -> Vec<Task<Release>> {
    let mut tasks: Vec<Task<Release>> = Vec::new();
    for group in selected {
        let offset = tasks.len();
        let index: HashMap<String, usize> =
            group.releases.iter().enumerate().map(|(i, r)| (release_id(r), offset + i)).collect();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); group.releases.len()];
        for (i, release) in group.releases.iter().enumerate() {
            for need in resolved_needs(release) {
                if let Some(&needed) = index.get(&need) {
                    match direction {
                        Direction::NeedsFirst => edges[i].push(needed),
                        Direction::DependentsFirst => edges[needed - offset].push(offset + i),
                    }
                }
            }
        }
        for (release, needs) in group.releases.iter().zip(edges) {
            tasks.push(Task { input: (*release).clone(), needs });
        }
    }
    tasks
}

/// One line of the closing summary.
pub(crate) struct SummaryRow {
    pub release: String,
    pub action: &'static str,
    pub duration: Duration,
}

/// The closing table (release, namespace, action, result, duration) and
/// whether anything did not succeed.
pub(crate) fn summary(
    tasks: &[Task<Release>],
    outcomes: &[TaskOutcome<SummaryRow, (SummaryRow, HelmError)>],
    global: &GlobalSettings,
) -> (String, bool) {
    let mut rows = Vec::with_capacity(outcomes.len());
    let mut failed = false;
    for (task, outcome) in tasks.iter().zip(outcomes) {
        let release = &task.input;
        let (action, result, duration) = match outcome {
            TaskOutcome::Done(row) => (row.action, "ok".to_string(), format!("{:.1}s", row.duration.as_secs_f64())),
            TaskOutcome::Failed((row, _)) => {
                failed = true;
                (row.action, "FAILED".to_string(), format!("{:.1}s", row.duration.as_secs_f64()))
            }
            TaskOutcome::Skipped { because } => {
                failed = true;
                ("-", format!("skipped: `{}` did not succeed", tasks[*because].input.name), String::new())
            }
            TaskOutcome::Cancelled => {
                failed = true;
                ("-", "not started: interrupted".to_string(), String::new())
            }
        };
        rows.push(vec![release.name.clone(), namespace_of(global, release), action.to_string(), result, duration]);
    }
    (render_table(&["RELEASE", "NAMESPACE", "ACTION", "RESULT", "DURATION"], &rows), failed)
}
