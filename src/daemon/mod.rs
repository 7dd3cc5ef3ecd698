//! The daemon's parts: where its files are and its token ([`files`]), what
//! it reports ([`status`], [`metrics`]) and its HTTP API ([`api`]). The
//! loop that syncs, watches and checks drift is a command
//! (`commands/daemon_command.rs`), built on watch mode's.

pub mod api;
pub mod files;
pub mod metrics;
pub mod status;

pub use files::{DaemonFiles, Running};
pub use metrics::Metrics;
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
