//! `helmfire write-values`: each release's merged values written to a file,
//! as helmfile writes them (the release's values documents merged in order;
//! `set` entries are not values files and are not included, as in helmfile).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use serde_yaml_ng::Value;

use super::ExitStatus;
use crate::cli::GlobalSettings;
use crate::pipeline::ResolvedValues;
use crate::pipeline::ShimEngine;
use crate::pipeline::output_paths::{DEFAULT_OUTPUT_FILE_TEMPLATE, render_output_path};
use crate::pipeline::{Context, Session};
use crate::state::{Release, StateFile, merge_values};

/// Writes values files.
pub struct WriteValuesCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `--output-file-template`.
    pub output_file_template: Option<String>,
    /// `--values`: more files merged last.
    pub values: Vec<PathBuf>,
    /// Shared context.
    pub ctx: Context,
}

impl WriteValuesCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let selected = session.filter()?;
        if let Some(status) = session.no_match(&selected) {
            return Ok(status);
        }
        crate::pipeline::prepare::check_names(&selected)?;
        let engine = ShimEngine::new(Arc::clone(&self.ctx.backend));
        let template = self.output_file_template.as_deref().unwrap_or(DEFAULT_OUTPUT_FILE_TEMPLATE);
        for group in &selected {
            for release in group.releases.iter().filter(|r| r.installed) {
                let path = render_output_path(&engine, template, "", group.file, release)
                    .map_err(|e| anyhow::anyhow!("rendering the --output-file-template: {e}"))?;
                self.ctx.printer.info(&format!("Writing values file {}", path.display()));
                let merged = self.merged_values(group.file, release, &engine)?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs_err::create_dir_all(dir)?;
                }
                fs_err::write(&path, crate::yaml::to_string(&merged, crate::yaml::KeyOrder::Sorted))?;
            }
        }
        Ok(ExitStatus::Success)
    }

    /// The release's values and the command line's `--values`, merged as
    /// helmfile merges them for this command (mergo with override).
    fn merged_values(&self, file: &StateFile, release: &Release, engine: &ShimEngine) -> anyhow::Result<Value> {
        let mut merged = Value::Mapping(Default::default());
        let namespace = self.global.namespace_override.as_deref().unwrap_or_default();
        let resolved = crate::pipeline::resolve_values(file, release, namespace, engine, &self.ctx.printer)?;
        let extra = self.values.iter().map(|p| ResolvedValues::File(p.clone()));
        for input in resolved.into_iter().chain(extra) {
            let (text, origin) =
                input.read().with_context(|| format!("reading the values of release `{}`", release.name))?;
            let value: Value = crate::yaml::from_str(&text).with_context(|| format!("parsing {origin}"))?;
            if !value.is_null() {
                merge_values(&mut merged, value);
            }
        }
        Ok(merged)
    }
}
