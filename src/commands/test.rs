//! `helmfire test`: `helm test` of every selected installed release.

use std::sync::Arc;

use super::ExitStatus;
use crate::cli::GlobalSettings;
use crate::exec::{Concurrency, call_helm, run_ordered};
use crate::helm::TestRequest;
use crate::output::report;
use crate::pipeline::kube::{kube_target, namespace_of};
use crate::pipeline::{Context, ReleaseFailed, Session};
use crate::state::Release;

/// A release whose tests ran and failed.
#[derive(Debug, thiserror::Error)]
#[error("release `{release}`: tests failed: {failure}")]
struct TestsFailed {
    release: String,
    failure: String,
}

/// Runs release tests.
pub struct TestCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `--concurrency`.
    pub concurrency: Concurrency,
    /// `--logs`: print the test pods' logs.
    pub logs: bool,
    /// `--timeout` in seconds (0: helm's default).
    pub timeout_seconds: u64,
    /// Shared context.
    pub ctx: Context,
}

impl TestCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let selected = session.filter()?;
        if let Some(status) = session.no_match(&selected) {
            return Ok(status);
        }
        let requests: Vec<(Release, TestRequest)> = selected
            .iter()
            .flat_map(|s| s.releases.iter().filter(|r| r.installed))
            .map(|release| {
                let mut kube = kube_target(&self.global, release);
                kube.namespace = namespace_of(&self.global, release);
                let request =
                    TestRequest { kube, release_name: release.name.clone(), timeout_seconds: self.timeout_seconds };
                ((*release).clone(), request)
            })
            .collect();
        let backend = Arc::clone(&self.ctx.backend);
        let mut failed = false;
        run_ordered(
            requests,
            self.concurrency,
            |(release, request)| {
                let backend = Arc::clone(&backend);
                async move { (release, call_helm(backend, move |helm, call| helm.test(call, &request)).await) }
            },
            |_, (release, result): (Release, _)| match result {
                Ok(out) => {
                    let name = &release.name;
                    let verdict = if out.passed { "passed" } else { "FAILED" };
                    self.ctx.printer.info(&format!("Testing release={name}: {verdict}"));
                    for hook in &out.hooks {
                        self.ctx.printer.info(&format!("  {} {} {}", hook.kind, hook.name, hook.phase));
                    }
                    if self.logs && !out.logs.is_empty() {
                        let _ = self.ctx.printer.stdout(&out.logs);
                    }
                    if !out.passed {
                        failed = true;
                        let error = TestsFailed { release: name.clone(), failure: out.failure };
                        report(&self.ctx.printer, &anyhow::Error::new(error));
                    }
                }
                Err(e) => {
                    failed = true;
                    report(&self.ctx.printer, &anyhow::Error::new(ReleaseFailed::new(&release, e)));
                }
            },
        )
        .await;
        if let Some(signal) = self.ctx.shutdown.signal() {
            return Ok(ExitStatus::Interrupted(signal));
        }
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }
}
