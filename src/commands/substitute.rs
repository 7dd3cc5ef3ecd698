//! `helmfire chart ORIGINAL PATH`, `helmfire image ORIGINAL REPLACEMENT`,
//! `helmfire list charts|images` and `helmfire remove chart|image ORIGINAL`:
//! managing the development substitutions kept beside the state
//! (`substitute/`). A running watch picks changes up at once, since it
//! watches the file.

use std::path::PathBuf;

use anyhow::Context as _;

use super::ExitStatus;
use crate::cli::{GlobalSettings, OutputFormat};
use crate::pipeline::Context;
use crate::substitute::Substitutions;

/// What to change.
#[derive(Debug, Clone)]
pub enum SubstituteAction {
    /// Use a local chart directory instead of a chart.
    AddChart {
        /// The chart as written in releases.
        original: String,
        /// The local chart directory.
        path: PathBuf,
    },
    /// Use another image.
    AddImage {
        /// The image reference to match.
        original: String,
        /// The image to use.
        replacement: String,
    },
    /// Stop substituting a chart.
    RemoveChart(String),
    /// Stop substituting an image.
    RemoveImage(String),
    /// Print the chart substitutions.
    ListCharts(OutputFormat),
    /// Print the image substitutions.
    ListImages(OutputFormat),
}

/// Edits or shows the substitutions.
pub struct SubstituteCommand {
    /// Global settings (where the state, hence the file, is).
    pub global: GlobalSettings,
    /// What to do.
    pub action: SubstituteAction,
    /// Shared context.
    pub ctx: Context,
}

