//! `helmfire write-values`: each release's merged values written to a file,
//! as helmfile writes them (the release's values documents merged in order;
//! `set` entries are not values files and are not included, as in helmfile).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_yaml_ng::Value;

use super::ExitStatus;
use crate::cli::GlobalSettings;
use crate::pipeline::ShimEngine;
use crate::pipeline::output_paths::{DEFAULT_OUTPUT_FILE_TEMPLATE, render_output_path};
use crate::pipeline::{Context, Session};
use crate::pipeline::{Notices, ResolvedValues, ValuesContext, release_documents};
use crate::state::{Release, StateFile, merge_values};

/// Writes values files.
pub struct WriteValuesCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `--output-file-template`.
    pub output_file_template: Option<String>,
    /// `--values`: more files merged last.
    pub values: Vec<PathBuf>,
    /// `--set key=value,...` for every release, merged last. helmfile 1.8
    /// accepts the flag and ignores it; helmfire applies it.
    pub set: Vec<String>,
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
        let engine = session.engine();
        let template = self.output_file_template.as_deref().unwrap_or(DEFAULT_OUTPUT_FILE_TEMPLATE);
        for group in &selected {
            for release in group.releases.iter().filter(|r| r.installed) {
                let path = render_output_path(&engine, template, "", group.file, release)
                    .map_err(|e| anyhow::anyhow!("rendering the --output-file-template: {e}"))?;
                refuse_overwriting_inputs(&path, &session, release)?;
                self.ctx.printer.info(&format!("Writing values file {}", path.display()));
                let (merged, sensitive) = self.merged_values(group.file, release, &engine)?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs_err::create_dir_all(dir)?;
                }
                let text = crate::yaml::to_string(&merged, crate::yaml::KeyOrder::Sorted);
                write_values_file(&path, &text, sensitive)?;
            }
        }
        Ok(ExitStatus::Success)
    }

    /// The release's values and the command line's `--values`, merged as
    /// helmfile merges them for this command (mergo with override), and
    /// whether they hold decrypted secrets or resolved references.
    fn merged_values(&self, file: &StateFile, release: &Release, engine: &ShimEngine) -> anyhow::Result<(Value, bool)> {
        let mut merged = Value::Mapping(Default::default());
        let namespace = self.global.namespace_override.as_deref().unwrap_or_default();
        let cx = ValuesContext { file, namespace, engine, notices: Notices::Say(&self.ctx.printer) };
        let documents = release_documents(&cx, release)?;
        let sensitive = documents.iter().any(|d| matches!(d, ResolvedValues::Text { sensitive: true, .. }));
        let extra = self.values.iter().map(|p| ResolvedValues::File(p.clone()));
        for document in documents.into_iter().chain(extra) {
            merge_values(&mut merged, document.parse(release)?);
        }
        for expression in &self.set {
            let set = crate::state::parse_set(expression, crate::state::SetKind::Typed)
                .map_err(|e| anyhow::anyhow!("--set {expression}: {e}"))?;
            merge_values(&mut merged, set);
        }
        Ok((merged, sensitive))
    }
}

/// A template such as `values/{{ .Release.Name }}.yaml` can name a file the
/// state reads: writing there would replace the user's values with the
/// merged ones. Refused, naming the file (helmfile overwrites it).
fn refuse_overwriting_inputs(path: &Path, session: &Session, release: &Release) -> anyhow::Result<()> {
    let Ok(target) = std::fs::canonicalize(path) else { return Ok(()) };
    let inputs = session.files.iter().flat_map(|f| &f.releases).flat_map(|r| &r.values);
    for input in inputs {
        let (crate::state::ValuesInput::File(file) | crate::state::ValuesInput::Template(file)) = input else {
            continue;
        };
        if std::fs::canonicalize(file).is_ok_and(|f| f == target) {
            anyhow::bail!(
                "writing the values of release `{}` to {} would overwrite a values file the state reads; choose another --output-file-template",
                release.name,
                path.display()
            );
        }
    }
    Ok(())
}

/// Writes `text` to `path`; when it holds secrets, readable by the owner
/// only (helmfile leaves such a file world-readable; helmfire does not):
/// the text goes to a private temporary file beside it, renamed into place,
/// so no moment exists when others can read it.
fn write_values_file(path: &Path, text: &str, private: bool) -> anyhow::Result<()> {
    if !private {
        fs_err::write(path, text)?;
        return Ok(());
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut temp, text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    temp.persist(path).map_err(|e| anyhow::anyhow!("writing {}: {}", path.display(), e.error))?;
    Ok(())
}
