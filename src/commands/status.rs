//! `helmfire status`: the stored status of each selected release.

use std::sync::Arc;

use super::ExitStatus;
use crate::cli::{GlobalSettings, OutputFormat};
use crate::exec::{Concurrency, call_helm, run_ordered};
use crate::helm::{HelmError, StatusRequest};
use crate::output::render_table;
use crate::pipeline::kube::{kube_target, namespace_of};
use crate::pipeline::{Context, ReleaseFailed, Session};
use crate::state::Release;

/// Shows release statuses.
pub struct StatusCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `--concurrency`.
    pub concurrency: Concurrency,
    /// `-o`: a table, or JSON ([`StatusRow`] per release).
    pub format: OutputFormat,
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
        let mut rows: Vec<StatusRow> = Vec::new();
        let mut failures = Vec::new();
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
                Ok(status) => rows.push(StatusRow {
                    name: release.name,
                    namespace,
                    installed: true,
                    revision: Some(status.revision),
                    status: status.status,
                    description: status.description,
                    chart: status.chart,
                    app_version: status.app_version,
                    last_deployed: status.last_deployed,
                }),
                Err(HelmError::ReleaseNotFound { .. }) => rows.push(StatusRow {
                    name: release.name,
                    namespace,
                    status: "not installed".into(),
                    ..StatusRow::default()
                }),
                Err(e) => failures.push(ReleaseFailed::new(&release, e)),
            },
        )
        .await;
        let failed = !failures.is_empty();
        crate::pipeline::report_failures(&self.ctx.printer, failures);
        let text = match self.format {
            OutputFormat::Json => serde_json::to_string_pretty(&rows)? + "\n",
            OutputFormat::Text => {
                let header = ["NAME", "NAMESPACE", "REVISION", "STATUS", "CHART", "APP VERSION", "UPDATED"];
                let cells: Vec<Vec<String>> = rows.into_iter().map(StatusRow::cells).collect();
                render_table(&header, &cells)
            }
        };
        self.ctx.printer.stdout(&text)?;
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }
}

/// One release's status, as `status -o json` prints it (an array of these,
/// in declaration order; a release that could not be read is reported on
/// stderr and left out, and the exit code is 1).
#[derive(Debug, Default, serde::Serialize)]
pub struct StatusRow {
    /// Release name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// Whether the cluster has it.
    pub installed: bool,
    /// Its latest revision; null when not installed.
    pub revision: Option<u32>,
    /// helm's status (`deployed`, `failed`, ...), or `not installed`.
    pub status: String,
    /// The last operation's description.
    pub description: String,
    /// `name-version` of the chart.
    pub chart: String,
    /// The chart's appVersion.
    pub app_version: String,
    /// When it was last deployed (RFC 3339).
    pub last_deployed: String,
}

impl StatusRow {
    fn cells(self) -> Vec<String> {
        let revision = self.revision.map_or_else(|| "-".to_string(), |r| r.to_string());
        vec![self.name, self.namespace, revision, self.status, self.chart, self.app_version, self.last_deployed]
    }
}
