//! `helmfire chart ORIGINAL PATH`, `helmfire image ORIGINAL REPLACEMENT`,
//! `helmfire list charts|images` and `helmfire remove chart|image ORIGINAL`:
//! managing the development substitutions kept beside the state
//! (`substitute/`). A running watch picks changes up at once, since it
//! watches the file.

use std::path::PathBuf;

use anyhow::Context as _;

use super::{Context, ExitStatus};
use crate::cli::GlobalSettings;
use crate::substitute::Substitutions;

/// What to change.
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
    ListCharts,
    /// Print the image substitutions.
    ListImages,
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
        let file = &self.global.substitutions_file;
        let mut subs: Substitutions = self.global.substitutions.clone();
        match self.action {
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
            SubstituteAction::ListCharts => {
                let rows: Vec<Vec<String>> =
                    subs.charts.iter().map(|(from, to)| vec![from.clone(), to.display().to_string()]).collect();
                self.ctx.printer.stdout(&crate::output::render_table(&["CHART", "LOCAL PATH"], &rows))?;
                return Ok(ExitStatus::Success);
            }
            SubstituteAction::ListImages => {
                let rows: Vec<Vec<String>> =
                    subs.images.iter().map(|(from, to)| vec![from.clone(), to.clone()]).collect();
                self.ctx.printer.stdout(&crate::output::render_table(&["IMAGE", "REPLACEMENT"], &rows))?;
                return Ok(ExitStatus::Success);
            }
        }
        subs.save(file).with_context(|| "saving the substitutions".to_string())?;
        Ok(ExitStatus::Success)
    }
}
