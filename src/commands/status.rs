//! `helmfire status`: the stored status of each selected release.

use std::sync::Arc;

use super::cluster::{kube_target, namespace_of};
use super::selection::{check_any_matched, filter};
use super::{Context, ExitStatus};
use crate::cli::GlobalSettings;
use crate::exec::{Concurrency, call_helm, run_ordered};
use crate::helm::{HelmError, StatusRequest};
use crate::output::{render_table, report};

/// Shows release statuses.
pub struct StatusCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `--concurrency`.
    pub concurrency: Concurrency,
    /// Shared context.
    pub ctx: Context,
}

impl StatusCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let files = super::load_state(&self.global, &self.ctx)?;
        let selected = filter(&files, &self.global)?;
        if let Some(status) = check_any_matched(&selected, &self.global, &self.ctx.printer) {
            return Ok(status);
        }
        let requests: Vec<(String, String, StatusRequest)> = selected
            .iter()
            .flat_map(|s| s.releases.iter())
            .map(|release| {
                let mut kube = kube_target(&self.global, release);
                kube.namespace = namespace_of(&self.global, release);
                (
                    release.name.clone(),
                    kube.namespace.clone(),
                    StatusRequest { kube, release_name: release.name.clone() },
                )
            })
            .collect();
        let mut rows = Vec::new();
        let mut failed = false;
        let backend = Arc::clone(&self.ctx.backend);
        run_ordered(
            requests,
            self.concurrency,
            |(name, namespace, request)| {
                let backend = Arc::clone(&backend);
                async move { (name, namespace, call_helm(backend, move |helm, call| helm.status(call, &request)).await) }
            },
            |_, (name, namespace, result)| match result {
                Ok(status) => rows.push(vec![
                    name,
                    namespace,
                    status.revision.to_string(),
                    status.status,
                    status.chart,
                    status.app_version,
                    status.last_deployed,
                ]),
                Err(HelmError::Release { .. }) => {
                    rows.push(vec![name, namespace, "-".into(), "not installed".into(), String::new(), String::new(), String::new()])
                }
                Err(e) => {
                    failed = true;
                    report(&self.ctx.printer, &anyhow::Error::msg(format!("release `{name}`: {e}")));
                }
            },
        )
        .await;
        let header = ["NAME", "NAMESPACE", "REVISION", "STATUS", "CHART", "APP VERSION", "UPDATED"];
        self.ctx.printer.stdout(&render_table(&header, &rows))?;
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }
}
