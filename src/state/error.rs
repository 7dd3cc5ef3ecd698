//! Errors of the state layer. Each names the file and, where the YAML parser
//! gives one, the line and column.

use std::fmt;
use std::path::PathBuf;

/// A place in a state file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// Why the state could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// No state file where one was looked for.
    #[error("no helmfile.yaml, helmfile.yaml.gotmpl or helmfile.d/ found in {}", dir.display())]
    NotFound {
        /// The directory searched.
        dir: PathBuf,
    },
    /// `-f` named a path that does not exist.
    #[error("the state file {} does not exist", path.display())]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// Both helmfile.yaml and helmfile.d/ exist, which helmfile refuses too.
    #[error("both {} and {} exist; helmfile and helmfire use only one", file.display(), dir.display())]
    Ambiguous {
        /// The file.
        file: PathBuf,
        /// The directory.
        dir: PathBuf,
    },
    /// Reading a file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A file is not one helmfire reads (a device, too large).
    #[error(transparent)]
    Input(#[from] super::input::InputError),
    /// The YAML is malformed or a value has the wrong type.
    #[error("{location}: {message}")]
    Yaml {
        /// Where.
        location: Location,
        /// The parser's message.
        message: String,
    },
    /// A key that helmfile does not know either.
    #[error("{location}: unknown key `{key}` in {section}")]
    UnknownKey {
        /// Where.
        location: Location,
        /// The key.
        key: String,
        /// What it was found in ("a release", "the top level").
        section: String,
        /// The closest valid key.
        suggestion: Option<&'static str>,
    },
    /// A key helmfile knows that helmfire does not implement yet.
    #[error("{location}: `{key}` in {section} is not supported by helmfire yet")]
    NotSupportedYet {
        /// Where.
        location: Location,
        /// The key.
        key: String,
        /// What it was found in.
        section: String,
    },
    /// A Go template in the state failed to render.
    #[error("{location}: {message}")]
    Template {
        /// The file rendered.
        location: Location,
        /// The engine's message (template, line, function).
        message: String,
    },
    /// The file breaks one of helmfile's layout policies.
    #[error("{location}: {violation}")]
    Policy {
        /// The file.
        location: Location,
        /// What it breaks.
        violation: super::policy::PolicyViolation,
    },
    /// `-e NAME` names an environment the state does not define.
    #[error("{location}: environment `{name}` is not defined")]
    UndefinedEnvironment {
        /// The state file.
        location: Location,
        /// The environment asked for.
        name: String,
        /// The environments that are defined.
        defined: Vec<String>,
    },
    /// A value that parses but makes no sense (a release without a name...).
    #[error("{location}: {message}")]
    Invalid {
        /// Where.
        location: Location,
        /// What is wrong.
        message: String,
    },
}

impl StateError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            StateError::NotFound { .. } => {
                Some("run helmfire in the directory of your helmfile.yaml, or pass it with `-f FILE`".into())
            }
            StateError::Ambiguous { .. } => Some("remove one of them, or choose with `-f`".into()),
            StateError::UnknownKey { suggestion: Some(s), .. } => Some(format!("did you mean `{s}`?")),
            StateError::UnknownKey { .. } => {
                Some("check the key against helmfile's documentation of helmfile.yaml".into())
            }
            StateError::UndefinedEnvironment { defined, .. } if defined.is_empty() => {
                Some("the state defines no `environments:`; drop `-e` or add the environment".into())
            }
            StateError::UndefinedEnvironment { defined, .. } => Some(format!(
                "defined environments: {}",
                defined.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
            )),
            // helmfile's `managed: acr` runs `az acr helm repo add`, for
            // Azure Container Registry's Helm repositories, which Azure
            // retired in favour of OCI artifacts.
            StateError::NotSupportedYet { key, section, .. } if key == "managed" && section.contains("repositor") => Some(
                "it makes helmfile run the Azure CLI's `az acr helm repo add`, for Azure Container Registry's Helm \
                 repositories, which Azure has retired; push the charts to the registry as OCI artifacts and declare \
                 the repository with `oci: true` (credentials from `helm registry login`, the state or the environment)"
                    .into(),
            ),
            StateError::NotSupportedYet { .. } => {
                Some("remove the key for now, or use helmfile for this state file".into())
            }
            _ => None,
        }
    }
}
