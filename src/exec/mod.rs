//! The exec layer: runs per-release work concurrently on tokio and reports
//! progress through [`Reporter`].
//!
//! Work that calls the Helm SDK blocks a thread, so it runs on tokio's
//! blocking pool ([`call_helm`]); dropping the future cancels the call in the
//! shim. This layer knows how to run things, not what a release means: it
//! must not import `state` or `output`.

pub use blocking::{call_helm, call_helm_interruptible};
pub use dag::{NeverStop, StopSignal, Task, TaskOutcome, run_dag};
pub use interrupt::{EXIT_INTERRUPTED, InFlight, Interrupts};
pub use ordered::{Concurrency, run_ordered};
pub use reporter::{NoReporter, Reporter};

mod blocking;
mod dag;
mod interrupt;
mod ordered;
mod reporter;
