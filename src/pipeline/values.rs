//! A release's `values:` as helm gets them, in helmfile's order: plain files
//! passed as they are, `.gotmpl` files rendered with the release's data,
//! inline documents handed over as JSON (helm's YAML 1.1 parser would read
//! a string `off` back as `false` if they were re-emitted as plain YAML;
//! helmfile's encoder quotes such strings for the same reason).
//!
//! Only the commands that give values to helm resolve them: `list` and
//! `build` show the entries as written, as helmfile does.

use std::path::PathBuf;

use crate::helm::ValueSource;
use crate::state::{Release, StateError, StateFile, TemplateEngine, ValuesInput};

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
/// line's `-n` (`.Namespace` in templates).
pub fn resolve_values(
    file: &StateFile,
    release: &Release,
    namespace: &str,
    engine: &dyn TemplateEngine,
) -> Result<Vec<ResolvedValues>, StateError> {
    release
        .values
        .iter()
        .map(|input| {
            Ok(match input {
                ValuesInput::File(path) => ResolvedValues::File(path.clone()),
                ValuesInput::Template(path) => ResolvedValues::Text {
                    text: file.render_values_template(release, path, namespace, engine)?,
                    origin: path.display().to_string(),
                },
                ValuesInput::Inline(map) => ResolvedValues::Text {
                    text: crate::yaml::to_json(&serde_yaml_ng::Value::Mapping(map.clone())).to_string(),
                    origin: format!(
                        "inline values of release `{}` in {}",
                        release.name,
                        release.location.path.display()
                    ),
                },
            })
        })
        .collect()
}
