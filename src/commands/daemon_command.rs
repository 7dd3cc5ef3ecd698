//! `helmfire daemon`: runs in the foreground (for systemd or a Kubernetes
//! Deployment) and holds the cluster at the declared state: it recovers
//! releases a killed run left pending, applies the state, then applies
//! what a file change touches (watch mode's loop), syncs every
//! `--sync-interval`, checks drift every `--drift-interval` (healing with
//! `--heal`), and serves its HTTP API (`daemon/api.rs`) on loopback.
//! `daemon start|stop|status|logs` manage a background one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;
use tokio::sync::mpsc;

use super::apply::ApplyCommand;
use super::cluster::{kube_target, namespace_of};
use super::diff::DiffOptions;
use super::selection::plan;
use super::watch_loop::{QUIET, WatchLoop, clock, with_current_substitutions};
use super::{Context, ExitStatus};
use crate::cli::{DeploySettings, GlobalSettings};
use crate::daemon::api::{ApiState, router};
use crate::daemon::status::{RunRecord, now};
use crate::daemon::{Control, DaemonFiles, DaemonStatus, Metrics};
use crate::exec::{Interrupts, call_helm};
use crate::helm::RecoverRequest;
use crate::output::Verbosity;
use crate::watch::{ChangeStream, Ignore};

/// What `helmfire daemon` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonAction {
    /// Run in the foreground.
    Run,
    /// Run in the background, logging to the daemon's log file.
    Start,
    /// Stop the background daemon.
    Stop,
    /// Show whether it runs and what it did last.
    Status,
    /// Print its log.
    Logs,
}

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
    /// Sync every this many seconds.
    pub sync_interval: Option<u64>,
    /// Check drift every this many seconds.
    pub drift_interval: Option<u64>,
    /// Heal the drift found.
    pub heal: bool,
}

/// The daemon command.
pub struct DaemonCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Deploy settings for its syncs.
    pub settings: DeploySettings,
    /// Its own settings.
    pub options: DaemonOptions,
    /// What to do.
    pub action: DaemonAction,
    /// Shared context.
    pub ctx: Context,
}

