//! Errors of the plan layer. Each names its culprit (a label, a release id,
//! a `needs` entry) in backticks; the wording follows helmfile's messages so
//! that users searching for helmfile's text find their way.

/// Why releases could not be selected or ordered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A `-l` selector has a part that is neither `k=v` nor `k!=v`
    /// (helmfile's `ParseLabels`).
    #[error("malformed label: `{label}`. Expected label in form k=v or k!=v")]
    MalformedLabel {
        /// The comma-separated part that failed.
        label: String,
    },
    /// A release's `condition` could not be evaluated (helmfile's
    /// `markExcludedReleases`).
    #[error("failed to parse condition in release `{release}`")]
    Condition {
        /// The release name.
        release: String,
        /// What is wrong with the condition.
        #[source]
        source: ConditionError,
    },
    /// Two selected releases share one id (helmfile's `getSelectedReleases`).
    #[error("found {count} duplicate releases with ID `{id}`")]
    DuplicateId {
        /// How many were seen when the duplicate was found.
        count: usize,
        /// The shared id.
        id: String,
    },
    /// Two releases left after filtering share name, namespace and kube
    /// context (helmfile's `checkDuplicates`).
    #[error(
        "duplicate release `{name}` found{}{}: there were {count} releases named `{name}` matching specified selector",
        in_namespace(namespace),
        in_kube_context(kube_context)
    )]
    DuplicateRelease {
        /// The release name.
        name: String,
        /// Its namespace, possibly empty.
        namespace: String,
        /// Its kube context, possibly empty.
        kube_context: String,
        /// How many releases share them.
        count: usize,
    },
    /// A `needs` entry names no release of the state file.
    #[error(
        "{location}: release(s) {} depend(s) on an undefined release `{need}`. Perhaps you made a typo in \"needs\" or forgot defining a release named `{}` with appropriate \"namespace\" and \"kubeContext\"?",
        quoted_list(dependents, ", "),
        last_segment(need)
    )]
    UndefinedNeed {
        /// Ids of the releases that need it, in declaration order.
        dependents: Vec<String>,
        /// The need, resolved to a release id.
        need: String,
        /// Where the first release that needs it is declared (file:line).
        location: String,
    },
    /// The needs form a cycle. The path runs from a release to the release
    /// that needs it, as helmfile prints it: `a -> b` means `b` needs `a`.
    #[error("cycle detected: `{}`", path.join(" -> "))]
    Cycle {
        /// Release ids along the cycle; the first is repeated at the end.
        path: Vec<String>,
    },
    /// A selected release needs a release the selectors left out, and
    /// neither `--skip-needs` nor `--include-needs` says what to do.
    #[error(
        "release {} {} on `{need}` which does not match the selectors. Please add a selector like \"--selector name={}\", or indicate whether to skip (--skip-needs) or include (--include-needs) these dependencies",
        humanized(dependents),
        if dependents.len() == 1 { "depends" } else { "depend" },
        last_segment(need)
    )]
    UnselectedNeed {
        /// Ids of the selected releases that need it, sorted.
        dependents: Vec<String>,
        /// The id of the release left out.
        need: String,
    },
}

/// Why a release's `condition` could not be evaluated (helmfile's
/// `ConditionEnabled`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    /// The condition is neither a boolean nor a path ending in `.enabled`.
    #[error("condition `{condition}` must be in the form 'foo.enabled' where 'foo' can be modified as necessary")]
    Form {
        /// The condition as written.
        condition: String,
    },
    /// A key on the path is absent from the environment values.
    #[error("environment values field `{field}` not found")]
    NotFound {
        /// The path so far, as helmfile prints it (`.foo.bar`).
        field: String,
    },
    /// A key on the path holds something other than a map.
    #[error("environment values field `{field}` is not a map")]
    NotAMap {
        /// The path so far, as helmfile prints it (`.foo.bar`).
        field: String,
    },
}

fn in_namespace(namespace: &str) -> String {
    if namespace.is_empty() { String::new() } else { format!(" in namespace `{namespace}`") }
}

fn in_kube_context(kube_context: &str) -> String {
    if kube_context.is_empty() { String::new() } else { format!(" in kubecontext `{kube_context}`") }
}

fn last_segment(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

fn quoted_list(items: &[String], separator: &str) -> String {
    items.iter().map(|item| format!("`{item}`")).collect::<Vec<_>>().join(separator)
}

/// `a`, `a and b`, `a, b, and c`: helmfile's wording for several dependents.
fn humanized(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [_] | [_, _] => quoted_list(items, " and "),
        [init @ .., last] => format!("{}, and `{last}`", quoted_list(init, ", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_dependents_read_as_a_sentence() {
        let error = |dependents: &[&str]| PlanError::UnselectedNeed {
            dependents: dependents.iter().map(|d| d.to_string()).collect(),
            need: "ns/bar".into(),
        };
        assert!(error(&["a"]).to_string().starts_with("release `a` depends on `ns/bar` which"));
        assert!(error(&["a", "b"]).to_string().starts_with("release `a` and `b` depend on"));
        assert!(error(&["a", "b", "c"]).to_string().starts_with("release `a`, `b`, and `c` depend on"));
        assert!(error(&["a"]).to_string().contains("\"--selector name=bar\""));
    }

    #[test]
    fn duplicate_release_names_only_what_is_set() {
        let error = |namespace: &str, kube_context: &str| PlanError::DuplicateRelease {
            name: "foo".into(),
            namespace: namespace.into(),
            kube_context: kube_context.into(),
            count: 2,
        };
        assert_eq!(
            error("", "").to_string(),
            "duplicate release `foo` found: there were 2 releases named `foo` matching specified selector"
        );
        assert_eq!(
            error("ns", "ctx").to_string(),
            "duplicate release `foo` found in namespace `ns` in kubecontext `ctx`: there were 2 releases named `foo` matching specified selector"
        );
    }
}
