//! `helmfire status`: the stored status of each selected release.

use std::sync::Arc;

use super::ExitStatus;
use crate::cli::GlobalSettings;
use crate::exec::{Concurrency, call_helm, run_ordered};
use crate::helm::{HelmError, StatusRequest};
use crate::output::{render_table, report};
use crate::pipeline::kube::{kube_target, namespace_of};
use crate::pipeline::{Context, ReleaseFailed, Session};
use crate::state::Release;

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
        let session = Session::open(&self.global, &self.ctx)?;
        let selected = session.filter()?;
        if let Some(status) = session.no_match(&selected) {
            return Ok(status);
        }
        let requests: Vec<(Release, String, StatusRequest)> = selected
            .iter()
            .flat_map(|s| s.releases.iter())
            .map(|release| {
                let mut kube = kube_target(&self.global, release);
                kube.namespace = namespace_of(&self.global, release);
                ((*release).clone(), kube.namespace.clone(), StatusRequest { kube, release_name: release.name.clone() })
            })
            .collect();
        let mut rows = Vec::new();
        let mut failed = false;
        let backend = Arc::clone(&self.ctx.backend);
        run_ordered(
            requests,
            self.concurrency,
            |(release, namespace, request)| {
                let backend = Arc::clone(&backend);
                async move {
                    (release, namespace, call_helm(backend, move |helm, call| helm.status(call, &request)).await)
                }
            },
            |_, (release, namespace, result): (Release, String, _)| match result {
                Ok(status) => rows.push(vec![
                    release.name,
                    namespace,
                    status.revision.to_string(),
                    status.status,
                    status.chart,
                    status.app_version,
                    status.last_deployed,
                ]),
                Err(HelmError::ReleaseNotFound { .. }) => rows.push(vec![
                    release.name,
                    namespace,
                    "-".into(),
                    "not installed".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]),
                Err(e) => {
                    failed = true;
                    report(&self.ctx.printer, &anyhow::Error::new(ReleaseFailed::new(&release, e)));
                }
            },
        )
        .await;
        let header = ["NAME", "NAMESPACE", "REVISION", "STATUS", "CHART", "APP VERSION", "UPDATED"];
        self.ctx.printer.stdout(&render_table(&header, &rows))?;
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }
}
