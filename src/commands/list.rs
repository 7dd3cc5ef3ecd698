//! `helmfire list`: the releases of the state, as helmfile lists them.

use serde::Serialize;

use super::ExitStatus;
use crate::cli::{GlobalSettings, OutputFormat};
use crate::helm::{HelmError, StatusRequest};
use crate::output::render_table;
use crate::pipeline::kube::{kube_target, namespace_of};
use crate::pipeline::{Context, ReleaseFailed, Session};
use crate::plan::condition_enabled;
use crate::state::Release;

/// Lists releases.
pub struct ListCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Table or JSON.
    pub format: OutputFormat,
    /// `--cluster`: add each release's state in the cluster.
    pub cluster: bool,
    /// Shared context.
    pub ctx: Context,
}

/// One row, with helmfile's JSON field names.
#[derive(Serialize)]
struct Row {
    name: String,
    namespace: String,
    enabled: bool,
    installed: bool,
    labels: String,
    chart: String,
    version: String,
    /// With --cluster: the release's status there (`not installed` when
    /// absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    /// With --cluster: its revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<u32>,
}

impl ListCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let selected = session.filter()?;
        if let Some(status) = session.no_match(&selected) {
            return Ok(status);
        }
        let mut rows = Vec::new();
        for group in &selected {
            for release in &group.releases {
                let enabled = condition_enabled(&release.condition, &group.file.environment.values).unwrap_or(false);
                let mut row = row(release, enabled);
                if self.cluster {
                    let (status, revision) = self.cluster_state(release)?;
                    row.status = Some(status);
                    row.revision = revision;
                }
                rows.push(row);
            }
        }
        // helmfile 1.8 sorts the list by namespace, then name (its states are
        // listed in parallel).
        rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let text = match self.format {
            OutputFormat::Json => serde_json::to_string(&rows)? + "\n",
            OutputFormat::Text => {
                let mut header = vec!["NAME", "NAMESPACE", "ENABLED", "INSTALLED", "LABELS", "CHART", "VERSION"];
                if self.cluster {
                    header.extend(["STATUS", "REVISION"]);
                }
                let cells: Vec<Vec<String>> = rows
                    .into_iter()
                    .map(|r| {
                        let mut cells = vec![
                            r.name,
                            r.namespace,
                            r.enabled.to_string(),
                            r.installed.to_string(),
                            r.labels,
                            r.chart,
                            r.version,
                        ];
                        if let Some(status) = r.status {
                            cells.push(status);
                            cells.push(r.revision.map(|n| n.to_string()).unwrap_or_default());
                        }
                        cells
                    })
                    .collect();
                render_table(&header, &cells)
            }
        };
        self.ctx.printer.stdout(&text)?;
        Ok(ExitStatus::Success)
    }
}

impl ListCommand {
    /// The release's status and revision in the cluster.
    fn cluster_state(&self, release: &Release) -> Result<(String, Option<u32>), ReleaseFailed> {
        let mut kube = kube_target(&self.global, release);
        kube.namespace = namespace_of(&self.global, release);
        let request = StatusRequest { kube, release_name: release.name.clone() };
        match self.ctx.backend.status(self.ctx.backend.new_call(), &request) {
            Ok(status) => Ok((status.status, Some(status.revision))),
            Err(HelmError::ReleaseNotFound { .. }) => Ok(("not installed".into(), None)),
            Err(e) => Err(ReleaseFailed::new(release, e)),
        }
    }
}

/// Labels as helmfile shows them: with the implicit `name`, `namespace` and
/// `chart`, sorted, `key:value` joined by commas.
fn row(release: &Release, enabled: bool) -> Row {
    let labels = crate::plan::release_labels(release, &Default::default());
    Row {
        name: release.name.clone(),
        namespace: release.namespace.clone(),
        enabled,
        installed: release.installed,
        labels: labels.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(","),
        chart: release.chart_ref.clone(),
        version: release.version.clone(),
        status: None,
        revision: None,
    }
}
