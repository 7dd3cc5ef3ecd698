//! The foreground daemon (`helmfire daemon`, for systemd or a Kubernetes
//! Deployment): it holds the cluster at the declared state. It recovers
//! releases a killed run left pending, applies the state, then applies
//! what a file change touches (watch mode's reloads), syncs every
//! `--sync-interval`, checks drift every `--drift-interval` (healing with
//! `--heal`), and serves its HTTP API (`api.rs`), all from one loop so runs
//! never overlap. Signals come from the process's one shutdown state.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::mpsc;

use hyper_util::rt::TokioTimer;

use super::api::{ApiState, probe_router, router};
use super::connections::{HEADER_TIMEOUT, Limited, MAX_CONNECTIONS};
use super::leader::{Campaign, ElectionOptions, Elector, Role};
use super::source::Source;
use super::status::{RunRecord, now};
use super::{Control, DaemonFiles, DaemonStatus, Metrics};
use crate::cli::{DeploySettings, GlobalSettings};
use crate::exec::call_helm;
use crate::helm::RecoverRequest;
use crate::output::Verbosity;
use crate::pipeline::diff::DiffOptions;
use crate::pipeline::kube::{kube_target, namespace_of};
use crate::pipeline::{Context, ExitStatus, Session};
use crate::watch::{ChangeStream, Ignore, QUIET, WatchLoop, clock};

/// The daemon's own settings.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// Where the API listens.
    pub listen: String,
    /// Allow a non-loopback address (needs TLS).
    pub allow_remote: bool,
    /// TLS certificate (PEM).
    pub tls_cert: Option<PathBuf>,
    /// TLS key (PEM).
    pub tls_key: Option<PathBuf>,
    /// The API token, read from this file instead of generated.
    pub token_file: Option<PathBuf>,
    /// Where the open, read-only probes and metrics listen.
    pub probe_listen: Option<String>,
    /// Sync every this many seconds.
    pub sync_interval: Option<u64>,
    /// Check drift every this many seconds.
    pub drift_interval: Option<u64>,
    /// Heal the drift found.
    pub heal: bool,
    /// `--leader-elect`: act only while holding this Lease.
    pub election: Option<ElectionOptions>,
    /// `--source`: the state from a remote source, fetched again on an
    /// interval.
    pub source: Option<SourceOptions>,
}

/// `--source` and `--source-interval`.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// The remote reference of the state.
    pub url: String,
    /// Fetch it again this often.
    pub every_seconds: u64,
}

/// A daemon about to run.
pub struct Daemon {
    /// Global settings.
    pub global: GlobalSettings,
    /// Deploy settings for its syncs.
    pub settings: DeploySettings,
    /// Its own settings.
    pub options: DaemonOptions,
    /// Shared context.
    pub ctx: Context,
}

