//! The daemon: where its files are and its token ([`files`]), what it
//! reports ([`status`], [`metrics`]), its HTTP API ([`api`]) and its loop
//! (`run.rs`), which syncs, watches and checks drift through the shared
//! stages of `pipeline` and watch mode's reloads. `commands/daemon.rs`
//! starts, stops and inspects it.

pub mod api;
mod connections;
pub mod files;
pub mod leader;
pub mod metrics;
mod run;
pub mod source;
pub mod status;

pub use files::{DaemonFiles, Running};
pub use leader::{ElectionOptions, Leadership};
pub use metrics::Metrics;
pub use run::SourceOptions;
pub use run::{Daemon, DaemonOptions};
pub use source::SourceStatus;
pub use status::{DaemonStatus, RunRecord};

/// What the API asks of the daemon's loop; each carries where to answer.
#[derive(Debug)]
pub enum Control {
    /// Sync (apply) now; answers with the run's record.
    SyncNow(tokio::sync::oneshot::Sender<serde_json::Value>),
    /// Check drift now; answers with the report.
    DriftNow(tokio::sync::oneshot::Sender<serde_json::Value>),
    /// Reload the state (and apply what changed); answers with the record.
    Reload(tokio::sync::oneshot::Sender<serde_json::Value>),
    /// Stop.
    Shutdown,
}
