//! `helmfire daemon`: runs the daemon in the foreground (`daemon/run.rs`:
//! for systemd or a Kubernetes Deployment), or manages a background one
//! with `daemon start|stop|status|logs`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;

use super::ExitStatus;
use crate::cli::{DeploySettings, GlobalSettings};
use crate::daemon::DaemonFiles;
pub use crate::daemon::DaemonOptions;
use crate::pipeline::Context;

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
            DaemonAction::Run => {
                let files = self.files();
                refuse_second(&files)?;
                crate::daemon::Daemon {
                    global: self.global,
                    settings: self.settings,
                    options: self.options,
                    ctx: self.ctx,
                }
                .serve(files)
                .await
            }
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
