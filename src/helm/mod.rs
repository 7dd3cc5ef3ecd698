//! The helm layer: everything helmfire asks of the Helm SDK, behind the
//! [`HelmBackend`] trait.
//!
//! [`ShimBackend`] implements it by calling the Go c-archive built from
//! go-shim/ (all `unsafe` is in `ffi.rs`); tests may implement it with a
//! fake. Calls block: async code runs them on tokio's blocking pool (see
//! `exec`). This layer knows nothing of helmfile's state model.

pub use chart_wire::{
    CacheCleanupOutput, CacheEntry, CacheInfoOutput, CacheRequest, ChartPullOutput, ChartPullRequest,
    KustomizeHelmOutput, KustomizeHelmRequest, LockDependency, LockResolveOutput, LockResolveRequest, LockedDependency,
    RegistryAccess, RegistryHost,
};
pub use cluster_wire::{
    ClusterProbeOutput, ClusterProbeRequest, DiffChange, DiffOutput, DiffRequest, DriftField, DriftObject, DriftOutput,
    DriftRequest, KubeTarget, KubectlApplyOutput, KubectlApplyRequest, LeaseHandle, LeaseStartRequest, LeaseStatus,
    RecoverOutput, RecoverRequest, StatusOutput, StatusRequest, TestHook, TestOutput, TestRequest, TrackOptions,
    TrackResource, UninstallOutput, UninstallRequest, UpgradeOptions, UpgradeOutput, UpgradeRequest,
};
pub use error::HelmError;
pub use flags::{HelmFlags, parse_duration};
pub use shim::ShimBackend;
pub use wire::{
    AdhocDependency, ChartifyOutput, ChartifyRequest, DecryptOutput, DecryptRequest, DepsBuildOutput, DepsBuildRequest,
    HclValuesOutput, HclValuesRequest, ImageSubstitution, LintOutput, LintRequest, RemoteFetchOutput,
    RemoteFetchRequest, RenderTemplateOutput, RenderTemplateRequest, ReposOutput, ReposRequest, Repository, SdkVersion,
    TemplateOutput, TemplateRequest, TransformerConfig, ValsOutput, ValsRequest, ValueOverrides, ValueSource,
};

mod chart_wire;
mod cluster_wire;
mod error;
mod ffi;
mod flags;
mod shim;
mod startup;
mod wire;

/// Identifies one call so that it can be cancelled from another thread.
/// `CallId(0)` is a call that cannot be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallId(pub u64);

/// What helmfire needs from Helm. Every method blocks the calling thread.
pub trait HelmBackend: Send + Sync {
    /// A fresh id for a cancellable call.
    fn new_call(&self) -> CallId;
    /// Cancels a call in flight, or makes it start cancelled.
    fn cancel(&self, call: CallId);
    /// Cancels every call in flight and makes every later call start
    /// cancelled (shutting down).
    fn cancel_all(&self);
    /// Versions of the embedded SDK.
    fn version(&self) -> Result<SdkVersion, HelmError>;
    /// Ends the shim's CPU profile (HELMFIRE_SHIM_CPUPROFILE), if one runs.
    fn stop_profile(&self) -> Result<(), HelmError>;
    /// Sets the Go collector's heap growth (GOGC) for the rest of the
    /// process, unless the user's GOGC chose one; returns the one in effect
    /// (-1 for GOGC=off).
    fn tune_gc(&self, percent: i32) -> Result<i32, HelmError>;
    /// Registers chart repositories and refreshes their indexes.
    fn repos(&self, call: CallId, request: &ReposRequest) -> Result<ReposOutput, HelmError>;
    /// `helm dependency build` of a local chart.
    fn deps_build(&self, call: CallId, request: &DepsBuildRequest) -> Result<DepsBuildOutput, HelmError>;
    /// Builds the wrapper chart of a release with ad-hoc `dependencies:`.
    fn chartify(&self, call: CallId, request: &ChartifyRequest) -> Result<ChartifyOutput, HelmError>;
    /// Makes sure a remote chart version is in the chart cache.
    fn chart_pull(&self, call: CallId, request: &ChartPullRequest) -> Result<ChartPullOutput, HelmError>;
    /// Resolves the version constraints of a lock file.
    fn lock_resolve(&self, call: CallId, request: &LockResolveRequest) -> Result<LockResolveOutput, HelmError>;
    /// What the chart cache holds.
    fn cache_info(&self, request: &CacheRequest) -> Result<CacheInfoOutput, HelmError>;
    /// Empties the chart cache (or its older part).
    fn cache_cleanup(&self, request: &CacheRequest) -> Result<CacheCleanupOutput, HelmError>;
    /// One helm command that kustomize runs to inflate `helmCharts:`, with
    /// helmfire standing in for the helm binary.
    fn kustomize_helm(&self, request: &KustomizeHelmRequest) -> Result<KustomizeHelmOutput, HelmError>;
    /// `helm upgrade --install` of one release.
    fn upgrade(&self, call: CallId, request: &UpgradeRequest) -> Result<UpgradeOutput, HelmError>;
    /// `helm uninstall` of one release.
    fn uninstall(&self, call: CallId, request: &UninstallRequest) -> Result<UninstallOutput, HelmError>;
    /// `helm status` of one release.
    fn status(&self, call: CallId, request: &StatusRequest) -> Result<StatusOutput, HelmError>;
    /// What upgrading one release would change in the live cluster.
    fn diff(&self, call: CallId, request: &DiffRequest) -> Result<DiffOutput, HelmError>;
    /// Marks a release left pending by a killed process as failed.
    fn recover(&self, call: CallId, request: &RecoverRequest) -> Result<RecoverOutput, HelmError>;
    /// Compares a release's last deployed manifest with the live objects.
    fn drift(&self, call: CallId, request: &DriftRequest) -> Result<DriftOutput, HelmError>;
    /// Checks a cluster once per run: context, reachability, credentials,
    /// access to Helm's release storage.
    fn cluster_probe(&self, call: CallId, request: &ClusterProbeRequest) -> Result<ClusterProbeOutput, HelmError>;
    /// Starts campaigning for a Lease in the background (the daemon's
    /// leader election).
    fn lease_start(&self, call: CallId, request: &LeaseStartRequest) -> Result<LeaseHandle, HelmError>;
    /// What a running election knows now.
    fn lease_status(&self, handle: &LeaseHandle) -> Result<LeaseStatus, HelmError>;
    /// Ends an election, giving the Lease up if it is held.
    fn lease_release(&self, handle: &LeaseHandle) -> Result<LeaseStatus, HelmError>;
    /// `kubectl apply` of a helmfile `kubectlApply` hook.
    fn kubectl_apply(&self, call: CallId, request: &KubectlApplyRequest) -> Result<KubectlApplyOutput, HelmError>;
    /// `helm test` of one release.
    fn test(&self, call: CallId, request: &TestRequest) -> Result<TestOutput, HelmError>;
    /// `helm lint` of one chart.
    fn lint(&self, call: CallId, request: &LintRequest) -> Result<LintOutput, HelmError>;
    /// Evaluates HCL values files together, as helmfile does.
    fn hcl_values(&self, request: &HclValuesRequest) -> Result<HclValuesOutput, HelmError>;
    /// Decrypts a sops-encrypted file in memory.
    fn decrypt(&self, request: &DecryptRequest) -> Result<DecryptOutput, HelmError>;
    /// Resolves the vals `ref+` references of a values tree.
    fn vals(&self, request: &ValsRequest) -> Result<ValsOutput, HelmError>;
    /// Fetches a remote (go-getter) source into the source cache.
    fn remote_fetch(&self, request: &RemoteFetchRequest) -> Result<RemoteFetchOutput, HelmError>;
    /// Renders a Go template with helmfile's functions.
    fn render_template(&self, request: &RenderTemplateRequest) -> Result<RenderTemplateOutput, HelmError>;
    /// Renders one release offline (`helm template`).
    fn template(&self, call: CallId, request: &TemplateRequest) -> Result<TemplateOutput, HelmError>;
}

