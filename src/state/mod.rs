//! The state layer: finds helmfile state files, parses them against
//! helmfile's schema and resolves releases.
//!
//! It reads files and nothing else: no cluster, no Helm, no output. Go
//! templates are rendered through the injected [`TemplateEngine`]. It must
//! not import `exec`, `helm`, `output` or `commands`.

pub use chart_options::ChartOptions;
pub use engine::{RenderRequest, TemplateEngine, TextSource};
pub use environment::{DEFAULT_ENVIRONMENT, Environment};
pub use error::{Location, StateError};
pub use helmfire_section::{DriftIgnoreRule, DriftSpec, HelmfireSection, WebhookSpec};
pub use input::{InputError, MAX_INPUT_BYTES, read_input};
pub use layering::LoadOptions;
pub use load::{SelectorScope, StateFile, StateSource, load, parse_state};
pub use missing_files::{MissingFileHandler, ResolvedFiles, Skipped, nothing_found, resolve_files};
pub use policy::PolicyViolation;
pub use release::{ChartSource, FileRef, Release, SecretRef, Transformer, ValuesInput, check_json_patch};
pub use remote::{Fetched, SourceKind, is_remote};
pub use remote_chart::RemoteChart;
pub use schema::{
    DependencySpec, EnvironmentSpec, HelmDefaults, HelmfileDoc, HookSpec, InheritSpec, ReleaseSpec, RepositorySpec,
    SetValue, ValuesEntry,
};
pub use secrets::{decrypt as decrypt_secrets, parse_document as parse_secrets_document};
pub use values::{SetKind, merge as merge_values, parse_set};

mod chart_options;
mod deferred_types;
mod engine;
mod environment;
mod error;
mod helmfire_section;
mod inherit;
mod inherits;
mod input;
mod layering;
mod load;
mod missing_files;
mod parse;
mod policy;
mod release;
mod release_template;
mod remote;
mod remote_chart;
mod schema;
mod secrets;
mod values;
