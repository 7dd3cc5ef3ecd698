//! The exec layer: runs per-release work concurrently on tokio and reports
//! progress through [`Reporter`].
//!
//! Work that calls the Helm SDK blocks a thread, so it runs on tokio's
//! blocking pool ([`call_helm`]); dropping the future cancels the call in the
//! shim. This layer knows how to run things, not what a release means: it
//! must not import `state` or `output`.

pub use blocking::call_helm;
pub use dag::{NeverStop, StopSignal, Task, TaskOutcome, run_dag};
pub use ordered::{Concurrency, run_ordered, run_ordered_until};
pub use parallel::map_in_order;
pub use reporter::{NoReporter, Reporter};
pub use shutdown::{Adopted, GRACE, InFlight, Shutdown, ShutdownHooks, Signal};

mod blocking;
mod dag;
mod ordered;
mod parallel;
mod reporter;
mod shutdown;
