//! Drift: how the live cluster differs from what was last deployed. The
//! comparison itself is the shim's (`drift` method, go-shim/internal/drift);
//! this module decides what counts ([`ignore`]: the state's ignore rules
//! and the field managers expected to change things) and how a report
//! reads ([`report`]).

pub mod ignore;
pub mod report;

pub use ignore::IgnoreRules;
pub use report::{DriftReport, ReleaseDrift};

/// Field managers whose changes are expected by default: controllers that
/// own fields on purpose (an autoscaler scaling a Deployment, the
/// controller manager filling defaults). `helmfire.drift.ignoreManagers`
/// replaces the list.
pub const DEFAULT_IGNORED_MANAGERS: &[&str] =
    &["kube-controller-manager", "horizontal-pod-autoscaler", "vpa-recommender", "vpa-updater", "cluster-autoscaler"];