impl Daemon {
    /// Runs in the foreground until a signal or the API's shutdown: holds
    /// `files` (pid, address, token) while it runs, and removes them when
    /// it stops, also when a second signal makes it exit at once.
    pub async fn serve(mut self, files: DaemonFiles) -> anyhow::Result<ExitStatus> {
        let addr: SocketAddr = self.options.listen.parse().with_context(|| {
            format!("--listen {} is not an address; write host:port, like 127.0.0.1:7474", self.options.listen)
        })?;
        let tls = match (&self.options.tls_cert, &self.options.tls_key) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            (None, None) => None,
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        };
        let remote_allowed = self.options.allow_remote && tls.is_some();
        if !addr.ip().is_loopback() && !remote_allowed {
            anyhow::bail!(
                "--listen {addr} is not a loopback address: the API controls your releases, so it needs --allow-remote and TLS (--tls-cert, --tls-key)"
            );
        }
        // Everything that can fail comes before the daemon announces itself
        // or writes its files.
        let tls = match tls {
            Some((cert, key)) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                let config =
                    axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key).await.with_context(|| {
                        format!("loading the TLS certificate {} and key {}", cert.display(), key.display())
                    })?;
                Some(config)
            }
            None => None,
        };
        let given_token = match &self.options.token_file {
            Some(path) => Some(read_token(path)?),
            None => None,
        };
        let probes = match &self.options.probe_listen {
            Some(at) => {
                let at: SocketAddr = at.parse().with_context(|| {
                    format!("--probe-listen {at} is not an address; write host:port, like 0.0.0.0:8081")
                })?;
                let probes = std::net::TcpListener::bind(at).with_context(|| format!("listening on {at}"))?;
                probes.set_nonblocking(true)?;
                Some(probes)
            }
            None => None,
        };
        let listener = std::net::TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let address = format!("{}://{local}", if tls.is_some() { "https" } else { "http" });
        // The state's first fetch: a source that cannot be read is an
        // error now, not a daemon serving nothing.
        let mut source = match &self.options.source {
            Some(options) => {
                let mut source = Source::new(Arc::clone(&self.ctx.backend), &options.url, &self.global.cache_dir)?;
                let (path, revision) = source.fetch().await?;
                self.ctx.outbox.annotate("source_revision", serde_json::Value::String(revision));
                self.global.source = crate::state::StateSource::Path(path);
                Some(source)
            }
            None => None,
        };
        let elector = match &self.options.election {
            Some(options) => Some(Elector::start(Arc::clone(&self.ctx.backend), &self.global, options).await?),
            None => None,
        };
        let token = match given_token {
            Some(token) => files.store_token(token),
            None => files.create_token(),
        }
        .context("writing the daemon's token")?;
        files.record(&address).context("writing the daemon's pid and address")?;
        let to_clear = files.clone();
        self.ctx.shutdown.on_forced_exit(move || to_clear.clear());
        let electing = elector.as_ref().map_or(String::new(), |e| {
            format!("; campaigning for Lease {} as {}", e.leadership.lease, e.leadership.identity)
        });
        self.ctx.printer.always(&format!(
            "{} helmfire daemon (pid {}) listening on {address}; token in {}{electing}",
            clock(),
            std::process::id(),
            files.token().display()
        ));

        let status = Arc::new(Mutex::new(DaemonStatus {
            started_at: now(),
            state: self.global.substitutions_file.parent().map(|p| p.display().to_string()).unwrap_or_default(),
            source: source.as_ref().map(|s| s.status.clone()),
            ..DaemonStatus::default()
        }));
        let mut campaign = elector.map(|elector| {
            let status = Arc::clone(&status);
            Campaign::follow(elector, move |leadership| {
                if let Ok(mut s) = status.lock() {
                    s.leader = Some(leadership.clone());
                }
            })
        });
        let metrics = Arc::new(Metrics::default());
        let (control_tx, mut control) = mpsc::channel(16);
        let api = ApiState {
            token: Arc::new(token),
            status: Arc::clone(&status),
            metrics: Arc::clone(&metrics),
            control: control_tx,
            substitutions_file: self.global.substitutions_file.clone(),
        };
        let handle = axum_server::Handle::new();
        let probe_server = match probes {
            Some(probes) => {
                let at = probes.local_addr()?;
                let mut server = axum_server::from_tcp(probes)?
                    .acceptor(Limited::new(MAX_CONNECTIONS))
                    .handle(handle.clone())
                    .http1_only();
                server.http_builder().http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
                self.ctx
                    .printer
                    .always(&format!("{} probes and metrics on http://{at} (/health, /ready, /metrics)", clock()));
                Some(tokio::spawn(server.serve(probe_router(api.clone()).into_make_service())))
            }
            None => None,
        };
        let app = router(api).into_make_service();
        let limited = Limited::new(MAX_CONNECTIONS);
        let server = match tls {
            Some(config) => {
                let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config).acceptor(limited);
                // HTTP/1 only: the protocol detection of the automatic
                // builder would wait for a silent client with no timeout.
                let mut server =
                    axum_server::from_tcp(listener)?.acceptor(acceptor).handle(handle.clone()).http1_only();
                server.http_builder().http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
                tokio::spawn(server.serve(app))
            }
            None => {
                let mut server = axum_server::from_tcp(listener)?.acceptor(limited).handle(handle.clone()).http1_only();
                server.http_builder().http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
                tokio::spawn(server.serve(app))
            }
        };

        let result = self.control_loop(&status, &metrics, &mut control, campaign.as_mut(), source.as_mut()).await;
        if let Some(campaign) = campaign {
            campaign.end().await;
        }
        handle.graceful_shutdown(Some(Duration::from_secs(5)));
        let _ = server.await;
        if let Some(probe_server) = probe_server {
            let _ = probe_server.await;
        }
        files.clear();
        self.ctx.printer.always(&format!("{} daemon stopped", clock()));
        result
    }

    async fn control_loop(
        &self,
        status: &Arc<Mutex<DaemonStatus>>,
        metrics: &Arc<Metrics>,
        control: &mut mpsc::Receiver<Control>,
        mut campaign: Option<&mut Campaign>,
        mut source: Option<&mut Source>,
    ) -> anyhow::Result<ExitStatus> {
        if let Some(campaign) = campaign.as_deref_mut() {
            match self.until_leading(campaign, status, control).await? {
                Some(Role::Leader) => {
                    self.ctx.printer.always(&format!("{} leading: this daemon holds the Lease", clock()))
                }
                _ => return Ok(ExitStatus::Success),
            }
        }
        let mut settings = self.settings.clone();
        settings.watch = true;
        settings.heal = self.options.heal;
        let quiet = self.ctx.with_verbosity(Verbosity::Quiet);
        let watch = WatchLoop { global: self.global.clone(), settings: settings.clone(), ctx: self.ctx.clone() };
        let shutdown = Arc::clone(&self.ctx.shutdown);

        self.recover_pending().await;
        let record = self.sync_round("start", status, metrics, &settings, &quiet).await;
        if let Some(source) = source.as_deref_mut() {
            self.source_applied(source, &record, status);
        }
        let mut reload_settings = settings.clone();
        reload_settings.render.skip_refresh = true;
        let (mut fingerprints, mut deps) = match watch.fingerprint(&reload_settings).await {
            Ok(state) => state,
            Err(e) => {
                record_error(status, &format!("{e:#}"));
                (
                    Default::default(),
                    crate::watch::dependencies(&[], std::slice::from_ref(&self.global.substitutions_file)),
                )
            }
        };
        let ignore = Ignore { dirs: vec![self.global.cache_dir.clone()] };
        let mut stream = ChangeStream::watch(&deps, ignore, QUIET)?;
        let every = |s: Option<u64>| s.map(Duration::from_secs);
        let (sync_every, drift_every) = (every(self.options.sync_interval), every(self.options.drift_interval));
        let mut next_sync = sync_every.map(|d| tokio::time::Instant::now() + d);
        let mut next_drift = drift_every.map(|d| tokio::time::Instant::now() + d);
        let source_every = self.options.source.as_ref().map(|s| Duration::from_secs(s.every_seconds));
        let mut next_source = source_every.map(|d| tokio::time::Instant::now() + d);
        loop {
            let due = |at: Option<tokio::time::Instant>| async move {
                match at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let lost = async {
                match campaign.as_deref_mut() {
                    Some(campaign) => campaign.lost().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.wait() => return Ok(ExitStatus::Success),
                _ = lost => anyhow::bail!(
                    "this daemon lost the Lease (it could not renew it in time): it cancelled what was in flight and stops, so that only the new leader acts; restarted, it campaigns again"
                ),
                _ = due(next_sync) => {
                    self.sync_round("interval", status, metrics, &settings, &quiet).await;
                    next_sync = sync_every.map(|d| tokio::time::Instant::now() + d);
                }
                _ = due(next_drift) => {
                    self.drift_round("interval", &watch, status, metrics).await;
                    next_drift = drift_every.map(|d| tokio::time::Instant::now() + d);
                }
                _ = due(next_source) => {
                    if let Some(source) = source.as_deref_mut() {
                        self.source_round(source, status, metrics, &settings, &quiet).await;
                    }
                    next_source = source_every.map(|d| tokio::time::Instant::now() + d);
                }
                change = stream.next() => {
                    let Some(paths) = change else { return Ok(ExitStatus::Success) };
                    let started = Instant::now();
                    let result = watch.on_change(&paths, &reload_settings, &mut fingerprints, &mut deps).await;
                    record_sync(status, metrics, "change", result, started, "applied what the change touched");
                    if let Err(e) = stream.set_dependencies(&deps) {
                        self.ctx.printer.warn(&format!("watch: {e}"));
                    }
                }
                request = control.recv() => match request {
                    None | Some(Control::Shutdown) => return Ok(ExitStatus::Success),
                    Some(Control::SyncNow(reply)) => {
                        let record = self.sync_round("api", status, metrics, &settings, &quiet).await;
                        let _ = reply.send(serde_json::to_value(record)?);
                    }
                    Some(Control::DriftNow(reply)) => {
                        let record = self.drift_round("api", &watch, status, metrics).await;
                        let _ = reply.send(serde_json::to_value(record)?);
                    }
                    Some(Control::Reload(reply)) => {
                        let started = Instant::now();
                        let changed = std::collections::BTreeSet::from([self.global.substitutions_file.clone()]);
                        let result = watch.on_change(&changed, &reload_settings, &mut fingerprints, &mut deps).await;
                        let record = record_sync(status, metrics, "api", result, started, "reloaded the state");
                        let _ = reply.send(serde_json::to_value(record)?);
                    }
                },
            }
        }
    }

    /// A candidate's wait: answers the API's shutdown, checks once that
    /// the state loads (for `/ready`), and returns the role once the
    /// election decides it (None: asked to stop first).
    async fn until_leading(
        &self,
        campaign: &mut Campaign,
        status: &Arc<Mutex<DaemonStatus>>,
        control: &mut mpsc::Receiver<Control>,
    ) -> anyhow::Result<Option<Role>> {
        let loaded = Session::open(&self.global, &self.ctx.with_verbosity(Verbosity::Quiet));
        if let Err(e) = &loaded {
            record_error(status, &format!("{e:#}"));
        }
        mark_loaded(status, loaded.is_ok());
        loop {
            tokio::select! {
                _ = self.ctx.shutdown.wait() => return Ok(None),
                role = campaign.decided() => return Ok(Some(role)),
                request = control.recv() => match request {
                    None | Some(Control::Shutdown) => return Ok(None),
                    // The API refuses these on a follower; one that raced
                    // the refusal gets the same answer.
                    Some(Control::SyncNow(reply) | Control::DriftNow(reply) | Control::Reload(reply)) => {
                        let _ = reply.send(serde_json::json!({"error": "this daemon is not the leader"}));
                    }
                },
            }
        }
    }

    /// Fetches the source again and syncs when its revision is not the
    /// one applied last (a new commit, or one whose sync failed).
    async fn source_round(
        &self,
        source: &mut Source,
        status: &Arc<Mutex<DaemonStatus>>,
        metrics: &Arc<Metrics>,
        settings: &DeploySettings,
        quiet: &Context,
    ) {
        let fetched = source.fetch().await;
        if let Ok(mut s) = status.lock() {
            s.source = Some(source.status.clone());
        }
        match fetched {
            Err(e) => self.ctx.printer.warn(&format!("{} {e:#}; the state applied last stays", clock())),
            Ok((_, revision)) if source.status.applied.as_deref() != Some(revision.as_str()) => {
                self.ctx.printer.always(&format!("{} source: revision {revision} fetched", clock()));
                self.ctx.outbox.annotate("source_revision", serde_json::Value::String(revision));
                let record = self.sync_round("source", status, metrics, settings, quiet).await;
                self.source_applied(source, &record, status);
            }
            Ok(_) => {}
        }
    }

    /// Records the fetched revision as applied when `record`'s sync went
    /// through.
    fn source_applied(&self, source: &mut Source, record: &RunRecord, status: &Arc<Mutex<DaemonStatus>>) {
        if record.result == "ok" {
            source.status.applied = source.status.revision.clone();
        }
        if let Ok(mut s) = status.lock() {
            s.source = Some(source.status.clone());
        }
    }

    /// A release left pending-* by a killed run locks it against every
    /// later operation: mark such revisions failed before the first sync.
    async fn recover_pending(&self) {
        let Ok(session) = Session::open(&self.global, &self.ctx) else { return };
        let Ok(selected) = session.plan(self.settings.needs) else { return };
        for release in selected.iter().flat_map(|s| s.releases.iter()).filter(|r| r.installed) {
            let mut kube = kube_target(&self.global, release);
            kube.namespace = namespace_of(&self.global, release);
            let request =
                RecoverRequest { kube, release_name: release.name.clone(), reason: "helmfire daemon restarted".into() };
            match call_helm(Arc::clone(&self.ctx.backend), move |helm, call| helm.recover(call, &request)).await {
                Ok(out) if out.recovered => self.ctx.printer.always(&format!(
                    "{} release {}: revision {} was left {} by an interrupted run; marked failed so it can be synced",
                    clock(),
                    release.name,
                    out.revision,
                    out.was
                )),
                Ok(_) => {}
                Err(e) => {
                    self.ctx.printer.warn(&format!("release {}: checking for an interrupted run: {e}", release.name))
                }
            }
        }
    }

    async fn sync_round(
        &self,
        trigger: &str,
        status: &Arc<Mutex<DaemonStatus>>,
        metrics: &Arc<Metrics>,
        settings: &DeploySettings,
        quiet: &Context,
    ) -> RunRecord {
        let started = Instant::now();
        let session = Session::open(&self.global, quiet);
        mark_loaded(status, session.is_ok());
        let result = match &session {
            Ok(session) => crate::pipeline::apply::apply(session, settings, &DiffOptions::quiet()).await,
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        };
        let result = result.unwrap_or_else(|e| {
            record_error(status, &format!("{e:#}"));
            crate::output::report(&self.ctx.printer, &e);
            ExitStatus::Failure
        });
        if let (Ok(session), Ok(mut s)) = (&session, status.lock()) {
            s.releases =
                session.files.iter().flat_map(|f| &f.releases).map(|r| format!("{}/{}", r.namespace, r.name)).collect();
        }
        let record = record_sync(status, metrics, trigger, result, started, "applied what differed from the cluster");
        self.ctx.printer.always(&format!("{} sync ({trigger}): {} in {:.1}s", clock(), record.result, record.seconds));
        record
    }

    async fn drift_round(
        &self,
        trigger: &str,
        watch: &WatchLoop,
        status: &Arc<Mutex<DaemonStatus>>,
        metrics: &Arc<Metrics>,
    ) -> RunRecord {
        let started = Instant::now();
        let report = watch.drift_round().await;
        let seconds = started.elapsed().as_secs_f64();
        let record = match report {
            Ok(report) => {
                let drifted = report.drifted() as u64;
                let healed = report.releases.iter().flat_map(|r| &r.objects).filter(|o| o.healed).count() as u64;
                metrics.drift(drifted, healed, seconds);
                RunRecord {
                    at: now(),
                    trigger: trigger.into(),
                    result: if drifted > 0 { "drift".into() } else { "clean".into() },
                    seconds,
                    summary: format!("{drifted} drifted object(s), {healed} healed"),
                    report: serde_json::to_value(&report).ok(),
                }
            }
            Err(e) => {
                record_error(status, &format!("{e:#}"));
                RunRecord {
                    at: now(),
                    trigger: trigger.into(),
                    result: "failed".into(),
                    seconds,
                    summary: format!("{e:#}"),
                    report: None,
                }
            }
        };
        if let Ok(mut s) = status.lock() {
            s.last_drift = Some(record.clone());
        }
        record
    }
}

/// The token in `path` (a mounted Secret): one line, long enough to guess
/// at no better than a generated one.
fn read_token(path: &std::path::Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading the API token from {}", path.display()))?;
    let token = text.trim().to_string();
    if token.len() < 32 || token.chars().any(char::is_whitespace) {
        anyhow::bail!(
            "the API token in {} must be one word of at least 32 characters (for example `openssl rand -hex 32`)",
            path.display()
        );
    }
    Ok(token)
}

fn mark_loaded(status: &Arc<Mutex<DaemonStatus>>, loaded: bool) {
    if let Ok(mut s) = status.lock() {
        s.loaded |= loaded;
    }
}

fn record_error(status: &Arc<Mutex<DaemonStatus>>, error: &str) {
    if let Ok(mut s) = status.lock() {
        s.last_error = Some(error.to_string());
    }
}

fn record_sync(
    status: &Arc<Mutex<DaemonStatus>>,
    metrics: &Arc<Metrics>,
    trigger: &str,
    result: ExitStatus,
    started: Instant,
    summary: &str,
) -> RunRecord {
    let seconds = started.elapsed().as_secs_f64();
    let ok = matches!(result, ExitStatus::Success | ExitStatus::Changes | ExitStatus::NoMatch);
    metrics.sync(ok, seconds);
    let record = RunRecord {
        at: now(),
        trigger: trigger.into(),
        result: if ok { "ok".into() } else { "failed".into() },
        seconds,
        summary: if ok { summary.into() } else { "some releases failed; the daemon's log names them".into() },
        report: None,
    };
    if let Ok(mut s) = status.lock() {
        s.last_sync = Some(record.clone());
        if ok {
            s.last_error = None;
        } else if s.last_error.is_none() {
            s.last_error = Some(format!("the {trigger} sync failed; the daemon's log names each failed release"));
        }
    }
    record
}
