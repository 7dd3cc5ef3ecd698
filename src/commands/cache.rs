//! `helmfire cache info|cleanup`: what the chart cache holds, and emptying
//! it. Safe while other helmfire processes run: an archive a reference
//! still names is never removed, and a fetch in progress holds its lock.

use super::ExitStatus;
use crate::cli::{GlobalSettings, OutputFormat};
use crate::helm::CacheRequest;
use crate::pipeline::Context;

/// What to do with the cache.
pub enum CacheAction {
    /// Show its contents.
    Info(OutputFormat),
    /// Remove charts fetched more than this many seconds ago (0: all).
    Cleanup {
        /// Age limit in seconds; 0 removes everything.
        older_than_seconds: u64,
    },
}

/// The `cache` command.
pub struct CacheCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// What to do.
    pub action: CacheAction,
    /// Shared context.
    pub ctx: Context,
}

impl CacheCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        let mut request = CacheRequest { cache_dir: self.global.cache_dir.display().to_string(), ..Default::default() };
        match self.action {
            CacheAction::Info(format) => {
                let info = self.ctx.backend.cache_info(&request)?;
                if format == OutputFormat::Json {
                    self.ctx.printer.stdout(&format!("{}\n", serde_json::to_string_pretty(&info)?))?;
                    return Ok(ExitStatus::Success);
                }
                let mut text = format!(
                    "Chart cache: {}\n{} chart versions, {} archives, {}\n",
                    info.root,
                    info.charts,
                    info.archives,
                    human_bytes(info.bytes)
                );
                if info.orphans > 0 || info.temp_files > 0 {
                    text += &format!(
                        "{} archives no chart names and {} leftover temporary files: `helmfire cache cleanup` removes them\n",
                        info.orphans, info.temp_files
                    );
                }
                if !info.entries.is_empty() {
                    let rows: Vec<Vec<String>> = info
                        .entries
                        .iter()
                        .map(|e| vec![e.source.clone(), e.version.clone(), human_bytes(e.size), e.digest.clone()])
                        .collect();
                    text += &crate::output::render_table(&["SOURCE", "VERSION", "SIZE", "DIGEST"], &rows);
                }
                self.ctx.printer.stdout(&text)?;
            }
            CacheAction::Cleanup { older_than_seconds } => {
                request.older_than_seconds = older_than_seconds;
                let out = self.ctx.backend.cache_cleanup(&request)?;
                self.ctx.printer.info(&format!(
                    "Removed {} chart archives ({}) and {} fetched sources from {}",
                    out.removed_archives,
                    human_bytes(out.removed_bytes),
                    out.removed_sources,
                    request.cache_dir
                ));
            }
        }
        Ok(ExitStatus::Success)
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
