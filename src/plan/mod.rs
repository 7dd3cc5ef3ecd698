//! The plan layer: which releases a command acts on, and in what order.
//!
//! Pure and synchronous: it takes resolved releases from `state` and returns
//! selections and batches. It must not import `exec`, `helm`, `output`,
//! `commands` or `cli`.
//!
//! It follows helmfile v1.7: `-l` selectors and implicit labels
//! ([`Selectors`], [`release_labels`]), `condition` ([`condition_enabled`]),
//! release ids and `needs` ([`release_id`], [`resolve_need`]), the needs
//! graph and its batches ([`ReleaseGraph`]), selection with
//! `--skip-needs` / `--include-needs` / `--include-transitive-needs`
//! ([`NeedsMode`], [`plan_with_needs`]) and `show-dag` ([`show_dag`]).
//! Releases are referred to by their index in the slice given; everything
//! is per state file, as helmfile orders only releases of one file.

#![deny(missing_docs)]

pub use condition::condition_enabled;
pub use dag::{Batches, ReleaseGraph};
pub use error::{ConditionError, PlanError};
pub use labels::release_labels;
pub use needs::{UninstalledNeed, release_id, resolve_need, resolved_needs, uninstalled_needs};
pub use needs_mode::{NeedsFlags, NeedsMode, Order};
pub use planner::{Plan, plan_with_needs};
pub use select::{Criteria, Selection, filter_releases, select_releases};
pub use selector::{Selector, Selectors};
pub use show_dag::{DagRow, render_dot, render_groups, render_json, render_table, show_dag};

mod condition;
mod cycle;
mod dag;
mod error;
mod labels;
mod needs;
mod needs_mode;
mod planner;
mod select;
mod selector;
mod show_dag;
mod tabwriter;
#[cfg(test)]
mod test_support;
