//! Why one release failed, with its cause kept: the SDK's typed error, the
//! state layer's (values, secrets), or a helmfile hook's. Per-release
//! failures are reported through [`ReleaseFailed`], so `Caused by:` lines
//! and hints survive instead of being flattened into strings.

use crate::helm::HelmError;
use crate::state::{Location, StateError};

use super::hooks::HookError;

/// What failed for one release.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// Its values (a values template, a secret) could not be resolved.
    #[error("{0}")]
    Values(#[source] StateError),
    /// The SDK refused or failed.
    #[error("{0}")]
    Helm(#[source] HelmError),
    /// A helmfile hook around the operation failed.
    #[error("{0}")]
    Hook(#[source] HookError),
}

impl From<StateError> for ReleaseError {
    fn from(e: StateError) -> Self {
        ReleaseError::Values(e)
    }
}

impl From<HelmError> for ReleaseError {
    fn from(e: HelmError) -> Self {
        ReleaseError::Helm(e)
    }
}

impl From<HookError> for ReleaseError {
    fn from(e: HookError) -> Self {
        ReleaseError::Hook(e)
    }
}

impl ReleaseError {
    /// Whether the run was cancelled (a signal), not failed.
    pub fn cancelled(&self) -> bool {
        matches!(self, ReleaseError::Helm(HelmError::Cancelled))
    }
}

/// A release's failure, as reported: one line naming the release and where
/// it is declared, its cause chain below.
#[derive(Debug, thiserror::Error)]
#[error("release `{release}` ({location})")]
pub struct ReleaseFailed {
    /// The release's name.
    pub release: String,
    /// Where it is declared.
    pub location: Location,
    /// Why it failed.
    #[source]
    pub source: Box<ReleaseError>,
}

impl ReleaseFailed {
    /// The failure of `release`.
    pub fn new(release: &crate::state::Release, source: impl Into<ReleaseError>) -> ReleaseFailed {
        ReleaseFailed {
            release: release.name.clone(),
            location: release.location.clone(),
            source: Box::new(source.into()),
        }
    }
}

/// Reports per-release failures, each cause once: releases that failed the
/// same way (a bad `--set`, an unreachable cluster) share one error naming
/// them all, instead of one identical error per release.
pub(crate) fn report_failures(printer: &crate::output::Printer, failures: Vec<ReleaseFailed>) {
    let mut groups: Vec<(String, Vec<ReleaseFailed>)> = Vec::new();
    for failure in failures {
        let cause = cause_text(&failure);
        match groups.iter_mut().find(|(c, _)| *c == cause) {
            Some((_, members)) => members.push(failure),
            None => groups.push((cause, vec![failure])),
        }
    }
    for (_, mut members) in groups {
        let first = members.remove(0);
        if members.is_empty() {
            crate::output::report(printer, &anyhow::Error::new(first));
            continue;
        }
        let names: Vec<String> =
            std::iter::once(&first).chain(&members).map(|f| format!("`{}` ({})", f.release, f.location)).collect();
        let error = anyhow::Error::new(*first.source).context(format!(
            "{} releases failed the same way: {}",
            names.len(),
            names.join(", ")
        ));
        crate::output::report(printer, &error);
    }
}

/// The text of a failure's causes (not of the release it names).
fn cause_text(failure: &ReleaseFailed) -> String {
    let mut text = String::new();
    let mut cause: Option<&dyn std::error::Error> = Some(failure.source.as_ref());
    while let Some(error) = cause {
        text.push_str(&error.to_string());
        text.push('\n');
        cause = error.source();
    }
    text
}
