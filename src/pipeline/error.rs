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
