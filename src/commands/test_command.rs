//! `helmfire test`: `helm test` of every selected installed release.

use std::sync::Arc;

use super::cluster::{kube_target, namespace_of};
use super::selection::{check_any_matched, filter};
use super::{Context, ExitStatus};
use crate::cli::GlobalSettings;
use crate::exec::{Concurrency, call_helm, run_ordered};
use crate::helm::TestRequest;
use crate::output::report;

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
        let files = super::load_state(&self.global, &self.ctx)?;
        let selected = filter(&files, &self.global)?;
        if let Some(status) = check_any_matched(&selected, &self.global, &self.ctx.printer) {
            return Ok(status);
        }
        let requests: Vec<TestRequest> = selected
            .iter()
            .flat_map(|s| s.releases.iter().filter(|r| r.installed))
            .map(|release| {
                let mut kube = kube_target(&self.global, release);
                kube.namespace = namespace_of(&self.global, release);
                TestRequest { kube, release_name: release.name.clone(), timeout_seconds: self.timeout_seconds }
            })
            .collect();
        let backend = Arc::clone(&self.ctx.backend);
        let mut failed = false;
        run_ordered(
            requests,
            self.concurrency,
            |request| {
                let backend = Arc::clone(&backend);
                let name = request.release_name.clone();
                async move { (name, call_helm(backend, move |helm, call| helm.test(call, &request)).await) }
            },
            |_, (name, result)| match result {
                Ok(out) => {
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
                        report(&self.ctx.printer, &anyhow::anyhow!("release `{name}`: tests failed: {}", out.failure));
                    }
                }
                Err(e) => {
                    failed = true;
                    report(&self.ctx.printer, &anyhow::anyhow!("release `{name}`: {e}"));
                }
            },
        )
        .await;
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }
}
