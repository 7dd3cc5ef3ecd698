//! A release's `values:` as helm gets them, in helmfile's order: plain files
//! passed as they are, `.gotmpl` files rendered with the release's data,
//! inline documents handed over as JSON (helm's YAML 1.1 parser would read
//! a string `off` back as `false` if they were re-emitted as plain YAML;
//! helmfile's encoder quotes such strings for the same reason).
//!
//! Only the commands that give values to helm resolve them: `list` and
//! `build` show the entries as written, as helmfile does.

use std::path::{Path, PathBuf};

use crate::helm::ValueSource;
use crate::state::{MissingFileHandler, Release, Skipped, StateError, StateFile, TemplateEngine, ValuesInput};

/// One resolved values entry.
#[derive(Debug, Clone, PartialEq)]
pub enum ResolvedValues {
    /// A file helm reads byte for byte.
    File(PathBuf),
    /// A document helmfire produced: a rendered template or an inline map.
    Text {
        /// The document.
        text: String,
        /// What it came from, for messages.
        origin: String,
    },
}

impl ResolvedValues {
    /// The entry as the shim takes it.
    pub fn to_source(&self) -> ValueSource {
        match self {
            ResolvedValues::File(file) => ValueSource::File { file: file.clone() },
            ResolvedValues::Text { text, origin } => {
                ValueSource::Inline { inline: text.clone(), origin: origin.clone() }
            }
        }
    }

    /// The document's text (a file is read), with what it came from.
    pub fn read(&self) -> std::io::Result<(String, String)> {
        match self {
            ResolvedValues::File(file) => {
                let text = crate::state::read_input(file).map_err(std::io::Error::other)?;
                Ok((text, file.display().to_string()))
            }
            ResolvedValues::Text { text, origin } => Ok((text.clone(), origin.clone())),
        }
    }
}

/// Resolves `release`'s values entries, in order. `namespace` is the command
/// line's `-n` (`.Namespace` in templates). A file entry may be a glob
/// matching one file; one that matches nothing is skipped or refused as
/// the release's `missingFileHandler` says, as helmfile does.
pub fn resolve_values(
    file: &StateFile,
    release: &Release,
    namespace: &str,
    engine: &dyn TemplateEngine,
    printer: &crate::output::Printer,
) -> Result<Vec<ResolvedValues>, StateError> {
    let mut resolved = Vec::with_capacity(release.values.len());
    for input in &release.values {
        match input {
            ValuesInput::File(pattern) | ValuesInput::Template(pattern) => {
                let Some(path) = existing(file, release, pattern, printer)? else { continue };
                resolved.push(match input {
                    ValuesInput::Template(_) => ResolvedValues::Text {
                        text: file.render_values_template(release, &path, namespace, engine)?,
                        origin: path.display().to_string(),
                    },
                    _ => ResolvedValues::File(path),
                });
            }
            ValuesInput::Inline(map) => resolved.push(ResolvedValues::Text {
                text: crate::yaml::to_json(&serde_yaml_ng::Value::Mapping(map.clone())).to_string(),
                origin: format!("inline values of release `{}` in {}", release.name, release.location.path.display()),
            }),
        }
    }
    Ok(resolved)
}

/// The one file `pattern` names, or None when it names none and the
/// release's `missingFileHandler` says to go on without it.
fn existing(
    file: &StateFile,
    release: &Release,
    pattern: &Path,
    printer: &crate::output::Printer,
) -> Result<Option<PathBuf>, StateError> {
    let text = pattern.to_string_lossy();
    let matches: Vec<PathBuf> = if text.contains(['*', '?', '[']) {
        let mut found: Vec<PathBuf> =
            glob::glob(&text).map(|paths| paths.filter_map(Result::ok).collect()).unwrap_or_default();
        found.sort();
        found
    } else if pattern.exists() {
        vec![pattern.to_path_buf()]
    } else {
        Vec::new()
    };
    let invalid = |message: String| StateError::Invalid { location: release.location.clone(), message };
    match matches.as_slice() {
        [one] => Ok(Some(one.clone())),
        [] => {
            let shown = pattern.strip_prefix(&file.base_dir).unwrap_or(pattern).display().to_string();
            if release.missing_file_handler == MissingFileHandler::Error {
                return Err(invalid(format!(
                    "values file matching \"{shown}\" of release `{}` does not exist in \"{}\"; create it, or set `missingFileHandler: Warn` to skip missing files",
                    release.name,
                    file.base_dir.display()
                )));
            }
            let skipped = Skipped {
                level: release.missing_file_handler,
                message: format!("skipping missing values file matching \"{shown}\""),
            };
            super::session::say_skipped(printer, &skipped);
            Ok(None)
        }
        many => Err(invalid(format!(
            "values file pattern \"{text}\" of release `{}` matches {} files; helmfile takes one file per entry, so list them one by one",
            release.name,
            many.len()
        ))),
    }
}