impl SubstituteCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        if let Some(running) = self.daemon() {
            return self.through_daemon(&running);
        }
        let file = &self.global.substitutions_file;
        match &self.action {
            SubstituteAction::ListCharts(format) => {
                let subs = Substitutions::load(file)?;
                let rows: Vec<[String; 2]> =
                    subs.charts.iter().map(|(from, to)| [from.clone(), to.display().to_string()]).collect();
                self.print(format, ["chart", "path"], ["CHART", "LOCAL PATH"], rows)?;
                return Ok(ExitStatus::Success);
            }
            SubstituteAction::ListImages(format) => {
                let subs = Substitutions::load(file)?;
                let rows: Vec<[String; 2]> = subs.images.iter().map(|(from, to)| [from.clone(), to.clone()]).collect();
                self.print(format, ["image", "replacement"], ["IMAGE", "REPLACEMENT"], rows)?;
                return Ok(ExitStatus::Success);
            }
            _ => {}
        }
        Substitutions::update(file, |subs| self.change(subs))
            .with_context(|| format!("changing the substitutions in {}", file.display()))?;
        Ok(ExitStatus::Success)
    }

    /// Applies the action to the substitutions.
    fn change(&self, subs: &mut Substitutions) -> anyhow::Result<()> {
        match self.action.clone() {
            SubstituteAction::AddChart { original, path } => {
                let path = std::path::absolute(&path).unwrap_or(path);
                if !path.join("Chart.yaml").is_file() {
                    anyhow::bail!(
                        "{} is not a chart directory (it has no Chart.yaml); give the directory of the chart to use instead of {original}",
                        path.display()
                    );
                }
                self.ctx.printer.info(&format!("Chart {original} -> {}", path.display()));
                subs.charts.insert(original, path);
            }
            SubstituteAction::AddImage { original, replacement } => {
                if original.trim().is_empty() || replacement.trim().is_empty() {
                    anyhow::bail!(
                        "an image substitution needs an image to match and a replacement, as in `helmfire image nginx localhost:5000/nginx:dev`"
                    );
                }
                self.ctx.printer.info(&format!("Image {original} -> {replacement}"));
                subs.images.insert(original, replacement);
            }
            SubstituteAction::RemoveChart(original) => {
                if subs.charts.remove(&original).is_none() {
                    anyhow::bail!("no chart substitution for {original}; `helmfire list charts` shows them");
                }
            }
            SubstituteAction::RemoveImage(original) => {
                if subs.images.remove(&original).is_none() {
                    anyhow::bail!("no image substitution for {original}; `helmfire list images` shows them");
                }
            }
            SubstituteAction::ListCharts(_) | SubstituteAction::ListImages(_) => {}
        }
        Ok(())
    }

    /// A list of substitutions: a table, or JSON objects with `keys`.
    fn print(
        &self,
        format: &OutputFormat,
        keys: [&str; 2],
        header: [&str; 2],
        rows: Vec<[String; 2]>,
    ) -> anyhow::Result<()> {
        let text = match format {
            OutputFormat::Json => {
                let objects: Vec<serde_json::Value> =
                    rows.into_iter().map(|[a, b]| serde_json::json!({ keys[0]: a, keys[1]: b })).collect();
                serde_json::to_string_pretty(&objects)? + "\n"
            }
            OutputFormat::Text => {
                crate::output::render_table(&header, &rows.into_iter().map(Vec::from).collect::<Vec<_>>())
            }
        };
        self.ctx.printer.stdout(&text)?;
        Ok(())
    }

    /// The daemon serving this state, when one runs: changes then go
    /// through its API, so it applies them at once.
    fn daemon(&self) -> Option<crate::daemon::Running> {
        let state_dir = self.global.substitutions_file.parent()?;
        crate::daemon::DaemonFiles::for_state(&self.global.cache_dir, state_dir).running()
    }

    fn through_daemon(&self, daemon: &crate::daemon::Running) -> anyhow::Result<ExitStatus> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .http_status_as_error(false)
            .build()
            .into();
        let url = |path: &str| format!("{}/v1/substitutions{path}", daemon.address);
        let auth = format!("Bearer {}", daemon.token);
        let encode = |s: &str| {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        };
        let response = match &self.action {
            SubstituteAction::AddChart { original, path } => {
                let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                agent
                    .post(url("/charts"))
                    .header("Authorization", &auth)
                    .header("Content-Type", "application/json")
                    .send(serde_json::json!({"original": original, "path": path}).to_string())
            }
            SubstituteAction::AddImage { original, replacement } => agent
                .post(url("/images"))
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .send(serde_json::json!({"original": original, "replacement": replacement}).to_string()),
            SubstituteAction::RemoveChart(original) => agent
                .delete(url(&format!("/charts?original={}", encode(original))))
                .header("Authorization", &auth)
                .call(),
            SubstituteAction::RemoveImage(original) => agent
                .delete(url(&format!("/images?original={}", encode(original))))
                .header("Authorization", &auth)
                .call(),
            SubstituteAction::ListCharts(_) | SubstituteAction::ListImages(_) => {
                agent.get(url("")).header("Authorization", &auth).call()
            }
        };
        let mut response = response.with_context(|| format!("talking to the daemon at {}", daemon.address))?;
        let ok = response.status().is_success();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let body: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        if !ok {
            anyhow::bail!("the daemon (pid {}) refused: {}", daemon.pid, body["error"].as_str().unwrap_or(&text));
        }
        let pairs = |key: &str| -> Vec<[String; 2]> {
            body[key]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| [k.clone(), v.as_str().unwrap_or_default().to_string()]).collect())
                .unwrap_or_default()
        };
        match &self.action {
            SubstituteAction::ListCharts(format) => {
                self.print(format, ["chart", "path"], ["CHART", "LOCAL PATH"], pairs("charts"))?
            }
            SubstituteAction::ListImages(format) => {
                self.print(format, ["image", "replacement"], ["IMAGE", "REPLACEMENT"], pairs("images"))?
            }
            _ => self.ctx.printer.info(&format!("The daemon (pid {}) applies the change", daemon.pid)),
        }
        Ok(ExitStatus::Success)
    }
}