/// Log levels of the shim (Go's slog levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShimLogLevel {
    /// slog.LevelDebug
    Debug = -4,
    /// slog.LevelInfo
    Info = 0,
    /// Between info and warn: lines meant for the user as the run goes
    /// (go-shim/internal/track's progress).
    Progress = 2,
    /// slog.LevelWarn
    Warn = 4,
    /// slog.LevelError
    Error = 8,
}

impl ShimLogLevel {
    fn from_slog(level: i32) -> Self {
        match level {
            l if l >= 8 => ShimLogLevel::Error,
            l if l >= 4 => ShimLogLevel::Warn,
            l if l >= 2 => ShimLogLevel::Progress,
            l if l >= 0 => ShimLogLevel::Info,
            _ => ShimLogLevel::Debug,
        }
    }
}

/// Receives the SDK's log lines.
pub type ShimLogSink = Box<dyn Fn(ShimLogLevel, &str) + Send + Sync>;

/// Sends the SDK's log lines at or above `min` to `sink` (None silences them).
/// Returns at once: Go gets the setting once it has started, before any call.
pub fn set_log_sink(sink: Option<ShimLogSink>, min: ShimLogLevel) {
    let sink = sink.map(|f| -> ffi::LogSink { Box::new(move |level, text| f(ShimLogLevel::from_slog(level), text)) });
    ffi::set_log_sink(sink, min as i32);
}

/// The Go collector's heap growth for a process that runs one command and
/// exits: the heap may triple between collections instead of doubling
/// (GOGC=200), a few MB more at the peak for a tenth less CPU
/// (go-shim/gc.go). Until [`HelmBackend::tune_gc`] is called the collector
/// is off (go-shim/internal/boot), so every process calls it once.
pub const ONE_SHOT_GC_PERCENT: i32 = 200;

/// Go's default, for what runs for days (the daemon, watch mode).
pub const LONG_RUNNING_GC_PERCENT: i32 = 100;

/// Calls `sink` with the signal number each time the process gets SIGINT or
/// SIGTERM. The Go runtime catches them (see `ffi.rs`); once Go has started
/// and taken the registration, which happens before any call into it,
/// neither signal ends the process by itself. Returns at once.
pub fn on_termination_signal(sink: Box<dyn Fn(i32) + Send + Sync>) {
    ffi::set_signal_sink(Some(sink));
}

/// Runs `job` (a setting for Go that needs no answer, like
/// [`HelmBackend::tune_gc`]) once Go has started, after the sinks and
/// before any other call; returns at once, so the caller goes on while Go
/// initialises its packages.
pub fn before_first_call(job: Box<dyn FnOnce() + Send>) {
    startup::defer(job);
}

/// Blocks until the registrations made so far (the signal and log sinks,
/// [`before_first_call`] jobs) have reached Go. Every call into Go waits
/// for them by itself; this is for what Rust starts on its own that a
/// signal must reach, like a hook's command.
pub fn wait_for_registrations() {
    startup::wait_for_queued();
}
