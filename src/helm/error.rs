//! Typed errors of the helm layer, mapped from the shim's error kinds.

use std::collections::BTreeMap;

use super::wire::WireError;

/// Why a call into the Helm SDK failed.
#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    /// The chart is missing, unreadable or not installable.
    #[error("{message}")]
    Chart {
        /// The shim's message.
        message: String,
        /// The chart reference.
        chart: String,
    },
    /// The chart's dependencies are not in its charts/ directory.
    #[error("{message}")]
    Dependencies {
        /// The shim's message.
        message: String,
        /// The chart reference.
        chart: String,
    },
    /// A values file or `--set` entry is wrong.
    #[error("{message}")]
    Values {
        /// The shim's message.
        message: String,
        /// The values file at fault, when there is one.
        file: Option<String>,
    },
    /// The values violate the chart's values.schema.json.
    #[error("{message}")]
    ValuesSchema {
        /// The shim's message (helm's list of violations).
        message: String,
        /// The chart reference.
        chart: String,
    },
    /// A chart template failed to render.
    #[error("{message}")]
    Render {
        /// The shim's message, with helm's template name and line.
        message: String,
        /// The chart reference.
        chart: String,
    },
    /// A chart repository is unreachable or refused access.
    #[error("{message}")]
    Repository {
        /// The shim's message, naming the repository and URL.
        message: String,
        /// The repository's name.
        repository: String,
    },
    /// The cluster cannot be used as configured: kubeconfig or context
    /// missing, API server unreachable, credentials refused, RBAC.
    #[error("{message}")]
    Kube {
        /// The shim's message (names the context, server, verb, resource).
        message: String,
    },
    /// The release does not exist (in that namespace and context).
    #[error("{message}")]
    ReleaseNotFound {
        /// The shim's message.
        message: String,
    },
    /// A release is busy, or its operation failed in the cluster.
    #[error("{message}")]
    Release {
        /// The shim's message.
        message: String,
        /// The release's status after the failure, when known.
        status: Option<String>,
    },
    /// Writing rendered output failed.
    #[error("{0}")]
    Io(String),
    /// The call was cancelled.
    #[error("the operation was cancelled")]
    Cancelled,
    /// The shim failed in a way that is a helmfire bug (bad request, panic,
    /// undecodable answer).
    #[error("internal error in the Go shim ({kind}): {message}")]
    Internal {
        /// The shim's error kind.
        kind: String,
        /// The message.
        message: String,
        /// Extra data, e.g. the Go stack of a recovered panic.
        details: BTreeMap<String, String>,
    },
}

impl HelmError {
    pub(crate) fn from_wire(e: WireError) -> Self {
        let WireError { kind, message, mut details } = e;
        let mut take = |key: &str| details.remove(key).unwrap_or_default();
        match kind.as_str() {
            "chart" => HelmError::Chart { message, chart: take("chart") },
            "dependencies" => HelmError::Dependencies { message, chart: take("chart") },
            "values" => {
                let file = details.remove("file");
                HelmError::Values { message, file }
            }
            "values_schema" => HelmError::ValuesSchema { message, chart: take("chart") },
            "render" => HelmError::Render { message, chart: take("chart") },
            "io" => HelmError::Io(message),
            "kube" => HelmError::Kube { message },
            "release_not_found" => HelmError::ReleaseNotFound { message },
            "release" => HelmError::Release { message, status: details.remove("status") },
            "repository" => HelmError::Repository { message, repository: take("repository") },
            "cancelled" => HelmError::Cancelled,
            _ => HelmError::Internal { kind, message, details },
        }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        HelmError::Internal { kind: "rust".into(), message: message.into(), details: BTreeMap::new() }
    }

    /// What the user can do about this error, if anything specific.
    pub fn hint(&self) -> Option<String> {
        match self {
            HelmError::Dependencies { chart, .. } => Some(format!(
                "let helmfire build the dependencies of {chart} (run without --skip-deps and without `skipDeps: true`)"
            )),
            HelmError::ValuesSchema { chart, .. } => {
                Some(format!("fix the values to satisfy {chart}/values.schema.json"))
            }
            HelmError::Repository { repository, .. } if !repository.is_empty() => Some(format!(
                "check the URL and credentials of repository `{repository}` (username/password in the state file, or {}_USERNAME and {}_PASSWORD)",
                repository.to_uppercase().replace('-', "_"),
                repository.to_uppercase().replace('-', "_")
            )),
            HelmError::Internal { .. } => {
                Some("this is a bug in helmfire; please report it with the output of --debug".into())
            }
            _ => None,
        }
    }
}