impl DaemonCommand {
    fn files(&self) -> DaemonFiles {
        let state_dir = self.global.substitutions_file.parent().map(PathBuf::from).unwrap_or_else(|| ".".into());
        DaemonFiles::for_state(&self.global.cache_dir, &state_dir)
    }

    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        match self.action {
            DaemonAction::Run => self.serve().await,
            DaemonAction::Start => self.start().await,
            DaemonAction::Stop => self.stop().await,
            DaemonAction::Status => self.status(),
            DaemonAction::Logs => {
                let log = self.files().log();
                let text = std::fs::read_to_string(&log).with_context(|| {
                    format!("no daemon log at {}: start one with `helmfire daemon start`", log.display())
                })?;
                self.ctx.printer.stdout(&text)?;
                Ok(ExitStatus::Success)
            }
        }
    }

    async fn start(&self) -> anyhow::Result<ExitStatus> {
        let files = self.files();
        refuse_second(&files)?;
        std::fs::create_dir_all(&files.dir)?;
        let log = std::fs::OpenOptions::new().create(true).append(true).open(files.log())?;
        // The same command line, in the foreground, in its own process
        // group so the terminal's signals do not reach it.
        let mut args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
        if let Some(at) = args.iter().position(|a| a == "start") {
            args.remove(at);
        }
        use std::os::unix::process::CommandExt as _;
        let child = std::process::Command::new(std::env::current_exe()?)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .context("starting the daemon")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(running) = files.running().filter(|r| r.pid == child.id()) {
                self.ctx.printer.always(&format!(
                    "daemon started (pid {}), API at {}, token in {}, log in {}",
                    running.pid,
                    running.address,
                    files.token().display(),
                    files.log().display()
                ));
                return Ok(ExitStatus::Success);
            }
            if !std::path::Path::new(&format!("/proc/{}", child.id())).exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("the daemon did not start; its log says why: {}", files.log().display())
    }

    async fn stop(&self) -> anyhow::Result<ExitStatus> {
        let files = self.files();
        let Some(running) = files.running() else {
            anyhow::bail!("no daemon runs for this state");
        };
        std::process::Command::new("kill").args(["-TERM", &running.pid.to_string()]).status()?;
        let deadline = Instant::now() + Duration::from_secs(120);
        while std::path::Path::new(&format!("/proc/{}", running.pid)).exists() {
            if Instant::now() > deadline {
                anyhow::bail!(
                    "the daemon (pid {}) did not stop within 2 minutes; it may be waiting for Helm to settle a release",
                    running.pid
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.ctx.printer.always(&format!("daemon stopped (pid {})", running.pid));
        Ok(ExitStatus::Success)
    }

    fn status(&self) -> anyhow::Result<ExitStatus> {
        let files = self.files();
        let Some(running) = files.running() else {
            self.ctx.printer.stdout("not running\n")?;
            return Ok(ExitStatus::Failure);
        };
        let agent: ureq::Agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().into();
        let text = agent
            .get(format!("{}/v1/status", running.address))
            .header("Authorization", format!("Bearer {}", running.token))
            .call()
            .and_then(|mut r| r.body_mut().read_to_string())
            .with_context(|| format!("asking the daemon at {} for its status", running.address))?;
        let body: serde_json::Value = serde_json::from_str(&text)?;
        let out = json!({"pid": running.pid, "address": running.address, "token_file": files.token(), "log": files.log(), "status": body});
        self.ctx.printer.stdout(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
        Ok(ExitStatus::Success)
    }

    /// The foreground daemon.
    async fn serve(self) -> anyhow::Result<ExitStatus> {
        let files = self.files();
        refuse_second(&files)?;
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
        let listener = std::net::TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let address = format!("{}://{local}", if tls.is_some() { "https" } else { "http" });
        let token = files.create_token().context("writing the daemon's token")?;
        files.record(&address).context("writing the daemon's pid and address")?;
        self.ctx.printer.always(&format!(
            "{} helmfire daemon (pid {}) listening on {address}; token in {}",
            clock(),
            std::process::id(),
            files.token().display()
        ));

        let status = Arc::new(Mutex::new(DaemonStatus {
            started_at: now(),
            state: self.global.substitutions_file.parent().map(|p| p.display().to_string()).unwrap_or_default(),
            ..DaemonStatus::default()
        }));
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
        let app = router(api).into_make_service();
        let server = match tls {
            Some((cert, key)) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                let config =
                    axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key).await.with_context(|| {
                        format!("loading the TLS certificate {} and key {}", cert.display(), key.display())
                    })?;
                tokio::spawn(axum_server::from_tcp_rustls(listener, config)?.handle(handle.clone()).serve(app))
            }
            None => tokio::spawn(axum_server::from_tcp(listener)?.handle(handle.clone()).serve(app)),
        };

        let result = self.control_loop(&status, &metrics, &mut control).await;
        handle.graceful_shutdown(Some(Duration::from_secs(5)));
        let _ = server.await;
        files.clear();
        self.ctx.printer.always(&format!("{} daemon stopped", clock()));
        result
    }

    async fn control_loop(
        &self,
        status: &Arc<Mutex<DaemonStatus>>,
        metrics: &Arc<Metrics>,
        control: &mut mpsc::Receiver<Control>,
    ) -> anyhow::Result<ExitStatus> {
        let mut settings = self.settings.clone();
        settings.watch = true;
        settings.heal = self.options.heal;
        let quiet = Context { printer: self.ctx.printer.with_verbosity(Verbosity::Quiet), ..self.ctx.clone() };
        let watch = WatchLoop { global: self.global.clone(), settings: settings.clone(), ctx: self.ctx.clone() };

        self.recover_pending().await;
        self.sync_round("start", status, metrics, &settings, &quiet).await;
        let mut reload_settings = settings.clone();
        reload_settings.render.skip_refresh = true;
        let (mut fingerprints, mut roots) = match watch.fingerprint(&reload_settings).await {
            Ok(state) => state,
            Err(e) => {
                record_error(status, &format!("{e:#}"));
                (Default::default(), vec![self.global.substitutions_file.clone()])
            }
        };
        let ignore = Ignore { dirs: vec![self.global.cache_dir.clone()] };
        let mut stream = ChangeStream::watch(&roots, ignore, QUIET)?;
        let every = |s: Option<u64>| s.map(Duration::from_secs);
        let (sync_every, drift_every) = (every(self.options.sync_interval), every(self.options.drift_interval));
        let mut next_sync = sync_every.map(|d| tokio::time::Instant::now() + d);
        let mut next_drift = drift_every.map(|d| tokio::time::Instant::now() + d);
        loop {
            let interrupts = Interrupts::install(|| {}, |_| {});
            let due = |at: Option<tokio::time::Instant>| async move {
                match at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = interrupts.wait() => return Ok(ExitStatus::Success),
                _ = due(next_sync) => {
                    self.sync_round("interval", status, metrics, &settings, &quiet).await;
                    next_sync = sync_every.map(|d| tokio::time::Instant::now() + d);
                }
                _ = due(next_drift) => {
                    self.drift_round("interval", &watch, status, metrics).await;
                    next_drift = drift_every.map(|d| tokio::time::Instant::now() + d);
                }
                change = stream.next() => {
                    let Some(paths) = change else { return Ok(ExitStatus::Success) };
                    let started = Instant::now();
                    let result = watch.on_change(&paths, &reload_settings, &mut fingerprints, &mut roots).await;
                    record_sync(status, metrics, "change", result, started, "applied what the change touched");
                    if let Err(e) = stream.set_roots(&roots) {
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
                        let result = watch.on_change(&changed, &reload_settings, &mut fingerprints, &mut roots).await;
                        let record = record_sync(status, metrics, "api", result, started, "reloaded the state");
                        let _ = reply.send(serde_json::to_value(record)?);
                    }
                },
            }
        }
    }

    /// A release left pending-* by a killed run locks it against every
    /// later operation: mark such revisions failed before the first sync.
    async fn recover_pending(&self) {
        let Ok(files) = super::load_state(&self.global, &self.ctx) else { return };
        let Ok(selected) = plan(&files, &self.global, self.settings.needs) else { return };
        for release in selected.iter().flat_map(|s| s.releases.iter()).filter(|r| r.installed) {
            let mut kube = kube_target(&self.global, release);
            kube.namespace = namespace_of(&self.global, release);
            let request =
                RecoverRequest { kube, release_name: release.name.clone(), reason: "helmfire daemon restarted".into() };
            match call_helm(std::sync::Arc::clone(&self.ctx.backend), move |helm, call| helm.recover(call, &request))
                .await
            {
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
        let apply = with_current_substitutions(&self.global, settings).map(|(global, settings)| ApplyCommand {
            global,
            settings,
            options: DiffOptions::quiet(),
            ctx: quiet.clone(),
        });
        let result = match apply {
            Ok(apply) => apply.run().await,
            Err(e) => Err(e),
        };
        let result = result.unwrap_or_else(|e| {
            record_error(status, &format!("{e:#}"));
            crate::output::report(&self.ctx.printer, &e);
            ExitStatus::Failure
        });
        if let (Ok(files), Ok(mut s)) = (super::load_state(&self.global, quiet), status.lock()) {
            s.releases =
                files.iter().flat_map(|f| &f.releases).map(|r| format!("{}/{}", r.namespace, r.name)).collect();
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

/// One daemon per state: a second would fight the first over releases.
fn refuse_second(files: &DaemonFiles) -> anyhow::Result<()> {
    match files.running() {
        Some(running) => anyhow::bail!(
            "a daemon already runs for this state (pid {}, {}); `helmfire daemon stop` stops it",
            running.pid,
            running.address
        ),
        None => Ok(()),
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
        summary: summary.into(),
        report: None,
    };
    if let Ok(mut s) = status.lock() {
        s.last_sync = Some(record.clone());
        if ok {
            s.last_error = None;
        }
    }
    record
}
