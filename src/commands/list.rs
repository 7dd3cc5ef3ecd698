//! `helmfire list`: the releases of the state, as helmfile lists them.

use serde::Serialize;

use super::selection::{check_any_matched, filter};
use super::{Context, ExitStatus};
use crate::cli::{GlobalSettings, OutputFormat};
use crate::output::render_table;
use crate::plan::condition_enabled;
use crate::state::{ChartSource, Release};

/// Lists releases.
pub struct ListCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Table or JSON.
    pub format: OutputFormat,
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
}

impl ListCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        let files = super::load_state(&self.global, &self.ctx)?;
        let selected = filter(&files, &self.global)?;
        if let Some(status) = check_any_matched(&selected, &self.global, &self.ctx.printer) {
            return Ok(status);
        }
        let mut rows = Vec::new();
        for group in &selected {
            for release in &group.releases {
                let enabled = condition_enabled(&release.condition, &group.file.environment.values).unwrap_or(false);
                rows.push(row(release, enabled));
            }
        }
        let text = match self.format {
            OutputFormat::Json => serde_json::to_string(&rows)? + "\n",
            OutputFormat::Text => {
                let cells: Vec<Vec<String>> = rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            r.name,
                            r.namespace,
                            r.enabled.to_string(),
                            r.installed.to_string(),
                            r.labels,
                            r.chart,
                            r.version,
                        ]
                    })
                    .collect();
                render_table(&["NAME", "NAMESPACE", "ENABLED", "INSTALLED", "LABELS", "CHART", "VERSION"], &cells)
            }
        };
        self.ctx.printer.stdout(&text)?;
        Ok(ExitStatus::Success)
    }
}

/// Labels as helmfile shows them: with the implicit `name`, `namespace` and
/// `chart`, sorted, `key:value` joined by commas.
fn row(release: &Release, enabled: bool) -> Row {
    let labels = crate::plan::release_labels(release, &Default::default());
    let chart = match &release.chart {
        ChartSource::Local(_) | ChartSource::Remote(_) => release.chart_ref.clone(),
    };
    Row {
        name: release.name.clone(),
        namespace: release.namespace.clone(),
        enabled,
        installed: release.installed,
        labels: labels.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(","),
        chart,
        version: release.version.clone(),
    }
}
