//! What the daemon reports at `/v1/status`.

use serde::Serialize;

/// The daemon's state, updated by its loop and read by the API.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DaemonStatus {
    /// When it started (Unix seconds).
    pub started_at: u64,
    /// The state it serves.
    pub state: String,
    /// The releases of the loaded state: `namespace/name`.
    pub releases: Vec<String>,
    /// The last sync (or apply after a change).
    pub last_sync: Option<RunRecord>,
    /// The last drift check.
    pub last_drift: Option<RunRecord>,
    /// The last error, if the last run of anything failed.
    pub last_error: Option<String>,
    /// The state has loaded at least once (`/ready`).
    pub loaded: bool,
    /// With `--leader-elect`: the Lease, this daemon's identity, whether it
    /// leads and who does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader: Option<super::leader::Leadership>,
    /// With `--source`: where the state comes from and which revision was
    /// fetched and applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<super::source::SourceStatus>,
}

/// One run of something.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// When it ended (Unix seconds).
    pub at: u64,
    /// Why it ran: `start`, `interval`, `change`, `api`.
    pub trigger: String,
    /// `ok`, `failed`, or for drift `drift` (found) / `clean`.
    pub result: String,
    /// How long it took.
    pub seconds: f64,
    /// What it did, in a line.
    pub summary: String,
    /// Drift checks: the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<serde_json::Value>,
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
